//! The JSON form of a filter and query, for web APIs.
//!
//! Every node names its operator in `"op"`; values are plain JSON and are
//! converted to the column's type when the query is checked against the
//! model's table, so the JSON form is validated exactly as a query built
//! in Rust. Strings carry what JSON has no type for: a UUID, an RFC 3339
//! timestamp, a `YYYY-MM-DD` date, an `HH:MM:SS[.ffffff]` time, bytes in
//! standard base64, a decimal exactly (`"12.50"`; a JSON number is read as
//! a float first, so `12.5` works but a long number may be rounded). A JSON column's value is the JSON value itself, an
//! object or array included.
//!
//! ```
//! use alchemy_core::filter::json::JsonQuery;
//! # use alchemy_core::schema::{Table, Column, ColumnType};
//! # let table = Table::new("post")
//! #     .column(Column::new("title", ColumnType::Text))
//! #     .column(Column::new("published", ColumnType::Bool))
//! #     .column(Column::new("created_at", ColumnType::Timestamp));
//! let json = r#"{
//!   "filter": {"op": "and", "filters": [
//!     {"op": "search", "fields": ["title"], "value": "rust", "case_insensitive": true},
//!     {"op": "eq", "field": "published", "value": true},
//!     {"op": "on_or_after", "field": "created_at", "value": "2024-01-01T00:00:00Z"}
//!   ]},
//!   "order_by": [{"field": "created_at", "desc": true}],
//!   "limit": 20,
//!   "offset": 0
//! }"#;
//! let query = JsonQuery::from_json(json)?.into_query(&table)?;
//! assert_eq!(query.limit, Some(20));
//! # Ok::<(), alchemy_core::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::{CompareOp, Condition, OrderBy, Query, TextMatch, Value};
use crate::schema::Table;
use crate::{Error, Result};

/// One node of a JSON filter tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)] // the variants and fields are the documented JSON keys
pub enum JsonFilter {
    /// `{"op": "eq", "field": .., "value": ..}` (a `null` value is IS NULL).
    Eq { field: String, value: Json },
    /// `<>`.
    Ne { field: String, value: Json },
    /// `>`.
    Gt { field: String, value: Json },
    /// `>=`.
    Ge { field: String, value: Json },
    /// `<`.
    Lt { field: String, value: Json },
    /// `<=`.
    Le { field: String, value: Json },
    /// Strictly before a timestamp.
    Before { field: String, value: Json },
    /// Strictly after a timestamp.
    After { field: String, value: Json },
    /// At or before a timestamp.
    OnOrBefore { field: String, value: Json },
    /// At or after a timestamp.
    OnOrAfter { field: String, value: Json },
    /// Inclusive range.
    Between {
        field: String,
        low: Json,
        high: Json,
    },
    /// In a list (empty: no row).
    In { field: String, values: Vec<Json> },
    /// Not in a list (empty: every row).
    NotIn { field: String, values: Vec<Json> },
    /// LIKE with the caller's wildcards.
    Like { field: String, pattern: String },
    /// ILIKE with the caller's wildcards.
    Ilike { field: String, pattern: String },
    /// Literal substring.
    Contains {
        field: String,
        value: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Literal prefix.
    StartsWith {
        field: String,
        value: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Literal suffix.
    EndsWith {
        field: String,
        value: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    /// IS NULL.
    IsNull { field: String },
    /// IS NOT NULL.
    IsNotNull { field: String },
    /// Literal substring in any of the fields.
    Search {
        fields: Vec<String>,
        value: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Literal substring in none of the fields.
    NotInSearch {
        fields: Vec<String>,
        value: String,
        #[serde(default)]
        case_insensitive: bool,
    },
    /// All of the filters.
    And { filters: Vec<JsonFilter> },
    /// Any of the filters.
    Or { filters: Vec<JsonFilter> },
}

/// One JSON sort key: `{"field": .., "desc": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonOrder {
    /// Column name.
    pub field: String,
    /// Largest first.
    #[serde(default)]
    pub desc: bool,
}

/// A JSON query: filter, sort keys and page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonQuery {
    /// Which rows.
    #[serde(default)]
    pub filter: Option<JsonFilter>,
    /// Sort keys.
    #[serde(default)]
    pub order_by: Vec<JsonOrder>,
    /// At most this many rows.
    #[serde(default)]
    pub limit: Option<u64>,
    /// Skip this many rows.
    #[serde(default)]
    pub offset: Option<u64>,
}

fn scalar(field: &str, json: Json) -> Result<Value> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().ok_or_else(|| {
                Error::invalid_input(format!("field `{field}`: {n} is not a usable number"))
            })?),
        },
        Json::String(s) => Value::Text(s),
        // A document, for a JSON column (any other column refuses it).
        other => Value::Json(other),
    })
}

