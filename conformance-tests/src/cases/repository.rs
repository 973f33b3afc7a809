//! The minimal repository and the unit of work (foundation point 8).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use alchemy_core::base::BigIntBase;
use alchemy_core::filter::Condition;
use alchemy_core::schema::Dialect;
use alchemy_core::{Database, DatabaseExt, Error, Model, Repository, Session};

use crate::fixtures::{ItemFixture, PostFixture, WidgetFixture};
use crate::harness::{Cx, Harness, HasWidget};
use crate::{err, ok};

/// `add` returns the stored row: key set, columns as given, server defaults read back.
pub async fn add_returns_stored_row<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(
        posts.add(&mut s, H::Post::new("Hello", "World")).await,
        "add",
    );
    ok(s.commit().await, "commit");
    assert_eq!(p.title(), "Hello");
    assert_eq!(p.content(), "World");
    assert!(!p.published(), "published defaults to false");
    let mut s = cx.begin().await;
    let got = ok(posts.get(&mut s, p.key()).await, "get");
    ok(s.rollback().await, "rollback");
    assert_eq!(got.title(), "Hello");
    assert_eq!(got.key(), p.key());
}

/// `add_many` returns rows in input order with their keys (client and database keys).
pub async fn add_many_returns_input_order_with_keys<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let widgets = <H as HasWidget<BigIntBase>>::widgets(&cx.h);
    let mut s = cx.begin().await;
    let names: Vec<String> = (0..250).map(|i| format!("row {i:03}")).collect();
    let rows = ok(
        posts
            .add_many(&mut s, names.iter().map(|n| H::Post::new(n, "c")).collect())
            .await,
        "add_many posts",
    );
    let titles: Vec<&str> = rows.iter().map(|p| p.title()).collect();
    assert_eq!(titles, names);
    let ws = ok(
        widgets
            .add_many(
                &mut s,
                names.iter().map(|n| WidgetFixture::new(n)).collect(),
            )
            .await,
        "add_many widgets",
    );
    let got: Vec<&str> = ws.iter().map(|w| w.name()).collect();
    assert_eq!(got, names);
    for pair in ws.windows(2) {
        assert!(
            pair[0].key() < pair[1].key(),
            "identity keys follow input order"
        );
    }
    for (w, n) in ws.iter().zip(&names) {
        let stored = ok(widgets.get(&mut s, w.key()).await, "get widget");
        assert_eq!(stored.name(), n, "the key returned belongs to that row");
    }
    for p in rows.iter().step_by(50) {
        let stored = ok(posts.get(&mut s, p.key()).await, "get post");
        assert_eq!(stored.title(), p.title());
    }
    ok(s.commit().await, "commit");
}

/// `add_many` sends batched statements, not one statement per row.
pub async fn add_many_batches_statements<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let before = s.statements();
    let rows = ok(
        posts
            .add_many(
                &mut s,
                (0..1000)
                    .map(|i| H::Post::new(&format!("p{i}"), "c"))
                    .collect(),
            )
            .await,
        "add_many",
    );
    let sent = s.statements() - before;
    ok(s.commit().await, "commit");
    assert_eq!(rows.len(), 1000);
    assert!((1..=20).contains(&sent), "1000 rows took {sent} statements");
}

/// `add_many` of nothing returns nothing and sends nothing.
pub async fn add_many_empty_is_a_no_op<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let before = s.statements();
    let rows = ok(cx.h.posts().add_many(&mut s, Vec::new()).await, "add_many");
    assert!(rows.is_empty());
    assert_eq!(s.statements(), before);
    ok(s.rollback().await, "rollback");
}

/// `get` of a missing key is `NotFound` naming the table and the key.
pub async fn get_missing_is_not_found<H: Harness>(cx: Arc<Cx<H>>) {
    let mut p = H::Post::new("t", "c");
    let key = uuid::Uuid::now_v7();
    p.set_key(key);
    let mut s = cx.begin().await;
    let e = err(cx.h.posts().get(&mut s, p.key()).await, "get");
    ok(s.rollback().await, "rollback");
    match &e {
        Error::NotFound { entity, key: k } => {
            assert_eq!(entity, "post");
            assert_eq!(k, &key.to_string());
        }
        other => panic!("expected NotFound, got {other}"),
    }
}

