//! The workloads through alchemy-seaorm and through SeaORM by hand.

use alchemy_conformance::fixtures;
use alchemy_core::base::{BigIntAuditBase, BigIntBase, UuidV7AuditBase};
use alchemy_core::filter::Condition;
use alchemy_core::impl_model;
use alchemy_core::unique::Unique;
use alchemy_seaorm::{SeaDb, SeaRepository};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, SqlxMySqlConnector, SqlxPostgresConnector, SqlxSqliteConnector};
use sqlx::pool::PoolOptions;
use uuid::Uuid;

use crate::common::{DbKind, Fresh, Run, Settings, measure, sqlite_options};
use crate::data::{self, Workload};
use crate::library::{self, BenchEvent, BenchPost, LibBackend};

/// The `post` entity.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub content: String,
        pub published: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `tag` entity.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tag")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub name: String,
        pub slug: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `event` entity (W8).
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub day: Date,
        pub starts: Option<Time>,
        pub payload: Vec<u8>,
        pub level: i16,
        pub ratio: Option<f32>,
        pub settings: Json,
        pub extra: Option<Json>,
        #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
        pub price: alchemy_seaorm::types::Decimal,
        #[sea_orm(column_type = "Decimal(Some((6, 6)))")]
        pub share: Option<alchemy_seaorm::types::Decimal>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl_model!(event::Model, BigIntBase, plain, from fixtures::event_table(), fields(name, day, starts, payload, level, ratio, settings, extra, price, share));

impl BenchEvent for event::Model {
    fn new(i: usize) -> Self {
        data::event_of!(i)
    }
    fn checked(&self) -> (rust_decimal::Decimal, usize) {
        (*self.price, self.payload.len())
    }
}

impl_model!(post::Model, UuidV7AuditBase, audited, from fixtures::post_table(), fields(title, content, published));
impl_model!(tag::Model, BigIntAuditBase, audited, from fixtures::tag_table(), fields(name, slug));

impl BenchPost for post::Model {
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

impl Unique for tag::Model {
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

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Both sides get the same pool: SQLite's default pragmas (no WAL), foreign
/// keys on, and one connection — the workloads are sequential, and with more
/// a `begin` right after a commit can open a new connection while the last
/// one is still on its way back to the pool (~10 ms each on PostgreSQL).
async fn connection(fresh: &Fresh) -> Result<DatabaseConnection, String> {
    Ok(match fresh.kind {
        DbKind::Sqlite => SqlxSqliteConnector::from_sqlx_sqlite_pool(
            PoolOptions::<sqlx::Sqlite>::new()
                .max_connections(1)
                .connect_with(sqlite_options(&fresh.url)?)
                .await
                .map_err(err)?,
        ),
        DbKind::Postgres => SqlxPostgresConnector::from_sqlx_postgres_pool(
            PoolOptions::<sqlx::Postgres>::new()
                .max_connections(1)
                .connect(&fresh.url)
                .await
                .map_err(err)?,
        ),
        DbKind::MariaDb => SqlxMySqlConnector::from_sqlx_mysql_pool(
            PoolOptions::<sqlx::MySql>::new()
                .max_connections(1)
                .connect(&fresh.url)
                .await
                .map_err(err)?,
        ),
    })
}

/// alchemy-seaorm, for the generic library workloads.
pub(crate) struct Lib;

impl LibBackend for Lib {
    type Db = SeaDb;
    type Post = post::Model;
    type Tag = tag::Model;
    type Posts = SeaRepository<post::Entity>;
    type Tags = SeaRepository<tag::Entity>;
    type Event = event::Model;
    type Events = SeaRepository<event::Entity>;

    async fn connect(fresh: &Fresh) -> Result<Self::Db, String> {
        SeaDb::from_connection(connection(fresh).await?).map_err(err)
    }
    fn posts() -> Self::Posts {
        SeaRepository::<post::Entity>::new()
    }
    fn tags() -> Self::Tags {
        SeaRepository::<tag::Entity>::new()
    }
    fn events() -> Self::Events {
        SeaRepository::<event::Entity>::new()
    }
    fn tag(name: &str, slug: String) -> tag::Model {
        tag::Model {
            id: 0,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            name: name.to_string(),
            slug,
        }
    }
}

/// The same workloads written directly with SeaORM, as a careful user of
/// that ORM would: entities, its query builder, batched inserts.
mod raw {
    use std::collections::HashMap;

