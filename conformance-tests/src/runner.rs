//! Turns the cases into named tests: `<backend>::<database>::<case>`.
//!
//! SQLite always runs, each case on a fresh file. PostgreSQL comes from
//! `ALCHEMY_TEST_POSTGRES_URL` and MariaDB from `ALCHEMY_TEST_MARIADB_URL`,
//! else (with the `testcontainers` feature, on by default) each from a
//! testcontainers container when a Docker engine answers (images
//! [`POSTGRES_IMAGE`] and [`MARIADB_IMAGE`], or the `name:tag` in
//! `ALCHEMY_TEST_POSTGRES_IMAGE` / `ALCHEMY_TEST_MARIADB_IMAGE`), else
//! their cases are reported as ignored with the reason. With `CI` set, a
//! missing server fails every case on it; a Docker engine that answers but
//! cannot start the server fails them always. Each PostgreSQL case runs in
//! its own schema, each MariaDB case in its own database, so cases run in
//! parallel and twice against one server.

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

/// Where one server's cases run (PostgreSQL's, MariaDB's), decided once
/// per test binary.
#[derive(Debug, Clone)]
pub enum Server {
    /// A server at this URL.
    Url(String),
    /// No server: the reason, and whether that is a failure or a skip.
    Missing {
        /// Why there is no server (and why that fails, when it does).
        reason: String,
        /// Report a failure, not a skip: `CI` is set, or Docker answered
        /// but the server did not start.
        fail: bool,
    },
}

/// Where PostgreSQL cases run (the name before MariaDB joined).
pub type Postgres = Server;

/// The environment variable naming the PostgreSQL server for the suite.
pub const POSTGRES_URL_VAR: &str = "ALCHEMY_TEST_POSTGRES_URL";

/// The environment variable naming the image (`name:tag`) testcontainers
/// starts when [`POSTGRES_URL_VAR`] is unset.
pub const POSTGRES_IMAGE_VAR: &str = "ALCHEMY_TEST_POSTGRES_IMAGE";

/// The image testcontainers starts by default. PostgreSQL 13 is the oldest
/// the library supports (`gen_random_uuid()` is built in from 13; the
/// module's own default, 11, fails every case that makes a server UUID).
pub const POSTGRES_IMAGE: (&str, &str) = ("postgres", "17-alpine");

/// The environment variable naming the MariaDB server for the suite
/// (`mysql://root@127.0.0.1:3306/test`): each case creates its own
/// database there, so the user needs `CREATE` and `DROP`.
pub const MARIADB_URL_VAR: &str = "ALCHEMY_TEST_MARIADB_URL";

/// The environment variable naming the image (`name:tag`) testcontainers
/// starts when [`MARIADB_URL_VAR`] is unset.
pub const MARIADB_IMAGE_VAR: &str = "ALCHEMY_TEST_MARIADB_IMAGE";

/// The MariaDB image testcontainers starts by default: 10.11, the long-term
/// release the project's machines run (10.6 is the oldest with
/// `JSON_TABLE`, 10.10 with `RANDOM_BYTES`).
pub const MARIADB_IMAGE: (&str, &str) = ("mariadb", "10.11");

/// Keeps the testcontainers servers alive for as long as the value lives.
pub struct Environment {
    /// Where PostgreSQL cases run.
    pub postgres: Server,
    /// Where MariaDB cases run.
    pub mariadb: Server,
    // Dropped with the runtime that started them.
    containers: Vec<Box<dyn std::any::Any>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("postgres", &self.postgres)
            .field("mariadb", &self.mariadb)
            .finish_non_exhaustive()
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        // The containers stop in their own runtime.
        if let Some(rt) = self.runtime.take() {
            let containers = std::mem::take(&mut self.containers);
            rt.block_on(async move { drop(containers) });
        }
    }
}

/// The server a kind of container serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Postgres,
    MariaDb,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::MariaDb => "MariaDB",
        }
    }

    fn url_var(self) -> &'static str {
        match self {
            Self::Postgres => POSTGRES_URL_VAR,
            Self::MariaDb => MARIADB_URL_VAR,
        }
    }
}

