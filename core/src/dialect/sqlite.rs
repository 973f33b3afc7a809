//! SQLite: what differs from the trait's defaults, each with its reason.

use std::borrow::Cow;

use super::{Dialect, Identity, JsonList, Lists, Pattern, SqlDialect, standard_type};
use crate::audit::sqlite_text;
use crate::error::{DbFailure, FailureKind};
use crate::schema::{ColumnType, Table};
use crate::value::Value;

/// SQLite's rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

/// SQLite's extended result codes the library tells apart.
mod code {
    pub(super) const PRIMARY_KEY: i64 = 1555;
    pub(super) const UNIQUE: i64 = 2067;
    pub(super) const ROWID: i64 = 2579;
    pub(super) const FOREIGN_KEY: i64 = 787;
    pub(super) const NOT_NULL: i64 = 1299;
    pub(super) const CHECK: i64 = 275;
    /// `SQLITE_BUSY` and `SQLITE_LOCKED`: primary codes, kept in the low
    /// byte of their extended codes (517 `BUSY_SNAPSHOT`, 262 ...).
    pub(super) const BUSY: i64 = 5;
    pub(super) const LOCKED: i64 = 6;
}

/// Messages of `SQLITE_BUSY` and `SQLITE_LOCKED`, for drivers that expose
/// no code.
const BUSY_MESSAGES: [&str; 3] = [
    "database is locked",
    "database table is locked",
    "database schema is locked",
];

/// A version-4 UUID as 16 bytes, in an expression SQLite 3.35 and later
/// (Debian's `sqlite3` is 3.40) evaluate, so any tool can insert into the
/// table (`unhex` needs 3.41): 6 random bytes, the version byte
/// (`0x40`-`0x4F`) and the variant byte (`0x80`-`0xBF`) each picked from a
/// blob literal by `substr` (which slices blobs by byte), 1 and 7 random
/// bytes between and after them. `||` joins the blobs as text of the same
/// bytes (NULs included) and `CAST` makes that a blob again. `random() & n`
/// rather than `abs(random()) % n`: `abs` of the smallest integer is an
/// error.
const RANDOM_UUID: &str = "CAST(randomblob(6) \
    || substr(X'404142434445464748494A4B4C4D4E4F', 1 + (random() & 15), 1) \
    || randomblob(1) \
    || substr(X'808182838485868788898A8B8C8D8E8F909192939495969798999A9B9C9D9E9FA0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF', 1 + (random() & 63), 1) \
    || randomblob(7) AS BLOB)";

