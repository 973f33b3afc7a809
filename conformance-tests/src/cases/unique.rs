//! The unique mixin and get-or-create (foundation point 6).

use std::collections::HashSet;
use std::sync::Arc;

use alchemy_core::slug::SlugKey;
use alchemy_core::unique::Unique;
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};

use crate::fixtures::TagFixture;
use crate::harness::{Cx, Harness};
use crate::{err, ok};

fn tag<H: Harness>(name: &str) -> H::Tag {
    let slug = alchemy_core::slug::slugify(name).unwrap_or_else(|e| panic!("{e}"));
    H::Tag::new(name, &slug)
}

async fn count_tags<H: Harness>(cx: &Cx<H>, names: &[String]) -> usize {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let mut n = 0;
    for name in names {
        let filter = H::Tag::unique_filter(name);
        if ok(tags.get_one_or_none(&mut s, &filter).await, "lookup").is_some() {
            n += 1;
        }
    }
    ok(s.rollback().await, "rollback");
    n
}

/// get-or-create inserts a missing row once; later calls return the same row.
pub async fn unique_get_or_create_inserts_once<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let a = ok(tags.get_or_create(&mut s, tag::<H>("Rust")).await, "first");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let b = ok(tags.get_or_create(&mut s, tag::<H>("Rust")).await, "second");
    ok(s.commit().await, "commit");
    assert_eq!(a.key(), b.key());
    assert_eq!(b.name(), "Rust");
    assert_eq!(count_tags(&cx, &["Rust".into()]).await, 1);
}

/// get-or-create returns the existing row untouched (the candidate's other fields are ignored).
pub async fn unique_get_or_create_returns_existing_row<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let existing = ok(
        tags.add(&mut s, H::Tag::new("SQL", "structured")).await,
        "add",
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let got = ok(
        tags.get_or_create(&mut s, H::Tag::new("SQL", "other-slug"))
            .await,
        "get_or_create",
    );
    ok(s.commit().await, "commit");
    assert_eq!(got.key(), existing.key());
    assert_eq!(got.slug(), "structured");
}

/// Within one session, a repeated key is answered from the cache without a statement.
pub async fn unique_cache_answers_repeats_without_a_statement<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let a = ok(
        tags.get_or_create(&mut s, tag::<H>("cached")).await,
        "first",
    );
    let before = s.statements();
    assert!(before > 0, "the first call queried");
    for _ in 0..10 {
        let b = ok(
            tags.get_or_create(&mut s, tag::<H>("cached")).await,
            "repeat",
        );
        assert_eq!(b.key(), a.key());
    }
    assert_eq!(s.statements(), before, "repeats sent no statement");
    ok(s.commit().await, "commit");
    // A new session has its own, empty cache.
    let mut s = cx.begin().await;
    ok(
        tags.get_or_create(&mut s, tag::<H>("cached")).await,
        "new session",
    );
    assert!(s.statements() > 0, "a new session queries again");
    ok(s.rollback().await, "rollback");
}

/// A new key costs one SELECT and one INSERT (no savepoint, no retry); an
/// existing key one SELECT. Where no clause skips only duplicates
/// (MariaDB), the insert is a plain one, which a duplicate leaves undone
/// alone.
pub async fn unique_get_or_create_sends_one_statement_per_step<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    ok(
        tags.get_or_create(&mut s, tag::<H>("fresh")).await,
        "new key",
    );
    assert_eq!(s.statements(), 2, "SELECT, then INSERT");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    ok(
        tags.get_or_create(&mut s, tag::<H>("fresh")).await,
        "existing key",
    );
    assert_eq!(s.statements(), 1, "one SELECT");
    ok(s.rollback().await, "rollback");
}

