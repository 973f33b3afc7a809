//! [`SeaRepository`]: the core [`Repository`] for any SeaORM entity whose
//! model implements [`alchemy_core::Model`].

use std::marker::PhantomData;

use alchemy_core::audit::{CREATED_AT, now_micros};
use alchemy_core::base::{key_from_database, match_condition, prepare_insert, prepare_update};
use alchemy_core::bulk::{self, Plan, Rows};
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::identity::{self, ReadBack};
use alchemy_core::insert;
use alchemy_core::schema::{ColumnType, Dialect, Table, quote, quote_list};
use alchemy_core::session::SessionState;
use alchemy_core::sql::Statement as SqlStatement;
use alchemy_core::{Error, KeyOf, Model, Repository, Result, Session as _, Upserted};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    IdenStatic, IntoActiveModel, Iterable, PrimaryKeyToColumn, QueryFilter, QueryTrait, Statement,
};

use crate::error::from_db;
use crate::session::Session;
use crate::sql::{Sql, bind_value, decode_values};

/// Bind parameters one SQLite statement may carry.
pub const SQLITE_MAX_PARAMS: usize = 32_766;
/// Bind parameters one PostgreSQL statement may carry.
pub const POSTGRES_MAX_PARAMS: usize = 65_535;

/// The repository of entity `E`: one generic implementation of
/// [`alchemy_core::Repository`] (and so of
/// [`RepositoryExt`](alchemy_core::RepositoryExt)) for every SeaORM entity
/// whose `Model` implements [`alchemy_core::Model`].
///
/// The repository is stateless; every call runs in the [`Session`] it is given.
/// It fills keys and audit columns itself on every path (single and bulk), so
/// it does not depend on `ActiveModelBehavior::before_save`, which SeaORM
/// does not call for `Entity::insert`, `insert_many` or `update_many`.
pub struct SeaRepository<E>(PhantomData<fn() -> E>);

impl<E> SeaRepository<E> {
    /// A repository for entity `E`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<E> Default for SeaRepository<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for SeaRepository<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for SeaRepository<E> {}

impl<E> std::fmt::Debug for SeaRepository<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SeaRepository<{}>", std::any::type_name::<E>())
    }
}

/// The column of entity `E` called `name`.
pub(crate) fn column<E: EntityTrait>(name: &str) -> Option<E::Column> {
    E::Column::iter().find(|c| c.as_str() == name)
}

/// The single primary-key column of entity `E`.
pub(crate) fn key_column<E: EntityTrait>() -> Result<E::Column> {
    let mut keys = E::PrimaryKey::iter();
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key.into_column()),
        _ => Err(Error::NotSupported {
            operation: "a repository over a table without exactly one primary-key column",
            backend: "alchemy-seaorm",
        }),
    }
}

/// A column of `E` named by a caller, or [`Error::InvalidInput`].
fn named_column<E: EntityTrait>(name: &str, table: &str) -> Result<E::Column> {
    column::<E>(name)
        .ok_or_else(|| Error::invalid_input(format!("unknown field `{name}` for table `{table}`")))
}

/// The bind-parameter limit of one statement on `backend`.
fn max_params(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => SQLITE_MAX_PARAMS,
        _ => POSTGRES_MAX_PARAMS,
    }
}

/// The column a list-and-count query adds for the total.
const TOTAL: &str = "__alchemy_total";
/// [`TOTAL`], quoted.
const TOTAL_QUOTED: &str = "\"__alchemy_total\"";

/// The dialect of `backend` (PostgreSQL or SQLite; `Db` refuses others).
pub(crate) fn dialect(backend: DbBackend) -> Dialect {
    match backend {
        DbBackend::Postgres => Dialect::Postgres,
        _ => Dialect::Sqlite,
    }
}

/// The index of the table's single primary-key column.
fn key_index(table: &Table) -> Result<usize> {
    let name = table.primary_key_columns().first().ok_or_else(|| {
        Error::invalid_input(format!("table `{}` has no primary key", table.name()))
    })?;
    table
        .columns()
        .iter()
        .position(|c| &c.name == name)
        .ok_or_else(|| Error::invalid_input(format!("unknown field `{name}`")))
}

/// Indexes of the columns an insert writes (all but a database-made key).
fn insert_columns<M: Model>(table: &Table) -> Vec<usize> {
    let skip_key = key_from_database::<M>();
    let key = table.primary_key_columns().first();
    table
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| !(skip_key && Some(&c.name) == key))
        .map(|(i, _)| i)
        .collect()
}

/// The names of `columns` (indexes) of `table`.
fn names<'t>(table: &'t Table, columns: &[usize]) -> Vec<&'t str> {
    columns
        .iter()
        .filter_map(|&i| table.columns().get(i))
        .map(|c| c.name.as_str())
        .collect()
}

/// Most rows one statement may carry when each row binds `binds` values.
fn per_statement(backend: DbBackend, binds: usize) -> usize {
    bulk::rows_per_statement(statement_binds(backend), binds)
}

/// Most binds the repository puts in one bulk statement on `backend`.
fn statement_binds(backend: DbBackend) -> usize {
    max_params(backend).min(BINDS_PER_STATEMENT)
}

