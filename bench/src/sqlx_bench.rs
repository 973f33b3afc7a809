//! The workloads through alchemy-sqlx and through sqlx by hand.

use alchemy_conformance::fixtures;
use alchemy_core::base::{BigIntAuditBase, BigIntBase, UuidV7AuditBase};
use alchemy_core::filter::Condition;
use alchemy_core::impl_model;
use alchemy_core::slug::slugify;
use alchemy_core::unique::Unique;
use alchemy_sqlx::{SqlxBackend, SqlxDb, SqlxRepository};
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::json;
use sqlx::pool::PoolOptions;
use uuid::Uuid;

use crate::common::{DbKind, Fresh, Run, Settings, is, measure, sqlite_options, timed};
use crate::data::{self, Workload};
use crate::library::{self, BenchEvent, BenchPost, LibBackend};

#[derive(Debug, Clone, sqlx::FromRow)]
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

#[derive(Debug, Clone, sqlx::FromRow)]
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

/// An event (W8): the `event` table's columns as sqlx decodes them.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    price: alchemy_sqlx::types::Decimal,
    share: Option<alchemy_sqlx::types::Decimal>,
}

impl_model!(Event, BigIntBase, plain, from fixtures::event_table(), fields(name, day, starts, payload, level, ratio, settings, extra, price, share));

impl BenchEvent for Event {
    fn new(i: usize) -> Self {
        data::event_of!(i)
    }
    fn checked(&self) -> (rust_decimal::Decimal, usize) {
        (*self.price, self.payload.len())
    }
}

/// W8's read: every event, every column.
const SELECT_EVENTS: &str =
    "SELECT id, name, day, starts, payload, level, ratio, settings, extra, price, share FROM event";

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn pool<DB: SqlxBackend>(fresh: &Fresh) -> Result<sqlx::Pool<DB>, String> {
    // Both sides get the same pool: SQLite's default pragmas (no WAL) and one
    // connection — the workloads are sequential, and with more a `begin` right
    // after a commit can open a new connection while the last one is still on
    // its way back to the pool (~10 ms each on PostgreSQL).
    let any: Box<dyn std::any::Any> = match fresh.kind {
        DbKind::Sqlite => Box::new(
            PoolOptions::<sqlx::Sqlite>::new()
                .max_connections(1)
                .connect_with(sqlite_options(&fresh.url)?)
                .await
                .map_err(err)?,
        ),
        DbKind::Postgres => Box::new(
            PoolOptions::<sqlx::Postgres>::new()
                .max_connections(1)
                .connect(&fresh.url)
                .await
                .map_err(err)?,
        ),
        DbKind::MariaDb => Box::new(
            PoolOptions::<sqlx::MySql>::new()
                .max_connections(1)
                .connect(&fresh.url)
                .await
                .map_err(err)?,
        ),
    };
    any.downcast::<sqlx::Pool<DB>>()
        .map(|b| *b)
        .map_err(|_| "pool of the wrong database".to_string())
}

/// alchemy-sqlx on database `DB`, for the generic library workloads.
pub(crate) struct Lib<DB>(std::marker::PhantomData<DB>);

impl<DB: SqlxBackend> LibBackend for Lib<DB> {
    type Db = SqlxDb<DB>;
    type Post = Post;
    type Tag = Tag;
    type Posts = SqlxRepository<Post, DB>;
    type Tags = SqlxRepository<Tag, DB>;
    type Event = Event;
    type Events = SqlxRepository<Event, DB>;

