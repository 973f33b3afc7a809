//! Bulk writes, upserts and deletes (repository issue).

use std::collections::HashSet;
use std::sync::Arc;

use alchemy_core::audit::Timestamps;
use alchemy_core::base::BigIntBase;
use alchemy_core::filter::{Condition, Query};
use alchemy_core::schema::Dialect;
use alchemy_core::slug::SlugKey;
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};
use chrono::{SubsecRound, TimeDelta};

use super::data::seed;
use crate::fixtures::{ItemFixture, PostFixture, TagFixture, WidgetFixture};
use crate::harness::{Cx, Harness, HasWidget};
use crate::{START, err, ok};

fn stamps<M: Model>(m: &M) -> Timestamps {
    m.timestamps()
        .unwrap_or_else(|| panic!("{} has no audit columns", M::table().name()))
}

/// `update_many` writes every row in batches, returns them in input order, and bumps `updated_at`.
pub async fn update_many_writes_rows_in_order<H: Harness>(cx: Arc<Cx<H>>) {
    let rows = seed(&cx).await;
    let created = stamps(&rows[0]).created_at;
    cx.clock.advance(TimeDelta::seconds(90));
    let mut changed: Vec<H::Item> = rows.iter().rev().take(4).cloned().collect();
    for (i, r) in changed.iter_mut().enumerate() {
        r.set_rank(1_000 + i as i64);
        r.set_note(Some("bulk"));
    }
    let mut s = cx.begin().await;
    let out = ok(
        cx.h.items().update_many(&mut s, changed.clone()).await,
        "update_many",
    );
    ok(s.commit().await, "commit");
    assert_eq!(
        out.iter().map(|r| r.key()).collect::<Vec<_>>(),
        changed.iter().map(|r| r.key()).collect::<Vec<_>>(),
        "input order"
    );
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.rank(), 1_000 + i as i64);
        assert_eq!(r.note(), Some("bulk"));
        assert_eq!(stamps(r).created_at, created, "created_at kept");
        assert_eq!(
            stamps(r).updated_at,
            created + TimeDelta::seconds(90),
            "updated_at bumped"
        );
    }
    let mut s = cx.begin().await;
    let untouched = ok(cx.h.items().get(&mut s, rows[0].key()).await, "get");
    assert_eq!(untouched.rank(), rows[0].rank());
    assert_eq!(stamps(&untouched).updated_at, created);
    let n = ok(
        cx.h.items()
            .count(&mut s, Some(&Condition::eq("note", "bulk")))
            .await,
        "count",
    );
    assert_eq!(n, 4);
    ok(s.rollback().await, "rollback");
}

