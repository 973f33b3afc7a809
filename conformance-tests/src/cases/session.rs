//! Failed sessions and savepoints (`alchemy_core::session`).

use std::sync::Arc;

use alchemy_core::filter::Condition;
use alchemy_core::{Database, DatabaseExt, Error, Model, Repository, RepositoryExt, Session};

use crate::fixtures::{PostFixture, TagFixture};
use crate::harness::{Cx, Harness};
use crate::{err, ok};

/// Titles of the stored posts, sorted, read in a session of their own.
async fn stored_titles<H: Harness>(cx: &Cx<H>) -> Vec<String> {
    let mut s = cx.begin().await;
    let rows = ok(
        cx.h.posts()
            .list(
                &mut s,
                &alchemy_core::filter::Query::new().order_by("title"),
            )
            .await,
        "list",
    );
    ok(s.rollback().await, "rollback");
    rows.iter().map(|p| p.title().to_string()).collect()
}

/// Whether `e` is `SessionFailed` whose first failure is a `DuplicateKey`.
fn failed_on_duplicate(e: &Error) -> bool {
    matches!(e, Error::SessionFailed { first } if matches!(**first, Error::DuplicateKey { .. }))
}

/// After the database rejects a statement, every later call is
/// `SessionFailed` carrying that failure and sends nothing, and `commit`
/// rolls back and fails: nothing of the session is saved, on every database.
pub async fn session_failed_statement_fails_the_session<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    let mut dup = H::Post::new("b", "c");
    dup.set_key(*a.key());
    let e = err(posts.add(&mut s, dup).await, "add a duplicate");
    assert!(matches!(e, Error::DuplicateKey { .. }), "{e}");
    assert!(
        s.failure()
            .is_some_and(|f| matches!(f, Error::DuplicateKey { .. })),
        "the session keeps the first failure: {:?}",
        s.failure()
    );
    let before = s.statements();
    let e = err(posts.count(&mut s, None).await, "a read after the failure");
    assert!(failed_on_duplicate(&e), "{e}");
    let e = err(
        posts.add(&mut s, H::Post::new("c", "c")).await,
        "a write after the failure",
    );
    assert!(failed_on_duplicate(&e), "{e}");
    assert_eq!(s.statements(), before, "a failed session sends nothing");
    let e = err(s.commit().await, "commit");
    assert!(failed_on_duplicate(&e), "{e}");
    assert!(!e.is_retryable(), "a duplicate is not retryable: {e}");
    assert!(
        stored_titles(&cx).await.is_empty(),
        "a failed session saves nothing"
    );
}

/// A failure inside `Session::savepoint` rolls back to the savepoint only:
/// the session stays usable and commits what came before and after.
pub async fn session_savepoint_contains_a_failure<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    let key = *a.key();
    let p = posts.clone();
    let e = err(
        s.savepoint(move |s| {
            Box::pin(async move {
                p.add(s, H::Post::new("inside", "c")).await?;
                let mut dup = H::Post::new("b", "c");
                dup.set_key(key);
                p.add(s, dup).await
            })
        })
        .await,
        "savepoint",
    );
    assert!(matches!(e, Error::DuplicateKey { .. }), "{e}");
    assert!(s.failure().is_none(), "the failure was contained");
    ok(
        posts.add(&mut s, H::Post::new("after", "c")).await,
        "add after",
    );
    ok(s.commit().await, "commit");
    assert_eq!(stored_titles(&cx).await, ["a", "after"]);
}

