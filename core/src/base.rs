//! Bases (key strategy + audit columns) and the [`Model`] trait.
//!
//! A base is a zero-sized marker naming a primary-key strategy and whether the
//! table carries `created_at`/`updated_at`. The ten bases of Advanced Alchemy
//! are provided; a custom base is one `impl Base`:
//!
//! ```
//! use alchemy_core::base::Base;
//! use alchemy_core::pk::ServerUuid;
//!
//! /// UUID keys made by the server (`gen_random_uuid()`), with audit columns.
//! #[derive(Debug)]
//! pub struct ServerUuidAuditBase;
//!
//! impl Base for ServerUuidAuditBase {
//!     type Key = ServerUuid;
//!     const AUDITED: bool = true;
//! }
//! ```

use std::fmt::Debug;

use chrono::{DateTime, Utc};

use crate::audit::{CREATED_AT, Timestamps, UPDATED_AT};
use crate::pk::{BigInt, KeyGeneration, KeyStrategy, NanoId, ServerUuid, UuidV4, UuidV6, UuidV7};
use crate::schema::{Column, ColumnType, ID, Table};

/// A base: a key strategy and whether the audit columns are present.
///
/// A base of your own is one impl; a key strategy with a key type of its
/// own is shown in full on [`KeyStrategy`].
///
/// ```
/// use alchemy_core::base::Base;
/// use alchemy_core::pk::NanoId;
/// use alchemy_core::{Model, schema::ColumnType};
///
/// /// NanoID keys, no audit columns.
/// pub struct ShortIdBase;
///
/// impl Base for ShortIdBase {
///     type Key = NanoId;
///     const AUDITED: bool = false;
/// }
///
/// #[derive(Debug, Clone, Model)]
/// #[model(base = ShortIdBase)]
/// pub struct Link {
///     pub id: String,
///     pub url: String,
/// }
/// assert_eq!(Link::table().columns()[0].ty, ColumnType::VarChar(21));
/// ```
pub trait Base: Send + Sync + 'static {
    /// The primary-key strategy of the `id` column.
    type Key: KeyStrategy;
    /// Whether the table has `created_at` and `updated_at`.
    const AUDITED: bool;

    /// A table called `name` with this base's columns: `id` (the primary
    /// key, of [`Base::Key`]'s type and default) and, for audited bases,
    /// `created_at` and `updated_at`. [`impl_model!`](crate::impl_model)
    /// starts every table it builds here.
    ///
    /// ```
    /// use alchemy_core::base::{Base, BigIntAuditBase};
    ///
    /// let tag = BigIntAuditBase::new_table("tag");
    /// let names: Vec<&str> = tag.columns().iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["id", "created_at", "updated_at"]);
    /// ```
    fn new_table(name: impl Into<String>) -> Table
    where
        Self: Sized,
    {
        let mut id = Column::new(ID, <Self::Key as KeyStrategy>::COLUMN_TYPE);
        id.default = <Self::Key as KeyStrategy>::DEFAULT;
        let mut table = Table::new(name).column(id).primary_key([ID]);
        if Self::AUDITED {
            table = table
                .column(Column::new(CREATED_AT, ColumnType::Timestamp))
                .column(Column::new(UPDATED_AT, ColumnType::Timestamp));
        }
        table
    }
}

macro_rules! bases {
    ($($(#[$doc:meta])* $name:ident => $key:ty, $audited:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl Base for $name {
            type Key = $key;
            const AUDITED: bool = $audited;
        }
    )*};
}