/// `update_many` with a missing row is `NotFound`; the same key twice is `InvalidInput`.
pub async fn update_many_missing_or_repeated_rows<H: Harness>(cx: Arc<Cx<H>>) {
    let rows = seed(&cx).await;
    let mut ghost = H::Item::new("ghost", 1, true);
    ghost.set_key(987_654);
    let mut s = cx.begin().await;
    let e = err(
        cx.h.items()
            .update_many(&mut s, vec![rows[0].clone(), ghost])
            .await,
        "missing",
    );
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    ok(s.rollback().await, "rollback");
    let mut s = cx.begin().await;
    let e = err(
        cx.h.items()
            .update_many(&mut s, vec![rows[1].clone(), rows[1].clone()])
            .await,
        "twice",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    ok(s.rollback().await, "rollback");
}

async fn upsert_mixed<H: Harness>(cx: Arc<Cx<H>>, native: bool) {
    // Tags match on their unique name (native ON CONFLICT); items on a
    // non-unique name (select-then-write). Both must behave the same.
    let t0 = START().trunc_subsecs(6);
    let mut s = cx.begin().await;
    let old_keys: Vec<String> = if native {
        let a = ok(cx.h.tags().add(&mut s, H::Tag::new("a", "a")).await, "a");
        let b = ok(cx.h.tags().add(&mut s, H::Tag::new("b", "b")).await, "b");
        vec![a.key().to_string(), b.key().to_string()]
    } else {
        let a = ok(
            cx.h.items().add(&mut s, H::Item::new("a", 1, true)).await,
            "a",
        );
        let b = ok(
            cx.h.items().add(&mut s, H::Item::new("b", 2, true)).await,
            "b",
        );
        vec![a.key().to_string(), b.key().to_string()]
    };
    ok(s.commit().await, "commit");
    cx.clock.advance(TimeDelta::minutes(5));
    let t1 = t0 + TimeDelta::minutes(5);
    let mut s = cx.begin().await;
    let (keys, created_at, updated_at, created, updated) = if native {
        let input = vec![
            H::Tag::new("c", "c"),
            H::Tag::new("b", "b-renamed"),
            H::Tag::new("d", "d"),
        ];
        let done = ok(
            cx.h.tags().upsert_many(&mut s, input, &["name"]).await,
            "upsert_many",
        );
        assert_eq!(
            done.rows.iter().map(|t| t.name()).collect::<Vec<_>>(),
            ["c", "b", "d"],
            "input order"
        );
        assert_eq!(done.rows[1].slug(), "b-renamed", "existing row updated");
        let keys: Vec<String> = done.rows.iter().map(|t| t.key().to_string()).collect();
        let ts: Vec<Timestamps> = done.rows.iter().map(stamps).collect();
        (
            keys,
            ts.iter().map(|t| t.created_at).collect::<Vec<_>>(),
            ts.iter().map(|t| t.updated_at).collect::<Vec<_>>(),
            done.created,
            done.updated,
        )
    } else {
        let input = vec![
            H::Item::new("c", 30, true),
            H::Item::new("b", 20, false),
            H::Item::new("d", 40, true),
        ];
        let done = ok(
            cx.h.items().upsert_many(&mut s, input, &["name"]).await,
            "upsert_many",
        );
        assert_eq!(
            done.rows.iter().map(|t| t.name()).collect::<Vec<_>>(),
            ["c", "b", "d"],
            "input order"
        );
        assert_eq!(
            (done.rows[1].rank(), done.rows[1].active()),
            (20, false),
            "existing row updated"
        );
        let keys: Vec<String> = done.rows.iter().map(|t| t.key().to_string()).collect();
        let ts: Vec<Timestamps> = done.rows.iter().map(stamps).collect();
        (
            keys,
            ts.iter().map(|t| t.created_at).collect::<Vec<_>>(),
            ts.iter().map(|t| t.updated_at).collect::<Vec<_>>(),
            done.created,
            done.updated,
        )
    };
    ok(s.commit().await, "commit");
    assert_eq!((created, updated), (2, 1));
    assert_eq!(keys[1], old_keys[1], "the existing row keeps its key");
    assert_eq!(
        created_at[1], t0,
        "created_at of the existing row never changes"
    );
    assert_eq!(updated_at[1], t1, "updated_at of the updated row is bumped");
    assert_eq!(
        (created_at[0], updated_at[0]),
        (t1, t1),
        "new rows are stamped now"
    );
    let distinct: HashSet<&String> = keys.iter().chain(&old_keys).collect();
    assert_eq!(distinct.len(), 4, "two new keys, one reused, 'a' untouched");
}

/// `upsert_many` on a unique column (native ON CONFLICT): inserts new rows, updates existing ones.
pub async fn upsert_many_native_on_unique_column<H: Harness>(cx: Arc<Cx<H>>) {
    upsert_mixed(cx, true).await;
}

/// `upsert_many` on a non-unique column (select-then-write) behaves the same.
pub async fn upsert_many_select_then_write<H: Harness>(cx: Arc<Cx<H>>) {
    upsert_mixed(cx, false).await;
}

/// `upsert_many` select-then-write on a UUID-keyed table (posts matched on
/// their non-unique title): an existing row keeps its stored key and
/// `created_at` (read back from a 16-byte BLOB on SQLite, a `uuid` on
/// PostgreSQL) and gets every other value of the input.
pub async fn upsert_many_select_then_write_on_uuid_keys<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let one = ok(posts.add(&mut s, H::Post::new("one", "first")).await, "one");
    let two = ok(posts.add(&mut s, H::Post::new("two", "first")).await, "two");
    ok(s.commit().await, "commit");
    cx.clock.advance(TimeDelta::minutes(5));
    let mut s = cx.begin().await;
    let done = ok(
        posts
            .upsert_many(
                &mut s,
                vec![H::Post::new("three", "new"), H::Post::new("two", "second")],
                &["title"],
            )
            .await,
        "upsert_many",
    );
    ok(s.commit().await, "commit");
    assert_eq!((done.created, done.updated), (1, 1));
    let updated = &done.rows[1];
    assert_eq!(updated.key(), two.key(), "the stored key is kept");
    assert_eq!(
        stamps(updated).created_at,
        stamps(&two).created_at,
        "created_at is kept"
    );
    assert!(stamps(updated).updated_at > stamps(&two).updated_at);
    assert_ne!(done.rows[0].key(), one.key());
    let mut s = cx.begin().await;
    let stored = ok(posts.get(&mut s, two.key()).await, "get");
    let all = ok(posts.count(&mut s, None).await, "count");
    ok(s.rollback().await, "rollback");
    assert_eq!((stored.title(), stored.content()), ("two", "second"));
    assert_eq!(stamps(&stored), stamps(updated), "returned as stored");
    assert_eq!(all, 3);
}