/// `update` writes the changed fields and returns the stored row.
pub async fn update_writes_fields<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let mut p = ok(posts.add(&mut s, H::Post::new("before", "c")).await, "add");
    let other = ok(
        posts.add(&mut s, H::Post::new("untouched", "c")).await,
        "add other",
    );
    ok(s.commit().await, "commit");
    p.set_title("after");
    let mut s = cx.begin().await;
    let u = ok(posts.update(&mut s, p.clone()).await, "update");
    assert_eq!(u.title(), "after");
    assert_eq!(ok(posts.get(&mut s, p.key()).await, "get").title(), "after");
    assert_eq!(
        ok(posts.get(&mut s, other.key()).await, "get other").title(),
        "untouched"
    );
    ok(s.commit().await, "commit");
}

/// `update` of a row that does not exist is `NotFound`.
pub async fn update_missing_is_not_found<H: Harness>(cx: Arc<Cx<H>>) {
    let mut p = H::Post::new("t", "c");
    p.set_key(uuid::Uuid::now_v7());
    let mut s = cx.begin().await;
    let e = err(cx.h.posts().update(&mut s, p).await, "update");
    ok(s.rollback().await, "rollback");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
}

/// `delete` returns the deleted row, and it is gone.
pub async fn delete_returns_the_row<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("bye", "c")).await, "add");
    let d = ok(posts.delete(&mut s, p.key()).await, "delete");
    assert_eq!(d.key(), p.key());
    assert_eq!(d.title(), "bye");
    let e = err(posts.get(&mut s, p.key()).await, "get after delete");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    ok(s.commit().await, "commit");
}

/// `delete` of a missing key is `NotFound`.
pub async fn delete_missing_is_not_found<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let e = err(
        cx.h.posts().delete(&mut s, &uuid::Uuid::now_v7()).await,
        "delete",
    );
    ok(s.rollback().await, "rollback");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
}

/// Several calls in one session roll back together.
pub async fn session_rollback_discards_writes<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add");
    let many = ok(
        posts.add_many(&mut s, vec![H::Post::new("b", "c")]).await,
        "add_many",
    );
    ok(s.rollback().await, "rollback");
    let mut s = cx.begin().await;
    for key in [p.key(), many[0].key()] {
        let e = err(posts.get(&mut s, key).await, "get");
        assert!(matches!(e, Error::NotFound { .. }), "{e}");
    }
    ok(s.rollback().await, "rollback");
}

/// A session dropped without `commit` or `rollback` rolls back, and its
/// connection serves the next session (moved from alchemy-diesel's own
/// tests: every backend must behave so).
pub async fn session_dropped_rolls_back<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("gone", "c")).await, "add");
    drop(s);
    let mut s = cx.begin().await;
    let e = err(posts.get(&mut s, p.key()).await, "get");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    ok(
        posts.add(&mut s, H::Post::new("kept", "c")).await,
        "a write after the drop",
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    assert_eq!(ok(posts.count(&mut s, None).await, "count"), 1);
    ok(s.rollback().await, "rollback");
}

/// `None` is written as NULL by `update` (a changed column) and by
/// `update_many`, also when a `VALUES` column holds only NULLs, which
/// PostgreSQL can type only from a typed bind.
pub async fn update_writes_none_as_null<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let mut with_notes = Vec::new();
    for name in ["a", "b", "c"] {
        let mut item = H::Item::new(name, 1, true);
        item.set_note(Some("x"));
        with_notes.push(item);
    }
    let mut added = ok(items.add_many(&mut s, with_notes).await, "add_many");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let mut one = ok(items.get(&mut s, added[0].key()).await, "get");
    one.set_note(None);
    one.set_rank(2);
    let written = ok(items.update(&mut s, one).await, "update");
    assert_eq!((written.note(), written.rank()), (None, 2));
    let rest: Vec<H::Item> = added
        .drain(1..)
        .map(|mut item| {
            item.set_note(None);
            item
        })
        .collect();
    let written = ok(items.update_many(&mut s, rest).await, "update_many");
    assert!(
        written.iter().all(|i| i.note().is_none()),
        "returned as NULL"
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let nulls = ok(
        items.count(&mut s, Some(&Condition::is_null("note"))).await,
        "count",
    );
    assert_eq!(nulls, 3, "stored as NULL");
    ok(s.rollback().await, "rollback");
}

