//! Turns the cases into named tests: `<backend>::<database>::<case>`.
//!
//! SQLite always runs, each case on a fresh file. PostgreSQL comes from
//! `ALCHEMY_TEST_POSTGRES_URL`, else (with the `testcontainers` feature, on
//! by default) from a testcontainers container when a
//! Docker engine answers (image [`POSTGRES_IMAGE`], or the `name:tag` in
//! `ALCHEMY_TEST_POSTGRES_IMAGE`), else its cases are reported as ignored
//! with the reason. With `CI` set, a missing PostgreSQL fails every
//! PostgreSQL case; a Docker engine that answers but cannot start
//! PostgreSQL fails them always.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use alchemy_core::Database;
use alchemy_core::audit::{ManualClock, SharedClock};
use alchemy_core::schema::{Dialect, Table};
use libtest_mimic::{Completion, Failed, Trial};

use crate::harness::{Backend, Cx, Harness, Target};

/// A case as the runner stores it.
pub type CaseFn<H> = fn(Arc<Cx<H>>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where PostgreSQL cases run, decided once per test binary.
#[derive(Debug, Clone)]
pub enum Postgres {
    /// A server at this URL.
    Url(String),
    /// No server: the reason, and whether that is a failure or a skip.
    Missing {
        /// Why there is no server (and why that fails, when it does).
        reason: String,
        /// Report a failure, not a skip: `CI` is set, or Docker answered
        /// but PostgreSQL did not start.
        fail: bool,
    },
}

/// The environment variable naming the PostgreSQL server for the suite.
pub const POSTGRES_URL_VAR: &str = "ALCHEMY_TEST_POSTGRES_URL";

/// The environment variable naming the image (`name:tag`) testcontainers
/// starts when [`POSTGRES_URL_VAR`] is unset.
pub const POSTGRES_IMAGE_VAR: &str = "ALCHEMY_TEST_POSTGRES_IMAGE";

/// The image testcontainers starts by default. PostgreSQL 13 is the oldest
/// the library supports (`gen_random_uuid()` is built in from 13; the
/// module's own default, 11, fails every case that makes a server UUID).
pub const POSTGRES_IMAGE: (&str, &str) = ("postgres", "17-alpine");

/// Keeps a testcontainers PostgreSQL alive for as long as the value lives.
pub struct Environment {
    /// Where PostgreSQL cases run.
    pub postgres: Postgres,
    // Dropped with the runtime that started it.
    _container: Option<Box<dyn std::any::Any>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("postgres", &self.postgres)
            .finish_non_exhaustive()
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        // The container stops in its own runtime.
        if let Some(rt) = self.runtime.take() {
            let container = self._container.take();
            rt.block_on(async move { drop(container) });
        }
    }
}

impl Environment {
    /// Finds PostgreSQL. `listing` (`--list`) skips starting containers.
    pub fn detect(listing: bool) -> Self {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        if let Ok(url) = std::env::var(POSTGRES_URL_VAR)
            && !url.is_empty()
        {
            return Self::plain(Postgres::Url(url));
        }
        if listing {
            return Self::plain(Postgres::Missing {
                reason: "not started while listing".into(),
                fail: false,
            });
        }
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                return Self::plain(Postgres::Missing {
                    reason: format!("no runtime for testcontainers: {e}"),
                    fail: ci,
                });
            }
        };
        match runtime.block_on(start_container()) {
            Ok((url, container)) => Self {
                postgres: Postgres::Url(url),
                _container: Some(container),
                runtime: Some(runtime),
            },
            Err(NoContainer::NoDocker(reason)) => {
                let why = format!(
                    "PostgreSQL cases need {POSTGRES_URL_VAR} or a Docker engine for testcontainers: {reason}"
                );
                Self::plain(Postgres::Missing {
                    reason: if ci {
                        format!("CI is set, so a missing PostgreSQL is a failure: {why}")
                    } else {
                        why
                    },
                    fail: ci,
                })
            }
            Err(NoContainer::Failed(reason)) => Self::plain(Postgres::Missing {
                reason: format!("a Docker engine answered but PostgreSQL did not start: {reason}"),
                fail: true,
            }),
        }
    }

    fn plain(postgres: Postgres) -> Self {
        Self {
            postgres,
            _container: None,
            runtime: None,
        }
    }
}

/// Why a container could not be had.
enum NoContainer {
    /// No Docker engine answers: the PostgreSQL cases are skipped (failed under CI).
    NoDocker(String),
    /// Docker answered but the container failed: always a failure.
    #[cfg_attr(not(feature = "testcontainers"), allow(dead_code))]
    Failed(String),
}

