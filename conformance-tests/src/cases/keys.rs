//! Keys the caller sets, keys the database makes, and rows matched on the
//! key (`alchemy_core::insert`, `alchemy_core::bulk::prepare`).

use std::collections::HashSet;
use std::sync::Arc;

use alchemy_core::base::{BigIntBase, ServerUuidBase};
use alchemy_core::{Error, KeyOf, Model, Repository, RepositoryExt, Session};

use crate::fixtures::{ItemFixture, PostFixture, WidgetFixture};
use crate::harness::{Cx, Harness, HasWidget};
use crate::{err, ok};

type BigIntWidget<H> = <H as HasWidget<BigIntBase>>::Widget;
type ServerWidget<H> = <H as HasWidget<ServerUuidBase>>::Widget;

fn widget<W: WidgetFixture>(name: &str, key: Option<KeyOf<W>>) -> W {
    let mut w = W::new(name);
    if let Some(key) = key {
        w.set_key(key);
    }
    w
}

/// A key the caller set on a database-keyed model is written as given, by
/// `add` and by an `add_many` mixing set and unset keys (rows in input
/// order); later inserts without a key never collide with it.
pub async fn keys_set_database_key_is_written_as_given<H: Harness>(cx: Arc<Cx<H>>) {
    let repo = <H as HasWidget<BigIntBase>>::widgets(&cx.h);
    let mut s = cx.begin().await;
    let ten = ok(
        repo.add(&mut s, widget::<BigIntWidget<H>>("ten", Some(10)))
            .await,
        "add with key 10",
    );
    assert_eq!(*ten.key(), 10);
    assert_eq!(ok(repo.get(&mut s, &10).await, "get 10").name(), "ten");
    let rows = ok(
        repo.add_many(
            &mut s,
            vec![
                widget::<BigIntWidget<H>>("a", None),
                widget::<BigIntWidget<H>>("thousand", Some(1_000)),
                widget::<BigIntWidget<H>>("b", None),
                widget::<BigIntWidget<H>>("twenty", Some(20)),
                widget::<BigIntWidget<H>>("c", None),
            ],
        )
        .await,
        "add_many mixing set and unset keys",
    );
    let names: Vec<&str> = rows.iter().map(|w| w.name()).collect();
    assert_eq!(names, ["a", "thousand", "b", "twenty", "c"]);
    assert_eq!((*rows[1].key(), *rows[3].key()), (1_000, 20));
    for w in &rows {
        let stored = ok(repo.get(&mut s, w.key()).await, "get");
        assert_eq!(stored.name(), w.name(), "key {} is {}'s", w.key(), w.name());
    }
    ok(s.commit().await, "commit");
    // Later rows without a key are numbered past every key written so far.
    let mut s = cx.begin().await;
    let later = ok(
        repo.add_many(
            &mut s,
            (0..5)
                .map(|i| widget::<BigIntWidget<H>>(&format!("later {i}"), None))
                .collect(),
        )
        .await,
        "add_many after explicit keys",
    );
    let keys: HashSet<i64> = later.iter().map(|w| *w.key()).collect();
    assert_eq!(keys.len(), 5);
    assert!(keys.iter().all(|k| *k > 1_000), "{keys:?}");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    assert_eq!(ok(repo.count(&mut s, None).await, "count"), 11);
    ok(s.rollback().await, "rollback");
}

/// `upsert` of a database-keyed row with a set key matched on `id` inserts
/// it with that key once, then updates it: it never inserts a new row each time.
pub async fn keys_upsert_on_a_set_database_key_is_idempotent<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    for (round, rank) in [(1, 5), (2, 6)] {
        let mut item = H::Item::new("pinned", rank, true);
        item.set_key(10);
        let mut s = cx.begin().await;
        let (stored, created) = ok(
            items.get_or_upsert(&mut s, item, &["id"]).await,
            "get_or_upsert",
        );
        assert_eq!(created, round == 1, "round {round}");
        assert_eq!((*stored.key(), stored.rank()), (10, rank));
        assert_eq!(ok(items.count(&mut s, None).await, "count"), 1);
        ok(s.commit().await, "commit");
    }
}

