//! Table definitions and the DDL generated from them.
//!
//! A model describes its table once ([`Table`]); every backend creates it
//! with the same SQL, so constraint names follow [`crate::naming`] everywhere.
//! Column names listed here are also what filters are checked against.

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::dialect::Identity;
use crate::naming;

/// Name of the primary-key column of every provided base.
pub const ID: &str = "id";

pub use crate::dialect::Dialect;

/// The type of a column, mapped per dialect.
///
/// `#[derive(Model)]` takes it from each field's Rust type ([`FieldType`]):
///
/// ```
/// use alchemy_core::{Model, base::BigIntBase, schema::{ColumnType, Dialect}};
/// use chrono::{NaiveDate, NaiveTime};
///
/// #[derive(Debug, Clone, Model)]
/// #[model(base = BigIntBase)]
/// pub struct Profile {
///     pub id: i64,
///     pub birthday: Option<NaiveDate>,  // DATE NULL
///     pub wakes_at: NaiveTime,          // TIME, to the microsecond
///     pub avatar: Vec<u8>,              // BYTEA, LONGBLOB, BLOB
///     pub level: i16,                   // SMALLINT
///     pub ratio: f32,                   // REAL, FLOAT on MariaDB
///     pub settings: serde_json::Value,  // JSONB, JSON, TEXT on SQLite
///     #[model(decimal(12, 2))]
///     pub balance: rust_decimal::Decimal, // NUMERIC(12, 2), REAL on SQLite
/// }
///
/// let table = Profile::table();
/// let ty = |name: &str| table.column_named(name).map(|c| c.ty);
/// assert_eq!(ty("birthday"), Some(ColumnType::Date));
/// assert_eq!(ty("settings"), Some(ColumnType::Json));
/// let pg = Dialect::Postgres.rules();
/// assert_eq!(pg.column_type(ColumnType::Json), "JSONB");
/// assert_eq!(Dialect::MariaDb.rules().column_type(ColumnType::Time), "TIME(6)");
/// assert_eq!(pg.column_type(ColumnType::Decimal(12, 2)), "NUMERIC(12, 2)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnType {
    /// 64-bit integer (`BIGINT`; `INTEGER` on SQLite).
    BigInt,
    /// 32-bit integer.
    Integer,
    /// 16-bit integer (`SMALLINT`; `INTEGER` on SQLite).
    SmallInt,
    /// Double-precision float.
    Double,
    /// Single-precision float (`REAL`, `FLOAT` on MariaDB; an 8-byte
    /// `REAL` on SQLite, which holds every `f32` exactly).
    Real,
    /// Boolean.
    Bool,
    /// Unbounded text.
    Text,
    /// Text of at most `n` characters.
    VarChar(usize),
    /// UUID (`UUID`; a 16-byte `BLOB` on SQLite).
    Uuid,
    /// UTC timestamp with microseconds (`TIMESTAMPTZ`; RFC 3339 `TEXT` on SQLite).
    Timestamp,
    /// Calendar date, 0001-01-01 to 9999-12-31 (`DATE`; `YYYY-MM-DD` `TEXT`
    /// on SQLite, which sorts as the dates do).
    Date,
    /// Time of day with microseconds (`TIME`, `TIME(6)` on MariaDB;
    /// `HH:MM:SS[.ffffff]` `TEXT` on SQLite, which sorts as the times do).
    Time,
    /// Bytes (`BYTEA`, `LONGBLOB` on MariaDB, `BLOB` on SQLite); compared
    /// byte by byte on every database.
    Bytes,
    /// A JSON document (`JSONB` on PostgreSQL, `JSON` on MariaDB, text on
    /// SQLite); filtered only for equality and NULL.
    Json,
    /// An exact decimal of `precision` digits, `scale` of them after the
    /// point ([`rust_decimal::Decimal`]): `NUMERIC(p, s)`, `DECIMAL(p, s)`
    /// on MariaDB, and on SQLite an 8-byte `REAL`, which holds every value
    /// of at most 15 digits exactly and compares them as numbers. So that
    /// a model means the same on every database, `precision` is 1 to
    /// [`MAX_DECIMAL_PRECISION`] (15) and `scale` at most `precision`;
    /// `#[derive(Model)]` checks both (`#[model(decimal(12, 2))]`), and a
    /// value that does not fit is [`crate::Error::InvalidInput`] naming the
    /// column, where PostgreSQL would round it silently.
    Decimal(u8, u8),
}