bases! {
    /// `BIGINT` identity key.
    BigIntBase => BigInt, false;
    /// `BIGINT` identity key with audit columns.
    BigIntAuditBase => BigInt, true;
    /// UUIDv4 key (Advanced Alchemy's `UUIDBase`).
    UuidBase => UuidV4, false;
    /// UUIDv6 key.
    UuidV6Base => UuidV6, false;
    /// UUIDv7 key.
    UuidV7Base => UuidV7, false;
    /// UUIDv4 key with audit columns.
    UuidAuditBase => UuidV4, true;
    /// UUIDv6 key with audit columns.
    UuidV6AuditBase => UuidV6, true;
    /// UUIDv7 key with audit columns.
    UuidV7AuditBase => UuidV7, true;
    /// NanoID key.
    NanoIdBase => NanoId, false;
    /// NanoID key with audit columns.
    NanoIdAuditBase => NanoId, true;
    /// Server-generated UUID key (`gen_random_uuid()`), the worked custom base.
    ServerUuidBase => ServerUuid, false;
    /// Server-generated UUID key with audit columns.
    ServerUuidAuditBase => ServerUuid, true;
}

/// The key type of model `M`.
pub type KeyOf<M> = <<<M as Model>::Base as Base>::Key as KeyStrategy>::Value;