/// `upsert_many` select-then-write stores what it returns, whether the
/// matched rows change in different ways (one value per row) or all the
/// same way (one shared `SET`), and leaves columns no row changes alone.
pub async fn upsert_many_select_then_write_stores_each_change<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let mut seeded = Vec::new();
    for (i, name) in ["p", "q", "r"].into_iter().enumerate() {
        let mut item = H::Item::new(name, i64::try_from(i).unwrap_or(0), true);
        item.set_note(Some("kept"));
        seeded.push(ok(items.add(&mut s, item).await, "seed"));
    }
    ok(s.commit().await, "commit");
    let stored = async |cx: &Cx<H>| {
        let mut s = cx.begin().await;
        let rows = ok(
            cx.h.items()
                .list(&mut s, &Query::new().order_by("name"))
                .await,
            "list",
        );
        ok(s.rollback().await, "rollback");
        rows.iter()
            .map(|r| {
                (
                    r.name().to_string(),
                    r.rank(),
                    r.active(),
                    r.note().map(str::to_string),
                )
            })
            .collect::<Vec<_>>()
    };
    let kept = Some("kept".to_string());
    // The input carries no note: the note is a changed column, per row.
    let per_row = vec![
        H::Item::new("p", 10, true),
        H::Item::new("q", 20, false),
        H::Item::new("r", 2, true),
    ];
    let mut s = cx.begin().await;
    let done = ok(
        items.upsert_many(&mut s, per_row, &["name"]).await,
        "per-row changes",
    );
    ok(s.commit().await, "commit");
    assert_eq!((done.created, done.updated), (0, 3));
    let returned: Vec<(String, i64, bool, Option<String>)> = done
        .rows
        .iter()
        .map(|r| {
            (
                r.name().to_string(),
                r.rank(),
                r.active(),
                r.note().map(str::to_string),
            )
        })
        .collect();
    let want = vec![
        ("p".to_string(), 10, true, None),
        ("q".to_string(), 20, false, None),
        ("r".to_string(), 2, true, None),
    ];
    assert_eq!(returned, want, "returned rows");
    assert_eq!(stored(&cx).await, want, "stored rows");
    // Every row gets the same new rank and note; `active` changes in none.
    let shared: Vec<H::Item> = ["p", "q", "r"]
        .into_iter()
        .zip([true, false, true])
        .map(|(name, active)| {
            let mut item = H::Item::new(name, 99, active);
            item.set_note(Some("kept"));
            item
        })
        .collect();
    let mut s = cx.begin().await;
    let done = ok(
        items.upsert_many(&mut s, shared, &["name"]).await,
        "shared changes",
    );
    ok(s.commit().await, "commit");
    let want = vec![
        ("p".to_string(), 99, true, kept.clone()),
        ("q".to_string(), 99, false, kept.clone()),
        ("r".to_string(), 99, true, kept),
    ];
    assert_eq!(done.rows.len(), 3);
    assert_eq!(stored(&cx).await, want, "stored rows");
    for (row, old) in done.rows.iter().zip(&seeded) {
        assert_eq!(row.key(), old.key(), "the stored key is kept");
        assert!(stamps(row).updated_at >= stamps(old).updated_at);
    }
}

/// `upsert_many` matched on the key: client keys (native) and database keys (select-then-write).
pub async fn upsert_many_on_the_key<H: Harness>(cx: Arc<Cx<H>>) {
    let rows = seed(&cx).await;
    let mut changed = rows[0].clone();
    changed.set_rank(700);
    let fresh = H::Item::new("fresh", 701, true);
    let mut s = cx.begin().await;
    let done = ok(
        cx.h.items()
            .upsert_many(&mut s, vec![changed.clone(), fresh], &["id"])
            .await,
        "items on id",
    );
    assert_eq!((done.created, done.updated), (1, 1));
    assert_eq!(done.rows[0].key(), changed.key());
    assert_eq!(done.rows[0].rank(), 700);
    assert_eq!(done.rows[1].name(), "fresh");
    assert!(*done.rows[1].key() > 0, "the database numbered the new row");
    assert_eq!(ok(cx.h.items().count(&mut s, None).await, "count"), 11);

    let post = ok(
        cx.h.posts().add(&mut s, H::Post::new("kept", "c")).await,
        "post",
    );
    let mut edited = post.clone();
    edited.set_title("edited");
    let mut other = H::Post::new("other", "c");
    other.set_key(uuid::Uuid::now_v7());
    let done = ok(
        cx.h.posts()
            .upsert_many(&mut s, vec![edited, other.clone()], &["id"])
            .await,
        "posts on id",
    );
    assert_eq!((done.created, done.updated), (1, 1));
    assert_eq!(
        (done.rows[0].key(), done.rows[0].title()),
        (post.key(), "edited")
    );
    assert_eq!(done.rows[1].key(), other.key());
    ok(s.rollback().await, "rollback");
}