/// The most digits a [`ColumnType::Decimal`] holds: every decimal of 15
/// significant digits is one `f64` (C's `DBL_DIG`), so SQLite's `REAL`
/// stores, reads back and orders such values exactly.
pub const MAX_DECIMAL_PRECISION: u8 = 15;

impl ColumnType {
    /// The one type every value of this column is bound as, NULLs
    /// included: the widest of its kind (`BIGINT` for every integer,
    /// `DOUBLE` for every float, text for every text). A statement is
    /// prepared once per text and connection with its first parameters'
    /// types, so a column bound as `SMALLINT` for `3` and `BIGINT` for
    /// `100000` sent 8 bytes to a 2-byte parameter on PostgreSQL. The
    /// database converts a wide value for a narrow column on writes (the
    /// library checks it fits first) and compares across widths.
    ///
    /// ```
    /// use alchemy_core::schema::ColumnType;
    ///
    /// assert_eq!(ColumnType::SmallInt.bound_as(), ColumnType::BigInt);
    /// assert_eq!(ColumnType::Real.bound_as(), ColumnType::Double);
    /// assert_eq!(ColumnType::VarChar(20).bound_as(), ColumnType::Text);
    /// assert_eq!(ColumnType::Date.bound_as(), ColumnType::Date);
    /// ```
    pub fn bound_as(self) -> ColumnType {
        match self {
            ColumnType::Integer | ColumnType::SmallInt => ColumnType::BigInt,
            ColumnType::Real => ColumnType::Double,
            ColumnType::VarChar(_) => ColumnType::Text,
            other => other,
        }
    }
}

/// The Rust type of a model field, and the column type
/// [`#[derive(Model)]`](crate::Model) gives its column unless the field
/// says otherwise (`#[model(varchar(200))]`). `Option<T>` has `T`'s type;
/// its column is nullable.
///
/// Implement it for a type of your own (a key type, a newtype) to use it in
/// a derived model without naming the column type each time; the type also
/// needs `Into<Value>` to be written, and its backend's decoding to be read.
///
/// ```
/// use alchemy_core::schema::{ColumnType, FieldType};
///
/// /// A temperature, stored as a double.
/// #[derive(Debug, Clone, Copy)]
/// pub struct Celsius(pub f64);
///
/// impl FieldType for Celsius {
///     const COLUMN_TYPE: ColumnType = ColumnType::Double;
/// }
/// assert_eq!(<Option<Celsius> as FieldType>::COLUMN_TYPE, ColumnType::Double);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no default column type",
    label = "name the column type on the field, e.g. `#[model(varchar(100))]`",
    note = "or implement `alchemy_core::schema::FieldType` for `{Self}`"
)]
pub trait FieldType {
    /// The column type of a field of this type.
    const COLUMN_TYPE: ColumnType;
}

macro_rules! field_types {
    ($($ty:ty => $column:expr),* $(,)?) => {$(
        impl FieldType for $ty {
            const COLUMN_TYPE: ColumnType = $column;
        }
    )*};
}

field_types! {
    i64 => ColumnType::BigInt,
    i32 => ColumnType::Integer,
    i16 => ColumnType::SmallInt,
    f64 => ColumnType::Double,
    f32 => ColumnType::Real,
    bool => ColumnType::Bool,
    String => ColumnType::Text,
    uuid::Uuid => ColumnType::Uuid,
    chrono::DateTime<chrono::Utc> => ColumnType::Timestamp,
    chrono::NaiveDate => ColumnType::Date,
    chrono::NaiveTime => ColumnType::Time,
    Vec<u8> => ColumnType::Bytes,
    serde_json::Value => ColumnType::Json,
}

impl<T: FieldType> FieldType for Option<T> {
    const COLUMN_TYPE: ColumnType = T::COLUMN_TYPE;
}

/// A server-side column default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnDefault {
    /// An identity / autoincrement key.
    Identity,
    /// A random version-4 UUID made by the server (`gen_random_uuid()`).
    RandomUuid,
    /// Boolean false.
    False,
    /// Boolean true.
    True,
    /// A SQL expression written by the developer (never by an end user).
    Sql(&'static str),
}

/// What a foreign key does when the referred row is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Refuse the delete.
    Restrict,
    /// Delete the referring rows too.
    Cascade,
    /// Set the referring column to NULL.
    SetNull,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Column type.
    pub ty: ColumnType,
    /// Whether NULL is allowed (default: no).
    pub nullable: bool,
    /// Server-side default.
    pub default: Option<ColumnDefault>,
}