/// A row type stored in one table.
///
/// Backends require this next to their ORM's own traits (`FromRow`,
/// `Queryable`, SeaORM's `Model`); the repository uses it to fill keys and
/// audit columns and to check filter fields.
///
/// # Deriving it
/// `#[derive(Model)]` makes the struct the one declaration of its table:
/// one column per field, in field order, after the base's.
///
/// ```
/// use alchemy_core::Model;
/// use alchemy_core::base::{BigIntAuditBase, UuidV7AuditBase};
/// use alchemy_core::schema::{ColumnType, OnDelete};
/// use alchemy_core::unique::Unique;
/// use chrono::{DateTime, Utc};
/// use uuid::Uuid;
///
/// #[derive(Debug, Clone, Model)]
/// #[model(base = UuidV7AuditBase)]
/// pub struct Post {
///     pub id: Uuid,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     #[model(varchar(200), index)]
///     pub title: String,
///     pub content: String,
///     #[model(default = false)]
///     pub published: bool,
///     pub rating: Option<f64>,
/// }
///
/// #[derive(Debug, Clone, Model)]
/// #[model(base = BigIntAuditBase, table = "tags", unique_key(name))]
/// pub struct Tag {
///     pub id: i64,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     #[model(varchar(100))]
///     pub name: String,
///     #[model(slug)]
///     pub slug: String,
///     #[model(references = "post.id", on_delete = "cascade")]
///     pub post_id: Option<Uuid>,
/// }
///
/// let post = Post::table();
/// assert_eq!(post.name(), "post");
/// let title = post.column_named("title").unwrap();
/// assert_eq!(title.ty, ColumnType::VarChar(200));
/// assert!(post.column_named("rating").unwrap().nullable);
///
/// let tags = Tag::table();
/// assert_eq!(tags.name(), "tags");
/// assert_eq!(tags.unique_constraints(), [vec!["slug".to_string()], vec!["name".to_string()]]);
/// assert_eq!(tags.foreign_keys()[0].on_delete, OnDelete::Cascade);
/// assert_eq!(Tag::unique_columns(), ["name"]);
/// ```
///
/// Struct attributes, `#[model(..)]`:
/// - `base = SomeBase` (required): the key strategy and audit columns. The
///   struct has the field `id` of the key's type and, for an audited base,
///   `created_at` and `updated_at` (`DateTime<Utc>`); a mismatch is a
///   compile error at the field (or at the base).
/// - `table = "name"`: the table name; by default the `snake_case` of the
///   struct's name ([`naming::table_name`](crate::naming::table_name)).
/// - `unique(a, b)`, `index(a, b)`: a constraint or index over several fields.
/// - `unique_key(a, ..)`: the unique mixin ([`Unique`](crate::unique::Unique)),
///   keyed by these fields (the field's type for one, a tuple for several),
///   with a unique constraint on them.
/// - `crate = "path"`: where alchemy-core is, when not `::alchemy_core`.
///
/// Field attributes, `#[model(..)]`:
/// - a column type, where the Rust type does not decide it (see
///   [`FieldType`](crate::schema::FieldType)): `varchar(N)`, `text`,
///   `bigint`, `integer`, `double`, `bool`, `uuid`, `timestamp`, and
///   `decimal(P, S)`, which a [`rust_decimal::Decimal`] field must name
///   (1 ≤ P ≤ 15, S ≤ P: see [`ColumnType::Decimal`]);
/// - `column = "name"`: the column's name, when not the field's;
/// - `nullable` (an `Option<..>` field is nullable already);
/// - `default = true|false`, `default_sql = "expression"`: a server default;
/// - `unique`, `index`: on this column;
/// - `slug`: the slug mixin's column (the field `slug: String`; implements
///   [`SlugKey`](crate::slug::SlugKey));
/// - `references = "table.column"`, with `on_delete = "cascade" | "restrict"
///   | "set null"` (default `restrict`): a foreign key.
///
/// Every field is a column: a struct with fields that are not implements
/// `Model` by hand (or with [`impl_model!`](crate::impl_model)).
///
/// ```compile_fail
/// # use alchemy_core::{Model, base::BigIntAuditBase};
/// # use chrono::{DateTime, Utc};
/// // An audited base needs `created_at` and `updated_at`.
/// #[derive(Debug, Clone, Model)]
/// #[model(base = BigIntAuditBase)]
/// struct Note {
///     id: i64,
///     body: String,
/// }
/// ```
///
/// ```compile_fail
/// # use alchemy_core::{Model, base::BigIntBase};
/// // 20 digits: more than SQLite's REAL holds exactly.
/// #[derive(Debug, Clone, Model)]
/// #[model(base = BigIntBase)]
/// struct Account {
///     id: i64,
///     #[model(decimal(20, 2))]
///     balance: rust_decimal::Decimal,
/// }
/// ```
///
/// ```compile_fail
/// # use alchemy_core::{Model, base::BigIntBase};
/// // `u8` has no default column type: name one, or implement `FieldType`.
/// #[derive(Debug, Clone, Model)]
/// #[model(base = BigIntBase)]
/// struct Note {
///     id: i64,
///     stars: u8,
/// }
/// ```
pub trait Model: Clone + Debug + Send + Sync + Unpin + 'static {
    /// The base: key strategy and audit columns.
    type Base: Base;

    /// The table definition. Build it once, e.g. in a `OnceLock`; start from
    /// [`Base::new_table`] and name it with [`crate::naming::table_name`]
    /// unless a name is given.
    fn table() -> &'static Table;

    /// The primary key (the unset value before a database-keyed insert).
    fn key(&self) -> &KeyOf<Self>;

    /// Replaces the primary key.
    fn set_key(&mut self, key: KeyOf<Self>);

    /// The audit columns, `None` for bases without them.
    fn timestamps(&self) -> Option<Timestamps>;

    /// Replaces the audit columns; does nothing for bases without them.
    fn set_timestamps(&mut self, timestamps: Timestamps);

    /// The value of every column of [`Model::table`], in column order.
    ///
    /// Backends without a typed row API bind these; the generic conveniences
    /// read them (upsert match values, keyset cursors, change detection).
    fn values(&self) -> Vec<crate::value::Value>;

    /// The value of column `index` (into [`Model::table`]'s columns); `None`
    /// past the last column. The default takes it from [`Model::values`];
    /// [`impl_model!`](crate::impl_model) clones only that field.
    fn value(&self, index: usize) -> Option<crate::value::Value> {
        self.values().into_iter().nth(index)
    }

    /// The field of column `index`, lent as `&dyn Any`, so checks can read
    /// a text field without copying it ([`crate::check::row`]); `None` when
    /// the model does not lend it (the default), and the checks then read
    /// [`Model::value`]. [`impl_model!`](crate::impl_model) lends every field.
    fn field(&self, index: usize) -> Option<&dyn std::any::Any> {
        let _ = index;
        None
    }
}