    async fn connect(fresh: &Fresh) -> Result<Self::Db, String> {
        Ok(SqlxDb::from_pool(pool::<DB>(fresh).await?))
    }
    fn posts() -> Self::Posts {
        SqlxRepository::new()
    }
    fn tags() -> Self::Tags {
        SqlxRepository::new()
    }
    fn events() -> Self::Events {
        SqlxRepository::new()
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

/// New posts on SQLite, as a careful sqlx user writes them: one multi-row
/// `VALUES` per 5,000 rows (30,000 binds, under SQLite's 32,766).
async fn insert_posts_sqlite(
    conn: &mut sqlx::SqliteConnection,
    titles: &[String],
    content: &str,
    now: DateTime<Utc>,
    keys: &mut Vec<Uuid>,
) -> Result<(), String> {
    for chunk in titles.chunks(5_000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO post (id, created_at, updated_at, title, content, published) ",
        );
        qb.push_values(chunk, |mut b, t| {
            let id = Uuid::now_v7();
            keys.push(id);
            b.push_bind(id)
                .push_bind(now)
                .push_bind(now)
                .push_bind(t.clone())
                .push_bind(content.to_string())
                .push_bind(false);
        });
        qb.build().execute(&mut *conn).await.map_err(err)?;
    }
    Ok(())
}

/// New posts on PostgreSQL in the form sqlx's FAQ recommends for bulk
/// inserts: one array per column through `UNNEST`, one statement.
async fn insert_posts_postgres(
    conn: &mut sqlx::PgConnection,
    titles: &[String],
    content: &str,
    now: DateTime<Utc>,
    keys: &mut Vec<Uuid>,
) -> Result<(), String> {
    let start = keys.len();
    keys.extend(titles.iter().map(|_| Uuid::now_v7()));
    let stamps = vec![now; titles.len()];
    sqlx::query(
        "INSERT INTO post (id, created_at, updated_at, title, content, published) \
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::bool[])",
    )
    .bind(&keys[start..])
    .bind(&stamps)
    .bind(&stamps)
    .bind(titles)
    .bind(vec![content; titles.len()])
    .bind(vec![false; titles.len()])
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    Ok(())
}

/// W5 on SQLite, as a careful sqlx user writes it: which titles exist (one
/// `IN` list per 10,000), then one `UPDATE .. FROM (VALUES ..)` and one
/// multi-row `INSERT` per 5,000 rows. Returns (created, updated).
async fn upsert_posts_sqlite(
    conn: &mut sqlx::SqliteConnection,
    titles: &[String],
    now: DateTime<Utc>,
) -> Result<(usize, usize), String> {
    use sqlx::{QueryBuilder, Row, Sqlite};
    let mut existing = std::collections::HashMap::new();
    for chunk in titles.chunks(10_000) {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT id, title FROM post WHERE title IN (");
        let mut sep = qb.separated(", ");
        for t in chunk {
            sep.push_bind(t.clone());
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await.map_err(err)? {
            existing.insert(
                r.try_get::<String, _>("title").map_err(err)?,
                r.try_get::<Uuid, _>("id").map_err(err)?,
            );
        }
    }
    let (old, new): (Vec<&String>, Vec<&String>) =
        titles.iter().partition(|t| existing.contains_key(*t));
    for chunk in old.chunks(5_000) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "UPDATE post SET content = v.column2, updated_at = v.column3 FROM (",
        );
        qb.push_values(chunk, |mut b, t| {
            b.push_bind(existing[*t])
                .push_bind("upserted")
                .push_bind(now);
        });
        qb.push(") AS v WHERE post.id = v.column1");
        qb.build().execute(&mut *conn).await.map_err(err)?;
    }
    let new: Vec<String> = new.into_iter().cloned().collect();
    insert_posts_sqlite(conn, &new, "upserted", now, &mut Vec::new()).await?;
    Ok((new.len(), old.len()))
}

/// W5 on PostgreSQL with arrays, as sqlx's FAQ recommends: which titles
/// exist (`= ANY($1)`), one `UPDATE .. WHERE id = ANY($3)` (every matched
/// row gets the same values) and one `UNNEST` insert. Returns (created,
/// updated).
async fn upsert_posts_postgres(
    conn: &mut sqlx::PgConnection,
    titles: &[String],
    now: DateTime<Utc>,
) -> Result<(usize, usize), String> {
    let found: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, title FROM post WHERE title = ANY($1)")
            .bind(titles)
            .fetch_all(&mut *conn)
            .await
            .map_err(err)?;
    let existing: std::collections::HashSet<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
    let keys: Vec<Uuid> = found.iter().map(|(k, _)| *k).collect();
    sqlx::query("UPDATE post SET content = $1, updated_at = $2 WHERE id = ANY($3)")
        .bind("upserted")
        .bind(now)
        .bind(&keys)
        .execute(&mut *conn)
        .await
        .map_err(err)?;
    let new: Vec<String> = titles
        .iter()
        .filter(|t| !existing.contains(t.as_str()))
        .cloned()
        .collect();
    insert_posts_postgres(conn, &new, "upserted", now, &mut Vec::new()).await?;
    Ok((new.len(), keys.len()))
}

/// W8's events on SQLite, as a careful sqlx user writes them: one
/// multi-row `VALUES` per 3,000 rows (30,000 binds, under SQLite's
/// 32,766); the decimal as the `REAL` its column is.
async fn insert_events_sqlite(
    conn: &mut sqlx::SqliteConnection,
    events: &[Event],
) -> Result<(), String> {
    for chunk in events.chunks(3_000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO event (name, day, starts, payload, level, ratio, settings, extra, price, share) ",
        );
        qb.push_values(chunk, |mut b, e| {
            b.push_bind(e.name.as_str())
                .push_bind(e.day)
                .push_bind(e.starts)
                .push_bind(e.payload.as_slice())
                .push_bind(e.level)
                .push_bind(e.ratio)
                .push_bind(sqlx::types::Json(&e.settings))
                .push_bind(e.extra.as_ref().map(sqlx::types::Json))
                .push_bind(e.price)
                .push_bind(e.share);
        });
        qb.build().execute(&mut *conn).await.map_err(err)?;
    }
    Ok(())
}

