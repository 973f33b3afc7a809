//! Many-to-many association tables: core's [`DriverLinkRepository`] over a
//! sqlx session.

use alchemy_core::driver::DriverLinkRepository;

use crate::session::SqlxSession;

/// The association table `table (left_column, right_column)` between `L`
/// and `R` on database `DB`, made by
/// `SqlxLinkRepository::new(table, left_column, right_column)`.
///
/// The table needs a primary or unique key over both columns (so attaching
/// twice is a no-op); `ON DELETE CASCADE` foreign keys make deleting either
/// side remove its links. The statements are [`DriverLinkRepository`]'s.
///
/// ```
/// use alchemy_core::base::BigIntBase;
/// use alchemy_core::schema::{Column, ColumnType, OnDelete, Table};
/// use alchemy_core::{Database, LinkRepository, Model, Repository, Session};
/// use alchemy_sqlx::{SqliteDb, SqliteRepository, SqlxLinkRepository};
///
/// #[derive(Debug, Clone, sqlx::FromRow, Model)]
/// #[model(base = BigIntBase)]
/// pub struct Post { pub id: i64, pub title: String }
///
/// #[derive(Debug, Clone, sqlx::FromRow, Model)]
/// #[model(base = BigIntBase)]
/// pub struct Tag { pub id: i64, pub name: String }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> alchemy_core::Result<()> {
/// let post_tag = Table::new("post_tag")
///     .column(Column::new("post_id", ColumnType::BigInt))
///     .column(Column::new("tag_id", ColumnType::BigInt))
///     .primary_key(["post_id", "tag_id"])
///     .foreign_key("post_id", "post", "id", OnDelete::Cascade)
///     .foreign_key("tag_id", "tag", "id", OnDelete::Cascade);
/// let db = SqliteDb::connect("sqlite::memory:").await?;
/// db.create_tables(&[Post::table(), Tag::table(), &post_tag]).await?;
/// let links = SqlxLinkRepository::<Post, Tag, sqlx::Sqlite>::new("post_tag", "post_id", "tag_id");
/// let mut s = db.begin().await?;
/// let post = SqliteRepository::<Post>::new().add(&mut s, Post { id: 0, title: "Hi".into() }).await?;
/// let tag = SqliteRepository::<Tag>::new().add(&mut s, Tag { id: 0, name: "rust".into() }).await?;
/// links.attach(&mut s, &post.id, &tag.id).await?;
/// links.attach(&mut s, &post.id, &tag.id).await?; // twice: still one link
/// assert_eq!(links.right_of(&mut s, &post.id).await?.len(), 1);
/// s.commit().await?;
/// # Ok(()) }
/// ```
pub type SqlxLinkRepository<L, R, DB> = DriverLinkRepository<L, R, SqlxSession<DB>>;