/// The value of column `field` of `model`, if the table has that column.
pub fn value_of<M: Model>(model: &M, field: &str) -> Option<crate::value::Value> {
    let index = M::table().columns().iter().position(|c| c.name == field)?;
    model.value(index)
}

/// Checks that `M`'s table has every field in `fields`, building nothing.
///
/// # Errors
/// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the first
/// field the table does not have.
pub fn check_fields<M: Model>(fields: &[&str]) -> crate::Result<()> {
    let table = M::table();
    fields
        .iter()
        .try_for_each(|f| table.check_field(f).map(drop))
}

/// The condition matching `model`'s values of `fields` (all of them).
///
/// # Errors
/// [`Error::InvalidInput`](crate::Error::InvalidInput) for a field the table does not have.
pub fn match_condition<M: Model>(
    model: &M,
    fields: &[&str],
) -> crate::Result<crate::filter::Condition> {
    fields
        .iter()
        .map(|f| {
            let value = value_of(model, f).ok_or_else(|| {
                crate::Error::invalid_input(format!(
                    "unknown field `{f}` for table `{}`",
                    M::table().name()
                ))
            })?;
            Ok(crate::filter::Condition::eq(*f, value))
        })
        .collect::<crate::Result<Vec<_>>>()
        .map(crate::filter::Condition::And)
}

/// Prepares a new row: fills an unset client key, stamps both audit
/// columns with `now`, and checks every value ([`crate::check::row`]).
/// Idempotent for the key (a set key is kept).
///
/// # Errors
/// [`Error::InvalidInput`](crate::Error::InvalidInput) naming the first
/// column whose value the database must not be sent.
pub fn prepare_insert<M: Model>(model: &mut M, now: DateTime<Utc>) -> crate::Result<()> {
    stamp_insert(model, now);
    crate::check::row(model)
}

/// [`prepare_insert`] without the check, for rows already checked.
pub(crate) fn stamp_insert<M: Model>(model: &mut M, now: DateTime<Utc>) {
    type K<M> = <<M as Model>::Base as Base>::Key;
    if K::<M>::GENERATION == KeyGeneration::Client && K::<M>::is_unset(model.key()) {
        model.set_key(K::<M>::generate());
    }
    if <M::Base as Base>::AUDITED {
        model.set_timestamps(Timestamps::at(now));
    }
}

/// Prepares an update: bumps `updated_at` to `now` (never before
/// `created_at`) and checks every value ([`crate::check::row`]).
///
/// # Errors
/// As [`prepare_insert`].
pub fn prepare_update<M: Model>(model: &mut M, now: DateTime<Utc>) -> crate::Result<()> {
    stamp_update(model, now);
    crate::check::row(model)
}

/// [`prepare_update`] without the check, for rows already checked.
pub(crate) fn stamp_update<M: Model>(model: &mut M, now: DateTime<Utc>) {
    if let Some(ts) = model.timestamps() {
        model.set_timestamps(ts.touched(now));
    }
}

/// Whether model `M`'s key is generated by the database (so inserts omit it).
pub fn key_from_database<M: Model>() -> bool {
    <<M::Base as Base>::Key as KeyStrategy>::GENERATION == KeyGeneration::Database
}

