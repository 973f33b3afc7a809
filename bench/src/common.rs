//! What every backend's bench shares: settings, fresh databases, timing,
//! memory and the JSON lines.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::Instant;

use alchemy_conformance::fixtures::{event_table, post_table, post_tag_table, tag_table};
use alchemy_core::schema::{Dialect, quote};
use serde_json::{Value as Json, json};

use crate::data::Workload;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor};

/// The database a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DbKind {
    /// A SQLite file with default pragmas (journal_mode delete, synchronous FULL).
    Sqlite,
    /// A fresh schema on the PostgreSQL server.
    Postgres,
    /// A fresh database on the MariaDB server.
    MariaDb,
}

impl DbKind {
    /// Its name in the JSON lines.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MariaDb => "mariadb",
        }
    }

    /// Its SQL dialect.
    pub(crate) fn dialect(self) -> Dialect {
        match self {
            Self::Sqlite => Dialect::Sqlite,
            Self::Postgres => Dialect::Postgres,
            Self::MariaDb => Dialect::MariaDb,
        }
    }
}

/// Command-line settings.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Multiplies every workload's count.
    pub(crate) scale: f64,
    /// Runs per measurement; the median is reported.
    pub(crate) reps: usize,
    /// The PostgreSQL server.
    pub(crate) postgres_url: String,
    /// The MariaDB server (its database is where `CREATE DATABASE` runs).
    pub(crate) mariadb_url: String,
    /// Only these workloads (`--workload`); all when `None`.
    pub(crate) only: Option<Vec<Workload>>,
    /// Which side runs (`--side`).
    pub(crate) side: Side,
}

/// The sides of a measurement that run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The library and the raw code, alternating (a measurement).
    Both,
    /// Only the library (for profiling it).
    Lib,
    /// Only the raw code (for profiling it).
    Raw,
}

impl Settings {
    /// `base` scaled, at least 1.
    #[allow(clippy::cast_possible_truncation)] // counts far below usize::MAX
    pub(crate) fn n(&self, base: usize) -> usize {
        ((base as f64 * self.scale).round() as usize).max(1)
    }
}

/// An empty database with the blog schema, for one run.
#[derive(Debug)]
pub(crate) struct Fresh {
    /// Which database.
    pub(crate) kind: DbKind,
    /// The URL to connect to (with the schema as search path on
    /// PostgreSQL, the database on MariaDB).
    pub(crate) url: String,
    server: String,
    /// The PostgreSQL schema or MariaDB database made for the run.
    schema: Option<String>,
    dir: Option<PathBuf>,
}

fn unique_suffix() -> String {
    format!("{:016x}", uuid::Uuid::new_v4().as_u64_pair().0)
}

