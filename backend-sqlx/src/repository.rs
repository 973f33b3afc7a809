//! The repository: one generic implementation for every model.

use std::fmt;
use std::marker::PhantomData;

use alchemy_core::audit::{CREATED_AT, now_micros};
use alchemy_core::base::{check_fields, match_condition, prepare_insert, prepare_update};
use alchemy_core::bulk::{self, Plan, Rows};
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::identity::{self, ReadBack};
use alchemy_core::insert;
use alchemy_core::schema::{ColumnType, Dialect, Table, quote, quote_list};
use alchemy_core::session::SessionState;
use alchemy_core::sql::{self, Statement};
use alchemy_core::{Error, KeyOf, Model, Repository, Result, Session, Upserted};
use sqlx::FromRow;

use crate::backend::{SqlxBackend, TOTAL_QUOTED};
use crate::session::SqlxSession;
use crate::sql::{Fixed, Sql, cached, insert_columns, insert_head, key_column, push_row};

/// A model this crate can store: an [`alchemy_core::Model`] that derives
/// `sqlx::FromRow` for PostgreSQL and SQLite rows (the derive does both for
/// the usual column types). Implemented for every such type.
///
/// ```
/// use alchemy_core::{impl_model, base::BigIntAuditBase, schema::{Column, ColumnType}};
/// use chrono::{DateTime, Utc};
///
/// #[derive(Debug, Clone, sqlx::FromRow)]
/// pub struct Tag {
///     pub id: i64,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     pub name: String,
/// }
///
/// impl_model!(Tag, BigIntAuditBase, audited, |t| t
///     .column(Column::new("name", ColumnType::VarChar(100)))
///     .unique(["name"]), fields(name));
///
/// fn stored<M: alchemy_sqlx::SqlxModel>() {}
/// stored::<Tag>();
/// ```
pub trait SqlxModel:
    Model + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
{
}

impl<T> SqlxModel for T where
    T: Model
        + for<'r> FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
{
}

/// The repository of model `M` on database `DB` (stateless; `Copy`).
pub struct SqlxRepository<M, DB> {
    _marker: PhantomData<fn() -> (M, DB)>,
}

/// A repository on PostgreSQL.
pub type PgRepository<M> = SqlxRepository<M, sqlx::Postgres>;
/// A repository on SQLite.
pub type SqliteRepository<M> = SqlxRepository<M, sqlx::Sqlite>;

impl<M, DB> SqlxRepository<M, DB> {
    /// A repository value.
    pub const fn new() -> Self {
        Self {
            _marker: PhantomData,
        }
    }
}

impl<M, DB> Default for SqlxRepository<M, DB> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M, DB> Clone for SqlxRepository<M, DB> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, DB> Copy for SqlxRepository<M, DB> {}

impl<M, DB> fmt::Debug for SqlxRepository<M, DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SqlxRepository")
    }
}

/// `created_at`, quoted.
const CREATED_AT_QUOTED: &str = "\"created_at\"";

/// Most binds in one bulk statement: SQLite's limit, kept on PostgreSQL
/// (65,535), where sqlx runs a 30,000-bind statement no slower per row and
/// smaller ones slower (each costs a round trip and its own preparation).
const BINDS_PER_STATEMENT: usize = 32_766;

/// `head` (`INSERT INTO t (..) VALUES `) followed by one row of binds per model.
fn insert_rows<DB: SqlxBackend, M: Model>(
    head: &str,
    table: &Table,
    columns: &[usize],
    models: &[M],
) -> Sql<DB> {
    let mut qb = Sql::new(head);
    for (i, m) in models.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        push_row(&mut qb, table, columns, m.values());
    }
    qb
}

/// `c = ?, ..`: `values` of columns `columns`, in order.
fn push_set<DB: SqlxBackend>(
    qb: &mut Sql<DB>,
    table: &Table,
    columns: &[usize],
    values: impl Iterator<Item = Value>,
) {
    for (n, (&i, value)) in columns.iter().zip(values).enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        let column = &table.columns()[i];
        let name = table.quoted_column(i).unwrap_or_default();
        qb.push(name).push(" = ").bind(value, column.ty);
    }
}