    use chrono::SubsecRound;
    use sea_orm::sea_query::extension::postgres::{PgExpr, PgFunc};
    use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, LikeExpr};
    use sea_orm::{
        ActiveValue::{NotSet, Set},
        ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
        EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
        SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait, TryInsertResult,
        Value,
    };
    use serde_json::json;

    use super::{BenchEvent, event, post, tag};
    use super::{
        DateTime, DbKind, Fresh, Run, Settings, Utc, Uuid, Workload, connection, data, err,
    };
    use crate::common::{copy_posts_sqlx, is, page_done, timed};

    /// Rows per multi-row INSERT: 6 binds each, under SQLite's 32766 (and
    /// MySQL's 65,535).
    const CHUNK: usize = 5_000;

    fn now() -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }

    /// A W3 page row: the post's columns and the window total.
    #[derive(Debug, FromQueryResult)]
    struct PageRow {
        #[allow(dead_code)] // read to materialize the row, as a page would be
        id: Uuid,
        #[allow(dead_code)]
        created_at: DateTime<Utc>,
        #[allow(dead_code)]
        updated_at: DateTime<Utc>,
        #[allow(dead_code)]
        title: String,
        #[allow(dead_code)]
        content: String,
        #[allow(dead_code)]
        published: bool,
        total: i64,
    }

    fn new_post(title: String, content: &str, now: DateTime<Utc>) -> post::ActiveModel {
        post::ActiveModel {
            id: Set(Uuid::now_v7()),
            created_at: Set(now),
            updated_at: Set(now),
            title: Set(title),
            content: Set(content.to_string()),
            published: Set(false),
        }
    }

    /// `values` as one PostgreSQL array of `kind`.
    fn array<T: Into<Value>>(kind: ArrayType, values: impl Iterator<Item = T>) -> Value {
        Value::Array(kind, Some(Box::new(values.map(Into::into).collect())))
    }

    /// Inserts new posts: on SQLite and MariaDB with `insert_many` per 5,000
    /// rows; on PostgreSQL with one array per column through `UNNEST`, the
    /// bulk insert SeaORM users ask for (SeaQL/sea-orm#1922), as a raw
    /// `Statement`: one text for any number of rows, no bind limit.
    async fn insert_posts(
        tx: &DatabaseTransaction,
        titles: &[String],
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, String> {
        if tx.get_database_backend() == DbBackend::Postgres {
            let keys: Vec<Uuid> = titles.iter().map(|_| Uuid::now_v7()).collect();
            let n = titles.len();
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO post (id, created_at, updated_at, title, content, published) \
                 SELECT * FROM unnest($1, $2, $3, $4, $5, $6)",
                [
                    array(ArrayType::Uuid, keys.iter().copied()),
                    array(ArrayType::ChronoDateTimeUtc, std::iter::repeat_n(now, n)),
                    array(ArrayType::ChronoDateTimeUtc, std::iter::repeat_n(now, n)),
                    array(ArrayType::String, titles.iter().cloned()),
                    array(
                        ArrayType::String,
                        std::iter::repeat_n(content.to_string(), n),
                    ),
                    array(ArrayType::Bool, std::iter::repeat_n(false, n)),
                ],
            );
            tx.execute_raw(stmt).await.map_err(err)?;
            return Ok(keys);
        }
        let mut keys = Vec::with_capacity(titles.len());
        for chunk in titles.chunks(CHUNK) {
            let rows: Vec<post::ActiveModel> = chunk
                .iter()
                .map(|t| {
                    let row = new_post(t.clone(), content, now);
                    if let Set(id) = &row.id {
                        keys.push(*id);
                    }
                    row
                })
                .collect();
            post::Entity::insert_many(rows)
                .exec_without_returning(tx)
                .await
                .map_err(err)?;
        }
        Ok(keys)
    }