/// Checks a model's declaration, as [`impl_model!`](crate::impl_model)
/// does on the first use of [`Model::table`]: the table's columns must be
/// `base` (the base's, `id` and for audited bases `created_at` and
/// `updated_at`) followed by `fields`, by name and in order.
///
/// Call it from a test of a hand-written [`Model`] impl.
///
/// # Panics
/// With a message naming the model, the field and the column, when a field
/// is in another place than its column, a column has no field, or a field
/// has no column: the model's values would be written to the wrong columns
/// (or a column would silently be NULL), a bug any test of the model finds.
pub fn check_declaration(model: &str, table: &Table, base: &[&str], fields: &[&str]) {
    let declared = base.iter().chain(fields);
    let columns = table.columns();
    for (i, name) in declared.clone().enumerate() {
        match columns.get(i) {
            Some(c) if c.name == *name => {}
            Some(c) => panic!(
                "impl_model!({model}): field `{name}` is declared for column {i} of table `{}`, which is `{}`; list `fields(..)` in the table's column order ({})",
                table.name(),
                c.name,
                column_list(table)
            ),
            None => panic!(
                "impl_model!({model}): field `{name}` has no column: table `{}` has {} columns ({})",
                table.name(),
                columns.len(),
                column_list(table)
            ),
        }
    }
    if let Some(c) = columns.get(declared.count()) {
        panic!(
            "impl_model!({model}): column `{}` of table `{}` has no field; add it to `fields(..)` (a column left out would be written as NULL)",
            c.name,
            table.name()
        );
    }
}

