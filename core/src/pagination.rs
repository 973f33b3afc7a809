//! Pages of rows: offset pagination and keyset (cursor) pagination.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use crate::filter::Condition;
use crate::value::Value;
use crate::{Error, Result};

/// One page of an offset-paginated list, with the total over all pages.
///
/// ```
/// use alchemy_core::pagination::OffsetPagination;
///
/// let page = OffsetPagination { items: vec!["a", "b"], limit: Some(2), offset: 4, total: 9 };
/// // Pages of 2: this is the third of five.
/// assert_eq!(page.offset / 2 + 1, 3);
/// assert_eq!(page.total.div_ceil(2), 5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetPagination<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// The page size asked for (`None`: no limit).
    pub limit: Option<u64>,
    /// Rows skipped before this page.
    pub offset: u64,
    /// Rows matching the filter over all pages (also for a page past the end).
    pub total: u64,
}

/// A keyset page request: rows ordered by one column with the primary key as
/// tie-breaker, starting after (or ending before) a cursor.
///
/// ```
/// use alchemy_core::filter::Condition;
/// use alchemy_core::pagination::KeysetRequest;
///
/// // The newest 50 published posts; then the next 50 after the last
/// // page's `next` cursor (an opaque string a client sends back).
/// let first = KeysetRequest {
///     filter: Some(Condition::eq("published", true)),
///     descending: true,
///     ..KeysetRequest::new("created_at", 50)
/// };
/// # let next_cursor = String::new();
/// let second = KeysetRequest { after: Some(next_cursor), ..first.clone() };
/// assert_eq!(second.limit, 50);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeysetRequest {
    /// Which rows.
    pub filter: Option<Condition>,
    /// The column to order by (NOT NULL); the key breaks ties.
    pub order_by: String,
    /// Largest first.
    pub descending: bool,
    /// Page size (at least 1).
    pub limit: u64,
    /// Rows after this cursor (a page's `next`); excludes `before`.
    pub after: Option<String>,
    /// Rows before this cursor (a page's `previous`).
    pub before: Option<String>,
}

impl KeysetRequest {
    /// The first page of `limit` rows ordered by `order_by` ascending.
    pub fn new(order_by: impl Into<String>, limit: u64) -> Self {
        Self {
            order_by: order_by.into(),
            limit,
            ..Self::default()
        }
    }
}

/// One keyset page.
#[derive(Debug, Clone, PartialEq)]
pub struct KeysetPage<T> {
    /// The rows, in the requested order.
    pub items: Vec<T>,
    /// The cursor for the following page, if there are more rows.
    pub next: Option<String>,
    /// The cursor for the preceding page, if there are earlier rows.
    pub previous: Option<String>,
}

/// The position of one row: its order-by value and its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The row's value of the order-by column.
    pub value: Value,
    /// The row's primary key.
    pub key: Value,
}