/// Most binds in one bulk statement: SQLite's limit, kept on PostgreSQL
/// (65,535), where SeaORM's sqlx driver runs a 30,000-bind statement no
/// slower per row and smaller ones slower (each costs a round trip and its
/// own preparation).
const BINDS_PER_STATEMENT: usize = 32_766;

/// A row count as the database reports it, as `u64`.
fn count_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl<E> SeaRepository<E>
where
    E: EntityTrait,
    E::Model: Model + IntoActiveModel<E::ActiveModel>,
{
    /// An active model that inserts every column, except a database-made key.
    fn for_insert(model: E::Model) -> Result<E::ActiveModel> {
        let mut am = model.into_active_model().reset_all();
        if key_from_database::<E::Model>() {
            am.not_set(key_column::<E>()?);
        }
        Ok(am)
    }

    fn table() -> &'static str {
        <E::Model as Model>::table().name()
    }

    /// The quoted, comma-separated columns of `E` (a `SELECT` or `RETURNING` list).
    fn select_list() -> String {
        E::Column::iter()
            .map(|c| quote(c.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The column types of the model's table, in column order.
    fn column_types() -> Vec<ColumnType> {
        <E::Model as Model>::table()
            .columns()
            .iter()
            .map(|c| c.ty)
            .collect()
    }

    /// Runs a hand-written statement and decodes every row it returns.
    async fn decode(session: &mut Session, statement: Statement) -> Result<Vec<E::Model>> {
        let tx = session.statement_tx()?;
        let result = tx.query_all_raw(statement).await;
        let rows = session.sent(result)?;
        rows.iter()
            .map(|r| E::Model::from_query_result(r, "").map_err(from_db))
            .collect()
    }

    /// As [`Self::decode`], and remembers the rows (see [`identity`]).
    async fn fetch(session: &mut Session, statement: Statement) -> Result<Vec<E::Model>> {
        let rows = Self::decode(session, statement).await?;
        session.loaded().record(&rows);
        Ok(rows)
    }

    /// `SELECT <every column>[, <extra>] FROM t` followed by `query`'s
    /// filter, order, limit and offset, written by `alchemy_core::sql`;
    /// `query` must be checked against the model's table.
    fn select(query: &Query, backend: DbBackend, extra: &str) -> Result<Sql> {
        let table = <E::Model as Model>::table();
        // The table's column list, quoted once per program (the entity's
        // columns are the table's: `impl_model!` checks the fields).
        let mut sql = Sql::new(backend, "SELECT ");
        sql.push(table.select_list())
            .push(extra)
            .push(" FROM ")
            .push(table.quoted_name());
        alchemy_core::sql::write_query(&mut sql, table, dialect(backend), query)?;
        Ok(sql)
    }

    /// The `stored` columns (see [`bulk::Prepared::stored_columns`]) of the
    /// stored rows whose `columns` values are one of `wanted` (chunked under
    /// the bind-parameter limit).
    async fn existing_by(
        session: &mut Session,
        stored: &[usize],
        columns: &[usize],
        wanted: &Rows,
    ) -> Result<Rows> {
        let table = <E::Model as Model>::table();
        let backend = session.transaction().get_database_backend();
        let type_of = |i: &usize| table.columns().get(*i).map_or(ColumnType::Text, |c| c.ty);
        let types: Vec<ColumnType> = columns.iter().map(type_of).collect();
        let stored_types: Vec<ColumnType> = stored.iter().map(type_of).collect();
        let positions: Vec<usize> = (0..columns.len()).collect();
        // One column: a plain `IN (?, ..)`, which both databases look up in
        // an index or hash; a row value needs `IN (VALUES (..), ..)`.
        let single = columns.len() == 1;
        let head = format!(
            "SELECT {} FROM {} WHERE ({}) IN ({}",
            quote_list(&names(table, stored)),
            quote(table.name()),
            quote_list(&names(table, columns)),
            if single { "" } else { "VALUES " }
        );
        let mut found = Rows::with_capacity(stored.len(), 0);
        for chunk in wanted.chunks(per_statement(backend, columns.len())) {
            let mut sql = Sql::new(backend, head.as_str());
            for (n, values) in chunk.enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                if single {
                    let value = values.first().cloned().unwrap_or(Value::Null);
                    sql.bind(bind_value(value, types[0]));
                } else {
                    sql.row(&positions, values, &types);
                }
            }
            sql.push(")");
            let statement = sql.build()?;
            let tx = session.statement_tx()?;
            let result = tx.query_all_raw(statement).await;
            let rows = session.sent(result)?;
            for row in &rows {
                decode_values(row, &stored_types, &mut found)?;
            }
        }
        Ok(found)
    }

    /// One `INSERT .. ON CONFLICT (match) DO UPDATE SET .. RETURNING ..` per
    /// chunk; rows come back in input order. `models` are prepared for insert.
    async fn upsert_native(
        session: &mut Session,
        models: Vec<E::Model>,
        match_columns: &[usize],
    ) -> Result<Vec<E::Model>> {
        let table = <E::Model as Model>::table();
        let backend = session.transaction().get_database_backend();
        let columns = insert_columns::<E::Model>(table);
        let types = Self::column_types();
        let match_names = names(table, match_columns);
        let set: Vec<String> = names(
            table,
            &bulk::update_columns::<E::Model>(&columns, match_columns),
        )
        .iter()
        .map(|c| format!("{0} = excluded.{0}", quote(c)))
        .collect();
        let head = format!(
            "INSERT INTO {} ({}) VALUES ",
            quote(table.name()),
            quote_list(&names(table, &columns))
        );
        let tail = format!(
            " ON CONFLICT ({}) DO UPDATE SET {} RETURNING {}",
            quote_list(&match_names),
            set.join(", "),
            Self::select_list()
        );
        let mut out = Vec::with_capacity(models.len());
        for chunk in bulk::chunks(&models, per_statement(backend, columns.len())) {
            let mut sql = Sql::new(backend, head.as_str());
            for (n, m) in chunk.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.row(&columns, &m.values(), &types);
            }
            sql.push(&tail);
            let rows = Self::fetch(session, sql.build()?).await?;
            out.extend(bulk::in_input_order(chunk, rows, match_columns)?);
        }
        Ok(out)
    }

    /// `UPDATE t SET c = ?, .. WHERE key IN (..)`: the same `values` of
    /// columns `written` for every one of `models`, by key.
    fn update_shared(
        backend: DbBackend,
        models: &[E::Model],
        written: &[usize],
        values: &[Value],
    ) -> Result<Sql> {
        let table = <E::Model as Model>::table();
        let key = key_index(table)?;
        let key_type = table.columns()[key].ty;
        let mut sql = Sql::new(backend, format!("UPDATE {} SET ", table.quoted_name()));
        for (n, (&i, value)) in written.iter().zip(values).enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            let column = &table.columns()[i];
            sql.push(&format!("{} = ", quote(&column.name)));
            sql.bind(bind_value(value.clone(), column.ty));
        }
        sql.push(&format!(
            " WHERE {} IN (",
            quote(&table.columns()[key].name)
        ));
        for (n, m) in models.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.bind(bind_value(m.value(key).unwrap_or(Value::Null), key_type));
        }
        sql.push(")");
        Ok(sql)
    }

    /// `UPDATE t SET c = "v".columnN, .. FROM (VALUES (key, c..), ..) AS "v"
    /// WHERE t.key = "v".column1`, writing columns `written` of `models`.
    fn update_from_values(
        backend: DbBackend,
        models: &[E::Model],
        written: &[usize],
    ) -> Result<Sql> {
        let table = <E::Model as Model>::table();
        let key = key_index(table)?;
        let types = Self::column_types();
        let mut row_columns = vec![key];
        row_columns.extend(written);
        let key_name = quote(&table.columns()[key].name);
        // Each VALUES row is (key, col..): `v.column1` is the key.
        let mut sql = Sql::new(
            backend,
            format!(
                "UPDATE {} SET {} FROM (VALUES ",
                table.quoted_name(),
                bulk::values_set_list(table, key, written)
            ),
        );
        for (n, m) in models.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.row(&row_columns, &m.values(), &types);
        }
        sql.push(&format!(
            ") AS \"v\" WHERE {}.{key_name} = \"v\".column1",
            quote(table.name())
        ));
        Ok(sql)
    }

    /// `INSERT .. ON CONFLICT .. DO NOTHING RETURNING *`: the row, or `None`
    /// on a conflict (SQLite answers that with `RecordNotFound`).
    async fn insert_absent(
        session: &mut Session,
        am: E::ActiveModel,
        on_conflict: OnConflict,
    ) -> Result<Option<E::Model>>
    where
        E::ActiveModel: Send,
    {
        let tx = session.statement_tx()?;
        let result = E::insert(am)
            .on_conflict(on_conflict)
            .exec_with_returning(tx)
            .await;
        match result {
            // The conflict: no row came back; not a failure.
            Err(DbErr::RecordNotFound(_) | DbErr::RecordNotInserted) => Ok(None),
            other => session.sent(other.map(Some)),
        }
    }
}