/// `upsert_many` never changes `created_at` of an existing row, on either path.
pub async fn upsert_many_keeps_created_at<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let tag = ok(
        cx.h.tags().add(&mut s, H::Tag::new("keep", "keep")).await,
        "tag",
    );
    let item = ok(
        cx.h.items()
            .add(&mut s, H::Item::new("keep", 1, true))
            .await,
        "item",
    );
    ok(s.commit().await, "commit");
    for round in 1..=3 {
        cx.clock.advance(TimeDelta::hours(1));
        let mut s = cx.begin().await;
        let t = ok(
            cx.h.tags()
                .upsert(
                    &mut s,
                    H::Tag::new("keep", &format!("keep-{round}")),
                    &["name"],
                )
                .await,
            "upsert tag",
        );
        let i = ok(
            cx.h.items()
                .upsert(&mut s, H::Item::new("keep", round, true), &["name"])
                .await,
            "upsert item",
        );
        ok(s.commit().await, "commit");
        assert_eq!(stamps(&t).created_at, stamps(&tag).created_at);
        assert_eq!(stamps(&i).created_at, stamps(&item).created_at);
        assert_eq!(
            stamps(&t).updated_at,
            stamps(&tag).created_at + TimeDelta::hours(round)
        );
        assert_eq!(
            stamps(&i).updated_at,
            stamps(&item).created_at + TimeDelta::hours(round)
        );
        assert_eq!(t.key(), tag.key());
        assert_eq!(i.key(), item.key());
    }
}

/// `upsert_many` rejects two input rows with the same match values and unknown match fields;
/// several stored matches are `MultipleResults`.
pub async fn upsert_many_rejects_ambiguous_input<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let e = err(
        items
            .upsert_many(
                &mut s,
                vec![H::Item::new("x", 1, true), H::Item::new("x", 2, true)],
                &["name"],
            )
            .await,
        "duplicate input",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    let before = s.statements();
    let e = err(
        items
            .upsert_many(&mut s, vec![H::Item::new("x", 1, true)], &["nope"])
            .await,
        "unknown",
    );
    assert!(e.to_string().contains("nope"), "{e}");
    assert_eq!(s.statements(), before, "nothing sent");
    ok(
        items
            .add_many(
                &mut s,
                vec![H::Item::new("dup", 1, true), H::Item::new("dup", 2, true)],
            )
            .await,
        "add",
    );
    let e = err(
        items
            .upsert_many(&mut s, vec![H::Item::new("dup", 3, true)], &["name"])
            .await,
        "several",
    );
    assert!(matches!(e, Error::MultipleResults { .. }), "{e}");
    ok(s.rollback().await, "rollback");
}

/// `upsert_many` of 10,000 rows (half existing) crosses bind-parameter limits, on both paths.
pub async fn upsert_many_10000_rows<H: Harness>(cx: Arc<Cx<H>>) {
    let names: Vec<String> = (0..10_000).map(|i| format!("row {i:05}")).collect();
    let mut s = cx.begin().await;
    ok(
        cx.h.posts()
            .add_many(
                &mut s,
                names
                    .iter()
                    .step_by(2)
                    .map(|n| H::Post::new(n, "old"))
                    .collect(),
            )
            .await,
        "seed posts",
    );
    ok(
        cx.h.tags()
            .add_many(
                &mut s,
                names
                    .iter()
                    .step_by(2)
                    .map(|n| H::Tag::new(n, &n.replace(' ', "-")))
                    .collect(),
            )
            .await,
        "seed tags",
    );
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let posts = ok(
        cx.h.posts()
            .upsert_many(
                &mut s,
                names.iter().map(|n| H::Post::new(n, "new")).collect(),
                &["title"],
            )
            .await,
        "upsert posts",
    );
    let tags = ok(
        cx.h.tags()
            .upsert_many(
                &mut s,
                names
                    .iter()
                    .map(|n| H::Tag::new(n, &format!("{}-x", n.replace(' ', "-"))))
                    .collect(),
                &["name"],
            )
            .await,
        "upsert tags",
    );
    ok(s.commit().await, "commit");
    assert_eq!(
        (posts.created, posts.updated, posts.rows.len()),
        (5_000, 5_000, 10_000)
    );
    assert_eq!(
        (tags.created, tags.updated, tags.rows.len()),
        (5_000, 5_000, 10_000)
    );
    assert!(
        posts
            .rows
            .iter()
            .zip(&names)
            .all(|(p, n)| p.title() == n && p.content() == "new")
    );
    assert!(
        tags.rows
            .iter()
            .zip(&names)
            .all(|(t, n)| t.name() == n && t.slug().ends_with("-x"))
    );
    let mut s = cx.begin().await;
    assert_eq!(ok(cx.h.posts().count(&mut s, None).await, "count"), 10_000);
    assert_eq!(ok(cx.h.tags().count(&mut s, None).await, "count"), 10_000);
    ok(s.rollback().await, "rollback");
}

