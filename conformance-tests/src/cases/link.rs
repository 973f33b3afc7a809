//! The many-to-many `post_tag` table (foundation point 7).

use std::sync::Arc;

use alchemy_core::schema::Dialect;
use alchemy_core::{Error, LinkRepository, Model, Repository, Session};

use crate::fixtures::{PostFixture, TagFixture};
use crate::harness::{Cx, Harness};
use crate::{err, ok};

/// Tags attached to a post load back, ordered by key.
pub async fn link_attach_and_load<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, tags, links) = (cx.h.posts(), cx.h.tags(), cx.h.post_tags());
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
    let other = ok(
        posts.add(&mut s, H::Post::new("other", "c")).await,
        "other post",
    );
    let a = ok(tags.add(&mut s, H::Tag::new("a", "a")).await, "tag a");
    let b = ok(tags.add(&mut s, H::Tag::new("b", "b")).await, "tag b");
    let c = ok(tags.add(&mut s, H::Tag::new("c", "c")).await, "tag c");
    ok(links.attach(&mut s, p.key(), b.key()).await, "attach b");
    ok(links.attach(&mut s, p.key(), a.key()).await, "attach a");
    ok(
        links.attach(&mut s, other.key(), c.key()).await,
        "attach c to other",
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let got = ok(links.right_of(&mut s, p.key()).await, "right_of");
    ok(s.rollback().await, "rollback");
    let names: Vec<&str> = got.iter().map(|t| t.name()).collect();
    assert_eq!(names, ["a", "b"]);
}

/// Attaching the same pair twice keeps one link and is not an error.
pub async fn link_attach_twice_is_idempotent<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, tags, links) = (cx.h.posts(), cx.h.tags(), cx.h.post_tags());
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
    let t = ok(tags.add(&mut s, H::Tag::new("t", "t")).await, "tag");
    ok(links.attach(&mut s, p.key(), t.key()).await, "attach");
    ok(links.attach(&mut s, p.key(), t.key()).await, "attach again");
    assert_eq!(
        ok(links.right_of(&mut s, p.key()).await, "right_of").len(),
        1
    );
    ok(s.commit().await, "commit");
}

/// `detach` removes the link and says whether there was one.
pub async fn link_detach_removes_the_link<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, tags, links) = (cx.h.posts(), cx.h.tags(), cx.h.post_tags());
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
    let t = ok(tags.add(&mut s, H::Tag::new("t", "t")).await, "tag");
    ok(links.attach(&mut s, p.key(), t.key()).await, "attach");
    assert!(ok(links.detach(&mut s, p.key(), t.key()).await, "detach"));
    assert!(!ok(
        links.detach(&mut s, p.key(), t.key()).await,
        "detach again"
    ));
    assert!(ok(links.right_of(&mut s, p.key()).await, "right_of").is_empty());
    ok(s.commit().await, "commit");
}

/// Deleting a post deletes its links (`ON DELETE CASCADE`, enforced on SQLite too); tags stay.
pub async fn link_delete_post_cascades<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, tags, links) = (cx.h.posts(), cx.h.tags(), cx.h.post_tags());
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
    let t = ok(tags.add(&mut s, H::Tag::new("t", "t")).await, "tag");
    ok(links.attach(&mut s, p.key(), t.key()).await, "attach");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    ok(posts.delete(&mut s, p.key()).await, "delete post");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    assert!(ok(links.right_of(&mut s, p.key()).await, "right_of").is_empty());
    assert_eq!(
        ok(tags.get(&mut s, t.key()).await, "tag survives").name(),
        "t"
    );
    // Re-adding a post with the same key must not resurrect the old links.
    let mut again = H::Post::new("p", "c");
    again.set_key(*p.key());
    ok(posts.add(&mut s, again).await, "re-add");
    assert!(ok(links.right_of(&mut s, p.key()).await, "right_of").is_empty());
    ok(s.rollback().await, "rollback");
}

/// Linking to a row that does not exist is `ForeignKey`, naming `fk_post_tag_tag_id_tag`
/// where the database names constraints (PostgreSQL; SQLite does not).
pub async fn link_missing_row_is_foreign_key<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, links) = (cx.h.posts(), cx.h.post_tags());
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("p", "c")).await, "post");
    let e = err(
        links.attach(&mut s, p.key(), &987_654).await,
        "attach missing tag",
    );
    ok(s.rollback().await, "rollback");
    match e {
        Error::ForeignKey { constraint, .. } => {
            // SQLite names no constraint, and the link table has two.
            if cx.dialect != Dialect::Sqlite {
                assert_eq!(constraint.as_deref(), Some("fk_post_tag_tag_id_tag"));
            }
        }
        other => panic!("expected ForeignKey, got {other}"),
    }
}