/// The cache dies with its transaction: after a rollback the row is created anew.
pub async fn unique_cache_dies_with_rollback<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let gone = ok(
        tags.get_or_create(&mut s, tag::<H>("ephemeral")).await,
        "create",
    );
    ok(s.rollback().await, "rollback");
    let mut s = cx.begin().await;
    let again = ok(
        tags.get_or_create(&mut s, tag::<H>("ephemeral")).await,
        "create again",
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let stored = ok(tags.get(&mut s, again.key()).await, "get");
    ok(s.rollback().await, "rollback");
    assert_eq!(stored.name(), "ephemeral");
    assert_eq!(count_tags(&cx, &["ephemeral".into()]).await, 1);
    let _ = gone;
}

/// 8 tasks x 50 transactions get-or-create the same 20 keys: exactly 20 rows, no error.
pub async fn unique_concurrent_get_or_create<H: Harness>(cx: Arc<Cx<H>>) {
    const TASKS: usize = 8;
    const ROUNDS: usize = 50;
    const KEYS: usize = 20;
    let names: Vec<String> = (0..KEYS).map(|k| format!("key {k:02}")).collect();
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let db = cx.db.clone();
        let tags = cx.h.tags();
        let names = names.clone();
        handles.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            let mut ids = HashSet::new();
            for _ in 0..ROUNDS {
                let round = async {
                    let mut s = alchemy_core::Database::begin(&db).await?;
                    for name in &names {
                        let t = tags.get_or_create(&mut s, tag::<H>(name)).await?;
                        ids.insert(*t.key());
                    }
                    s.commit().await
                };
                if let Err(e) = round.await {
                    errors.push(e.to_string());
                }
            }
            (errors, ids)
        }));
    }
    let mut all_ids = HashSet::new();
    for h in handles {
        let (errors, ids) = h.await.unwrap_or_else(|e| panic!("task: {e}"));
        assert!(
            errors.is_empty(),
            "{} rounds failed, first: {}",
            errors.len(),
            errors[0]
        );
        all_ids.extend(ids);
    }
    assert_eq!(all_ids.len(), KEYS, "every caller saw the same {KEYS} rows");
    assert_eq!(count_tags(&cx, &names).await, KEYS);
}

/// A candidate that clashes on a different unique constraint (the slug) is
/// `DuplicateKey` naming it, and the caller's transaction stays usable.
pub async fn unique_conflict_on_other_constraint_is_duplicate_key<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    ok(
        tags.get_or_create(&mut s, H::Tag::new("Rust", "rust"))
            .await,
        "first",
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let before = ok(
        tags.get_or_create(&mut s, H::Tag::new("Go", "go")).await,
        "a write before the clash",
    );
    let e = err(
        tags.get_or_create(&mut s, H::Tag::new("rust", "rust"))
            .await,
        "clash",
    );
    // PostgreSQL aborts a transaction on an error unless it came inside a
    // savepoint: the session must still write and commit.
    let after = ok(
        tags.get_or_create(&mut s, H::Tag::new("Zig", "zig")).await,
        "a write after the clash",
    );
    ok(s.commit().await, "commit after the clash");
    assert_eq!(
        count_tags(&cx, &["Go".into(), "Zig".into(), "rust".into()]).await,
        2,
        "both writes around the clash are stored, the clashing row is not"
    );
    assert_ne!(before.key(), after.key());
    match e {
        Error::DuplicateKey { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some("uq_tag_slug"))
        }
        other => panic!("expected DuplicateKey, got {other}"),
    }
}

/// 8 tasks released together get-or-create the same new row (name and slug),
/// 100 times: one row each time, no error (PostgreSQL can report the slug's
/// unique index instead of the conflict target when two inserts race).
pub async fn unique_concurrent_create_of_one_new_row<H: Harness>(cx: Arc<Cx<H>>) {
    const TASKS: usize = 8;
    const ROUNDS: usize = 100;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let (db, tags, barrier) = (cx.db.clone(), cx.h.tags(), barrier.clone());
        handles.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            for round in 0..ROUNDS {
                let name = format!("race {round:03}");
                // Released together; on SQLite `begin` then queues for the write lock.
                barrier.wait().await;
                let r = async {
                    let mut s = alchemy_core::Database::begin(&db).await?;
                    tags.get_or_create(&mut s, tag::<H>(&name)).await?;
                    s.commit().await
                };
                if let Err(e) = r.await {
                    errors.push(e.to_string());
                }
            }
            errors
        }));
    }
    for h in handles {
        let errors = h.await.unwrap_or_else(|e| panic!("task: {e}"));
        assert!(
            errors.is_empty(),
            "{} rounds failed, first: {}",
            errors.len(),
            errors[0]
        );
    }
    let names: Vec<String> = (0..ROUNDS).map(|r| format!("race {r:03}")).collect();
    assert_eq!(count_tags(&cx, &names).await, ROUNDS);
}

