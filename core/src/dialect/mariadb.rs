//! MariaDB (10.10 and later; tested on 10.11): what differs from the
//! trait's defaults, each with its reason.
//!
//! Text matches as on PostgreSQL: tables compare text byte for byte
//! ([`TABLE_OPTIONS`]), so `=`, `LIKE` and unique keys are case- and
//! space-sensitive, and a case-insensitive match lowers both sides (the
//! trait's [`Pattern::Lowered`](super::Pattern::Lowered)). A `_ci`
//! collation would fold more than case (`utf8mb4_general_ci` finds
//! `'é' = 'e'`), so the same filter would find other rows here than on
//! the other databases. Wildcards in a search stay literal: `\` escapes
//! them, written `'\\'` in MariaDB's string literals.
//!
//! MySQL 8 is not supported yet: it has no `RETURNING` at all and other
//! check-constraint codes. What it would need is expressed as capabilities
//! here ([`SqlDialect::update_returns`], [`SqlDialect::skip_duplicates`],
//! [`SqlDialect::upsert_any_unique`]), so a MySQL dialect would add one
//! more answer to each, not new code paths.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::{Dialect, Identity, JsonList, Lists, SqlDialect, standard_type};
use crate::error::{DbFailure, FailureKind};
use crate::schema::{ColumnType, Table};
use crate::value::Value;

/// MariaDB's rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct MariaDb;

/// The error numbers the library tells apart (MariaDB's `ER_*` codes).
mod code {
    pub(super) const DUPLICATE_KEY: &str = "1062";
    pub(super) const ROW_IS_REFERENCED: &str = "1451";
    pub(super) const NO_REFERENCED_ROW: &str = "1452";
    /// The pre-5.5 forms of the two above, still sent by some paths.
    pub(super) const ROW_IS_REFERENCED_OLD: &str = "1217";
    pub(super) const NO_REFERENCED_ROW_OLD: &str = "1216";
    pub(super) const BAD_NULL: &str = "1048";
    /// A `NOT NULL` column without a default left out of an insert.
    pub(super) const NO_DEFAULT: &str = "1364";
    pub(super) const CHECK: &str = "4025";
    pub(super) const DEADLOCK: &str = "1213";
    pub(super) const LOCK_WAIT_TIMEOUT: &str = "1205";
}

/// The table options of every table the library creates: InnoDB (foreign
/// keys, transactions, row locks) and text compared byte for byte, with
/// trailing spaces kept (`utf8mb4_nopad_bin`). The server's default
/// collation (`utf8mb4_general_ci` on 10.11) finds `'a' = 'A'` and
/// `'a' = 'a '`, so a unique constraint would refuse `Rust` beside `rust`
/// and a filter for one would find both, unlike PostgreSQL and SQLite.
pub const TABLE_OPTIONS: &str = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin";

/// A version-4 UUID as 16 bytes: 6 random bytes, the version nibble 4 and
/// a random one, a random byte, the variant bits `10` and 6 random bits,
/// then 7 random bytes. `RANDOM_BYTES` needs MariaDB 10.10 (10.11 is the
/// tested release); `UUID()` makes version 1, which leaks the host and time.
const RANDOM_UUID: &str = "UNHEX(CONCAT(HEX(RANDOM_BYTES(6)), \
    HEX(64 | (ASCII(RANDOM_BYTES(1)) & 15)), HEX(RANDOM_BYTES(1)), \
    HEX(128 | (ASCII(RANDOM_BYTES(1)) & 63)), HEX(RANDOM_BYTES(7))))";

impl SqlDialect for MariaDb {
    fn dialect(&self) -> Dialect {
        Dialect::MariaDb
    }

    /// The wire protocol counts a prepared statement's parameters in 16 bits.
    fn max_binds(&self) -> usize {
        65_535
    }

    /// Backticks: what MariaDB reads as an identifier in every SQL mode. A
    /// double quote is an identifier only under `ANSI_QUOTES`, which would
    /// change the meaning of the application's own queries on the pool.
    fn quote_char(&self) -> char {
        '`'
    }

