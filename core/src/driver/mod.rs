//! The driver API: what a backend implements so that the repository,
//! written once here, runs on its ORM. **For backend authors**, not for
//! applications, and **not semver-stable**: like sqlx-core's driver API, it
//! changes whenever the backends need it to.
//!
//! A backend supplies only what depends on its ORM:
//! - a statement builder that implements [`SqlWriter`] (its text, and its
//!   values bound by its own codec);
//! - [`Driver`], implemented by its session type for each model type it can
//!   decode: the database's [`Dialect`], the bind limit, and running one
//!   statement (rows, values, a count of rows written).
//!
//! Everything else is written once, in this module's private `ops`: the
//! statements' text, chunking under the bind limit, count checks, the
//! identity map and unique-cache bookkeeping, the upsert plan, savepoints,
//! and the rules each [`Repository`] method documents. [`DriverRepository`]
//! is the [`Repository`] of every model over every driver, and
//! [`DriverLinkRepository`] the [`LinkRepository`](crate::LinkRepository)
//! of every association table; each backend names them
//! (`SqlxRepository`, `SeaRepository`, ..).
//!
//! # Statement caches
//! A statement made by [`Driver::sql`] with a [`CacheKey`] is written the
//! same way on every call for one model: the same text and the same bind
//! types, only the values differ. A backend may cache its prepared form by
//! the key (diesel's type-level statement ids) or keep its text (sqlx finds
//! prepared statements by text), and then ignore the text written into it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use crate::filter::{Condition, Query};
use crate::schema::{ColumnType, Dialect};
use crate::session::Session;
use crate::sql::SqlWriter;
use crate::unique::Unique;
use crate::value::Value;
use crate::{KeyOf, Model, Repository, Result, Upserted};

pub use link::DriverLinkRepository;

pub mod copy;
pub mod declaration;
pub mod insert;
mod link;
mod ops;
mod statements;
pub(crate) mod trace;

use trace::traced;

/// A statement whose text and bind types depend only on the model and the
/// database; see [the module docs](self#statement-caches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CacheKey {
    /// `SELECT <every column> FROM t WHERE key = ?`.
    GetByKey,
    /// `SELECT <every column> FROM t WHERE u1 = ? AND ..`: the row with a
    /// natural key ([`Unique`]).
    GetByUnique,
    /// `UPDATE t SET <every column but the key and created_at> WHERE key = ?
    /// RETURNING created_at`.
    UpdateWhole,
    /// One row's `INSERT .. ON CONFLICT DO NOTHING RETURNING <every column>`.
    InsertAbsent,
}

/// Runs the statements the repository writes, for model `M`: implemented by
/// a backend's session type (see the [module docs](self)).
///
/// Every method that runs a statement counts it in the session's
/// [`SessionState`](crate::session::SessionState) (`begin_statement` before,
/// `finish_statement` after), so a statement the database rejects fails the
/// session, and converts the ORM's error into [`crate::Error`].
pub trait Driver<M: Model>: Session {
    /// The backend's statement builder.
    type Sql: SqlWriter + Send;

    /// The database the session runs on.
    fn dialect(&self) -> Dialect;

    /// Most values one bulk statement binds: at most the database's limit
    /// ([`Dialect::max_binds`]); by default [`BINDS_PER_STATEMENT`] under
    /// it. A backend lowers it where its ORM is leaner with smaller
    /// statements.
    fn max_binds(&self) -> usize {
        self.dialect().max_binds().min(BINDS_PER_STATEMENT)
    }

    /// Whether [`SqlWriter::bind_array`] takes NULL elements; yes by
    /// default. A backend whose ORM binds arrays without NULLs (SeaORM's)
    /// says no, and a bulk insert whose rows hold a NULL is then written as
    /// `VALUES` lists instead of one array per column.
    fn arrays_take_nulls(&self) -> bool {
        true
    }

    /// An empty statement; with `cache`, one written the same way on every
    /// call for `M` (see [the module docs](self#statement-caches)).
    fn sql(&self, cache: Option<CacheKey>) -> Self::Sql;

