//! A model's table checked against its ORM's own declaration of it
//! (diesel's `Selectable` over a `table!`, SeaORM's entity): the same
//! table, the same column names in the same order, and no column the table
//! lets be NULL that the ORM reads as NOT NULL. Each backend
//! lists its ORM's columns; the comparison and its message are written once
//! here, and each model is checked once per program, on first use.

use std::any::TypeId;
use std::collections::HashSet;
use std::sync::{OnceLock, PoisonError, RwLock};

use crate::schema::Table;
use crate::{Error, Result};

/// One column as an ORM declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredColumn {
    /// The column's name.
    pub name: String,
    /// Whether the ORM lets it hold NULL.
    pub nullable: bool,
}

/// Checks that `declared_table` and `declared`, the table and columns
/// `orm` (e.g. "diesel's `Selectable`") declares for `model`, are
/// `table`'s: its name, and its columns' names and order; a column `table`
/// lets be NULL must be nullable in `declared` too.
///
/// # Errors
/// [`Error::InvalidInput`] naming the model and the first difference.
pub fn compare(
    model: &str,
    table: &Table,
    orm: &str,
    declared_table: &str,
    declared: &[DeclaredColumn],
) -> Result<()> {
    let differ = |what: String| {
        Err(Error::invalid_input(format!(
            "model `{model}`: its table `{}` and {orm} differ: {what}",
            table.name()
        )))
    };
    if table.name() != declared_table {
        return differ(format!(
            "the table is `{}` here, `{declared_table}` in {orm}",
            table.name()
        ));
    }
    for (n, (ours, theirs)) in table.columns().iter().zip(declared).enumerate() {
        if ours.name != theirs.name {
            return differ(format!(
                "column {} is `{}` in the table, `{}` in {orm}",
                n + 1,
                ours.name,
                theirs.name
            ));
        }
        // An ORM column may be nullable where the table's is NOT NULL: it
        // reads every row, and the database refuses a NULL written to it
        // (`Error::NotNull`). The reverse could not read a NULL the table
        // allows.
        if ours.nullable && !theirs.nullable {
            let null = |nullable: bool| if nullable { "nullable" } else { "NOT NULL" };
            return differ(format!(
                "column `{}` is {} in the table, {} in {orm}",
                ours.name,
                null(ours.nullable),
                null(theirs.nullable)
            ));
        }
    }
    let (ours, theirs) = (table.columns().len(), declared.len());
    if ours > theirs {
        return differ(format!(
            "`{}` is in the table, not in {orm}",
            table.columns()[theirs].name
        ));
    }
    if theirs > ours {
        return differ(format!(
            "`{}` is in {orm}, not in the table",
            declared[ours].name
        ));
    }
    Ok(())
}

/// Runs `check` for model type `M` until it passes once, then never again
/// in this program: a backend calls it before each statement of `M`, so
/// the check costs one set lookup per statement after the first.
///
/// # Errors
/// The error of `check`, every time it fails.
pub fn check_once<M: 'static>(check: impl FnOnce() -> Result<()>) -> Result<()> {
    type Passed = RwLock<HashSet<TypeId, foldhash::fast::RandomState>>;
    static PASSED: OnceLock<Passed> = OnceLock::new();
    let passed = PASSED.get_or_init(Passed::default);
    let id = TypeId::of::<M>();
    // A poisoned lock only means a panic elsewhere mid-insert; the set is
    // still whole.
    if passed
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .contains(&id)
    {
        return Ok(());
    }
    check()?;
    passed
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};

    fn table() -> Table {
        Table::new("post")
            .column(Column::new("id", ColumnType::BigInt))
            .column(Column::new("title", ColumnType::Text).nullable())
    }

    fn declared(columns: &[(&str, bool)]) -> Vec<DeclaredColumn> {
        columns
            .iter()
            .map(|&(name, nullable)| DeclaredColumn {
                name: name.into(),
                nullable,
            })
            .collect()
    }

    fn differs(columns: &[(&str, bool)]) -> String {
        match compare("Post", &table(), "the ORM", "post", &declared(columns)) {
            Err(Error::InvalidInput { message }) => message,
            other => panic!("expected a difference, got {other:?}"),
        }
    }

    #[test]
    fn the_same_columns_pass() {
        let same = declared(&[("id", false), ("title", true)]);
        assert!(compare("Post", &table(), "the ORM", "post", &same).is_ok());
        let e = compare("Post", &table(), "the ORM", "posts", &same).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("the table is `post` here, `posts` in the ORM"),
            "{e}"
        );
    }

    #[test]
    fn each_difference_is_named() {
        assert_eq!(
            differs(&[("title", true), ("id", false)]),
            "model `Post`: its table `post` and the ORM differ: column 1 is `id` in the table, `title` in the ORM"
        );
        assert!(
            differs(&[("id", false), ("title", false)])
                .ends_with("column `title` is nullable in the table, NOT NULL in the ORM")
        );
        // Nullable in the ORM over NOT NULL in the table reads every row.
        let looser = declared(&[("id", true), ("title", true)]);
        assert!(compare("Post", &table(), "the ORM", "post", &looser).is_ok());
        assert!(differs(&[("id", false)]).ends_with("`title` is in the table, not in the ORM"));
        assert!(
            differs(&[("id", false), ("title", true), ("body", false)])
                .ends_with("`body` is in the ORM, not in the table")
        );
    }

    #[test]
    fn a_check_that_passed_is_not_run_again() {
        struct Once;
        let mut runs = 0;
        assert!(check_once::<Once>(|| Err(Error::invalid_input("no"))).is_err());
        for _ in 0..3 {
            check_once::<Once>(|| {
                runs += 1;
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(runs, 1);
    }
}