impl Fresh {
    /// Creates the database (a new file or schema) and the blog tables.
    pub(crate) async fn new(kind: DbKind, settings: &Settings) -> Result<Self, String> {
        let id = unique_suffix();
        let fresh = match kind {
            DbKind::Sqlite => {
                let dir = std::env::temp_dir().join(format!("alchemy-bench-{id}"));
                std::fs::create_dir_all(&dir).map_err(|e| format!("temp dir: {e}"))?;
                Self {
                    kind,
                    url: format!("sqlite://{}", dir.join("bench.db").display()),
                    server: String::new(),
                    schema: None,
                    dir: Some(dir),
                }
            }
            DbKind::Postgres => {
                let schema = format!("alc_bench_{id}");
                let mut admin = sqlx::PgConnection::connect(&settings.postgres_url)
                    .await
                    .map_err(|e| format!("postgres: {e}"))?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "CREATE SCHEMA {}",
                        quote(&schema)
                    )))
                    .await
                    .map_err(|e| format!("create schema: {e}"))?;
                let sep = if settings.postgres_url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                Self {
                    kind,
                    url: format!(
                        "{}{sep}options=-csearch_path%3D{schema}",
                        settings.postgres_url
                    ),
                    server: settings.postgres_url.clone(),
                    schema: Some(schema),
                    dir: None,
                }
            }
            DbKind::MariaDb => {
                let database = format!("alc_bench_{id}");
                let mut admin = sqlx::MySqlConnection::connect(&settings.mariadb_url)
                    .await
                    .map_err(|e| format!("mariadb: {e}"))?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "CREATE DATABASE {}",
                        Dialect::MariaDb.quote(&database)
                    )))
                    .await
                    .map_err(|e| format!("create database: {e}"))?;
                let _ = admin.close().await;
                Self {
                    kind,
                    url: alchemy_conformance::harness::with_database(
                        &settings.mariadb_url,
                        &database,
                    ),
                    server: settings.mariadb_url.clone(),
                    schema: Some(database),
                    dir: None,
                }
            }
        };
        fresh.create_tables().await?;
        if kind == DbKind::Postgres {
            // Start every run with the WAL written out: a checkpoint that the
            // previous run's writes set off would otherwise land in this one.
            // Needs a superuser; without one, runs are only noisier.
            if let Ok(mut admin) = sqlx::PgConnection::connect(&settings.postgres_url).await {
                let _ = admin.execute("CHECKPOINT").await;
                let _ = admin.close().await;
            }
        }
        Ok(fresh)
    }

    async fn create_tables(&self) -> Result<(), String> {
        let mut statements = Vec::new();
        for table in [post_table(), tag_table(), post_tag_table(), event_table()] {
            statements.extend(table.create_sql(self.kind.dialect()));
        }
        match self.kind {
            DbKind::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect_with(&sqlite_options(&self.url)?)
                    .await
                    .map_err(|e| format!("sqlite: {e}"))?;
                for s in statements {
                    c.execute(sqlx::AssertSqlSafe(s))
                        .await
                        .map_err(|e| format!("ddl: {e}"))?;
                }
            }
            DbKind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .map_err(|e| format!("postgres: {e}"))?;
                for s in statements {
                    c.execute(sqlx::AssertSqlSafe(s))
                        .await
                        .map_err(|e| format!("ddl: {e}"))?;
                }
            }
            DbKind::MariaDb => {
                let mut c = sqlx::MySqlConnection::connect(&self.url)
                    .await
                    .map_err(|e| format!("mariadb: {e}"))?;
                for s in statements {
                    c.execute(sqlx::AssertSqlSafe(s))
                        .await
                        .map_err(|e| format!("ddl: {e}"))?;
                }
            }
        }
        Ok(())
    }

    /// Removes the file, schema or database.
    pub(crate) async fn remove(self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        let Some(schema) = &self.schema else {
            return;
        };
        if self.kind == DbKind::MariaDb {
            if let Ok(mut admin) = sqlx::MySqlConnection::connect(&self.server).await {
                let drop = format!("DROP DATABASE {}", Dialect::MariaDb.quote(schema));
                let _ = admin.execute(sqlx::AssertSqlSafe(drop)).await;
                let _ = admin.close().await;
            }
        } else if let Ok(mut admin) = sqlx::PgConnection::connect(&self.server).await {
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA {} CASCADE",
                    quote(schema)
                )))
                .await;
        }
    }
}

/// SQLite's defaults, stated: journal_mode delete, synchronous FULL; foreign
/// keys on, a busy timeout for the pool's own connections.
pub(crate) fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, String> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("sqlite url: {e}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(5)))
}

/// Whether a counted number of rows is `n`.
pub(crate) fn is(count: impl TryInto<u64>, n: usize) -> bool {
    count.try_into().ok() == u64::try_from(n).ok()
}

/// One timed run: its seconds and what it checked.
#[derive(Debug)]
pub(crate) struct Run {
    /// Seconds of the timed part.
    pub(crate) seconds: f64,
    /// Memory and CPU the timed part used.
    pub(crate) usage: Usage,
    /// What the run verified (compared between library and raw).
    pub(crate) check: Json,
}

/// What one timed part used besides wall-clock time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    /// The process's peak resident set (`VmHWM`, reset at the start; Linux
    /// only). It includes memory the allocator kept from earlier runs.
    pub(crate) rss_kib: Option<u64>,
    /// Most heap bytes live at once, above those live at the start: what
    /// the workload itself held (the counting allocator in `alloc.rs`;
    /// SQLite's own page cache is not on Rust's heap).
    pub(crate) heap_kib: u64,
    /// CPU seconds spent by this process's threads (Linux only): the
    /// library, the ORM, the driver and SQLite, but not the PostgreSQL
    /// server. Unlike wall time it does not wait on commits' fsyncs, so it
    /// shows the client side's own cost with little noise.
    pub(crate) cpu_seconds: Option<f64>,
    /// For a walk that marks its pages ([`page_done`]): the mean seconds
    /// of a page over the first tenth of the pages and over the last tenth.
    pub(crate) pages: Option<(f64, f64)>,
}

