//! [`DriverLinkRepository`]: the [`LinkRepository`] of an association
//! table, written once over [`Driver`].

use std::fmt;
use std::marker::PhantomData;

use super::trace::traced;
use crate::schema::ColumnType;
use crate::sql::SqlWriter;
use crate::{KeyOf, LinkRepository, Model, Result};

use super::Driver;

/// Ties a link repository to its models and driver without owning any.
type Marker<L, R, D> = PhantomData<fn() -> (L, R, D)>;

/// The link repository of an association table (e.g. `post_tag`) whose
/// rows pair the key of an `L` row with the key of an `R` row, over driver
/// `D` (a backend's session type). Stateless and `Copy`: it holds the
/// names of the table and its two columns.
///
/// Statements, every key bound:
/// - `attach`: `INSERT INTO t (left, right) VALUES (?, ?) ON CONFLICT DO
///   NOTHING`;
/// - `detach`: `DELETE FROM t WHERE left = ? AND right = ?`;
/// - `right_of`: the `R` rows whose key is among `SELECT right FROM t
///   WHERE left = ?`, ordered by key.
pub struct DriverLinkRepository<L, R, D> {
    table: &'static str,
    left_column: &'static str,
    right_column: &'static str,
    _marker: Marker<L, R, D>,
}

impl<L, R, D> DriverLinkRepository<L, R, D> {
    /// The link repository of association table `table`, whose column
    /// `left_column` holds an `L` key and `right_column` an `R` key.
    pub const fn new(
        table: &'static str,
        left_column: &'static str,
        right_column: &'static str,
    ) -> Self {
        Self {
            table,
            left_column,
            right_column,
            _marker: PhantomData,
        }
    }
}

impl<L, R, D> Clone for DriverLinkRepository<L, R, D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L, R, D> Copy for DriverLinkRepository<L, R, D> {}

impl<L, R, D> fmt::Debug for DriverLinkRepository<L, R, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkRepository")
            .field("table", &self.table)
            .field("left_column", &self.left_column)
            .field("right_column", &self.right_column)
            .finish()
    }
}

/// The type of `M`'s key column.
fn key_type<M: Model>() -> Result<ColumnType> {
    let table = M::table();
    Ok(table.columns()[table.key_index()?].ty)
}

impl<L: Model, R: Model, D: Driver<R>> LinkRepository for DriverLinkRepository<L, R, D> {
    type Left = L;
    type Right = R;
    type Session = D;

    async fn attach(&self, session: &mut D, left: &KeyOf<L>, right: &KeyOf<R>) -> Result<()> {
        traced!(self.table, session, "attach", {
            let mut sql = session.sql(None);
            let d = sql.dialect();
            let quote = |name: &str| d.quote(name);
            sql.push(&format!(
                "INSERT INTO {} ({}, {}) VALUES ",
                quote(self.table),
                quote(self.left_column),
                quote(self.right_column)
            ));
            let mut row = [
                (left.clone().into(), key_type::<L>()?),
                (right.clone().into(), key_type::<R>()?),
            ]
            .into_iter();
            sql.row(true, &mut row);
            if let Some(skip) = d.rules().skip_duplicates() {
                sql.push_static(skip);
                return session.execute(sql).await.map(drop);
            }
            // A pair already linked is a duplicate key, undone alone or in
            // a savepoint.
            let attached = if d.rules().duplicate_undoes_statement() {
                let attached = session.execute(sql).await;
                if matches!(attached, Err(crate::Error::DuplicateKey { .. })) {
                    session.state_mut().contain_duplicate();
                }
                attached
            } else {
                session
                    .savepoint(|session| Box::pin(async move { session.execute(sql).await }))
                    .await
            };
            match attached {
                Ok(_) | Err(crate::Error::DuplicateKey { .. }) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }

    async fn detach(&self, session: &mut D, left: &KeyOf<L>, right: &KeyOf<R>) -> Result<bool> {
        traced!(self.table, session, "detach", {
            let mut sql = session.sql(None);
            let d = sql.dialect();
            let quote = |name: &str| d.quote(name);
            sql.push(&format!(
                "DELETE FROM {} WHERE {} = ",
                quote(self.table),
                quote(self.left_column)
            ));
            sql.bind_value(left.clone().into(), key_type::<L>()?);
            sql.push(&format!(" AND {} = ", quote(self.right_column)));
            sql.bind_value(right.clone().into(), key_type::<R>()?);
            Ok(session.execute(sql).await? > 0)
        })
    }

    async fn right_of(&self, session: &mut D, left: &KeyOf<L>) -> Result<Vec<R>> {
        traced!(self.table, session, "right_of", {
            let table = R::table();
            let mut sql = session.sql(None);
            let d = sql.dialect();
            let quote = |name: &str| d.quote(name);
            let key = table
                .quoted_column(d, table.key_index()?)
                .unwrap_or_default();
            sql.push_static("SELECT ");
            sql.select_list(table);
            sql.push(&format!(
                " FROM {} WHERE {key} IN (SELECT {} FROM {} WHERE {} = ",
                table.quoted_name(d),
                quote(self.right_column),
                quote(self.table),
                quote(self.left_column)
            ));
            sql.bind_value(left.clone().into(), key_type::<L>()?);
            sql.push(&format!(") ORDER BY {key}"));
            session.rows(sql).await
        })
    }
}
