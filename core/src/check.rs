//! What the library refuses before it sends anything: values that the
//! databases would store differently, misread, or reject with an error that
//! names nothing. Each is [`Error::InvalidInput`] naming the column, the
//! same on every database, and nothing is sent.
//!
//! | input | limit | why |
//! |---|---|---|
//! | text (writes and filters) | no NUL character | SQLite reads a bound pattern up to its first NUL (a search for `"\0"` matched every row); PostgreSQL refuses NUL in text |
//! | `VARCHAR(n)` (writes) | at most `n` characters | SQLite stores longer text; PostgreSQL refuses it with a generic error |
//! | `INTEGER` (writes) | a 32-bit value | PostgreSQL refuses a larger one; SQLite stores it |
//! | `SMALLINT` (writes) | a 16-bit value | as `INTEGER` |
//! | `REAL` (writes) | a float an `f32` holds exactly | PostgreSQL and MariaDB round the rest (`0.1` is stored as `0.100000001`), SQLite stores it unrounded: the row read back would differ, and differ per database |
//! | timestamps (writes and filters) | 0001-01-01 to 9999-12-31, UTC | PostgreSQL's range differs; SQLite's text form sorts only four-digit years |
//! | floats (writes and filters) | not NaN | SQLite stores NaN as NULL |
//! | dates (writes and filters) | 0001-01-01 to 9999-12-31 | PostgreSQL's and MariaDB's ranges differ; SQLite's text form sorts only four-digit years |
//! | JSON (writes and filters) | no NUL in a string or key; at most [`MAX_JSON_DEPTH`] (32) levels, checked without recursion | PostgreSQL's `jsonb` refuses NUL; MariaDB's `JSON` refuses a 33rd level |
//! | times of day (writes and filters) | whole microseconds, no leap second | PostgreSQL and MariaDB keep microseconds; SQLite would keep the nanoseconds |
//! | decimals (writes) | fit the column's `NUMERIC(p, s)`: at most `p - s` digits before the point and `s` after | PostgreSQL rounds extra decimals silently, MariaDB truncates them with a warning |
//! | decimals (filters) | at most 15 significant digits | SQLite compares decimals as 8-byte floats, exact to 15 digits |
//! | `LIKE`/`GLOB` patterns (filters) | at most [`MAX_PATTERN_BYTES`] | SQLite's pattern limit |
//! | a value of another type than its column (writes) | refused | a model declared with the wrong column type |
//!
//! Filters have limits of their own (nesting depth, bound values): see
//! [`crate::filter`].

use std::any::Any;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use rust_decimal::Decimal;

use crate::base::Model;
use crate::filter::TextMatch;
use crate::schema::{Column, ColumnType, MAX_DECIMAL_PRECISION, Table};
use crate::value::Value;
use crate::{Error, Result};

/// The longest `LIKE` or `GLOB` pattern a filter may make, in bytes:
/// SQLite's `SQLITE_MAX_LIKE_PATTERN_LENGTH` (50,000). A search value is
/// escaped first, and case-sensitive SQLite matching turns the pattern into
/// a `GLOB` (where a literal `*`, `?` or `[` takes three bytes), so a value
/// may be shorter than this and still too long.
pub const MAX_PATTERN_BYTES: usize = 50_000;

/// Seconds from the Unix epoch to 0001-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_135_596_800;
/// Seconds from the Unix epoch to 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// The earliest timestamp a database is given: 0001-01-01T00:00:00Z.
pub fn min_timestamp() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
}

/// The latest timestamp a database is given: 9999-12-31T23:59:59.999999Z.
pub fn max_timestamp() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

/// Whether `t` is within [`min_timestamp`] and [`max_timestamp`], compared
/// by whole seconds (every instant of the last second is within).
fn in_range(t: &DateTime<Utc>) -> bool {
    (MIN_SECONDS..=MAX_SECONDS).contains(&t.timestamp())
}

/// Checks every column value of `model` as it would be written.
///
/// Text fields are read in place where the model lends them
/// ([`Model::field`]); other values through [`Model::value`].
///
/// # Errors
/// [`Error::InvalidInput`] naming the first column whose value breaks a
/// limit of the [module docs](self).
pub fn row<M: Model>(model: &M) -> Result<()> {
    let table = M::table();
    for (i, column) in table.columns().iter().enumerate() {
        // Fields the model lends are read in place (no copy of text);
        // others, and values of another type than the column's, go through
        // `Model::value`.
        let lent = model.field(i).and_then(|f| lent_field(table, column, f));
        match lent {
            Some(checked) => checked?,
            None => write_value(table, column, &model.value(i).unwrap_or(Value::Null))?,
        }
    }
    Ok(())
}