/// The statements of `add_many` ([`insert::add_many`]) on a session:
/// multi-row inserts through SeaORM's `insert_many`, in even chunks of at
/// most 32,766 binds (SQLite's limit, kept on PostgreSQL).
struct Inserter<'s, E>(&'s mut Session, PhantomData<fn() -> E>);

impl<E> insert::Insert<E::Model> for Inserter<'_, E>
where
    E: EntityTrait + Sync,
    E::Model: Model + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send + Sync,
    KeyOf<E::Model>: Into<sea_orm::Value>,
{
    fn state(&mut self) -> &mut SessionState {
        self.0.state_mut()
    }

    fn dialect(&self) -> Dialect {
        dialect(self.0.transaction().get_database_backend())
    }

    fn rows_per_statement(&self, columns: usize) -> usize {
        per_statement(self.0.transaction().get_database_backend(), columns)
    }

    async fn insert(&mut self, rows: &[E::Model]) -> Result<u64> {
        // Every column, the key included.
        let ams = rows
            .iter()
            .map(|m| m.clone().into_active_model().reset_all());
        let tx = self.0.statement_tx()?;
        let result = E::insert_many(ams).exec_without_returning(tx).await;
        self.0.sent(result)
    }

    async fn insert_returning(&mut self, rows: &[E::Model]) -> Result<Vec<E::Model>> {
        let ams = rows
            .iter()
            .cloned()
            .map(SeaRepository::<E>::for_insert)
            .collect::<Result<Vec<_>>>()?;
        let tx = self.0.statement_tx()?;
        let result = E::insert_many(ams).exec_with_returning(tx).await;
        self.0.sent(result)
    }

    async fn query_values(
        &mut self,
        statement: &SqlStatement,
        ty: ColumnType,
    ) -> Result<Vec<Value>> {
        let mut sql = Sql::new(self.0.transaction().get_database_backend(), "");
        statement.write_to(&mut sql);
        let statement = sql.build()?;
        let tx = self.0.statement_tx()?;
        let result = tx.query_all_raw(statement).await;
        let rows = self.0.sent(result)?;
        let mut values = Rows::with_capacity(1, rows.len());
        for row in &rows {
            decode_values(row, &[ty], &mut values)?;
        }
        Ok(values.iter().flatten().cloned().collect())
    }
}