    /// Runs `sql`, which selects every column of `M`'s table in order, and
    /// decodes every row.
    fn rows(&mut self, sql: Self::Sql) -> impl Future<Output = Result<Vec<M>>> + Send;

    /// As [`Driver::rows`], for a statement that returns at most one row.
    fn row(&mut self, sql: Self::Sql) -> impl Future<Output = Result<Option<M>>> + Send {
        async move { Ok(self.rows(sql).await?.into_iter().next()) }
    }

    /// Runs `sql`, which selects every column of `M`'s table and then a
    /// `BIGINT` column named [`TOTAL`], and decodes every row with it.
    fn rows_and_total(
        &mut self,
        sql: Self::Sql,
    ) -> impl Future<Output = Result<Vec<(M, i64)>>> + Send;

    /// Runs `sql` and decodes every row as values, column `i` as
    /// `types[i]` (a NULL as [`Value::Null`]), all rows in one list, row
    /// after row. Each selected column is named after a column of `M`'s
    /// table (or is [`TOTAL`]), for backends that decode by name.
    fn values(
        &mut self,
        sql: Self::Sql,
        types: &[ColumnType],
    ) -> impl Future<Output = Result<Vec<Value>>> + Send;

    /// As [`Driver::values`] of one column of type `ty`: the first row's
    /// value, if a row was returned.
    fn scalar(
        &mut self,
        sql: Self::Sql,
        ty: ColumnType,
    ) -> impl Future<Output = Result<Option<Value>>> + Send {
        async move { Ok(self.values(sql, &[ty]).await?.into_iter().next()) }
    }

    /// Runs `sql`, which returns no rows; the number of rows it wrote.
    fn execute(&mut self, sql: Self::Sql) -> impl Future<Output = Result<u64>> + Send;

    /// Whether this session can run a binary `COPY .. FROM STDIN`
    /// ([`Driver::copy_in`]); no by default. A PostgreSQL driver whose
    /// ORM exposes `COPY` in a transaction says yes, and `add_many` then
    /// sends large inserts of known rows that way ([`copy`]).
    fn copies(&self) -> bool {
        false
    }

    /// Runs `statement` ([`copy::copy_statement`]) with `payload`
    /// ([`copy::copy_payload`]) in the session, as one statement (it
    /// counts and fails the session as [`Driver::execute`] does); the
    /// number of rows written. Only called when [`Driver::copies`] says yes.
    ///
    /// # Errors
    /// The database's errors, as for [`Driver::execute`]; by default
    /// [`crate::Error::Backend`], since the driver has no `COPY`.
    fn copy_in(
        &mut self,
        statement: &str,
        payload: Vec<u8>,
    ) -> impl Future<Output = Result<u64>> + Send {
        let _ = (statement, payload);
        async { Err(crate::Error::backend("this driver has no COPY")) }
    }
}

/// The default bind budget of one bulk statement: SQLite's limit, kept on
/// PostgreSQL (65,535), where sqlx (also under SeaORM) runs a 30,000-bind
/// statement no slower per row and smaller ones slower (each costs a
/// round trip and its own preparation).
pub const BINDS_PER_STATEMENT: usize = 32_766;

/// The name of the column a list-and-count adds for the total
/// (`count(*) OVER ()`), and of the column of a count.
pub const TOTAL: &str = "__alchemy_total";

/// The name of the text column that carries, on a database that
/// aggregates them ([`SqlDialect::aggregates_keys`]), the keys an insert
/// made: their decimal digits, comma-separated, in ascending order.
///
/// [`SqlDialect::aggregates_keys`]: crate::dialect::SqlDialect::aggregates_keys
pub const KEYS: &str = "__alchemy_keys";

/// The [`Repository`] of model `M` over driver `D` (a backend's session
/// type), written once for every backend; each backend gives it its own
/// name. Stateless and `Copy`: every call runs in the session it is given.
pub struct DriverRepository<M, D> {
    _marker: PhantomData<fn() -> (M, D)>,
}

impl<M, D> DriverRepository<M, D> {
    /// A repository value.
    pub const fn new() -> Self {
        Self {
            _marker: PhantomData,
        }
    }
}

