//! Many-to-many association tables: core's [`DriverLinkRepository`] over a
//! diesel session.

use alchemy_core::driver::DriverLinkRepository;

use crate::session::DieselSession;

/// The association table `table (left_column, right_column)` between
/// diesel models `L` and `R`, made by
/// `DieselLinkRepository::new(table, left_column, right_column)`:
///
/// ```
/// # use alchemy_core::base::BigIntBase;
/// # use alchemy_core::schema::{Column, ColumnType};
/// # use alchemy_core::{LinkRepository, impl_model};
/// # use diesel::prelude::*;
/// # diesel::table! { post (id) { id -> BigInt, title -> Varchar, } }
/// # diesel::table! { tag (id) { id -> BigInt, name -> Varchar, } }
/// # #[derive(Debug, Clone, Queryable, Selectable)]
/// # #[diesel(table_name = post)]
/// # pub struct Post { pub id: i64, pub title: String }
/// # #[derive(Debug, Clone, Queryable, Selectable)]
/// # #[diesel(table_name = tag)]
/// # pub struct Tag { pub id: i64, pub name: String }
/// # impl_model!(Post, BigIntBase, plain, |t| t
/// #     .column(Column::new("title", ColumnType::Text)), fields(title));
/// # impl_model!(Tag, BigIntBase, plain, |t| t
/// #     .column(Column::new("name", ColumnType::Text)), fields(name));
/// use alchemy_diesel::DieselLinkRepository;
///
/// // `Post` and `Tag` are diesel models on alchemy bases.
/// let links = DieselLinkRepository::<Post, Tag>::new("post_tag", "post_id", "tag_id");
/// # fn is_link<T: LinkRepository>(_: &T) {}
/// # is_link(&links);
/// ```
///
/// The table needs a primary or unique key over both columns (so attaching
/// twice is a no-op); `ON DELETE CASCADE` foreign keys make deleting either
/// side remove its links. The statements are [`DriverLinkRepository`]'s.
pub type DieselLinkRepository<L, R> = DriverLinkRepository<L, R, DieselSession>;