/// The testcontainers image: [`POSTGRES_IMAGE_VAR`] when set, else
/// [`POSTGRES_IMAGE`].
pub fn postgres_image() -> (String, String) {
    image_named(std::env::var(POSTGRES_IMAGE_VAR).ok())
}

/// `name:tag` (the tag after the last `:` that is not part of a registry
/// host's port) as name and tag; `latest` without a tag; the default image
/// when `None` or empty.
fn image_named(image: Option<String>) -> (String, String) {
    match image {
        Some(image) if !image.is_empty() => match image.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name.into(), tag.into()),
            _ => (image, "latest".into()),
        },
        _ => (POSTGRES_IMAGE.0.into(), POSTGRES_IMAGE.1.into()),
    }
}

/// Without the `testcontainers` feature there is no container to start.
#[cfg(not(feature = "testcontainers"))]
async fn start_container() -> Result<(String, Box<dyn std::any::Any>), NoContainer> {
    Err(NoContainer::NoDocker(
        "alchemy-conformance is built without its `testcontainers` feature".into(),
    ))
}

#[cfg(feature = "testcontainers")]
async fn start_container() -> Result<(String, Box<dyn std::any::Any>), NoContainer> {
    use testcontainers_modules::postgres::Postgres as Image;
    use testcontainers_modules::testcontainers::core::error::ClientError;
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::{ImageExt, TestcontainersError};
    let (name, tag) = postgres_image();
    let container = Image::default()
        .with_name(name.clone())
        .with_tag(tag.clone())
        .start()
        .await
        .map_err(|e| match e {
            TestcontainersError::Client(ClientError::Init(e)) => {
                NoContainer::NoDocker(format!("no Docker engine ({e})"))
            }
            other => NoContainer::Failed(format!("testcontainers, image {name}:{tag}: {other}")),
        })?;
    let port = container
        .get_host_port_ipv4(5432)
        .await
        .map_err(|e| NoContainer::Failed(format!("testcontainers port: {e}")))?;
    let host = container
        .get_host()
        .await
        .map_err(|e| NoContainer::Failed(format!("testcontainers host: {e}")))?;
    Ok((
        format!("postgres://postgres:postgres@{host}:{port}/postgres"),
        Box::new(container),
    ))
}

/// One test per case on SQLite and on PostgreSQL for harness `H`.
pub fn trials<H: Harness + Clone>(harness: H, env: &Environment) -> Vec<Trial> {
    trials_on(harness, env, &[Dialect::Sqlite, Dialect::Postgres])
}

/// One test per case on each of `dialects` for harness `H` (a backend whose
/// handle is typed by database registers one harness per database).
pub fn trials_on<H: Harness + Clone>(
    harness: H,
    env: &Environment,
    dialects: &[Dialect],
) -> Vec<Trial> {
    let mut out = Vec::new();
    for (case, run) in crate::cases::all::<H>() {
        let h = harness.clone();
        out.extend(database_trials(
            env,
            dialects,
            H::NAME,
            case,
            move |postgres| run_on(h.clone(), postgres, &crate::fixtures::all_tables(), run),
        ));
    }
    out
}

/// `<backend>::<database>::<case>` for each of `dialects`: `run` with the
/// PostgreSQL URL, or `None` for SQLite; a PostgreSQL trial is ignored (or
/// failed) as `env` says when there is no server.
pub(crate) fn database_trials<F>(
    env: &Environment,
    dialects: &[Dialect],
    backend: &str,
    case: &str,
    run: F,
) -> Vec<Trial>
where
    F: Fn(Option<String>) -> Result<(), Failed> + Clone + Send + 'static,
{
    let mut out = Vec::new();
    if dialects.contains(&Dialect::Sqlite) {
        let run = run.clone();
        out.push(Trial::test(
            format!("{backend}::sqlite::{case}"),
            move || run(None),
        ));
    }
    if dialects.contains(&Dialect::Postgres) {
        let name = format!("{backend}::postgres::{case}");
        out.push(match &env.postgres {
            Postgres::Url(url) => {
                let url = url.clone();
                Trial::test(name, move || run(Some(url)))
            }
            Postgres::Missing { reason, fail: true } => {
                let reason = reason.clone();
                Trial::test(name, move || Err(Failed::from(reason.clone())))
            }
            Postgres::Missing {
                reason,
                fail: false,
            } => {
                let reason = reason.clone();
                Trial::ignorable_test(name, move || Ok(Completion::ignored_with(reason)))
            }
        });
    }
    out
}

