//! The workloads through alchemy-diesel and through diesel by hand.

use alchemy_conformance::fixtures;
use alchemy_core::base::{BigIntAuditBase, BigIntBase, UuidV7AuditBase};
use alchemy_core::filter::Condition;
use alchemy_core::impl_model;
use alchemy_core::slug::slugify;
use alchemy_core::unique::Unique;
use alchemy_diesel::DieselDb;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::common::{DbKind, Fresh, Run, Settings, is, measure, timed};
use crate::data::{self, Workload};
use crate::library::{self, BenchEvent, BenchPost, LibBackend};

mod schema {
    diesel::table! {
        post (id) {
            id -> alchemy_diesel::types::Uuid,
            created_at -> alchemy_diesel::types::Timestamp,
            updated_at -> alchemy_diesel::types::Timestamp,
            title -> Varchar,
            content -> Text,
            published -> Bool,
        }
    }

    diesel::table! {
        tag (id) {
            id -> BigInt,
            created_at -> alchemy_diesel::types::Timestamp,
            updated_at -> alchemy_diesel::types::Timestamp,
            name -> Varchar,
            slug -> Varchar,
        }
    }

    diesel::table! {
        event (id) {
            id -> BigInt,
            name -> Varchar,
            day -> Date,
            starts -> Nullable<Time>,
            payload -> Binary,
            level -> SmallInt,
            ratio -> Nullable<Float>,
            settings -> alchemy_diesel::types::Json,
            extra -> Nullable<alchemy_diesel::types::Json>,
            price -> alchemy_diesel::types::Decimal,
            share -> Nullable<alchemy_diesel::types::Decimal>,
        }
    }
}

use schema::{event, post, tag};

/// An event (W8), as alchemy-diesel models it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event)]
pub(crate) struct Event {
    id: i64,
    name: String,
    day: chrono::NaiveDate,
    starts: Option<chrono::NaiveTime>,
    payload: Vec<u8>,
    level: i16,
    ratio: Option<f32>,
    settings: serde_json::Value,
    extra: Option<serde_json::Value>,
    price: rust_decimal::Decimal,
    share: Option<rust_decimal::Decimal>,
}

impl_model!(Event, BigIntBase, plain, from fixtures::event_table(), fields(name, day, starts, payload, level, ratio, settings, extra, price, share));

impl BenchEvent for Event {
    fn new(i: usize) -> Self {
        data::event_of!(i)
    }
    fn checked(&self) -> (rust_decimal::Decimal, usize) {
        (self.price, self.payload.len())
    }
}

/// A blog post, as alchemy-diesel models it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = post)]
pub(crate) struct Post {
    id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    title: String,
    content: String,
    published: bool,
}

impl_model!(Post, UuidV7AuditBase, audited, from fixtures::post_table(), fields(title, content, published));

impl BenchPost for Post {
    fn new(title: String, content: &str) -> Self {
        Self {
            id: Uuid::nil(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            title,
            content: content.to_string(),
            published: false,
        }
    }
    fn set_title(&mut self, title: String) {
        self.title = title;
    }
}

/// A tag: unique by name.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tag)]
pub(crate) struct Tag {
    id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    name: String,
    slug: String,
}

impl_model!(Tag, BigIntAuditBase, audited, from fixtures::tag_table(), fields(name, slug));

impl Unique for Tag {
    type UniqueKey = String;
    fn unique_columns() -> &'static [&'static str] {
        &["name"]
    }
    fn unique_key(&self) -> String {
        self.name.clone()
    }
    fn unique_filter(key: &String) -> Condition {
        Condition::eq("name", key.as_str())
    }
    // Lends the name: a cache hit copies nothing.
    fn with_unique_key<R>(&self, f: impl FnOnce(&String) -> R) -> R {
        f(&self.name)
    }
}

/// Posts.
pub(crate) type PostRepository = alchemy_diesel::DieselRepository<Post>;

/// Tags.
pub(crate) type TagRepository = alchemy_diesel::DieselRepository<Tag>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Statements both sides run on their SQLite connection: SQLite's defaults
/// (journal_mode delete, synchronous FULL), foreign keys on, a 5 s busy
/// timeout — the settings of `common::sqlite_options`.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = DELETE; \
                              PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

/// alchemy-diesel, for the generic library workloads.
#[derive(Debug)]
pub(crate) struct Lib;

impl LibBackend for Lib {
    type Db = DieselDb;
    type Post = Post;
    type Tag = Tag;
    type Posts = PostRepository;
    type Tags = TagRepository;
    type Event = Event;
    type Events = alchemy_diesel::DieselRepository<Event>;