impl JsonFilter {
    /// The condition this node describes (not yet checked against a table).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for arrays or objects where a value belongs.
    pub fn into_condition(self) -> Result<Condition> {
        let cmp = |field: String, op, value: Json| -> Result<Condition> {
            let value = scalar(&field, value)?;
            Ok(Condition::Compare { field, op, value })
        };
        let text = |field: String, matching, value, case_insensitive| Condition::Text {
            field,
            matching,
            value,
            case_insensitive,
        };
        let list = |field: &str, values: Vec<Json>| -> Result<Vec<Value>> {
            values.into_iter().map(|v| scalar(field, v)).collect()
        };
        Ok(match self {
            Self::Eq { field, value } => {
                let value = scalar(&field, value)?;
                Condition::Eq { field, value }
            }
            Self::Ne { field, value } => cmp(field, CompareOp::Ne, value)?,
            Self::Gt { field, value } | Self::After { field, value } => {
                cmp(field, CompareOp::Gt, value)?
            }
            Self::Ge { field, value } | Self::OnOrAfter { field, value } => {
                cmp(field, CompareOp::Ge, value)?
            }
            Self::Lt { field, value } | Self::Before { field, value } => {
                cmp(field, CompareOp::Lt, value)?
            }
            Self::Le { field, value } | Self::OnOrBefore { field, value } => {
                cmp(field, CompareOp::Le, value)?
            }
            Self::Between { field, low, high } => {
                let (low, high) = (scalar(&field, low)?, scalar(&field, high)?);
                Condition::Between { field, low, high }
            }
            Self::In { field, values } => {
                let values = list(&field, values)?;
                Condition::In { field, values }
            }
            Self::NotIn { field, values } => {
                let values = list(&field, values)?;
                Condition::NotIn { field, values }
            }
            Self::Like { field, pattern } => Condition::like(field, pattern),
            Self::Ilike { field, pattern } => Condition::ilike(field, pattern),
            Self::Contains {
                field,
                value,
                case_insensitive,
            } => text(field, TextMatch::Contains, value, case_insensitive),
            Self::StartsWith {
                field,
                value,
                case_insensitive,
            } => text(field, TextMatch::StartsWith, value, case_insensitive),
            Self::EndsWith {
                field,
                value,
                case_insensitive,
            } => text(field, TextMatch::EndsWith, value, case_insensitive),
            Self::IsNull { field } => Condition::IsNull { field },
            Self::IsNotNull { field } => Condition::IsNotNull { field },
            Self::Search {
                fields,
                value,
                case_insensitive,
            } => Condition::Search {
                fields,
                value,
                case_insensitive,
            },
            Self::NotInSearch {
                fields,
                value,
                case_insensitive,
            } => Condition::NotInSearch {
                fields,
                value,
                case_insensitive,
            },
            Self::And { filters } => Condition::And(
                filters
                    .into_iter()
                    .map(Self::into_condition)
                    .collect::<Result<_>>()?,
            ),
            Self::Or { filters } => Condition::Or(
                filters
                    .into_iter()
                    .map(Self::into_condition)
                    .collect::<Result<_>>()?,
            ),
        })
    }
}