impl<M, D> Default for DriverRepository<M, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M, D> Clone for DriverRepository<M, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, D> Copy for DriverRepository<M, D> {}

impl<M, D> fmt::Debug for DriverRepository<M, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Repository<{}>", std::any::type_name::<M>())
    }
}

impl<M: Model, D: Driver<M>> Repository for DriverRepository<M, D> {
    type Model = M;
    type Session = D;

    async fn add(&self, session: &mut D, model: M) -> Result<M> {
        traced!(
            M::table().name(),
            session,
            "add",
            ops::add(session, model).await
        )
    }

    async fn add_many(&self, session: &mut D, models: Vec<M>) -> Result<Vec<M>> {
        traced!(M::table().name(), session, "add_many", {
            let now = session.state().now();
            insert::add_many(session, models, now).await
        })
    }

    async fn get(&self, session: &mut D, key: &KeyOf<M>) -> Result<M> {
        traced!(
            M::table().name(),
            session,
            "get",
            ops::get(session, key).await
        )
    }

    async fn list(&self, session: &mut D, query: &Query) -> Result<Vec<M>> {
        traced!(
            M::table().name(),
            session,
            "list",
            ops::list(session, query).await
        )
    }

    async fn count(&self, session: &mut D, filter: Option<&Condition>) -> Result<u64> {
        traced!(
            M::table().name(),
            session,
            "count",
            ops::count::<M, D>(session, filter).await
        )
    }

    async fn list_and_count(&self, session: &mut D, query: &Query) -> Result<(Vec<M>, u64)> {
        traced!(
            M::table().name(),
            session,
            "list_and_count",
            ops::list_and_count(session, query).await
        )
    }

    async fn update(&self, session: &mut D, model: M) -> Result<M> {
        traced!(
            M::table().name(),
            session,
            "update",
            ops::update(session, model).await
        )
    }

    async fn update_many(&self, session: &mut D, models: Vec<M>) -> Result<Vec<M>> {
        traced!(
            M::table().name(),
            session,
            "update_many",
            ops::update_many(session, models).await
        )
    }

    async fn upsert_many(
        &self,
        session: &mut D,
        models: Vec<M>,
        match_fields: &[&str],
    ) -> Result<Upserted<M>> {
        traced!(
            M::table().name(),
            session,
            "upsert_many",
            ops::upsert_many(session, models, match_fields).await
        )
    }

    async fn delete(&self, session: &mut D, key: &KeyOf<M>) -> Result<M> {
        traced!(
            M::table().name(),
            session,
            "delete",
            ops::delete(session, key).await
        )
    }

    async fn delete_many(&self, session: &mut D, keys: &[KeyOf<M>]) -> Result<Vec<M>> {
        traced!(
            M::table().name(),
            session,
            "delete_many",
            ops::delete_many(session, keys).await
        )
    }

    async fn delete_where(&self, session: &mut D, filter: &Condition) -> Result<Vec<M>> {
        traced!(
            M::table().name(),
            session,
            "delete_where",
            ops::delete_where(session, filter).await
        )
    }

    async fn add_if_absent(
        &self,
        session: &mut D,
        model: M,
        conflict_columns: &[&str],
    ) -> Result<Option<M>> {
        traced!(
            M::table().name(),
            session,
            "add_if_absent",
            ops::add_if_absent(session, model, conflict_columns).await
        )
    }

    async fn get_unique_or_none(&self, session: &mut D, key: &M::UniqueKey) -> Result<Option<M>>
    where
        M: Unique,
    {
        traced!(
            M::table().name(),
            session,
            "get_unique_or_none",
            ops::get_unique(session, key, false).await
        )
    }

    async fn get_unique_newest_or_none(
        &self,
        session: &mut D,
        key: &M::UniqueKey,
    ) -> Result<Option<M>>
    where
        M: Unique,
    {
        traced!(
            M::table().name(),
            session,
            "get_unique_newest_or_none",
            ops::get_unique(session, key, true).await
        )
    }
}