/// When each page of the running walk ended ([`page_done`]).
static PAGE_ENDS: std::sync::Mutex<Vec<Instant>> = std::sync::Mutex::new(Vec::new());

/// Marks the end of one page of a walk (W7k, W7o): [`timed`] reports the
/// time of the first pages against the last.
pub(crate) fn page_done() {
    if let Ok(mut ends) = PAGE_ENDS.lock() {
        ends.push(Instant::now());
    }
}

/// The mean seconds of a page over the first tenth and the last tenth of
/// the pages that ended after `start`; `None` below 10 pages.
fn page_times(start: Instant) -> Option<(f64, f64)> {
    let ends = std::mem::take(&mut *PAGE_ENDS.lock().ok()?);
    let mut last = start;
    let each: Vec<f64> = ends
        .iter()
        .map(|&end| {
            let s = end.duration_since(last).as_secs_f64();
            last = end;
            s
        })
        .collect();
    let tenth = each.len() / 10;
    if tenth == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // a page count
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    Some((mean(&each[..tenth]), mean(&each[each.len() - tenth..])))
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Nanoseconds on a CPU of every live thread of this process, from
/// `/proc/self/task/*/schedstat` (its first field); `None` off Linux.
/// The bench's threads (the runtime's and sqlx's SQLite workers) live
/// across a run, so the difference of two readings is the run's CPU time.
fn cpu_nanos() -> Option<u64> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        // A thread may end between the listing and the read: skip it.
        let Ok(stat) = std::fs::read_to_string(path) else {
            continue;
        };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// The timed part of a run as a future of its own, whose `poll` is never
/// inlined: a profiler can count only it, e.g. `valgrind --tool=callgrind
/// --toggle-collect='*TimedPart*' .. bench --side lib` (SQLite's work on
/// sqlx's worker thread is not inside it).
struct TimedPart<F>(Pin<Box<F>>);

impl<F: Future> Future for TimedPart<F> {
    type Output = F::Output;

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.0.as_mut().poll(cx)
    }
}