fn column_list(table: &Table) -> String {
    table
        .columns()
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Implements [`Model`] for a struct with an `id` field and, for audited
/// bases, `created_at` / `updated_at` fields, from a table built by hand.
/// `#[derive(Model)]` (see [`Model`]) is the usual way; this macro is the
/// alternative for a table a builder makes (or one built elsewhere), and
/// it is what the derive expands to.
///
/// ```
/// use alchemy_core::{impl_model, base::UuidV7AuditBase, schema::{Table, Column, ColumnType}};
/// use chrono::{DateTime, Utc};
/// use uuid::Uuid;
///
/// #[derive(Debug, Clone)]
/// pub struct Post {
///     pub id: Uuid,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     pub title: String,
/// }
///
/// impl_model!(Post, UuidV7AuditBase, audited, |t| t
///     .column(Column::new("title", ColumnType::VarChar(200)))
///     .index(["title"]), fields(title));
///
/// use alchemy_core::Model;
/// assert_eq!(Post::table().name(), "post");
/// ```
///
/// Forms (`fields(..)` lists your columns' fields in table order, after the
/// base's `id`, `created_at`, `updated_at`):
/// - `impl_model!(Model, Base, audited, |t| t.column(..), fields(..))`: the table
///   is named after the type (`snake_case`) and built from the base's columns plus yours.
/// - `impl_model!(Model, Base, table = "name", audited, |t| .., fields(..))`: an explicit name.
/// - `impl_model!(Model, Base, audited, from some_fn(), fields(..))`: a `&'static Table` built elsewhere.
///
/// Write `plain` instead of `audited` for bases without audit columns. A
/// field whose column has another name is written `field as "column"`.
///
/// # Checks
/// - Every field of the struct must be listed (the base's and yours): a
///   field left out is a compile error (E0027, "pattern does not mention
///   field"), since its column would be written as NULL. A struct with
///   fields that are not columns implements [`Model`] by hand.
/// - On the first use of [`Model::table`], the table's columns must be the
///   base's followed by `fields(..)`, by name and in order; otherwise it
///   panics naming the field and the column (see [`check_declaration`]).
///
/// ```compile_fail,E0027
/// # use alchemy_core::{impl_model, base::BigIntBase, schema::{Column, ColumnType}};
/// #[derive(Debug, Clone)]
/// pub struct Tag { pub id: i64, pub name: String, pub note: Option<String> }
/// // `note` is missing from `fields(..)`.
/// impl_model!(Tag, BigIntBase, plain, |t| t
///     .column(Column::new("name", ColumnType::Text))
///     .column(Column::new("note", ColumnType::Text).nullable()), fields(name));
/// ```
#[macro_export]
macro_rules! impl_model {
    // A table the caller already built (`&'static Table`).
    ($model:ty, $base:ty, $kind:ident, from $table:expr, fields($($field:ident $(as $column:literal)?),* $(,)?)) => {
        $crate::impl_model!(@impl $model, $base, $kind, { $table }, ($($field $(as $column)?),*));
    };
    ($model:ty, $base:ty, table = $name:expr, $kind:ident, |$t:ident| $table:expr, fields($($field:ident $(as $column:literal)?),* $(,)?)) => {
        $crate::impl_model!(@build $model, $base, ::std::string::String::from($name), $kind, |$t| $table, ($($field $(as $column)?),*));
    };
    ($model:ty, $base:ty, $kind:ident, |$t:ident| $table:expr, fields($($field:ident $(as $column:literal)?),* $(,)?)) => {
        $crate::impl_model!(@build $model, $base, $crate::naming::table_name::<$model>(), $kind, |$t| $table, ($($field $(as $column)?),*));
    };
    (@build $model:ty, $base:ty, $name:expr, $kind:ident, |$t:ident| $table:expr, $fields:tt) => {
        $crate::impl_model!(@impl $model, $base, $kind, {
            static TABLE: ::std::sync::OnceLock<$crate::schema::Table> = ::std::sync::OnceLock::new();
            TABLE.get_or_init(|| {
                // The slug mixin's `.slug()` on the table being built.
                #[allow(unused_imports)]
                use $crate::slug::SlugColumn as _;
                let $t = <$base as $crate::base::Base>::new_table($name);
                $table
            })
        }, $fields);
    };
    // The column name of a field: its own, or the one given with `as`.
    (@column $field:ident) => { ::std::stringify!($field) };
    (@column $field:ident as $column:literal) => { $column };
    // `table()`, checked against the declaration on first use.
    (@table $model:ty, $table:block, [$($base_column:expr),*], ($($field:ident $(as $column:literal)?),*)) => {
        fn table() -> &'static $crate::schema::Table {
            static CHECKED: ::std::sync::OnceLock<&'static $crate::schema::Table> =
                ::std::sync::OnceLock::new();
            CHECKED.get_or_init(|| {
                let table: &'static $crate::schema::Table = $table;
                $crate::base::check_declaration(
                    ::std::stringify!($model),
                    table,
                    &[$($base_column),*],
                    &[$($crate::impl_model!(@column $field $(as $column)?)),*],
                );
                table
            })
        }
    };
    (@impl $model:ty, $base:ty, audited, $table:block, ($($field:ident $(as $column:literal)?),*)) => {
        impl $crate::Model for $model {
            type Base = $base;
            $crate::impl_model!(@table $model, $table, [
                $crate::schema::ID, $crate::audit::CREATED_AT, $crate::audit::UPDATED_AT
            ], ($($field $(as $column)?),*));
            fn key(&self) -> &$crate::KeyOf<Self> { &self.id }
            fn set_key(&mut self, key: $crate::KeyOf<Self>) { self.id = key; }
            fn timestamps(&self) -> ::std::option::Option<$crate::audit::Timestamps> {
                ::std::option::Option::Some($crate::audit::Timestamps {
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                })
            }
            fn set_timestamps(&mut self, ts: $crate::audit::Timestamps) {
                self.created_at = ts.created_at;
                self.updated_at = ts.updated_at;
            }
            fn values(&self) -> ::std::vec::Vec<$crate::value::Value> {
                // Every field of the struct is a column: one left out of
                // `fields(..)` is a compile error here.
                let Self { id: _, created_at: _, updated_at: _, $($field: _),* } = self;
                ::std::vec![
                    ::std::clone::Clone::clone(&self.id).into(),
                    self.created_at.into(),
                    self.updated_at.into(),
                    $(::std::clone::Clone::clone(&self.$field).into()),*
                ]
            }
            fn value(&self, index: usize) -> ::std::option::Option<$crate::value::Value> {
                let columns: &[fn(&Self) -> $crate::value::Value] = &[
                    |m| ::std::clone::Clone::clone(&m.id).into(),
                    |m| m.created_at.into(),
                    |m| m.updated_at.into(),
                    $(|m| ::std::clone::Clone::clone(&m.$field).into()),*
                ];
                columns.get(index).map(|column| column(self))
            }
            fn field(&self, index: usize) -> ::std::option::Option<&dyn ::std::any::Any> {
                let fields: &[fn(&Self) -> &dyn ::std::any::Any] = &[
                    |m| &m.id,
                    |m| &m.created_at,
                    |m| &m.updated_at,
                    $(|m| &m.$field),*
                ];
                fields.get(index).map(|field| field(self))
            }
        }
    };
    (@impl $model:ty, $base:ty, plain, $table:block, ($($field:ident $(as $column:literal)?),*)) => {
        impl $crate::Model for $model {
            type Base = $base;
            $crate::impl_model!(@table $model, $table, [$crate::schema::ID], ($($field $(as $column)?),*));
            fn key(&self) -> &$crate::KeyOf<Self> { &self.id }
            fn set_key(&mut self, key: $crate::KeyOf<Self>) { self.id = key; }
            fn timestamps(&self) -> ::std::option::Option<$crate::audit::Timestamps> { ::std::option::Option::None }
            fn set_timestamps(&mut self, _: $crate::audit::Timestamps) {}
            fn values(&self) -> ::std::vec::Vec<$crate::value::Value> {
                // Every field of the struct is a column: one left out of
                // `fields(..)` is a compile error here.
                let Self { id: _, $($field: _),* } = self;
                ::std::vec![
                    ::std::clone::Clone::clone(&self.id).into(),
                    $(::std::clone::Clone::clone(&self.$field).into()),*
                ]
            }
            fn value(&self, index: usize) -> ::std::option::Option<$crate::value::Value> {
                let columns: &[fn(&Self) -> $crate::value::Value] = &[
                    |m| ::std::clone::Clone::clone(&m.id).into(),
                    $(|m| ::std::clone::Clone::clone(&m.$field).into()),*
                ];
                columns.get(index).map(|column| column(self))
            }
            fn field(&self, index: usize) -> ::std::option::Option<&dyn ::std::any::Any> {
                let fields: &[fn(&Self) -> &dyn ::std::any::Any] = &[
                    |m| &m.id,
                    $(|m| &m.$field),*
                ];
                fields.get(index).map(|field| field(self))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};
    use chrono::TimeZone;
    use uuid::Uuid;

    #[derive(Debug, Clone)]
    struct UuidV7Post {
        id: Uuid,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        title: String,
    }
    crate::impl_model!(
        UuidV7Post,
        UuidV7AuditBase,
        audited,
        |t| t.column(Column::new("title", ColumnType::Text)),
        fields(title)
    );

    #[derive(Debug, Clone)]
    struct Counter {
        id: i64,
    }
    crate::impl_model!(
        Counter,
        BigIntBase,
        table = "counters",
        plain,
        |t| t,
        fields()
    );

    #[derive(Debug, Clone)]
    struct Fixed {
        id: String,
    }
    fn fixed_table() -> &'static Table {
        static T: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        T.get_or_init(|| NanoIdBase::new_table("fixed"))
    }
    crate::impl_model!(Fixed, NanoIdBase, plain, from fixed_table(), fields());

    #[derive(Debug, Clone)]
    struct Swapped {
        id: i64,
        slug: String,
        name: String,
    }
    crate::impl_model!(
        Swapped,
        BigIntBase,
        plain,
        |t| t
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("slug", ColumnType::Text)),
        fields(slug, name)
    );

    #[test]
    #[should_panic(
        expected = "impl_model!(Swapped): field `slug` is declared for column 1 of table `swapped`, which is `name`"
    )]
    fn fields_out_of_column_order_panic_on_first_use() {
        let _ = Swapped::table();
    }

    #[derive(Debug, Clone)]
    struct Short {
        id: i64,
        name: String,
    }
    crate::impl_model!(
        Short,
        BigIntBase,
        plain,
        |t| t
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("note", ColumnType::Text).nullable()),
        fields(name)
    );

    #[test]
    #[should_panic(expected = "impl_model!(Short): column `note` of table `short` has no field")]
    fn a_column_without_a_field_panics_on_first_use() {
        let _ = Short::table();
    }

    #[derive(Debug, Clone)]
    struct Long {
        id: i64,
        name: String,
        extra: String,
    }
    crate::impl_model!(
        Long,
        BigIntBase,
        plain,
        |t| t.column(Column::new("name", ColumnType::Text)),
        fields(name, extra)
    );

    #[test]
    #[should_panic(expected = "impl_model!(Long): field `extra` has no column")]
    fn a_field_without_a_column_panics_on_first_use() {
        let _ = Long::table();
    }

    #[derive(Debug, Clone)]
    struct Renamed {
        id: i64,
        kind: String,
    }
    crate::impl_model!(
        Renamed,
        BigIntBase,
        plain,
        |t| t.column(Column::new("type", ColumnType::Text)),
        fields(kind as "type")
    );

    #[test]
    fn a_field_may_name_its_column() {
        assert_eq!(Renamed::table().columns()[1].name, "type");
        let r = Renamed {
            id: 1,
            kind: "k".into(),
        };
        assert_eq!(value_of(&r, "type"), Some(crate::value::Value::from("k")));
    }

    fn post() -> UuidV7Post {
        UuidV7Post {
            id: Uuid::nil(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            title: "t".into(),
        }
    }

    #[test]
    fn table_names() {
        assert_eq!(UuidV7Post::table().name(), "uuid_v7_post");
        assert_eq!(Counter::table().name(), "counters");
        assert_eq!(Fixed::table().name(), "fixed");
        assert!(Fixed { id: String::new() }.id.is_empty());
        assert!(UuidV7Post::table().column_named("created_at").is_some());
        assert!(Counter::table().column_named("created_at").is_none());
        assert_eq!(post().title, "t");
    }

    #[test]
    fn values_follow_the_column_order() {
        let p = post();
        let v = p.values();
        assert_eq!(v.len(), UuidV7Post::table().columns().len());
        assert_eq!(v[3], crate::value::Value::Text("t".into()));
        assert_eq!(
            value_of(&p, "title"),
            Some(crate::value::Value::Text("t".into()))
        );
        assert_eq!(value_of(&p, "nope"), None);
        assert_eq!(
            Counter { id: 7 }.values(),
            vec![crate::value::Value::Int(7)]
        );
    }

    #[test]
    fn insert_fills_client_key_and_stamps() {
        let now = Utc.timestamp_opt(1_700_000_000, 5_000).unwrap();
        let mut p = post();
        prepare_insert(&mut p, now).unwrap();
        assert_eq!(p.id.get_version_num(), 7);
        assert_eq!(p.created_at, now);
        assert_eq!(p.updated_at, now);
        let id = p.id;
        prepare_insert(&mut p, now).unwrap();
        assert_eq!(p.id, id, "a set key is kept");
    }

    #[test]
    fn database_keys_are_left_alone() {
        let mut c = Counter { id: 0 };
        prepare_insert(&mut c, Utc::now()).unwrap();
        assert_eq!(c.id, 0);
        assert!(key_from_database::<Counter>());
        assert!(!key_from_database::<UuidV7Post>());
    }

    #[test]
    fn update_bumps_updated_at_only() {
        let t0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let mut p = post();
        prepare_insert(&mut p, t0).unwrap();
        prepare_update(&mut p, t0 + chrono::TimeDelta::seconds(3)).unwrap();
        assert_eq!(p.created_at, t0);
        assert_eq!(p.updated_at, t0 + chrono::TimeDelta::seconds(3));
    }
}