/// `get_or_create_with` builds its candidate only when no row has the key: not
/// for a cached key, not for a stored row; the row it inserts is cached.
pub async fn unique_get_or_create_with_builds_only_missing_rows<H: Harness>(cx: Arc<Cx<H>>) {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let stored = ok(tags.add(&mut s, tag::<H>("stored")).await, "add");
    ok(s.commit().await, "commit");

    let built = AtomicUsize::new(0);
    let make = |name: &str| {
        built.fetch_add(1, Ordering::Relaxed);
        tag::<H>(name)
    };
    let mut s = cx.begin().await;
    let key = "stored".to_string();
    let found = ok(
        tags.get_or_create_with(&mut s, &key, || make("stored"))
            .await,
        "stored row",
    );
    assert_eq!(found.key(), stored.key());
    assert_eq!(
        built.load(Ordering::Relaxed),
        0,
        "a stored row builds nothing"
    );

    let key = "new".to_string();
    let made = ok(
        tags.get_or_create_with(&mut s, &key, || make("new")).await,
        "missing row",
    );
    assert_eq!(made.name(), "new");
    assert_eq!(
        built.load(Ordering::Relaxed),
        1,
        "a missing row is built once"
    );
    let before = s.statements();
    let again = ok(
        tags.get_or_create_with(&mut s, &key, || make("new")).await,
        "cached row",
    );
    assert_eq!(again.key(), made.key());
    assert_eq!(s.statements(), before, "a cached key sends nothing");
    assert_eq!(
        built.load(Ordering::Relaxed),
        1,
        "a cached key builds nothing"
    );
    ok(s.commit().await, "commit");
    assert_eq!(count_tags(&cx, &[key]).await, 1);
}

/// `get_or_create_with` whose candidate has another natural key than the key
/// looked up is `InvalidInput`, and nothing is inserted.
pub async fn unique_get_or_create_with_checks_the_candidate_key<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let key = "asked".to_string();
    let e = err(
        tags.get_or_create_with(&mut s, &key, || tag::<H>("built"))
            .await,
        "mismatched candidate",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    assert!(e.to_string().contains("asked"), "{e}");
    ok(s.commit().await, "commit");
    assert_eq!(count_tags(&cx, &["asked".into(), "built".into()]).await, 0);
}

/// `get_unique_or_none` finds a row by its natural key in one statement,
/// returns `None` for a missing key, and rejects a key its column cannot
/// hold before sending anything.
pub async fn unique_get_unique_or_none_finds_by_natural_key<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let added = ok(tags.add(&mut s, tag::<H>("natural")).await, "add");
    let before = s.statements();
    let found = ok(
        tags.get_unique_or_none(&mut s, &"natural".to_string())
            .await,
        "present",
    );
    assert_eq!(found.map(|t| *t.key()), Some(*added.key()));
    assert_eq!(s.statements(), before + 1, "one statement per lookup");
    let missing = ok(
        tags.get_unique_or_none(&mut s, &"absent".to_string()).await,
        "absent",
    );
    assert!(missing.is_none(), "{missing:?}");
    let before = s.statements();
    let e = err(
        tags.get_unique_or_none(&mut s, &"nul\0byte".to_string())
            .await,
        "NUL in the key",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    assert!(e.to_string().contains("name"), "names the column: {e}");
    assert_eq!(s.statements(), before, "nothing is sent");
    ok(s.commit().await, "commit");
}
