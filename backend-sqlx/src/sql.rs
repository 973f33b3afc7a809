//! SQL text for the repository: the statement builder, column lists, rows,
//! conditions, queries.
//!
//! Identifiers come only from the model's `Table` (quoted); every value is a
//! bind parameter.

use std::any::TypeId;
use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};

use alchemy_core::driver::CacheKey;
use alchemy_core::filter::Value;
use alchemy_core::schema::{ColumnType, Dialect};
use alchemy_core::sql::SqlWriter;
use alchemy_core::value::ValueArray;
use sqlx::error::BoxDynError;

use crate::backend::SqlxBackend;

/// One statement being built: its text and its bind values. (Public only
/// because [`SqlxBackend`]'s sealed methods take it.)
///
/// sqlx's `QueryBuilder` formats every fragment and placeholder through
/// `std::fmt`; this appends them, which is most of the cost of building a
/// statement for one row.
pub struct Sql<DB: SqlxBackend> {
    /// The text: built, or made once and cached ([`Sql::fixed`]).
    text: Cow<'static, str>,
    args: DB::Arguments,
    binds: usize,
    /// The first value that failed to encode; the statement then fails
    /// when run, with that error.
    error: Option<BoxDynError>,
    /// The text is cached ([`Sql::fixed`]): text the library writes is
    /// ignored and a bind adds only its value.
    fixed: bool,
    /// A statement of this kind whose text is not cached yet: cached when
    /// it is run ([`Sql::keep`]).
    remember: Option<CacheKey>,
}

impl<DB: SqlxBackend> Sql<DB> {
    /// A statement starting with `head`.
    pub(crate) fn new(head: &str) -> Self {
        let mut text = String::with_capacity(head.len() + 128);
        text.push_str(head);
        Self::with_text(Cow::Owned(text))
    }

    /// A statement whose whole text, placeholders included, is `text` (see
    /// [`cached`]); add its values with [`Sql::arg`].
    pub(crate) fn fixed(text: &'static str) -> Self {
        let mut sql = Self::with_text(Cow::Borrowed(text));
        sql.fixed = true;
        sql
    }

    /// An empty statement of kind `key`: its text is cached for model `M`
    /// when it is run, and later statements of the kind reuse it.
    pub(crate) fn cached<M: 'static>(key: CacheKey) -> Self {
        match cached_text::<DB, M>(key) {
            Some(text) => Self::fixed(text),
            None => {
                let mut sql = Self::new("");
                sql.remember = Some(key);
                sql
            }
        }
    }

    fn with_text(text: Cow<'static, str>) -> Self {
        Self {
            text,
            args: DB::Arguments::default(),
            binds: 0,
            error: None,
            fixed: false,
            remember: None,
        }
    }

    /// This statement, its text cached for model `M` if it was made by
    /// [`Sql::cached`] and the text was new.
    pub(crate) fn keep<M: 'static>(mut self) -> Self {
        if let Some(key) = self.remember.take() {
            self.text = Cow::Borrowed(keep_text::<DB, M>(key, self.text.into_owned()));
            self.fixed = true;
        }
        self
    }

    /// Appends trusted SQL text (keywords, quoted identifiers).
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.text.to_mut().push_str(sql);
        self
    }

    /// Appends a placeholder and binds `value` to it; a NULL is typed after
    /// the column type `ty`.
    pub(crate) fn bind(&mut self, value: impl Borrow<Value>, ty: ColumnType) -> &mut Self {
        DB::DIALECT
            .rules()
            .placeholder(self.text.to_mut(), self.binds + 1);
        self.arg(value, ty)
    }

    /// Appends a placeholder and binds `array` to it (PostgreSQL; see
    /// [`SqlxBackend::add_array`]); an `Err` fails the statement.
    pub(crate) fn bind_value_array(
        &mut self,
        array: alchemy_core::Result<ValueArray<'_>>,
    ) -> &mut Self {
        self.binds += 1;
        DB::DIALECT
            .rules()
            .placeholder(self.text.to_mut(), self.binds);
        self.add_array(array)
    }

    /// Binds `array` to the next placeholder; keeps the first error.
    fn add_array(&mut self, array: alchemy_core::Result<ValueArray<'_>>) -> &mut Self {
        let added = match array {
            Ok(array) => DB::add_array(&mut self.args, array),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = added
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self
    }

    /// Binds `value` to the next placeholder already in the text.
    pub(crate) fn arg(&mut self, value: impl Borrow<Value>, ty: ColumnType) -> &mut Self {
        self.binds += 1;
        if let Err(e) = DB::add_value(&mut self.args, value.borrow(), ty)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self
    }

    /// The text so far.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// How many values are bound.
    #[cfg(test)]
    pub(crate) fn binds(&self) -> usize {
        self.binds
    }

    /// The text and the bind values.
    ///
    /// # Errors
    /// The first value that failed to encode, as sqlx reports it.
    pub(crate) fn into_parts(self) -> sqlx::Result<(Cow<'static, str>, DB::Arguments)> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok((self.text, self.args)),
        }
    }
}