/// Times `work` and records what it used (see [`Usage`]).
pub(crate) async fn timed<F, T>(work: F) -> Result<(T, f64, Usage), String>
where
    F: Future<Output = Result<T, String>>,
{
    let work = TimedPart(Box::pin(work));
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    crate::alloc::reset_peak();
    let heap_start = crate::alloc::live();
    let cpu_start = cpu_nanos();
    if let Ok(mut ends) = PAGE_ENDS.lock() {
        ends.clear();
    }
    let start = Instant::now();
    let value = work.await?;
    let seconds = start.elapsed().as_secs_f64();
    let cpu_end = cpu_nanos();
    let heap = crate::alloc::peak().saturating_sub(heap_start);
    #[allow(clippy::cast_precision_loss)] // nanoseconds of one run fit an f64 exactly
    let cpu_seconds = cpu_start
        .zip(cpu_end)
        .map(|(a, b)| b.saturating_sub(a) as f64 / 1e9);
    let usage = Usage {
        rss_kib: proc_status_kib("VmHWM:"),
        heap_kib: u64::try_from(heap / 1024).unwrap_or(u64::MAX),
        cpu_seconds,
        pages: page_times(start),
    };
    Ok((value, seconds, usage))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs the library and the raw version `reps` times each, alternating,
/// and returns the JSON line; a check that differs is an error.
pub(crate) async fn measure<L, LF, R, RF>(
    backend: &str,
    kind: DbKind,
    workload: Workload,
    ops: usize,
    settings: &Settings,
    mut lib: L,
    mut raw: R,
) -> Result<Json, String>
where
    L: FnMut() -> LF,
    LF: Future<Output = Result<Run, String>>,
    R: FnMut() -> RF,
    RF: Future<Output = Result<Run, String>>,
{
    let (mut lib_runs, mut raw_runs) = (Vec::new(), Vec::new());
    for rep in 0..settings.reps.max(1) {
        eprintln!("{backend} {} {workload} rep {}", kind.name(), rep + 1);
        match settings.side {
            Side::Lib => lib_runs.push(lib().await?),
            Side::Raw => raw_runs.push(raw().await?),
            // Alternate which goes first, so neither always meets a warm cache.
            Side::Both if rep % 2 == 0 => {
                lib_runs.push(lib().await?);
                raw_runs.push(raw().await?);
            }
            Side::Both => {
                raw_runs.push(raw().await?);
                lib_runs.push(lib().await?);
            }
        }
    }
    for run in lib_runs.iter().chain(&raw_runs) {
        if run.check.get("ok") != Some(&Json::Bool(true)) {
            return Err(format!(
                "{backend} {} {workload}: check failed: {}",
                kind.name(),
                run.check
            ));
        }
    }
    for (l, r) in lib_runs.iter().zip(&raw_runs) {
        if l.check != r.check {
            return Err(format!(
                "{backend} {} {workload}: checks differ: library {} raw {}",
                kind.name(),
                l.check,
                r.check
            ));
        }
    }
    let seconds = median(lib_runs.iter().map(|r| r.seconds).collect());
    let raw_seconds = median(raw_runs.iter().map(|r| r.seconds).collect());
    let rss = |runs: &[Run]| runs.iter().filter_map(|r| r.usage.rss_kib).max();
    let heap = |runs: &[Run]| runs.iter().map(|r| r.usage.heap_kib).max();
    let cpu = |runs: &[Run]| {
        let v: Vec<f64> = runs.iter().filter_map(|r| r.usage.cpu_seconds).collect();
        (v.len() == runs.len()).then(|| median(v))
    };
    let round = |x: f64, digits: i32| (x * 10f64.powi(digits)).round() / 10f64.powi(digits);
    // Milliseconds a page took at the start and at the end of a walk,
    // medians over the runs.
    let pages = |runs: &[Run]| {
        let (first, last): (Vec<f64>, Vec<f64>) = runs.iter().filter_map(|r| r.usage.pages).unzip();
        (!first.is_empty()).then(|| {
            let (first, last) = (median(first) * 1e3, median(last) * 1e3);
            json!({"first_ms": round(first, 3), "last_ms": round(last, 3), "growth": round(last / first, 2)})
        })
    };
    Ok(json!({
        "backend": backend,
        "db": kind.name(),
        "workload": workload.name(),
        "ops": ops,
        "seconds": round(seconds, 4),
        "ops_per_s": round(ops as f64 / seconds, 0),
        "raw_seconds": round(raw_seconds, 4),
        "ratio_vs_raw": round(seconds / raw_seconds, 3),
        "peak_rss_kib": rss(&lib_runs),
        "raw_peak_rss_kib": rss(&raw_runs),
        "peak_heap_kib": heap(&lib_runs),
        "raw_peak_heap_kib": heap(&raw_runs),
        "cpu_seconds": cpu(&lib_runs).map(|c| round(c, 4)),
        "raw_cpu_seconds": cpu(&raw_runs).map(|c| round(c, 4)),
        "cpu_ratio_vs_raw": cpu(&lib_runs).zip(cpu(&raw_runs)).map(|(l, r)| round(l / r, 3)),
        "pages": pages(&lib_runs),
        "raw_pages": pages(&raw_runs),
        "check": lib_runs.iter().chain(&raw_runs).next().map(|r| r.check.clone()).unwrap_or(Json::Null),
        "runs": lib_runs.iter().map(|r| round(r.seconds, 4)).collect::<Vec<_>>(),
        "raw_runs": raw_runs.iter().map(|r| round(r.seconds, 4)).collect::<Vec<_>>(),
        "cpu_runs": lib_runs.iter().map(|r| r.usage.cpu_seconds.map(|c| round(c, 5))).collect::<Vec<_>>(),
        "raw_cpu_runs": raw_runs.iter().map(|r| r.usage.cpu_seconds.map(|c| round(c, 5))).collect::<Vec<_>>(),
    }))
}

/// The settings line: versions and the database settings in force.
pub(crate) async fn settings_line(settings: &Settings, kinds: &[DbKind]) -> Json {
    let mut sqlite = Json::Null;
    let mut postgres = Json::Null;
    let mut mariadb = Json::Null;
    for kind in kinds {
        match kind {
            DbKind::Sqlite => {
                if let Ok(fresh) = Fresh::new(DbKind::Sqlite, settings).await {
                    if let Ok(opts) = sqlite_options(&fresh.url)
                        && let Ok(mut c) = sqlx::SqliteConnection::connect_with(&opts).await
                    {
                        let one = |sql: &'static str| sqlx::query_scalar::<_, String>(sql);
                        let v = one("select sqlite_version()").fetch_one(&mut c).await.ok();
                        let jm = one("pragma journal_mode").fetch_one(&mut c).await.ok();
                        let sync = sqlx::query_scalar::<_, i64>("pragma synchronous")
                            .fetch_one(&mut c)
                            .await
                            .ok();
                        let fk = sqlx::query_scalar::<_, i64>("pragma foreign_keys")
                            .fetch_one(&mut c)
                            .await
                            .ok();
                        sqlite = json!({"library_version": v, "journal_mode": jm, "synchronous": sync, "foreign_keys": fk});
                    }
                    fresh.remove().await;
                }
            }
            DbKind::Postgres => {
                if let Ok(mut c) = sqlx::PgConnection::connect(&settings.postgres_url).await {
                    let mut show = async |name: &str| {
                        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("show {name}")))
                            .fetch_one(&mut c)
                            .await
                            .ok()
                    };
                    let v = show("server_version").await;
                    let fsync = show("fsync").await;
                    let sc = show("synchronous_commit").await;
                    postgres =
                        json!({"server_version": v, "fsync": fsync, "synchronous_commit": sc});
                }
            }
            DbKind::MariaDb => {
                if let Ok(mut c) = sqlx::MySqlConnection::connect(&settings.mariadb_url).await {
                    let row: Option<(String, i64, i64, String)> = sqlx::query_as(
                        "SELECT @@version, CAST(@@innodb_flush_log_at_trx_commit AS SIGNED), \
                         CAST(@@sync_binlog AS SIGNED), @@tx_isolation",
                    )
                    .fetch_one(&mut c)
                    .await
                    .ok();
                    if let Some((v, flush, sync_binlog, isolation)) = row {
                        mariadb = json!({"server_version": v, "innodb_flush_log_at_trx_commit": flush, "sync_binlog": sync_binlog, "isolation": isolation});
                    }
                }
            }
        }
    }
    json!({
        "settings": {
            "rust": env!("BENCH_RUSTC_VERSION"),
            "sqlx": env!("BENCH_SQLX_VERSION"),
            "sea_orm": env!("BENCH_SEAORM_VERSION"),
            "diesel": env!("BENCH_DIESEL_VERSION"),
            "diesel_async": env!("BENCH_DIESEL_ASYNC_VERSION"),
            "libsqlite3_sys": env!("BENCH_LIBSQLITE3_SYS_VERSION"),
            "scale": settings.scale,
            "reps": settings.reps,
            "sqlite": sqlite,
            "postgres": postgres,
            "mariadb": mariadb,
        }
    })
}