impl Environment {
    /// Finds PostgreSQL and MariaDB. `listing` (`--list`) skips starting
    /// containers.
    pub fn detect(listing: bool) -> Self {
        let mut env = Self {
            postgres: Server::Url(String::new()),
            mariadb: Server::Url(String::new()),
            containers: Vec::new(),
            runtime: None,
        };
        env.postgres = env.find(Kind::Postgres, listing);
        env.mariadb = env.find(Kind::MariaDb, listing);
        env
    }

    /// The server of `kind`: its URL variable, else a container.
    fn find(&mut self, kind: Kind, listing: bool) -> Server {
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        if let Ok(url) = std::env::var(kind.url_var())
            && !url.is_empty()
        {
            return Server::Url(url);
        }
        if listing {
            return Server::Missing {
                reason: "not started while listing".into(),
                fail: false,
            };
        }
        if self.runtime.is_none() {
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => self.runtime = Some(rt),
                Err(e) => {
                    return Server::Missing {
                        reason: format!("no runtime for testcontainers: {e}"),
                        fail: ci,
                    };
                }
            }
        }
        let Some(runtime) = &self.runtime else {
            return Server::Missing {
                reason: "no runtime for testcontainers".into(),
                fail: ci,
            };
        };
        let name = kind.name();
        match runtime.block_on(start_container(kind)) {
            Ok((url, container)) => {
                self.containers.push(container);
                Server::Url(url)
            }
            Err(NoContainer::NoDocker(reason)) => {
                let why = format!(
                    "{name} cases need {} or a Docker engine for testcontainers: {reason}",
                    kind.url_var()
                );
                Server::Missing {
                    reason: if ci {
                        format!("CI is set, so a missing {name} is a failure: {why}")
                    } else {
                        why
                    },
                    fail: ci,
                }
            }
            Err(NoContainer::Failed(reason)) => Server::Missing {
                reason: format!("a Docker engine answered but {name} did not start: {reason}"),
                fail: true,
            },
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
    image_named(std::env::var(POSTGRES_IMAGE_VAR).ok(), POSTGRES_IMAGE)
}

/// The MariaDB testcontainers image: [`MARIADB_IMAGE_VAR`] when set, else
/// [`MARIADB_IMAGE`].
pub fn mariadb_image() -> (String, String) {
    image_named(std::env::var(MARIADB_IMAGE_VAR).ok(), MARIADB_IMAGE)
}

/// `name:tag` (the tag after the last `:` that is not part of a registry
/// host's port) as name and tag; `latest` without a tag; `default` when
/// `None` or empty.
fn image_named(image: Option<String>, default: (&str, &str)) -> (String, String) {
    match image {
        Some(image) if !image.is_empty() => match image.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => (name.into(), tag.into()),
            _ => (image, "latest".into()),
        },
        _ => (default.0.into(), default.1.into()),
    }
}

/// Without the `testcontainers` feature there is no container to start.
#[cfg(not(feature = "testcontainers"))]
async fn start_container(_: Kind) -> Result<(String, Box<dyn std::any::Any>), NoContainer> {
    Err(NoContainer::NoDocker(
        "alchemy-conformance is built without its `testcontainers` feature".into(),
    ))
}

#[cfg(feature = "testcontainers")]
async fn start_container(kind: Kind) -> Result<(String, Box<dyn std::any::Any>), NoContainer> {
    match kind {
        Kind::Postgres => {
            let (name, tag) = postgres_image();
            let image = testcontainers_modules::postgres::Postgres::default();
            let (container, host, port) = start(image, name, tag, 5432).await?;
            let url = format!("postgres://postgres:postgres@{host}:{port}/postgres");
            Ok((url, Box::new(container)))
        }
        Kind::MariaDb => {
            let (name, tag) = mariadb_image();
            let image = testcontainers_modules::mariadb::Mariadb::default();
            let (container, host, port) = start(image, name, tag, 3306).await?;
            let url = format!("mysql://root@{host}:{port}/test");
            Ok((url, Box::new(container)))
        }
    }
}

