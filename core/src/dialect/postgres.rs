//! PostgreSQL: the trait's defaults, plus array binds, its own type names,
//! SQLSTATE codes and identity sequences.

use std::borrow::Cow;

use super::{Dialect, Lists, SqlDialect, standard_type};
use crate::error::FailureKind;
use crate::schema::{ColumnType, Table};
use crate::sql::{SqlWriter, Statement};
use crate::value::Value;

/// PostgreSQL's rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

/// SQLSTATEs that mean "run the transaction again": serialization
/// failure, deadlock, lock not available.
const RETRYABLE: [&str; 3] = ["40001", "40P01", "55P03"];

/// Messages of retryable lock failures, for drivers that expose no code
/// (diesel has no kind for a deadlock, 40P01, or a lock timeout, 55P03).
const BUSY_MESSAGES: [&str; 3] = [
    "deadlock detected",
    "could not obtain lock",
    "canceling statement due to lock timeout",
];

impl SqlDialect for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    /// The wire protocol counts parameters in 16 bits.
    fn max_binds(&self) -> usize {
        65_535
    }

    fn column_type(&self, ty: ColumnType) -> Cow<'static, str> {
        match ty {
            // Shorter than the standard name, and what `\d` shows.
            ColumnType::Timestamp => Cow::Borrowed("TIMESTAMPTZ"),
            // Binary, with equality that ignores key order and spacing.
            ColumnType::Json => Cow::Borrowed("JSONB"),
            ty => standard_type(ty),
        }
    }

    /// `string_agg` in a `WITH` around the insert.
    fn aggregates_keys(&self) -> bool {
        true
    }

    /// Built in since PostgreSQL 13.
    fn random_uuid(&self) -> &'static str {
        "gen_random_uuid()"
    }

    /// `$1`, `$2`, ..: PostgreSQL numbers its parameters.
    fn placeholder(&self, sql: &mut String, n: usize) {
        sql.push('$');
        crate::sql::push_decimal(sql, n as u64);
    }

    /// `= ANY($1)` with one array: one prepared statement for every length.
    fn lists(&self) -> Lists {
        Lists::Array
    }

    /// `setval` of the key's sequence, only when it is behind: an identity
    /// column does not see keys written by hand, so the next generated key
    /// would collide. Like every sequence change it is not undone by a
    /// rollback (a gap, never a collision).
    fn identity_catch_up(&self, table: &Table, key: usize, largest: i64) -> Option<Statement> {
        let largest = Value::Int(largest);
        let name = Value::Text(table.quoted_name(Dialect::Postgres).to_string());
        let column = Value::Text(table.columns().get(key)?.name.clone());
        let mut sequence = Statement::new(Dialect::Postgres);
        sequence.push_static("pg_get_serial_sequence(");
        sequence.bind(&name, ColumnType::Text);
        sequence.push_static(", ");
        sequence.bind(&column, ColumnType::Text);
        sequence.push_static(")::regclass");
        let mut statement = Statement::new(Dialect::Postgres);
        statement.push_static("SELECT setval(");
        sequence.write_to(&mut statement);
        statement.push_static(", ");
        statement.bind(&largest, ColumnType::BigInt);
        // Named after the key, so backends that read columns by name read it.
        statement.push(&format!(
            ") AS {} WHERE ",
            table.quoted_column(Dialect::Postgres, key)?
        ));
        statement.bind(&largest, ColumnType::BigInt);
        statement.push_static(" > COALESCE(pg_sequence_last_value(");
        sequence.write_to(&mut statement);
        statement.push_static("), 0)");
        Some(statement)
    }

    fn failure_kind(&self, code: &str) -> Option<FailureKind> {
        match code {
            "23505" => Some(FailureKind::Unique),
            "23503" => Some(FailureKind::ForeignKey),
            "23502" => Some(FailureKind::NotNull),
            "23514" => Some(FailureKind::Check),
            c if RETRYABLE.contains(&c) => Some(FailureKind::Busy),
            _ => None,
        }
    }

    fn failure_kind_from_message(&self, message: &str) -> Option<FailureKind> {
        BUSY_MESSAGES
            .iter()
            .any(|m| message.contains(m))
            .then_some(FailureKind::Busy)
    }
}