/// The check of a lent field of the common types for `column`'s type;
/// `None` when the field is of another type (then checked as a `Value`).
fn lent_field(table: &Table, column: &Column, field: &dyn Any) -> Option<Result<()>> {
    Some(match column.ty {
        ColumnType::Text | ColumnType::VarChar(_) => match lent_text(field)? {
            Some(text) => write_text(table, column, text),
            None => Ok(()),
        },
        ColumnType::Timestamp => match lent::<DateTime<Utc>>(field)? {
            Some(t) if !in_range(t) => shared(table, &column.name, &Value::Timestamp(*t)),
            _ => Ok(()),
        },
        ColumnType::Double => match lent::<f64>(field)? {
            Some(f) if f.is_nan() => shared(table, &column.name, &Value::Float(*f)),
            _ => Ok(()),
        },
        ColumnType::Real => match lent::<f32>(field) {
            Some(Some(f)) if f.is_nan() => {
                shared(table, &column.name, &Value::Float(f64::from(*f)))
            }
            Some(_) => Ok(()),
            None => match lent::<f64>(field)? {
                Some(f) => write_value(table, column, &Value::Float(*f)),
                None => Ok(()),
            },
        },
        ColumnType::SmallInt => match lent::<i16>(field) {
            Some(_) => Ok(()),
            None => match lent::<i64>(field)? {
                Some(i) => write_value(table, column, &Value::Int(*i)),
                None => Ok(()),
            },
        },
        ColumnType::BigInt => lent::<i64>(field).map(|_| Ok(()))?,
        ColumnType::Integer => match lent::<i32>(field) {
            Some(_) => Ok(()),
            None => match lent::<i64>(field)? {
                Some(i) => write_value(table, column, &Value::Int(*i)),
                None => Ok(()),
            },
        },
        ColumnType::Uuid => lent::<uuid::Uuid>(field).map(|_| Ok(()))?,
        ColumnType::Bool => lent::<bool>(field).map(|_| Ok(()))?,
        ColumnType::Date => match lent::<NaiveDate>(field)? {
            Some(d) => shared(table, &column.name, &Value::Date(*d)),
            None => Ok(()),
        },
        ColumnType::Time => match lent::<NaiveTime>(field)? {
            Some(t) => shared(table, &column.name, &Value::Time(*t)),
            None => Ok(()),
        },
        ColumnType::Bytes => lent::<Vec<u8>>(field).map(|_| Ok(()))?,
        ColumnType::Json => match lent::<serde_json::Value>(field)? {
            Some(j) => json(table, &column.name, j),
            None => Ok(()),
        },
        ColumnType::Decimal(precision, scale) => match lent::<Decimal>(field)? {
            Some(d) => decimal(table, column, *d, precision, scale),
            None => Ok(()),
        },
    })
}

/// `f` as the `f32` that holds it exactly (infinities included); `None`
/// when none does (out of range, or more precise).
pub(crate) fn as_f32(f: f64) -> Option<f32> {
    #[allow(clippy::cast_possible_truncation)] // checked by the round trip
    let narrow = f as f32;
    (f64::from(narrow) == f).then_some(narrow)
}

/// A field lent as `&dyn Any` ([`Model::field`]) as a `T` or an
/// `Option<T>`: `Some(None)` for `None`; `None` for a field of another type.
pub(crate) fn lent<T: 'static>(field: &dyn Any) -> Option<Option<&T>> {
    if let Some(v) = field.downcast_ref::<T>() {
        return Some(Some(v));
    }
    field.downcast_ref::<Option<T>>().map(Option::as_ref)
}

/// A text field lent as `&dyn Any`: `Some(None)` for a `None` text.
pub(crate) fn lent_text(field: &dyn Any) -> Option<Option<&str>> {
    if let Some(s) = field.downcast_ref::<String>() {
        return Some(Some(s));
    }
    if let Some(s) = field.downcast_ref::<Option<String>>() {
        return Some(s.as_deref());
    }
    field.downcast_ref::<&'static str>().map(|s| Some(*s))
}

fn is_text(ty: ColumnType) -> bool {
    matches!(ty, ColumnType::Text | ColumnType::VarChar(_))
}

