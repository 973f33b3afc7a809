//! SQL text for the repository: column lists, rows, conditions, queries.
//!
//! Identifiers come only from the model's `Table` (quoted); every value is a
//! bind parameter.

use alchemy_core::base::key_from_database;
use alchemy_core::filter::{Condition, Query, TextMatch, Value, like_to_glob, literal_pattern};
use alchemy_core::schema::{Column, ColumnType, Dialect, Table, quote};
use alchemy_core::{Error, Model, Result};
use sqlx::QueryBuilder;

use crate::backend::SqlxBackend;

/// Quoted, comma-separated column list, each qualified by `alias`.
pub(crate) fn select_list(table: &Table, alias: &str) -> String {
    let prefix = format!("{}.", quote(alias));
    table
        .columns()
        .iter()
        .map(|c| format!("{prefix}{}", quote(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn key_column(table: &Table) -> Result<&Column> {
    let name = table.primary_key_columns().first().ok_or_else(|| {
        Error::invalid_input(format!("table `{}` has no primary key", table.name()))
    })?;
    table.check_field(name)
}

/// Indexes of the columns an insert writes (all but a database-made key).
pub(crate) fn insert_columns<M: Model>(table: &Table) -> Vec<usize> {
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

pub(crate) fn insert_head(table: &Table, columns: &[usize]) -> String {
    let names: Vec<&str> = columns
        .iter()
        .filter_map(|&i| table.quoted_column(i))
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ",
        table.quoted_name(),
        names.join(", ")
    )
}

pub(crate) fn push_row<DB: SqlxBackend>(
    qb: &mut QueryBuilder<DB>,
    table: &Table,
    columns: &[usize],
    mut values: Vec<Value>,
) {
    qb.push("(");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            qb.push(", ");
        }
        // Moved out, not cloned: each column is bound once.
        let value = values
            .get_mut(i)
            .map_or(Value::Null, |v| std::mem::replace(v, Value::Null));
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

pub(crate) fn key_type(table: &Table) -> ColumnType {
    key_column(table).map_or(ColumnType::Text, |c| c.ty)
}

/// Appends ` WHERE ..`, ` ORDER BY ..`, ` LIMIT ..` and ` OFFSET ..` of a
/// query already checked against `table`.
pub(crate) fn push_query<DB: SqlxBackend>(
    qb: &mut QueryBuilder<DB>,
    table: &Table,
    query: &Query,
) -> Result<()> {
    push_where(qb, table, query.filter.as_ref())?;
    for (i, order) in query.order_by.iter().enumerate() {
        qb.push(if i == 0 { " ORDER BY " } else { ", " });
        qb.push(quote(&order.field));
        qb.push(if order.descending { " DESC" } else { " ASC" });
    }
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    if let Some(limit) = query.limit {
        qb.push(" LIMIT ");
        if DB::DIALECT == Dialect::Sqlite {
            // A bound LIMIT makes SQLite prepare the statement again on every
            // run (its plan depends on the value). An integer is safe as
            // text, and page sizes are few, so the cached statements stay few.
            qb.push(clamp(limit));
        } else {
            DB::push_value(qb, Value::Int(clamp(limit)), ColumnType::BigInt);
        }
    } else if query.offset.is_some() && DB::DIALECT == Dialect::Sqlite {
        // SQLite takes no OFFSET without a LIMIT; -1 is "no limit".
        qb.push(" LIMIT -1");
    }
    if let Some(offset) = query.offset {
        qb.push(" OFFSET ");
        DB::push_value(qb, Value::Int(clamp(offset)), ColumnType::BigInt);
    }
    Ok(())
}

/// Appends ` WHERE <condition>` when there is one.
pub(crate) fn push_where<DB: SqlxBackend>(
    qb: &mut QueryBuilder<DB>,
    table: &Table,
    filter: Option<&Condition>,
) -> Result<()> {
    if let Some(filter) = filter {
        qb.push(" WHERE ");
        push_condition(qb, table, filter)?;
    }
    Ok(())
}

pub(crate) fn key_type_of<M: Model>() -> ColumnType {
    key_type(M::table())
}