impl SqlDialect for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    /// `SQLITE_MAX_VARIABLE_NUMBER`: 32,766 since 3.32.
    fn max_binds(&self) -> usize {
        32_766
    }

    /// SQLite stores by type affinity: integers of every width are
    /// `INTEGER` (so a one-column `INTEGER PRIMARY KEY` is the rowid), UUIDs
    /// 16-byte `BLOB`s, timestamps, dates and times `TEXT` that sorts in
    /// time order (four-digit years; fractions of a second as digits after
    /// the dot, so `12:00:00` sorts before `12:00:00.5`). Decimals are
    /// `REAL`: an 8-byte float holds every decimal of at most 15 digits
    /// exactly ([`crate::schema::MAX_DECIMAL_PRECISION`]) and compares them
    /// as numbers, where text would sort `10` before `9`.
    fn column_type(&self, ty: ColumnType) -> Cow<'static, str> {
        Cow::Borrowed(match ty {
            ColumnType::BigInt | ColumnType::Integer | ColumnType::SmallInt => "INTEGER",
            ColumnType::Double | ColumnType::Real | ColumnType::Decimal(..) => "REAL",
            ColumnType::Uuid | ColumnType::Bytes => "BLOB",
            ColumnType::Timestamp | ColumnType::Date | ColumnType::Time => "TEXT",
            // As serde_json writes it: compact, keys sorted, so equal
            // documents written by the library are equal text.
            ColumnType::Json => "TEXT",
            ty => return standard_type(ty),
        })
    }

    /// SQLite only numbers rows itself when the key is declared inline as
    /// `INTEGER PRIMARY KEY`; `AUTOINCREMENT` never reuses a deleted key.
    fn identity(&self) -> Identity {
        Identity::InlineKey(" PRIMARY KEY AUTOINCREMENT")
    }

    /// A new row's rowid is one past the largest the table has held
    /// (`AUTOINCREMENT`; one past the largest it holds without), so one
    /// statement's rows are numbered consecutively; `RETURNING` cost about
    /// 5,000 instructions a row (W8). `add_many` checks that the range
    /// counted back holds as many rows as it wrote.
    fn last_identity(&self) -> Option<&'static str> {
        Some("last_insert_rowid()")
    }

    fn random_uuid(&self) -> &'static str {
        RANDOM_UUID
    }

    /// SQLite has no boolean type: booleans are 0 and 1.
    fn boolean(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }

    /// No arrays: a long list is one JSON array read by `json_each`, so a
    /// list of any length binds one value and stays under the 32,766 binds.
    fn lists(&self) -> Lists {
        Lists::Json(JsonList {
            open: " FROM json_each(",
            close: |_| ")",
            encode: json_array,
            value: super::json_value,
        })
    }

    /// SQLite takes no `OFFSET` without a `LIMIT`; -1 is "no limit".
    fn offset_without_limit(&self) -> Option<&'static str> {
        Some(" LIMIT -1")
    }

    /// SQLite materializes the page of the one-statement form and its
    /// count of an empty page can read an index: the page and a `count(*)`
    /// past the end took 7.0 ms a call, one statement 9.2 ms (10,000 rows,
    /// a search matching 3,439, offsets up to the end).
    fn counts_past_the_end_apart(&self) -> bool {
        true
    }

    /// SQLite's `LIKE` folds ASCII case and has no `ILIKE`, so the exact
    /// match is a `GLOB`.
    fn pattern(&self, case_insensitive: bool) -> Pattern {
        if case_insensitive {
            Pattern::Like(" LIKE ")
        } else {
            Pattern::Glob
        }
    }

    fn failure_kind(&self, code: &str) -> Option<FailureKind> {
        match code.parse::<i64>().ok()? {
            code::PRIMARY_KEY | code::UNIQUE | code::ROWID => Some(FailureKind::Unique),
            code::FOREIGN_KEY => Some(FailureKind::ForeignKey),
            code::NOT_NULL => Some(FailureKind::NotNull),
            code::CHECK => Some(FailureKind::Check),
            n if n & 0xff == code::BUSY || n & 0xff == code::LOCKED => Some(FailureKind::Busy),
            _ => None,
        }
    }

    /// A delete refused by `ON DELETE RESTRICT` has code 1811
    /// (`SQLITE_CONSTRAINT_TRIGGER`), which drivers do not classify; some
    /// drivers expose no code at all.
    fn failure_kind_from_message(&self, message: &str) -> Option<FailureKind> {
        if is_foreign_key(message) {
            Some(FailureKind::ForeignKey)
        } else if message.contains("NOT NULL constraint failed: ") {
            Some(FailureKind::NotNull)
        } else if message.contains("CHECK constraint failed: ") {
            Some(FailureKind::Check)
        } else if message.contains("UNIQUE constraint failed: ") {
            Some(FailureKind::Unique)
        } else if BUSY_MESSAGES.iter().any(|m| message.contains(m)) {
            Some(FailureKind::Busy)
        } else {
            None
        }
    }

    /// SQLite names columns, not constraints: a unique violation is named
    /// by the naming convention, a primary key told by code 1555 or,
    /// without a code, by the columns being exactly `table`'s key; a
    /// foreign key is named by [`crate::error::name_foreign_key`], which
    /// knows the table written.
    fn failure_name(
        &self,
        kind: FailureKind,
        failure: &DbFailure<'_>,
        table: Option<&Table>,
    ) -> Option<String> {
        let message = failure.message;
        match kind {
            FailureKind::Unique => {
                let primary_key = match failure.code.and_then(|c| c.parse::<i64>().ok()) {
                    Some(n) => n == code::PRIMARY_KEY,
                    None => table.is_some_and(|t| is_primary_key(t, message)),
                };
                constraint_name(primary_key, message)
            }
            FailureKind::NotNull => not_null_column(message),
            FailureKind::Check => check_name(message),
            FailureKind::ForeignKey | FailureKind::Busy => None,
        }
    }
}

