//! The repository: one generic implementation for every model.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use alchemy_core::audit::now_micros;
use alchemy_core::base::{key_from_database, prepare_insert, prepare_update};
use alchemy_core::filter::{Condition, TextMatch, Value, like_to_glob, literal_pattern};
use alchemy_core::schema::{Column, ColumnType, Dialect, Table, quote};
use alchemy_core::{Error, KeyOf, Model, Repository, Result, Session};
use sqlx::{FromRow, QueryBuilder};

use crate::backend::SqlxBackend;
use crate::error::convert;
use crate::session::SqlxSession;

/// A model this crate can store: an [`alchemy_core::Model`] that also
/// derives `sqlx::FromRow` (decoding PostgreSQL and SQLite rows, which the
/// derive does for the usual column types) and lists its column values.
///
/// ```
/// use alchemy_core::{impl_model, base::BigIntAuditBase, filter::Value, schema::{Column, ColumnType}};
/// use alchemy_sqlx::SqlxModel;
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
///     .unique(["name"]));
///
/// impl SqlxModel for Tag {
///     fn values(&self) -> Vec<Value> {
///         vec![self.id.into(), self.created_at.into(), self.updated_at.into(), self.name.clone().into()]
///     }
/// }
/// ```
pub trait SqlxModel:
    Model + for<'r> FromRow<'r, sqlx::postgres::PgRow> + for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>
{
    /// The value of every column of [`Model::table`], in column order.
    fn values(&self) -> Vec<Value>;
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

/// Quoted, comma-separated column list, optionally qualified by `alias`.
pub(crate) fn select_list(table: &Table, alias: Option<&str>) -> String {
    let prefix = alias.map(|a| format!("{}.", quote(a))).unwrap_or_default();
    table
        .columns()
        .iter()
        .map(|c| format!("{prefix}{}", quote(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_column(table: &Table) -> Result<&Column> {
    let name = table.primary_key_columns().first().ok_or_else(|| {
        Error::invalid_input(format!("table `{}` has no primary key", table.name()))
    })?;
    table.check_field(name)
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

fn insert_head(table: &Table, columns: &[usize]) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|&i| table.columns()[i].name.as_str())
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ",
        quote(table.name()),
        alchemy_core::schema::quote_list(&names)
    )
}

fn push_row<DB: SqlxBackend>(
    qb: &mut QueryBuilder<DB>,
    table: &Table,
    columns: &[usize],
    values: Vec<Value>,
) {
    let mut values: Vec<Option<Value>> = values.into_iter().map(Some).collect();
    qb.push("(");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        let value = values
            .get_mut(i)
            .and_then(Option::take)
            .unwrap_or(Value::Null);
        DB::push_value(qb, value, table.columns()[i].ty);
    }
    qb.push(")");
}

/// Compiles `condition` (already checked against `table`) into `qb`.
pub(crate) fn push_condition<DB: SqlxBackend>(
    qb: &mut QueryBuilder<DB>,
    table: &Table,
    condition: &Condition,
) -> Result<()> {
    let ty = |field: &str| table.check_field(field).map(|c| c.ty);
    match condition {
        Condition::Eq { field, value } => {
            qb.push(quote(field));
            if *value == Value::Null {
                qb.push(" IS NULL");
            } else {
                qb.push(" = ");
                DB::push_value(qb, value.clone(), ty(field)?);
            }
        }
        Condition::Compare { field, op, value } => {
            qb.push(quote(field)).push(" ").push(op.sql()).push(" ");
            DB::push_value(qb, value.clone(), ty(field)?);
        }
        Condition::Between { field, low, high } => {
            let t = ty(field)?;
            qb.push(quote(field)).push(" BETWEEN ");
            DB::push_value(qb, low.clone(), t);
            qb.push(" AND ");
            DB::push_value(qb, high.clone(), t);
        }
        Condition::In { field, values } | Condition::NotIn { field, values } => {
            let negate = matches!(condition, Condition::NotIn { .. });
            if values.is_empty() {
                // IN () matches nothing; NOT IN () filters nothing.
                qb.push(if negate { "1 = 1" } else { "1 = 0" });
                return Ok(());
            }
            let t = ty(field)?;
            qb.push(quote(field))
                .push(if negate { " NOT IN (" } else { " IN (" });
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                DB::push_value(qb, v.clone(), t);
            }
            qb.push(")");
        }
        Condition::Like {
            field,
            pattern,
            case_insensitive,
        } => push_like::<DB>(qb, field, pattern, *case_insensitive),
        Condition::Text {
            field,
            matching,
            value,
            case_insensitive,
        } => push_like::<DB>(
            qb,
            field,
            &literal_pattern(*matching, value),
            *case_insensitive,
        ),
        Condition::IsNull { field } => {
            qb.push(quote(field)).push(" IS NULL");
        }
        Condition::IsNotNull { field } => {
            qb.push(quote(field)).push(" IS NOT NULL");
        }
        Condition::Search {
            fields,
            value,
            case_insensitive,
        } => {
            let pattern = literal_pattern(TextMatch::Contains, value);
            qb.push("(");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                push_like::<DB>(qb, field, &pattern, *case_insensitive);
            }
            qb.push(")");
        }
        Condition::NotInSearch {
            fields,
            value,
            case_insensitive,
        } => {
            let pattern = literal_pattern(TextMatch::Contains, value);
            qb.push("(");
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    qb.push(" AND ");
                }
                // A NULL field contains nothing, so it does not contain the value.
                qb.push("(").push(quote(field)).push(" IS NULL OR NOT ");
                push_like::<DB>(qb, field, &pattern, *case_insensitive);
                qb.push(")");
            }
            qb.push(")");
        }
        Condition::And(all) | Condition::Or(all) => {
            let (joiner, empty) = if matches!(condition, Condition::And(_)) {
                (" AND ", "1 = 1")
            } else {
                (" OR ", "1 = 0")
            };
            if all.is_empty() {
                qb.push(empty);
                return Ok(());
            }
            qb.push("(");
            for (i, c) in all.iter().enumerate() {
                if i > 0 {
                    qb.push(joiner);
                }
                push_condition(qb, table, c)?;
            }
            qb.push(")");
        }
        _ => {
            return Err(Error::NotSupported {
                operation: "this filter",
                backend: "alchemy-sqlx",
            });
        }
    }
    Ok(())
}

