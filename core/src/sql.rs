//! SQL the library writes once for every backend (for backend authors).
//!
//! A backend implements [`SqlWriter`] for its own statement builder (sqlx
//! arguments, diesel query fragments, SeaORM values); the library writes
//! trusted text and bound values into it, so the text is written in one
//! place and every value is bound by the backend's own codec. A
//! [`Statement`] is such text recorded, to be written out later.

use std::borrow::Cow;

use crate::filter::Value;
use crate::schema::ColumnType;

/// A backend's statement builder, as the library writes into it.
pub trait SqlWriter {
    /// Appends trusted SQL text (keywords, quoted identifiers).
    fn push(&mut self, sql: &str);

    /// Appends a placeholder bound to `value`; a NULL is typed after the
    /// column type `ty`.
    fn bind(&mut self, value: &Value, ty: ColumnType);
}

/// One piece of a [`Statement`].
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Trusted SQL text.
    Text(Cow<'static, str>),
    /// A bound value and its column type.
    Bind(Value, ColumnType),
}

/// A statement the library wrote: text and bound values, in order. Write
/// it into a backend's builder with [`Statement::write_to`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statement {
    parts: Vec<Part>,
}

impl Statement {
    /// An empty statement.
    pub fn new() -> Self {
        Self::default()
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
            }
        }
    }
}

impl SqlWriter for Statement {
    fn push(&mut self, sql: &str) {
        self.parts.push(Part::Text(Cow::Owned(sql.to_string())));
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        self.parts.push(Part::Bind(value.clone(), ty));
    }
}