impl Column {
    /// A NOT NULL column without default.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Self {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
        }
    }

    /// Allows NULL.
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// Sets a server-side default.
    pub fn default(mut self, default: ColumnDefault) -> Self {
        self.default = Some(default);
        self
    }
}

/// A foreign key of one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The referring column of this table.
    pub column: String,
    /// The referred table.
    pub referred_table: String,
    /// The referred column.
    pub referred_column: String,
    /// What a delete of the referred row does.
    pub on_delete: OnDelete,
}

/// A table: its columns and named constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    name: String,
    columns: Vec<Column>,
    primary_key: Vec<String>,
    uniques: Vec<Vec<String>>,
    indexes: Vec<Vec<String>>,
    foreign_keys: Vec<ForeignKey>,
    checks: Vec<(String, String)>,
    quoted: Quoted,
}

/// The quoted names of a table, made once on first use for each way of
/// quoting (models keep their table in a static): every statement a
/// repository builds starts from them. Index 0 holds ANSI quotes (`"`,
/// PostgreSQL and SQLite), 1 backticks (MariaDB).
#[derive(Debug, Clone, Default)]
struct Quoted([OnceLock<QuotedNames>; 2]);

#[derive(Debug, Clone)]
struct QuotedNames {
    table: String,
    columns: Vec<String>,
    select_list: String,
    /// [`Table::insert_head`] and [`Table::insert_columns`]: with every
    /// column, then without the primary key.
    inserts: [(String, Vec<usize>); 2],
}