/// Checks `value` as the value written to `column` of `table`.
///
/// # Errors
/// [`Error::InvalidInput`] as [`row`].
pub fn write_value(table: &Table, column: &Column, value: &Value) -> Result<()> {
    match (value, column.ty) {
        (Value::Null, _) => Ok(()),
        (Value::Text(text), ty) if is_text(ty) => write_text(table, column, text),
        (Value::Int(i), ColumnType::Integer) if i32::try_from(*i).is_err() => {
            Err(Error::invalid_input(format!(
                "{}: {i} is out of the range of a 32-bit INTEGER",
                name(table, column)
            )))
        }
        (Value::Int(i), ColumnType::SmallInt) if i16::try_from(*i).is_err() => {
            Err(Error::invalid_input(format!(
                "{}: {i} is out of the range of a 16-bit SMALLINT",
                name(table, column)
            )))
        }
        (Value::Float(f), ColumnType::Real) if !f.is_nan() && as_f32(*f).is_none() => {
            Err(Error::invalid_input(format!(
                "{}: {f} is not a value a 32-bit REAL holds exactly",
                name(table, column)
            )))
        }
        (Value::Decimal(d), ColumnType::Decimal(precision, scale)) => {
            decimal(table, column, *d, precision, scale)
        }
        (v, ty) if crate::filter::value_fits(v, ty) => shared(table, &column.name, v),
        (v, _) => Err(mismatch(table, column, kind(v))),
    }
}

/// Checks `value`, already of `field`'s column type, as a filter compares it.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` for text with a NUL, a timestamp
/// out of range or a NaN.
pub fn filter_value(table: &Table, field: &str, value: &Value) -> Result<()> {
    shared(table, field, value)
}

/// The checks writes and filters share.
fn shared(table: &Table, field: &str, value: &Value) -> Result<()> {
    match value {
        Value::Text(text) => no_nul(table, field, text),
        Value::Timestamp(t) if !in_range(t) => Err(Error::invalid_input(format!(
            "column `{field}` of `{}`: {t} is outside 0001-01-01 to 9999-12-31 (UTC)",
            table.name()
        ))),
        Value::Float(f) if f.is_nan() => Err(Error::invalid_input(format!(
            "column `{field}` of `{}`: NaN is not stored the same on every database",
            table.name()
        ))),
        Value::Date(d) if !(1..=9999).contains(&d.year()) => Err(Error::invalid_input(format!(
            "column `{field}` of `{}`: {d} is outside 0001-01-01 to 9999-12-31",
            table.name()
        ))),
        Value::Json(j) => json(table, field, j),
        Value::Decimal(d) if digits(d).0 > usize::from(MAX_DECIMAL_PRECISION) => {
            Err(Error::invalid_input(format!(
                "column `{field}` of `{}`: {d} has more than {MAX_DECIMAL_PRECISION} significant \
                 digits, which SQLite cannot compare exactly",
                table.name()
            )))
        }
        // PostgreSQL and MariaDB keep microseconds (and no leap second):
        // a finer time would be stored as another.
        Value::Time(t) if t.nanosecond() % 1000 != 0 || t.nanosecond() >= 1_000_000_000 => {
            Err(Error::invalid_input(format!(
                "column `{field}` of `{}`: {t} is finer than a microsecond or a leap second",
                table.name()
            )))
        }
        _ => Ok(()),
    }
}

/// How many levels a JSON value may have, its innermost values counted
/// (`[[1]]` has three): MariaDB's `JSON` column refuses a 33rd (its
/// `json_valid`, which the column checks, stops there), and the limit is
/// the same on every database.
pub const MAX_JSON_DEPTH: usize = 32;

