//! What a backend implements to run the suite.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use alchemy_core::audit::{ManualClock, SharedClock};
use alchemy_core::base::{
    BigIntAuditBase, BigIntBase, NanoIdAuditBase, NanoIdBase, ServerUuidAuditBase, ServerUuidBase,
    UuidAuditBase, UuidBase, UuidV6AuditBase, UuidV6Base, UuidV7AuditBase, UuidV7Base,
};
use alchemy_core::schema::Dialect;
use alchemy_core::{Database, LinkRepository, Repository, Result};

use crate::fixtures::{
    CommentFixture, EventFixture, ItemFixture, PostFixture, TagFixture, WidgetBase, WidgetFixture,
};

/// An isolated database for one case.
#[derive(Debug, Clone)]
pub enum Target {
    /// A fresh SQLite file (the directory is removed after the case).
    Sqlite {
        /// Path of the database file (it does not exist yet).
        path: PathBuf,
    },
    /// A fresh schema on a PostgreSQL server.
    Postgres {
        /// The server URL (without a search path).
        url: String,
        /// The schema to create and use as `search_path`; drop it in teardown.
        schema: String,
    },
    /// A fresh database on a MariaDB server.
    MariaDb {
        /// The server URL (`mysql://user@host:port/db`; its database is
        /// where `CREATE DATABASE` runs).
        url: String,
        /// The database to create and connect to; drop it in teardown.
        database: String,
    },
}

impl Target {
    /// The dialect of the target.
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite { .. } => Dialect::Sqlite,
            Self::Postgres { .. } => Dialect::Postgres,
            Self::MariaDb { .. } => Dialect::MariaDb,
        }
    }

    /// The URL to connect to: `sqlite://<path>?mode=rwc`, the PostgreSQL
    /// URL with `options=-csearch_path=<schema>` so every pooled connection
    /// uses the schema, or the MariaDB URL with its database replaced.
    pub fn url(&self) -> String {
        match self {
            Self::MariaDb { url, database } => with_database(url, database),
            Self::Sqlite { path } => format!("sqlite://{}?mode=rwc", path.display()),
            Self::Postgres { url, schema } => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}options=-csearch_path%3D{schema}")
            }
        }
    }
}

/// `url` (`mysql://user@host:port/db?query`) with its database replaced by
/// `database`, its query kept.
///
/// ```
/// use alchemy_conformance::harness::with_database;
///
/// assert_eq!(
///     with_database("mysql://root@127.0.0.1:3306/test?ssl-mode=disabled", "alc_1"),
///     "mysql://root@127.0.0.1:3306/alc_1?ssl-mode=disabled"
/// );
/// assert_eq!(with_database("mysql://root@db", "alc_1"), "mysql://root@db/alc_1");
/// ```
pub fn with_database(url: &str, database: &str) -> String {
    let (url, query) = url
        .split_once('?')
        .map_or((url, None), |(url, query)| (url, Some(query)));
    // After the authority (`mysql://user@host:port`) comes the database.
    let authority_end = url
        .find("://")
        .map(|at| at + 3)
        .and_then(|start| url[start..].find('/').map(|p| start + p))
        .unwrap_or(url.len());
    let mut out = format!("{}/{database}", &url[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// The part of a harness that connects.
pub trait Backend: Send + Sync + Sized + 'static {
    /// The backend's name as it appears in test names (`sqlx`, `diesel`, `seaorm`).
    const NAME: &'static str;
    /// The backend's database handle.
    type Db: Database;

    /// Connects to `target`, stamping audit columns with `clock`. For
    /// PostgreSQL, creates `schema` first and makes it every connection's
    /// search path; for MariaDB, creates `database` first and connects to
    /// it. The runner creates the fixture tables afterwards.
    fn connect(
        &self,
        target: &Target,
        clock: SharedClock,
    ) -> impl Future<Output = Result<Self::Db>> + Send;

    /// Removes what `connect` created on a server (drops the schema or
    /// database).
    fn teardown(&self, target: &Target) -> impl Future<Output = Result<()>> + Send;
}

/// The session type of harness `H`.
pub type SessionOf<H> = <<H as Backend>::Db as Database>::Session;

/// A backend's widget model and repository for base `B`.
pub trait HasWidget<B: WidgetBase>: Backend {
    /// The widget model, declaring `B::table()`.
    type Widget: WidgetFixture<Base = B>;
    /// Its repository.
    type Widgets: Repository<Model = Self::Widget, Session = SessionOf<Self>> + Clone + 'static;
    /// A repository value.
    fn widgets(&self) -> Self::Widgets;
}

/// Everything a backend provides to the suite: fixture models in its own
/// idiom and their repositories.
pub trait Harness:
    Backend
    + HasWidget<BigIntBase>
    + HasWidget<BigIntAuditBase>
    + HasWidget<UuidBase>
    + HasWidget<UuidV6Base>
    + HasWidget<UuidV7Base>
    + HasWidget<UuidAuditBase>
    + HasWidget<UuidV6AuditBase>
    + HasWidget<UuidV7AuditBase>
    + HasWidget<NanoIdBase>
    + HasWidget<NanoIdAuditBase>
    + HasWidget<ServerUuidBase>
    + HasWidget<ServerUuidAuditBase>
{
    /// The post model (declares [`crate::fixtures::post_table`]).
    type Post: PostFixture;
    /// The tag model (declares [`crate::fixtures::tag_table`]).
    type Tag: TagFixture;
    /// The item model (declares [`crate::fixtures::item_table`]).
    type Item: ItemFixture;
    /// Post repository.
    type Posts: Repository<Model = Self::Post, Session = SessionOf<Self>> + Clone + 'static;
    /// Tag repository.
    type Tags: Repository<Model = Self::Tag, Session = SessionOf<Self>> + Clone + 'static;
    /// Item repository.
    type Items: Repository<Model = Self::Item, Session = SessionOf<Self>> + Clone + 'static;
    /// The comment model (declares [`crate::fixtures::comment_table`]).
    type Comment: CommentFixture;
    /// Comment repository.
    type Comments: Repository<Model = Self::Comment, Session = SessionOf<Self>> + Clone + 'static;
    /// The event model (declares [`crate::fixtures::event_table`]).
    type Event: EventFixture;
    /// Event repository.
    type Events: Repository<Model = Self::Event, Session = SessionOf<Self>> + Clone + 'static;
    /// The `post_tag` link repository.
    type PostTags: LinkRepository<Left = Self::Post, Right = Self::Tag, Session = SessionOf<Self>>
        + Clone
        + 'static;

    /// A post repository.
    fn posts(&self) -> Self::Posts;
    /// A tag repository.
    fn tags(&self) -> Self::Tags;
    /// An item repository.
    fn items(&self) -> Self::Items;
    /// A comment repository.
    fn comments(&self) -> Self::Comments;
    /// A `post_tag` repository.
    fn post_tags(&self) -> Self::PostTags;
    /// An event repository.
    fn events(&self) -> Self::Events;
}

/// What a case gets: the harness, a connected database with the fixture
/// tables, and the clock that database stamps with.
#[derive(Debug)]
pub struct Cx<H: Backend> {
    /// The harness.
    pub h: Arc<H>,
    /// The connected database.
    pub db: H::Db,
    /// The clock audit columns are stamped with; starts at
    /// [`crate::START`] and moves only when a case moves it.
    pub clock: Arc<ManualClock>,
    /// The database's dialect.
    pub dialect: Dialect,
}
