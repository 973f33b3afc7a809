//! Conditions over a model's columns, as pure data that each backend compiles.
//!
//! Field names are checked against the model's [`Table`] before any SQL is
//! built ([`Condition::check`]); values are always bound, never spliced.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Result;
use crate::schema::Table;

/// A value to compare a column with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Text(String),
    /// UUID.
    Uuid(Uuid),
    /// UTC timestamp.
    Timestamp(DateTime<Utc>),
}

macro_rules! value_from {
    ($($t:ty => $v:ident $(as $cast:ty)?),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$v(v $(as $cast)?) }
        }
    )*};
}
value_from!(bool => Bool, i64 => Int, i32 => Int as i64, f64 => Float, String => Text, Uuid => Uuid, DateTime<Utc> => Timestamp);

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A condition tree.
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
    /// All of the conditions hold (an empty list is true).
    And(Vec<Condition>),
    /// At least one of the conditions holds (an empty list is false).
    Or(Vec<Condition>),
}

impl Condition {
    /// `field = value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Eq {
            field: field.into(),
            value: value.into(),
        }
    }

    /// Checks every field name against `table`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the first unknown field.
    pub fn check(&self, table: &Table) -> Result<()> {
        match self {
            Self::Eq { field, .. } => table.check_field(field).map(|_| ()),
            Self::And(all) | Self::Or(all) => all.iter().try_for_each(|c| c.check(table)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};

    #[test]
    fn unknown_fields_are_rejected_anywhere_in_the_tree() {
        let t = Table::new("tag").column(Column::new("name", ColumnType::Text));
        let ok = Condition::And(vec![Condition::eq("name", "x")]);
        assert!(ok.check(&t).is_ok());
        let bad = Condition::Or(vec![
            Condition::eq("name", "x"),
            Condition::And(vec![Condition::eq("name; DROP TABLE tag", 1i64)]),
        ]);
        let e = bad.check(&t).unwrap_err();
        assert!(e.to_string().contains("DROP TABLE"), "{e}");
    }

    #[test]
    fn values_convert() {
        assert_eq!(Value::from(Option::<i64>::None), Value::Null);
        assert_eq!(Value::from(3i32), Value::Int(3));
        assert_eq!(Value::from("a"), Value::Text("a".into()));
    }
}