/// `get_or_upsert` reports whether it created the row; `get_and_update` whether it changed it.
pub async fn get_or_upsert_and_get_and_update<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let (a, created) = ok(
        items
            .get_or_upsert(&mut s, H::Item::new("solo", 1, true), &["name"])
            .await,
        "first",
    );
    assert!(created);
    let (b, created) = ok(
        items
            .get_or_upsert(&mut s, H::Item::new("solo", 2, true), &["name"])
            .await,
        "second",
    );
    assert!(!created);
    assert_eq!((a.key(), b.rank()), (b.key(), 2));
    cx.clock.advance(TimeDelta::seconds(1));
    let (same, updated) = ok(
        items
            .get_and_update(&mut s, H::Item::new("solo", 2, true), &["name"])
            .await,
        "same",
    );
    assert!(!updated, "nothing differed");
    assert_eq!(
        stamps(&same).updated_at,
        stamps(&b).updated_at,
        "an unchanged row is not touched"
    );
    let (changed, updated) = ok(
        items
            .get_and_update(&mut s, H::Item::new("solo", 3, false), &["name"])
            .await,
        "changed",
    );
    assert!(updated);
    assert_eq!(
        (changed.key(), changed.rank(), changed.active()),
        (a.key(), 3, false)
    );
    assert!(stamps(&changed).updated_at > stamps(&b).updated_at);
    let e = err(
        items
            .get_and_update(&mut s, H::Item::new("nobody", 1, true), &["name"])
            .await,
        "missing",
    );
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    ok(s.rollback().await, "rollback");
}

/// `delete_many` returns the deleted rows and skips keys that do not exist.
pub async fn delete_many_returns_deleted_rows<H: Harness>(cx: Arc<Cx<H>>) {
    let rows = seed(&cx).await;
    let mut keys: Vec<i64> = rows.iter().take(3).map(|r| *r.key()).collect();
    keys.push(987_654);
    let mut s = cx.begin().await;
    let gone = ok(cx.h.items().delete_many(&mut s, &keys).await, "delete_many");
    let mut got: Vec<i64> = gone.iter().map(|r| *r.key()).collect();
    got.sort_unstable();
    let mut want = keys[..3].to_vec();
    want.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(ok(cx.h.items().count(&mut s, None).await, "count"), 7);
    assert!(ok(cx.h.items().delete_many(&mut s, &[]).await, "nothing").is_empty());
    ok(s.commit().await, "commit");
}

/// `delete_many` with 100,000 ids crosses every bind-parameter limit.
pub async fn delete_many_100000_ids<H: Harness>(cx: Arc<Cx<H>>) {
    let widgets = <H as HasWidget<BigIntBase>>::widgets(&cx.h);
    let mut s = cx.begin().await;
    let rows = ok(
        widgets
            .add_many(
                &mut s,
                (0..40_000)
                    .map(|i| WidgetFixture::new(&format!("w{i}")))
                    .collect(),
            )
            .await,
        "add_many",
    );
    ok(s.commit().await, "commit");
    let mut keys: Vec<i64> = rows.iter().map(|w| *w.key()).collect();
    let max = keys.iter().copied().max().unwrap_or(0);
    keys.extend((1..=60_000).map(|i| max + i));
    let mut s = cx.begin().await;
    let gone = ok(widgets.delete_many(&mut s, &keys).await, "delete_many");
    assert_eq!(gone.len(), 40_000);
    assert_eq!(ok(widgets.count(&mut s, None).await, "count"), 0);
    ok(s.commit().await, "commit");
}