/// `upsert_many` matched on the primary key (or on no fields, which means
/// the key) treats rows whose key is unset as new rows with fresh keys,
/// never as repeats of each other.
pub async fn keys_upsert_many_on_the_key_with_new_rows<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let existing = ok(items.add(&mut s, H::Item::new("old", 1, true)).await, "add");
    let mut changed = existing.clone();
    changed.set_rank(2);
    for match_fields in [&["id"][..], &[][..]] {
        let done = ok(
            items
                .upsert_many(
                    &mut s,
                    vec![
                        H::Item::new("new a", 3, true),
                        changed.clone(),
                        H::Item::new("new b", 4, true),
                    ],
                    match_fields,
                )
                .await,
            &format!("items on {match_fields:?}"),
        );
        assert_eq!((done.created, done.updated), (2, 1), "{match_fields:?}");
        let names: Vec<&str> = done.rows.iter().map(|i| i.name()).collect();
        assert_eq!(names, ["new a", "old", "new b"]);
        assert_eq!(done.rows[1].key(), existing.key());
        assert_eq!(done.rows[1].rank(), 2);
        let keys: HashSet<i64> = done.rows.iter().map(|i| *i.key()).collect();
        assert_eq!(keys.len(), 3, "fresh keys: {keys:?}");
    }
    assert_eq!(ok(items.count(&mut s, None).await, "count"), 5);
    // Client-made keys: unset keys get fresh UUIDs.
    let done = ok(
        cx.h.posts()
            .upsert_many(
                &mut s,
                vec![H::Post::new("x", "c"), H::Post::new("y", "c")],
                &["id"],
            )
            .await,
        "posts on id",
    );
    assert_eq!((done.created, done.updated), (2, 0));
    assert_ne!(done.rows[0].key(), done.rows[1].key());
    assert!(!done.rows[0].key().is_nil());
    let e = err(
        items
            .upsert_many(&mut s, vec![changed.clone(), changed], &[])
            .await,
        "the same set key twice",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    ok(s.rollback().await, "rollback");
}

/// `add_many` of rows whose keys the server makes by an expression
/// (`gen_random_uuid()`) returns each row with its own key, in input order,
/// whatever order the database returns rows in; a key the caller set is kept.
pub async fn keys_server_made_keys_belong_to_their_rows<H: Harness>(cx: Arc<Cx<H>>) {
    let repo = <H as HasWidget<ServerUuidBase>>::widgets(&cx.h);
    let names: Vec<String> = (0..300).map(|i| format!("row {i:03}")).collect();
    let preset = uuid::Uuid::new_v4();
    let mut input: Vec<ServerWidget<H>> = names.iter().map(|n| widget(n, None)).collect();
    input.push(widget("preset", Some(preset)));
    let mut s = cx.begin().await;
    let rows = ok(repo.add_many(&mut s, input).await, "add_many");
    assert_eq!(rows.len(), 301);
    assert_eq!(*rows[300].key(), preset);
    let keys: HashSet<uuid::Uuid> = rows.iter().map(|w| *w.key()).collect();
    assert_eq!(keys.len(), 301, "distinct keys");
    for (w, name) in rows
        .iter()
        .zip(names.iter().chain(["preset".to_string()].iter()))
    {
        assert_eq!(w.name(), name, "input order");
        assert_eq!(w.key().get_version_num(), 4, "a v4 UUID");
        assert_eq!(w.key().get_variant(), uuid::Variant::RFC4122);
    }
    for w in rows.iter().step_by(29) {
        let stored = ok(repo.get(&mut s, w.key()).await, "get");
        assert_eq!(stored.name(), w.name(), "the key returned is that row's");
    }
    ok(s.commit().await, "commit");
}