/// Checks a JSON value without recursion: no NUL character in a string or
/// key (PostgreSQL's `jsonb` refuses it), at most [`MAX_JSON_DEPTH`] levels.
fn json(table: &Table, field: &str, value: &serde_json::Value) -> Result<()> {
    let fail = |why: String| {
        Err(Error::invalid_input(format!(
            "column `{field}` of `{}`: {why}",
            table.name()
        )))
    };
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > MAX_JSON_DEPTH {
            return fail(format!("JSON nested deeper than {MAX_JSON_DEPTH} levels"));
        }
        match v {
            // The text check names the column and the byte.
            serde_json::Value::String(s) => no_nul(table, field, s)?,
            serde_json::Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    no_nul(table, field, key)?;
                    stack.push((item, depth + 1));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The significant digits of `d` and how many of them are after the
/// point, trailing zeros dropped (`12.50` has 3 and 1; `0.05` 1 and 2;
/// `1200` 4 and 0).
fn digits(d: &Decimal) -> (usize, usize) {
    let n = d.normalize();
    let mantissa = n.mantissa().unsigned_abs();
    let count = if mantissa == 0 {
        0
    } else {
        mantissa.ilog10() as usize + 1
    };
    (count, n.scale() as usize)
}

/// Checks that `d` fits `NUMERIC(precision, scale)`: a column of a
/// declared type (precision 1 to 15, scale at most precision), at most
/// `precision - scale` digits before the point and `scale` after.
fn decimal(table: &Table, column: &Column, d: Decimal, precision: u8, scale: u8) -> Result<()> {
    if precision == 0 || precision > MAX_DECIMAL_PRECISION || scale > precision {
        return Err(Error::invalid_input(format!(
            "{} is DECIMAL({precision}, {scale}); a decimal column has 1 to \
             {MAX_DECIMAL_PRECISION} digits and at most as many after the point",
            name(table, column)
        )));
    }
    let (count, after) = digits(&d);
    let before = count.saturating_sub(after);
    if after > usize::from(scale) || before > usize::from(precision - scale) {
        return Err(Error::invalid_input(format!(
            "{}: {d} does not fit DECIMAL({precision}, {scale}), which holds {} digits \
             before the point and {scale} after (it is not rounded)",
            name(table, column),
            precision - scale
        )));
    }
    Ok(())
}

fn write_text(table: &Table, column: &Column, text: &str) -> Result<()> {
    no_nul(table, &column.name, text)?;
    if let ColumnType::VarChar(max) = column.ty
        // Bytes bound the characters: most text is checked without counting.
        && text.len() > max
    {
        let chars = text.chars().count();
        if chars > max {
            return Err(Error::invalid_input(format!(
                "{}: text of {chars} characters, longer than VARCHAR({max})",
                name(table, column)
            )));
        }
    }
    Ok(())
}

fn no_nul(table: &Table, field: &str, text: &str) -> Result<()> {
    // `contains` on bytes is a memchr: most text is scanned at once.
    if !text.as_bytes().contains(&0) {
        return Ok(());
    }
    let at = text.bytes().position(|b| b == 0).unwrap_or(0);
    Err(Error::invalid_input(format!(
        "column `{field}` of `{}`: text with a NUL character (at byte {at})",
        table.name()
    )))
}

/// Checks the `LIKE` pattern (`\` escapes) a filter on `field` makes, and
/// the `GLOB` pattern case-sensitive SQLite matching turns it into,
/// against [`MAX_PATTERN_BYTES`].
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn pattern(table: &Table, field: &str, like: &str) -> Result<()> {
    no_nul(table, field, like)?;
    // `like_to_glob` writes `*`, `?` and `[` as three bytes each.
    let glob = like.len() + 2 * stars(like);
    pattern_bytes(table, field, like.len().max(glob))
}

/// Checks the pattern of a literal match of `text` ([`crate::filter::literal_pattern`])
/// as [`pattern`] does, without making it.
///
/// # Errors
/// As [`pattern`].
pub fn literal(table: &Table, field: &str, matching: TextMatch, text: &str) -> Result<()> {
    no_nul(table, field, text)?;
    let wildcards = if matching == TextMatch::Contains {
        2
    } else {
        1
    };
    // LIKE escapes `\`, `%` and `_`; GLOB writes `*`, `?` and `[` as three
    // bytes and the escaped ones as themselves.
    let escapes = text.bytes().filter(|b| b"\\%_".contains(b)).count();
    let like = text.len() + escapes + wildcards;
    let glob = text.len() + 2 * stars(text) + wildcards;
    pattern_bytes(table, field, like.max(glob))
}

/// How many of `*`, `?` and `[` `text` holds.
fn stars(text: &str) -> usize {
    text.bytes().filter(|b| b"*?[".contains(b)).count()
}

fn pattern_bytes(table: &Table, field: &str, bytes: usize) -> Result<()> {
    if bytes > MAX_PATTERN_BYTES {
        return Err(Error::invalid_input(format!(
            "column `{field}` of `{}`: a pattern of {bytes} bytes, longer than {MAX_PATTERN_BYTES}",
            table.name()
        )));
    }
    Ok(())
}

fn name(table: &Table, column: &Column) -> String {
    format!("column `{}` of `{}`", column.name, table.name())
}

fn mismatch(table: &Table, column: &Column, given: &str) -> Error {
    Error::invalid_input(format!(
        "{} is {:?}; the model gives it {given}",
        name(table, column),
        column.ty
    ))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Text(_) => "text",
        Value::Uuid(_) => "a UUID",
        Value::Timestamp(_) => "a timestamp",
        Value::Date(_) => "a date",
        Value::Time(_) => "a time of day",
        Value::Bytes(_) => "bytes",
        Value::Json(_) => "JSON",
        Value::Decimal(_) => "a decimal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn table() -> Table {
        Table::new("t")
            .column(Column::new("name", ColumnType::VarChar(3)))
            .column(Column::new("n", ColumnType::Integer))
            .column(Column::new("at", ColumnType::Timestamp))
            .column(Column::new("x", ColumnType::Double))
    }

    fn write(i: usize, v: Value) -> Result<()> {
        let t = table();
        write_value(&t, &t.columns()[i], &v)
    }

    #[test]
    fn dates_and_times_are_checked_as_every_database_stores_them() {
        let t = Table::new("t")
            .column(Column::new("d", ColumnType::Date))
            .column(Column::new("h", ColumnType::Time))
            .column(Column::new("b", ColumnType::Bytes));
        let date = |y, m, d| Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        let w = |i: usize, v: Value| write_value(&t, &t.columns()[i], &v);
        assert!(w(0, date(1, 1, 1)).is_ok());
        assert!(w(0, date(9999, 12, 31)).is_ok());
        for bad in [date(0, 12, 31), date(10_000, 1, 1), date(-5, 1, 1)] {
            let e = w(0, bad).unwrap_err();
            assert!(e.to_string().contains("column `d` of `t`"), "{e}");
        }
        let time = |n| Value::Time(NaiveTime::from_hms_nano_opt(23, 59, 59, n).unwrap());
        assert!(w(1, time(999_999_000)).is_ok());
        let e = w(1, time(1)).unwrap_err();
        assert!(e.to_string().contains("column `h`"), "{e}");
        assert!(w(1, time(1_000_000_000)).is_err(), "a leap second");
        assert!(filter_value(&t, "h", &time(500)).is_err(), "filters too");
        assert!(
            w(2, Value::Bytes(vec![0; 3])).is_ok(),
            "NUL bytes are bytes"
        );
        let e = w(2, Value::from("x")).unwrap_err();
        assert!(
            e.to_string().contains("bytes") || e.to_string().contains("Bytes"),
            "{e}"
        );
    }

    #[test]
    fn decimals_fit_their_column_or_are_refused_unrounded() {
        let t = Table::new("t")
            .column(Column::new("price", ColumnType::Decimal(15, 2)))
            .column(Column::new("share", ColumnType::Decimal(6, 6)))
            .column(Column::new("wide", ColumnType::Decimal(20, 2)));
        let d = |s: &str| Value::Decimal(s.parse().unwrap());
        let w = |i: usize, v: Value| write_value(&t, &t.columns()[i], &v);
        for ok in [
            "9999999999999.99",
            "-9999999999999.99",
            "0.01",
            "12.50",
            "12.500",
            "0",
        ] {
            assert!(w(0, d(ok)).is_ok(), "{ok}");
        }
        for bad in ["10000000000000", "0.001", "-12.345"] {
            let e = w(0, d(bad)).unwrap_err().to_string();
            assert!(
                e.contains("column `price` of `t`") && e.contains("DECIMAL(15, 2)"),
                "{e}"
            );
        }
        assert!(w(1, d("0.999999")).is_ok());
        assert!(w(1, d("-0.000001")).is_ok());
        assert!(w(1, d("1")).is_err(), "no digit before the point");
        assert!(w(1, d("0.0000001")).is_err());
        let e = w(2, d("1")).unwrap_err().to_string();
        assert!(e.contains("1 to 15 digits"), "a column wider than 15: {e}");
        assert!(w(0, Value::Float(1.5)).is_err(), "a float is not a decimal");
        // Filters compare values of at most 15 significant digits, at any
        // scale; more would be rounded on SQLite.
        assert!(filter_value(&t, "price", &d("0.000000000000000000000000001")).is_ok());
        assert!(filter_value(&t, "price", &d("123456789012345")).is_ok());
        assert!(filter_value(&t, "price", &d("1234567890123456")).is_err());
        assert!(filter_value(&t, "price", &d("1.000000000000000000")).is_ok());
    }

    #[test]
    fn writes_are_checked_per_column_type() {
        assert!(write(0, Value::from("abc")).is_ok());
        assert!(
            write(0, Value::from("äöü")).is_ok(),
            "characters, not bytes"
        );
        let e = write(0, Value::from("abcd")).unwrap_err();
        assert!(e.to_string().contains("`name` of `t`"), "{e}");
        assert!(write(0, Value::from("a\0")).is_err());
        assert!(write(1, Value::Int(i64::from(i32::MAX))).is_ok());
        assert!(write(1, Value::Int(i64::from(i32::MAX) + 1)).is_err());
        assert!(write(2, Value::Timestamp(max_timestamp())).is_ok());
        assert!(write(2, Value::Timestamp(min_timestamp())).is_ok());
        let late = max_timestamp() + chrono::TimeDelta::microseconds(1);
        assert!(write(2, Value::Timestamp(late)).is_err());
        assert!(write(3, Value::Float(f64::NAN)).is_err());
        assert!(write(3, Value::Float(f64::INFINITY)).is_ok());
        assert!(write(3, Value::from("1.5")).is_err(), "text for a float");
        assert!(write(3, Value::Null).is_ok(), "NOT NULL is the database's");
    }

    #[test]
    fn small_integers_and_reals_keep_their_ranges() {
        let t = Table::new("t")
            .column(Column::new("s", ColumnType::SmallInt))
            .column(Column::new("r", ColumnType::Real));
        let w = |i: usize, v: Value| write_value(&t, &t.columns()[i], &v);
        assert!(w(0, Value::Int(i64::from(i16::MIN))).is_ok());
        assert!(w(0, Value::Int(i64::from(i16::MAX))).is_ok());
        let e = w(0, Value::Int(i64::from(i16::MAX) + 1)).unwrap_err();
        assert!(e.to_string().contains("column `s` of `t`"), "{e}");
        for ok in [
            1.5,
            -0.0,
            f64::from(f32::MAX),
            f64::from(f32::MIN_POSITIVE),
            f64::INFINITY,
        ] {
            assert!(w(1, Value::Float(ok)).is_ok(), "{ok}");
        }
        for bad in [0.1, f64::from(f32::MAX) * 2.0, f64::NAN] {
            let e = w(1, Value::Float(bad)).unwrap_err();
            assert!(e.to_string().contains("column `r` of `t`"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_range_is_the_one_named() {
        assert_eq!(min_timestamp().timestamp(), MIN_SECONDS);
        assert_eq!(max_timestamp().timestamp(), MAX_SECONDS);
        assert!(in_range(&min_timestamp()) && in_range(&max_timestamp()));
        assert!(!in_range(
            &(min_timestamp() - chrono::TimeDelta::microseconds(1))
        ));
        assert!(!in_range(
            &(max_timestamp() + chrono::TimeDelta::microseconds(1))
        ));
    }

    #[test]
    fn patterns_count_their_glob_form() {
        let t = table();
        assert!(pattern(&t, "name", &"a".repeat(MAX_PATTERN_BYTES)).is_ok());
        assert!(pattern(&t, "name", &"a".repeat(MAX_PATTERN_BYTES + 1)).is_err());
        // 20,000 `*` are 60,000 bytes as a GLOB.
        assert!(pattern(&t, "name", &"*".repeat(20_000)).is_err());
        assert!(pattern(&t, "name", "a\0").is_err());
    }

    #[test]
    fn literal_patterns_are_measured_as_made() {
        use crate::filter::{like_to_glob, literal_pattern};
        let t = table();
        for text in ["plain", r"50%_off\", "*?[x]", "é*"] {
            for matching in [
                TextMatch::Contains,
                TextMatch::StartsWith,
                TextMatch::EndsWith,
            ] {
                let like = literal_pattern(matching, text);
                let bytes = like.len().max(like_to_glob(&like).len());
                let room = "a".repeat(MAX_PATTERN_BYTES - bytes);
                let padded = format!("{text}{room}");
                assert!(literal(&t, "name", matching, &padded).is_ok(), "{text:?}");
                let over = format!("{padded}a");
                assert!(literal(&t, "name", matching, &over).is_err(), "{text:?}");
            }
        }
    }
}
