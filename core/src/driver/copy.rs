//! PostgreSQL's binary `COPY .. FROM STDIN`, for a driver that can run it
//! ([`Driver::copy_in`]): `add_many` sends rows with every column this way
//! (for backend authors).
//!
//! `COPY` writes rows in batches inside the server (a page of rows per
//! heap WAL record instead of one row), so it is the floor of a bulk
//! insert: 10,000 posts took 0.043–0.045 s against 0.062–0.064 s for one
//! `INSERT .. SELECT * FROM unnest(..)` of the same rows (bench W1 and
//! W1c, 21 runs, medians of the hand-written code). It reads nothing back,
//! so it serves rows whose every column is known.

use chrono::{Datelike as _, Timelike as _};

use crate::schema::{ColumnType, Dialect, Table};
use crate::value::Value;
use crate::{Error, Model, Result};

use super::Driver;

/// Fewest rows `add_many` sends by `COPY`. A `COPY` takes one round trip
/// more than an `INSERT` (the server answers the statement before the rows
/// go), and a small one stalls: through sqlx on loopback, a hand-written
/// `COPY` of 10 to 50 posts took 43 ms where the array `INSERT` took 3 ms
/// (the TCP stack holding its last small write for an ACK). From 100 rows
/// on the `COPY` was faster (0.80 of the `INSERT` at 100 rows, 0.77 at
/// 200, 0.71 at 5,000). Below this many rows the array `INSERT` is kept:
/// a margin over the stall for narrow rows too. Even chunks keep every
/// `COPY` of a larger insert at 1,000 rows or more.
pub const COPY_ROWS: usize = 1_000;

/// Most rows one `COPY` payload holds: more go in further `COPY`s, so a
/// bulk insert's memory stays that of one batch.
pub const COPY_BATCH: usize = 10_000;

/// `COPY t (c, ..) FROM STDIN (FORMAT binary)` for `columns` of `table`.
pub fn copy_statement(table: &Table, columns: &[usize]) -> String {
    let mut sql = String::from("COPY ");
    sql.push_str(table.quoted_name(Dialect::Postgres));
    sql.push_str(" (");
    for (n, &i) in columns.iter().enumerate() {
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(
            table
                .quoted_column(Dialect::Postgres, i)
                .unwrap_or_default(),
        );
    }
    sql.push_str(") FROM STDIN (FORMAT binary)");
    sql
}