impl<DB: SqlxBackend> SqlWriter for Sql<DB> {
    fn dialect(&self) -> Dialect {
        DB::DIALECT
    }

    fn push(&mut self, sql: &str) {
        if !self.fixed {
            Sql::push(self, sql);
        }
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        if self.fixed {
            self.arg(value, ty);
        } else {
            Sql::bind(self, value, ty);
        }
    }

    fn bind_lent(&mut self, field: &dyn std::any::Any, ty: ColumnType) -> bool {
        let Some(added) = DB::add_lent(&mut self.args, field, ty) else {
            return false;
        };
        self.binds += 1;
        if !self.fixed {
            DB::DIALECT
                .rules()
                .placeholder(self.text.to_mut(), self.binds);
        }
        if let Err(e) = added
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        true
    }

    fn binds_lent(&self) -> bool {
        true
    }

    fn bind_value_array(&mut self, array: alchemy_core::Result<ValueArray<'_>>) {
        if self.fixed {
            self.binds += 1;
            self.add_array(array);
        } else {
            Sql::bind_value_array(self, array);
        }
    }
}

impl<DB: SqlxBackend> std::fmt::Debug for Sql<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sql")
            .field("text", &self.text)
            .field("binds", &self.binds)
            .finish_non_exhaustive()
    }
}

type Texts = HashMap<(TypeId, TypeId, CacheKey), &'static str, foldhash::fast::RandomState>;

/// The texts of cached statements: one per model, database and kind, kept
/// for the life of the program, as the models' tables are. sqlx finds its
/// prepared statement by the text, and a static text is neither copied
/// nor freed per call.
fn texts() -> &'static RwLock<Texts> {
    static TEXTS: OnceLock<RwLock<Texts>> = OnceLock::new();
    TEXTS.get_or_init(RwLock::default)
}

/// The cached text of statement `key` for model `M` on database `DB`.
fn cached_text<DB: SqlxBackend, M: 'static>(key: CacheKey) -> Option<&'static str> {
    // A poisoned lock only means a panic elsewhere mid-insert; the map is
    // still whole.
    texts()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(TypeId::of::<M>(), TypeId::of::<DB>(), key))
        .copied()
}

/// Caches `text` as statement `key` for model `M` on `DB` (the first text
/// wins) and returns the cached text.
fn keep_text<DB: SqlxBackend, M: 'static>(key: CacheKey, text: String) -> &'static str {
    let mut texts = texts().write().unwrap_or_else(PoisonError::into_inner);
    texts
        .entry((TypeId::of::<M>(), TypeId::of::<DB>(), key))
        .or_insert_with(|| text.leak())
}

#[cfg(all(test, feature = "postgres", feature = "sqlite"))]
mod tests {
    use alchemy_core::base::{Base, BigIntAuditBase};
    use alchemy_core::filter::{Condition, Query};
    use alchemy_core::schema::Dialect;
    use alchemy_core::schema::{Column, Table};