impl JsonQuery {
    /// Parses the JSON text of a query.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with serde's message (unknown operator or key,
    /// missing field, nesting deeper than 128).
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::invalid_input(format!("filter JSON: {e}")))
    }

    /// The query, checked against `table` as [`Query::checked`] does.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first unknown field or bad value.
    pub fn into_query(self, table: &Table) -> Result<Query> {
        Query {
            filter: self.filter.map(JsonFilter::into_condition).transpose()?,
            order_by: self
                .order_by
                .into_iter()
                .map(|o| OrderBy {
                    field: o.field,
                    descending: o.desc,
                })
                .collect(),
            limit: self.limit,
            offset: self.offset,
        }
        .checked(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};

    fn table() -> Table {
        Table::new("post")
            .column(Column::new("id", ColumnType::Uuid))
            .column(Column::new("title", ColumnType::Text))
            .column(Column::new("created_at", ColumnType::Timestamp))
    }

    #[test]
    fn every_operator_parses() {
        let json = r#"{"filter": {"op": "or", "filters": [
            {"op": "eq", "field": "title", "value": null},
            {"op": "ne", "field": "title", "value": "a"},
            {"op": "between", "field": "created_at", "low": "2024-01-01T00:00:00Z", "high": "2025-01-01T00:00:00+02:00"},
            {"op": "in", "field": "id", "values": ["018f2b6e-0000-7000-8000-000000000000"]},
            {"op": "not_in", "field": "title", "values": []},
            {"op": "ilike", "field": "title", "pattern": "%a%"},
            {"op": "starts_with", "field": "title", "value": "x", "case_insensitive": true},
            {"op": "ends_with", "field": "title", "value": "y"},
            {"op": "is_not_null", "field": "title"},
            {"op": "before", "field": "created_at", "value": "2024-01-01T00:00:00Z"},
            {"op": "not_in_search", "fields": ["title"], "value": "%"}
        ]}}"#;
        let q = JsonQuery::from_json(json)
            .unwrap()
            .into_query(&table())
            .unwrap();
        let Some(Condition::Or(all)) = &q.filter else {
            panic!("{:?}", q.filter)
        };
        assert_eq!(all.len(), 11);
        assert!(
            matches!(&all[3], Condition::In { values, .. } if matches!(values[0], Value::Uuid(_)))
        );
    }

    #[test]
    fn unknown_fields_and_operators_are_invalid_input() {
        let e = JsonQuery::from_json(r#"{"filter": {"op": "eq", "field": "nope", "value": 1}}"#)
            .unwrap()
            .into_query(&table())
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { message } if message.contains("nope")),
            "{e}"
        );
        let e = JsonQuery::from_json(r#"{"filter": {"op": "drop_table", "field": "title"}}"#)
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        let e = JsonQuery::from_json(
            r#"{"filter": {"op": "eq", "field": "title", "value": 1, "sql": "x"}}"#,
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        let e = JsonQuery::from_json(r#"{"order_by": [{"field": "title; --"}]}"#)
            .unwrap()
            .into_query(&table())
            .unwrap_err();
        assert!(e.to_string().contains("title; --"), "{e}");
        let e = JsonQuery::from_json(r#"{"filter": {"op": "eq", "field": "title", "value": [1]}}"#)
            .unwrap()
            .into_query(&table())
            .unwrap_err();
        // A document is a value only for a JSON column.
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("`title`"),
            "{e}"
        );
    }

    #[test]
    fn hostile_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!(
            "{{\"filter\": {}{}}}",
            r#"{"op": "and", "filters": ["#.repeat(10_000),
            "]}".repeat(10_000)
        );
        assert!(JsonQuery::from_json(&deep).is_err());
    }

    #[test]
    fn json_nests_62_groups_within_max_depth() {
        let nested = |levels: usize| {
            format!(
                r#"{{"filter": {}{{"op": "eq", "field": "title", "value": "x"}}{}}}"#,
                r#"{"op": "and", "filters": ["#.repeat(levels),
                "]}".repeat(levels)
            )
        };
        let q = JsonQuery::from_json(&nested(62))
            .unwrap()
            .into_query(&table())
            .unwrap();
        let depth = q.filter.as_ref().map_or(0, Condition::depth);
        assert_eq!(depth, 63);
        assert!(depth <= crate::filter::MAX_DEPTH);
        let e = JsonQuery::from_json(&nested(63)).unwrap_err();
        assert!(e.to_string().contains("recursion limit"), "{e}");
    }

    #[test]
    fn round_trips_through_serde() {
        let q = JsonQuery {
            filter: Some(JsonFilter::Search {
                fields: vec!["title".into()],
                value: "7".into(),
                case_insensitive: true,
            }),
            order_by: vec![JsonOrder {
                field: "created_at".into(),
                desc: true,
            }],
            limit: Some(20),
            offset: Some(37),
        };
        let text = serde_json::to_string(&q).unwrap();
        assert_eq!(JsonQuery::from_json(&text).unwrap(), q);
    }
}