/// `UPDATE t SET c = ?, .. WHERE key IN (..)`: the same `values` of
/// columns `written` for every row with one of `keys`.
fn update_shared<DB: SqlxBackend, M: Model>(
    table: &Table,
    written: &[usize],
    values: &[Value],
    keys: &[M],
) -> Result<Sql<DB>>
where
    KeyOf<M>: Into<Value>,
{
    let key = key_column(table)?;
    let mut qb = Sql::new("UPDATE ");
    qb.push(table.quoted_name()).push(" SET ");
    push_set(&mut qb, table, written, values.iter().cloned());
    qb.push(" WHERE ")
        .push(table.quoted_field(&key.name)?)
        .push(" IN (");
    for (n, m) in keys.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        qb.bind(m.key().clone().into(), key.ty);
    }
    qb.push(")");
    Ok(qb)
}

/// `UPDATE t SET c = "v".columnN, .. FROM (VALUES (key, c..), ..) AS "v"
/// WHERE t.key = "v".column1`, writing columns `written` of `models`.
fn update_from_values<DB: SqlxBackend, M: Model>(
    table: &Table,
    written: &[usize],
    models: &[M],
) -> Result<Sql<DB>> {
    let key = key_column(table)?;
    let key_index = table
        .columns()
        .iter()
        .position(|c| c.name == key.name)
        .unwrap_or(0);
    let mut row_columns = vec![key_index];
    row_columns.extend(written);
    let mut qb = Sql::new("UPDATE ");
    qb.push(table.quoted_name())
        .push(" SET ")
        .push(&bulk::values_set_list(table, key_index, written))
        .push(" FROM (VALUES ");
    for (n, m) in models.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        push_row(&mut qb, table, &row_columns, m.values());
    }
    qb.push(") AS \"v\" WHERE ")
        .push(table.quoted_name())
        .push(".")
        .push(table.quoted_field(&key.name)?)
        .push(" = \"v\".column1");
    Ok(qb)
}

