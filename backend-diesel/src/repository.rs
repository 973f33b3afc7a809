//! [`repository!`](crate::repository!): the [`alchemy_core::Repository`] of a
//! diesel model, generated for one model and its `table!`.
//!
//! diesel's query types depend on the table and the backend, so a repository
//! generic over "any diesel table" needs bounds no user wants to read; the
//! macro writes the concrete impl instead (the queries of each call are
//! type-checked once for PostgreSQL and once for SQLite).
//!
//! The model needs, next to [`alchemy_core::Model`]:
//! `#[derive(Queryable, Selectable, Insertable, AsChangeset)]` with
//! `#[diesel(table_name = ..)]`, and
//! - `#[diesel(serialize_as = alchemy_diesel::types::UuidValue)]` /
//!   `#[diesel(serialize_as = alchemy_diesel::types::TimestampValue)]` on
//!   `uuid::Uuid` / `DateTime<Utc>` fields (diesel's coherence rules keep this
//!   crate from making those types expressions of its own SQL types);
//! - `#[diesel(treat_none_as_null = true)]` on a struct with `Option` fields,
//!   so `update` writes `None` as NULL (diesel's default skips it);
//! - `#[diesel(skip_update)]` on `created_at` (an update never moves it);
//! - `#[diesel(skip_insertion)]` on `id` when the database makes the key
//!   (`BigInt*` and `ServerUuid*` bases), so inserts omit it and read it back.

use std::collections::HashMap;

use alchemy_core::base::{KeyOf, Model, key_from_database};
use alchemy_core::{Error, Result};

/// How many rows of `M` fit one insert statement under `max_binds` parameters.
#[doc(hidden)]
pub fn __rows_per_insert<M: Model>(max_binds: usize) -> usize {
    let mut columns = M::table().columns().len();
    if key_from_database::<M>() {
        columns = columns.saturating_sub(1);
    }
    (max_binds / columns.max(1)).max(1)
}

/// Puts `rows` returned by a multi-row insert into the order of `keys` (the
/// input's client-generated keys). Database keys come back in insertion
/// order already and are passed through.
///
/// # Errors
/// [`Error::Backend`] when a row is missing from what the database returned.
#[doc(hidden)]
pub fn __in_input_order<M: Model>(keys: Vec<KeyOf<M>>, rows: Vec<M>) -> Result<Vec<M>> {
    if key_from_database::<M>() {
        return Ok(rows);
    }
    let mut by_key: HashMap<KeyOf<M>, M> = rows.into_iter().map(|r| (r.key().clone(), r)).collect();
    keys.into_iter()
        .map(|k| {
            by_key.remove(&k).ok_or_else(|| {
                Error::backend(format!(
                    "{}: the insert did not return the row with key {k}",
                    M::table().name()
                ))
            })
        })
        .collect()
}

/// Runs `$body` with `$conn` bound to the session's native connection, once
/// typed for PostgreSQL and once for SQLite.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_connection {
    ($session:expr, |$conn:ident| $body:expr) => {
        match $session.connection()? {
            $crate::session::ConnectionMut::Postgres($conn) => $body,
            $crate::session::ConnectionMut::Sqlite($conn) => $body,
        }
    };
}

