//! SQL the library writes once for every backend (for backend authors).
//!
//! Filters and queries ([`write_condition`], [`write_query`]) and the
//! statements of [`crate::driver`] are written here, once; backends run
//! them. The text and its limits are described in the docs of
//! [`write_condition`]'s module, repeated at [`crate::filter`].
//!
//! A backend implements [`SqlWriter`] for its own statement builder (sqlx
//! arguments, diesel query fragments, SeaORM values); the library writes
//! trusted text and bound values into it, so the text is written in one
//! place and every value is bound by the backend's own codec. A
//! [`Statement`] is such text recorded, to be written out later.

use std::borrow::Cow;

mod filter;

pub use filter::{
    INLINE_LIST, MAX_BOUND_VALUES, MAX_SQL_DEPTH, MERGE_AT, write_condition, write_order_by,
    write_query, write_where,
};

use crate::dialect::Dialect;
use crate::schema::ColumnType;
use crate::value::{Value, ValueArray};
use crate::{Error, Result};

/// The decimal digits of `n`, written into `buf` (no allocation: a page's
/// `LIMIT` is written on every list).
pub(crate) fn digits(buf: &mut [u8; 20], mut n: u64) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        // `n % 10` is a digit.
        buf[at] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).unwrap_or("0")
}

/// Appends the decimal digits of `n` to `sql`, without `std::fmt` (a
/// placeholder is written for every bound value).
pub fn push_decimal(sql: &mut String, n: u64) {
    sql.push_str(digits(&mut [0; 20], n));
}

/// A backend's statement builder, as the library writes into it.
pub trait SqlWriter {
    /// The database the statement is written for: it decides how
    /// identifiers are quoted ([`Dialect::quote`]) and placeholders read.
    fn dialect(&self) -> Dialect;

    /// Appends `name` quoted for [`SqlWriter::dialect`] (a name the library
    /// chose, such as [`crate::driver::TOTAL`]; a table's names come quoted
    /// from [`Table::quoted_name`](crate::schema::Table::quoted_name)).
    fn push_ident(&mut self, name: &str) {
        let quoted = self.dialect().quote(name);
        self.push(&quoted);
    }

    /// Appends trusted SQL text (keywords, quoted identifiers).
    fn push(&mut self, sql: &str);

    /// Appends a placeholder bound to `value`; a NULL is typed after the
    /// column type `ty`.
    fn bind(&mut self, value: &Value, ty: ColumnType);