// Derived from the other fields: equal whenever they are.
impl PartialEq for Quoted {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Quoted {}

impl Table {
    /// An empty table called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            quoted: Quoted::default(),
        }
    }

    /// Adds a column.
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(column);
        self.quoted = Quoted::default();
        self
    }

    /// Sets the primary key (`pk_<table>`); several columns make a composite key.
    pub fn primary_key<const N: usize>(mut self, columns: [&str; N]) -> Self {
        self.primary_key = columns.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Adds a unique constraint (`uq_<table>_<columns>`).
    pub fn unique<const N: usize>(mut self, columns: [&str; N]) -> Self {
        self.uniques
            .push(columns.iter().map(|c| c.to_string()).collect());
        self
    }

    /// Adds an index (`ix_<table>_<columns>`).
    pub fn index<const N: usize>(mut self, columns: [&str; N]) -> Self {
        self.indexes
            .push(columns.iter().map(|c| c.to_string()).collect());
        self
    }

    /// Adds a foreign key (`fk_<table>_<column>_<referred table>`).
    pub fn foreign_key(
        mut self,
        column: &str,
        referred_table: &str,
        referred_column: &str,
        on_delete: OnDelete,
    ) -> Self {
        self.foreign_keys.push(ForeignKey {
            column: column.into(),
            referred_table: referred_table.into(),
            referred_column: referred_column.into(),
            on_delete,
        });
        self
    }

    /// Adds a check constraint `ck_<table>_<name>` with a developer-written expression.
    pub fn check(mut self, name: &str, expression: &str) -> Self {
        self.checks.push((name.into(), expression.into()));
        self
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The columns, in declaration order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn quoted(&self, dialect: Dialect) -> &QuotedNames {
        let style = usize::from(dialect.rules().quote_char() != '"');
        self.quoted.0[style].get_or_init(|| {
            let columns: Vec<String> = self
                .columns
                .iter()
                .map(|c| dialect.quote(&c.name))
                .collect();
            let table = dialect.quote(&self.name);
            let key = self.key_index().ok();
            let insert = |skip: Option<usize>| {
                let written: Vec<usize> = (0..columns.len()).filter(|&i| Some(i) != skip).collect();
                let names: Vec<&str> = written.iter().map(|&i| columns[i].as_str()).collect();
                let head = format!("INSERT INTO {table} ({}) VALUES ", names.join(", "));
                (head, written)
            };
            QuotedNames {
                inserts: [insert(None), insert(key)],
                select_list: columns.join(", "),
                table,
                columns,
            }
        })
    }

    /// The table name, quoted for `dialect` ([`Dialect::quote`]).
    pub fn quoted_name(&self, dialect: Dialect) -> &str {
        &self.quoted(dialect).table
    }

    /// The name of column `index` (into [`Table::columns`]), quoted for
    /// `dialect`; `None` past the last column.
    pub fn quoted_column(&self, dialect: Dialect, index: usize) -> Option<&str> {
        self.quoted(dialect).columns.get(index).map(String::as_str)
    }

    /// Column `field`, quoted for `dialect` ([`Dialect::quote`]); made once
    /// per table.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field
    /// and table when the table has no such column.
    pub fn quoted_field(&self, dialect: Dialect, field: &str) -> crate::Result<&str> {
        let i = self
            .columns
            .iter()
            .position(|c| c.name == field)
            .ok_or_else(|| self.unknown_field(field))?;
        Ok(&self.quoted(dialect).columns[i])
    }

    /// `INSERT INTO t (<columns>) VALUES `: every column, or all but the
    /// primary key (made by the database) when `with_key` is false; made
    /// once per table.
    pub(crate) fn insert_head(&self, dialect: Dialect, with_key: bool) -> &str {
        &self.quoted(dialect).inserts[usize::from(!with_key)].0
    }

    /// The indexes of the columns [`Table::insert_head`] names.
    pub(crate) fn insert_columns(&self, with_key: bool) -> &[usize] {
        &self.quoted(Dialect::Postgres).inserts[usize::from(!with_key)].1
    }

    /// Every column, quoted and comma-separated in declaration order: the
    /// list a `SELECT` or `RETURNING` of whole rows names.
    pub fn select_list(&self, dialect: Dialect) -> &str {
        &self.quoted(dialect).select_list
    }

    /// The column called `name`, if any.
    pub fn column_named(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The primary-key columns.
    pub fn primary_key_columns(&self) -> &[String] {
        &self.primary_key
    }

    /// The index (into [`Table::columns`]) of the primary key's first column.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when the table has
    /// no primary key.
    pub fn key_index(&self) -> crate::Result<usize> {
        self.primary_key
            .first()
            .and_then(|key| self.columns.iter().position(|c| c.name == *key))
            .ok_or_else(|| {
                crate::Error::invalid_input(format!("table `{}` has no primary key", self.name))
            })
    }

    /// The foreign keys.
    pub fn foreign_keys(&self) -> &[ForeignKey] {
        &self.foreign_keys
    }

    /// The unique constraints, each a list of columns.
    pub fn unique_constraints(&self) -> &[Vec<String>] {
        &self.uniques
    }

    /// Checks that `field` is a column of this table.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the field and table.
    pub fn check_field(&self, field: &str) -> crate::Result<&Column> {
        self.column_named(field)
            .ok_or_else(|| self.unknown_field(field))
    }

    fn unknown_field(&self, field: &str) -> crate::Error {
        crate::Error::invalid_input(format!("unknown field `{field}` for table `{}`", self.name))
    }

    /// `CREATE TABLE IF NOT EXISTS` and `CREATE INDEX IF NOT EXISTS`
    /// statements for `dialect`, one statement per string.
    pub fn create_sql(&self, dialect: Dialect) -> Vec<String> {
        let t = &self.name;
        let quote = |name: &str| dialect.quote(name);
        let quote_list = |names: &[String]| quote_list(dialect, names);
        let mut sql = format!("CREATE TABLE IF NOT EXISTS {} (", quote(t));
        let rules = dialect.rules();
        // Where only an inline key is numbered (SQLite's `INTEGER PRIMARY KEY`).
        let inline_identity = match rules.identity() {
            Identity::InlineKey(clause) => Some(clause),
            Identity::Clause(_) => None,
        }
        .filter(|_| {
            self.primary_key.len() == 1
                && self
                    .column_named(&self.primary_key[0])
                    .is_some_and(|c| c.default == Some(ColumnDefault::Identity))
        });
        let mut parts = Vec::new();
        for c in &self.columns {
            let mut def = format!("{} {}", quote(&c.name), rules.column_type(c.ty));
            match inline_identity {
                Some(clause) if c.name == self.primary_key[0] => {
                    let _ = write!(
                        def,
                        " CONSTRAINT {}{clause}",
                        quote(&naming::primary_key(t))
                    );
                }
                _ => {
                    if !c.nullable {
                        def.push_str(" NOT NULL");
                    }
                    match (c.default, rules.identity()) {
                        (Some(ColumnDefault::Identity), Identity::Clause(clause)) => {
                            def.push_str(clause);
                        }
                        // A non-key identity where only keys are numbered: none.
                        (Some(ColumnDefault::Identity), Identity::InlineKey(_)) | (None, _) => {}
                        (Some(d), _) => {
                            if let Some(e) = rules.default_expression(d) {
                                let _ = write!(def, " DEFAULT ({e})");
                            }
                        }
                    }
                }
            }
            parts.push(def);
        }
        if inline_identity.is_none() && !self.primary_key.is_empty() {
            parts.push(format!(
                "CONSTRAINT {} PRIMARY KEY ({})",
                quote(&naming::primary_key(t)),
                quote_list(&self.primary_key)
            ));
        }
        for cols in &self.uniques {
            let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
            parts.push(format!(
                "CONSTRAINT {} UNIQUE ({})",
                quote(&naming::unique(t, &refs)),
                quote_list(cols)
            ));
        }
        for fk in &self.foreign_keys {
            parts.push(format!(
                "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
                quote(&naming::foreign_key(t, &fk.column, &fk.referred_table)),
                quote(&fk.column),
                quote(&fk.referred_table),
                quote(&fk.referred_column),
                match fk.on_delete {
                    OnDelete::Restrict => "RESTRICT",
                    OnDelete::Cascade => "CASCADE",
                    OnDelete::SetNull => "SET NULL",
                }
            ));
        }
        for (name, expr) in &self.checks {
            parts.push(format!(
                "CONSTRAINT {} CHECK ({expr})",
                quote(&naming::check(t, name))
            ));
        }
        sql.push_str(&parts.join(", "));
        sql.push(')');
        sql.push_str(rules.table_options());
        let mut out = vec![sql];
        let fk_columns = self.foreign_keys.iter().map(|fk| vec![fk.column.clone()]);
        for cols in self.indexes.iter().cloned().chain(fk_columns) {
            // A foreign key that leads the primary key is already indexed.
            if self.primary_key.first() == cols.first() && cols.len() == 1 {
                continue;
            }
            let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
            out.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                quote(&naming::index(t, &refs)),
                quote(t),
                quote_list(&cols)
            ));
        }
        out
    }

    /// `DROP TABLE IF EXISTS` for this table.
    pub fn drop_sql(&self, dialect: Dialect) -> String {
        format!("DROP TABLE IF EXISTS {}", dialect.quote(&self.name))
    }
}

