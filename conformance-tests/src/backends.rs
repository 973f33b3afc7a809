//! The shipped backends, ready for the suite: each connects to a case's
//! fresh database (creating its PostgreSQL schema or MariaDB database
//! first) and removes it afterwards. Behind the features `sqlx`, `diesel` and `seaorm`, so a
//! user of one backend names it and writes no connection code:
//!
//! ```no_run
//! use alchemy_conformance::{backends, models, runner};
//! use alchemy_core::Repository;
//!
//! /// The `main` of a test target checking one diesel model.
//! fn check<R>(repo: R, sample: fn(u32) -> R::Model) -> !
//! where
//!     R: Repository<Session = alchemy_diesel::DieselSession> + Clone + 'static,
//! {
//!     runner::main_with(|env| models::model_trials(backends::Diesel, env, repo, sample))
//! }
//! ```

#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
use alchemy_core::{Result, audit::SharedClock, schema::quote};

#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
use crate::harness::{Backend, Target};

/// `CREATE SCHEMA` for a PostgreSQL target, before connecting to it.
#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
fn create_schema(schema: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema))
}

/// `DROP SCHEMA` for a PostgreSQL target, at teardown.
#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
fn drop_schema(schema: &str) -> String {
    format!("DROP SCHEMA IF EXISTS {} CASCADE", quote(schema))
}

/// alchemy-sqlx on database `DB` (`sqlx::Postgres`, `sqlx::Sqlite` or
/// `sqlx::MySql` for MariaDB):
/// its handle is typed by database, so a case's target must be `DB`'s.
#[cfg(feature = "sqlx")]
#[derive(Debug)]
pub struct Sqlx<DB>(std::marker::PhantomData<fn() -> DB>);

#[cfg(feature = "sqlx")]
impl<DB> Default for Sqlx<DB> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

#[cfg(feature = "sqlx")]
impl<DB> Clone for Sqlx<DB> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// `CREATE DATABASE` for a MariaDB target, before connecting to it.
#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
fn create_database(database: &str) -> String {
    format!(
        "CREATE DATABASE IF NOT EXISTS {}",
        alchemy_core::schema::Dialect::MariaDb.quote(database)
    )
}

/// `DROP DATABASE` for a MariaDB target, at teardown.
#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
fn drop_database(database: &str) -> String {
    format!(
        "DROP DATABASE IF EXISTS {}",
        alchemy_core::schema::Dialect::MariaDb.quote(database)
    )
}

/// What to run on the server before a case and after it: the schema or
/// database of `target` created or dropped, on the server's own URL; none
/// for SQLite.
#[cfg(any(feature = "sqlx", feature = "diesel", feature = "seaorm"))]
fn on_server(target: &Target, create: bool) -> Option<(&str, String)> {
    match target {
        Target::Postgres { url, schema } => Some((
            url,
            if create {
                create_schema(schema)
            } else {
                drop_schema(schema)
            },
        )),
        Target::MariaDb { url, database } => Some((
            url,
            if create {
                create_database(database)
            } else {
                drop_database(database)
            },
        )),
        Target::Sqlite { .. } => None,
    }
}

#[cfg(feature = "sqlx")]
impl<DB: alchemy_sqlx::SqlxBackend> Sqlx<DB> {
    async fn on_server(target: &Target, create: bool) -> Result<()> {
        let Some((url, sql)) = on_server(target, create) else {
            return Ok(());
        };
        // The server's own connection: sqlx names its drivers by database.
        let sql = sqlx::AssertSqlSafe(sql);
        match target.dialect() {
            alchemy_core::schema::Dialect::MariaDb => {
                let admin = alchemy_sqlx::MariaDb::connect(url).await?;
                sqlx::raw_sql(sql)
                    .execute(admin.pool())
                    .await
                    .map_err(alchemy_core::Error::backend)?;
                admin.pool().close().await;
            }
            _ => {
                let admin = alchemy_sqlx::PgDb::connect(url).await?;
                sqlx::raw_sql(sql)
                    .execute(admin.pool())
                    .await
                    .map_err(alchemy_core::Error::backend)?;
                admin.pool().close().await;
            }
        }
        Ok(())
    }
}

#[cfg(feature = "sqlx")]
impl<DB: alchemy_sqlx::SqlxBackend> Backend for Sqlx<DB> {
    const NAME: &'static str = "sqlx";
    type Db = alchemy_sqlx::SqlxDb<DB>;

    async fn connect(&self, target: &Target, clock: SharedClock) -> Result<Self::Db> {
        if target.dialect() != DB::DIALECT {
            return Err(alchemy_core::Error::invalid_input(
                "the sqlx backend and the target disagree on the database",
            ));
        }
        Self::on_server(target, true).await?;
        Ok(alchemy_sqlx::SqlxDb::<DB>::connect(&target.url())
            .await?
            .with_clock(clock))
    }

    async fn teardown(&self, target: &Target) -> Result<()> {
        Self::on_server(target, false).await
    }
}

/// alchemy-diesel, on any of its databases.
#[cfg(feature = "diesel")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Diesel;

#[cfg(feature = "diesel")]
impl Diesel {
    async fn on_server(target: &Target, create: bool) -> Result<()> {
        if let Some((url, sql)) = on_server(target, create) {
            let admin = alchemy_diesel::DieselDb::connect(url).await?;
            admin.batch_execute(&sql).await?;
        }
        Ok(())
    }
}

#[cfg(feature = "diesel")]
impl Backend for Diesel {
    const NAME: &'static str = "diesel";
    type Db = alchemy_diesel::DieselDb;

    async fn connect(&self, target: &Target, clock: SharedClock) -> Result<Self::Db> {
        Self::on_server(target, true).await?;
        Ok(alchemy_diesel::DieselDb::connect(&target.url())
            .await?
            .with_clock(clock))
    }

    async fn teardown(&self, target: &Target) -> Result<()> {
        Self::on_server(target, false).await
    }
}

/// alchemy-seaorm, on any of its databases.
#[cfg(feature = "seaorm")]
#[derive(Debug, Clone, Copy, Default)]
pub struct SeaOrm;

#[cfg(feature = "seaorm")]
impl SeaOrm {
    /// Creates (`create`) or drops the schema or database of `target` on
    /// its server; nothing for SQLite. One handle serves every database.
    async fn on_server(target: &Target, create: bool) -> Result<()> {
        use alchemy_seaorm::sea_orm::ConnectionTrait;
        let Some((url, sql)) = on_server(target, create) else {
            return Ok(());
        };
        let db = alchemy_seaorm::SeaDb::connect(url).await?;
        db.connection()
            .execute_unprepared(&sql)
            .await
            .map_err(alchemy_core::Error::backend)?;
        db.connection()
            .clone()
            .close()
            .await
            .map_err(alchemy_core::Error::backend)
    }
}

#[cfg(feature = "seaorm")]
impl Backend for SeaOrm {
    const NAME: &'static str = "seaorm";
    type Db = alchemy_seaorm::SeaDb;

    async fn connect(&self, target: &Target, clock: SharedClock) -> Result<Self::Db> {
        Self::on_server(target, true).await?;
        Ok(alchemy_seaorm::SeaDb::connect(&target.url())
            .await?
            .with_clock(clock))
    }

    async fn teardown(&self, target: &Target) -> Result<()> {
        Self::on_server(target, false).await
    }
}
