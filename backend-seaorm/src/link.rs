//! [`SeaLinkRepository`]: the core [`LinkRepository`] over a SeaORM association entity.

use std::marker::PhantomData;

use alchemy_core::{KeyOf, LinkRepository, Model, Result};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef,
};

use crate::repository::key_column;
use crate::session::Session;

/// A SeaORM entity for an association table (e.g. `post_tag`) whose rows
/// pair the key of a [`Left`](LinkEntity::Left) row with the key of a
/// [`Right`](LinkEntity::Right) row.
///
/// ```text
/// impl alchemy_seaorm::LinkEntity for post_tag::Entity {
///     type Left = post::Entity;
///     type Right = tag::Entity;
///     fn left_column() -> post_tag::Column { post_tag::Column::PostId }
///     fn right_column() -> post_tag::Column { post_tag::Column::TagId }
/// }
/// ```
pub trait LinkEntity: EntityTrait {
    /// The entity on the left (e.g. the post).
    type Left: EntityTrait;
    /// The entity on the right (e.g. the tag).
    type Right: EntityTrait;
    /// The column holding the left row's key.
    fn left_column() -> Self::Column;
    /// The column holding the right row's key.
    fn right_column() -> Self::Column;
}

/// The link repository of association entity `J`; implements
/// [`alchemy_core::LinkRepository`] between `J::Left` and `J::Right` models.
pub struct SeaLinkRepository<J>(PhantomData<fn() -> J>);

impl<J> SeaLinkRepository<J> {
    /// A link repository for association entity `J`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<J> Default for SeaLinkRepository<J> {
    fn default() -> Self {
        Self::new()
    }
}

impl<J> Clone for SeaLinkRepository<J> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<J> Copy for SeaLinkRepository<J> {}

impl<J> std::fmt::Debug for SeaLinkRepository<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SeaLinkRepository<{}>", std::any::type_name::<J>())
    }
}

type LeftModel<J> = <<J as LinkEntity>::Left as EntityTrait>::Model;
type RightModel<J> = <<J as LinkEntity>::Right as EntityTrait>::Model;

impl<J> LinkRepository for SeaLinkRepository<J>
where
    J: LinkEntity + Sync,
    LeftModel<J>: Model,
    RightModel<J>: Model,
    KeyOf<LeftModel<J>>: Into<sea_orm::Value>,
    KeyOf<RightModel<J>>: Into<sea_orm::Value>,
{
    type Left = LeftModel<J>;
    type Right = RightModel<J>;
    type Session = Session;

    /// `INSERT .. ON CONFLICT (left, right) DO NOTHING`.
    ///
    /// # Errors
    /// [`alchemy_core::Error::ForeignKey`] when either row does not exist.
    async fn attach(
        &self,
        session: &mut Session,
        left: &KeyOf<Self::Left>,
        right: &KeyOf<Self::Right>,
    ) -> Result<()> {
        let (l, r) = (J::left_column(), J::right_column());
        let mut insert = Query::insert();
        insert
            .into_table(J::default().table_ref())
            .columns([l, r])
            .values([Expr::val(left.clone()), Expr::val(right.clone())])
            .map_err(alchemy_core::Error::backend)?
            .on_conflict(OnConflict::columns([l, r]).do_nothing().to_owned());
        let tx = session.statement_tx()?;
        let result = tx.execute(&insert).await;
        session.sent(result).map(drop)
    }

    /// `DELETE .. WHERE left = ? AND right = ?`; whether a row was deleted.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Backend`].
    async fn detach(
        &self,
        session: &mut Session,
        left: &KeyOf<Self::Left>,
        right: &KeyOf<Self::Right>,
    ) -> Result<bool> {
        let tx = session.statement_tx()?;
        let result = J::delete_many()
            .filter(J::left_column().eq(left.clone()))
            .filter(J::right_column().eq(right.clone()))
            .exec(tx)
            .await;
        let result = session.sent(result)?;
        Ok(result.rows_affected > 0)
    }

    /// The right rows joined through the association, ordered by their key.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Backend`].
    async fn right_of(
        &self,
        session: &mut Session,
        left: &KeyOf<Self::Left>,
    ) -> Result<Vec<Self::Right>> {
        let right_key = key_column::<J::Right>()?;
        let join: RelationDef = J::Right::belongs_to(J::default())
            .from(right_key)
            .to(J::right_column())
            .into();
        let tx = session.statement_tx()?;
        let result = J::Right::find()
            .join(JoinType::InnerJoin, join)
            .filter(J::left_column().eq(left.clone()))
            .order_by_asc(right_key)
            .all(tx)
            .await;
        session.sent(result)
    }
}