/// Committed writes are visible to the next session.
pub async fn session_commit_persists<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("kept", "c")).await, "add");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    assert_eq!(ok(posts.get(&mut s, p.key()).await, "get").title(), "kept");
    ok(s.rollback().await, "rollback");
}

/// `DatabaseExt::transaction` re-runs a unit of work that failed with `Busy`, after rolling it back.
pub async fn session_transaction_retries_busy_work<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let tries = Arc::new(AtomicU32::new(0));
    let first_key = Arc::new(std::sync::Mutex::new(None));
    let (t, k) = (tries.clone(), first_key.clone());
    let stored = ok(
        cx.db
            .transaction(3, move |s| {
                let (posts, t, k) = (posts.clone(), t.clone(), k.clone());
                Box::pin(async move {
                    let p = posts.add(s, H::Post::new("retried", "c")).await?;
                    if t.fetch_add(1, Ordering::SeqCst) == 0 {
                        *k.lock().unwrap_or_else(|e| e.into_inner()) = Some(*p.key());
                        return Err(Error::Busy {
                            source: "simulated lock timeout".into(),
                        });
                    }
                    Ok(p)
                })
            })
            .await,
        "transaction",
    );
    assert_eq!(tries.load(Ordering::SeqCst), 2);
    let first = first_key
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(|| panic!("the first attempt ran"));
    let mut s = cx.begin().await;
    let e = err(
        cx.h.posts().get(&mut s, &first).await,
        "first attempt's row",
    );
    assert!(
        matches!(e, Error::NotFound { .. }),
        "the failed attempt was rolled back: {e}"
    );
    assert_eq!(
        ok(cx.h.posts().get(&mut s, stored.key()).await, "get").title(),
        "retried"
    );
    ok(s.rollback().await, "rollback");
}

/// `DatabaseExt::transaction` gives up after its attempts and returns the last `Busy`;
/// other errors are returned at once.
pub async fn session_transaction_gives_up<H: Harness>(cx: Arc<Cx<H>>) {
    let tries = Arc::new(AtomicU32::new(0));
    let t = tries.clone();
    let e = err(
        cx.db
            .transaction(3, move |_s| {
                let t = t.clone();
                Box::pin(async move {
                    t.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(Error::Busy {
                        source: "always busy".into(),
                    })
                })
            })
            .await,
        "transaction",
    );
    assert!(e.is_retryable(), "{e}");
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    let t = tries.clone();
    let e = err(
        cx.db
            .transaction(3, move |_s| {
                let t = t.clone();
                Box::pin(async move {
                    t.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(Error::invalid_input("not retryable"))
                })
            })
            .await,
        "transaction",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    assert_eq!(tries.load(Ordering::SeqCst), 4);
}

/// A lock conflict is `Busy`: SQLite's busy timeout running out, PostgreSQL's deadlock victim.
pub async fn errors_lock_conflict_is_busy<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    if cx.dialect == Dialect::Sqlite {
        // A session holds the write lock; a second one waits out the busy timeout.
        let holder = cx.begin().await;
        match cx.db.begin().await {
            Err(e) => assert!(e.is_retryable(), "{e}"),
            Ok(_) => panic!("a second writer got the lock while the first held it"),
        }
        ok(holder.rollback().await, "rollback");
        return;
    }
    let mut s = cx.begin().await;
    let a = ok(posts.add(&mut s, H::Post::new("a", "c")).await, "add a");
    let b = ok(posts.add(&mut s, H::Post::new("b", "c")).await, "add b");
    ok(s.commit().await, "commit");
    let mut s1 = cx.begin().await;
    let mut s2 = cx.begin().await;
    ok(posts.update(&mut s1, a.clone()).await, "s1 locks a");
    ok(posts.update(&mut s2, b.clone()).await, "s2 locks b");
    let p = posts.clone();
    let first = tokio::spawn(async move {
        let r = p.update(&mut s1, b).await;
        (r, s1)
    });
    // Give s1 time to start waiting on b, then close the cycle.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let second = posts.update(&mut s2, a).await;
    let (first, s1) = first.await.unwrap_or_else(|e| panic!("task: {e}"));
    let busy = [first.as_ref().err(), second.as_ref().err()]
        .into_iter()
        .flatten()
        .filter(|e| e.is_retryable())
        .count();
    assert_eq!(
        busy, 1,
        "exactly one side is the deadlock victim: {first:?} / {second:?}"
    );
    let _ = s1.rollback().await;
    let _ = s2.rollback().await;
}