/// W8's events on PostgreSQL with one array per column through `UNNEST`,
/// as sqlx's FAQ recommends for bulk inserts.
async fn insert_events_postgres(
    conn: &mut sqlx::PgConnection,
    events: &[Event],
) -> Result<(), String> {
    use sqlx::types::Json;
    sqlx::query(
        "INSERT INTO event (name, day, starts, payload, level, ratio, settings, extra, price, share)          SELECT * FROM unnest($1::text[], $2::date[], $3::time[], $4::bytea[], $5::int2[],          $6::float4[], $7::jsonb[], $8::jsonb[], $9::numeric[], $10::numeric[])",
    )
    .bind(events.iter().map(|e| e.name.as_str()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.day).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.starts).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.payload.as_slice()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.level).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.ratio).collect::<Vec<_>>())
    .bind(events.iter().map(|e| Json(&e.settings)).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.extra.as_ref().map(Json)).collect::<Vec<_>>())
    .bind(events.iter().map(|e| *e.price).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.share.map(|s| *s)).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .map_err(err)?;
    Ok(())
}

/// SQLite has no `COPY`; W1c runs on PostgreSQL only.
async fn copy_posts_sqlite(_: &sqlx::SqlitePool, _: &[String]) -> Result<u64, String> {
    Err("W1c runs on PostgreSQL only".into())
}

/// The raw side's statements with numbered placeholders (`$1`), which
/// PostgreSQL and SQLite take.
mod numbered {
    pub(super) const GET_TAG: &str =
        "SELECT id, created_at, updated_at, name, slug FROM tag WHERE name = $1";
    pub(super) const INSERT_TAG: &str = "INSERT INTO tag (created_at, updated_at, name, slug) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING \
         RETURNING id, created_at, updated_at, name, slug";
    pub(super) const W3_PAGE: &str = "SELECT id, created_at, updated_at, title, content, published, \
         count(*) OVER () AS total FROM post WHERE title LIKE $1 ESCAPE '\\' \
         ORDER BY created_at DESC LIMIT 20 OFFSET $2";
    pub(super) const W3_COUNT: &str = "SELECT count(*) FROM post WHERE title LIKE $1 ESCAPE '\\'";
    pub(super) const UPDATE_TITLE: &str =
        "UPDATE post SET title = $1, updated_at = $2 WHERE id = $3";
    pub(super) const GET_POST: &str =
        "SELECT id, created_at, updated_at, title, content, published FROM post WHERE id = $1";
    pub(super) const KEYSET_FIRST: &str = "SELECT id, created_at, updated_at, title, content, published FROM post ORDER BY id LIMIT $1";
    pub(super) const KEYSET_AFTER: &str = "SELECT id, created_at, updated_at, title, content, published \
         FROM post WHERE id > $1 ORDER BY id LIMIT $2";
    pub(super) const OFFSET_PAGE: &str = "SELECT id, created_at, updated_at, title, content, published \
         FROM post ORDER BY id LIMIT $1 OFFSET $2";
}

