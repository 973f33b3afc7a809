//! Error mapping (foundation point 9).

use std::sync::Arc;

use alchemy_core::schema::Dialect;
use alchemy_core::{Error, Model, Repository, Session};

use crate::fixtures::{CommentFixture, PostFixture, TagFixture};
use crate::harness::{Cx, Harness};
use crate::{err, ok};

/// A second row with the same primary key is `DuplicateKey` on `pk_post`.
pub async fn errors_duplicate_primary_key_names_pk<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add");
    let mut dup = H::Post::new("b", "c");
    dup.set_key(*p.key());
    let e = err(posts.add(&mut s, dup).await, "add duplicate");
    ok(s.rollback().await, "rollback");
    match e {
        Error::DuplicateKey { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some("pk_post"))
        }
        other => panic!("expected DuplicateKey, got {other}"),
    }
}

/// A second row with the same unique name is `DuplicateKey` on `uq_tag_name`.
pub async fn errors_duplicate_unique_names_uq<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    ok(tags.add(&mut s, H::Tag::new("dup", "dup-1")).await, "add");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let e = err(
        tags.add(&mut s, H::Tag::new("dup", "dup-2")).await,
        "add duplicate",
    );
    ok(s.rollback().await, "rollback");
    match e {
        Error::DuplicateKey { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some("uq_tag_name"))
        }
        other => panic!("expected DuplicateKey, got {other}"),
    }
}

/// A foreign-key violation by a write is `ForeignKey` naming the constraint
/// on every database: PostgreSQL names it, and on SQLite (which names none)
/// it follows from the table's only foreign key. Delete of a referred row is
/// `ForeignKey` too, named where the database names it.
pub async fn errors_foreign_key_names_the_constraint<H: Harness>(cx: Arc<Cx<H>>) {
    const NAME: &str = "fk_comment_post_id_post";
    let (posts, comments) = (cx.h.posts(), cx.h.comments());
    let named = |e: Error, step: &str| match e {
        Error::ForeignKey { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some(NAME), "{step}")
        }
        other => panic!("{step}: expected ForeignKey, got {other}"),
    };
    let ghost = uuid::Uuid::now_v7();
    for step in ["add", "add_many", "upsert_many", "update", "update_many"] {
        let mut s = cx.begin().await;
        let post = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
        let e = match step {
            "add" => err(
                comments.add(&mut s, H::Comment::new(ghost, "x")).await,
                step,
            ),
            "add_many" => err(
                comments
                    .add_many(
                        &mut s,
                        vec![
                            H::Comment::new(*post.key(), "ok"),
                            H::Comment::new(ghost, "x"),
                        ],
                    )
                    .await,
                step,
            ),
            "upsert_many" => err(
                comments
                    .upsert_many(&mut s, vec![H::Comment::new(ghost, "x")], &["body"])
                    .await,
                step,
            ),
            _ => {
                let mut c = ok(
                    comments
                        .add(&mut s, H::Comment::new(*post.key(), "x"))
                        .await,
                    "comment",
                );
                c.set_post_id(ghost);
                if step == "update" {
                    err(comments.update(&mut s, c).await, step)
                } else {
                    err(comments.update_many(&mut s, vec![c]).await, step)
                }
            }
        };
        named(e, step);
        ok(s.rollback().await, "rollback");
    }
    let mut s = cx.begin().await;
    let post = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
    ok(
        comments
            .add(&mut s, H::Comment::new(*post.key(), "x"))
            .await,
        "comment",
    );
    let e = err(
        posts.delete(&mut s, post.key()).await,
        "delete a referred post",
    );
    match e {
        Error::ForeignKey { constraint, .. } => {
            // A delete breaks another table's key: SQLite names none.
            if cx.dialect != Dialect::Sqlite {
                assert_eq!(constraint.as_deref(), Some(NAME));
            }
        }
        other => panic!("expected ForeignKey, got {other}"),
    }
    ok(s.rollback().await, "rollback");
}