    async fn connect(fresh: &Fresh) -> Result<DieselDb, String> {
        match fresh.kind {
            DbKind::Sqlite => {
                // `DieselDb::connect` puts every new SQLite connection in WAL mode;
                // with a pool of one connection (the workloads are
                // sequential), that connection is switched back to SQLite's
                // defaults, as the raw side runs.
                let db = DieselDb::connect_with_pool_size(&fresh.url, 1)
                    .await
                    .map_err(err)?;
                db.batch_execute(SQLITE_PRAGMAS).await.map_err(err)?;
                let mut sess = alchemy_core::Database::begin(&db).await.map_err(err)?;
                if let alchemy_diesel::ConnectionMut::Sqlite(c) = sess.connection().map_err(err)? {
                    check_sqlite_settings(c).await?;
                }
                alchemy_core::Session::rollback(sess).await.map_err(err)?;
                Ok(db)
            }
            DbKind::Postgres => DieselDb::connect_with_pool_size(&fresh.url, 1)
                .await
                .map_err(err),
            DbKind::MariaDb => DieselDb::connect_with_pool_size(&fresh.url, 1)
                .await
                .map_err(err),
        }
    }
    fn posts() -> PostRepository {
        PostRepository::new()
    }
    fn tags() -> TagRepository {
        TagRepository::new()
    }
    fn events() -> Self::Events {
        alchemy_diesel::DieselRepository::new()
    }
    fn tag(name: &str, slug: String) -> Tag {
        Tag {
            id: 0,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            name: name.to_string(),
            slug,
        }
    }
}

/// The raw SQLite connection: diesel's `SqliteConnection` through diesel-async.
type SqliteConn =
    diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;

async fn connect_sqlite(fresh: &Fresh) -> Result<SqliteConn, String> {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let path = fresh
        .url
        .strip_prefix("sqlite://")
        .ok_or_else(|| format!("not a SQLite URL: {}", fresh.url))?;
    let mut conn = SqliteConn::establish(path).await.map_err(err)?;
    conn.batch_execute(SQLITE_PRAGMAS).await.map_err(err)?;
    check_sqlite_settings(&mut conn).await?;
    Ok(conn)
}

/// The SQLite settings in force on a connection.
#[derive(Debug, QueryableByName)]
struct SqliteSettings {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    synchronous: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    foreign_keys: i64,
}

/// Fails unless `conn` runs with SQLite's defaults (journal_mode delete,
/// synchronous FULL) and foreign keys on, as `common::sqlite_options` does.
async fn check_sqlite_settings(conn: &mut SqliteConn) -> Result<(), String> {
    let got: SqliteSettings = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT (SELECT journal_mode FROM pragma_journal_mode) AS journal_mode, \
         (SELECT synchronous FROM pragma_synchronous) AS synchronous, \
         (SELECT foreign_keys FROM pragma_foreign_keys) AS foreign_keys",
        ),
        conn,
    )
    .await
    .map_err(err)?;
    if got.journal_mode != "delete" || got.synchronous != 2 || got.foreign_keys != 1 {
        return Err(format!("SQLite settings not in force: {got:?}"));
    }
    Ok(())
}

async fn connect_postgres(fresh: &Fresh) -> Result<diesel_async::AsyncPgConnection, String> {
    use diesel_async::AsyncConnection;
    diesel_async::AsyncPgConnection::establish(&fresh.url)
        .await
        .map_err(err)
}

async fn connect_mariadb(fresh: &Fresh) -> Result<diesel_async::AsyncMysqlConnection, String> {
    use diesel_async::AsyncConnection;
    diesel_async::AsyncMysqlConnection::establish(&fresh.url)
        .await
        .map_err(err)
}

/// A timestamp as the raw side binds and reads it: `DateTime<Utc>` where
/// diesel maps one (SQLite, PostgreSQL); on MySQL diesel's `Datetime` maps
/// only `NaiveDateTime`, written in UTC (diesel-async's session time zone).
trait Stamp {
    /// Now, to the microsecond the columns keep.
    fn now() -> Self;
}

impl Stamp for DateTime<Utc> {
    fn now() -> Self {
        Utc::now().trunc_subsecs(6)
    }
}

impl Stamp for NaiveDateTime {
    fn now() -> Self {
        Utc::now().trunc_subsecs(6).naive_utc()
    }
}

// MySQL's key of the row an INSERT just made: diesel has no RETURNING there.
diesel::define_sql_function! {
    fn last_insert_id() -> diesel::sql_types::Unsigned<diesel::sql_types::BigInt>;
}