    /// Inserts W8's events: on SQLite and MariaDB with `insert_many` per
    /// 3,000 rows (10 binds each, under SQLite's 32,766); on PostgreSQL
    /// through `UNNEST` as the posts, its NULL columns left out (SeaORM's
    /// driver panics on a NULL array element).
    async fn insert_events(
        tx: &DatabaseTransaction,
        events: &[event::Model],
    ) -> Result<(), String> {
        if tx.get_database_backend() == DbBackend::Postgres {
            let stmt = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO event (name, day, payload, level, settings, price) \
                 SELECT * FROM unnest($1, $2, $3, $4, $5, $6)",
                [
                    array(ArrayType::String, events.iter().map(|e| e.name.clone())),
                    array(ArrayType::ChronoDate, events.iter().map(|e| e.day)),
                    array(ArrayType::Bytes, events.iter().map(|e| e.payload.clone())),
                    array(ArrayType::SmallInt, events.iter().map(|e| e.level)),
                    array(
                        ArrayType::Json,
                        events
                            .iter()
                            .map(|e| Value::Json(Some(Box::new(e.settings.clone())))),
                    ),
                    array(ArrayType::Decimal, events.iter().map(|e| *e.price)),
                ],
            );
            tx.execute_raw(stmt).await.map_err(err)?;
            return Ok(());
        }
        for chunk in events.chunks(3_000) {
            let rows = chunk.iter().map(|e| event::ActiveModel {
                id: NotSet,
                name: Set(e.name.clone()),
                day: Set(e.day),
                starts: Set(e.starts),
                payload: Set(e.payload.clone()),
                level: Set(e.level),
                ratio: Set(e.ratio),
                settings: Set(e.settings.clone()),
                extra: Set(e.extra.clone()),
                price: Set(e.price),
                share: Set(e.share),
            });
            event::Entity::insert_many(rows)
                .exec_without_returning(tx)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    async fn seed(db: &DatabaseConnection, titles: Vec<String>) -> Result<Vec<Uuid>, String> {
        let tx = db.begin().await.map_err(err)?;
        let keys = insert_posts(&tx, &titles, data::CONTENT, now()).await?;
        tx.commit().await.map_err(err)?;
        Ok(keys)
    }

    /// `BEGIN IMMEDIATE` on SQLite (the writer lock up front), `BEGIN` elsewhere.
    async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, String> {
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
        .map_err(err)
    }

    async fn find_tag(tx: &DatabaseTransaction, name: &str) -> Result<Option<tag::Model>, String> {
        tag::Entity::find()
            .filter(tag::Column::Name.eq(name))
            .one(tx)
            .await
            .map_err(err)
    }

    /// The tag row (as the library returns it), found or inserted. The
    /// insert does nothing on a duplicate name: `ON CONFLICT (name) DO
    /// NOTHING`, and on MySQL SeaORM's polyfill `ON DUPLICATE KEY UPDATE id =
    /// id` (sea-query's plain `do_nothing` writes `ON DUPLICATE KEY IGNORE`
    /// there, which MariaDB rejects); a duplicate gives no insert id, which
    /// SeaORM reports as `Conflicted`. Without `RETURNING` (MySQL) SeaORM
    /// reads the new row back by its key.
    async fn get_or_create(
        tx: &DatabaseTransaction,
        name: &str,
        slug: &str,
    ) -> Result<tag::Model, String> {
        if let Some(row) = find_tag(tx, name).await? {
            return Ok(row);
        }
        let now = now();
        let row = tag::ActiveModel {
            id: NotSet,
            created_at: Set(now),
            updated_at: Set(now),
            name: Set(name.to_string()),
            slug: Set(slug.to_string()),
        };
        match tag::Entity::insert(row)
            .on_conflict_do_nothing_on([tag::Column::Name])
            .exec_with_returning(tx)
            .await
            .map_err(err)?
        {
            TryInsertResult::Inserted(row) => Ok(row),
            TryInsertResult::Conflicted | TryInsertResult::Empty => find_tag(tx, name)
                .await?
                .ok_or_else(|| format!("tag {name} neither inserted nor found")),
        }
    }

    /// `title ILIKE '%7%'` on PostgreSQL, `title LIKE '%7%'` on SQLite (ASCII
    /// case-insensitive already) and MariaDB (its default collations are
    /// case-insensitive); sea-query writes the escape there as `'\\'`, the
    /// literal of one backslash in MariaDB's string syntax.
    fn search(kind: DbKind) -> Expr {
        let col = Expr::col((post::Entity, post::Column::Title));
        match kind {
            DbKind::Postgres => col.ilike(LikeExpr::new("%7%")),
            DbKind::Sqlite | DbKind::MariaDb => col.like(LikeExpr::new("%7%").escape('\\')),
        }
    }

    pub(super) async fn run(
        workload: Workload,
        fresh: &Fresh,
        s: &Settings,
    ) -> Result<Run, String> {
        let db = connection(fresh).await?;
        let run = match workload {
            Workload::W1 => {
                let n = s.n(10_000);
                let titles: Vec<String> = (0..n).map(data::title).collect();
                let (_, seconds, usage) =
                    timed(async { seed(&db, titles).await.map(drop) }).await?;
                let rows = post::Entity::find().count(&db).await.map_err(err)?;
                Run {
                    seconds,
                    usage,
                    check: json!({"rows": rows, "ok": is(rows, n)}),
                }
            }
            Workload::W1c => {
                let n = s.n(10_000);
                let titles: Vec<String> = (0..n).map(data::title).collect();
                // SeaORM's driver is sqlx: the COPY goes through its pool.
                let pool = db.get_postgres_connection_pool();
                let (_, seconds, usage) = timed(copy_posts_sqlx(pool, &titles)).await?;
                let rows = post::Entity::find().count(&db).await.map_err(err)?;
                Run {
                    seconds,
                    usage,
                    check: json!({"rows": rows, "ok": is(rows, n)}),
                }
            }
            Workload::W2 | Workload::W2b => {
                let calls = if workload == Workload::W2 {
                    s.n(10_000)
                } else {
                    s.n(2_000)
                };
                let names = data::tag_names(s.n(500));
                let slugs: Vec<String> = names
                    .iter()
                    .map(|n| alchemy_core::slug::slugify(n))
                    .collect::<Result<_, _>>()
                    .map_err(err)?;
                let (_, seconds, usage) = timed(async {
                    if workload == Workload::W2 {
                        // One transaction; repeats answered from a map keyed by name, as a
                        // careful user would (the library's cache is keyed by name too).
                        let tx = begin_write(&db).await?;
                        let mut seen: HashMap<&str, tag::Model> = HashMap::new();
                        for i in 0..calls {
                            let k = i % names.len();
                            let _tag: tag::Model = match seen.get(names[k].as_str()) {
                                Some(row) => row.clone(),
                                None => {
                                    let row = get_or_create(&tx, &names[k], &slugs[k]).await?;
                                    seen.insert(names[k].as_str(), row.clone());
                                    row
                                }
                            };
                        }
                        tx.commit().await.map_err(err)
                    } else {
                        for i in 0..calls {
                            let k = i % names.len();
                            let tx = begin_write(&db).await?;
                            get_or_create(&tx, &names[k], &slugs[k]).await?;
                            tx.commit().await.map_err(err)?;
                        }
                        Ok(())
                    }
                })
                .await?;
                let rows = tag::Entity::find().count(&db).await.map_err(err)?;
                Run {
                    seconds,
                    usage,
                    check: json!({"rows": rows, "ok": is(rows, names.len().min(calls))}),
                }
            }
            Workload::W3 => {
                let rows = s.n(10_000);
                seed(&db, (0..rows).map(data::title).collect()).await?;
                let calls = s.n(1_000);
                let (sums, seconds, usage) = timed(async {
                    let tx = db.begin().await.map_err(err)?;
                    let (mut totals, mut items) = (0u64, 0usize);
                    for k in 0..calls {
                        let offset = data::w3_offset(k, rows);
                        let (page, total) = if fresh.kind == DbKind::Postgres {
                            // One statement, the total included past the end.
                            let offset = i64::try_from(offset).unwrap_or(i64::MAX);
                            let stmt = Statement::from_sql_and_values(
                                DbBackend::Postgres,
                                data::W3_PAGE_POSTGRES,
                                ["%7%".into(), offset.into()],
                            );
                            let mut page = PageRow::find_by_statement(stmt)
                                .all(&tx)
                                .await
                                .map_err(err)?;
                            let total = page.first().map_or(0, |r| r.total);
                            if total <= offset {
                                // Past the end: the row only carried the total.
                                page.clear();
                            }
                            (page, u64::try_from(total).unwrap_or(0))
                        } else {
                            let page: Vec<PageRow> = post::Entity::find()
                                .column_as(Expr::cust("count(*) OVER ()"), "total")
                                .filter(search(fresh.kind))
                                .order_by_desc(post::Column::CreatedAt)
                                .limit(20)
                                .offset(offset)
                                .into_model::<PageRow>()
                                .all(&tx)
                                .await
                                .map_err(err)?;
                            let total = match page.first() {
                                Some(r) => u64::try_from(r.total).unwrap_or(0),
                                None => post::Entity::find()
                                    .filter(search(fresh.kind))
                                    .count(&tx)
                                    .await
                                    .map_err(err)?,
                            };
                            (page, total)
                        };
                        totals += total;
                        items += page.len();
                    }
                    tx.rollback().await.map_err(err)?;
                    Ok((totals, items))
                })
                .await?;
                let want = data::w3_expected(rows, calls);
                Run {
                    seconds,
                    usage,
                    check: json!({"totals": sums.0, "items": sums.1, "ok": sums == want}),
                }
            }
            Workload::W4 => {
                let n = s.n(1_000);
                let keys = seed(&db, (0..n).map(data::title).collect()).await?;
                let (_, seconds, usage) = timed(async {
                    for (i, id) in keys.iter().enumerate() {
                        let tx = db.begin().await.map_err(err)?;
                        post::Entity::update_many()
                            .col_expr(
                                post::Column::Title,
                                Expr::value(format!("{} (edited)", data::title(i))),
                            )
                            .col_expr(post::Column::UpdatedAt, Expr::value(now()))
                            .filter(post::Column::Id.eq(*id))
                            .exec(&tx)
                            .await
                            .map_err(err)?;
                        tx.commit().await.map_err(err)?;
                    }
                    Ok(())
                })
                .await?;
                let bumped = post::Entity::find()
                    .filter(
                        Expr::col(post::Column::UpdatedAt).gt(Expr::col(post::Column::CreatedAt)),
                    )
                    .filter(post::Column::Title.like("% (edited)"))
                    .count(&db)
                    .await
                    .map_err(err)?;
                Run {
                    seconds,
                    usage,
                    check: json!({"bumped": bumped, "ok": is(bumped, n)}),
                }
            }
            Workload::W5 => {
                let n = s.n(10_000);
                seed(&db, (0..n / 2).map(data::upsert_title).collect()).await?;
                let titles: Vec<String> = (0..n).map(data::upsert_title).collect();
                let (done, seconds, usage) = timed(async {
                    let tx = db.begin().await.map_err(err)?;
                    let postgres = fresh.kind == DbKind::Postgres;
                    // Which titles exist, then update those and insert the rest;
                    // on PostgreSQL with arrays (`= ANY($1)`), one statement each.
                    let chunk_rows = if postgres {
                        titles.len().max(1)
                    } else {
                        10_000
                    };
                    let mut existing = HashMap::new();
                    for chunk in titles.chunks(chunk_rows) {
                        let titled = if postgres {
                            Expr::col(post::Column::Title).eq(PgFunc::any(Expr::val(array(
                                ArrayType::String,
                                chunk.iter().cloned(),
                            ))))
                        } else {
                            post::Column::Title.is_in(chunk.iter().cloned())
                        };
                        let found: Vec<(Uuid, String)> = post::Entity::find()
                            .select_only()
                            .column(post::Column::Id)
                            .column(post::Column::Title)
                            .filter(titled)
                            .into_tuple()
                            .all(&tx)
                            .await
                            .map_err(err)?;
                        for (id, title) in found {
                            existing.insert(title, id);
                        }
                    }
                    let now = now();
                    let (old, new): (Vec<&String>, Vec<&String>) =
                        titles.iter().partition(|t| existing.contains_key(*t));
                    // Every matched row gets the same new values: one UPDATE per chunk of keys.
                    for chunk in old.chunks(chunk_rows) {
                        let keys = chunk.iter().map(|t| existing[*t]);
                        let keyed = if postgres {
                            Expr::col(post::Column::Id)
                                .eq(PgFunc::any(Expr::val(array(ArrayType::Uuid, keys))))
                        } else {
                            post::Column::Id.is_in(keys)
                        };
                        post::Entity::update_many()
                            .col_expr(post::Column::Content, Expr::value("upserted"))
                            .col_expr(post::Column::UpdatedAt, Expr::value(now))
                            .filter(keyed)
                            .exec(&tx)
                            .await
                            .map_err(err)?;
                    }
                    let new: Vec<String> = new.into_iter().cloned().collect();
                    insert_posts(&tx, &new, "upserted", now).await?;
                    tx.commit().await.map_err(err)?;
                    Ok((new.len(), old.len()))
                })
                .await?;
                let rows = post::Entity::find()
                    .filter(post::Column::Content.eq("upserted"))
                    .count(&db)
                    .await
                    .map_err(err)?;
                Run {
                    seconds,
                    usage,
                    check: json!({"rows": rows, "created": done.0, "updated": done.1, "ok": is(rows, n) && done.0 == n - n / 2}),
                }
            }
            Workload::W6 => {
                let keys = seed(&db, (0..s.n(5_000)).map(data::title).collect()).await?;
                let (found, seconds, usage) = timed(async {
                    let tx = db.begin().await.map_err(err)?;
                    let mut found = 0usize;
                    for k in &keys {
                        post::Entity::find_by_id(*k)
                            .one(&tx)
                            .await
                            .map_err(err)?
                            .ok_or_else(|| format!("post {k} not found"))?;
                        found += 1;
                    }
                    tx.rollback().await.map_err(err)?;
                    Ok(found)
                })
                .await?;
                Run {
                    seconds,
                    usage,
                    check: json!({"found": found, "ok": found == keys.len()}),
                }
            }
            Workload::W7k | Workload::W7o => {
                let n = data::walk_rows(s);
                seed(&db, (0..n).map(data::title).collect()).await?;
                let page = data::WALK_PAGE;
                let (walked, seconds, usage) = timed(async {
                    let tx = db.begin().await.map_err(err)?;
                    let mut rows = 0usize;
                    if workload == Workload::W7k {
                        // One row past the page says whether another follows.
                        let mut after: Option<Uuid> = None;
                        loop {
                            let mut query = post::Entity::find()
                                .order_by_asc(post::Column::Id)
                                .limit(page as u64 + 1);
                            if let Some(k) = after {
                                query = query.filter(post::Column::Id.gt(k));
                            }
                            let mut got = query.all(&tx).await.map_err(err)?;
                            let more = got.len() > page;
                            got.truncate(page);
                            rows += got.len();
                            page_done();
                            match got.last() {
                                Some(last) if more => after = Some(last.id),
                                _ => break,
                            }
                        }
                    } else {
                        let mut pages = 0u64;
                        loop {
                            let got = post::Entity::find()
                                .order_by_asc(post::Column::Id)
                                .limit(page as u64)
                                .offset(pages * page as u64)
                                .all(&tx)
                                .await
                                .map_err(err)?;
                            rows += got.len();
                            pages += 1;
                            page_done();
                            if got.len() < page {
                                break;
                            }
                        }
                    }
                    tx.rollback().await.map_err(err)?;
                    Ok(rows)
                })
                .await?;
                Run {
                    seconds,
                    usage,
                    check: json!({"rows": walked, "ok": walked == n}),
                }
            }
            Workload::W8 => {
                let n = s.n(10_000);
                let input: Vec<event::Model> =
                    (0..n).map(<event::Model as BenchEvent>::new).collect();
                let (read, seconds, usage) = timed(async {
                    let tx = begin_write(&db).await?;
                    insert_events(&tx, &input).await?;
                    tx.commit().await.map_err(err)?;
                    let tx = db.begin().await.map_err(err)?;
                    let read = event::Entity::find().all(&tx).await.map_err(err)?;
                    tx.rollback().await.map_err(err)?;
                    Ok(read)
                })
                .await?;
                Run {
                    seconds,
                    usage,
                    check: data::w8_check(read.iter().map(BenchEvent::checked), n),
                }
            }
        };
        db.close().await.map_err(err)?;
        Ok(run)
    }
}

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
            let run = raw::run(workload, &fresh, s).await;
            fresh.remove().await;
            run
        };
        lines.push(measure("seaorm", kind, workload, ops, s, lib, raw).await?);
    }
    Ok(lines)
}