/// Quotes an identifier with ANSI double quotes (`"name"`, inner quotes
/// doubled), as PostgreSQL and SQLite take it; [`Dialect::quote`] quotes
/// for any database.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Quotes identifiers for `dialect` and joins them with commas.
pub fn quote_list<S: AsRef<str>>(dialect: Dialect, identifiers: &[S]) -> String {
    identifiers
        .iter()
        .map(|i| dialect.quote(i.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::{Base, BigIntAuditBase, UuidV7AuditBase};
    use crate::slug::SlugColumn;

    fn tag() -> Table {
        BigIntAuditBase::new_table("tag")
            .column(Column::new("name", ColumnType::VarChar(100)))
            .unique(["name"])
            .slug()
    }

    #[test]
    fn bigint_key_is_identity_on_postgres() {
        let sql = tag().create_sql(Dialect::Postgres);
        assert_eq!(
            sql[0],
            "CREATE TABLE IF NOT EXISTS \"tag\" (\"id\" BIGINT NOT NULL GENERATED BY DEFAULT AS IDENTITY, \
             \"created_at\" TIMESTAMPTZ NOT NULL, \"updated_at\" TIMESTAMPTZ NOT NULL, \
             \"name\" VARCHAR(100) NOT NULL, \"slug\" VARCHAR(100) NOT NULL, \
             CONSTRAINT \"pk_tag\" PRIMARY KEY (\"id\"), CONSTRAINT \"uq_tag_name\" UNIQUE (\"name\"), \
             CONSTRAINT \"uq_tag_slug\" UNIQUE (\"slug\"))"
        );
    }

    #[test]
    fn bigint_key_is_integer_primary_key_on_sqlite() {
        let sql = tag().create_sql(Dialect::Sqlite);
        assert!(
            sql[0].starts_with(
                "CREATE TABLE IF NOT EXISTS \"tag\" (\"id\" INTEGER CONSTRAINT \"pk_tag\" PRIMARY KEY AUTOINCREMENT, \"created_at\" TEXT NOT NULL"
            ),
            "{}",
            sql[0]
        );
        assert!(!sql[0].contains("PRIMARY KEY (\"id\")"));
    }

    #[test]
    fn association_table_names_its_constraints() {
        let t = Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Uuid))
            .column(Column::new("tag_id", ColumnType::BigInt))
            .primary_key(["post_id", "tag_id"])
            .foreign_key("post_id", "post", "id", OnDelete::Cascade)
            .foreign_key("tag_id", "tag", "id", OnDelete::Cascade);
        let sql = t.create_sql(Dialect::Postgres);
        assert!(
            sql[0].contains("CONSTRAINT \"pk_post_tag\" PRIMARY KEY (\"post_id\", \"tag_id\")")
        );
        assert!(sql[0].contains(
            "CONSTRAINT \"fk_post_tag_post_id_post\" FOREIGN KEY (\"post_id\") REFERENCES \"post\" (\"id\") ON DELETE CASCADE"
        ));
        // post_id leads the primary key, so only tag_id gets its own index.
        assert_eq!(
            sql[1..],
            [
                "CREATE INDEX IF NOT EXISTS \"ix_post_tag_tag_id\" ON \"post_tag\" (\"tag_id\")"
                    .to_string()
            ]
        );
    }

    #[test]
    fn uuid_and_timestamps_per_dialect() {
        let t = UuidV7AuditBase::new_table("post").index(["created_at"]);
        let pg = t.create_sql(Dialect::Postgres);
        assert!(pg[0].contains("\"id\" UUID NOT NULL"));
        assert!(pg[0].contains("\"created_at\" TIMESTAMPTZ NOT NULL"));
        assert_eq!(
            pg[1],
            "CREATE INDEX IF NOT EXISTS \"ix_post_created_at\" ON \"post\" (\"created_at\")"
        );
        let lite = t.create_sql(Dialect::Sqlite);
        assert!(lite[0].contains("\"id\" BLOB NOT NULL"));
    }

    #[test]
    fn server_uuid_default_works_on_sqlite_3_35() {
        let t = crate::base::ServerUuidBase::new_table("w");
        let lite = &t.create_sql(Dialect::Sqlite)[0];
        // `unhex` needs SQLite 3.41; tools such as Debian's sqlite3 (3.40)
        // could not insert into the table.
        assert!(!lite.contains("unhex"), "{lite}");
        assert!(
            lite.contains("DEFAULT (CAST(randomblob(6) || substr(X'40"),
            "{lite}"
        );
        let pg = &t.create_sql(Dialect::Postgres)[0];
        assert!(pg.contains("DEFAULT (gen_random_uuid())"), "{pg}");
    }

    #[test]
    fn unknown_field_is_invalid_input() {
        let e = tag().check_field("nope").unwrap_err();
        assert!(matches!(e, crate::Error::InvalidInput { .. }), "{e}");
        assert!(e.to_string().contains("nope"));
        assert!(tag().check_field("slug").is_ok());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(Dialect::MariaDb.quote("we`ird"), "`we``ird`");
    }

    #[test]
    fn mariadb_tables_use_backticks_auto_increment_and_exact_text() {
        let sql = tag().create_sql(Dialect::MariaDb);
        assert_eq!(
            sql[0],
            "CREATE TABLE IF NOT EXISTS `tag` (`id` BIGINT NOT NULL AUTO_INCREMENT, \
             `created_at` DATETIME(6) NOT NULL, `updated_at` DATETIME(6) NOT NULL, \
             `name` VARCHAR(100) NOT NULL, `slug` VARCHAR(100) NOT NULL, \
             CONSTRAINT `pk_tag` PRIMARY KEY (`id`), CONSTRAINT `uq_tag_name` UNIQUE (`name`), \
             CONSTRAINT `uq_tag_slug` UNIQUE (`slug`)) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
        );
        let t = crate::base::ServerUuidBase::new_table("w");
        let uuid = &t.create_sql(Dialect::MariaDb)[0];
        assert!(
            uuid.contains("`id` BINARY(16) NOT NULL DEFAULT (UNHEX("),
            "{uuid}"
        );
        // A table's names are cached per quoting: ANSI ones stay ANSI.
        let t = tag();
        assert_eq!(t.quoted_name(Dialect::MariaDb), "`tag`");
        assert_eq!(t.quoted_name(Dialect::Postgres), "\"tag\"");
        assert_eq!(t.select_list(Dialect::MariaDb).split(", ").count(), 5);
        assert_eq!(t.quoted_field(Dialect::MariaDb, "slug").unwrap(), "`slug`");
    }
}