/// A deleted row is forgotten by the session: a row inserted again with its
/// key and then updated is compared with the new row, not the deleted one,
/// so a change back to the deleted row's value is still written. Through
/// `delete`, `delete_many` and `delete_where`.
pub async fn update_after_delete_and_reinsert_writes_every_change<H: Harness>(cx: Arc<Cx<H>>) {
    use alchemy_core::filter::Condition;
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let stored = ok(posts.add(&mut s, H::Post::new("old", "body")).await, "seed");
    ok(s.commit().await, "commit");
    let key = *stored.key();
    for how in ["delete", "delete_many", "delete_where"] {
        let mut s = cx.begin().await;
        ok(posts.get(&mut s, &key).await, "load");
        let deleted = match how {
            "delete" => vec![ok(posts.delete(&mut s, &key).await, how)],
            "delete_many" => ok(
                posts.delete_many(&mut s, std::slice::from_ref(&key)).await,
                how,
            ),
            _ => ok(
                posts
                    .delete_where(&mut s, &Condition::eq("title", "old"))
                    .await,
                how,
            ),
        };
        assert_eq!(deleted.len(), 1, "{how}");
        // The same key again, with another title.
        let mut again = stored.clone();
        again.set_title("new");
        let mut again = ok(posts.add(&mut s, again).await, "add again");
        assert_eq!(again.key(), &key);
        // Back to the deleted row's title: a change against the stored row.
        again.set_title("old");
        ok(posts.update(&mut s, again).await, "update");
        ok(s.commit().await, "commit");

        let mut s = cx.begin().await;
        let read = ok(posts.get(&mut s, &key).await, "read");
        assert_eq!(read.title(), "old", "after {how}: the title was written");
        ok(s.rollback().await, "rollback");
    }
}

/// `update` writes only the columns changed since the session loaded the row, so a
/// concurrent change to another column survives (interleaved on PostgreSQL and
/// MariaDB; SQLite serialises writers); a row the session never loaded has every
/// column written.
pub async fn update_writes_only_changed_columns<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let seeded = ok(items.add(&mut s, H::Item::new("x", 1, true)).await, "seed");
    ok(s.commit().await, "commit");

    if cx.dialect != Dialect::Sqlite {
        let mut s1 = cx.begin().await;
        let mut mine = ok(items.get(&mut s1, seeded.key()).await, "s1 loads");
        let mut s2 = cx.begin().await;
        let mut theirs = ok(items.get(&mut s2, seeded.key()).await, "s2 loads");
        theirs.set_note(Some("from s2"));
        ok(items.update(&mut s2, theirs).await, "s2 updates the note");
        ok(s2.commit().await, "s2 commits");
        mine.set_rank(5);
        let written = ok(items.update(&mut s1, mine).await, "s1 updates the rank");
        ok(s1.commit().await, "s1 commits");
        assert_eq!(written.rank(), 5);
        assert_eq!(
            written.note(),
            Some("from s2"),
            "s1 did not write the note back"
        );
    } else {
        let mut s1 = cx.begin().await;
        let mut mine = ok(items.get(&mut s1, seeded.key()).await, "load");
        mine.set_note(Some("from s2"));
        ok(items.update(&mut s1, mine).await, "update");
        ok(s1.commit().await, "commit");
    }

    // A stale copy the session never loaded: every column is written.
    let mut stale = seeded.clone();
    stale.set_rank(9);
    let mut s3 = cx.begin().await;
    let written = ok(items.update(&mut s3, stale).await, "stale update");
    ok(s3.commit().await, "commit");
    assert_eq!((written.rank(), written.note()), (9, None));

    // Nothing changed since loading: the row comes back with only updated_at moved.
    cx.clock.advance(chrono::TimeDelta::seconds(1));
    let mut s4 = cx.begin().await;
    let loaded = ok(items.get(&mut s4, seeded.key()).await, "load");
    let same = ok(items.update(&mut s4, loaded.clone()).await, "no-op update");
    ok(s4.commit().await, "commit");
    assert_eq!((same.rank(), same.note(), same.name()), (9, None, "x"));
    let (before, after) = (loaded.timestamps(), same.timestamps());
    assert!(
        after.map(|t| t.updated_at) > before.map(|t| t.updated_at),
        "updated_at bumped"
    );
}
