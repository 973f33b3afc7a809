//! [`repository!`](crate::repository!): the [`alchemy_core::Repository`] of a
//! diesel model, generated for one model and its `table!`.
//!
//! diesel's query types depend on the table and the backend, so a repository
//! generic over "any diesel table" needs bounds no user wants to read; the
//! macro writes the concrete impl instead (each call's loading is
//! type-checked once for PostgreSQL and once for SQLite).
//!
//! The model needs, next to [`alchemy_core::Model`] (whose
//! [`values`](alchemy_core::Model::values) are what every write binds):
//! `#[derive(Queryable, Selectable)]` with `#[diesel(table_name = ..)]` over
//! a `table!` whose column names match [`alchemy_core::Model::table`]. Use
//! [`types::Uuid`](crate::types::Uuid) and
//! [`types::Timestamp`](crate::types::Timestamp) for UUID and timestamp
//! columns. Statements are SQL text built from the model's
//! [`alchemy_core::schema::Table`] (quoted identifiers) with every value a
//! bind parameter; rows are read through the `Selectable` column list.
//! `Insertable`/`AsChangeset` derives are not needed by the repository (they
//! stay useful for hand-written diesel queries through
//! [`Session::connection`](crate::Session::connection)).

use alchemy_core::base::Model;
use alchemy_core::{Error, Result};

/// Checks that a statement that inserted (or upserted) `expected` rows
/// returned as many.
///
/// # Errors
/// [`Error::Backend`] naming the table when counts differ.
#[doc(hidden)]
pub fn __check_returned<M: Model>(expected: usize, rows: &[M]) -> Result<()> {
    if rows.len() == expected {
        Ok(())
    } else {
        Err(Error::backend(format!(
            "INSERT INTO {} returned {} rows for {expected}",
            M::table().name(),
            rows.len()
        )))
    }
}

/// Runs `$body` with `$conn` bound to the session's native connection, once
/// typed for PostgreSQL and once for SQLite.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_connection {
    ($session:expr, |$conn:ident| $body:expr) => {
        match $session.__statement_connection()? {
            $crate::session::ConnectionMut::Postgres($conn) => $body,
            $crate::session::ConnectionMut::Sqlite($conn) => $body,
        }
    };
}

/// Loads the rows of statement `$sql` (a [`crate::sql::Sql`]) as `$ty`,
/// selecting `$select`, on the session's connection; counts the statement
/// and converts its error.
#[doc(hidden)]
#[macro_export]
macro_rules! __load {
    ($session:expr, $model:ty, $ty:ty, $sql:expr, $select:expr $(, fixed = $kind:ty)?) => {{
        let sql: $crate::sql::Sql = $sql;
        let result: $crate::__private::diesel::QueryResult<::std::vec::Vec<$ty>> =
            $crate::__with_connection!($session, |conn| {
                $crate::__private::diesel_async::RunQueryDsl::load(
                    $crate::__query!(sql, $select $(, $model, $kind)?),
                    conn,
                )
                .await
            });
        $session.__sent(
            <$model as $crate::__private::alchemy_core::Model>::table(),
            result,
        )
    }};
    ($session:expr, $model:ty, $sql:expr $(, fixed = $kind:ty)?) => {{
        #[allow(unused_imports)]
        use $crate::__private::diesel::SelectableHelper as _;
        let rows = $crate::__load!($session, $model, $model, $sql, <$model>::as_select() $(, fixed = $kind)?);
        // Remember what was loaded, so `update` writes only what changed.
        if let ::std::result::Result::Ok(rows) = &rows {
            $crate::__private::alchemy_core::Session::loaded(&mut *$session).record(rows);
        }
        rows
    }};
}

/// The diesel query of statement `$sql` selecting `$select`: found in
/// diesel's statement cache by its text, or (with a model and a
/// [`crate::sql::Fixed`] kind) by type.
#[doc(hidden)]
#[macro_export]
macro_rules! __query {
    ($sql:expr, $select:expr) => {
        $sql.query($select)
    };
    ($sql:expr, $select:expr, $model:ty, $kind:ty) => {
        $sql.fixed::<_, $model, $kind>($select)
    };
}