impl<M, DB> SqlxRepository<M, DB>
where
    DB: SqlxBackend,
    M: SqlxModel,
    KeyOf<M>: Into<Value>,
{
    fn where_key(qb: &mut Sql<DB>, table: &Table, key: &KeyOf<M>) -> Result<()> {
        let column = key_column(table)?;
        qb.push(" WHERE ")
            .push(table.quoted_field(&column.name)?)
            .push(" = ")
            .bind(key.clone().into(), column.ty);
        Ok(())
    }

    /// `SELECT <every column> FROM t`.
    fn select(table: &Table) -> Sql<DB> {
        let mut qb = Sql::new("SELECT ");
        qb.push(table.select_list())
            .push(" FROM ")
            .push(table.quoted_name());
        qb
    }

    /// Runs `qb` and decodes the rows it returns.
    async fn fetch(session: &mut SqlxSession<DB>, qb: Sql<DB>) -> Result<Vec<M>> {
        {
            let result = DB::fetch_all::<M>(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }
    }

    /// Runs `qb` and remembers the rows it returns (see [`identity`]).
    async fn all(session: &mut SqlxSession<DB>, qb: Sql<DB>) -> Result<Vec<M>> {
        let rows = Self::fetch(session, qb).await?;
        session.loaded().record(&rows);
        Ok(rows)
    }

    /// Runs `qb`, which returns at most one row, and decodes it.
    async fn first(session: &mut SqlxSession<DB>, qb: Sql<DB>) -> Result<Option<M>> {
        {
            let result = DB::fetch_optional::<M>(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }
    }

    /// Runs `qb`, which returns at most one row, and remembers it.
    async fn one(session: &mut SqlxSession<DB>, qb: Sql<DB>) -> Result<Option<M>> {
        let row = Self::first(session, qb).await?;
        session.loaded().record(row.as_slice());
        Ok(row)
    }

    /// Most binds in one bulk statement on `DB`.
    fn max_binds() -> usize {
        DB::MAX_BINDS.min(BINDS_PER_STATEMENT)
    }

    /// Rows per statement when each row binds `binds` values.
    fn per_statement(binds: usize) -> usize {
        bulk::rows_per_statement(Self::max_binds(), binds)
    }

    /// The `stored` columns (see [`bulk::Prepared::stored_columns`]) of the
    /// stored rows whose `columns` values are one of `wanted`.
    async fn existing_by(
        session: &mut SqlxSession<DB>,
        table: &Table,
        stored: &[usize],
        columns: &[usize],
        wanted: &Rows,
    ) -> Result<Rows> {
        let mut found = Rows::with_capacity(stored.len(), 0);
        let types: Vec<ColumnType> = stored.iter().map(|&i| table.columns()[i].ty).collect();
        let select: Vec<&str> = stored
            .iter()
            .map(|&i| table.columns()[i].name.as_str())
            .collect();
        let select = quote_list(&select);
        let names: Vec<&str> = columns
            .iter()
            .map(|&i| table.columns()[i].name.as_str())
            .collect();
        for chunk in wanted.chunks(Self::per_statement(columns.len())) {
            let mut qb = Sql::new(&format!(
                "SELECT {} FROM {} WHERE ({}) IN (",
                select,
                table.quoted_name(),
                quote_list(&names)
            ));
            // One column: a plain `IN (?, ..)`, which PostgreSQL hashes or
            // looks up in an index; it plans `(c) IN ((?), ..)` as one OR
            // branch per value, tried on every row.
            let single = columns.len() == 1;
            for (n, values) in chunk.enumerate() {
                qb.push(match (n, single) {
                    (0, true) => "",
                    (_, true) => ", ",
                    (0, false) => "(",
                    (_, false) => ", (",
                });
                for (j, (value, &i)) in values.iter().zip(columns).enumerate() {
                    if j > 0 {
                        qb.push(", ");
                    }
                    qb.bind(value, table.columns()[i].ty);
                }
                if !single {
                    qb.push(")");
                }
            }
            qb.push(")");
            found.extend({
                let result = DB::fetch_values(session.conn_for_statement()?, qb, &types).await;
                session.sent(result)
            }?);
        }
        Ok(found)
    }

    /// One `INSERT .. ON CONFLICT (match) DO UPDATE` per chunk; rows come
    /// back in input order.
    async fn upsert_native(
        session: &mut SqlxSession<DB>,
        table: &Table,
        models: Vec<M>,
        match_columns: &[usize],
    ) -> Result<Vec<M>> {
        let columns = insert_columns::<M>(table);
        let name = |i: &usize| table.columns()[*i].name.as_str();
        let match_names: Vec<&str> = match_columns.iter().map(name).collect();
        let set: Vec<String> = bulk::update_columns::<M>(&columns, match_columns)
            .iter()
            .map(|i| format!("{0} = excluded.{0}", quote(name(i))))
            .collect();
        let tail = format!(
            " ON CONFLICT ({}) DO UPDATE SET {} RETURNING {}",
            quote_list(&match_names),
            set.join(", "),
            table.select_list()
        );
        let head = insert_head(table, &columns);
        let mut out = Vec::with_capacity(models.len());
        for chunk in bulk::chunks(&models, Self::per_statement(columns.len())) {
            let mut qb = insert_rows(&head, table, &columns, chunk);
            qb.push(tail.as_str());
            let rows = Self::all(session, qb).await?;
            out.extend(bulk::in_input_order(chunk, rows, match_columns)?);
        }
        Ok(out)
    }
}

/// The statements of `add_many` ([`insert::add_many`]) on a session.
struct Inserter<'s, DB: SqlxBackend>(&'s mut SqlxSession<DB>);

impl<M, DB> insert::Insert<M> for Inserter<'_, DB>
where
    DB: SqlxBackend,
    M: SqlxModel,
    KeyOf<M>: Into<Value>,
{
    fn state(&mut self) -> &mut SessionState {
        self.0.state_mut()
    }

    fn dialect(&self) -> Dialect {
        DB::DIALECT
    }

    fn rows_per_statement(&self, columns: usize) -> usize {
        SqlxRepository::<M, DB>::per_statement(columns)
    }

    async fn insert(&mut self, rows: &[M]) -> Result<u64> {
        let table = M::table();
        let columns: Vec<usize> = (0..table.columns().len()).collect();
        let qb = insert_rows(&insert_head(table, &columns), table, &columns, rows);
        let result = DB::execute(self.0.conn_for_statement()?, qb).await;
        self.0.sent(result)
    }

    async fn insert_returning(&mut self, rows: &[M]) -> Result<Vec<M>> {
        let table = M::table();
        let columns = insert_columns::<M>(table);
        let mut qb = insert_rows(&insert_head(table, &columns), table, &columns, rows);
        qb.push(" RETURNING ").push(table.select_list());
        SqlxRepository::<M, DB>::fetch(self.0, qb).await
    }

    async fn query_values(&mut self, statement: &Statement, ty: ColumnType) -> Result<Vec<Value>> {
        let mut qb = Sql::new("");
        statement.write_to(&mut qb);
        let result = DB::fetch_values(self.0.conn_for_statement()?, qb, &[ty]).await;
        self.0.sent(result)
    }
}

impl<M, DB> Repository for SqlxRepository<M, DB>
where
    DB: SqlxBackend,
    M: SqlxModel,
    KeyOf<M>: Into<Value>,
{
    type Model = M;
    type Session = SqlxSession<DB>;

    async fn add(&self, session: &mut SqlxSession<DB>, model: M) -> Result<M> {
        let table = M::table();
        self.add_many(session, vec![model])
            .await?
            .pop()
            .ok_or_else(|| Error::backend(format!("INSERT INTO {} returned no row", table.name())))
    }

    async fn add_many(&self, session: &mut SqlxSession<DB>, models: Vec<M>) -> Result<Vec<M>> {
        let now = now_micros(&**session.clock());
        insert::add_many(&mut Inserter(session), models, now).await
    }

    async fn get(&self, session: &mut SqlxSession<DB>, key: &KeyOf<M>) -> Result<M> {
        let table = M::table();
        let text = cached::<DB, M>(Fixed::GetByKey, || {
            let mut qb = Self::select(table);
            Self::where_key(&mut qb, table, key)?;
            Ok(qb.into_text())
        })?;
        let mut qb = Sql::fixed(text);
        qb.arg(key.clone().into(), key_column(table)?.ty);
        Self::one(session, qb)
            .await?
            .ok_or_else(|| Error::not_found(table.name(), key))
    }

    async fn list(&self, session: &mut SqlxSession<DB>, query: &Query) -> Result<Vec<M>> {
        let table = M::table();
        // Check (and type) everything before anything is built or sent.
        let query = query.checked_ref(table)?;
        let mut qb = Self::select(table);
        sql::write_query(&mut qb, table, DB::DIALECT, &query)?;
        if query.limit == Some(1) {
            return Ok(Self::one(session, qb).await?.into_iter().collect());
        }
        Self::all(session, qb).await
    }

    async fn count(
        &self,
        session: &mut SqlxSession<DB>,
        filter: Option<&Condition>,
    ) -> Result<u64> {
        let table = M::table();
        let filter = filter.map(|f| f.checked_ref(table)).transpose()?;
        let mut qb = Sql::new("SELECT count(*) FROM ");
        qb.push(table.quoted_name());
        sql::write_where(&mut qb, table, DB::DIALECT, filter.as_deref())?;
        let n = {
            let result = DB::fetch_count(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list_and_count(
        &self,
        session: &mut SqlxSession<DB>,
        query: &Query,
    ) -> Result<(Vec<M>, u64)> {
        let table = M::table();
        let query = query.checked_ref(table)?;
        let mut qb = Sql::new("SELECT ");
        qb.push(table.select_list())
            .push(", count(*) OVER () AS ")
            .push(TOTAL_QUOTED)
            .push(" FROM ")
            .push(table.quoted_name());
        sql::write_query(&mut qb, table, DB::DIALECT, &query)?;
        let rows = {
            let result = DB::fetch_all_with_total::<M>(session.conn_for_statement()?, qb).await;
            session.sent(result)
        }?;
        for (row, _) in &rows {
            session.loaded().record(std::slice::from_ref(row));
        }
        let Some(&(_, total)) = rows.first() else {
            // An empty page carries no total: count apart (a page past the
            // end still has a true total).
            let total = if query.offset.unwrap_or(0) > 0 || query.limit == Some(0) {
                self.count(session, query.filter.as_ref()).await?
            } else {
                0
            };
            return Ok((Vec::new(), total));
        };
        let total = u64::try_from(total).unwrap_or(0);
        Ok((rows.into_iter().map(|(m, _)| m).collect(), total))
    }

    async fn update(&self, session: &mut SqlxSession<DB>, mut model: M) -> Result<M> {
        let result: Result<M> = async {
            prepare_update(&mut model, now_micros(&**session.clock()))?;
            let table = M::table();
            let plan = identity::update_plan::<M>(session.loaded().changed(&model));
            session.unique_cache().forget::<M>();
            if plan.columns.is_empty() {
                // Nothing to write (no change, no audit column): the stored row.
                return self.get(session, model.key()).await;
            }
            let values = plan
                .columns
                .iter()
                .map(|&i| model.value(i).unwrap_or(Value::Null));
            let not_found = || Error::not_found(table.name(), model.key());
            let build = |values| {
                let mut qb = Sql::new("UPDATE ");
                qb.push(table.quoted_name()).push(" SET ");
                push_set(&mut qb, table, &plan.columns, values);
                Self::where_key(&mut qb, table, model.key())?;
                Ok::<_, Error>(qb)
            };
            match plan.read_back {
                ReadBack::Row => {
                    let mut qb = build(values)?;
                    qb.push(" RETURNING ").push(table.select_list());
                    return Self::one(session, qb).await?.ok_or_else(not_found);
                }
                // Every other column was written from the model: only
                // `created_at` is read back. Whole-row updates of a model all
                // have one text, made once.
                ReadBack::CreatedAt => {
                    let text = cached::<DB, M>(Fixed::UpdateWhole, || {
                        let mut qb = build(values.clone())?;
                        qb.push(" RETURNING ").push(CREATED_AT_QUOTED);
                        Ok(qb.into_text())
                    })?;
                    let mut qb = Sql::fixed(text);
                    for (&i, value) in plan.columns.iter().zip(values) {
                        qb.arg(value, table.columns()[i].ty);
                    }
                    qb.arg(model.key().clone().into(), key_column(table)?.ty);
                    let created = {
                        let result = DB::fetch_timestamp(session.conn_for_statement()?, qb).await;
                        session.sent(result)
                    }?
                    .ok_or_else(not_found)?;
                    if let Some(mut stamps) = model.timestamps() {
                        stamps.created_at = created;
                        model.set_timestamps(stamps);
                    }
                }
                ReadBack::Nothing => {
                    let written = {
                        let result =
                            DB::execute(session.conn_for_statement()?, build(values)?).await;
                        session.sent(result)
                    }?;
                    if written == 0 {
                        return Err(not_found());
                    }
                }
            }
            session.loaded().record(std::slice::from_ref(&model));
            Ok(model)
        }
        .await;

        // A foreign key this write broke, named where the database did not.

        result.map_err(|e| alchemy_core::error::name_foreign_key(e, M::table()))
    }

    async fn update_many(
        &self,
        session: &mut SqlxSession<DB>,
        mut models: Vec<M>,
    ) -> Result<Vec<M>> {
        let before = session.statements();
        let result: Result<Vec<M>> = async {
            if models.is_empty() {
                return Ok(models);
            }
            let table = M::table();
            bulk::distinct_keys(&models)?;
            let now = now_micros(&**session.clock());
            for m in &mut models {
                prepare_update(m, now)?;
            }
            session.unique_cache().forget::<M>();
            let key = key_column(table)?;
            // Every column but the key and created_at.
            let written: Vec<usize> = (0..table.columns().len())
                .filter(|&i| {
                    let name = &table.columns()[i].name;
                    *name != key.name && name != CREATED_AT
                })
                .collect();
            let returning = format!(" RETURNING {}", table.select_list());
            let mut out = Vec::with_capacity(models.len());
            for chunk in bulk::chunks(&models, Self::per_statement(written.len() + 1)) {
                let mut qb = update_from_values(table, &written, chunk)?;
                qb.push(returning.as_str());
                let rows = Self::all(session, qb).await?;
                out.extend(bulk::in_key_order(chunk, rows)?);
            }
            Ok(out)
        }
        .await;

        // A foreign key named; a failure after a write fails the session.

        session
            .state_mut()
            .finish_writes(before, M::table(), result)
    }

    async fn upsert_many(
        &self,
        session: &mut SqlxSession<DB>,
        models: Vec<M>,
        match_fields: &[&str],
    ) -> Result<Upserted<M>> {
        let before = session.statements();
        let result: Result<Upserted<M>> = async {
            let table = M::table();
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
                table,
                &prepared.stored_columns(),
                &prepared.columns,
                &prepared.wanted,
            )
            .await?;
            let columns = prepared.columns.clone();
            session.unique_cache().forget::<M>();
            match prepared.plan(existing, now_micros(&**session.clock()))? {
                Plan::Native {
                    models,
                    created,
                    updated,
                } => {
                    // Race-free: the database settles a concurrent insert of the same values.
                    let rows = Self::upsert_native(session, table, models, &columns).await?;
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
                        let rows = bulk::update_rows_per_statement(
                            Self::max_binds(),
                            written.len(),
                            shared.is_some(),
                        );
                        for chunk in bulk::chunks(&updates, rows) {
                            let qb = match &shared {
                                Some(values) => update_shared(table, &written, values, chunk)?,
                                None => update_from_values(table, &written, chunk)?,
                            };
                            let written = {
                                let result = DB::execute(session.conn_for_statement()?, qb).await;
                                session.sent(result)
                            }?;
                            bulk::check_updated::<M>(chunk.len(), written)?;
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
            .finish_writes(before, M::table(), result)
    }

    async fn delete(&self, session: &mut SqlxSession<DB>, key: &KeyOf<M>) -> Result<M> {
        let table = M::table();
        let mut qb = Sql::new("DELETE FROM ");
        qb.push(table.quoted_name());
        Self::where_key(&mut qb, table, key)?;
        qb.push(" RETURNING ").push(table.select_list());
        session.unique_cache().forget::<M>();
        let row = Self::one(session, qb)
            .await?
            .ok_or_else(|| Error::not_found(table.name(), key))?;
        session.loaded().forget::<M>(row.key());
        Ok(row)
    }

    async fn delete_many(
        &self,
        session: &mut SqlxSession<DB>,
        keys: &[KeyOf<M>],
    ) -> Result<Vec<M>> {
        let table = M::table();
        let key = key_column(table)?;
        session.unique_cache().forget::<M>();
        let mut out = Vec::with_capacity(keys.len());
        for chunk in bulk::chunks(keys, Self::per_statement(1)) {
            let mut qb = Sql::new("DELETE FROM ");
            qb.push(table.quoted_name())
                .push(" WHERE ")
                .push(table.quoted_field(&key.name)?)
                .push(" IN (");
            for (i, k) in chunk.iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                qb.bind(k.clone().into(), key.ty);
            }
            qb.push(") RETURNING ").push(table.select_list());
            out.extend(Self::all(session, qb).await?);
        }
        session.loaded().forget_rows(&out);
        Ok(out)
    }

    async fn delete_where(
        &self,
        session: &mut SqlxSession<DB>,
        filter: &Condition,
    ) -> Result<Vec<M>> {
        let table = M::table();
        let filter = filter.checked_ref(table)?;
        let mut qb = Sql::new("DELETE FROM ");
        qb.push(table.quoted_name()).push(" WHERE ");
        sql::write_condition(&mut qb, table, DB::DIALECT, &filter)?;
        qb.push(" RETURNING ").push(table.select_list());
        session.unique_cache().forget::<M>();
        let rows = Self::all(session, qb).await?;
        session.loaded().forget_rows(&rows);
        Ok(rows)
    }

    async fn add_if_absent(
        &self,
        session: &mut SqlxSession<DB>,
        mut model: M,
        conflict_columns: &[&str],
    ) -> Result<Option<M>> {
        let result: Result<Option<M>> = async {
            let table = M::table();
            // Checked before anything is sent.
            check_fields::<M>(conflict_columns)?;
            prepare_insert(&mut model, now_micros(&**session.clock()))?;
            let columns = insert_columns::<M>(table);
            // No conflict target: every unique index is an arbiter, so a
            // concurrent insert of the same row is settled by the database even
            // when it clashes on another index (the slug) before the target.
            let text = cached::<DB, M>(Fixed::InsertAbsent, || {
                let head = insert_head(table, &columns);
                let mut qb: Sql<DB> =
                    insert_rows(&head, table, &columns, std::slice::from_ref(&model));
                qb.push(" ON CONFLICT DO NOTHING RETURNING ")
                    .push(table.select_list());
                Ok(qb.into_text())
            })?;
            let mut qb = Sql::fixed(text);
            let mut values = model.values();
            for &i in &columns {
                let value = values
                    .get_mut(i)
                    .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
                qb.arg(value, table.columns()[i].ty);
            }
            if let Some(row) = Self::first(session, qb).await? {
                return Ok(Some(row));
            }
            // A conflict: usually a row with the same values in
            // `conflict_columns`; otherwise another constraint, which is the
            // caller's error.
            let same = match_condition(&model, conflict_columns)?;
            if self.count(session, Some(&same)).await? > 0 {
                return Ok(None);
            }
            // The plain insert names the constraint; the savepoint keeps the
            // session usable after it fails.
            session
                .savepoint(|session| {
                    Box::pin(async move {
                        let head = insert_head(table, &columns);
                        let mut qb =
                            insert_rows(&head, table, &columns, std::slice::from_ref(&model));
                        qb.push(" RETURNING ").push(table.select_list());
                        Self::first(session, qb).await
                    })
                })
                .await
        }
        .await;

        // A foreign key this write broke, named where the database did not.

        result.map_err(|e| alchemy_core::error::name_foreign_key(e, M::table()))
    }
}