/// Runs a multi-row INSERT: directly on PostgreSQL and MySQL; on SQLite on
/// the wrapped synchronous connection, since diesel's SQLite batch insert
/// is only implemented for diesel's own `RunQueryDsl`.
macro_rules! batch {
    (direct, $c:expr, $q:expr) => {
        $q.execute($c).await
    };
    (blocking, $c:expr, $q:expr) => {{
        let q = $q;
        $c.spawn_blocking(move |c| diesel::RunQueryDsl::execute(q, c))
            .await
    }};
}

/// W1's rows through tokio-postgres's binary `COPY` (diesel-async's
/// PostgreSQL driver; diesel-async itself has no `COPY`), in one
/// transaction on a connection of its own.
async fn copy_posts_postgres(fresh: &Fresh, titles: &[String]) -> Result<u64, String> {
    use futures::SinkExt;
    let (mut client, connection) = tokio_postgres::connect(&fresh.url, tokio_postgres::NoTls)
        .await
        .map_err(err)?;
    let driver = tokio::spawn(connection);
    let now = Utc::now().trunc_subsecs(6);
    let payload = crate::common::copy_posts_binary(titles, data::CONTENT, now);
    let tx = client.transaction().await.map_err(err)?;
    let sink = tx
        .copy_in::<_, bytes::Bytes>(crate::common::COPY_POSTS)
        .await
        .map_err(err)?;
    futures::pin_mut!(sink);
    sink.send(bytes::Bytes::from(payload)).await.map_err(err)?;
    let rows = sink.finish().await.map_err(err)?;
    tx.commit().await.map_err(err)?;
    drop(client);
    driver.await.map_err(err)?.map_err(err)?;
    Ok(rows)
}

/// SQLite has no `COPY`; W1c runs on PostgreSQL only.
async fn copy_posts_sqlite(_: &Fresh, _: &[String]) -> Result<u64, String> {
    Err("W1c runs on PostgreSQL only".into())
}

/// MariaDB has no `COPY`; W1c runs on PostgreSQL only.
async fn copy_posts_mariadb(_: &Fresh, _: &[String]) -> Result<u64, String> {
    Err("W1c runs on PostgreSQL only".into())
}

/// Inserts new posts: multi-row `VALUES` in chunks of 5,000 (`values`), or
/// on PostgreSQL one array per column through `UNNEST` (`unnest`), the form
/// diesel users are pointed to for bulk inserts: one statement text for
/// any number of rows, no bind limit.
macro_rules! insert_posts {
    (values, $batch:ident, $c:expr, $rows:expr) => {
        for chunk in $rows.chunks(5_000) {
            let values: Vec<_> = chunk
                .iter()
                .map(|(k, now, t, content)| {
                    (
                        post::id.eq(id(*k)),
                        post::created_at.eq(*now),
                        post::updated_at.eq(*now),
                        post::title.eq(t.clone()),
                        post::content.eq(content.clone()),
                        post::published.eq(false),
                    )
                })
                .collect();
            batch!($batch, $c, diesel::insert_into(post::table).values(values))?;
        }
    };
    (unnest, $batch:ident, $c:expr, $rows:expr) => {{
        use diesel::sql_types::{Array, Bool, Text, Timestamptz, Uuid as SqlUuid};
        // Each row's values moved into its column's array, not copied.
        let (mut ids, mut stamps, mut titles, mut contents) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (k, now, title, content) in $rows {
            ids.push(k);
            stamps.push(now);
            titles.push(title);
            contents.push(content);
        }
        let published = vec![false; ids.len()];
        diesel::sql_query(
            "INSERT INTO post (id, created_at, updated_at, title, content, published) \
             SELECT * FROM unnest($1, $2, $3, $4, $5, $6)",
        )
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Timestamptz>, _>(&stamps)
        .bind::<Array<Timestamptz>, _>(&stamps)
        .bind::<Array<Text>, _>(titles)
        .bind::<Array<Text>, _>(contents)
        .bind::<Array<Bool>, _>(published)
        .execute($c)
        .await?;
    }};
}

