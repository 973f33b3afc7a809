//! The blog of the seed document on SeaORM: posts, unique tags with slugs,
//! and the `post_tag` many-to-many table.
//!
//! ```sh
//! cargo run -p alchemy-seaorm --example blog_seaorm
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run -p alchemy-seaorm --example blog_seaorm
//! DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo run -p alchemy-seaorm --example blog_seaorm   # MariaDB
//! ```
//!
//! Without `DATABASE_URL` it uses (and creates) `blog.db` in the current
//! directory. Running it again adds new posts but reuses every tag.

use std::process::ExitCode;
use std::sync::OnceLock;

use alchemy_core::filter::{Condition, Query};
use alchemy_core::schema::{Column, ColumnType, OnDelete, Table};
use alchemy_core::unique::Unique;
use alchemy_core::{Database, LinkRepository, Model, Repository, RepositoryExt, Session as _};
use alchemy_seaorm::{LinkEntity, SeaDb, SeaLinkRepository, SeaRepository};
use chrono::{DateTime, Utc};

/// A blog post.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
mod post {
    use sea_orm::entity::prelude::*;

    /// The entity is the library's declaration too (`#[model(..)]`),
    /// checked against SeaORM's on first use.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, alchemy_core::Model)]
    #[sea_orm(table_name = "post")]
    #[model(base = alchemy_core::base::UuidV7AuditBase, table = "post")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        #[model(varchar(200), index)]
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub content: String,
        #[model(default = false)]
        pub published: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    /// Direct `ActiveModel::insert`/`update` calls get keys and audit
    /// stamps too (the repository stamps rows itself).
    #[async_trait::async_trait]
    impl ActiveModelBehavior for ActiveModel {
        async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
        where
            C: ConnectionTrait,
        {
            alchemy_seaorm::hooks::stamp(self, insert)
        }
    }
}

/// A tag, unique by name, with a slug.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
mod tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, alchemy_core::Model)]
    #[sea_orm(table_name = "tag")]
    #[model(base = alchemy_core::base::BigIntAuditBase, table = "tag", unique_key(name))]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        #[model(varchar(100))]
        pub name: String,
        #[model(slug)]
        pub slug: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    #[async_trait::async_trait]
    impl ActiveModelBehavior for ActiveModel {
        async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
        where
            C: ConnectionTrait,
        {
            alchemy_seaorm::hooks::stamp(self, insert)
        }
    }
}

/// The association between posts and tags.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
mod post_tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post_tag")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub post_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::post::Entity",
            from = "Column::PostId",
            to = "super::post::Column::Id",
            on_delete = "Cascade"
        )]
        Post,
        #[sea_orm(
            belongs_to = "super::tag::Entity",
            from = "Column::TagId",
            to = "super::tag::Column::Id",
            on_delete = "Cascade"
        )]
        Tag,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

impl LinkEntity for post_tag::Entity {
    type Left = post::Entity;
    type Right = tag::Entity;
    fn left_column() -> post_tag::Column {
        post_tag::Column::PostId
    }
    fn right_column() -> post_tag::Column {
        post_tag::Column::TagId
    }
}

fn post_tag_table() -> &'static Table {
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
        "Memory safety without a garbage collector.",
        &["Rust", "Programming"],
    ),
    (
        "Async SQL",
        "Talking to databases without blocking.",
        &["Rust", "Databases", "Async"],
    ),
    (
        "Schema design",
        "Keys, constraints and names.",
        &["Databases"],
    ),
];

async fn run() -> alchemy_core::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://blog.db?mode=rwc".into());
    let db = SeaDb::connect(&url).await?;
    db.create_tables(&[post::Model::table(), tag::Model::table(), post_tag_table()])
        .await?;

    let posts = SeaRepository::<post::Entity>::new();
    let tags = SeaRepository::<tag::Entity>::new();
    let links = SeaLinkRepository::<post_tag::Entity>::new();
    let epoch = DateTime::<Utc>::UNIX_EPOCH;

    let mut session = db.begin().await?;
    let mut added = Vec::new();
    for (title, content, names) in POSTS {
        let post = posts
            .add(
                &mut session,
                post::Model {
                    id: uuid::Uuid::nil(),
                    created_at: epoch,
                    updated_at: epoch,
                    title: title.into(),
                    content: content.into(),
                    published: true,
                },
            )
            .await?;
        for name in names {
            let tag = match tags
                .get_one_or_none(&mut session, &tag::Model::unique_filter(&name.to_string()))
                .await?
            {
                Some(tag) => tag,
                None => {
                    let slug = tags.available_slug(&mut session, name).await?;
                    let candidate = tag::Model {
                        id: 0,
                        created_at: epoch,
                        updated_at: epoch,
                        name: name.to_string(),
                        slug,
                    };
                    tags.get_or_create(&mut session, candidate).await?
                }
            };
            links.attach(&mut session, &post.id, &tag.id).await?;
        }
        added.push(post);
    }
    for post in &added {
        let names: Vec<String> = links
            .right_of(&mut session, &post.id)
            .await?
            .into_iter()
            .map(|t| format!("{} ({}, #{})", t.name, t.slug, t.id))
            .collect();
        println!("{} [{}]: {}", post.title, post.id, names.join(", "));
    }
    // One statement for a page and the total (`count(*) OVER ()`).
    let newest = Query::new()
        .filter(Condition::eq("published", true))
        .order_by_desc("created_at")
        .order_by_desc("id")
        .limit(2);
    let page = posts.list_paginated(&mut session, &newest).await?;
    let titles: Vec<&str> = page.items.iter().map(|p| p.title.as_str()).collect();
    println!(
        "{} published posts; the newest {}: {}",
        page.total,
        titles.len(),
        titles.join(", ")
    );
    session.commit().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("blog_seaorm: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