/// `delete_where` deletes and returns exactly the rows a filter matches.
pub async fn delete_where_returns_matching_rows<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let mut s = cx.begin().await;
    let gone = ok(
        cx.h.items()
            .delete_where(&mut s, &Condition::gt("rank", 10i64))
            .await,
        "delete_where",
    );
    let mut ranks: Vec<i64> = gone.iter().map(|r| r.rank()).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, [13, 21, 34, 55]);
    let left = ok(
        cx.h.items()
            .list(&mut s, &Query::new().order_by("rank"))
            .await,
        "list",
    );
    assert_eq!(
        left.iter().map(|r| r.rank()).collect::<Vec<_>>(),
        [0, 1, 2, 3, 5, 8]
    );
    ok(s.commit().await, "commit");
}

/// `add_many` of 10,000 rows crosses bind-parameter limits and keeps input order.
pub async fn add_many_10000_rows<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let rows = ok(
        cx.h.posts()
            .add_many(
                &mut s,
                (0..10_000)
                    .map(|i| H::Post::new(&format!("p{i:05}"), "c"))
                    .collect(),
            )
            .await,
        "add_many",
    );
    ok(s.commit().await, "commit");
    assert_eq!(rows.len(), 10_000);
    assert!(
        rows.iter()
            .enumerate()
            .all(|(i, p)| p.title() == format!("p{i:05}"))
    );
    let keys: HashSet<_> = rows.iter().map(|p| *p.key()).collect();
    assert_eq!(keys.len(), 10_000);
    let mut s = cx.begin().await;
    assert_eq!(ok(cx.h.posts().count(&mut s, None).await, "count"), 10_000);
    ok(s.rollback().await, "rollback");
}

/// One session spanning many methods rolls back as a whole, leaving nothing.
pub async fn transaction_spans_methods_and_rolls_back<H: Harness>(cx: Arc<Cx<H>>) {
    let rows = seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    ok(
        items.add(&mut s, H::Item::new("new", 99, true)).await,
        "add",
    );
    ok(
        items
            .add_many(&mut s, vec![H::Item::new("n1", 98, true)])
            .await,
        "add_many",
    );
    let mut r = rows[0].clone();
    r.set_rank(500);
    ok(items.update(&mut s, r).await, "update");
    ok(
        items.update_many(&mut s, vec![rows[1].clone()]).await,
        "update_many",
    );
    ok(
        items
            .upsert_many(&mut s, vec![H::Item::new("gamma", 77, false)], &["name"])
            .await,
        "upsert_many",
    );
    ok(items.delete(&mut s, rows[2].key()).await, "delete");
    ok(
        items.delete_many(&mut s, &[*rows[3].key()]).await,
        "delete_many",
    );
    ok(
        items
            .delete_where(&mut s, &Condition::eq("active", false))
            .await,
        "delete_where",
    );
    ok(s.rollback().await, "rollback");
    let mut s = cx.begin().await;
    let now = ok(
        items.list(&mut s, &Query::new().order_by("id")).await,
        "list",
    );
    ok(s.rollback().await, "rollback");
    assert_eq!(now.len(), rows.len());
    for (a, b) in now.iter().zip(&rows) {
        assert_eq!(a.values(), b.values(), "row {} unchanged", a.key());
    }
}

/// A check violation is `Check` naming `ck_item_rank_non_negative`.
pub async fn errors_check_violation_names_constraint<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let e = err(
        cx.h.items()
            .add(&mut s, H::Item::new("neg", -1, true))
            .await,
        "add",
    );
    ok(s.rollback().await, "rollback");
    match e {
        Error::Check { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some("ck_item_rank_non_negative"))
        }
        other => panic!("expected Check, got {other}"),
    }
}

/// A NULL in a NOT NULL column is `NotNull` naming the column.
pub async fn errors_not_null_violation_names_column<H: Harness>(cx: Arc<Cx<H>>) {
    let mut i = H::Item::new("nolabel", 1, true);
    i.set_label(None);
    let mut s = cx.begin().await;
    let e = err(cx.h.items().add(&mut s, i).await, "add");
    ok(s.rollback().await, "rollback");
    match e {
        Error::NotNull { column, .. } => assert_eq!(column.as_deref(), Some("label")),
        other => panic!("expected NotNull, got {other}"),
    }
}