impl<E> Repository for SeaRepository<E>
where
    E: EntityTrait + Sync,
    E::Model: Model + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send + Sync,
    KeyOf<E::Model>: Into<sea_orm::Value>,
{
    type Model = E::Model;
    type Session = Session;

    /// As [`Repository::add_many`] of one row.
    ///
    /// # Errors
    /// [`Error::DuplicateKey`], [`Error::ForeignKey`], [`Error::Backend`].
    async fn add(&self, session: &mut Session, model: E::Model) -> Result<E::Model> {
        self.add_many(session, vec![model])
            .await?
            .pop()
            .ok_or_else(|| Error::backend(format!("{}: the insert returned no row", Self::table())))
    }

    async fn add_many(
        &self,
        session: &mut Session,
        models: Vec<E::Model>,
    ) -> Result<Vec<E::Model>> {
        let now = now_micros(&**session.clock());
        insert::add_many(&mut Inserter::<E>(session, PhantomData), models, now).await
    }

    /// `SELECT .. WHERE <key> = ?`.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the table and the key.
    async fn get(&self, session: &mut Session, key: &KeyOf<E::Model>) -> Result<E::Model> {
        let col = key_column::<E>()?;
        let tx = session.statement_tx()?;
        let result = E::find().filter(col.eq(key.clone())).one(tx).await;
        let row = session
            .sent(result)?
            .ok_or_else(|| Error::not_found(Self::table(), key))?;
        session.loaded().record(std::slice::from_ref(&row));
        Ok(row)
    }

    /// `SELECT .. WHERE <filter> ORDER BY .. LIMIT .. OFFSET ..`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown field or a value of the wrong
    /// type (nothing is sent).
    async fn list(&self, session: &mut Session, query: &Query) -> Result<Vec<E::Model>> {
        // Check (and type) everything before anything is built or sent.
        let query = query.checked_ref(<E::Model as Model>::table())?;
        let backend = session.transaction().get_database_backend();
        let sql = Self::select(&query, backend, "")?.build()?;
        Self::fetch(session, sql).await
    }

    /// `SELECT count(*) .. WHERE <filter>`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`].
    async fn count(&self, session: &mut Session, filter: Option<&Condition>) -> Result<u64> {
        let table = <E::Model as Model>::table();
        let filter = filter.map(|f| f.checked_ref(table)).transpose()?;
        let backend = session.transaction().get_database_backend();
        let mut sql = Sql::new(backend, format!("SELECT count(*) AS {TOTAL_QUOTED} FROM "));
        sql.push(table.quoted_name());
        alchemy_core::sql::write_where(&mut sql, table, dialect(backend), filter.as_deref())?;
        let statement = sql.build()?;
        let tx = session.statement_tx()?;
        let result = tx.query_one_raw(statement).await;
        let row = session
            .sent(result)?
            .ok_or_else(|| Error::backend(format!("{}: count returned no row", table.name())))?;
        Ok(count_of(row.try_get::<i64>("", TOTAL).map_err(from_db)?))
    }

    /// One `SELECT .., count(*) OVER () ..` for the page and the total; an
    /// empty page past the start (or with limit 0) counts apart, so a page
    /// past the end still reports the true total.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`].
    async fn list_and_count(
        &self,
        session: &mut Session,
        query: &Query,
    ) -> Result<(Vec<E::Model>, u64)> {
        let query = query.checked_ref(<E::Model as Model>::table())?;
        let backend = session.transaction().get_database_backend();
        let extra = format!(", count(*) OVER () AS {TOTAL_QUOTED}");
        let statement = Self::select(&query, backend, &extra)?.build()?;
        let tx = session.statement_tx()?;
        let result = tx.query_all_raw(statement).await;
        let rows = session.sent(result)?;
        let Some(first) = rows.first() else {
            let total = if query.offset.unwrap_or(0) > 0 || query.limit == Some(0) {
                self.count(session, query.filter.as_ref()).await?
            } else {
                0
            };
            return Ok((Vec::new(), total));
        };
        let total = count_of(first.try_get::<i64>("", TOTAL).map_err(from_db)?);
        let models = rows
            .iter()
            .map(|r| E::Model::from_query_result(r, "").map_err(from_db))
            .collect::<Result<Vec<_>>>()?;
        session.loaded().record(&models);
        Ok((models, total))
    }

    /// `UPDATE .. SET <changed columns, updated_at> WHERE <key> = ? RETURNING *`
    /// (every column but the key and `created_at` for a row this session never loaded).
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has the key; [`Error::DuplicateKey`],
    /// [`Error::ForeignKey`], [`Error::Backend`].
    async fn update(&self, session: &mut Session, mut model: E::Model) -> Result<E::Model> {
        let result: Result<E::Model> = async {
            prepare_update(&mut model, now_micros(&**session.clock()))?;
            let key = model.key().clone();
            session.unique_cache().forget::<E::Model>();
            let plan = identity::update_plan::<E::Model>(session.loaded().changed(&model));
            if plan.columns.is_empty() {
                // Nothing to write (no change, no audit column): the stored row.
                return self.get(session, &key).await;
            }
            let table = <E::Model as Model>::table();
            let key_name = table
                .primary_key_columns()
                .first()
                .cloned()
                .unwrap_or_default();
            let not_found = || Error::not_found(Self::table(), &key);
            let written = |model: E::Model| {
                let mut am = model.into_active_model().reset_all();
                // Only the written columns are Set; the key stays for WHERE.
                for (i, c) in table.columns().iter().enumerate() {
                    if c.name != key_name
                        && !plan.columns.contains(&i)
                        && let Some(col) = column::<E>(&c.name)
                    {
                        am.not_set(col);
                    }
                }
                am
            };
            if plan.read_back == ReadBack::Row {
                let tx = session.statement_tx()?;
                let result = E::update(written(model)).exec(tx).await;
                let row = match result {
                    // No row has the key: not a failure.
                    Err(DbErr::RecordNotUpdated | DbErr::RecordNotFound(_)) => {
                        return Err(not_found());
                    }
                    other => session.sent(other)?,
                };
                session.loaded().record(std::slice::from_ref(&row));
                return Ok(row);
            }
            // Every column but the key (and created_at) was written from the
            // model: at most `created_at` is read back.
            let backend = session.transaction().get_database_backend();
            let key_col = key_column::<E>()?;
            let mut am = written(model.clone());
            am.not_set(key_col);
            let mut statement = E::update_many()
                .set(am)
                .filter(key_col.eq(key.clone()))
                .into_query();
            if plan.read_back == ReadBack::CreatedAt {
                let created = named_column::<E>(CREATED_AT, table.name())?;
                statement.returning_col(created);
                let tx = session.statement_tx()?;
                let result = tx.query_one_raw(backend.build(&statement)).await;
                let row = session.sent(result)?.ok_or_else(not_found)?;
                let created_at = row
                    .try_get::<chrono::DateTime<chrono::Utc>>("", CREATED_AT)
                    .map_err(from_db)?;
                if let Some(mut stamps) = model.timestamps() {
                    stamps.created_at = created_at;
                    model.set_timestamps(stamps);
                }
            } else {
                let tx = session.statement_tx()?;
                let result = tx.execute_raw(backend.build(&statement)).await;
                let done = session.sent(result)?;
                if done.rows_affected() == 0 {
                    return Err(not_found());
                }
            }
            session.loaded().record(std::slice::from_ref(&model));
            Ok(model)
        }
        .await;
        // A foreign key this write broke, named where the database did not.
        result.map_err(|e| alchemy_core::error::name_foreign_key(e, <E::Model as Model>::table()))
    }

    /// `UPDATE t SET .. FROM (VALUES (key, ..), ..) AS v WHERE t.key = v.column1
    /// RETURNING ..`, chunked under the bind-parameter limit; rows come back
    /// in input order with `updated_at` bumped and `created_at` kept.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a key occurs twice (nothing is sent);
    /// [`Error::NotFound`] when a row does not exist (roll the session back:
    /// the others may have been written); [`Error::DuplicateKey`],
    /// [`Error::ForeignKey`].
    async fn update_many(
        &self,
        session: &mut Session,
        mut models: Vec<E::Model>,
    ) -> Result<Vec<E::Model>> {
        let before = session.statements();
        let result: Result<Vec<E::Model>> = async {
            if models.is_empty() {
                return Ok(models);
            }
            let table = <E::Model as Model>::table();
            let key = key_index(table)?;
            bulk::distinct_keys(&models)?;
            let now = now_micros(&**session.clock());
            for m in &mut models {
                prepare_update(m, now)?;
            }
            session.unique_cache().forget::<E::Model>();
            // Every column but the key and created_at.
            let written: Vec<usize> = (0..table.columns().len())
                .filter(|&i| i != key && table.columns()[i].name != CREATED_AT)
                .collect();
            let backend = session.transaction().get_database_backend();
            let returning = format!(" RETURNING {}", Self::select_list());
            let mut out = Vec::with_capacity(models.len());
            for chunk in bulk::chunks(&models, per_statement(backend, written.len() + 1)) {
                let mut sql = Self::update_from_values(backend, chunk, &written)?;
                sql.push(&returning);
                let rows = Self::fetch(session, sql.build()?).await?;
                out.extend(bulk::in_key_order(chunk, rows)?);
            }
            Ok(out)
        }
        .await;
        // A foreign key named; a failure after a write fails the session.
        session
            .state_mut()
            .finish_writes(before, <E::Model as Model>::table(), result)
    }

    /// Selects the key, `created_at` and match columns of the stored rows
    /// matching the input on `match_fields` (chunked), then either one
    /// native `INSERT .. ON CONFLICT (match) DO UPDATE SET <data columns> =
    /// excluded.. RETURNING ..` per chunk, when the match fields are a unique
    /// constraint of the table (or a client-made key), or
    /// [`Repository::add_many`] for the new rows and an `UPDATE` by key of
    /// the existing ones that writes the input's values (their keys and
    /// `created_at` kept, `updated_at` bumped; `UPDATE .. FROM (VALUES ..)`,
    /// or one shared `SET .. WHERE key IN (..)` when every row has the same
    /// values). Rows come back in input order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown or empty match field list or two
    /// input rows with the same match values (nothing is sent);
    /// [`Error::MultipleResults`] when several stored rows match one input row;
    /// [`Error::Busy`] when a matched row was deleted concurrently; as
    /// [`Repository::add_many`].
    async fn upsert_many(
        &self,
        session: &mut Session,
        models: Vec<E::Model>,
        match_fields: &[&str],
    ) -> Result<Upserted<E::Model>> {
        let before = session.statements();
        let result: Result<Upserted<E::Model>> = async {
            let prepared = bulk::prepare(models, match_fields)?;
            if prepared.models.is_empty() {
                return Ok(Upserted {
                    rows: prepared.models,
                    created: 0,
                    updated: 0,
                });
            }
            let existing = Self::existing_by(
                session,
                &prepared.stored_columns(),
                &prepared.columns,
                &prepared.wanted,
            )
            .await?;
            let columns = prepared.columns.clone();
            session.unique_cache().forget::<E::Model>();
            match prepared.plan(existing, now_micros(&**session.clock()))? {
                Plan::Native {
                    models,
                    created,
                    updated,
                } => {
                    // Race-free: the database settles a concurrent insert of the same values.
                    let rows = Self::upsert_native(session, models, &columns).await?;
                    Ok(Upserted {
                        rows,
                        created,
                        updated,
                    })
                }
                Plan::Split {
                    inserts,
                    updates,
                    written,
                    shared,
                    order,
                    created,
                    updated,
                } => {
                    let inserted = self.add_many(session, inserts).await?;
                    if !written.is_empty() {
                        // The rows are known (the input, with the stored key and
                        // created_at), so nothing is read back; a row deleted
                        // since the SELECT shows as a short count.
                        let backend = session.transaction().get_database_backend();
                        let rows = bulk::update_rows_per_statement(
                            statement_binds(backend),
                            written.len(),
                            shared.is_some(),
                        );
                        for chunk in bulk::chunks(&updates, rows) {
                            let sql = match &shared {
                                Some(values) => {
                                    Self::update_shared(backend, chunk, &written, values)?
                                }
                                None => Self::update_from_values(backend, chunk, &written)?,
                            };
                            let statement = sql.build()?;
                            let tx = session.statement_tx()?;
                            let result = tx.execute_raw(statement).await;
                            let written = session.sent(result)?.rows_affected();
                            bulk::check_updated::<E::Model>(chunk.len(), written)?;
                        }
                    }
                    Ok(Upserted {
                        rows: order.reassemble(inserted, updates)?,
                        created,
                        updated,
                    })
                }
            }
        }
        .await;
        // A foreign key named; a failure after a write fails the session.
        session
            .state_mut()
            .finish_writes(before, <E::Model as Model>::table(), result)
    }

    /// `DELETE .. WHERE <key> = ? RETURNING *`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such row; [`Error::ForeignKey`].
    async fn delete(&self, session: &mut Session, key: &KeyOf<E::Model>) -> Result<E::Model> {
        let col = key_column::<E>()?;
        session.unique_cache().forget::<E::Model>();
        let tx = session.statement_tx()?;
        let result = E::delete_many()
            .filter(col.eq(key.clone()))
            .exec_with_returning(tx)
            .await;
        let row = session
            .sent(result)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(Self::table(), key))?;
        session.loaded().forget::<E::Model>(row.key());
        Ok(row)
    }

    /// `DELETE .. WHERE <key> IN (..) RETURNING *`, chunked under the
    /// bind-parameter limit; missing keys are skipped.
    ///
    /// # Errors
    /// [`Error::ForeignKey`], [`Error::Backend`].
    async fn delete_many(
        &self,
        session: &mut Session,
        keys: &[KeyOf<E::Model>],
    ) -> Result<Vec<E::Model>> {
        let col = key_column::<E>()?;
        session.unique_cache().forget::<E::Model>();
        let backend = session.transaction().get_database_backend();
        let mut out = Vec::with_capacity(keys.len());
        for chunk in bulk::chunks(keys, per_statement(backend, 1)) {
            let tx = session.statement_tx()?;
            let result = E::delete_many()
                .filter(col.is_in(chunk.iter().cloned()))
                .exec_with_returning(tx)
                .await;
            let rows = session.sent(result)?;
            out.extend(rows);
        }
        session.loaded().forget_rows(&out);
        Ok(out)
    }

    /// `DELETE .. WHERE <filter> RETURNING *`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`] (nothing is sent);
    /// [`Error::ForeignKey`].
    async fn delete_where(
        &self,
        session: &mut Session,
        filter: &Condition,
    ) -> Result<Vec<E::Model>> {
        let table = <E::Model as Model>::table();
        let filter = filter.checked_ref(table)?;
        let backend = session.transaction().get_database_backend();
        let mut sql = Sql::new(backend, "DELETE FROM ");
        sql.push(table.quoted_name()).push(" WHERE ");
        alchemy_core::sql::write_condition(&mut sql, table, dialect(backend), &filter)?;
        sql.push(" RETURNING ").push(table.select_list());
        let statement = sql.build()?;
        session.unique_cache().forget::<E::Model>();
        let rows = Self::decode(session, statement).await?;
        session.loaded().forget_rows(&rows);
        Ok(rows)
    }

    /// `INSERT .. ON CONFLICT (<conflict_columns>) DO NOTHING RETURNING *`.
    ///
    /// SeaORM reports "no row returned" as `RecordNotFound`; that is the
    /// conflict, answered with `None`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown or empty column list (nothing
    /// is sent); [`Error::DuplicateKey`] for a conflict on another constraint.
    async fn add_if_absent(
        &self,
        session: &mut Session,
        mut model: E::Model,
        conflict_columns: &[&str],
    ) -> Result<Option<E::Model>> {
        let result: Result<Option<E::Model>> = async {
            // Checked before anything is sent.
            let same = match_condition(&model, conflict_columns)?;
            prepare_insert(&mut model, now_micros(&**session.clock()))?;
            let am = Self::for_insert(model)?;
            // No conflict target: every unique index settles a concurrent insert
            // of the same row (PostgreSQL would otherwise report one on a
            // non-target index, the slug say).
            let nothing = OnConflict::new().do_nothing().to_owned();
            if let Some(row) = Self::insert_absent(session, am.clone(), nothing).await? {
                return Ok(Some(row));
            }
            // A conflict: usually the row exists; otherwise another unique
            // constraint, which the plain insert names.
            if self.count(session, Some(&same)).await? > 0 {
                return Ok(None);
            }
            // The savepoint keeps the session usable after it fails.
            session
                .savepoint(|session| {
                    Box::pin(async move {
                        let tx = session.statement_tx()?;
                        let result = E::insert(am).exec_with_returning(tx).await;
                        session.sent(result).map(Some)
                    })
                })
                .await
        }
        .await;
        // A foreign key this write broke, named where the database did not.
        result.map_err(|e| alchemy_core::error::name_foreign_key(e, <E::Model as Model>::table()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use alchemy_core::audit::{ManualClock, sqlite_text};
    use alchemy_core::base::UuidV7AuditBase;
    use alchemy_core::filter::{Condition, Query};
    use alchemy_core::schema::{Column, ColumnType};
    use alchemy_core::{Database, Model as _, Repository, Session as _};
    use chrono::{DateTime, TimeZone, Utc};
    use sea_orm::{ConnectionTrait, Statement};

    use crate::{Db, SeaRepository};

    #[allow(unreachable_pub)]
    mod event {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "event")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub name: String,
            pub at: Option<DateTimeUtc>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    alchemy_core::impl_model!(
        event::Model,
        UuidV7AuditBase,
        table = "event",
        audited,
        |t| t
            .column(Column::new("name", ColumnType::VarChar(50)))
            .column(Column::new("at", ColumnType::Timestamp).nullable())
            .unique(["name"]),
        fields(name, at)
    );

    fn event(name: &str, at: Option<DateTime<Utc>>) -> event::Model {
        event::Model {
            id: uuid::Uuid::nil(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            name: name.into(),
            at,
        }
    }

    /// Every timestamp column as SQLite stores it, with its storage class.
    async fn stored(db: &Db) -> Vec<(String, String, String, Option<String>)> {
        let sql = "SELECT typeof(created_at), created_at, updated_at, at FROM event ORDER BY name";
        let rows = db
            .connection()
            .query_all_raw(Statement::from_string(
                db.connection().get_database_backend(),
                sql,
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                (
                    r.try_get_by_index(0).unwrap(),
                    r.try_get_by_index(1).unwrap(),
                    r.try_get_by_index(2).unwrap(),
                    r.try_get_by_index(3).unwrap(),
                )
            })
            .collect()
    }

    /// SeaORM binds `DateTime<Utc>` through sqlx, so every path (single,
    /// bulk, hand-written) writes the one SQLite text form of
    /// `alchemy_core::audit::sqlite_text`.
    #[tokio::test]
    async fn sqlite_timestamps_are_written_in_the_shared_text_form() {
        let t0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let t1 = Utc.timestamp_opt(1_700_000_001, 123_456_000).unwrap();
        let t2 = Utc.timestamp_opt(1_700_000_002, 120_000_000).unwrap();
        let clock = Arc::new(ManualClock::new(t0));
        let db = Db::connect("sqlite::memory:")
            .await
            .unwrap()
            .with_clock(clock.clone());
        db.create_tables(&[event::Model::table()]).await.unwrap();
        let events = SeaRepository::<event::Entity>::new();
        let mut s = db.begin().await.unwrap();
        let a = events.add(&mut s, event("a", Some(t1))).await.unwrap();
        let rows = events
            .add_many(&mut s, vec![event("b", None), event("c", Some(t2))])
            .await
            .unwrap();
        clock.set(t1);
        let mut b = rows[0].clone();
        b.at = Some(t0);
        let updated = events.update_many(&mut s, vec![b]).await.unwrap();
        assert_eq!(updated[0].updated_at, t1);
        assert_eq!(updated[0].created_at, t0);
        clock.set(t2);
        let done = events
            .upsert_many(
                &mut s,
                vec![event("c", Some(t1)), event("d", None)],
                &["name"],
            )
            .await
            .unwrap();
        assert_eq!((done.created, done.updated), (1, 1));
        assert_eq!(done.rows[0].created_at, t0);
        assert_eq!(done.rows[0].updated_at, t2);
        s.commit().await.unwrap();

        let text = |t: DateTime<Utc>| sqlite_text(t);
        assert_eq!(
            stored(&db).await,
            vec![
                ("text".into(), text(t0), text(t0), Some(text(t1))),
                ("text".into(), text(t0), text(t1), Some(text(t0))),
                ("text".into(), text(t0), text(t2), Some(text(t1))),
                ("text".into(), text(t2), text(t2), None),
            ]
        );
        assert_eq!(text(t2), "2023-11-14T22:13:22.120+00:00");

        // Filters compare with the same form.
        let mut s = db.begin().await.unwrap();
        let after = Query::new()
            .filter(Condition::after("updated_at", t0))
            .order_by("name");
        let (page, total) = events.list_and_count(&mut s, &after).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(page[0].name, "b");
        assert_eq!(events.get(&mut s, &a.id).await.unwrap(), a);
    }

    /// Upserts on several columns (row-value `IN (VALUES ..)`) and on a
    /// client-made key (native `ON CONFLICT (id)`), on `db`.
    async fn upsert_paths(db: &Db) {
        db.create_tables(&[event::Model::table()]).await.unwrap();
        let t0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let events = SeaRepository::<event::Entity>::new();
        let mut s = db.begin().await.unwrap();
        let a = events.add(&mut s, event("a", Some(t0))).await.unwrap();
        let b = events.add(&mut s, event("b", None)).await.unwrap();
        s.commit().await.unwrap();
        let mut s = db.begin().await.unwrap();
        // Several match columns: select-then-write. A NULL never matches.
        let done = events
            .upsert_many(
                &mut s,
                vec![event("b", None), event("a", Some(t0)), event("x", None)],
                &["name", "at"],
            )
            .await
            .unwrap_err();
        // `b` (NULL `at`) is new, and clashes with the stored `b` on the unique name.
        assert!(
            matches!(done, alchemy_core::Error::DuplicateKey { .. }),
            "{done}"
        );
        s.rollback().await.unwrap();

        let mut s = db.begin().await.unwrap();
        let done = events
            .upsert_many(
                &mut s,
                vec![event("a", Some(t0)), event("x", None)],
                &["name", "at"],
            )
            .await
            .unwrap();
        assert_eq!((done.created, done.updated), (1, 1));
        assert_eq!(done.rows[0].id, a.id);
        assert_eq!(done.rows[1].name, "x");
        // On the (client-made) key: native.
        let mut renamed = b.clone();
        renamed.name = "b2".into();
        let done = events
            .upsert_many(&mut s, vec![renamed, event("y", None)], &["id"])
            .await
            .unwrap();
        assert_eq!((done.created, done.updated), (1, 1));
        assert_eq!(done.rows[0].id, b.id);
        assert_eq!(done.rows[0].name, "b2");
        assert_eq!(done.rows[0].created_at, b.created_at);
        assert_ne!(done.rows[1].id, uuid::Uuid::nil());
        assert_eq!(events.count(&mut s, None).await.unwrap(), 4);
        let deleted = events
            .delete_many(&mut s, &[a.id, uuid::Uuid::nil(), b.id])
            .await
            .unwrap();
        assert_eq!(deleted.len(), 2);
        s.rollback().await.unwrap();
    }

    #[tokio::test]
    async fn upsert_paths_on_sqlite() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        upsert_paths(&db).await;
    }

    /// Runs when `ALCHEMY_TEST_POSTGRES_URL` names a server.
    #[tokio::test]
    async fn upsert_paths_on_postgres() {
        let Ok(url) = std::env::var("ALCHEMY_TEST_POSTGRES_URL") else {
            return;
        };
        let schema = format!("alc_seaorm_repo_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&url).await.unwrap();
        let create = format!("CREATE SCHEMA \"{schema}\"");
        admin
            .connection()
            .execute_unprepared(&create)
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = Db::connect(&format!("{url}{sep}options=-csearch_path%3D{schema}"))
            .await
            .unwrap();
        // Drop the schema even when a check fails.
        let outcome = tokio::spawn(async move { upsert_paths(&db).await }).await;
        let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
        admin.connection().execute_unprepared(&drop).await.unwrap();
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
