//! The benchmark: the same workloads through an alchemy backend and through
//! hand-written code for the same ORM, on SQLite, PostgreSQL and MariaDB.
//!
//! ```sh
//! cargo run --release -p alchemy-bench --bin bench -- [--backend sqlx|diesel|seaorm|all] [--db sqlite|postgres|mariadb|all] [--scale F] [--reps N] [--workload W1,W2,..] [--side both|lib|raw]
//! ```
//!
//! Without `--backend` or `--db` every backend runs on every database
//! (`all`): SQLite, and the servers at `ALCHEMY_BENCH_POSTGRES_URL` and
//! `ALCHEMY_BENCH_MARIADB_URL` (by default `postgres://postgres@127.0.0.1:5432/test`
//! and `mysql://root@127.0.0.1:3306/test`).
//!
//! `--side lib` or `--side raw` runs one side only (to profile it, e.g.
//! under `valgrind --tool=callgrind`); its lines then carry no ratio.
//!
//! The models' tables are the suite's (`alchemy_conformance::fixtures`,
//! through `impl_model!(.. from ..)`), so the bench and the suite write and
//! read the same columns. Each backend file declares its ORM side itself
//! (diesel `table!`s, SeaORM entities, sqlx rows): the raw side uses them as
//! a plain user of that ORM would, and the suite's copies carry what the
//! raw side must not pay for (the suite's SeaORM `post` stamps its rows
//! through `alchemy_seaorm::hooks` on every save).
//!
//! Prints one JSON line of settings, then one JSON line per (backend,
//! database, workload) with the median seconds of the library and of the raw
//! code; progress goes to stderr. Exits non-zero when a workload's check fails.

mod alloc;
mod common;
mod data;
mod diesel_bench;
mod library;
mod seaorm_bench;
mod sqlx_bench;

use common::{DbKind, Settings, Side, settings_line};

/// Counts heap bytes, so each run can report the most it held at once.
#[global_allocator]
static HEAP: alloc::Counting = alloc::Counting;

const USAGE: &str = "usage: bench [--backend sqlx|diesel|seaorm|all] [--db sqlite|postgres|mariadb|all] [--scale F] [--reps N] [--workload W1,W2,..] [--side both|lib|raw]";

struct Args {
    backends: Vec<&'static str>,
    dbs: Vec<DbKind>,
    settings: Settings,
}

fn parse() -> Result<Args, String> {
    let mut backends = vec!["sqlx", "diesel", "seaorm"];
    let mut dbs = vec![DbKind::Sqlite, DbKind::Postgres, DbKind::MariaDb];
    let mut scale: f64 = 1.0;
    let mut reps = 3;
    let mut only: Option<Vec<data::Workload>> = None;
    let mut side = Side::Both;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--backend" => {
                backends = match value()?.as_str() {
                    "sqlx" => vec!["sqlx"],
                    "diesel" => vec!["diesel"],
                    "seaorm" => vec!["seaorm"],
                    "all" => vec!["sqlx", "diesel", "seaorm"],
                    other => return Err(format!("--backend {other}?\n{USAGE}")),
                }
            }
            "--db" => {
                dbs = match value()?.as_str() {
                    "sqlite" => vec![DbKind::Sqlite],
                    "postgres" => vec![DbKind::Postgres],
                    "mariadb" => vec![DbKind::MariaDb],
                    "all" => vec![DbKind::Sqlite, DbKind::Postgres, DbKind::MariaDb],
                    other => return Err(format!("--db {other}?\n{USAGE}")),
                }
            }
            "--scale" => {
                scale = value()?.parse().map_err(|e| format!("--scale: {e}"))?;
                if !scale.is_finite() || scale <= 0.0 {
                    return Err("--scale must be positive".into());
                }
            }
            "--reps" => reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--workload" => {
                let names = value()?;
                let mut picked = Vec::new();
                for name in names.split(',') {
                    picked.push(data::Workload::parse(name).ok_or_else(|| {
                        let all: Vec<&str> = data::Workload::ALL.iter().map(|w| w.name()).collect();
                        format!("--workload {name}? (one of {all:?})\n{USAGE}")
                    })?);
                }
                only = Some(picked);
            }
            "--side" => {
                side = match value()?.as_str() {
                    "both" => Side::Both,
                    "lib" => Side::Lib,
                    "raw" => Side::Raw,
                    other => return Err(format!("--side {other}?\n{USAGE}")),
                }
            }
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let postgres_url = std::env::var("ALCHEMY_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mariadb_url = std::env::var("ALCHEMY_BENCH_MARIADB_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    Ok(Args {
        backends,
        dbs,
        settings: Settings {
            scale,
            reps,
            postgres_url,
            mariadb_url,
            only,
            side,
        },
    })
}

async fn run(args: Args) -> Result<(), String> {
    println!("{}", settings_line(&args.settings, &args.dbs).await);
    for backend in &args.backends {
        for kind in &args.dbs {
            let lines = match *backend {
                "sqlx" => sqlx_bench::run(*kind, &args.settings).await?,
                "diesel" => diesel_bench::run(*kind, &args.settings).await?,
                "seaorm" => seaorm_bench::run(*kind, &args.settings).await?,
                other => return Err(format!("no workloads for {other}")),
            };
            for line in lines {
                println!("{line}");
            }
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench: tokio: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