/// Rows written in one session go in one statement per chunk: 50 rows are
/// one `add_many`, one `update_many` and one `delete_many` statement (two
/// for `update_many` where `UPDATE` returns no rows, MariaDB: the update,
/// then one `SELECT` of the rows; two for `add_many` of database-keyed rows
/// on SQLite: the insert, then one `SELECT` of the keys it made, cheaper
/// there than `RETURNING` each).
pub async fn bulk_writes_send_one_statement_per_chunk<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let rows: Vec<H::Item> = (0..50)
        .map(|i| H::Item::new(&format!("n{i}"), i, true))
        .collect();
    let before = s.statements();
    let added = ok(items.add_many(&mut s, rows).await, "add_many");
    let add_statements = if cx.dialect == Dialect::Sqlite { 2 } else { 1 };
    assert_eq!(s.statements() - before, add_statements, "add_many");
    let mut changed: Vec<H::Item> = added.iter().rev().cloned().collect();
    for item in &mut changed {
        item.set_note(Some("changed"));
    }
    let before = s.statements();
    let updated = ok(
        items.update_many(&mut s, changed.clone()).await,
        "update_many",
    );
    let update_statements = if cx.dialect.rules().update_returns() {
        1
    } else {
        2
    };
    assert_eq!(s.statements() - before, update_statements, "update_many");
    assert_eq!(
        updated.iter().map(|i| i.key()).collect::<Vec<_>>(),
        changed.iter().map(|i| i.key()).collect::<Vec<_>>(),
        "input order"
    );
    let keys: Vec<_> = added.iter().take(10).map(|i| *i.key()).collect();
    let before = s.statements();
    let gone = ok(items.delete_many(&mut s, &keys).await, "delete_many");
    assert_eq!(
        (gone.len(), s.statements() - before),
        (10, 1),
        "delete_many"
    );
    assert_eq!(ok(items.count(&mut s, None).await, "count"), 40);
    ok(s.rollback().await, "rollback");
}

/// `add_many` of 20,001 rows with their keys set and NULLs in every
/// nullable column: every value reads back, across every statement the
/// insert takes (bind-limited `VALUES` lists, or PostgreSQL's arrays of
/// up to 10,000 rows), and a later row without a key gets a new one.
pub async fn add_many_20001_rows_with_nulls_reads_back<H: Harness>(cx: Arc<Cx<H>>) {
    const ROWS: i64 = 20_001;
    let due = START().trunc_subsecs(6);
    let make = |i: i64| {
        let mut item = H::Item::new(&format!("n{i}"), i, i % 3 == 0);
        item.set_key(i + 1);
        if i % 2 == 0 {
            item.set_note(Some(&format!("note {i}")));
            item.set_due_at(Some(due + TimeDelta::seconds(i)));
        }
        item.set_label(Some(if i % 5 == 0 { "five" } else { "" }));
        item
    };
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let added = ok(
        items.add_many(&mut s, (0..ROWS).map(make).collect()).await,
        "add_many",
    );
    assert_eq!(added.len() as i64, ROWS, "rows returned");
    let stored = ok(
        items.list(&mut s, &Query::new().order_by("id")).await,
        "list",
    );
    assert_eq!(stored.len() as i64, ROWS, "rows stored");
    for (i, row) in (0..ROWS).zip(&stored) {
        let want = make(i);
        assert_eq!(
            (row.key(), row.name(), row.rank(), row.active()),
            (want.key(), want.name(), want.rank(), want.active()),
            "row {i}"
        );
        assert_eq!(
            (row.note(), row.due_at(), row.label()),
            (want.note(), want.due_at(), want.label()),
            "row {i}: nullable columns"
        );
    }
    let later = ok(
        items.add(&mut s, H::Item::new("later", 0, true)).await,
        "add without a key",
    );
    assert!(*later.key() > ROWS, "a new key: {}", later.key());
    ok(s.rollback().await, "rollback");
}