/// `field LIKE pattern` with `\` escapes, case-sensitive or not, the same on
/// both databases (SQLite's LIKE folds ASCII case, so its exact match is GLOB).
fn push_like<DB: SqlxBackend>(
    qb: &mut QueryBuilder<DB>,
    field: &str,
    pattern: &str,
    case_insensitive: bool,
) {
    qb.push(quote(field));
    match (DB::DIALECT, case_insensitive) {
        (Dialect::Sqlite, false) => {
            qb.push(" GLOB ");
            DB::push_value(qb, Value::Text(like_to_glob(pattern)), ColumnType::Text);
            return;
        }
        (Dialect::Postgres, true) => qb.push(" ILIKE "),
        _ => qb.push(" LIKE "),
    };
    DB::push_value(qb, Value::Text(pattern.to_string()), ColumnType::Text);
    qb.push(" ESCAPE '\\'");
}

fn key_type(table: &Table) -> ColumnType {
    key_column(table).map_or(ColumnType::Text, |c| c.ty)
}

impl<M, DB> SqlxRepository<M, DB>
where
    DB: SqlxBackend,
    M: SqlxModel,
    KeyOf<M>: Into<Value>,
{
    fn where_key(qb: &mut QueryBuilder<DB>, table: &Table, key: &KeyOf<M>) -> Result<()> {
        let column = key_column(table)?;
        qb.push(" WHERE ").push(quote(&column.name)).push(" = ");
        DB::push_value(qb, key.clone().into(), column.ty);
        Ok(())
    }

    /// Runs one fixed statement (savepoints) in the session.
    async fn statement(session: &mut SqlxSession<DB>, sql: &'static str) -> Result<()> {
        DB::execute(session.conn_for_statement(), QueryBuilder::new(sql))
            .await
            .map(drop)
            .map_err(convert)
    }

    async fn one(session: &mut SqlxSession<DB>, qb: QueryBuilder<DB>) -> Result<Option<M>> {
        let rows = DB::fetch_all::<M>(session.conn_for_statement(), qb)
            .await
            .map_err(convert)?;
        Ok(rows.into_iter().next())
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

    async fn add(&self, session: &mut SqlxSession<DB>, mut model: M) -> Result<M> {
        prepare_insert(&mut model, now_micros(&**session.clock()));
        let table = M::table();
        let columns = insert_columns::<M>(table);
        let mut qb = QueryBuilder::new(insert_head(table, &columns));
        push_row(&mut qb, table, &columns, model.values());
        qb.push(" RETURNING ").push(select_list(table, None));
        Self::one(session, qb)
            .await?
            .ok_or_else(|| Error::backend(format!("INSERT INTO {} returned no row", table.name())))
    }

    async fn add_many(&self, session: &mut SqlxSession<DB>, mut models: Vec<M>) -> Result<Vec<M>> {
        if models.is_empty() {
            return Ok(models);
        }
        let now = now_micros(&**session.clock());
        for m in &mut models {
            prepare_insert(m, now);
        }
        let table = M::table();
        let columns = insert_columns::<M>(table);
        let head = insert_head(table, &columns);
        let returning = format!(" RETURNING {}", select_list(table, None));
        let per_statement = (DB::MAX_BINDS / columns.len().max(1)).max(1);
        let client_keys = !key_from_database::<M>();
        let mut out = Vec::with_capacity(models.len());
        for chunk in models.chunks(per_statement) {
            let mut qb = QueryBuilder::new(head.as_str());
            for (i, m) in chunk.iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                push_row(&mut qb, table, &columns, m.values());
            }
            qb.push(returning.as_str());
            let rows = DB::fetch_all::<M>(session.conn_for_statement(), qb)
                .await
                .map_err(convert)?;
            if rows.len() != chunk.len() {
                return Err(Error::backend(format!(
                    "INSERT INTO {} returned {} rows for {}",
                    table.name(),
                    rows.len(),
                    chunk.len()
                )));
            }
            if client_keys {
                // Put rows back in input order by their (known) keys.
                let mut by_key: HashMap<KeyOf<M>, M> =
                    rows.into_iter().map(|r| (r.key().clone(), r)).collect();
                for m in chunk {
                    let row = by_key.remove(m.key()).ok_or_else(|| {
                        Error::backend(format!("INSERT INTO {} lost a row", table.name()))
                    })?;
                    out.push(row);
                }
            } else {
                // One multi-row VALUES insert returns rows in insertion order
                // on PostgreSQL and SQLite; database keys cannot be matched otherwise.
                out.extend(rows);
            }
        }
        Ok(out)
    }

    async fn get(&self, session: &mut SqlxSession<DB>, key: &KeyOf<M>) -> Result<M> {
        let table = M::table();
        let mut qb = QueryBuilder::new(format!(
            "SELECT {} FROM {}",
            select_list(table, None),
            quote(table.name())
        ));
        Self::where_key(&mut qb, table, key)?;
        Self::one(session, qb)
            .await?
            .ok_or_else(|| Error::not_found(table.name(), key))
    }

    async fn get_one_or_none(
        &self,
        session: &mut SqlxSession<DB>,
        filter: &Condition,
    ) -> Result<Option<M>> {
        let table = M::table();
        // Check (and type) the filter before anything is built or sent.
        let filter = filter.clone().checked(table)?;
        let filter = &filter;
        let mut qb = QueryBuilder::new(format!(
            "SELECT {} FROM {} WHERE ",
            select_list(table, None),
            quote(table.name())
        ));
        push_condition(&mut qb, table, filter)?;
        qb.push(" LIMIT 2");
        let mut rows = DB::fetch_all::<M>(session.conn_for_statement(), qb)
            .await
            .map_err(convert)?;
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            _ => Err(Error::MultipleResults {
                entity: table.name().to_string(),
            }),
        }
    }

    async fn update(&self, session: &mut SqlxSession<DB>, mut model: M) -> Result<M> {
        prepare_update(&mut model, now_micros(&**session.clock()));
        let table = M::table();
        let key_name = key_column(table)?.name.clone();
        let mut qb = QueryBuilder::new(format!("UPDATE {} SET ", quote(table.name())));
        let mut first = true;
        for (column, value) in table.columns().iter().zip(model.values()) {
            if column.name == key_name || column.name == alchemy_core::audit::CREATED_AT {
                continue;
            }
            if !first {
                qb.push(", ");
            }
            first = false;
            qb.push(quote(&column.name)).push(" = ");
            DB::push_value(&mut qb, value, column.ty);
        }
        Self::where_key(&mut qb, table, model.key())?;
        qb.push(" RETURNING ").push(select_list(table, None));
        session.unique_cache().forget::<M>();
        Self::one(session, qb)
            .await?
            .ok_or_else(|| Error::not_found(table.name(), model.key()))
    }

    async fn delete(&self, session: &mut SqlxSession<DB>, key: &KeyOf<M>) -> Result<M> {
        let table = M::table();
        let mut qb = QueryBuilder::new(format!("DELETE FROM {}", quote(table.name())));
        Self::where_key(&mut qb, table, key)?;
        qb.push(" RETURNING ").push(select_list(table, None));
        session.unique_cache().forget::<M>();
        Self::one(session, qb)
            .await?
            .ok_or_else(|| Error::not_found(table.name(), key))
    }

    async fn add_if_absent(
        &self,
        session: &mut SqlxSession<DB>,
        mut model: M,
        conflict_columns: &[&str],
    ) -> Result<Option<M>> {
        let table = M::table();
        for c in conflict_columns {
            table.check_field(c)?;
        }
        prepare_insert(&mut model, now_micros(&**session.clock()));
        let columns = insert_columns::<M>(table);
        let build = || {
            let mut qb = QueryBuilder::new(insert_head(table, &columns));
            push_row(&mut qb, table, &columns, model.values());
            qb.push(" ON CONFLICT (")
                .push(alchemy_core::schema::quote_list(conflict_columns))
                .push(") DO NOTHING RETURNING ")
                .push(select_list(table, None));
            qb
        };
        if DB::DIALECT != Dialect::Postgres {
            // SQLite sessions hold the write lock: no concurrent insert can race this one.
            return Self::one(session, build()).await;
        }
        // PostgreSQL checks unique indexes other than the conflict target as
        // plain constraints: a concurrent insert of the same row can trip one
        // of them (the slug, say) instead of the target. That transaction has
        // finished when the error comes, so one more try inside a savepoint
        // lets the target decide; a real clash fails again and the savepoint
        // keeps the caller's transaction usable.
        Self::statement(session, "SAVEPOINT alchemy_add_if_absent").await?;
        let mut result = Self::one(session, build()).await;
        if matches!(result, Err(Error::DuplicateKey { .. })) {
            Self::statement(session, "ROLLBACK TO SAVEPOINT alchemy_add_if_absent").await?;
            result = Self::one(session, build()).await;
        }
        if result.is_err() {
            Self::statement(session, "ROLLBACK TO SAVEPOINT alchemy_add_if_absent").await?;
        }
        Self::statement(session, "RELEASE SAVEPOINT alchemy_add_if_absent").await?;
        result
    }
}

pub(crate) fn key_type_of<M: Model>() -> ColumnType {
    key_type(M::table())
}
