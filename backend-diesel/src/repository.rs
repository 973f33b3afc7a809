//! [`repository!`](crate::repository!): the [`alchemy_core::Repository`] of a
//! diesel model: core's [`DriverRepository`](alchemy_core::driver::DriverRepository),
//! written once for every backend, over a [`Session`](crate::Session) that
//! loads the model's rows.
//!
//! The macro writes only how rows of the model load (its `Selectable`
//! column list, type-checked once for PostgreSQL and once for SQLite):
//! diesel's load bounds hold for a concrete model, and spelled generically
//! they are bounds no user wants to read.
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

/// Names the repository of a diesel model, core's
/// [`DriverRepository`](alchemy_core::driver::DriverRepository), and teaches
/// [`Session`](crate::Session) to load the model's rows.
///
/// ```text
/// alchemy_diesel::repository! {
///     /// Posts.
///     pub struct PostRepository for Post, table = post::table
/// }
/// let posts = PostRepository::new();
/// ```
///
/// The named type is an alias: `Copy`, `Debug`, `Default`, made by `new()`.
/// Every call runs in an [`alchemy_diesel::Session`](crate::Session) and
/// follows the contracts (behaviour and errors) of [`alchemy_core::Repository`].
/// Values are written from [`alchemy_core::Model::values`] as bind
/// parameters typed by their columns; rows are read with the model's
/// `Selectable` derive. Bulk statements carry at most 8,192 binds each (far
/// below SQLite's 32,766 and PostgreSQL's 65,535: diesel copies a
/// statement's binds, so memory grows with it while time per row stops
/// dropping). Statements written the same way on every call (a get by key,
/// a whole-row update, `add_if_absent`'s insert) are found in diesel's
/// statement cache by type; others whose text does not depend on a row
/// count are cached by their text.
///
/// See the [module docs](mod@crate::repository) for the derives the model needs.
#[macro_export]
macro_rules! repository {
    ($(#[$meta:meta])* $vis:vis struct $name:ident for $model:ty, table = $table:path $(,)?) => {
        $(#[$meta])*
        $vis type $name = $crate::__private::alchemy_core::driver::DriverRepository<$model, $crate::Session>;

        impl $crate::__private::alchemy_core::driver::Driver<$model> for $crate::Session {
            type Sql = $crate::sql::Sql;

            fn dialect(&self) -> $crate::__private::alchemy_core::schema::Dialect {
                $crate::Session::dialect(self)
            }

            fn max_binds(&self) -> usize {
                self.__max_binds()
            }

            fn sql(
                &self,
                cache: ::std::option::Option<$crate::__private::alchemy_core::driver::CacheKey>,
            ) -> $crate::sql::Sql {
                self.__sql(cache)
            }

            async fn rows(
                &mut self,
                sql: $crate::sql::Sql,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$model>> {
                use $crate::__private::alchemy_core::driver::CacheKey;
                use $crate::__private::diesel::SelectableHelper as _;
                match sql.cache_key() {
                    ::std::option::Option::Some(CacheKey::GetByKey) => $crate::__load!(
                        self, $model, $model, sql, <$model>::as_select(), fixed = $crate::sql::GetByKey
                    ),
                    ::std::option::Option::Some(CacheKey::InsertAbsent) => $crate::__load!(
                        self, $model, $model, sql, <$model>::as_select(), fixed = $crate::sql::InsertAbsent
                    ),
                    _ => $crate::__load!(self, $model, $model, sql, <$model>::as_select()),
                }
            }

            async fn rows_and_total(
                &mut self,
                sql: $crate::sql::Sql,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<($model, i64)>> {
                use $crate::__private::diesel::SelectableHelper as _;
                $crate::__load!(
                    self, $model, ($model, i64), sql, $crate::sql::WithTotal(<$model>::as_select())
                )
            }

            async fn values(
                &mut self,
                sql: $crate::sql::Sql,
                _types: &[$crate::__private::alchemy_core::schema::ColumnType],
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$crate::__private::alchemy_core::Value>> {
                self.__values::<$model>(sql).await
            }

            async fn scalar(
                &mut self,
                sql: $crate::sql::Sql,
                ty: $crate::__private::alchemy_core::schema::ColumnType,
            ) -> $crate::__private::alchemy_core::Result<::std::option::Option<$crate::__private::alchemy_core::Value>> {
                use $crate::__private::alchemy_core::schema::ColumnType;
                use $crate::__private::alchemy_core::Value;
                type Stamp = $crate::__private::chrono::DateTime<$crate::__private::chrono::Utc>;
                match ty {
                    // `RETURNING created_at` of a whole-row update.
                    ColumnType::Timestamp => {
                        let select = $crate::sql::Typed::<$crate::types::Timestamp>::new();
                        let rows = $crate::__load!(
                            self, $model, Stamp, sql, select, fixed = $crate::sql::UpdateWhole
                        )?;
                        ::std::result::Result::Ok(rows.into_iter().next().map(Value::Timestamp))
                    }
                    // `count(*)`.
                    ColumnType::BigInt => {
                        let select = $crate::sql::Typed::<$crate::__private::diesel::sql_types::BigInt>::new();
                        let rows = $crate::__load!(self, $model, i64, sql, select)?;
                        ::std::result::Result::Ok(rows.into_iter().next().map(Value::Int))
                    }
                    _ => ::std::result::Result::Ok(self.__values::<$model>(sql).await?.into_iter().next()),
                }
            }

            async fn execute(
                &mut self,
                sql: $crate::sql::Sql,
            ) -> $crate::__private::alchemy_core::Result<u64> {
                self.__execute_sql(
                    <$model as $crate::__private::alchemy_core::Model>::table(),
                    sql,
                )
                .await
            }
        }
    };
}