/// Runs `case` on a fresh database of `backend` holding `tables`: a
/// schema on the PostgreSQL server at `postgres`, else a new SQLite file;
/// both are removed afterwards, also when the case panics.
pub(crate) fn run_on<B, F, Fut>(
    backend: B,
    postgres: Option<String>,
    tables: &[&Table],
    case: F,
) -> Result<(), Failed>
where
    B: Backend,
    F: FnOnce(Arc<Cx<B>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("tokio runtime: {e}")))?;
    let id = format!("{:016x}", rand_u64());
    let (target, dir) = match postgres {
        Some(url) => (
            Target::Postgres {
                url,
                schema: format!("alc_{id}"),
            },
            None,
        ),
        None => {
            let dir = std::env::temp_dir().join(format!("alchemy-conformance-{id}"));
            std::fs::create_dir_all(&dir).map_err(|e| Failed::from(format!("temp dir: {e}")))?;
            (
                Target::Sqlite {
                    path: dir.join("case.db"),
                },
                Some(dir),
            )
        }
    };
    let result = runtime.block_on(async {
        let b = Arc::new(backend);
        let clock = Arc::new(ManualClock::new(crate::START()));
        let shared: SharedClock = clock.clone();
        let db = b
            .connect(&target, shared)
            .await
            .map_err(|e| Failed::from(format!("connect: {e}")))?;
        db.create_tables(tables)
            .await
            .map_err(|e| Failed::from(format!("create tables: {e}")))?;
        let cx = Arc::new(Cx {
            h: b.clone(),
            db,
            clock,
            dialect: target.dialect(),
        });
        // A panicking case must still tear down: run it as a task.
        let outcome = tokio::spawn(case(cx)).await;
        let teardown = b.teardown(&target).await;
        match outcome {
            Ok(()) => teardown.map_err(|e| Failed::from(format!("teardown: {e}"))),
            Err(e) => Err(Failed::from(panic_message(e))),
        }
    });
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}

fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the case panicked".into()),
        Err(e) => format!("the case did not finish: {e}"),
    }
}

fn rand_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// Runs every registered harness's trials with libtest's command line
/// (`--list`, filters, `--test-threads`) and exits with its status.
pub fn main_with(build: impl FnOnce(&Environment) -> Vec<Trial>) -> ! {
    let args = libtest_mimic::Arguments::from_args();
    let conclusion = {
        let env = Environment::detect(args.list);
        if let Postgres::Missing { reason, fail } = &env.postgres
            && !args.list
        {
            let what = if *fail {
                "missing (failure under CI)"
            } else {
                "cases skipped"
            };
            eprintln!("alchemy-conformance: PostgreSQL {what}: {reason}");
        }
        let trials = build(&env);
        libtest_mimic::run(&args, trials)
    };
    conclusion.exit()
}

/// Builds the trials of one backend on SQLite and PostgreSQL. Used by [`main_with`] callers.
pub fn backend_trials<H: Harness + Clone + Default>(env: &Environment) -> Vec<Trial> {
    trials(H::default(), env)
}

/// Builds the trials of one backend on the given databases only.
pub fn backend_trials_on<H: Harness + Clone + Default>(
    env: &Environment,
    dialects: &[Dialect],
) -> Vec<Trial> {
    trials_on(H::default(), env, dialects)
}

impl<H: Backend> Cx<H> {
    /// Starts a unit of work, panicking with the error (cases only).
    pub async fn begin(&self) -> <H::Db as Database>::Session {
        match self.db.begin().await {
            Ok(s) => s,
            Err(e) => panic!("begin: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_named_with_a_tag() {
        let image = |s: &str| image_named(Some(s.into()));
        assert_eq!(image_named(None), ("postgres".into(), "17-alpine".into()));
        assert_eq!(image_named(Some(String::new())), image_named(None));
        assert_eq!(
            image("alchemy-local/postgres:15"),
            ("alchemy-local/postgres".into(), "15".into())
        );
        assert_eq!(image("postgres"), ("postgres".into(), "latest".into()));
        assert_eq!(
            image("registry:5000/pg"),
            ("registry:5000/pg".into(), "latest".into())
        );
        assert_eq!(
            image("registry:5000/pg:13"),
            ("registry:5000/pg".into(), "13".into())
        );
    }
}
