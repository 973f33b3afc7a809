//! Conditions over a model's columns, as pure data written as SQL once for
//! every backend ([`crate::sql`]).
//!
//! Field names are checked against the model's [`Table`] before any SQL is
//! built ([`Condition::checked`]); values are always bound, never spliced.
//! The JSON form for web APIs lives in [`json`].
//!
//! # Semantics every backend implements
//! - `Eq` with [`Value::Null`] is `IS NULL`.
//! - `In` with an empty list matches no row; `NotIn` with an empty list filters nothing.
//! - `And([])` is true, `Or([])` is false.
//! - `Like` takes a pattern with the caller's own `%`/`_` wildcards (escape
//!   them with `\`); every other text match (`Text`, `Search`) matches its
//!   value literally: `%`, `_` and `\` in it are escaped ([`escape_like`]).
//! - Case-sensitive matching is exact on every database (SQLite's `LIKE` folds
//!   ASCII case, so backends use `GLOB` there, see [`like_to_glob`]).
//!   Case-insensitive matching folds at least ASCII letters; PostgreSQL also
//!   folds other letters, SQLite (without ICU) does not.
//! - `Search` is a substring match over several fields joined by OR;
//!   `NotInSearch` matches rows where no field contains the value (a NULL
//!   field contains nothing, so it counts as not containing it).
//!
//! # Size and depth
//! Every backend writes a filter with [`crate::sql::write_condition`]:
//! - `In`/`NotIn` lists of any length bind one value (an array on
//!   PostgreSQL, a JSON array on SQLite past 100 values): 100,000 values work.
//! - Flat `And`/`Or` groups of any width work: members that test one column
//!   the same way are merged into one test, and groups are written as a
//!   balanced tree, so 100,000 members nest about 17 deep in SQL.
//! - Limits, the same on every database and checked before anything is
//!   sent ([`Error::InvalidInput`]): groups nest at most [`MAX_DEPTH`] (64)
//!   deep (the JSON form stops at 63), checked without recursion; a filter
//!   binds at most [`crate::sql::MAX_BOUND_VALUES`] (32,000) values after
//!   merging; its SQL nests at most [`crate::sql::MAX_SQL_DEPTH`] (900) deep.
//! - Values are checked as [`crate::check`] says: no NUL in text, no
//!   timestamp outside 0001-9999, no NaN, no pattern over 50,000 bytes.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::schema::{ColumnType, Table};
use crate::{Error, Result};

pub mod json;

pub use crate::value::Value;

/// An ordering comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `<>`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CompareOp {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Ne => "<>",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
        }
    }
}

/// Where a literal text match must occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMatch {
    /// Anywhere.
    Contains,
    /// At the start.
    StartsWith,
    /// At the end.
    EndsWith,
}