/// Inserts W8's events: multi-row `VALUES` in chunks of 3,000 (30,000
/// binds, under SQLite's 32,766), or on PostgreSQL one array per column
/// through `UNNEST`, as the posts.
macro_rules! insert_events {
    (values, $batch:ident, $c:expr, $events:expr) => {
        for chunk in $events.chunks(3_000) {
            let values: Vec<_> = chunk
                .iter()
                .map(|e: &EventRow| {
                    (
                        event::name.eq(e.name.clone()),
                        event::day.eq(e.day),
                        event::starts.eq(e.starts),
                        event::payload.eq(e.payload.clone()),
                        event::level.eq(e.level),
                        event::ratio.eq(e.ratio),
                        event::settings.eq(e.settings.clone()),
                        event::extra.eq(e.extra.clone()),
                        event::price.eq(decimal(e.price)),
                        event::share.eq(e.share.map(decimal)),
                    )
                })
                .collect();
            batch!($batch, $c, diesel::insert_into(event::table).values(values))?;
        }
    };
    (unnest, $batch:ident, $c:expr, $events:expr) => {{
        use diesel::sql_types::{Array, Binary, Date, Float, Jsonb, Nullable, Numeric, SmallInt, Text, Time};
        let events: &[EventRow] = $events;
        diesel::sql_query(
            "INSERT INTO event (name, day, starts, payload, level, ratio, settings, extra, price, share) \
             SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind::<Array<Text>, _>(events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(events.iter().map(|e| e.day).collect::<Vec<_>>())
        .bind::<Array<Nullable<Time>>, _>(events.iter().map(|e| e.starts).collect::<Vec<_>>())
        .bind::<Array<Binary>, _>(events.iter().map(|e| e.payload.as_slice()).collect::<Vec<_>>())
        .bind::<Array<SmallInt>, _>(events.iter().map(|e| e.level).collect::<Vec<_>>())
        .bind::<Array<Nullable<Float>>, _>(events.iter().map(|e| e.ratio).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(events.iter().map(|e| &e.settings).collect::<Vec<_>>())
        .bind::<Array<Nullable<Jsonb>>, _>(events.iter().map(|e| e.extra.as_ref()).collect::<Vec<_>>())
        .bind::<Array<Numeric>, _>(events.iter().map(|e| e.price).collect::<Vec<_>>())
        .bind::<Array<Nullable<Numeric>>, _>(events.iter().map(|e| e.share).collect::<Vec<_>>())
        .execute($c)
        .await?;
    }};
}

/// A W3 page: diesel's query builder with `count(*) OVER ()` and a count
/// past the end (`dsl`; `escape` binds its character, so MariaDB's
/// backslash escapes in string literals never meet it), or on PostgreSQL
/// `data::W3_PAGE_POSTGRES` through `sql_query` (`one_statement`). Gives
/// the page and the total.
macro_rules! w3_page {
    (dsl, $like:ident, $c:expr, $offset:expr) => {{
        let page: Vec<(PostRow, i64)> = post::table
            .filter(post::title.$like("%7%").escape('\\'))
            .select((PostRow::as_select(), count_star().over()))
            .order(post::created_at.desc())
            .limit(20)
            .offset($offset)
            .load($c)
            .await?;
        // `page.first()` would name diesel's `first` (a query method).
        let total = match <[_]>::first(&page) {
            Some((_, total)) => *total,
            None => {
                post::table
                    .filter(post::title.$like("%7%").escape('\\'))
                    .count()
                    .get_result($c)
                    .await?
            }
        };
        (page.into_iter().map(|(p, _)| p).collect::<Vec<_>>(), total)
    }};
    (one_statement, $like:ident, $c:expr, $offset:expr) => {{
        let mut page: Vec<PageRow> = diesel::sql_query(data::W3_PAGE_POSTGRES)
            .bind::<diesel::sql_types::Text, _>("%7%")
            .bind::<diesel::sql_types::BigInt, _>($offset)
            .load($c)
            .await?;
        let total = <[_]>::first(&page).map_or(0, |r| r.total);
        if total <= $offset {
            // Past the end: the row only carried the total.
            page.clear();
        }
        (page.into_iter().map(|r| r.post).collect::<Vec<_>>(), total)
    }};
}

/// A new tag unless its name exists, and the row made, as a careful diesel
/// user writes it: `INSERT .. ON CONFLICT (name) DO NOTHING RETURNING`
/// (`returning`), or on MySQL, where diesel has neither, `INSERT IGNORE`
/// (`insert_or_ignore_into`) and the new key from `LAST_INSERT_ID()`
/// (`ignore`). `None` when the name exists.
macro_rules! create_tag {
    (returning, $c:expr, $now:expr, $name:expr, $slug:expr) => {
        diesel::insert_into(tag::table)
            .values((
                tag::created_at.eq($now),
                tag::updated_at.eq($now),
                tag::name.eq($name),
                tag::slug.eq($slug),
            ))
            .on_conflict(tag::name)
            .do_nothing()
            .returning(TagRow::as_returning())
            .get_result($c)
            .await
            .optional()?
    };
    (ignore, $c:expr, $now:expr, $name:expr, $slug:expr) => {{
        // The tag table has nothing but the name's duplicate to ignore.
        let inserted = diesel::insert_or_ignore_into(tag::table)
            .values((
                tag::created_at.eq($now),
                tag::updated_at.eq($now),
                tag::name.eq($name),
                tag::slug.eq($slug),
            ))
            .execute($c)
            .await?;
        if inserted == 0 {
            None
        } else {
            let id: u64 = diesel::select(last_insert_id()).get_result($c).await?;
            let id = i64::try_from(id)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
            Some(TagRow {
                id,
                created_at: $now,
                updated_at: $now,
                name: $name.to_string(),
                slug: $slug.to_string(),
            })
        }
    }};
}

/// The same workloads written directly with diesel and diesel-async, as a
/// careful user would: one module per database, with diesel's own SQL types
/// for that database (UUIDs as `BLOB`s and timestamps as text on SQLite;
/// UUIDs as `BINARY(16)` bytes and `DATETIME`s as `NaiveDateTime` on MySQL).
macro_rules! raw {
    ($module:ident, $conn:ty, $connect:ident, batch: $batch:ident, insert: $insert:ident, tag: $tag:ident, w3: $w3:ident, copy: $copy:path, id: $id_sql:ty => $id:ty, ts: $ts_sql:ty => $ts:ty, json: $json_sql:ty, decimal: $decimal_sql:ty => $decimal:ty, like: $like:ident $(, use $extra:path)?) => {
        mod $module {
            use super::*;
            // For the query builder's W3 page (`w3_page!(dsl, ..)`), which PostgreSQL does not use.
            #[allow(unused_imports)]
            use diesel::dsl::count_star;
            use diesel_async::{AsyncConnection, RunQueryDsl};
            $(#[allow(unused_imports)] use $extra;)?

            mod tables {
                diesel::table! {
                    post (id) {
                        id -> $id_sql,
                        created_at -> $ts_sql,
                        updated_at -> $ts_sql,
                        title -> Varchar,
                        content -> Text,
                        published -> Bool,
                    }
                }

                diesel::table! {
                    tag (id) {
                        id -> BigInt,
                        created_at -> $ts_sql,
                        updated_at -> $ts_sql,
                        name -> Varchar,
                        slug -> Varchar,
                    }
                }

                diesel::table! {
                    event (id) {
                        id -> BigInt,
                        name -> Varchar,
                        day -> Date,
                        starts -> Nullable<Time>,
                        payload -> Binary,
                        level -> SmallInt,
                        ratio -> Nullable<Float>,
                        settings -> $json_sql,
                        extra -> Nullable<$json_sql>,
                        price -> $decimal_sql,
                        share -> Nullable<$decimal_sql>,
                    }
                }
            }

            use tables::{event, post, tag};

            /// An event row (W8), in the database's own SQL types.
            #[derive(Debug, Clone, Queryable, Selectable)]
            #[diesel(table_name = event)]
            struct EventRow {
                #[allow(dead_code)] // read, as the library's rows are
                id: i64,
                name: String,
                day: chrono::NaiveDate,
                starts: Option<chrono::NaiveTime>,
                payload: Vec<u8>,
                level: i16,
                ratio: Option<f32>,
                settings: serde_json::Value,
                extra: Option<serde_json::Value>,
                price: rust_decimal::Decimal,
                share: Option<rust_decimal::Decimal>,
            }

            /// A decimal as the query builder binds it for this database.
            #[allow(dead_code)] // PostgreSQL inserts through UNNEST
            fn decimal(d: rust_decimal::Decimal) -> $decimal {
                <$decimal>::from(d)
            }

            impl EventRow {
                /// Event `i` of `data::event`.
                fn new(i: usize) -> Self {
                    data::event_of!(i)
                }
            }

            type Conn = $conn;
            type Id = $id;
            type Ts = $ts;
            type QResult<T> = diesel::QueryResult<T>;

            fn id(u: Uuid) -> Id {
                u.into()
            }

            /// A post row.
            #[derive(Debug, Queryable, Selectable, QueryableByName)]
            #[diesel(table_name = post)]
            struct PostRow {
                id: Id,
                created_at: Ts,
                updated_at: Ts,
                title: String,
                content: String,
                published: bool,
            }

            /// A W3 page row read by `sql_query`: the post and the total.
            #[allow(dead_code)] // SQLite pages are read through the query builder
            #[derive(Debug, QueryableByName)]
            struct PageRow {
                #[diesel(embed)]
                post: PostRow,
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                total: i64,
            }

            impl PostRow {
                /// Whether the row was read whole (every field is used).
                fn is_whole(&self) -> bool {
                    self.updated_at >= self.created_at && !self.title.is_empty() && !self.content.is_empty() && !self.published
                }
            }

            fn now() -> Ts {
                <Ts as Stamp>::now()
            }

            async fn insert_posts(c: &mut Conn, titles: &[String], content: &str, keys: &mut Vec<Id>) -> QResult<()> {
                let now = now();
                let rows: Vec<_> = titles
                    .iter()
                    .map(|t| {
                        let k = Uuid::now_v7();
                        keys.push(id(k));
                        (k, now, t.clone(), content.to_string())
                    })
                    .collect();
                insert_posts!($insert, $batch, c, rows);
                Ok(())
            }

            async fn seed(c: &mut Conn, titles: Vec<String>) -> Result<Vec<Id>, String> {
                let titles = &titles;
                c.transaction(async move |c| {
                    let mut keys = Vec::with_capacity(titles.len());
                    insert_posts(c, titles, data::CONTENT, &mut keys).await?;
                    Ok::<_, diesel::result::Error>(keys)
                })
                .await
                .map_err(err)
            }

            /// A tag row (decoded whole, as the library's rows are; not read further).
            #[allow(dead_code)]
            #[derive(Debug, Clone, Queryable, Selectable)]
            #[diesel(table_name = tag)]
            struct TagRow {
                id: i64,
                created_at: Ts,
                updated_at: Ts,
                name: String,
                slug: String,
            }

            /// The tag row (as the library returns it), found or inserted.
            async fn get_or_create(c: &mut Conn, name: &str, slug: &str) -> QResult<TagRow> {
                let found = tag::table.filter(tag::name.eq(name)).select(TagRow::as_select()).first(c).await.optional()?;
                if let Some(row) = found {
                    return Ok(row);
                }
                let now = now();
                let made = create_tag!($tag, c, now, name, slug);
                match made {
                    Some(row) => Ok(row),
                    None => tag::table.filter(tag::name.eq(name)).select(TagRow::as_select()).first(c).await,
                }
            }

            pub(super) async fn run(workload: Workload, fresh: &Fresh, s: &Settings) -> Result<Run, String> {
                let mut conn = $connect(fresh).await?;
                let c = &mut conn;
                let run = match workload {
                    Workload::W1 => {
                        let n = s.n(10_000);
                        let titles: Vec<String> = (0..n).map(data::title).collect();
                        let (_, seconds, usage) = timed(async { seed(c, titles).await.map(drop) }).await?;
                        let rows: i64 = post::table.count().get_result(c).await.map_err(err)?;
                        Run { seconds, usage, check: json!({"rows": rows, "ok": is(rows, n)}) }
                    }
                    Workload::W1c => {
                        let n = s.n(10_000);
                        let titles: Vec<String> = (0..n).map(data::title).collect();
                        let (_, seconds, usage) = timed($copy(fresh, &titles)).await?;
                        let rows: i64 = post::table.count().get_result(c).await.map_err(err)?;
                        Run { seconds, usage, check: json!({"rows": rows, "ok": is(rows, n)}) }
                    }
                    Workload::W2 | Workload::W2b => {
                        let calls = if workload == Workload::W2 { s.n(10_000) } else { s.n(2_000) };
                        let names = data::tag_names(s.n(500));
                        let slugs: Vec<String> = names.iter().map(|n| slugify(n)).collect::<Result<_, _>>().map_err(err)?;
                        let (names_ref, slugs_ref) = (&names, &slugs);
                        let (_, seconds, usage) = timed(async {
                            if workload == Workload::W2 {
                                // One transaction; repeats answered from a map keyed by name, as a
                                // careful user would (the library's cache is keyed by name too).
                                c.transaction(async move |c| {
                                    let mut seen: std::collections::HashMap<&str, TagRow> = std::collections::HashMap::new();
                                    for i in 0..calls {
                                        let k = i % names_ref.len();
                                        let _tag: TagRow = match seen.get(names_ref[k].as_str()) {
                                            Some(row) => row.clone(),
                                            None => {
                                                let row = get_or_create(c, &names_ref[k], &slugs_ref[k]).await?;
                                                seen.insert(names_ref[k].as_str(), row.clone());
                                                row
                                            }
                                        };
                                    }
                                    Ok::<_, diesel::result::Error>(())
                                })
                                .await
                                .map_err(err)
                            } else {
                                for i in 0..calls {
                                    let k = i % names_ref.len();
                                    c.transaction(async |c| get_or_create(c, &names_ref[k], &slugs_ref[k]).await.map(drop))
                                        .await
                                        .map_err(err)?;
                                }
                                Ok(())
                            }
                        })
                        .await?;
                        let rows: i64 = tag::table.count().get_result(c).await.map_err(err)?;
                        Run { seconds, usage, check: json!({"rows": rows, "ok": is(rows, names.len().min(calls))}) }
                    }
                    Workload::W3 => {
                        let rows = s.n(10_000);
                        seed(c, (0..rows).map(data::title).collect()).await?;
                        let calls = s.n(1_000);
                        let (sums, seconds, usage) = timed(async {
                            c.transaction(async move |c| {
                                let (mut totals, mut items) = (0u64, 0usize);
                                for k in 0..calls {
                                    let offset = i64::try_from(data::w3_offset(k, rows)).unwrap_or(i64::MAX);
                                    let (page, total) = w3_page!($w3, $like, c, offset);
                                    totals += u64::try_from(total).unwrap_or(0);
                                    items += page.iter().filter(|p| p.is_whole()).count();
                                }
                                Ok::<_, diesel::result::Error>((totals, items))
                            })
                            .await
                            .map_err(err)
                        })
                        .await?;
                        let want = data::w3_expected(rows, calls);
                        Run { seconds, usage, check: json!({"totals": sums.0, "items": sums.1, "ok": sums == want}) }
                    }
                    Workload::W4 => {
                        let n = s.n(1_000);
                        let keys = seed(c, (0..n).map(data::title).collect()).await?;
                        let (_, seconds, usage) = timed(async {
                            for (i, key) in keys.iter().enumerate() {
                                let title = format!("{} (edited)", data::title(i));
                                c.transaction(async move |c| {
                                    diesel::update(post::table.find(key))
                                        .set((post::title.eq(title), post::updated_at.eq(now())))
                                        .execute(c)
                                        .await
                                })
                                .await
                                .map_err(err)?;
                            }
                            Ok(())
                        })
                        .await?;
                        let bumped: i64 = post::table
                            .filter(post::updated_at.gt(post::created_at))
                            .filter(post::title.like("% (edited)"))
                            .count()
                            .get_result(c)
                            .await
                            .map_err(err)?;
                        Run { seconds, usage, check: json!({"bumped": bumped, "ok": is(bumped, n)}) }
                    }
                    Workload::W5 => {
                        let n = s.n(10_000);
                        seed(c, (0..n / 2).map(data::upsert_title).collect()).await?;
                        let titles: Vec<String> = (0..n).map(data::upsert_title).collect();
                        let titles = &titles;
                        let (done, seconds, usage) = timed(async {
                            c.transaction(async move |c| {
                                // Which titles exist, then update those and insert the rest.
                                let mut existing = std::collections::HashMap::new();
                                for chunk in titles.chunks(10_000) {
                                    let found: Vec<(Id, String)> = post::table
                                        .filter(post::title.eq_any(chunk))
                                        .select((post::id, post::title))
                                        .load(c)
                                        .await?;
                                    for (k, t) in found {
                                        existing.insert(t, k);
                                    }
                                }
                                let now = now();
                                let (old, new): (Vec<&String>, Vec<&String>) = titles.iter().partition(|t| existing.contains_key(*t));
                                // Every matched row gets the same values: one UPDATE per chunk of keys.
                                let old_keys: Vec<Id> = old.iter().filter_map(|t| existing.get(*t).cloned()).collect();
                                for chunk in old_keys.chunks(5_000) {
                                    diesel::update(post::table.filter(post::id.eq_any(chunk)))
                                        .set((post::content.eq("upserted"), post::updated_at.eq(now)))
                                        .execute(c)
                                        .await?;
                                }
                                let new_titles: Vec<String> = new.iter().map(|t| (*t).clone()).collect();
                                let mut keys = Vec::with_capacity(new_titles.len());
                                insert_posts(c, &new_titles, "upserted", &mut keys).await?;
                                Ok::<_, diesel::result::Error>((new.len(), old.len()))
                            })
                            .await
                            .map_err(err)
                        })
                        .await?;
                        let rows: i64 = post::table.filter(post::content.eq("upserted")).count().get_result(c).await.map_err(err)?;
                        Run { seconds, usage, check: json!({"rows": rows, "created": done.0, "updated": done.1, "ok": is(rows, n) && done.0 == n - n / 2}) }
                    }
                    Workload::W6 => {
                        let keys = seed(c, (0..s.n(5_000)).map(data::title).collect()).await?;
                        let keys = &keys;
                        let (found, seconds, usage) = timed(async {
                            c.transaction(async move |c| {
                                let mut found = 0usize;
                                for k in keys {
                                    // diesel prepares this once and reuses it from its statement cache.
                                    let p: PostRow = post::table.find(k).select(PostRow::as_select()).first(c).await?;
                                    if p.id == *k && p.is_whole() {
                                        found += 1;
                                    }
                                }
                                Ok::<_, diesel::result::Error>(found)
                            })
                            .await
                            .map_err(err)
                        })
                        .await?;
                        Run { seconds, usage, check: json!({"found": found, "ok": found == keys.len()}) }
                    }
                    Workload::W7k | Workload::W7o => {
                        let n = data::walk_rows(s);
                        seed(c, (0..n).map(data::title).collect()).await?;
                        let page = data::WALK_PAGE;
                        let limit = i64::try_from(page).unwrap_or(i64::MAX);
                        let (walked, seconds, usage) = timed(async {
                            c.transaction(async move |c| {
                                let (mut rows, mut pages) = (0usize, 0i64);
                                if workload == Workload::W7k {
                                    // One row past the page says whether another follows.
                                    let mut after: Option<Id> = None;
                                    loop {
                                        let query = post::table.select(PostRow::as_select()).order(post::id).limit(limit + 1);
                                        let mut got: Vec<PostRow> = match after.take() {
                                            None => query.load(c).await?,
                                            Some(k) => query.filter(post::id.gt(k)).load(c).await?,
                                        };
                                        let more = got.len() > page;
                                        got.truncate(page);
                                        rows += got.iter().filter(|p| p.is_whole()).count();
                                        crate::common::page_done();
                                        match got.pop() {
                                            Some(last) if more => after = Some(last.id),
                                            _ => break,
                                        }
                                    }
                                } else {
                                    loop {
                                        let got: Vec<PostRow> = post::table
                                            .select(PostRow::as_select())
                                            .order(post::id)
                                            .limit(limit)
                                            .offset(pages * limit)
                                            .load(c)
                                            .await?;
                                        rows += got.iter().filter(|p| p.is_whole()).count();
                                        pages += 1;
                                        crate::common::page_done();
                                        if got.len() < page {
                                            break;
                                        }
                                    }
                                }
                                Ok::<_, diesel::result::Error>(rows)
                            })
                            .await
                            .map_err(err)
                        })
                        .await?;
                        Run { seconds, usage, check: json!({"rows": walked, "ok": walked == n}) }
                    }
                    Workload::W8 => {
                        let n = s.n(10_000);
                        let input: Vec<EventRow> = (0..n).map(EventRow::new).collect();
                        let input = &input;
                        let (read, seconds, usage) = timed(async {
                            c.transaction(async move |c| {
                                insert_events!($insert, $batch, c, input);
                                Ok::<_, diesel::result::Error>(())
                            })
                            .await
                            .map_err(err)?;
                            c.transaction(async move |c| {
                                event::table.select(EventRow::as_select()).load::<EventRow>(c).await
                            })
                            .await
                            .map_err(err)
                        })
                        .await?;
                        Run { seconds, usage, check: data::w8_check(read.iter().map(|e| (e.price, e.payload.len())), n) }
                    }
                };
                Ok(run)
            }
        }
    };
}

raw!(raw_sqlite, SqliteConn, connect_sqlite, batch: blocking, insert: values, tag: returning, w3: dsl, copy: copy_posts_sqlite, id: diesel::sql_types::Binary => Vec<u8>, ts: diesel::sql_types::TimestamptzSqlite => DateTime<Utc>, json: diesel::sql_types::Json, decimal: alchemy_diesel::types::Decimal => alchemy_diesel::types::DecimalValue, like: like);
raw!(raw_postgres, diesel_async::AsyncPgConnection, connect_postgres, batch: direct, insert: unnest, tag: returning, w3: one_statement, copy: copy_posts_postgres, id: diesel::sql_types::Uuid => Uuid, ts: diesel::sql_types::Timestamptz => DateTime<Utc>, json: diesel::sql_types::Jsonb, decimal: diesel::sql_types::Numeric => rust_decimal::Decimal, like: ilike, use diesel::PgTextExpressionMethods);
raw!(raw_mariadb, diesel_async::AsyncMysqlConnection, connect_mariadb, batch: direct, insert: values, tag: ignore, w3: dsl, copy: copy_posts_mariadb, id: diesel::sql_types::Binary => Vec<u8>, ts: diesel::sql_types::Datetime => NaiveDateTime, json: diesel::sql_types::Json, decimal: diesel::sql_types::Numeric => rust_decimal::Decimal, like: like);

/// Every workload on `kind`, library and raw alternating.
pub(crate) async fn run(kind: DbKind, s: &Settings) -> Result<Vec<serde_json::Value>, String> {
    let mut lines = Vec::new();
    for (workload, ops) in data::workloads(s, kind) {
        let lib = || async move {
            let fresh = Fresh::new(kind, s).await?;
            let run = library::run::<Lib>(workload, &fresh, s).await;
            fresh.remove().await;
            run
        };
        let raw = || async move {
            let fresh = Fresh::new(kind, s).await?;
            let run = match kind {
                DbKind::Sqlite => raw_sqlite::run(workload, &fresh, s).await,
                DbKind::Postgres => raw_postgres::run(workload, &fresh, s).await,
                DbKind::MariaDb => raw_mariadb::run(workload, &fresh, s).await,
            };
            fresh.remove().await;
            run
        };
        lines.push(measure("diesel", kind, workload, ops, s, lib, raw).await?);
    }
    Ok(lines)
}