/// Savepoints nest; an inner one that fails leaves the outer one's work;
/// a savepoint whose work returns an error without a database failure rolls
/// back too; one whose work swallows a failure is `SessionFailed`, rolled back.
pub async fn session_savepoints_nest<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    let key = *a.key();
    let p = posts.clone();
    let kept = ok(
        s.savepoint(move |s| {
            Box::pin(async move {
                p.add(s, H::Post::new("outer", "c")).await?;
                let q = p.clone();
                let inner = s
                    .savepoint(move |s| {
                        Box::pin(async move {
                            q.add(s, H::Post::new("inner", "c")).await?;
                            let mut dup = H::Post::new("dup", "c");
                            dup.set_key(key);
                            q.add(s, dup).await
                        })
                    })
                    .await;
                assert!(
                    matches!(inner, Err(Error::DuplicateKey { .. })),
                    "{inner:?}"
                );
                p.add(s, H::Post::new("outer 2", "c")).await
            })
        })
        .await,
        "outer savepoint",
    );
    assert_eq!(kept.title(), "outer 2");
    let p = posts.clone();
    let e = err(
        s.savepoint(move |s| {
            Box::pin(async move {
                p.add(s, H::Post::new("undone", "c")).await?;
                Err::<(), _>(Error::invalid_input("the caller changed its mind"))
            })
        })
        .await,
        "savepoint that returns an error",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    let p = posts.clone();
    let e = err(
        s.savepoint(move |s| {
            Box::pin(async move {
                let mut dup = H::Post::new("dup", "c");
                dup.set_key(key);
                // The failure is ignored: the savepoint still reports it.
                let _ = p.add(s, dup).await;
                Ok(())
            })
        })
        .await,
        "savepoint that swallows a failure",
    );
    assert!(failed_on_duplicate(&e), "{e}");
    assert!(s.failure().is_none(), "the failure was contained");
    ok(s.commit().await, "commit");
    assert_eq!(stored_titles(&cx).await, ["a", "outer", "outer 2"]);
}

/// A failed session answers get-or-create with `SessionFailed`, even for a
/// row its cache holds, and a savepoint on it sends nothing.
pub async fn session_failed_answers_nothing_from_its_cache<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, tags) = (cx.h.posts(), cx.h.tags());
    let mut s = cx.begin().await;
    ok(
        tags.get_or_create(&mut s, H::Tag::new("rust", "rust"))
            .await,
        "get_or_create",
    );
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    let mut dup = H::Post::new("b", "c");
    dup.set_key(*a.key());
    err(posts.add(&mut s, dup).await, "add a duplicate");
    let before = s.statements();
    let e = err(
        tags.get_or_create(&mut s, H::Tag::new("rust", "rust"))
            .await,
        "cached get_or_create",
    );
    assert!(failed_on_duplicate(&e), "{e}");
    let e = err(
        s.savepoint(|_| Box::pin(async { Ok(()) })).await,
        "savepoint",
    );
    assert!(failed_on_duplicate(&e), "{e}");
    let e = err(
        tags.exists(&mut s, &Condition::eq("name", "rust")).await,
        "exists",
    );
    assert!(failed_on_duplicate(&e), "{e}");
    assert_eq!(s.statements(), before, "nothing sent");
    ok(s.rollback().await, "rollback");
}

/// `DatabaseExt::transaction` does not commit work that swallowed a
/// database failure: it returns `SessionFailed` and saves nothing.
pub async fn session_transaction_never_commits_half<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    ok(s.commit().await, "commit");
    let key = *a.key();
    let p = posts.clone();
    let e = err(
        cx.db
            .transaction(3, move |s| {
                let p = p.clone();
                Box::pin(async move {
                    p.add(s, H::Post::new("b", "c")).await?;
                    let mut dup = H::Post::new("dup", "c");
                    dup.set_key(key);
                    let _ = p.add(s, dup).await;
                    Ok(())
                })
            })
            .await,
        "transaction",
    );
    assert!(failed_on_duplicate(&e), "{e}");
    assert_eq!(stored_titles(&cx).await, ["a"]);
    // A fresh session works as usual.
    let mut s = cx.db.begin().await.unwrap_or_else(|e| panic!("begin: {e}"));
    ok(posts.add(&mut s, H::Post::new("c", "c")).await, "add c");
    ok(s.commit().await, "commit");
    assert_eq!(stored_titles(&cx).await, ["a", "c"]);
}

/// A write of several rows that fails half-way (`update_many` with a row
/// that does not exist: the others were written) fails the session, so
/// the half is never committed.
pub async fn session_write_failing_half_way_is_never_committed<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    ok(s.commit().await, "commit");
    let mut changed = a.clone();
    changed.set_title("changed");
    let mut ghost = H::Post::new("ghost", "c");
    ghost.set_key(uuid::Uuid::now_v7());
    let mut s = cx.begin().await;
    let e = err(
        posts.update_many(&mut s, vec![changed, ghost]).await,
        "update_many with a missing row",
    );
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    assert!(
        s.failure()
            .is_some_and(|f| matches!(f, Error::NotFound { .. })),
        "{:?}",
        s.failure()
    );
    let e = err(s.commit().await, "commit");
    assert!(
        matches!(&e, Error::SessionFailed { first } if matches!(**first, Error::NotFound { .. })),
        "{e}"
    );
    assert_eq!(
        stored_titles(&cx).await,
        ["a"],
        "nothing of the update was kept"
    );
}