/// A condition tree.
///
/// ```
/// use alchemy_core::filter::Condition;
/// use chrono::{TimeZone, Utc};
///
/// let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let recent_rust = Condition::and([
///     Condition::search(["title", "content"], "rust", true), // case-insensitive, wildcards escaped
///     Condition::after("created_at", since),
///     Condition::or([Condition::eq("published", true), Condition::is_in("rank", [1, 2, 3])]),
/// ]);
/// assert_eq!(recent_rust.depth(), 3);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Condition {
    /// `field = value` (`field IS NULL` when the value is [`Value::Null`]).
    Eq {
        /// Column name.
        field: String,
        /// Value to compare with.
        value: Value,
    },
    /// `field <op> value`.
    Compare {
        /// Column name.
        field: String,
        /// The comparison.
        op: CompareOp,
        /// Value to compare with.
        value: Value,
    },
    /// `low <= field <= high`.
    Between {
        /// Column name.
        field: String,
        /// Inclusive lower bound.
        low: Value,
        /// Inclusive upper bound.
        high: Value,
    },
    /// `field IN (..)`; an empty list matches no row.
    In {
        /// Column name.
        field: String,
        /// The values.
        values: Vec<Value>,
    },
    /// `field NOT IN (..)`; an empty list filters nothing.
    NotIn {
        /// Column name.
        field: String,
        /// The values.
        values: Vec<Value>,
    },
    /// `field LIKE pattern` with the caller's wildcards (`\` escapes).
    Like {
        /// Column name.
        field: String,
        /// The pattern.
        pattern: String,
        /// Fold ASCII case (`ILIKE`).
        case_insensitive: bool,
    },
    /// A literal substring, prefix or suffix match.
    Text {
        /// Column name.
        field: String,
        /// Where the value must occur.
        matching: TextMatch,
        /// The literal text.
        value: String,
        /// Fold ASCII case.
        case_insensitive: bool,
    },
    /// `field IS NULL`.
    IsNull {
        /// Column name.
        field: String,
    },
    /// `field IS NOT NULL`.
    IsNotNull {
        /// Column name.
        field: String,
    },
    /// The value occurs literally in at least one of the fields.
    Search {
        /// Column names.
        fields: Vec<String>,
        /// The literal text.
        value: String,
        /// Fold ASCII case.
        case_insensitive: bool,
    },
    /// The value occurs in none of the fields.
    NotInSearch {
        /// Column names.
        fields: Vec<String>,
        /// The literal text.
        value: String,
        /// Fold ASCII case.
        case_insensitive: bool,
    },
    /// All of the conditions hold (an empty list is true).
    And(Vec<Condition>),
    /// At least one of the conditions holds (an empty list is false).
    Or(Vec<Condition>),
}

fn compare(field: impl Into<String>, op: CompareOp, value: impl Into<Value>) -> Condition {
    Condition::Compare {
        field: field.into(),
        op,
        value: value.into(),
    }
}

fn text(
    field: impl Into<String>,
    matching: TextMatch,
    value: impl Into<String>,
    ci: bool,
) -> Condition {
    Condition::Text {
        field: field.into(),
        matching,
        value: value.into(),
        case_insensitive: ci,
    }
}