/// `COPY post (..) FROM STDIN` in PostgreSQL's binary format: the W1c floor.
pub(crate) const COPY_POSTS: &str =
    "COPY post (id, created_at, updated_at, title, content, published) FROM STDIN (FORMAT binary)";

/// Posts with `titles`, new UUIDv7 keys, both timestamps `now`, `content`
/// and `published` false, as one [`COPY_POSTS`] payload (PostgreSQL's binary
/// `COPY` format: a header, then per row a field count and each field as a
/// length and its bytes in network order, then -1).
pub(crate) fn copy_posts_binary(
    titles: &[String],
    content: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<u8> {
    // Microseconds since 2000-01-01, PostgreSQL's epoch.
    const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
    let stamp = (now.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes();
    let mut out = Vec::with_capacity(19 + titles.len() * (80 + content.len()) + 2);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension
    let field = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend_from_slice(&i32::try_from(bytes.len()).unwrap_or(i32::MAX).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    for title in titles {
        out.extend_from_slice(&6i16.to_be_bytes());
        field(&mut out, uuid::Uuid::now_v7().as_bytes());
        field(&mut out, &stamp);
        field(&mut out, &stamp);
        field(&mut out, title.as_bytes());
        field(&mut out, content.as_bytes());
        field(&mut out, &[0]);
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

/// W1's rows through sqlx's binary `COPY` in one transaction (sqlx, and
/// SeaORM through its sqlx pool).
pub(crate) async fn copy_posts_sqlx(pool: &sqlx::PgPool, titles: &[String]) -> Result<u64, String> {
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
    let payload = copy_posts_binary(titles, crate::data::CONTENT, now);
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let mut copy = tx
        .copy_in_raw(COPY_POSTS)
        .await
        .map_err(|e| e.to_string())?;
    copy.send(payload).await.map_err(|e| e.to_string())?;
    let rows = copy.finish().await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(rows)
}
