//! The blog: posts, unique tags shared between posts, and the `post_tag`
//! association table, with diesel + alchemy-diesel.
//!
//! ```sh
//! cargo run -p alchemy-diesel --example blog_diesel
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run -p alchemy-diesel --example blog_diesel
//! DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo run -p alchemy-diesel --example blog_diesel
//! ```
//!
//! Without `DATABASE_URL` it uses the SQLite file `blog.db` in the current
//! directory (created if missing). Run it again: the posts are added again,
//! the tags are found and reused, never duplicated.

use alchemy_core::base::{BigIntAuditBase, UuidV7AuditBase};
use alchemy_core::filter::{Condition, Query};
use alchemy_core::schema::{Column, ColumnType, OnDelete, Table};
use alchemy_core::{Database, LinkRepository, Model, Repository, RepositoryExt, Session};
use alchemy_diesel::{ConnectionMut, DieselDb};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

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
        post_tag (post_id, tag_id) {
            post_id -> alchemy_diesel::types::Uuid,
            tag_id -> BigInt,
        }
    }

    diesel::joinable!(post_tag -> post (post_id));
    diesel::joinable!(post_tag -> tag (tag_id));
    diesel::allow_tables_to_appear_in_same_query!(post, tag, post_tag);
}

use schema::{post, tag};

/// A blog post, keyed by a UUIDv7, with audit columns: diesel reads it
/// through the `table!` above, the library writes it from this struct's
/// declaration (checked against the `table!` on first use).
#[derive(Debug, Clone, Queryable, Selectable, Model)]
#[diesel(table_name = post)]
#[model(base = UuidV7AuditBase)]
struct Post {
    id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[model(varchar(200), index)]
    title: String,
    content: String,
    #[model(default = false)]
    published: bool,
}

impl Post {
    fn draft(title: &str, content: &str) -> Self {
        Self {
            id: Uuid::nil(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            title: title.into(),
            content: content.into(),
            published: false,
        }
    }
}

/// A tag: BIGINT key, audit columns, a slug, unique by name.
#[derive(Debug, Clone, Queryable, Selectable, Model)]
#[diesel(table_name = tag)]
#[model(base = BigIntAuditBase, unique_key(name))]
struct Tag {
    id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[model(varchar(100))]
    name: String,
    #[model(slug)]
    slug: String,
}

/// The `post_tag` association table.
fn post_tag_table() -> &'static Table {
    static T: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Uuid))
            .column(Column::new("tag_id", ColumnType::BigInt))
            .primary_key(["post_id", "tag_id"])
            .foreign_key("post_id", "post", "id", OnDelete::Cascade)
            .foreign_key("tag_id", "tag", "id", OnDelete::Cascade)
    })
}

/// Posts.
type PostRepository = alchemy_diesel::DieselRepository<Post>;

/// Tags.
type TagRepository = alchemy_diesel::DieselRepository<Tag>;

/// Tags of posts.
type PostTagRepository = alchemy_diesel::DieselLinkRepository<Post, Tag>;

const PLAN: [(&str, &str, &[&str]); 3] = [
    (
        "Why Rust",
        "Fearless concurrency.",
        &["Rust", "Programming"],
    ),
    (
        "Async SQL",
        "Pools, sessions and transactions.",
        &["Rust", "Databases", "Async"],
    ),
    (
        "Schema design",
        "Keys, constraints and names.",
        &["Databases"],
    ),
];

async fn run(url: &str) -> alchemy_core::Result<()> {
    let db = DieselDb::connect(url).await?;
    db.create_tables(&[Post::table(), Tag::table(), post_tag_table()])
        .await?;
    let (posts, tags, links) = (
        PostRepository::new(),
        TagRepository::new(),
        PostTagRepository::new("post_tag", "post_id", "tag_id"),
    );

    let mut session = db.begin().await?;
    for (title, content, names) in PLAN {
        let post = posts.add(&mut session, Post::draft(title, content)).await?;
        for name in names {
            let slug = tags.available_slug(&mut session, name).await?;
            let candidate = Tag {
                id: 0,
                created_at: DateTime::UNIX_EPOCH,
                updated_at: DateTime::UNIX_EPOCH,
                name: name.to_string(),
                slug,
            };
            let tag = tags.get_or_create(&mut session, candidate).await?;
            links.attach(&mut session, &post.id, &tag.id).await?;
        }
        let attached = links.right_of(&mut session, &post.id).await?;
        let labels: Vec<String> = attached
            .iter()
            .map(|t| format!("{} (#{}, /{})", t.name, t.id, t.slug))
            .collect();
        println!("{} [{}]: {}", post.title, post.id, labels.join(", "));
    }

    // A page of the newest posts, with the total over all pages.
    let page = posts
        .list_paginated(
            &mut session,
            &Query::new()
                .filter(Condition::eq("published", false))
                .order_by_desc("created_at")
                .limit(2),
        )
        .await?;
    let titles: Vec<&str> = page.items.iter().map(|p| p.title.as_str()).collect();
    println!("newest drafts: {titles:?} of {}", page.total);

    // The escape hatch: hand-written diesel queries inside the same
    // transaction, typed once per connection type.
    macro_rules! counts {
        ($conn:expr) => {
            async {
                let posts =
                    diesel_async::RunQueryDsl::get_result(post::table.count(), $conn).await?;
                let tags = diesel_async::RunQueryDsl::get_result(tag::table.count(), $conn).await?;
                Ok((posts, tags))
            }
            .await
        };
    }
    let counts: diesel::QueryResult<(i64, i64)> = match session.connection()? {
        ConnectionMut::Postgres(conn) => counts!(conn),
        ConnectionMut::Sqlite(conn) => counts!(conn),
        ConnectionMut::Mysql(conn) => counts!(conn),
    };
    let (post_count, tag_count) = counts.map_err(alchemy_core::Error::backend)?;
    session.commit().await?;
    println!("{post_count} posts and {tag_count} tags in the database");
    Ok(())
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://blog.db?mode=rwc".into());
    if let Err(e) = run(&url).await {
        eprintln!("blog_diesel: {e}");
        std::process::exit(1);
    }
}
