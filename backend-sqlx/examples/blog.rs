//! The blog of the seed, on sqlx: posts (UUIDv7 + audit), unique tags
//! (BIGINT + audit + slug + get-or-create), and the `post_tag` link table.
//!
//! ```sh
//! cargo run --example blog                                  # ./blog.db (SQLite)
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run --example blog
//! DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo run --example blog   # MariaDB
//! ```
//!
//! Run it twice: the posts are added again, the tags are reused.

use std::sync::OnceLock;

use alchemy_core::base::{BigIntAuditBase, UuidV7AuditBase};
use alchemy_core::schema::{Column, ColumnType, OnDelete, Table};
use alchemy_core::unique::Unique;
use alchemy_core::{Database, LinkRepository, Model, Repository, RepositoryExt, Session};
use alchemy_sqlx::{SqlxBackend, SqlxDb, SqlxLinkRepository, SqlxRepository};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A post: UUIDv7 key, audit columns.
#[derive(Debug, Clone, sqlx::FromRow, Model)]
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
    fn new(title: &str, content: &str) -> Self {
        Self {
            id: Uuid::nil(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            title: title.into(),
            content: content.into(),
            published: true,
        }
    }
}

/// A tag: BIGINT key, audit columns, a unique name (get-or-create's key)
/// and a slug.
#[derive(Debug, Clone, sqlx::FromRow, Model)]
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

impl Tag {
    fn new(name: &str, slug: String) -> Self {
        Self {
            id: 0,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            name: name.into(),
            slug,
        }
    }
}

/// The many-to-many table between posts and tags.
fn post_tag() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Uuid))
            .column(Column::new("tag_id", ColumnType::BigInt))
            .primary_key(["post_id", "tag_id"])
            .foreign_key("post_id", "post", "id", OnDelete::Cascade)
            .foreign_key("tag_id", "tag", "id", OnDelete::Cascade)
    })
}

const POSTS: [(&str, &str, &[&str]); 3] = [
    (
        "Why Rust",
        "Fearless concurrency.",
        &["Rust", "Programming"],
    ),
    (
        "Async SQL",
        "Three ORMs, one repository.",
        &["Rust", "Databases", "Async"],
    ),
    (
        "Schema design",
        "Name your constraints.",
        &["Databases", "Programming"],
    ),
];

async fn run<DB: SqlxBackend>(url: &str) -> alchemy_core::Result<()> {
    let db = SqlxDb::<DB>::connect(url).await?;
    db.create_tables(&[Post::table(), Tag::table(), post_tag()])
        .await?;
    let posts = SqlxRepository::<Post, DB>::new();
    let tags = SqlxRepository::<Tag, DB>::new();
    let links = SqlxLinkRepository::<Post, Tag, DB>::new("post_tag", "post_id", "tag_id");

    let mut session = db.begin().await?;
    let mut added = Vec::new();
    for (title, content, names) in POSTS {
        let post = posts.add(&mut session, Post::new(title, content)).await?;
        for name in names {
            // Reuse the tag when it exists; otherwise create it with a free slug.
            let tag = match tags
                .get_one_or_none(&mut session, &Tag::unique_filter(&name.to_string()))
                .await?
            {
                Some(tag) => tag,
                None => {
                    let slug = tags.available_slug(&mut session, name).await?;
                    tags.get_or_create(&mut session, Tag::new(name, slug))
                        .await?
                }
            };
            links.attach(&mut session, &post.id, &tag.id).await?;
        }
        added.push(post);
    }
    session.commit().await?;

    let mut session = db.begin().await?;
    for post in &added {
        let post = posts.get(&mut session, &post.id).await?;
        let tags: Vec<String> = links
            .right_of(&mut session, &post.id)
            .await?
            .into_iter()
            .map(|t| format!("{} (#{} /{})", t.name, t.id, t.slug))
            .collect();
        println!(
            "{} [{}] {}\n    tags: {}",
            post.title,
            post.id,
            post.created_at,
            tags.join(", ")
        );
    }
    session.rollback().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://blog.db".to_string());
    let result = if url.starts_with("postgres") {
        run::<sqlx::Postgres>(&url).await
    } else if url.starts_with("sqlite") {
        run::<sqlx::Sqlite>(&url).await
    } else if url.starts_with("mysql") {
        run::<sqlx::MySql>(&url).await
    } else {
        Err(alchemy_core::Error::invalid_input(format!(
            "DATABASE_URL must start with sqlite:, postgres:// or mysql://, got {url}"
        )))
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("blog: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