    /// UUIDs are `BINARY(16)` rather than MariaDB's `UUID` type (10.7): every
    /// ORM binds a UUID as 16 bytes, and bytes sort as PostgreSQL's `uuid`
    /// and SQLite's blob do (version 7 and 6 keys in time order), where the
    /// `UUID` type sorts version 1 UUIDs by their time fields instead.
    /// Timestamps are `DATETIME(6)`, which holds the UTC the library
    /// writes, to the microsecond, whatever the session time zone (a
    /// `TIMESTAMP` is converted to and from it). Unbounded text is
    /// `LONGTEXT`: `TEXT` holds 65,535 bytes; bytes likewise `LONGBLOB`.
    /// Times are `TIME(6)`: a plain `TIME` drops the microseconds.
    fn column_type(&self, ty: ColumnType) -> Cow<'static, str> {
        Cow::Borrowed(match ty {
            ColumnType::Integer => "INT",
            ColumnType::Double => "DOUBLE",
            ColumnType::Real => "FLOAT",
            ColumnType::Text => "LONGTEXT",
            ColumnType::Uuid => "BINARY(16)",
            ColumnType::Timestamp => "DATETIME(6)",
            ColumnType::Time => "TIME(6)",
            ColumnType::Bytes => "LONGBLOB",
            ColumnType::Decimal(p, s) => return Cow::Owned(format!("DECIMAL({p}, {s})")),
            ty => return standard_type(ty),
        })
    }

    /// `AUTO_INCREMENT` after the type. InnoDB moves the counter past a key
    /// written by hand, so no catch-up is needed.
    fn identity(&self) -> Identity {
        Identity::Clause(" AUTO_INCREMENT")
    }

    fn random_uuid(&self) -> &'static str {
        RANDOM_UUID
    }

    fn table_options(&self) -> &'static str {
        TABLE_OPTIONS
    }

    /// Strict mode: a value the column cannot hold is an error on every
    /// table, not a truncation and a warning (the server's default has it
    /// for transactional tables only, and a server may be set up without
    /// it).
    fn connection_setup(&self) -> Option<&'static str> {
        Some("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')")
    }

    /// A `DELETE .. RETURNING` sends its row before the foreign-key check
    /// that then fails the statement: read only the first row and the
    /// delete that did not happen looks done.
    fn rows_before_errors(&self) -> bool {
        true
    }

    /// No arrays: a long list is one JSON array read as rows by
    /// `JSON_TABLE` (10.6), typed per column, so a list of any length binds
    /// one value.
    fn lists(&self) -> Lists {
        Lists::Json(JsonList {
            open: " FROM JSON_TABLE(",
            close: json_columns,
            encode: json_array,
            value: super::json_value,
        })
    }

    /// MariaDB takes no `OFFSET` without a `LIMIT`: the largest one.
    fn offset_without_limit(&self) -> Option<&'static str> {
        Some(" LIMIT 18446744073709551615")
    }

    /// The one-statement form needs `WITH .. AS MATERIALIZED`, which MariaDB
    /// does not have (it may merge the page into each of its uses).
    fn counts_past_the_end_apart(&self) -> bool {
        true
    }

    /// In a string literal a backslash escapes, so `\` is written `'\\'`.
    fn like_escape(&self) -> &'static str {
        " ESCAPE '\\\\'"
    }

    /// A `JSON` column is text: `=` would tell `{"a":1}` from `{"a": 1}`.
    /// `JSON_EQUALS` (10.7) compares the documents, keys in any order.
    fn json_equals(&self) -> Option<&'static str> {
        Some("JSON_EQUALS")
    }

    /// `UPDATE` has no `RETURNING` (10.11): the rows are read after it.
    fn update_returns(&self) -> bool {
        false
    }

    /// None: `INSERT IGNORE` also turns a foreign-key, not-null or
    /// out-of-range failure into a warning, and `ON DUPLICATE KEY UPDATE`
    /// of nothing returns the stored row as if it were inserted.
    fn skip_duplicates(&self) -> Option<&'static str> {
        None
    }

    /// `ON DUPLICATE KEY UPDATE` (there is no conflict target: any unique
    /// key, the primary key included, can match), setting each column to
    /// the value the insert proposed (`VALUE(c)`).
    fn upsert_clause(&self, sql: &mut String, match_columns: &[&str], set_columns: &[&str]) {
        sql.push_str(" ON DUPLICATE KEY UPDATE ");
        if set_columns.is_empty()
            && let Some(column) = match_columns.first()
        {
            let _ = write!(sql, "{column} = {column}");
        }
        for (n, column) in set_columns.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "{column} = VALUE({column})");
        }
    }

    fn upsert_any_unique(&self) -> bool {
        true
    }

    /// InnoDB rolls back only the statement on a duplicate key (a deadlock
    /// or, with `innodb_rollback_on_timeout`, a lock wait timeout rolls the
    /// transaction back; those still fail the session).
    fn duplicate_undoes_statement(&self) -> bool {
        true
    }

    /// A locking read sees the newest committed version of a row, where a
    /// plain `SELECT` under REPEATABLE READ sees the transaction's snapshot
    /// and misses a row a concurrent transaction inserted after it. The
    /// shared lock is the one the duplicate-key failure already took.
    fn newest_read(&self) -> Option<&'static str> {
        Some(" LOCK IN SHARE MODE")
    }

    /// The update of a set of rows joins them as a derived table of
    /// `SELECT`s: MariaDB has no `UPDATE .. FROM`, and a `VALUES` table
    /// names its columns after the first row's values.
    fn update_from(&self) -> bool {
        false
    }

    fn failure_kind(&self, code: &str) -> Option<FailureKind> {
        match code {
            code::DUPLICATE_KEY => Some(FailureKind::Unique),
            code::ROW_IS_REFERENCED
            | code::NO_REFERENCED_ROW
            | code::ROW_IS_REFERENCED_OLD
            | code::NO_REFERENCED_ROW_OLD => Some(FailureKind::ForeignKey),
            code::BAD_NULL | code::NO_DEFAULT => Some(FailureKind::NotNull),
            code::CHECK => Some(FailureKind::Check),
            code::DEADLOCK | code::LOCK_WAIT_TIMEOUT => Some(FailureKind::Busy),
            _ => None,
        }
    }

    /// For drivers that expose no error number.
    fn failure_kind_from_message(&self, message: &str) -> Option<FailureKind> {
        if message.starts_with("Duplicate entry ") {
            Some(FailureKind::Unique)
        } else if message.contains("a foreign key constraint fails") {
            Some(FailureKind::ForeignKey)
        } else if message.ends_with("cannot be null") || message.contains("doesn't have a default")
        {
            Some(FailureKind::NotNull)
        } else if message.starts_with("CONSTRAINT ") && message.contains(" failed for ") {
            Some(FailureKind::Check)
        } else if message.starts_with("Deadlock found") || message.starts_with("Lock wait timeout")
        {
            Some(FailureKind::Busy)
        } else {
            None
        }
    }

    /// MariaDB names constraints and columns only in its messages:
    /// `Duplicate entry 'x' for key 'uq_tag_name'` (`PRIMARY` for the
    /// primary key, named `pk_<table>` by the convention when the table is
    /// known), `.. CONSTRAINT `fk_..` FOREIGN KEY ..`, `Column 'title'
    /// cannot be null`, `CONSTRAINT `ck_..` failed for ..`.
    fn failure_name(
        &self,
        kind: FailureKind,
        failure: &DbFailure<'_>,
        table: Option<&Table>,
    ) -> Option<String> {
        let message = failure.message;
        match kind {
            FailureKind::Unique => {
                let (_, key) = message.rsplit_once(" for key '")?;
                let key = key.strip_suffix('\'')?;
                // 10.5 and later may qualify the key with its table.
                let key = key.rsplit_once('.').map_or(key, |(_, k)| k);
                if key == "PRIMARY" {
                    return table.map(|t| crate::naming::primary_key(t.name()));
                }
                Some(key.to_string())
            }
            FailureKind::ForeignKey | FailureKind::Check => {
                let (_, rest) = message.split_once("CONSTRAINT `")?;
                let (name, _) = rest.split_once('`')?;
                Some(name.to_string())
            }
            FailureKind::NotNull => {
                let (_, rest) = message
                    .split_once("Column '")
                    .or_else(|| message.split_once("Field '"))?;
                let (name, _) = rest.split_once('\'')?;
                Some(name.to_string())
            }
            FailureKind::Busy => None,
        }
    }
}