/// Microseconds from the Unix epoch to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// PostgreSQL's epoch, 2000-01-01, in days from 0001-01-01 (chrono's
/// `num_days_from_ce` counts that day as 1).
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// `columns` of `rows` in `COPY`'s binary format: a header, then per row
/// its field count and each field as a length (-1 for NULL) and its bytes
/// in network order, then -1.
///
/// # Errors
/// [`Error::InvalidInput`] for a value that is not of its column's type,
/// or an `INTEGER` out of its range (checked values never are).
pub fn copy_payload<M: Model>(table: &Table, columns: &[usize], rows: &[M]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(21 + rows.len() * columns.len() * 16);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    let fields = i16::try_from(columns.len())
        .map_err(|_| Error::invalid_input("too many columns for COPY"))?;
    for row in rows {
        let values = row.values();
        out.extend_from_slice(&fields.to_be_bytes());
        for &i in columns {
            let column = &table.columns()[i];
            let value = values.get(i).unwrap_or(&Value::Null);
            field(&mut out, value, column.ty).map_err(|e| {
                Error::invalid_input(format!("{}.{}: {e}", table.name(), column.name))
            })?;
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    Ok(out)
}

/// One field: its length and bytes.
fn field(out: &mut Vec<u8>, value: &Value, ty: ColumnType) -> std::result::Result<(), String> {
    let mut put = |bytes: &[u8]| {
        let len = i32::try_from(bytes.len()).map_err(|_| "a value over 2 GiB".to_string())?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
        Ok(())
    };
    match (value, ty) {
        (Value::Null, _) => {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            Ok(())
        }
        (Value::Bool(b), ColumnType::Bool) => put(&[u8::from(*b)]),
        (Value::Int(n), ColumnType::BigInt) => put(&n.to_be_bytes()),
        (Value::Int(n), ColumnType::Integer) => {
            let n = i32::try_from(*n).map_err(|_| format!("{n} is out of INTEGER's range"))?;
            put(&n.to_be_bytes())
        }
        (Value::Int(n), ColumnType::SmallInt) => {
            let n = i16::try_from(*n).map_err(|_| format!("{n} is out of SMALLINT's range"))?;
            put(&n.to_be_bytes())
        }
        (Value::Float(f), ColumnType::Double) => put(&f.to_be_bytes()),
        (Value::Float(f), ColumnType::Real) => match crate::check::as_f32(*f) {
            Some(f) => put(&f.to_be_bytes()),
            None => Err(format!("{f} is not a REAL")),
        },
        (Value::Text(s), ColumnType::Text | ColumnType::VarChar(_)) => put(s.as_bytes()),
        (Value::Uuid(u), ColumnType::Uuid) => put(u.as_bytes()),
        (Value::Timestamp(t), ColumnType::Timestamp) => {
            put(&(t.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes())
        }
        // Days since 2000-01-01.
        (Value::Date(d), ColumnType::Date) => {
            put(&(d.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE).to_be_bytes())
        }
        // Microseconds since midnight.
        (Value::Time(t), ColumnType::Time) => {
            let micros = i64::from(t.num_seconds_from_midnight()) * 1_000_000
                + i64::from(t.nanosecond() / 1_000);
            put(&micros.to_be_bytes())
        }
        (Value::Bytes(b), ColumnType::Bytes) => put(b),
        // jsonb's binary form: version 1, then the text.
        (Value::Json(j), ColumnType::Json) => {
            let mut bytes = vec![1];
            serde_json::to_writer(&mut bytes, j).map_err(|e| e.to_string())?;
            put(&bytes)
        }
        (Value::Decimal(d), ColumnType::Decimal(..)) => put(&numeric(d)),
        (value, ty) => Err(format!("{value:?} is not a value of {ty:?}")),
    }
}

/// `d` in `numeric`'s binary form: the count of base-10,000 digits, the
/// weight (power of 10,000) of the first, the sign (0x4000 negative), the
/// decimal places, then the digits, each an `i16`, in network order;
/// zero digits at either end are left out.
fn numeric(d: &rust_decimal::Decimal) -> Vec<u8> {
    let scale = d.scale();
    // Pad the places to whole base-10,000 digits: 12.5 is 12.5000, two
    // digits, 12 and 5000, the first of weight 0. A mantissa has 96 bits
    // and the padding adds at most 3 decimal digits, so it fits a u128.
    let pad = (4 - scale % 4) % 4;
    let mut rest = d.mantissa().unsigned_abs() * 10u128.pow(pad);
    let fraction_digits = (scale + pad) / 4;
    let mut digits = Vec::new(); // least significant first
    while rest > 0 {
        digits.push(u16::try_from(rest % 10_000).unwrap_or(0));
        rest /= 10_000;
    }
    // Zero has no digits, and then weight 0.
    let weight = match digits.len() {
        0 => 0,
        n => i64::try_from(n).unwrap_or(0) - 1 - i64::from(fraction_digits),
    };
    let trailing = digits.iter().take_while(|&&g| g == 0).count();
    let digits = &digits[trailing..];
    let mut out = Vec::with_capacity(8 + 2 * digits.len());
    let count = u16::try_from(digits.len()).unwrap_or(0);
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&i16::try_from(weight).unwrap_or(0).to_be_bytes());
    let sign: u16 = if d.is_sign_negative() && !digits.is_empty() {
        0x4000
    } else {
        0
    };
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&u16::try_from(scale).unwrap_or(0).to_be_bytes());
    for g in digits.iter().rev() {
        out.extend_from_slice(&g.to_be_bytes());
    }
    out
}

/// Whether `add_many` sends `rows` rows by `COPY` on `driver`.
pub(super) fn fits<M: Model, D: Driver<M>>(driver: &D, rows: usize) -> bool {
    rows >= COPY_ROWS && driver.copies()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    #[test]
    fn fields_are_written_in_network_order() {
        let mut out = Vec::new();
        field(&mut out, &Value::Int(1), ColumnType::Integer).unwrap();
        assert_eq!(out, [0, 0, 0, 4, 0, 0, 0, 1]);
        out.clear();
        field(&mut out, &Value::Null, ColumnType::Text).unwrap();
        assert_eq!(out, [0xff; 4]);
        out.clear();
        let at = chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:01Z")
            .unwrap()
            .to_utc();
        field(&mut out, &Value::Timestamp(at), ColumnType::Timestamp).unwrap();
        assert_eq!(out, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40]);
        out.clear();
        let day = chrono::NaiveDate::from_ymd_opt(2000, 1, 2).unwrap();
        field(&mut out, &Value::Date(day), ColumnType::Date).unwrap();
        assert_eq!(out, [0, 0, 0, 4, 0, 0, 0, 1], "a day after 2000-01-01");
        out.clear();
        let early = chrono::NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
        field(&mut out, &Value::Date(early), ColumnType::Date).unwrap();
        assert_eq!(out, [0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
        out.clear();
        let time = chrono::NaiveTime::from_hms_micro_opt(0, 0, 1, 5).unwrap();
        field(&mut out, &Value::Time(time), ColumnType::Time).unwrap();
        assert_eq!(out, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x45]);
        out.clear();
        field(&mut out, &Value::Bytes(vec![0, 1]), ColumnType::Bytes).unwrap();
        assert_eq!(out, [0, 0, 0, 2, 0, 1]);
        out.clear();
        field(&mut out, &Value::Int(-2), ColumnType::SmallInt).unwrap();
        assert_eq!(out, [0, 0, 0, 2, 0xff, 0xfe]);
        out.clear();
        field(&mut out, &Value::Float(1.5), ColumnType::Real).unwrap();
        assert_eq!(out, [0, 0, 0, 4, 0x3f, 0xc0, 0, 0]);
        assert!(field(&mut out, &Value::Int(1 << 20), ColumnType::SmallInt).is_err());
        assert!(field(&mut out, &Value::Float(0.1), ColumnType::Real).is_err());
        let dec = |s: &str| Value::Decimal(s.parse().unwrap());
        let numeric_of = |s: &str| {
            let mut out = Vec::new();
            field(&mut out, &dec(s), ColumnType::Decimal(15, 4)).unwrap();
            out
        };
        // 12.5000 is the digits 12 and 5000, the first of weight 0.
        assert_eq!(
            numeric_of("12.50"),
            [0, 0, 0, 12, 0, 2, 0, 0, 0, 0, 0, 2, 0, 12, 0x13, 0x88]
        );
        // -0.0001: one digit, 1, of weight -1.
        assert_eq!(
            numeric_of("-0.0001"),
            [0, 0, 0, 10, 0, 1, 0xff, 0xff, 0x40, 0, 0, 4, 0, 1]
        );
        // 10000: one digit, 1, of weight 1 (the zero digit left out).
        assert_eq!(
            numeric_of("10000"),
            [0, 0, 0, 10, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(numeric_of("0.00"), [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert!(field(&mut out, &Value::Int(1 << 40), ColumnType::Integer).is_err());
        assert!(field(&mut out, &Value::Bool(true), ColumnType::Text).is_err());
    }

    #[test]
    fn the_statement_names_the_columns() {
        let table = Table::new("t")
            .column(Column::new("id", ColumnType::Uuid))
            .column(Column::new("name", ColumnType::Text));
        assert_eq!(
            copy_statement(&table, &[0, 1]),
            r#"COPY "t" ("id", "name") FROM STDIN (FORMAT binary)"#
        );
    }
}
