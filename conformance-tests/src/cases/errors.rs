//! Error mapping (foundation point 9).

use std::sync::Arc;

use alchemy_core::{Error, Model, Repository, Session};

use crate::fixtures::{PostFixture, TagFixture};
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