impl Condition {
    /// `field = value` (a boolean filter is `eq(field, true)`).
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Eq {
            field: field.into(),
            value: value.into(),
        }
    }

    /// `field <> value`.
    pub fn ne(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CompareOp::Ne, value)
    }

    /// `field > value`.
    pub fn gt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CompareOp::Gt, value)
    }

    /// `field >= value`.
    pub fn ge(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CompareOp::Ge, value)
    }

    /// `field < value`.
    pub fn lt(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CompareOp::Lt, value)
    }

    /// `field <= value`.
    pub fn le(field: impl Into<String>, value: impl Into<Value>) -> Self {
        compare(field, CompareOp::Le, value)
    }

    /// Strictly before `at` (a timestamp column).
    pub fn before(field: impl Into<String>, at: DateTime<Utc>) -> Self {
        compare(field, CompareOp::Lt, at)
    }

    /// Strictly after `at`.
    pub fn after(field: impl Into<String>, at: DateTime<Utc>) -> Self {
        compare(field, CompareOp::Gt, at)
    }

    /// At or before `at`.
    pub fn on_or_before(field: impl Into<String>, at: DateTime<Utc>) -> Self {
        compare(field, CompareOp::Le, at)
    }

    /// At or after `at`.
    pub fn on_or_after(field: impl Into<String>, at: DateTime<Utc>) -> Self {
        compare(field, CompareOp::Ge, at)
    }

    /// `low <= field <= high`.
    pub fn between(
        field: impl Into<String>,
        low: impl Into<Value>,
        high: impl Into<Value>,
    ) -> Self {
        Self::Between {
            field: field.into(),
            low: low.into(),
            high: high.into(),
        }
    }

    /// `field IN values` (empty: no row).
    pub fn is_in<V: Into<Value>>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::In {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `field NOT IN values` (empty: every row).
    pub fn not_in<V: Into<Value>>(
        field: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::NotIn {
            field: field.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// `field LIKE pattern` (the caller's wildcards).
    pub fn like(field: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::Like {
            field: field.into(),
            pattern: pattern.into(),
            case_insensitive: false,
        }
    }

    /// `field ILIKE pattern` (ASCII case folded).
    pub fn ilike(field: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::Like {
            field: field.into(),
            pattern: pattern.into(),
            case_insensitive: true,
        }
    }

    /// The field contains `value` literally.
    pub fn contains(
        field: impl Into<String>,
        value: impl Into<String>,
        case_insensitive: bool,
    ) -> Self {
        text(field, TextMatch::Contains, value, case_insensitive)
    }

    /// The field starts with `value` literally.
    pub fn starts_with(
        field: impl Into<String>,
        value: impl Into<String>,
        case_insensitive: bool,
    ) -> Self {
        text(field, TextMatch::StartsWith, value, case_insensitive)
    }

    /// The field ends with `value` literally.
    pub fn ends_with(
        field: impl Into<String>,
        value: impl Into<String>,
        case_insensitive: bool,
    ) -> Self {
        text(field, TextMatch::EndsWith, value, case_insensitive)
    }

    /// `field IS NULL`.
    pub fn is_null(field: impl Into<String>) -> Self {
        Self::IsNull {
            field: field.into(),
        }
    }

    /// `field IS NOT NULL`.
    pub fn is_not_null(field: impl Into<String>) -> Self {
        Self::IsNotNull {
            field: field.into(),
        }
    }

    /// `value` occurs literally in at least one of `fields`.
    pub fn search<F: Into<String>>(
        fields: impl IntoIterator<Item = F>,
        value: impl Into<String>,
        case_insensitive: bool,
    ) -> Self {
        Self::Search {
            fields: fields.into_iter().map(Into::into).collect(),
            value: value.into(),
            case_insensitive,
        }
    }

    /// `value` occurs in none of `fields`.
    pub fn not_in_search<F: Into<String>>(
        fields: impl IntoIterator<Item = F>,
        value: impl Into<String>,
        case_insensitive: bool,
    ) -> Self {
        Self::NotInSearch {
            fields: fields.into_iter().map(Into::into).collect(),
            value: value.into(),
            case_insensitive,
        }
    }

    /// All of `conditions`.
    pub fn and(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Self::And(conditions.into_iter().collect())
    }

    /// Any of `conditions`.
    pub fn or(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Self::Or(conditions.into_iter().collect())
    }

    /// How deep groups nest in this condition (a leaf is 1, `And([leaf])`
    /// is 2), counted without recursion.
    pub fn depth(&self) -> usize {
        let (Self::And(all) | Self::Or(all)) = self else {
            return 1;
        };
        if !all.is_empty() && all.iter().all(|c| !matches!(c, Self::And(_) | Self::Or(_))) {
            // A flat group, the usual filter: no stack to keep.
            return 2;
        }
        let mut deepest = 0;
        let mut stack = vec![(self, 1)];
        while let Some((c, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            if let Self::And(all) | Self::Or(all) = c {
                stack.extend(all.iter().map(|child| (child, depth + 1)));
            }
        }
        deepest
    }

    /// Checks every field name against `table` (and that text matches target
    /// text columns), without changing anything.
    ///
    /// # Errors
    /// As [`Condition::checked`].
    pub fn check(&self, table: &Table) -> Result<()> {
        self.checked_ref(table).map(drop)
    }

    /// This condition with every field checked against `table` and every
    /// value converted to its column's type (see [`Value::coerce`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first unknown field, a value that is
    /// not of its column's type, a text match on a column that is not text,
    /// a value the [`check`](crate::check) module refuses (a NUL, a
    /// timestamp out of range, NaN, a pattern too long), or nesting deeper
    /// than [`MAX_DEPTH`] (checked first, without recursion).
    pub fn checked(self, table: &Table) -> Result<Condition> {
        let changed = self.validated(table)?;
        Ok(changed.unwrap_or(self))
    }

    /// This condition checked against `table` as [`Condition::checked`]
    /// does, borrowed when nothing needs converting (every field is fit
    /// for its use and every value already of its column's type, the usual
    /// case), so checking copies nothing.
    ///
    /// # Errors
    /// As [`Condition::checked`].
    pub fn checked_ref(&self, table: &Table) -> Result<Cow<'_, Condition>> {
        Ok(match self.validated(table)? {
            Some(changed) => Cow::Owned(changed),
            None => Cow::Borrowed(self),
        })
    }

    /// Checks that groups nest at most [`MAX_DEPTH`] deep, without
    /// recursion: every recursive walk of a condition (checking, writing
    /// SQL, cloning, comparing, formatting) is safe after it.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a deeper condition.
    pub fn check_depth(&self) -> Result<()> {
        let depth = self.depth();
        if depth > MAX_DEPTH {
            return Err(Error::invalid_input(format!(
                "a filter nested {depth} deep; at most {MAX_DEPTH} levels are allowed"
            )));
        }
        Ok(())
    }

    /// The one validator: `Some` with the converted condition when a value
    /// needed converting, `None` when it is fine as it is.
    fn validated(&self, table: &Table) -> Result<Option<Condition>> {
        self.check_depth()?;
        // Recursion below is bounded by MAX_DEPTH.
        validate(self, table)
    }
}

/// How deep a condition's groups may nest (see [`Condition::depth`]): the
/// JSON form nests at most 62 groups around a leaf, depth 63 (serde_json
/// stops at 128 nested values, two per group), so everything it parses
/// fits. Every step of the library that walks a condition recursively
/// comes after this check, so no condition overflows a stack.
pub const MAX_DEPTH: usize = 64;

/// Checks `c` (within [`MAX_DEPTH`]) against `table`; see [`Condition::checked_ref`].
fn validate(c: &Condition, table: &Table) -> Result<Option<Condition>> {
    let ty = |field: &str| table.check_field(field).map(|c| c.ty);
    let text_field = |field: &str| -> Result<()> {
        match ty(field)? {
            ColumnType::Text | ColumnType::VarChar(_) => Ok(()),
            other => Err(Error::invalid_input(format!(
                "field `{field}` is {other:?}; text matching needs a text column"
            ))),
        }
    };
    // A value of `field`'s column: `Some` when it had to be converted.
    let value = |field: &str, v: &Value| -> Result<Option<Value>> {
        let t = ty(field)?;
        if value_fits(v, t) {
            crate::check::filter_value(table, field, v)?;
            return Ok(None);
        }
        let converted = v.clone().coerce(field, t)?;
        crate::check::filter_value(table, field, &converted)?;
        Ok(Some(converted))
    };
    let literal = |field: &str, matching: TextMatch, text: &str| {
        crate::check::literal(table, field, matching, text)
    };
    // Orders, ranges and lists need a comparable column.
    let comparable = |field: &str| ordered(table, field);
    Ok(match c {
        Condition::Eq { field, value: v } => value(field, v)?.map(|value| Condition::Eq {
            field: field.clone(),
            value,
        }),
        Condition::Compare {
            field,
            op,
            value: v,
        } => {
            if *v == Value::Null {
                return Err(Error::invalid_input(format!(
                    "field `{field}`: a comparison with NULL matches nothing; use is_null"
                )));
            }
            if *op != CompareOp::Ne {
                comparable(field)?;
            }
            value(field, v)?.map(|value| Condition::Compare {
                field: field.clone(),
                op: *op,
                value,
            })
        }
        Condition::Between { field, low, high } => {
            comparable(field)?;
            let (l, h) = (value(field, low)?, value(field, high)?);
            (l.is_some() || h.is_some()).then(|| Condition::Between {
                field: field.clone(),
                low: l.unwrap_or_else(|| low.clone()),
                high: h.unwrap_or_else(|| high.clone()),
            })
        }
        Condition::In { field, values } | Condition::NotIn { field, values } => {
            comparable(field)?;
            let mut converted: Option<Vec<Value>> = None;
            for (i, v) in values.iter().enumerate() {
                if let Some(new) = value(field, v)? {
                    converted
                        .get_or_insert_with(|| values[..i].to_vec())
                        .push(new);
                } else if let Some(out) = &mut converted {
                    out.push(v.clone());
                }
            }
            converted.map(|values| match c {
                Condition::In { .. } => Condition::In {
                    field: field.clone(),
                    values,
                },
                _ => Condition::NotIn {
                    field: field.clone(),
                    values,
                },
            })
        }
        Condition::Like { field, pattern, .. } => {
            text_field(field)?;
            crate::check::pattern(table, field, pattern)?;
            None
        }
        Condition::Text {
            field,
            matching,
            value: text,
            ..
        } => {
            text_field(field)?;
            literal(field, *matching, text)?;
            None
        }
        Condition::IsNull { field } | Condition::IsNotNull { field } => {
            ty(field)?;
            None
        }
        Condition::Search {
            fields,
            value: text,
            ..
        }
        | Condition::NotInSearch {
            fields,
            value: text,
            ..
        } => {
            let Some(first) = fields.first() else {
                return Err(Error::invalid_input("a search needs at least one field"));
            };
            for f in fields {
                text_field(f)?;
            }
            literal(first, TextMatch::Contains, text)?;
            None
        }
        Condition::And(all) | Condition::Or(all) => {
            let mut converted: Option<Vec<Condition>> = None;
            for (i, child) in all.iter().enumerate() {
                if let Some(new) = validate(child, table)? {
                    converted.get_or_insert_with(|| all[..i].to_vec()).push(new);
                } else if let Some(out) = &mut converted {
                    out.push(child.clone());
                }
            }
            converted.map(|all| match c {
                Condition::And(_) => Condition::And(all),
                _ => Condition::Or(all),
            })
        }
    })
}

/// Drops a condition's groups without recursion, so a condition of any
/// depth (built in Rust; the JSON form stops at about 63) is dropped
/// without overflowing the stack.
impl Drop for Condition {
    fn drop(&mut self) {
        let mut stack = match self {
            Self::And(all) | Self::Or(all) if !all.is_empty() => std::mem::take(all),
            _ => return,
        };
        while let Some(mut child) = stack.pop() {
            if let Self::And(all) | Self::Or(all) = &mut child {
                stack.append(all);
            }
        }
    }
}

/// Checks that `field` is a column of `table` that orders: every type but
/// JSON, whose order differs per database (by `jsonb`'s rules on
/// PostgreSQL, as text elsewhere).
///
/// # Errors
/// [`Error::InvalidInput`] naming the field.
pub(crate) fn ordered(table: &Table, field: &str) -> Result<()> {
    if table.check_field(field)?.ty == ColumnType::Json {
        return Err(Error::invalid_input(format!(
            "field `{field}` is JSON: it is compared only for equality (eq, ne, null checks)"
        )));
    }
    Ok(())
}

/// Whether `value` is already of column type `ty` ([`Value::coerce`] would
/// return it unchanged).
pub(crate) fn value_fits(value: &Value, ty: ColumnType) -> bool {
    matches!(
        (value, ty.bound_as()),
        (Value::Null, _)
            | (Value::Bool(_), ColumnType::Bool)
            | (Value::Int(_), ColumnType::BigInt)
            | (Value::Float(_), ColumnType::Double)
            | (Value::Text(_), ColumnType::Text)
            | (Value::Uuid(_), ColumnType::Uuid)
            | (Value::Timestamp(_), ColumnType::Timestamp)
            | (Value::Date(_), ColumnType::Date)
            | (Value::Time(_), ColumnType::Time)
            | (Value::Bytes(_), ColumnType::Bytes)
            | (Value::Json(_), ColumnType::Json)
            | (Value::Decimal(_), ColumnType::Decimal(..))
    )
}

/// Escapes `\`, `%` and `_` with `\`, so `value` matches literally in
/// `LIKE .. ESCAPE '\'`.
pub fn escape_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `LIKE` pattern (`%`, `_`, `\` escapes) as an equivalent SQLite `GLOB`
/// pattern, which is case-sensitive: `%` -> `*`, `_` -> `?`, and every
/// literal `*`, `?` or `[` wrapped in brackets.
pub fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let literal = match c {
            '%' => {
                out.push('*');
                continue;
            }
            '_' => {
                out.push('?');
                continue;
            }
            // A trailing backslash matches itself.
            '\\' => chars.next().unwrap_or('\\'),
            other => other,
        };
        match literal {
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            other => out.push(other),
        }
    }
    out
}

/// The `LIKE` pattern (escaped with `\`) of a literal text match.
pub fn literal_pattern(matching: TextMatch, value: &str) -> String {
    // One allocation: this runs for every search a page makes.
    let mut out = String::with_capacity(value.len() + 10);
    if matching != TextMatch::StartsWith {
        out.push('%');
    }
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    if matching != TextMatch::EndsWith {
        out.push('%');
    }
    out
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// Column name.
    pub field: String,
    /// Largest first.
    pub descending: bool,
}

/// A filtered, ordered, paginated selection of rows.
///
/// ```
/// use alchemy_core::filter::{Condition, Query};
///
/// // The third page of 20 published posts, newest first.
/// let query = Query::new()
///     .filter(Condition::eq("published", true))
///     .order_by_desc("created_at")
///     .limit(20)
///     .offset(40);
/// assert_eq!(query.limit, Some(20));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// Which rows (none given: every row).
    pub filter: Option<Condition>,
    /// Sort keys, most significant first.
    pub order_by: Vec<OrderBy>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Skip this many rows first.
    pub offset: Option<u64>,
}

impl Query {
    /// Every row, in no particular order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a condition (ANDed with earlier ones).
    pub fn filter(mut self, condition: Condition) -> Self {
        self.filter = Some(match self.filter.take() {
            None => condition,
            Some(mut previous) => {
                if let Condition::And(all) = &mut previous {
                    all.push(condition);
                    previous
                } else {
                    Condition::And(vec![previous, condition])
                }
            }
        });
        self
    }

    /// Sorts by `field`, smallest first (after earlier sort keys).
    pub fn order_by(mut self, field: impl Into<String>) -> Self {
        self.order_by.push(OrderBy {
            field: field.into(),
            descending: false,
        });
        self
    }

    /// Sorts by `field`, largest first (after earlier sort keys).
    pub fn order_by_desc(mut self, field: impl Into<String>) -> Self {
        self.order_by.push(OrderBy {
            field: field.into(),
            descending: true,
        });
        self
    }

    /// Returns at most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// This query checked against `table` as [`Query::checked`] does,
    /// borrowed when nothing needs converting (see
    /// [`Condition::checked_ref`]), so a repository call copies nothing.
    ///
    /// # Errors
    /// As [`Query::checked`].
    pub fn checked_ref(&self, table: &Table) -> Result<Cow<'_, Query>> {
        for o in &self.order_by {
            ordered(table, &o.field)?;
        }
        let Some(filter) = &self.filter else {
            return Ok(Cow::Borrowed(self));
        };
        Ok(match filter.validated(table)? {
            None => Cow::Borrowed(self),
            Some(filter) => Cow::Owned(Query {
                filter: Some(filter),
                order_by: self.order_by.clone(),
                ..*self
            }),
        })
    }

    /// This query with its filter and sort fields checked against `table`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the first unknown field or bad value
    /// (see [`Condition::checked`]).
    pub fn checked(self, table: &Table) -> Result<Query> {
        for o in &self.order_by {
            ordered(table, &o.field)?;
        }
        let Some(filter) = &self.filter else {
            return Ok(self);
        };
        Ok(match filter.validated(table)? {
            None => self,
            Some(filter) => Query {
                filter: Some(filter),
                ..self
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn table() -> Table {
        Table::new("post")
            .column(Column::new("id", ColumnType::Uuid))
            .column(Column::new("title", ColumnType::VarChar(200)))
            .column(Column::new("score", ColumnType::Double))
            .column(Column::new("created_at", ColumnType::Timestamp))
    }

    #[test]
    fn unknown_fields_are_rejected_anywhere_in_the_tree() {
        let t = table();
        let ok = Condition::And(vec![Condition::eq("title", "x")]);
        assert!(ok.check(&t).is_ok());
        let bad = Condition::Or(vec![
            Condition::eq("title", "x"),
            Condition::And(vec![Condition::eq("title; DROP TABLE post", 1i64)]),
        ]);
        let e = bad.check(&t).unwrap_err();
        assert!(e.to_string().contains("DROP TABLE"), "{e}");
        let e = Query::new().order_by("nope").checked(&t).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = Condition::search(["title", "ghost"], "x", true)
            .check(&t)
            .unwrap_err();
        assert!(e.to_string().contains("ghost"), "{e}");
    }

    #[test]
    fn values_are_coerced_to_column_types() {
        let t = table();
        let id = uuid::Uuid::now_v7();
        let c = Condition::eq("id", id.to_string()).checked(&t).unwrap();
        assert_eq!(c, Condition::eq("id", id));
        let c = Condition::gt("score", 3i64).checked(&t).unwrap();
        assert_eq!(c, Condition::gt("score", 3.0f64));
        let c = Condition::after("created_at", DateTime::UNIX_EPOCH)
            .checked(&t)
            .unwrap();
        assert_eq!(c, Condition::gt("created_at", DateTime::UNIX_EPOCH));
        let c = Condition::is_in("created_at", ["2024-02-29T12:00:00Z"])
            .checked(&t)
            .unwrap();
        assert!(
            matches!(c, Condition::In { ref values, .. } if matches!(values[0], Value::Timestamp(_)))
        );
        let e = Condition::eq("id", "not-a-uuid").checked(&t).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        let e = Condition::eq("score", true).checked(&t).unwrap_err();
        assert!(e.to_string().contains("score"), "{e}");
        let e = Condition::contains("score", "1", false)
            .checked(&t)
            .unwrap_err();
        assert!(e.to_string().contains("text"), "{e}");
        let e = Condition::lt("score", Value::Null).checked(&t).unwrap_err();
        assert!(e.to_string().contains("NULL"), "{e}");
    }

    #[test]
    fn checked_ref_agrees_with_checked_and_borrows_what_it_leaves_alone() {
        let t = table();
        let id = uuid::Uuid::now_v7();
        let cases = [
            Condition::eq("title", "x"),
            Condition::eq("title", Value::Null),
            Condition::eq("id", id),
            Condition::eq("id", id.to_string()),
            Condition::eq("id", "not-a-uuid"),
            Condition::gt("score", 3.0f64),
            Condition::gt("score", 3i64),
            Condition::lt("score", Value::Null),
            Condition::between("created_at", DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH),
            Condition::is_in("created_at", ["2024-02-29T12:00:00Z"]),
            Condition::not_in("title", ["a", "b"]),
            Condition::contains("title", "1", true),
            Condition::contains("score", "1", false),
            Condition::like("title", "a%"),
            Condition::is_null("ghost"),
            Condition::is_not_null("title"),
            Condition::search(["title"], "x", true),
            Condition::search(Vec::<String>::new(), "x", true),
            Condition::not_in_search(["title", "score"], "x", true),
            Condition::and([Condition::eq("title", "x"), Condition::gt("score", 1.0f64)]),
            Condition::or([Condition::eq("title", "x"), Condition::gt("score", 1i64)]),
            Condition::and([Condition::eq("title; DROP TABLE post", 1i64)]),
        ];
        for c in cases {
            let owned = c.clone().checked(&t);
            match c.checked_ref(&t) {
                Ok(Cow::Borrowed(b)) => assert_eq!(owned.as_ref().ok(), Some(b), "{c:?}"),
                Ok(Cow::Owned(o)) => {
                    assert_eq!(owned.as_ref().ok(), Some(&o), "{c:?}");
                    assert_ne!(o, c, "an unchanged condition is borrowed: {c:?}");
                }
                Err(e) => assert_eq!(
                    owned.map_err(|e| e.to_string()),
                    Err(e.to_string()),
                    "{c:?}"
                ),
            }
            let q = Query::new().filter(c.clone()).order_by("title");
            let owned = q.clone().checked(&t).ok();
            assert_eq!(q.checked_ref(&t).ok().map(Cow::into_owned), owned, "{c:?}");
        }
        let e = Query::new().order_by("nope").checked_ref(&t).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let q = Query::new().order_by_desc("created_at").limit(3);
        assert!(matches!(q.checked_ref(&t), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn deep_conditions_are_refused_and_dropped_without_recursion() {
        let worker = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(|| {
                let t = table();
                let mut c = Condition::eq("title", "x");
                for _ in 1..MAX_DEPTH {
                    c = Condition::And(vec![c]);
                }
                assert_eq!(c.depth(), MAX_DEPTH);
                assert!(c.check(&t).is_ok(), "the limit itself is allowed");
                for _ in 0..1_000_000 {
                    c = Condition::Or(vec![c, Condition::is_null("title")]);
                }
                let e = c.check(&t).unwrap_err();
                assert!(e.to_string().contains("at most 64"), "{e}");
                let e = Query::new().filter(c).checked_ref(&t).unwrap_err();
                assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
            })
            .unwrap();
        worker.join().unwrap();
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_off\now"), r"50\%\_off\\now");
        assert_eq!(escape_like("plain"), "plain");
    }

    #[test]
    fn like_patterns_become_case_sensitive_globs() {
        assert_eq!(like_to_glob("a%b_c"), "a*b?c");
        assert_eq!(like_to_glob(r"100\%"), "100%");
        assert_eq!(like_to_glob(r"\_x\\"), "_x\\");
        assert_eq!(like_to_glob("what?*[x]"), "what[?][*][[]x]");
        assert_eq!(like_to_glob("tail\\"), "tail\\");
        assert_eq!(literal_pattern(TextMatch::Contains, "5%_"), r"%5\%\_%");
        assert_eq!(literal_pattern(TextMatch::StartsWith, "a"), "a%");
        assert_eq!(literal_pattern(TextMatch::EndsWith, "a"), "%a");
        // A literal pattern's GLOB matches the literal text only.
        assert_eq!(
            like_to_glob(&literal_pattern(TextMatch::Contains, "*?[")),
            "*[*][?][[]*"
        );
    }

    #[test]
    fn query_builder_ands_filters() {
        let q = Query::new()
            .filter(Condition::eq("title", "a"))
            .filter(Condition::is_null("score"))
            .filter(Condition::is_not_null("id"))
            .order_by_desc("created_at")
            .limit(20)
            .offset(40);
        assert!(matches!(q.filter, Some(Condition::And(ref all)) if all.len() == 3));
        assert_eq!(q.limit, Some(20));
        assert!(q.checked(&table()).is_ok());
    }

    #[test]
    fn values_convert() {
        assert_eq!(Value::from(Option::<i64>::None), Value::Null);
        assert_eq!(Value::from(3i32), Value::Int(3));
        assert_eq!(Value::from("a"), Value::Text("a".into()));
    }
}