/// Generates a repository type implementing [`alchemy_core::Repository`]
/// for a diesel model and its table.
///
/// ```ignore
/// alchemy_diesel::repository! {
///     /// Posts.
///     pub struct PostRepository for Post, table = post::table
/// }
/// ```
///
/// The generated type is a `Copy` unit struct (`Debug`, `Default`, `Clone`).
/// Every call runs in an [`alchemy_diesel::Session`](crate::Session) and
/// maps errors as described in [`alchemy_core::Repository`]. Statements:
/// one per call, except
/// - `add_many`: one multi-row `INSERT .. RETURNING` per chunk of rows that
///   fits the bind-parameter limit (on SQLite, also per run of rows leaving
///   the same `Option` columns to their defaults);
/// - `add_if_absent` on PostgreSQL: the insert runs inside a savepoint
///   (`SAVEPOINT`, `INSERT .. ON CONFLICT (..) DO NOTHING`, `RELEASE`). A
///   concurrent insert of the same row can make PostgreSQL report a
///   violation of *another* unique index (only the conflict target is an
///   arbiter); the insert is then rolled back to the savepoint and tried
///   once more, which finds the committed row and returns `None`.
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
                mut model: $model,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                use $crate::__private::diesel::{self, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                $crate::__private::alchemy_core::base::prepare_insert(&mut model, session.__now());
                let result = $crate::__with_connection!(session, |conn| {
                    $crate::__private::diesel_async::RunQueryDsl::get_result(
                        diesel::insert_into($table)
                            .values(::std::clone::Clone::clone(&model))
                            .returning(<$model>::as_returning()),
                        conn,
                    )
                    .await
                });
                session.__sent(<$model>::table(), result)
            }

            async fn add_many(
                &self,
                session: &mut $crate::Session,
                mut models: ::std::vec::Vec<$model>,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {
                use $crate::__private::diesel::{self, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                if models.is_empty() {
                    return ::std::result::Result::Ok(::std::vec::Vec::new());
                }
                let now = session.__now();
                for m in &mut models {
                    $crate::__private::alchemy_core::base::prepare_insert(m, now);
                }
                let per_statement =
                    $crate::repository::__rows_per_insert::<$model>(session.__max_binds());
                let mut stored = ::std::vec::Vec::with_capacity(models.len());
                for chunk in models.chunks(per_statement) {
                    let rows = chunk.to_vec();
                    let (sent, result): (u64, $crate::__private::diesel::QueryResult<::std::vec::Vec<$model>>) =
                        match session.connection()? {
                            $crate::session::ConnectionMut::Postgres(conn) => (
                                1,
                                $crate::__private::diesel_async::RunQueryDsl::get_results(
                                    diesel::insert_into($table)
                                        .values(rows)
                                        .returning(<$model>::as_returning()),
                                    conn,
                                )
                                .await,
                            ),
                            // Multi-row INSERTs (diesel itself would insert
                            // derived structs row by row on SQLite).
                            $crate::session::ConnectionMut::Sqlite(conn) => {
                                let values: ::std::vec::Vec<_> = rows
                                    .into_iter()
                                    .map(|m| diesel::Insertable::<$table>::values(m).values)
                                    .collect();
                                let mut sent = 0;
                                let mut inserted = ::std::vec::Vec::new();
                                let mut failed = ::std::option::Option::None;
                                for run in $crate::insert::runs_by_defaults(values) {
                                    sent += 1;
                                    match $crate::__private::diesel_async::RunQueryDsl::get_results(
                                        diesel::insert_into($table)
                                            .values($crate::insert::SqliteRows::<_, $table>::new(run))
                                            .returning(<$model>::as_returning()),
                                        conn,
                                    )
                                    .await
                                    {
                                        ::std::result::Result::Ok(rows) => inserted.extend(rows),
                                        ::std::result::Result::Err(e) => {
                                            failed = ::std::option::Option::Some(e);
                                            break;
                                        }
                                    }
                                }
                                (sent, match failed {
                                    ::std::option::Option::Some(e) => ::std::result::Result::Err(e),
                                    ::std::option::Option::None => ::std::result::Result::Ok(inserted),
                                })
                            }
                        };
                    stored.extend(session.__sent_many(sent, <$model>::table(), result)?);
                }
                let keys = models.iter().map(|m| m.key().clone()).collect();
                $crate::repository::__in_input_order::<$model>(keys, stored)
            }

            async fn get(
                &self,
                session: &mut $crate::Session,
                key: &$crate::__private::alchemy_core::KeyOf<$model>,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                use $crate::__private::diesel::{self, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                let result = $crate::__with_connection!(session, |conn| {
                    $crate::__private::diesel_async::RunQueryDsl::get_result(
                        $table.find($crate::types::SqlKey::sql_value(key)).select(<$model>::as_select()),
                        conn,
                    )
                    .await
                    .optional()
                });
                session.__sent(<$model>::table(), result)?.ok_or_else(|| {
                    $crate::__private::alchemy_core::Error::not_found(<$model>::table().name(), key)
                })
            }

            async fn get_one_or_none(
                &self,
                session: &mut $crate::Session,
                filter: &$crate::__private::alchemy_core::filter::Condition,
            ) -> $crate::__private::alchemy_core::Result<::std::option::Option<$model>> {
                use $crate::__private::diesel::{self, QueryDsl as _, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                let filter = $crate::Filter::new(filter, <$model>::table())?;
                let result: $crate::__private::diesel::QueryResult<::std::vec::Vec<$model>> =
                    $crate::__with_connection!(session, |conn| {
                        $crate::__private::diesel_async::RunQueryDsl::load(
                            $table
                                .filter(filter.clone())
                                .select(<$model>::as_select())
                                .limit(2),
                            conn,
                        )
                        .await
                    });
                let mut rows = session.__sent(<$model>::table(), result)?;
                if rows.len() > 1 {
                    return ::std::result::Result::Err(
                        $crate::__private::alchemy_core::Error::MultipleResults {
                            entity: <$model>::table().name().to_string(),
                        },
                    );
                }
                ::std::result::Result::Ok(rows.pop())
            }

            async fn update(
                &self,
                session: &mut $crate::Session,
                mut model: $model,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                use $crate::__private::diesel::{self, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                $crate::__private::alchemy_core::base::prepare_update(&mut model, session.__now());
                let key = model.key().clone();
                let result = $crate::__with_connection!(session, |conn| {
                    $crate::__private::diesel_async::RunQueryDsl::get_result(
                        diesel::update($table.find($crate::types::SqlKey::sql_value(&key)))
                            .set(::std::clone::Clone::clone(&model))
                            .returning(<$model>::as_returning()),
                        conn,
                    )
                    .await
                    .optional()
                });
                session.__sent(<$model>::table(), result)?.ok_or_else(|| {
                    $crate::__private::alchemy_core::Error::not_found(<$model>::table().name(), &key)
                })
            }

            async fn delete(
                &self,
                session: &mut $crate::Session,
                key: &$crate::__private::alchemy_core::KeyOf<$model>,
            ) -> $crate::__private::alchemy_core::Result<$model> {
                use $crate::__private::diesel::{self, OptionalExtension as _, QueryDsl as _, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                let result = $crate::__with_connection!(session, |conn| {
                    $crate::__private::diesel_async::RunQueryDsl::get_result(
                        diesel::delete($table.find($crate::types::SqlKey::sql_value(key)))
                            .returning(<$model>::as_returning()),
                        conn,
                    )
                    .await
                    .optional()
                });
                session.__sent(<$model>::table(), result)?.ok_or_else(|| {
                    $crate::__private::alchemy_core::Error::not_found(<$model>::table().name(), key)
                })
            }

            async fn add_if_absent(
                &self,
                session: &mut $crate::Session,
                mut model: $model,
                conflict_columns: &[&str],
            ) -> $crate::__private::alchemy_core::Result<::std::option::Option<$model>> {
                use $crate::__private::diesel::{self, OptionalExtension as _, SelectableHelper as _};
                use $crate::__private::alchemy_core::Model as _;
                let target = $crate::filter::conflict_target(<$model>::table(), conflict_columns)?;
                $crate::__private::alchemy_core::base::prepare_insert(&mut model, session.__now());
                // On PostgreSQL, a concurrent insert of the same row can make
                // the INSERT fail on *another* unique index (only the conflict
                // target is an arbiter) once the other transaction commits.
                // The insert runs in a savepoint; after such a failure it is
                // tried again, and now finds the committed row.
                let savepoint = session.dialect() == $crate::__private::alchemy_core::schema::Dialect::Postgres;
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    if savepoint {
                        session.__execute("SAVEPOINT alchemy_add_if_absent").await?;
                    }
                    let result = $crate::__with_connection!(session, |conn| {
                        $crate::__private::diesel_async::RunQueryDsl::get_result(
                            diesel::insert_into($table)
                                .values(::std::clone::Clone::clone(&model))
                                .on_conflict(diesel::dsl::sql::<diesel::sql_types::Bool>(&target))
                                .do_nothing()
                                .returning(<$model>::as_returning()),
                            conn,
                        )
                        .await
                        .optional()
                    });
                    match session.__sent(<$model>::table(), result) {
                        ::std::result::Result::Ok(row) => {
                            if savepoint {
                                session.__execute("RELEASE SAVEPOINT alchemy_add_if_absent").await?;
                            }
                            return ::std::result::Result::Ok(row);
                        }
                        ::std::result::Result::Err(
                            $crate::__private::alchemy_core::Error::DuplicateKey { .. },
                        ) if savepoint && attempt < 2 => {
                            session
                                .__execute("ROLLBACK TO SAVEPOINT alchemy_add_if_absent")
                                .await?;
                        }
                        ::std::result::Result::Err(e) => return ::std::result::Result::Err(e),
                    }
                }
            }
        }
    };
}