/// The `COLUMNS` clause after the bound array: one column, `value`, of the
/// SQL type the list's column compares with. Text keeps the tables'
/// collation, so `IN` compares as `=` on the column does.
fn json_columns(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::BigInt | ColumnType::Integer | ColumnType::SmallInt => {
            ", '$[*]' COLUMNS (value BIGINT PATH '$')) AS __alchemy_list"
        }
        ColumnType::Double | ColumnType::Real => {
            ", '$[*]' COLUMNS (value DOUBLE PATH '$')) AS __alchemy_list"
        }
        ColumnType::Bool => ", '$[*]' COLUMNS (value BOOLEAN PATH '$')) AS __alchemy_list",
        ColumnType::Uuid => ", '$[*]' COLUMNS (value CHAR(32) PATH '$')) AS __alchemy_list",
        ColumnType::Timestamp => ", '$[*]' COLUMNS (value DATETIME(6) PATH '$')) AS __alchemy_list",
        ColumnType::Date => ", '$[*]' COLUMNS (value DATE PATH '$')) AS __alchemy_list",
        ColumnType::Time => ", '$[*]' COLUMNS (value TIME(6) PATH '$')) AS __alchemy_list",
        // Every value a filter compares with (15 digits, 28 after the
        // point), exactly.
        ColumnType::Decimal(..) => {
            ", '$[*]' COLUMNS (value DECIMAL(65, 30) PATH '$')) AS __alchemy_list"
        }
        // Never listed (filters refuse it).
        ColumnType::Json => ", '$[*]' COLUMNS (value JSON PATH '$')) AS __alchemy_list",
        // Hex, as UUIDs: `unhex(value)` gives the bytes back.
        ColumnType::Bytes => ", '$[*]' COLUMNS (value LONGTEXT PATH '$')) AS __alchemy_list",
        ColumnType::Text | ColumnType::VarChar(_) => {
            ", '$[*]' COLUMNS (value LONGTEXT CHARACTER SET utf8mb4 \
             COLLATE utf8mb4_nopad_bin PATH '$')) AS __alchemy_list"
        }
    }
}