/// `add_many` of 20,001 rows whose keys the database makes, then
/// `update_many` of all of them with NULLs in every other row: keys come
/// back in input order and every value reads back, across every statement
/// (bind-limited `VALUES` lists, or PostgreSQL's arrays of up to 10,000
/// rows).
pub async fn add_and_update_many_20001_rows_in_input_order<H: Harness>(cx: Arc<Cx<H>>) {
    const ROWS: i64 = 20_001;
    let due = START().trunc_subsecs(6);
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let added = ok(
        items
            .add_many(
                &mut s,
                (0..ROWS)
                    .map(|i| H::Item::new(&format!("n{i}"), i, true))
                    .collect(),
            )
            .await,
        "add_many",
    );
    assert_eq!(added.len() as i64, ROWS, "rows returned");
    for (i, pair) in added.windows(2).enumerate() {
        assert!(pair[0].key() < pair[1].key(), "keys in input order at {i}");
        assert_eq!(pair[0].name(), format!("n{i}"), "row {i}");
    }
    let changed: Vec<H::Item> = added
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut row = row.clone();
            let i = i as i64;
            row.set_rank(ROWS - i);
            if i % 2 == 0 {
                row.set_note(Some(&format!("note {i}")));
                row.set_due_at(Some(due + TimeDelta::seconds(i)));
            } else {
                row.set_note(None);
                row.set_due_at(None);
            }
            row
        })
        .collect();
    let updated = ok(
        items.update_many(&mut s, changed.clone()).await,
        "update_many",
    );
    assert_eq!(
        updated.iter().map(|r| *r.key()).collect::<Vec<_>>(),
        changed.iter().map(|r| *r.key()).collect::<Vec<_>>(),
        "input order"
    );
    let stored = ok(
        items.list(&mut s, &Query::new().order_by("id")).await,
        "list",
    );
    assert_eq!(stored.len() as i64, ROWS, "rows stored");
    for (i, (row, want)) in stored.iter().zip(&changed).enumerate() {
        assert_eq!(
            (row.key(), row.name(), row.rank(), row.note(), row.due_at()),
            (
                want.key(),
                want.name(),
                want.rank(),
                want.note(),
                want.due_at()
            ),
            "row {i}"
        );
    }
    ok(s.rollback().await, "rollback");
}

/// A bulk insert of 1,500 rows (`COPY` where the driver has it) that the
/// database rejects reports the same typed error as a small one: a
/// duplicate key names the key, a check names the check, a NULL in a NOT
/// NULL column names the column; the session then fails and saves nothing.
pub async fn add_many_1500_rows_rejected_names_the_constraint<H: Harness>(cx: Arc<Cx<H>>) {
    const ROWS: i64 = 1_500;
    let rows = |broken: i64, how: &str| -> Vec<H::Item> {
        (0..ROWS)
            .map(|i| {
                let mut item = H::Item::new(&format!("n{i}"), i, true);
                item.set_key(i + 1);
                if i == broken {
                    match how {
                        "duplicate" => item.set_key(1),
                        "check" => item.set_rank(-1),
                        _ => item.set_label(None),
                    }
                }
                item
            })
            .collect()
    };
    for how in ["duplicate", "check", "not null"] {
        let mut s = cx.begin().await;
        let e = err(
            cx.h.items().add_many(&mut s, rows(1_200, how)).await,
            "add_many",
        );
        match (how, &e) {
            ("duplicate", Error::DuplicateKey { constraint, .. }) => {
                assert_eq!(constraint.as_deref(), Some("pk_item"), "{e}")
            }
            ("check", Error::Check { constraint, .. }) => {
                assert_eq!(
                    constraint.as_deref(),
                    Some("ck_item_rank_non_negative"),
                    "{e}"
                )
            }
            ("not null", Error::NotNull { column, .. }) => {
                assert_eq!(column.as_deref(), Some("label"), "{e}")
            }
            _ => panic!("{how}: got {e}"),
        }
        let e = err(s.commit().await, "commit after the failure");
        assert!(matches!(e, Error::SessionFailed { .. }), "{how}: {e}");
        let mut s = cx.begin().await;
        let n = ok(cx.h.items().count(&mut s, None).await, "count");
        assert_eq!(n, 0, "{how}: nothing saved");
        ok(s.rollback().await, "rollback");
    }
}

/// A NULL in a NOT NULL column of a bulk insert whose nullable columns
/// all hold values is the database's `NotNull` naming the column, on every
/// backend (SeaORM's PostgreSQL arrays take no NULL: such a chunk goes as
/// `VALUES` lists, where the database names it).
pub async fn add_many_null_in_a_not_null_column_names_it<H: Harness>(cx: Arc<Cx<H>>) {
    let at = chrono::DateTime::UNIX_EPOCH;
    let rows: Vec<H::Item> = (0..20)
        .map(|i| {
            let mut item = H::Item::new(&format!("n{i}"), i, true);
            item.set_note(Some("noted"));
            item.set_due_at(Some(at));
            if i == 7 {
                item.set_label(None);
            }
            item
        })
        .collect();
    let mut s = cx.begin().await;
    let e = err(cx.h.items().add_many(&mut s, rows).await, "add_many");
    match &e {
        Error::NotNull { column, .. } => assert_eq!(column.as_deref(), Some("label"), "{e}"),
        _ => panic!("got {e}"),
    }
    let e = err(s.commit().await, "commit after the failure");
    assert!(matches!(e, Error::SessionFailed { .. }), "{e}");
}