/// Starts `image` as `name:tag`; the container, its host and the host port
/// of container port `port`.
#[cfg(feature = "testcontainers")]
async fn start<I: testcontainers_modules::testcontainers::Image>(
    image: I,
    name: String,
    tag: String,
    port: u16,
) -> Result<
    (
        testcontainers_modules::testcontainers::ContainerAsync<I>,
        String,
        u16,
    ),
    NoContainer,
> {
    use testcontainers_modules::testcontainers::core::error::ClientError;
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::testcontainers::{ImageExt, TestcontainersError};
    let container = image
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
    let host_port = container
        .get_host_port_ipv4(port)
        .await
        .map_err(|e| NoContainer::Failed(format!("testcontainers port: {e}")))?;
    let host = container
        .get_host()
        .await
        .map_err(|e| NoContainer::Failed(format!("testcontainers host: {e}")))?;
    Ok((container, host.to_string(), host_port))
}

/// One test per case on SQLite, PostgreSQL and MariaDB for harness `H`.
pub fn trials<H: Harness + Clone>(harness: H, env: &Environment) -> Vec<Trial> {
    trials_on(
        harness,
        env,
        &[Dialect::Sqlite, Dialect::Postgres, Dialect::MariaDb],
    )
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
            move |server| run_on(h.clone(), server, &crate::fixtures::all_tables(), run),
        ));
    }
    out
}

/// Where one trial runs: a new SQLite file, or a server of a dialect at a
/// URL.
pub(crate) type Place = Option<(Dialect, String)>;

/// `<backend>::<database>::<case>` for each of `dialects`: `run` with the
/// server's dialect and URL, or `None` for SQLite; a server's trial is
/// ignored (or failed) as `env` says when there is no server.
pub(crate) fn database_trials<F>(
    env: &Environment,
    dialects: &[Dialect],
    backend: &str,
    case: &str,
    run: F,
) -> Vec<Trial>
where
    F: Fn(Place) -> Result<(), Failed> + Clone + Send + 'static,
{
    let mut out = Vec::new();
    if dialects.contains(&Dialect::Sqlite) {
        let run = run.clone();
        out.push(Trial::test(
            format!("{backend}::sqlite::{case}"),
            move || run(None),
        ));
    }
    let servers = [
        (Dialect::Postgres, "postgres", &env.postgres),
        (Dialect::MariaDb, "mariadb", &env.mariadb),
    ];
    for (dialect, database, server) in servers {
        if !dialects.contains(&dialect) {
            continue;
        }
        let name = format!("{backend}::{database}::{case}");
        let run = run.clone();
        out.push(match server {
            Server::Url(url) => {
                let url = url.clone();
                Trial::test(name, move || run(Some((dialect, url.clone()))))
            }
            Server::Missing { reason, fail: true } => {
                let reason = reason.clone();
                Trial::test(name, move || Err(Failed::from(reason.clone())))
            }
            Server::Missing {
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
/// schema on a PostgreSQL server, a database on a MariaDB server, else a
/// new SQLite file; each is removed afterwards, also when the case panics.
pub(crate) fn run_on<B, F, Fut>(
    backend: B,
    place: Place,
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
    let (target, dir) = match place {
        Some((Dialect::MariaDb, url)) => (
            Target::MariaDb {
                url,
                database: format!("alc_{id}"),
            },
            None,
        ),
        Some((_, url)) => (
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
        for (name, server) in [("PostgreSQL", &env.postgres), ("MariaDB", &env.mariadb)] {
            if let Server::Missing { reason, fail } = server
                && !args.list
            {
                let what = if *fail {
                    "missing (failure under CI)"
                } else {
                    "cases skipped"
                };
                eprintln!("alchemy-conformance: {name} {what}: {reason}");
            }
        }
        let trials = build(&env);
        libtest_mimic::run(&args, trials)
    };
    conclusion.exit()
}

/// Builds the trials of one backend on SQLite, PostgreSQL and MariaDB. Used
/// by [`main_with`] callers.
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
        let image = |s: &str| image_named(Some(s.into()), POSTGRES_IMAGE);
        assert_eq!(
            image_named(None, POSTGRES_IMAGE),
            ("postgres".into(), "17-alpine".into())
        );
        assert_eq!(
            image_named(Some(String::new()), MARIADB_IMAGE),
            ("mariadb".into(), "10.11".into())
        );
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