/// A cursor value as its JSON: `{"i":3}`, `{"s":"a"}`, `{"t":"<RFC 3339>"}`,
/// `{"d":"2024-02-29"}`.
/// Written and read by serde directly, without a JSON tree between: a page
/// of a walk encodes one cursor and decodes another.
#[derive(Serialize, Deserialize)]
enum Tagged<'a> {
    #[serde(rename = "b")]
    Bool(bool),
    #[serde(rename = "i")]
    Int(i64),
    #[serde(rename = "f")]
    Float(f64),
    #[serde(rename = "s")]
    Text(#[serde(borrow)] Cow<'a, str>),
    #[serde(rename = "u")]
    Uuid(uuid::Uuid),
    #[serde(rename = "t")]
    Timestamp(#[serde(borrow)] Cow<'a, str>),
    /// `YYYY-MM-DD`.
    #[serde(rename = "d")]
    Date(#[serde(borrow)] Cow<'a, str>),
    /// `HH:MM:SS[.ffffff]`.
    #[serde(rename = "h")]
    Time(#[serde(borrow)] Cow<'a, str>),
    /// Standard base64.
    #[serde(rename = "y")]
    Bytes(#[serde(borrow)] Cow<'a, str>),
    /// A decimal's digits, `12.50`.
    #[serde(rename = "n")]
    Decimal(#[serde(borrow)] Cow<'a, str>),
}

fn tagged(v: &Value) -> Result<Tagged<'_>> {
    Ok(match v {
        Value::Bool(b) => Tagged::Bool(*b),
        Value::Int(i) => Tagged::Int(*i),
        Value::Float(f) => Tagged::Float(*f),
        Value::Text(s) => Tagged::Text(Cow::Borrowed(s)),
        Value::Uuid(u) => Tagged::Uuid(*u),
        Value::Timestamp(t) => Tagged::Timestamp(Cow::Owned(
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        )),
        Value::Date(d) => Tagged::Date(Cow::Owned(d.format("%Y-%m-%d").to_string())),
        Value::Time(t) => Tagged::Time(Cow::Owned(t.format("%H:%M:%S%.f").to_string())),
        Value::Bytes(b) => Tagged::Bytes(Cow::Owned(STANDARD.encode(b))),
        Value::Decimal(d) => Tagged::Decimal(Cow::Owned(d.to_string())),
        Value::Json(_) => {
            return Err(Error::invalid_input(
                "keyset pagination orders by a comparable column; JSON is not one",
            ));
        }
        other => {
            return Err(Error::invalid_input(format!(
                "keyset pagination needs NOT NULL order and key values, got {other:?}"
            )));
        }
    })
}

fn untagged(t: Tagged<'_>) -> Option<Value> {
    Some(match t {
        Tagged::Bool(b) => Value::Bool(b),
        Tagged::Int(i) => Value::Int(i),
        Tagged::Float(f) => Value::Float(f),
        Tagged::Text(s) => Value::Text(s.into_owned()),
        Tagged::Uuid(u) => Value::Uuid(u),
        Tagged::Timestamp(t) => {
            Value::Timestamp(DateTime::parse_from_rfc3339(&t).ok()?.with_timezone(&Utc))
        }
        Tagged::Date(d) => Value::Date(NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()?),
        Tagged::Time(t) => Value::Time(NaiveTime::parse_from_str(&t, "%H:%M:%S%.f").ok()?),
        Tagged::Bytes(b) => Value::Bytes(STANDARD.decode(b.as_bytes()).ok()?),
        Tagged::Decimal(d) => Value::Decimal(d.parse().ok()?),
    })
}

impl Cursor {
    /// The opaque, URL-safe string form.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a value is NULL.
    pub fn encode(&self) -> Result<String> {
        let pair = (tagged(&self.value)?, tagged(&self.key)?);
        let json = serde_json::to_vec(&pair)
            .map_err(|e| Error::invalid_input(format!("a cursor could not be written: {e}")))?;
        Ok(URL_SAFE_NO_PAD.encode(json))
    }

    /// Reads a cursor made by [`Cursor::encode`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for anything else (a tampered or foreign string).
    pub fn decode(text: &str) -> Result<Self> {
        let bad = || Error::invalid_input("not a cursor of this list");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let (value, key): (Tagged<'_>, Tagged<'_>) =
            serde_json::from_slice(&bytes).map_err(|_| bad())?;
        Ok(Self {
            value: untagged(value).ok_or_else(bad)?,
            key: untagged(key).ok_or_else(bad)?,
        })
    }

    /// Rows strictly after this position in ascending (`field`, `key_field`)
    /// order, or strictly before it when `before` (as a condition tree).
    ///
    /// # Behavior
    /// `field >= v AND (field > v OR key > k)` (`<=`, `<` before): the first
    /// test bounds an index scan on `field`, and the `OR` only sorts out the
    /// rows that tie with the cursor. Ordered by the key itself, it is
    /// `key > k` alone. The plain `field > v OR (field = v AND key > k)`
    /// bounds nothing once its values are parameters: PostgreSQL's generic
    /// plan and SQLite both scanned the index from the first row and
    /// filtered, so each page of a walk cost more than the last (half way
    /// through 100,000 rows ordered by a timestamp, 12.8 ms a page against
    /// 0.24 ms on PostgreSQL).
    pub fn beyond(&self, field: &str, key_field: &str, before: bool) -> Condition {
        let past = |f: &str, v: &Value| {
            if before {
                Condition::lt(f, v.clone())
            } else {
                Condition::gt(f, v.clone())
            }
        };
        if field == key_field {
            return past(key_field, &self.key);
        }
        let reached = if before {
            Condition::le(field, self.value.clone())
        } else {
            Condition::ge(field, self.value.clone())
        };
        Condition::And(vec![
            reached,
            Condition::Or(vec![past(field, &self.value), past(key_field, &self.key)]),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_bytes_round_trip_through_a_cursor() {
        let values = [
            Value::Date(NaiveDate::from_ymd_opt(1, 1, 1).unwrap()),
            Value::Date(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap()),
            Value::Time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap()),
            Value::Time(NaiveTime::MIN),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0, 255, 7]),
            Value::Decimal("-9999999999999.99".parse().unwrap()),
            Value::Decimal("0.000001".parse().unwrap()),
        ];
        for value in values {
            let c = Cursor {
                value: value.clone(),
                key: Value::Int(1),
            };
            let back = Cursor::decode(&c.encode().unwrap()).unwrap();
            assert_eq!(back.value, value);
        }
    }

    #[test]
    fn a_cursor_bounds_the_order_column_first() {
        let at = DateTime::UNIX_EPOCH;
        let key = uuid::Uuid::nil();
        let c = Cursor {
            value: Value::Timestamp(at),
            key: Value::Uuid(key),
        };
        assert_eq!(
            c.beyond("created_at", "id", false),
            Condition::And(vec![
                Condition::ge("created_at", at),
                Condition::Or(vec![
                    Condition::gt("created_at", at),
                    Condition::gt("id", key)
                ]),
            ])
        );
        assert_eq!(
            c.beyond("created_at", "id", true),
            Condition::And(vec![
                Condition::le("created_at", at),
                Condition::Or(vec![
                    Condition::lt("created_at", at),
                    Condition::lt("id", key)
                ]),
            ])
        );
        assert_eq!(c.beyond("id", "id", false), Condition::gt("id", key));
        assert_eq!(c.beyond("id", "id", true), Condition::lt("id", key));
    }

    #[test]
    fn a_cursor_keeps_its_json_form() {
        // Cursors handed out by earlier releases must still decode.
        let c = Cursor {
            value: Value::Timestamp(DateTime::UNIX_EPOCH),
            key: Value::Int(3),
        };
        let json = r#"[{"t":"1970-01-01T00:00:00Z"},{"i":3}]"#;
        assert_eq!(c.encode().unwrap(), URL_SAFE_NO_PAD.encode(json));
        let c = Cursor {
            value: Value::Text("\"x\"".into()),
            key: Value::Uuid(uuid::Uuid::nil()),
        };
        let json = r#"[{"s":"\"x\""},{"u":"00000000-0000-0000-0000-000000000000"}]"#;
        assert_eq!(c.encode().unwrap(), URL_SAFE_NO_PAD.encode(json));
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode(json)).unwrap(), c);
    }

    #[test]
    fn cursors_round_trip_and_reject_tampering() {
        let c = Cursor {
            value: Value::Timestamp(DateTime::UNIX_EPOCH),
            key: Value::Uuid(uuid::Uuid::now_v7()),
        };
        let s = c.encode().unwrap();
        assert!(
            s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        );
        assert_eq!(Cursor::decode(&s).unwrap(), c);
        for bad in ["", "!!", "e30", &s[1..]] {
            assert!(
                matches!(Cursor::decode(bad), Err(Error::InvalidInput { .. })),
                "{bad}"
            );
        }
        let c = Cursor {
            value: Value::Text("a\"b".into()),
            key: Value::Int(3),
        };
        assert_eq!(Cursor::decode(&c.encode().unwrap()).unwrap(), c);
        let null = Cursor {
            value: Value::Null,
            key: Value::Int(1),
        };
        assert!(null.encode().is_err());
    }
}