/// `values` as one JSON array for `JSON_TABLE`: booleans as 0/1, UUIDs as
/// hex, timestamps as `YYYY-MM-DD HH:MM:SS.ffffff` (what a `DATETIME(6)`
/// column reads), text as JSON strings; a value that is not finite (which
/// checked values never are) as `null`, JSON having no such number.
fn json_array(values: &[&Value]) -> Value {
    super::json_list(
        values,
        |json, at| {
            let _ = write!(json, "\"{}\"", at.format("%Y-%m-%d %H:%M:%S%.6f"));
        },
        |_| "null",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str, message: &'static str) -> DbFailure<'static> {
        DbFailure {
            dialect: Dialect::MariaDb,
            code: None,
            message,
            constraint: None,
            column: None,
            kind: MariaDb.failure_kind(code),
        }
    }

    #[test]
    fn messages_name_constraints_and_columns() {
        let t = Table::new("tag");
        let name = |code, message| {
            let f = failure(code, message);
            MariaDb.failure_name(f.kind?, &f, Some(&t))
        };
        assert_eq!(
            name("1062", "Duplicate entry 'rust' for key 'uq_tag_name'").as_deref(),
            Some("uq_tag_name")
        );
        assert_eq!(
            name("1062", "Duplicate entry '7' for key 'PRIMARY'").as_deref(),
            Some("pk_tag")
        );
        assert_eq!(
            name(
                "1452",
                "Cannot add or update a child row: a foreign key constraint fails \
                 (`test`.`post`, CONSTRAINT `fk_post_author_id_author` FOREIGN KEY \
                 (`author_id`) REFERENCES `author` (`id`))"
            )
            .as_deref(),
            Some("fk_post_author_id_author")
        );
        assert_eq!(
            name("1048", "Column 'title' cannot be null").as_deref(),
            Some("title")
        );
        assert_eq!(
            name("4025", "CONSTRAINT `ck_tag_rank` failed for `test`.`tag`").as_deref(),
            Some("ck_tag_rank")
        );
        assert_eq!(MariaDb.failure_kind("1213"), Some(FailureKind::Busy));
        assert_eq!(MariaDb.failure_kind("1205"), Some(FailureKind::Busy));
    }

    #[test]
    fn json_arrays_hold_values_as_json_table_reads_them() {
        let at = chrono::DateTime::UNIX_EPOCH + chrono::Duration::microseconds(5);
        let v = [
            Value::from("q\"\\"),
            Value::Bool(true),
            Value::Uuid(uuid::Uuid::nil()),
            Value::Timestamp(at),
            Value::Null,
        ];
        let refs: Vec<&Value> = v.iter().collect();
        assert_eq!(
            json_array(&refs),
            Value::Text(
                r#"["q\"\\",1,"00000000000000000000000000000000","1970-01-01 00:00:00.000005",null]"#
                    .into()
            )
        );
    }

    #[test]
    fn upserts_set_the_proposed_values() {
        let mut sql = String::new();
        MariaDb.upsert_clause(&mut sql, &["`slug`"], &["`name`"]);
        assert_eq!(sql, " ON DUPLICATE KEY UPDATE `name` = VALUE(`name`)");
    }
}