/// The same statements for MariaDB: `?` placeholders, a backslash escape
/// written `'\\'` in its string literals, and get-or-create's insert as
/// MariaDB users write it (`INSERT IGNORE .. RETURNING` returns no row for
/// a duplicate; the tag table has nothing else it could ignore).
mod question {
    pub(super) const GET_TAG: &str =
        "SELECT id, created_at, updated_at, name, slug FROM tag WHERE name = ?";
    pub(super) const INSERT_TAG: &str = "INSERT IGNORE INTO tag (created_at, updated_at, name, slug) \
         VALUES (?, ?, ?, ?) RETURNING id, created_at, updated_at, name, slug";
    pub(super) const W3_PAGE: &str = "SELECT id, created_at, updated_at, title, content, published, \
         count(*) OVER () AS total FROM post WHERE title LIKE ? ESCAPE '\\\\' \
         ORDER BY created_at DESC LIMIT 20 OFFSET ?";
    pub(super) const W3_COUNT: &str = "SELECT count(*) FROM post WHERE title LIKE ? ESCAPE '\\\\'";
    pub(super) const UPDATE_TITLE: &str = "UPDATE post SET title = ?, updated_at = ? WHERE id = ?";
    pub(super) const GET_POST: &str =
        "SELECT id, created_at, updated_at, title, content, published FROM post WHERE id = ?";
    pub(super) const KEYSET_FIRST: &str = "SELECT id, created_at, updated_at, title, content, published FROM post ORDER BY id LIMIT ?";
    pub(super) const KEYSET_AFTER: &str = "SELECT id, created_at, updated_at, title, content, published \
         FROM post WHERE id > ? ORDER BY id LIMIT ?";
    pub(super) const OFFSET_PAGE: &str = "SELECT id, created_at, updated_at, title, content, published \
         FROM post ORDER BY id LIMIT ? OFFSET ?";
}

/// New posts on MariaDB, as a careful sqlx user writes them: one multi-row
/// `VALUES` per 5,000 rows (30,000 binds, under its 65,535).
async fn insert_posts_mariadb(
    conn: &mut sqlx::MySqlConnection,
    titles: &[String],
    content: &str,
    now: DateTime<Utc>,
    keys: &mut Vec<Uuid>,
) -> Result<(), String> {
    for chunk in titles.chunks(5_000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::MySql>::new(
            "INSERT INTO post (id, created_at, updated_at, title, content, published) ",
        );
        qb.push_values(chunk, |mut b, t| {
            let id = Uuid::now_v7();
            keys.push(id);
            // A DATETIME: sqlx sends a DateTime<Utc> as a TIMESTAMP.
            b.push_bind(id)
                .push_bind(now.naive_utc())
                .push_bind(now.naive_utc())
                .push_bind(t.clone())
                .push_bind(content.to_string())
                .push_bind(false);
        });
        qb.build().execute(&mut *conn).await.map_err(err)?;
    }
    Ok(())
}