    use super::*;

    fn tag() -> Table {
        BigIntAuditBase::new_table("tag").column(Column::new("name", ColumnType::Text))
    }

    #[test]
    fn placeholders_are_numbered_on_postgres_and_plain_on_sqlite() {
        let mut pg = Sql::<sqlx::Postgres>::new("SELECT ");
        for i in 0..11 {
            pg.bind(Value::Int(i), ColumnType::BigInt).push(",");
        }
        assert_eq!(pg.text(), "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,");
        let mut lite = Sql::<sqlx::Sqlite>::new("SELECT ");
        lite.bind(Value::Null, ColumnType::Uuid)
            .push(",")
            .bind(Value::Text("x".into()), ColumnType::Text);
        assert_eq!(lite.text(), "SELECT ?,?");
        assert!(lite.into_parts().is_ok());
    }

    #[test]
    fn queries_use_quoted_names_a_literal_limit_and_a_bound_offset() {
        let table = tag();
        let query = Query::new()
            .filter(Condition::eq("name", "a"))
            .order_by_desc("created_at")
            .limit(20)
            .offset(40);
        let mut pg = Sql::<sqlx::Postgres>::new("SELECT 1 FROM t");
        alchemy_core::sql::write_query(&mut pg, &table, Dialect::Postgres, &query).unwrap();
        assert_eq!(
            pg.text(),
            "SELECT 1 FROM t WHERE \"name\" = $1 ORDER BY \"created_at\" DESC LIMIT 20 OFFSET $2"
        );
        let mut lite = Sql::<sqlx::Sqlite>::new("SELECT 1 FROM t");
        alchemy_core::sql::write_query(&mut lite, &table, Dialect::Sqlite, &Query::new().offset(3))
            .unwrap();
        assert_eq!(lite.text(), "SELECT 1 FROM t LIMIT -1 OFFSET ?");
    }

    #[test]
    fn cached_texts_are_kept_once_per_model_database_and_kind() {
        struct A;
        struct B;
        fn write<DB: SqlxBackend>(sql: &mut Sql<DB>, text: &str) {
            SqlWriter::push(sql, text);
            SqlWriter::bind(sql, &Value::Int(1), ColumnType::BigInt);
        }
        let mut first = Sql::<sqlx::Postgres>::cached::<A>(CacheKey::GetByKey);
        write(&mut first, "a ");
        let first = first.keep::<A>();
        assert_eq!((first.text(), first.binds()), ("a $1", 1));
        let mut again = Sql::<sqlx::Postgres>::cached::<A>(CacheKey::GetByKey);
        write(&mut again, "other ");
        assert_eq!(
            (again.keep::<A>().text(), 1),
            ("a $1", 1),
            "the text is kept, binds still count"
        );
        let mut b = Sql::<sqlx::Postgres>::cached::<B>(CacheKey::GetByKey);
        write(&mut b, "b ");
        let mut lite = Sql::<sqlx::Sqlite>::cached::<A>(CacheKey::GetByKey);
        write(&mut lite, "lite ");
        let mut kind = Sql::<sqlx::Postgres>::cached::<A>(CacheKey::UpdateWhole);
        write(&mut kind, "u ");
        assert_eq!(
            (
                b.keep::<B>().text(),
                lite.keep::<A>().text(),
                kind.keep::<A>().text()
            ),
            ("b $1", "lite ?", "u $1")
        );
    }

    #[test]
    fn an_unknown_field_is_an_error_not_sql() {
        let table = tag();
        let mut qb = Sql::<sqlx::Postgres>::new("SELECT 1 FROM t");
        let bad = Query::new().order_by("name; DROP TABLE tag");
        let e =
            alchemy_core::sql::write_query(&mut qb, &table, Dialect::Postgres, &bad).unwrap_err();
        assert!(matches!(e, alchemy_core::Error::InvalidInput { .. }), "{e}");
    }
}