/// Generates a repository type implementing [`alchemy_core::Repository`]
/// for a diesel model and its table.
///
/// ```text
/// alchemy_diesel::repository! {
///     /// Posts.
///     pub struct PostRepository for Post, table = post::table
/// }
/// ```
///
/// The generated type is a `Copy` unit struct (`Debug`, `Default`, `Clone`).
/// Every call runs in an [`alchemy_diesel::Session`](crate::Session) and
/// follows the contracts (behaviour and errors) of [`alchemy_core::Repository`].
/// Values are written from [`alchemy_core::Model::values`] as bind
/// parameters typed by their columns; rows are read with the model's
/// `Selectable` derive. Statements: one per call, except
/// - `add_many`, `update_many`, `upsert_many`, `delete_many`: one statement
///   per chunk of rows, the chunks even and each under 8,192 binds (far
///   below SQLite's 32,766 and PostgreSQL's 65,535); `update_many` is
///   `UPDATE .. FROM (VALUES ..)`;
/// - `upsert_many`: first a `SELECT` of the key, `created_at` and match
///   columns of the stored rows matching (per chunk); then one `INSERT ..
///   ON CONFLICT (..) DO UPDATE` per chunk when the match fields are unique,
///   else `add_many` plus an `UPDATE` by key of every other column
///   (`FROM (VALUES ..)`, or one shared `SET .. WHERE key IN (..)` when
///   every row has the same values);
/// - `list_and_count`: one `SELECT` with `count(*) OVER ()`, plus a
///   `count(*)` only when the page is empty and offset > 0 (or limit 0);
/// - `add_if_absent`: one `INSERT .. ON CONFLICT DO NOTHING RETURNING ..`;
///   only after a conflict a `count(*)` on the conflict columns, and when no
///   row has them, a plain insert inside a savepoint that reports the other
///   constraint.
///
/// Inserts with client-made keys read nothing back (the rows are the
/// models as written); statements whose text does not depend on a row
/// count are cached as prepared statements by diesel.
///
/// Every write that can change a row cached by get-or-create (`update*`,
/// `upsert_many`, `delete*`) forgets the session's cached rows of the model.
///
/// See the [module docs](mod@crate::repository) for the derives the model needs.
#[macro_export]
macro_rules! repository {
    ($(#[$meta:meta])* $vis:vis struct $name:ident for $model:ty, table = $table:path $(,)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $crate::__private::alchemy_core::Repository for $name {
            type Model = $model;
            type Session = $crate::Session;

            async fn add(
                &self,
                session: &mut $crate::Session,
                model: $model,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                <Self as $crate::__private::alchemy_core::Repository>::add_many(self, session, ::std::vec![model])
                    .await?
                    .pop()
                    .ok_or_else(|| $crate::__private::alchemy_core::Error::backend("INSERT returned no row"))
            }

            async fn add_many(
                &self,
                session: &mut $crate::Session,
                models: ::std::vec::Vec<$model>,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {
                use $crate::__private::alchemy_core::insert;
                use $crate::__private::alchemy_core::sql::Statement;
                use $crate::__private::alchemy_core::schema::{ColumnType, Dialect};
                use $crate::__private::alchemy_core::{Model as _, Result};
                use $crate::__private::alchemy_core::filter::Value;
                /// The statements of `add_many` on a session.
                struct Inserter<'s>(&'s mut $crate::Session);
                impl insert::Insert<$model> for Inserter<'_> {
                    fn state(&mut self) -> &mut $crate::__private::alchemy_core::session::SessionState {
                        $crate::__private::alchemy_core::Session::state_mut(&mut *self.0)
                    }
                    fn dialect(&self) -> Dialect {
                        self.0.dialect()
                    }
                    fn rows_per_statement(&self, columns: usize) -> usize {
                        $crate::sql::per_statement(self.0.dialect(), columns)
                    }
                    async fn insert(&mut self, rows: &[$model]) -> Result<u64> {
                        let sql = $crate::sql::insert_whole(rows);
                        let written = self.0.__execute_sql(<$model>::table(), sql).await?;
                        ::std::result::Result::Ok(u64::try_from(written).unwrap_or(u64::MAX))
                    }
                    async fn insert_returning(&mut self, rows: &[$model]) -> Result<::std::vec::Vec<$model>> {
                        use $crate::__private::diesel::SelectableHelper as _;
                        let session = &mut *self.0;
                        let sql = $crate::sql::insert(rows, $crate::sql::OnConflict::Fail).returning();
                        $crate::__load!(session, $model, $model, sql, <$model>::as_select())
                    }
                    async fn query_values(&mut self, statement: &Statement, _: ColumnType) -> Result<::std::vec::Vec<Value>> {
                        let session = &mut *self.0;
                        let sql = $crate::sql::from_statement(statement);
                        let rows: $crate::__private::diesel::QueryResult<
                            ::std::vec::Vec<$crate::sql::StoredRow<$model>>,
                        > = $crate::__with_connection!(session, |conn| {
                            $crate::__private::diesel_async::RunQueryDsl::load(sql.untyped(), conn).await
                        });
                        let rows = session.__sent(<$model>::table(), rows)?;
                        ::std::result::Result::Ok(rows.into_iter().flat_map(|r| r.values).collect())
                    }
                }
                let now = session.__now();
                insert::add_many(&mut Inserter(session), models, now).await
            }

            async fn get(
                &self,
                session: &mut $crate::Session,
                key: &$crate::__private::alchemy_core::KeyOf<$model>,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                use $crate::__private::alchemy_core::Model as _;
                let sql = $crate::sql::get::<$model>(::std::clone::Clone::clone(key).into())?;
                $crate::__load!(session, $model, sql, fixed = $crate::sql::GetByKey)?.pop().ok_or_else(|| {
                    $crate::__private::alchemy_core::Error::not_found(<$model>::table().name(), key)
                })
            }

            async fn list(
                &self,
                session: &mut $crate::Session,
                query: &$crate::__private::alchemy_core::filter::Query,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {
                let sql = $crate::sql::list::<$model>(session.dialect(), query)?;
                $crate::__load!(session, $model, sql)
            }

            async fn count(
                &self,
                session: &mut $crate::Session,
                filter: ::std::option::Option<&$crate::__private::alchemy_core::filter::Condition>,
            ) -> $crate::__private::alchemy_core::Result<u64> {
                let sql = $crate::sql::count::<$model>(session.dialect(), filter)?;
                let n = $crate::__load!(
                    session,
                    $model,
                    i64,
                    sql,
                    // diesel's `count_star`, not an SQL literal: a literal
                    // keeps diesel from caching the prepared statement.
                    $crate::__private::diesel::dsl::count_star()
                )?;
                ::std::result::Result::Ok(
                    n.first().map_or(0, |&n| u64::try_from(n).unwrap_or(0)),
                )
            }

            async fn list_and_count(
                &self,
                session: &mut $crate::Session,
                query: &$crate::__private::alchemy_core::filter::Query,
            ) -> $crate::__private::alchemy_core::Result<(::std::vec::Vec<$model>, u64)> {
                use $crate::__private::diesel::SelectableHelper as _;
                use $crate::__private::diesel::expression_methods::WindowExpressionMethods as _;
                let sql = $crate::sql::list::<$model>(session.dialect(), query)?;
                let rows = $crate::__load!(
                    session,
                    $model,
                    ($model, i64),
                    sql,
                    (
                        <$model>::as_select(),
                        // `COUNT(*) OVER ()` as a diesel expression, so the
                        // statement is cached (an SQL literal is not).
                        $crate::__private::diesel::dsl::count_star().over(),
                    )
                )?;
                let ::std::option::Option::Some(&(_, total)) = rows.first() else {
                    // An empty page carries no total: count apart, so a page
                    // past the end still reports the true total.
                    let total = if query.offset.unwrap_or(0) > 0 || query.limit == ::std::option::Option::Some(0) {
                        <Self as $crate::__private::alchemy_core::Repository>::count(
                            self,
                            session,
                            query.filter.as_ref(),
                        )
                        .await?
                    } else {
                        0
                    };
                    return ::std::result::Result::Ok((::std::vec::Vec::new(), total));
                };
                let total = u64::try_from(total).unwrap_or(0);
                let rows: ::std::vec::Vec<$model> = rows.into_iter().map(|(m, _)| m).collect();
                $crate::__private::alchemy_core::Session::loaded(&mut *session).record(&rows);
                ::std::result::Result::Ok((rows, total))
            }

            async fn update(
                &self,
                session: &mut $crate::Session,
                mut model: $model,
            ) -> $crate::__private::alchemy_core::Result<$model> {

                let result: $crate::__private::alchemy_core::Result<$model> = async {
                use $crate::__private::alchemy_core::{Model as _, Session as _};
                $crate::__private::alchemy_core::base::prepare_update(&mut model, session.__now())?;
                session.unique_cache().forget::<$model>();
                let plan = $crate::__private::alchemy_core::identity::update_plan::<$model>(
                    session.loaded().changed(&model),
                );
                if plan.columns.is_empty() {
                    // Nothing to write (no change, no audit column): the stored row.
                    return $crate::__private::alchemy_core::Repository::get(self, session, model.key()).await;
                }
                let not_found = || {
                    $crate::__private::alchemy_core::Error::not_found(<$model>::table().name(), model.key())
                };
                let sql = $crate::sql::update(&model, &plan.columns)?;
                match plan.read_back {
                    $crate::__private::alchemy_core::identity::ReadBack::Row => {
                        $crate::__load!(session, $model, sql.returning())?.pop().ok_or_else(not_found)
                    }
                    // Every other column was written from the model: only
                    // `created_at` is read back.
                    $crate::__private::alchemy_core::identity::ReadBack::CreatedAt => {
                        let created = $crate::__load!(
                            session,
                            $model,
                            $crate::__private::chrono::DateTime<$crate::__private::chrono::Utc>,
                            sql.returning_created_at(),
                            $crate::__private::diesel::dsl::sql::<$crate::types::Timestamp>("\"created_at\""),
                            fixed = $crate::sql::UpdateWhole
                        )?
                        .pop()
                        .ok_or_else(not_found)?;
                        if let ::std::option::Option::Some(mut stamps) = model.timestamps() {
                            stamps.created_at = created;
                            model.set_timestamps(stamps);
                        }
                        session.loaded().record(::std::slice::from_ref(&model));
                        ::std::result::Result::Ok(model)
                    }
                    $crate::__private::alchemy_core::identity::ReadBack::Nothing => {
                        if session.__execute_sql(<$model>::table(), sql).await? == 0 {
                            return ::std::result::Result::Err(not_found());
                        }
                        session.loaded().record(::std::slice::from_ref(&model));
                        ::std::result::Result::Ok(model)
                    }
                }

                }

                .await;

                // A foreign key this write broke, named where the database did not.

                result.map_err(|e| $crate::__private::alchemy_core::error::name_foreign_key(e, <$model as $crate::__private::alchemy_core::Model>::table()))

            }

            async fn update_many(
                &self,
                session: &mut $crate::Session,
                mut models: ::std::vec::Vec<$model>,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {

                let before = $crate::__private::alchemy_core::Session::statements(&*session);
                let result: $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> = async {
                use $crate::__private::alchemy_core::Session as _;
                if models.is_empty() {
                    return ::std::result::Result::Ok(models);
                }
                $crate::__private::alchemy_core::bulk::distinct_keys(&models)?;
                let now = session.__now();
                for m in &mut models {
                    $crate::__private::alchemy_core::base::prepare_update(m, now)?;
                }
                session.unique_cache().forget::<$model>();
                let per_statement = $crate::sql::update_many_rows::<$model>(session.dialect());
                let mut out = ::std::vec::Vec::with_capacity(models.len());
                for chunk in $crate::__private::alchemy_core::bulk::chunks(&models, per_statement) {
                    let sql = $crate::sql::update_many(chunk)?;
                    let rows = $crate::__load!(session, $model, sql)?;
                    out.extend($crate::__private::alchemy_core::bulk::in_key_order(chunk, rows)?);
                }
                ::std::result::Result::Ok(out)

                }

                .await;

                // A foreign key named; a failure after a write fails the session.

                $crate::__private::alchemy_core::Session::state_mut(&mut *session).finish_writes(before, <$model as $crate::__private::alchemy_core::Model>::table(), result)

            }

            async fn upsert_many(
                &self,
                session: &mut $crate::Session,
                models: ::std::vec::Vec<$model>,
                match_fields: &[&str],
            ) -> $crate::__private::alchemy_core::Result<$crate::__private::alchemy_core::Upserted<$model>> {

                let before = $crate::__private::alchemy_core::Session::statements(&*session);
                let result: $crate::__private::alchemy_core::Result<$crate::__private::alchemy_core::Upserted<$model>> = async {
                use $crate::__private::alchemy_core::bulk::{self, Plan};
                use $crate::__private::alchemy_core::{Model as _, Repository as _, Session as _, Upserted};
                let prepared = bulk::prepare(models, match_fields)?;
                if prepared.models.is_empty() {
                    return ::std::result::Result::Ok(Upserted {
                        rows: prepared.models,
                        created: 0,
                        updated: 0,
                    });
                }
                let columns = ::std::clone::Clone::clone(&prepared.columns);
                let stored = prepared.stored_columns();
                let mut existing = bulk::Rows::with_capacity(stored.len(), 0);
                for chunk in prepared.wanted.chunks(
                    $crate::sql::per_statement(session.dialect(), columns.len()),
                ) {
                    let sql = $crate::sql::existing_by::<$model>(session.dialect(), &stored, &columns, chunk);
                    let rows: $crate::__private::diesel::QueryResult<
                        ::std::vec::Vec<$crate::sql::StoredRow<$model>>,
                    > = $crate::__with_connection!(session, |conn| {
                        $crate::__private::diesel_async::RunQueryDsl::load(sql.untyped(), conn).await
                    });
                    existing.extend(session.__sent(<$model>::table(), rows)?.into_iter().flat_map(|r| r.values));
                }
                session.unique_cache().forget::<$model>();
                match prepared.plan(existing, session.__now())? {
                    Plan::Native { models, created, updated } => {
                        // Race-free: the database settles a concurrent insert
                        // of the same values.
                        let per_statement = $crate::sql::per_statement(
                            session.dialect(),
                            $crate::sql::insert_columns::<$model>().len(),
                        );
                        let mut rows = ::std::vec::Vec::with_capacity(models.len());
                        for chunk in bulk::chunks(&models, per_statement) {
                            let sql = $crate::sql::insert(chunk, $crate::sql::OnConflict::Update(&columns)).returning();
                            let stored = $crate::__load!(session, $model, sql)?;
                            $crate::repository::__check_returned(chunk.len(), &stored)?;
                            rows.extend(bulk::in_input_order(chunk, stored, &columns)?);
                        }
                        ::std::result::Result::Ok(Upserted { rows, created, updated })
                    }
                    Plan::Split { inserts, updates, written, shared, order, created, updated } => {
                        let inserted = self.add_many(session, inserts).await?;
                        if !written.is_empty() {
                            // The rows are known (the input, with the stored
                            // key and created_at), so nothing is read back; a
                            // row deleted since the SELECT shows as a short count.
                            let rows = bulk::update_rows_per_statement(
                                $crate::sql::statement_binds(session.dialect()),
                                written.len(),
                                shared.is_some(),
                            );
                            for chunk in bulk::chunks(&updates, rows) {
                                let sql = match &shared {
                                    ::std::option::Option::Some(values) => {
                                        let keys: ::std::vec::Vec<$crate::__private::alchemy_core::filter::Value> =
                                            chunk.iter().map(|m| ::std::clone::Clone::clone(m.key()).into()).collect();
                                        $crate::sql::update_shared::<$model>(session.dialect(), &written, values, &keys)?
                                    }
                                    ::std::option::Option::None => $crate::sql::update_from_values(chunk, &written)?,
                                };
                                let written = session.__execute_sql(<$model>::table(), sql).await?;
                                bulk::check_updated::<$model>(chunk.len(), u64::try_from(written).unwrap_or(u64::MAX))?;
                            }
                        }
                        ::std::result::Result::Ok(Upserted {
                            rows: order.reassemble(inserted, updates)?,
                            created,
                            updated,
                        })
                    }
                }

                }

                .await;

                // A foreign key named; a failure after a write fails the session.

                $crate::__private::alchemy_core::Session::state_mut(&mut *session).finish_writes(before, <$model as $crate::__private::alchemy_core::Model>::table(), result)

            }

            async fn delete(
                &self,
                session: &mut $crate::Session,
                key: &$crate::__private::alchemy_core::KeyOf<$model>,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                use $crate::__private::alchemy_core::{Model as _, Session as _};
                let sql = $crate::sql::delete_keys::<$model>(&[::std::clone::Clone::clone(key).into()])?;
                session.unique_cache().forget::<$model>();
                let row = $crate::__load!(session, $model, sql)?.pop().ok_or_else(|| {
                    $crate::__private::alchemy_core::Error::not_found(<$model>::table().name(), key)
                })?;
                session.loaded().forget::<$model>(row.key());
                ::std::result::Result::Ok(row)
            }

            async fn delete_many(
                &self,
                session: &mut $crate::Session,
                keys: &[$crate::__private::alchemy_core::KeyOf<$model>],
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {
                use $crate::__private::alchemy_core::Session as _;
                session.unique_cache().forget::<$model>();
                let mut out = ::std::vec::Vec::with_capacity(keys.len());
                for chunk in $crate::__private::alchemy_core::bulk::chunks(keys, $crate::sql::per_statement(session.dialect(), 1)) {
                    let values: ::std::vec::Vec<$crate::__private::alchemy_core::filter::Value> =
                        chunk.iter().map(|k| ::std::clone::Clone::clone(k).into()).collect();
                    let sql = $crate::sql::delete_keys::<$model>(&values)?;
                    out.extend($crate::__load!(session, $model, sql)?);
                }
                session.loaded().forget_rows(&out);
                ::std::result::Result::Ok(out)
            }

            async fn delete_where(
                &self,
                session: &mut $crate::Session,
                filter: &$crate::__private::alchemy_core::filter::Condition,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {
                use $crate::__private::alchemy_core::Session as _;
                let sql = $crate::sql::delete_where::<$model>(session.dialect(), filter)?;
                session.unique_cache().forget::<$model>();
                let rows = $crate::__load!(session, $model, sql)?;
                session.loaded().forget_rows(&rows);
                ::std::result::Result::Ok(rows)
            }

            async fn add_if_absent(
                &self,
                session: &mut $crate::Session,
                mut model: $model,
                conflict_columns: &[&str],
            ) -> $crate::__private::alchemy_core::Result<::std::option::Option<$model>> {

                let result: $crate::__private::alchemy_core::Result<::std::option::Option<$model>> = async {
                use $crate::__private::alchemy_core::Repository as _;
                use $crate::__private::diesel::SelectableHelper as _;
                // Checks the conflict columns before anything is sent.
                $crate::__private::alchemy_core::base::check_fields::<$model>(conflict_columns)?;
                $crate::__private::alchemy_core::base::prepare_insert(&mut model, session.__now())?;
                let one = ::std::slice::from_ref(&model);
                // No conflict target: every unique index settles a concurrent
                // insert of the same row (PostgreSQL would otherwise report
                // one on a non-target index, the slug say).
                let sql = $crate::sql::insert(one, $crate::sql::OnConflict::Nothing).returning();
                let mut rows = $crate::__load!(
                    session,
                    $model,
                    $model,
                    sql,
                    <$model>::as_select(),
                    fixed = $crate::sql::InsertAbsent
                )?;
                if let ::std::option::Option::Some(row) = rows.pop() {
                    return ::std::result::Result::Ok(::std::option::Option::Some(row));
                }
                // A conflict: usually the row exists; otherwise another unique
                // constraint, which the plain insert names.
                let same = $crate::__private::alchemy_core::base::match_condition(&model, conflict_columns)?;
                if self.count(session, ::std::option::Option::Some(&same)).await? > 0 {
                    return ::std::result::Result::Ok(::std::option::Option::None);
                }
                // The savepoint keeps the session usable after it fails.
                $crate::__private::alchemy_core::Session::savepoint(session, |session| {
                    ::std::boxed::Box::pin(async move {
                        let one = ::std::slice::from_ref(&model);
                        let sql = $crate::sql::insert(one, $crate::sql::OnConflict::Fail).returning();
                        ::std::result::Result::Ok(
                            $crate::__load!(session, $model, $model, sql, <$model>::as_select())?.pop(),
                        )
                    })
                })
                .await

                }

                .await;

                // A foreign key this write broke, named where the database did not.

                result.map_err(|e| $crate::__private::alchemy_core::error::name_foreign_key(e, <$model as $crate::__private::alchemy_core::Model>::table()))

            }
        }
    };
}
