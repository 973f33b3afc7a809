//! A model's table checked against diesel's declaration of it: the
//! columns its `Selectable` selects (from the `table!`), by name, order
//! and nullability, once per model on its first statement (see
//! [`alchemy_core::driver::declaration`]). diesel's derives check the
//! struct's field types against the `table!` at compile time; this checks
//! what they cannot, that the `table!` is the library's table.

use alchemy_core::Model;
use alchemy_core::driver::declaration::{self, DeclaredColumn};
use diesel::Selectable;
use diesel::backend::Backend;
use diesel::expression::Expression;
use diesel::query_builder::{QueryBuilder, QueryFragment};
use diesel::sql_types::{SqlType, is_nullable};

/// Whether a diesel SQL type is nullable.
pub trait Nullness {
    /// `true` for `Nullable<_>`.
    const NULLABLE: bool;
}

impl Nullness for is_nullable::IsNullable {
    const NULLABLE: bool = true;
}

impl Nullness for is_nullable::NotNull {
    const NULLABLE: bool = false;
}

/// The nullability of each column of a select expression's SQL type (the
/// tuple `#[derive(Selectable)]` makes); implemented for tuples of up to
/// 32 columns, diesel's `32-column-tables` limit.
pub trait ColumnNulls {
    /// Appends each column's nullability, in order.
    fn nulls(out: &mut Vec<bool>);
}

macro_rules! column_nulls {
    ($($t:ident)+) => {
        impl<$($t: SqlType),+> ColumnNulls for ($($t,)+)
        where
            $($t::IsNull: Nullness),+
        {
            fn nulls(out: &mut Vec<bool>) {
                $(out.push(<$t::IsNull as Nullness>::NULLABLE);)+
            }
        }
    };
}

macro_rules! all_column_nulls {
    ($first:ident $($rest:ident)*) => {
        column_nulls!($first $($rest)*);
        all_column_nulls!($($rest)*);
    };
    () => {};
}

all_column_nulls!(
    A32 A31 A30 A29 A28 A27 A26 A25 A24 A23 A22 A21 A20 A19 A18 A17
    A16 A15 A14 A13 A12 A11 A10 A9 A8 A7 A6 A5 A4 A3 A2 A1
);

/// The database whose `Selectable` is checked: PostgreSQL when the build
/// has it, else SQLite, else MariaDB (the column list is the same on all).
#[cfg(feature = "postgres")]
pub type CheckDb = diesel::pg::Pg;
/// The database whose `Selectable` is checked: PostgreSQL when the build
/// has it, else SQLite, else MariaDB (the column list is the same on all).
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
pub type CheckDb = diesel::sqlite::Sqlite;
/// The database whose `Selectable` is checked: PostgreSQL when the build
/// has it, else SQLite, else MariaDB (the column list is the same on all).
#[cfg(all(feature = "mysql", not(feature = "postgres"), not(feature = "sqlite")))]
pub type CheckDb = diesel::mysql::Mysql;

/// The SQL type of `M`'s select expression on [`CheckDb`].
pub type SelectedTypes<M> = <<M as Selectable<CheckDb>>::SelectExpression as Expression>::SqlType;

/// Checks, once per model, that `M`'s `Selectable` columns are its table's.
///
/// # Errors
/// [`alchemy_core::Error::InvalidInput`] naming the first difference.
pub(crate) fn declaration<M>() -> alchemy_core::Result<()>
where
    M: Model + Selectable<CheckDb>,
    M::SelectExpression: QueryFragment<CheckDb>,
    SelectedTypes<M>: ColumnNulls,
{
    declaration::check_once::<M>(|| {
        let mut builder = <CheckDb as Backend>::QueryBuilder::default();
        M::construct_selection()
            .to_sql(&mut builder, &CheckDb::default())
            .map_err(|e| alchemy_core::Error::backend(e.to_string()))?;
        let text = builder.finish();
        let mut nulls = Vec::new();
        SelectedTypes::<M>::nulls(&mut nulls);
        // `"table"."column", ..`: identifiers diesel quotes, so a `, ` or a
        // `.` only separates them.
        // PostgreSQL quotes with `"`, SQLite's builder with backticks.
        let unquote = |s: &str| s.trim_matches(['"', '`']).to_string();
        let mut table = String::new();
        let mut declared = Vec::new();
        for (column, nullable) in text.split(", ").zip(nulls) {
            let (from, name) = column.rsplit_once('.').unwrap_or(("", column));
            table = unquote(from);
            declared.push(DeclaredColumn {
                name: unquote(name),
                nullable,
            });
        }
        declaration::compare(
            std::any::type_name::<M>(),
            M::table(),
            "diesel's `Selectable`",
            &table,
            &declared,
        )
    })
}