/// W5 on MariaDB, as a careful sqlx user writes it: which titles exist (one
/// `IN` list per 10,000), one `UPDATE .. WHERE id IN (..)` per 10,000 (every
/// matched row gets the same values) and the new rows' multi-row `INSERT`s.
/// Returns (created, updated).
async fn upsert_posts_mariadb(
    conn: &mut sqlx::MySqlConnection,
    titles: &[String],
    now: DateTime<Utc>,
) -> Result<(usize, usize), String> {
    use sqlx::{MySql, QueryBuilder, Row};
    let mut existing = std::collections::HashMap::new();
    for chunk in titles.chunks(10_000) {
        let mut qb = QueryBuilder::<MySql>::new("SELECT id, title FROM post WHERE title IN (");
        let mut sep = qb.separated(", ");
        for t in chunk {
            sep.push_bind(t.clone());
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await.map_err(err)? {
            existing.insert(
                r.try_get::<String, _>("title").map_err(err)?,
                r.try_get::<Uuid, _>("id").map_err(err)?,
            );
        }
    }
    let keys: Vec<Uuid> = existing.values().copied().collect();
    for chunk in keys.chunks(10_000) {
        let mut qb = QueryBuilder::<MySql>::new("UPDATE post SET content = ");
        qb.push_bind("upserted")
            .push(", updated_at = ")
            .push_bind(now.naive_utc())
            .push(" WHERE id IN (");
        let mut sep = qb.separated(", ");
        for k in chunk {
            sep.push_bind(*k);
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await.map_err(err)?;
    }
    let new: Vec<String> = titles
        .iter()
        .filter(|t| !existing.contains_key(*t))
        .cloned()
        .collect();
    insert_posts_mariadb(conn, &new, "upserted", now, &mut Vec::new()).await?;
    Ok((new.len(), keys.len()))
}

/// W8's events on MariaDB, as a careful sqlx user writes them: one
/// multi-row `VALUES` per 5,000 rows (50,000 binds, under its 65,535).
async fn insert_events_mariadb(
    conn: &mut sqlx::MySqlConnection,
    events: &[Event],
) -> Result<(), String> {
    for chunk in events.chunks(5_000) {
        let mut qb = sqlx::QueryBuilder::<sqlx::MySql>::new(
            "INSERT INTO event (name, day, starts, payload, level, ratio, settings, extra, price, share) ",
        );
        qb.push_values(chunk, |mut b, e| {
            b.push_bind(e.name.as_str())
                .push_bind(e.day)
                .push_bind(e.starts)
                .push_bind(e.payload.as_slice())
                .push_bind(e.level)
                .push_bind(e.ratio)
                .push_bind(sqlx::types::Json(&e.settings))
                .push_bind(e.extra.as_ref().map(sqlx::types::Json))
                .push_bind(e.price)
                .push_bind(e.share);
        });
        qb.build().execute(&mut *conn).await.map_err(err)?;
    }
    Ok(())
}

/// MariaDB has no `COPY`; W1c runs on PostgreSQL only.
async fn copy_posts_mariadb(_: &sqlx::MySqlPool, _: &[String]) -> Result<u64, String> {
    Err("W1c runs on PostgreSQL only".into())
}

/// The same workloads written directly with sqlx, as a careful user would:
/// one module per database, so every query is concrete.
macro_rules! raw {
    ($module:ident, $db:ty, $sql:ident, $insert_posts:path, $upsert_posts:path, $copy_posts:path, $insert_events:path) => {
        mod $module {
            use super::*;
            use sqlx::Row;

            type Db = $db;

            fn now() -> DateTime<Utc> {
                Utc::now().trunc_subsecs(6)
            }

            async fn seed(pool: &sqlx::Pool<Db>, titles: Vec<String>) -> Result<Vec<Uuid>, String> {
                let mut tx = pool.begin().await.map_err(err)?;
                let now = now();
                let mut keys = Vec::with_capacity(titles.len());
                $insert_posts(&mut *tx, &titles, data::CONTENT, now, &mut keys).await?;
                tx.commit().await.map_err(err)?;
                Ok(keys)
            }

            async fn scalar(pool: &sqlx::Pool<Db>, sql: &'static str) -> Result<i64, String> {
                sqlx::query_scalar::<Db, i64>(sql).fetch_one(pool).await.map_err(err)
            }

            /// The tag row (as the library returns it), found or inserted.
            async fn get_or_create(tx: &mut sqlx::Transaction<'_, Db>, name: &str, slug: &str) -> Result<Tag, String> {
                let found: Option<Tag> = sqlx::query_as($sql::GET_TAG).bind(name).fetch_optional(&mut **tx).await.map_err(err)?;
                if let Some(tag) = found {
                    return Ok(tag);
                }
                let now = now();
                let made: Option<Tag> = sqlx::query_as($sql::INSERT_TAG)
                    .bind(now).bind(now).bind(name).bind(slug)
                    .fetch_optional(&mut **tx).await.map_err(err)?;
                match made {
                    Some(tag) => Ok(tag),
                    None => sqlx::query_as($sql::GET_TAG).bind(name).fetch_one(&mut **tx).await.map_err(err),
                }
            }

            pub(super) async fn run(workload: Workload, fresh: &Fresh, s: &Settings) -> Result<Run, String> {
                let pool = pool::<Db>(fresh).await?;
                let run = match workload {
                    Workload::W1 => {
                        let n = s.n(10_000);
                        let titles: Vec<String> = (0..n).map(data::title).collect();
                        let (_, seconds, usage) = timed(async { seed(&pool, titles).await.map(drop) }).await?;
                        let rows = scalar(&pool, "SELECT count(*) FROM post").await?;
                        Run { seconds, usage, check: json!({"rows": rows, "ok": is(rows, n)}) }
                    }
                    Workload::W1c => {
                        let n = s.n(10_000);
                        let titles: Vec<String> = (0..n).map(data::title).collect();
                        let (_, seconds, usage) = timed($copy_posts(&pool, &titles)).await?;
                        let rows = scalar(&pool, "SELECT count(*) FROM post").await?;
                        Run { seconds, usage, check: json!({"rows": rows, "ok": is(rows, n)}) }
                    }
                    Workload::W2 | Workload::W2b => {
                        let calls = if workload == Workload::W2 { s.n(10_000) } else { s.n(2_000) };
                        let names = data::tag_names(s.n(500));
                        let slugs: Vec<String> = names.iter().map(|n| slugify(n)).collect::<Result<_, _>>().map_err(err)?;
                        let (_, seconds, usage) = timed(async {
                            if workload == Workload::W2 {
                                // One transaction; repeats answered from a map keyed by name, as a
                                // careful user would (the library's cache is keyed by name too).
                                let mut tx = pool.begin_with(if fresh.kind == DbKind::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" }).await.map_err(err)?;
                                let mut seen: std::collections::HashMap<&str, Tag> = std::collections::HashMap::new();
                                for i in 0..calls {
                                    let k = i % names.len();
                                    let _tag: Tag = match seen.get(names[k].as_str()) {
                                        Some(tag) => tag.clone(),
                                        None => {
                                            let tag = get_or_create(&mut tx, &names[k], &slugs[k]).await?;
                                            seen.insert(names[k].as_str(), tag.clone());
                                            tag
                                        }
                                    };
                                }
                                tx.commit().await.map_err(err)
                            } else {
                                for i in 0..calls {
                                    let k = i % names.len();
                                    let mut tx = pool.begin_with(if fresh.kind == DbKind::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" }).await.map_err(err)?;
                                    get_or_create(&mut tx, &names[k], &slugs[k]).await?;
                                    tx.commit().await.map_err(err)?;
                                }
                                Ok(())
                            }
                        })
                        .await?;
                        let rows = scalar(&pool, "SELECT count(*) FROM tag").await?;
                        Run { seconds, usage, check: json!({"rows": rows, "ok": is(rows, names.len().min(calls))}) }
                    }
                    Workload::W3 => {
                        let rows = s.n(10_000);
                        seed(&pool, (0..rows).map(data::title).collect()).await?;
                        let calls = s.n(1_000);
                        // SQLite: the page with `count(*) OVER ()`, and a count past the end;
                        // PostgreSQL: one statement (`data::W3_PAGE_POSTGRES`).
                        let postgres = fresh.kind == DbKind::Postgres;
                        let sql = if postgres {
                            data::W3_PAGE_POSTGRES.to_string()
                        } else {
                            $sql::W3_PAGE.to_string()
                        };
                        let (sums, seconds, usage) = timed(async {
                            let mut tx = pool.begin().await.map_err(err)?;
                            let (mut totals, mut items) = (0u64, 0usize);
                            for k in 0..calls {
                                let offset = i64::try_from(data::w3_offset(k, rows)).unwrap_or(i64::MAX);
                                let mut page = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                                    .bind("%7%")
                                    .bind(offset)
                                    .fetch_all(&mut *tx)
                                    .await
                                    .map_err(err)?;
                                let total = match page.first() {
                                    Some(r) => r.try_get::<i64, _>("total").map_err(err)?,
                                    None => sqlx::query_scalar::<Db, i64>($sql::W3_COUNT)
                                        .bind("%7%").fetch_one(&mut *tx).await.map_err(err)?,
                                };
                                if postgres && total <= offset {
                                    // Past the end: the row only carried the total.
                                    page.clear();
                                }
                                let posts: Vec<Post> = page.iter().map(|r| <Post as sqlx::FromRow<_>>::from_row(r)).collect::<Result<_, _>>().map_err(err)?;
                                totals += u64::try_from(total).unwrap_or(0);
                                items += posts.len();
                            }
                            tx.rollback().await.map_err(err)?;
                            Ok((totals, items))
                        })
                        .await?;
                        let want = data::w3_expected(rows, calls);
                        Run { seconds, usage, check: json!({"totals": sums.0, "items": sums.1, "ok": sums == want}) }
                    }
                    Workload::W4 => {
                        let n = s.n(1_000);
                        let keys = seed(&pool, (0..n).map(data::title).collect()).await?;
                        let (_, seconds, usage) = timed(async {
                            for (i, id) in keys.iter().enumerate() {
                                let mut tx = pool.begin().await.map_err(err)?;
                                sqlx::query($sql::UPDATE_TITLE)
                                    .bind(format!("{} (edited)", data::title(i)))
                                    .bind(now())
                                    .bind(id)
                                    .execute(&mut *tx)
                                    .await
                                    .map_err(err)?;
                                tx.commit().await.map_err(err)?;
                            }
                            Ok(())
                        })
                        .await?;
                        let bumped = scalar(&pool, "SELECT count(*) FROM post WHERE updated_at > created_at AND title LIKE '% (edited)'").await?;
                        Run { seconds, usage, check: json!({"bumped": bumped, "ok": is(bumped, n)}) }
                    }
                    Workload::W5 => {
                        let n = s.n(10_000);
                        seed(&pool, (0..n / 2).map(data::upsert_title).collect()).await?;
                        let titles: Vec<String> = (0..n).map(data::upsert_title).collect();
                        let (done, seconds, usage) = timed(async {
                            let mut tx = pool.begin().await.map_err(err)?;
                            let done = $upsert_posts(&mut *tx, &titles, now()).await?;
                            tx.commit().await.map_err(err)?;
                            Ok(done)
                        })
                        .await?;
                        let rows = scalar(&pool, "SELECT count(*) FROM post WHERE content = 'upserted'").await?;
                        Run { seconds, usage, check: json!({"rows": rows, "created": done.0, "updated": done.1, "ok": is(rows, n) && done.0 == n - n / 2}) }
                    }
                    Workload::W6 => {
                        let keys = seed(&pool, (0..s.n(5_000)).map(data::title).collect()).await?;
                        let (found, seconds, usage) = timed(async {
                            let mut tx = pool.begin().await.map_err(err)?;
                            let mut found = 0usize;
                            for k in &keys {
                                let _p: Post = sqlx::query_as($sql::GET_POST)
                                    .bind(k)
                                    .fetch_one(&mut *tx)
                                    .await
                                    .map_err(err)?;
                                found += 1;
                            }
                            tx.rollback().await.map_err(err)?;
                            Ok(found)
                        })
                        .await?;
                        Run { seconds, usage, check: json!({"found": found, "ok": found == keys.len()}) }
                    }
                    Workload::W7k | Workload::W7o => {
                        let n = data::walk_rows(s);
                        seed(&pool, (0..n).map(data::title).collect()).await?;
                        let page = data::WALK_PAGE;
                        let limit = i64::try_from(page).unwrap_or(i64::MAX);
                        let (walked, seconds, usage) = timed(async {
                            let mut tx = pool.begin().await.map_err(err)?;
                            let (mut rows, mut pages) = (0usize, 0i64);
                            if workload == Workload::W7k {
                                // One row past the page says whether another follows.
                                let mut after: Option<Uuid> = None;
                                loop {
                                    let mut got: Vec<Post> = match after {
                                        None => sqlx::query_as($sql::KEYSET_FIRST).bind(limit + 1).fetch_all(&mut *tx).await,
                                        Some(k) => sqlx::query_as($sql::KEYSET_AFTER).bind(k).bind(limit + 1).fetch_all(&mut *tx).await,
                                    }
                                    .map_err(err)?;
                                    let more = got.len() > page;
                                    got.truncate(page);
                                    rows += got.len();
                                    crate::common::page_done();
                                    match got.last() {
                                        Some(last) if more => after = Some(last.id),
                                        _ => break,
                                    }
                                }
                            } else {
                                loop {
                                    let got: Vec<Post> = sqlx::query_as($sql::OFFSET_PAGE)
                                        .bind(limit)
                                        .bind(pages * limit)
                                        .fetch_all(&mut *tx)
                                        .await
                                        .map_err(err)?;
                                    rows += got.len();
                                    pages += 1;
                                    crate::common::page_done();
                                    if got.len() < page {
                                        break;
                                    }
                                }
                            }
                            tx.rollback().await.map_err(err)?;
                            Ok(rows)
                        })
                        .await?;
                        Run { seconds, usage, check: json!({"rows": walked, "ok": walked == n}) }
                    }
                    Workload::W8 => {
                        let n = s.n(10_000);
                        let input: Vec<Event> = (0..n).map(<Event as BenchEvent>::new).collect();
                        let (read, seconds, usage) = timed(async {
                            let mut tx = pool.begin().await.map_err(err)?;
                            $insert_events(&mut *tx, &input).await?;
                            tx.commit().await.map_err(err)?;
                            let mut tx = pool.begin().await.map_err(err)?;
                            let read: Vec<Event> = sqlx::query_as(SELECT_EVENTS).fetch_all(&mut *tx).await.map_err(err)?;
                            tx.rollback().await.map_err(err)?;
                            Ok(read)
                        })
                        .await?;
                        Run { seconds, usage, check: data::w8_check(read.iter().map(BenchEvent::checked), n) }
                    }
                };
                pool.close().await;
                Ok(run)
            }
        }
    };
}

raw!(
    raw_sqlite,
    sqlx::Sqlite,
    numbered,
    insert_posts_sqlite,
    upsert_posts_sqlite,
    copy_posts_sqlite,
    insert_events_sqlite
);
raw!(
    raw_postgres,
    sqlx::Postgres,
    numbered,
    insert_posts_postgres,
    upsert_posts_postgres,
    crate::common::copy_posts_sqlx,
    insert_events_postgres
);
raw!(
    raw_mariadb,
    sqlx::MySql,
    question,
    insert_posts_mariadb,
    upsert_posts_mariadb,
    copy_posts_mariadb,
    insert_events_mariadb
);

/// Every workload on `kind`, library and raw alternating.
pub(crate) async fn run(kind: DbKind, s: &Settings) -> Result<Vec<serde_json::Value>, String> {
    let mut lines = Vec::new();
    for (workload, ops) in data::workloads(s, kind) {
        let lib = || async move {
            let fresh = Fresh::new(kind, s).await?;
            let run = match kind {
                DbKind::Sqlite => library::run::<Lib<sqlx::Sqlite>>(workload, &fresh, s).await,
                DbKind::Postgres => library::run::<Lib<sqlx::Postgres>>(workload, &fresh, s).await,
                DbKind::MariaDb => library::run::<Lib<sqlx::MySql>>(workload, &fresh, s).await,
            };
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
        lines.push(measure("sqlx", kind, workload, ops, s, lib, raw).await?);
    }
    Ok(lines)
}
