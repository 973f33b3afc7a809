//! [`SeaLinkRepository`]: the core [`LinkRepository`] over a SeaORM association entity.

use std::marker::PhantomData;

use alchemy_core::driver::DriverLinkRepository;
use alchemy_core::{KeyOf, LinkRepository, Model, Result};
use sea_orm::{EntityTrait, FromQueryResult, IdenStatic};

use crate::session::SeaSession;

/// A SeaORM entity for an association table (e.g. `post_tag`) whose rows
/// pair the key of a [`Left`](LinkEntity::Left) row with the key of a
/// [`Right`](LinkEntity::Right) row.
///
/// ```
/// # use alchemy_core::base::BigIntBase;
/// # use alchemy_core::schema::{Column, ColumnType};
/// # use alchemy_core::{LinkRepository, impl_model};
/// # mod post {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
/// #     #[sea_orm(table_name = "post")]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #         pub title: String,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # mod tag {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
/// #     #[sea_orm(table_name = "tag")]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key)]
/// #         pub id: i64,
/// #         pub name: String,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// # impl_model!(post::Model, BigIntBase, table = "post", plain, |t| t
/// #     .column(Column::new("title", ColumnType::Text)), fields(title));
/// # impl_model!(tag::Model, BigIntBase, table = "tag", plain, |t| t
/// #     .column(Column::new("name", ColumnType::Text)), fields(name));
/// mod post_tag {
///     use sea_orm::entity::prelude::*;
///
///     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
///     #[sea_orm(table_name = "post_tag")]
///     pub struct Model {
///         #[sea_orm(primary_key, auto_increment = false)]
///         pub post_id: i64,
///         #[sea_orm(primary_key, auto_increment = false)]
///         pub tag_id: i64,
///     }
///
///     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
///     pub enum Relation {}
///
///     impl ActiveModelBehavior for ActiveModel {}
/// }
///
/// // `post` and `tag` are entities whose models are on alchemy bases.
/// impl alchemy_seaorm::LinkEntity for post_tag::Entity {
///     type Left = post::Entity;
///     type Right = tag::Entity;
///     fn left_column() -> post_tag::Column {
///         post_tag::Column::PostId
///     }
///     fn right_column() -> post_tag::Column {
///         post_tag::Column::TagId
///     }
/// }
///
/// let links = alchemy_seaorm::SeaLinkRepository::<post_tag::Entity>::new();
/// # fn is_link<T: LinkRepository>(_: &T) {}
/// # is_link(&links);
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

impl<J: LinkEntity> SeaLinkRepository<J> {
    /// Core's link repository over `J`'s table and columns.
    fn names(&self) -> DriverLinkRepository<LeftModel<J>, RightModel<J>, SeaSession> {
        DriverLinkRepository::new(
            J::default().table_name(),
            J::left_column().as_str(),
            J::right_column().as_str(),
        )
    }
}

/// The statements are [`DriverLinkRepository`]'s, over `J`'s table and
/// columns.
impl<J> LinkRepository for SeaLinkRepository<J>
where
    J: LinkEntity + Sync,
    LeftModel<J>: Model,
    RightModel<J>: Model + FromQueryResult,
{
    type Left = LeftModel<J>;
    type Right = RightModel<J>;
    type Session = SeaSession;

    async fn attach(
        &self,
        session: &mut SeaSession,
        left: &KeyOf<Self::Left>,
        right: &KeyOf<Self::Right>,
    ) -> Result<()> {
        self.names().attach(session, left, right).await
    }

    async fn detach(
        &self,
        session: &mut SeaSession,
        left: &KeyOf<Self::Left>,
        right: &KeyOf<Self::Right>,
    ) -> Result<bool> {
        self.names().detach(session, left, right).await
    }

    async fn right_of(
        &self,
        session: &mut SeaSession,
        left: &KeyOf<Self::Left>,
    ) -> Result<Vec<Self::Right>> {
        self.names().right_of(session, left).await
    }
}