/// The conventional name of the constraint behind a SQLite unique or
/// primary-key failure.
///
/// SQLite names columns, not constraints (`UNIQUE constraint failed:
/// tag.name`); with the naming convention of [`crate::naming`] the
/// constraint name follows from them: `pk_<table>` when `primary_key`
/// (extended code 1555), else `uq_<table>_<columns>`.
pub fn constraint_name(primary_key: bool, message: &str) -> Option<String> {
    let (_, columns) = message.split_once("constraint failed: ")?;
    let mut table = None;
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        let (t, c) = qualified.trim().split_once('.')?;
        table.get_or_insert(t);
        names.push(c);
    }
    let table = table?;
    Some(if primary_key {
        crate::naming::primary_key(table)
    } else {
        crate::naming::unique(table, &names)
    })
}

/// Whether a SQLite error message reports a foreign-key violation. SQLite
/// gives these two extended codes: `SQLITE_CONSTRAINT_FOREIGNKEY` (787)
/// for an insert or update, and `SQLITE_CONSTRAINT_TRIGGER` (1811) for a
/// delete refused by `ON DELETE RESTRICT`, which drivers do not classify.
pub fn is_foreign_key(message: &str) -> bool {
    message.contains("FOREIGN KEY constraint failed")
}

/// The column of a SQLite `NOT NULL constraint failed: <table>.<column>` message.
pub fn not_null_column(message: &str) -> Option<String> {
    let (_, qualified) = message.split_once("NOT NULL constraint failed: ")?;
    let (_, column) = qualified.trim().split_once('.')?;
    Some(column.to_string())
}

/// The constraint of a SQLite `CHECK constraint failed: <name>` message.
pub fn check_name(message: &str) -> Option<String> {
    let (_, name) = message.split_once("CHECK constraint failed: ")?;
    Some(name.trim().to_string())
}

/// Whether a unique-violation message names exactly `table`'s primary key
/// (for drivers that expose no extended code).
fn is_primary_key(table: &Table, message: &str) -> bool {
    let Some((_, columns)) = message.split_once("constraint failed: ") else {
        return false;
    };
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        match qualified.trim().split_once('.') {
            Some((t, c)) if t == table.name() => names.push(c),
            _ => return false,
        }
    }
    let pk = table.primary_key_columns();
    !pk.is_empty() && names.len() == pk.len() && pk.iter().zip(&names).all(|(a, b)| a == b)
}

/// `values` as one JSON array for `json_each`, each in the form SQLite
/// stores its column type in: booleans as 0/1, UUIDs as hex (read back
/// with `unhex`), timestamps as the text every backend writes, infinities
/// as `9e999` (SQLite reads it as infinity; NaN never gets here).
fn json_array(values: &[&Value]) -> Value {
    super::json_list(
        values,
        |json, at| super::push_json_string(json, &sqlite_text(at)),
        |f| if f > 0.0 { "9e999" } else { "-9e999" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_map_to_conventional_names() {
        assert_eq!(
            constraint_name(false, "UNIQUE constraint failed: tag.name").as_deref(),
            Some("uq_tag_name")
        );
        assert_eq!(
            constraint_name(false, "UNIQUE constraint failed: t.a, t.b").as_deref(),
            Some("uq_t_a_b")
        );
        assert_eq!(
            constraint_name(true, "UNIQUE constraint failed: post.id").as_deref(),
            Some("pk_post")
        );
        assert_eq!(
            constraint_name(false, "FOREIGN KEY constraint failed"),
            None
        );
    }

    #[test]
    fn json_arrays_hold_values_as_sqlite_stores_them() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let v = [
            Value::from("it's \"q\"\\\n"),
            Value::Int(-3),
            Value::Float(1.5),
            Value::Float(f64::INFINITY),
            Value::Bool(true),
            Value::Uuid(uuid::Uuid::nil()),
            Value::Timestamp(at),
            Value::Null,
        ];
        let refs: Vec<&Value> = v.iter().collect();
        assert_eq!(
            json_array(&refs),
            Value::Text(
                r#"["it's \"q\"\\\u000a",-3,1.5,9e999,1,"00000000000000000000000000000000","1970-01-01T00:00:00+00:00",null]"#
                    .into()
            )
        );
    }
}
