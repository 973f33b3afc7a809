//! A multi-row `INSERT` for SQLite through diesel-async.
//!
//! diesel renders a multi-row `VALUES` list for SQLite only on its
//! synchronous connection, and only for rows without defaultable values
//! (which derived `Insertable` structs always have); otherwise it inserts row
//! by row. [`SqliteRows`] renders `(<columns>) VALUES (<row>), (<row>), ..`
//! from the rows' insert values, as one statement with bound parameters.
//!
//! A `None` in an `Option` field means "the column's default" to diesel,
//! which SQLite can only express by leaving the column out; rows are
//! therefore sent in runs of consecutive rows that leave out the same
//! columns ([`runs_by_defaults`]), one statement per run.

use std::marker::PhantomData;

use diesel::insertable::{
    CanInsertInSingleQuery, ColumnInsertValue, DefaultableColumnInsertValue, InsertValues,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{Insertable, QueryResult, Table};

/// Rows of table `Tab` to insert with one SQLite statement. `V` is the
/// insert-values tuple of a derived `Insertable` (the `values` of its
/// `ValuesClause`).
#[doc(hidden)]
#[derive(Debug)]
pub struct SqliteRows<V, Tab> {
    rows: Vec<V>,
    table: PhantomData<Tab>,
}

impl<V, Tab> SqliteRows<V, Tab> {
    /// Wraps the rows (at least one).
    pub fn new(rows: Vec<V>) -> Self {
        Self {
            rows,
            table: PhantomData,
        }
    }
}

impl<V, Tab> QueryId for SqliteRows<V, Tab> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<V, Tab> CanInsertInSingleQuery<Sqlite> for SqliteRows<V, Tab> {
    fn rows_to_insert(&self) -> Option<usize> {
        Some(self.rows.len())
    }
}

impl<V, Tab> QueryFragment<Sqlite> for SqliteRows<V, Tab>
where
    V: InsertValues<Sqlite, Tab>,
    Tab: Table,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        let Some(first) = self.rows.first() else {
            return Err(diesel::result::Error::QueryBuilderError(
                "a multi-row insert needs at least one row".into(),
            ));
        };
        out.push_sql("(");
        first.column_names(out.reborrow())?;
        out.push_sql(") VALUES ");
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql("(");
            row.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        Ok(())
    }
}

impl<V, Tab: Table> Insertable<Tab> for SqliteRows<V, Tab> {
    type Values = Self;
    fn values(self) -> Self {
        self
    }
}

/// Which columns of an insert-values tuple take their default (are left out).
#[doc(hidden)]
pub trait DefaultMask {
    /// Appends one flag per column, `true` for a column left to its default.
    fn defaults(&self, out: &mut Vec<bool>);
}

impl<T> DefaultMask for DefaultableColumnInsertValue<T> {
    fn defaults(&self, out: &mut Vec<bool>) {
        out.push(matches!(self, Self::Default));
    }
}

impl<C, E> DefaultMask for ColumnInsertValue<C, E> {
    fn defaults(&self, out: &mut Vec<bool>) {
        out.push(false);
    }
}

macro_rules! tuple_masks {
    ($first:ident $(, $rest:ident)*) => {
        impl<$first: DefaultMask $(, $rest: DefaultMask)*> DefaultMask for ($first, $($rest,)*) {
            #[allow(non_snake_case)]
            fn defaults(&self, out: &mut Vec<bool>) {
                let ($first, $($rest,)*) = self;
                $first.defaults(out);
                $($rest.defaults(out);)*
            }
        }
        tuple_masks!($($rest),*);
    };
    () => {};
}

tuple_masks!(
    T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16, T17, T18, T19, T20,
    T21, T22, T23, T24, T25, T26, T27, T28, T29, T30, T31
);

/// Splits `rows` into runs of consecutive rows that leave out the same
/// columns, keeping their order.
#[doc(hidden)]
pub fn runs_by_defaults<V: DefaultMask>(rows: Vec<V>) -> Vec<Vec<V>> {
    let mut runs: Vec<(Vec<bool>, Vec<V>)> = Vec::new();
    for row in rows {
        let mut mask = Vec::new();
        row.defaults(&mut mask);
        match runs.last_mut() {
            Some((last, run)) if *last == mask => run.push(row),
            _ => runs.push((mask, vec![row])),
        }
    }
    runs.into_iter().map(|(_, run)| run).collect()
}