    /// Appends one placeholder bound to `array`, one PostgreSQL array of a
    /// column's values (`INTEGER` columns take a `BIGINT` array). An `Err`
    /// (values of another kind than the column takes) fails the statement
    /// with that error. Only asked for on PostgreSQL.
    fn bind_value_array(&mut self, array: Result<ValueArray<'_>>);

    /// Appends one placeholder bound to `values` as one array of column
    /// type `ty`, as [`SqlWriter::bind_value_array`].
    fn bind_array(&mut self, values: &[&Value], ty: ColumnType) {
        self.bind_value_array(ValueArray::new(values, ty));
    }

    /// Says that the text being written depends on how many values it
    /// binds (an inline list), so a cache of prepared statements keyed by
    /// text would grow with every count: a backend whose cache is unbounded
    /// should not keep this statement. Does nothing by default.
    fn text_varies(&mut self) {}

    /// Appends fixed text; a builder that keeps text pieces may keep this
    /// one without copying it.
    fn push_static(&mut self, sql: &'static str) {
        self.push(sql);
    }

    /// As [`SqlWriter::bind`], for a value the caller no longer needs: a
    /// builder that keeps values may keep this one without copying it.
    fn bind_value(&mut self, value: Value, ty: ColumnType) {
        self.bind(&value, ty);
    }

    /// Appends one placeholder bound to `field`, a model's field of column
    /// type `ty` lent in place ([`crate::Model::field`]), without copying
    /// it, and says whether it did; `false` (the default, and for a field
    /// it cannot bind) leaves the caller to bind [`crate::Model::value`].
    /// A builder that encodes values as they come (sqlx's) binds lent
    /// text, bytes and JSON: a JSON document's copy cost as much as its
    /// encoding (W8).
    fn bind_lent(&mut self, field: &dyn std::any::Any, ty: ColumnType) -> bool {
        let _ = (field, ty);
        false
    }

    /// Whether [`SqlWriter::bind_lent`] binds anything: `VALUES` rows are
    /// then written field by field instead of through [`SqlWriter::row`].
    fn binds_lent(&self) -> bool {
        false
    }

    /// Appends every column of `table`, as a `SELECT` or `RETURNING` of
    /// rows decoded as the model names them: the table's quoted list by
    /// default; a backend that decodes rows by its own column list (diesel's
    /// `Selectable`) writes that list instead.
    fn select_list(&mut self, table: &'static crate::schema::Table) {
        self.push_static(table.select_list(self.dialect()));
    }

    /// Appends one row of a `VALUES` list, `(?, ..)`, binding `values`
    /// each with its column type; `first` says whether it opens the list
    /// (else `, ` comes before it).
    fn row(&mut self, first: bool, values: &mut dyn Iterator<Item = (Value, ColumnType)>) {
        self.push_static(if first { "(" } else { ", (" });
        for (n, (value, ty)) in values.enumerate() {
            if n > 0 {
                self.push_static(", ");
            }
            self.bind_value(value, ty);
        }
        self.push_static(")");
    }
}

/// One piece of a [`Statement`].
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Trusted SQL text.
    Text(Cow<'static, str>),
    /// A bound value and its column type.
    Bind(Value, ColumnType),
    /// Values bound as one array of a column type (PostgreSQL).
    Array(Vec<Value>, ColumnType),
    /// An array that could not be made: why (the statement fails with it).
    Invalid(String),
}

/// A statement the library wrote for one database: text and bound values,
/// in order. Write it into a backend's builder with [`Statement::write_to`].
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    dialect: Dialect,
    parts: Vec<Part>,
}

impl Statement {
    /// An empty statement for `dialect`.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            parts: Vec::new(),
        }
    }

    /// The pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Appends fixed text without copying it.
    pub fn push_static(&mut self, sql: &'static str) -> &mut Self {
        self.parts.push(Part::Text(Cow::Borrowed(sql)));
        self
    }

    /// Writes this statement into `writer`.
    pub fn write_to(&self, writer: &mut impl SqlWriter) {
        for part in &self.parts {
            match part {
                Part::Text(text) => writer.push(text),
                Part::Bind(value, ty) => writer.bind(value, *ty),
                Part::Array(values, ty) => {
                    let values: Vec<&Value> = values.iter().collect();
                    writer.bind_array(&values, *ty);
                }
                Part::Invalid(why) => {
                    writer.bind_value_array(Err(Error::invalid_input(why.clone())))
                }
            }
        }
    }
}

impl SqlWriter for Statement {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn push(&mut self, sql: &str) {
        self.parts.push(Part::Text(Cow::Owned(sql.to_string())));
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        self.parts.push(Part::Bind(value.clone(), ty));
    }

    fn push_static(&mut self, sql: &'static str) {
        self.parts.push(Part::Text(Cow::Borrowed(sql)));
    }

    fn bind_value(&mut self, value: Value, ty: ColumnType) {
        self.parts.push(Part::Bind(value, ty));
    }

    fn bind_array(&mut self, values: &[&Value], ty: ColumnType) {
        let values = values.iter().map(|v| (*v).clone()).collect();
        self.parts.push(Part::Array(values, ty));
    }

    fn bind_value_array(&mut self, array: Result<ValueArray<'_>>) {
        self.parts.push(match array {
            Ok(array) => {
                let (values, ty) = array.to_values();
                Part::Array(values, ty)
            }
            Err(e) => Part::Invalid(e.to_string()),
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimals_are_written_without_fmt() {
        for n in [0, 7, 10, 12_345, u64::MAX] {
            let mut sql = String::new();
            super::push_decimal(&mut sql, n);
            assert_eq!(sql, n.to_string());
        }
    }
}
