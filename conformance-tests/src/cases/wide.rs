//! Wide and deep filters (`alchemy_core::sql`): lists of 100,000 values and
//! flat groups of 100,000 members work on every database; what is over the
//! limits is `InvalidInput`, and nothing ever overflows a stack. Every case
//! runs in a spawned tokio task (a 2 MiB stack).

use std::sync::Arc;

use alchemy_core::filter::json::JsonQuery;
use alchemy_core::filter::{Condition, MAX_DEPTH, Query};
use alchemy_core::sql::MAX_BOUND_VALUES;
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};

use crate::cases::data::{Spec, check_all, day, seed, when};
use crate::fixtures::{ItemFixture, PostFixture};
use crate::harness::{Cx, Harness};
use crate::{err, ok};

const WIDE: usize = 100_000;

/// `in` and `not_in` of 100,000 values (text, integers, timestamps, UUIDs),
/// including values that match, select exactly the rows they name.
pub async fn wide_in_and_not_in_of_100000_values<H: Harness>(cx: Arc<Cx<H>>) {
    let names = |extra: &[&str]| -> Vec<String> {
        (0..WIDE - extra.len())
            .map(|i| format!("nobody {i}"))
            .chain(extra.iter().map(|s| s.to_string()))
            .collect()
    };
    let ranks: Vec<i64> = (1_000..1_000 + WIDE as i64).chain([5, 13]).collect();
    let days: Vec<_> = (1_000..1_000 + WIDE as i64)
        .map(day)
        .chain([day(2)])
        .collect();
    check_all(
        cx.clone(),
        vec![
            (
                Condition::is_in("name", names(&["alpha", "theta%2"])),
                when(|s| s.name == "alpha" || s.name == "theta%2"),
            ),
            (
                Condition::not_in("name", names(&["alpha", "theta%2"])),
                when(|s| s.name != "alpha" && s.name != "theta%2"),
            ),
            (
                Condition::is_in("rank", ranks.clone()),
                when(|s| s.rank == 5 || s.rank == 13),
            ),
            (
                Condition::not_in("rank", ranks),
                when(|s| s.rank != 5 && s.rank != 13),
            ),
            (
                Condition::is_in("due_at", days.clone()),
                when(|s: &Spec| s.due_days == Some(2)),
            ),
            (
                Condition::not_in("due_at", days),
                // NULL is in no list and out of none.
                when(|s: &Spec| s.due_days.is_some_and(|d| d != 2)),
            ),
        ],
    )
    .await;
    // UUID keys (a BLOB on SQLite).
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("found", "c")).await, "add");
    let mut ids: Vec<uuid::Uuid> = (0..WIDE - 1).map(|_| uuid::Uuid::new_v4()).collect();
    ids.push(*p.key());
    let found = ok(
        posts
            .list(
                &mut s,
                &Query::new().filter(Condition::is_in("id", ids.clone())),
            )
            .await,
        "in of 100,000 UUIDs",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].title(), "found");
    let n = ok(
        posts
            .count(&mut s, Some(&Condition::not_in("id", ids)))
            .await,
        "not_in of 100,000 UUIDs",
    );
    assert_eq!(n, 0);
    let gone = ok(
        posts
            .delete_where(&mut s, &Condition::is_in("title", names(&["found"])))
            .await,
        "delete_where in of 100,000",
    );
    assert_eq!(gone.len(), 1);
    ok(s.rollback().await, "rollback");
}

/// Flat `or`/`and` groups of 100,000 members, of one test or of several
/// kinds mixed, select exactly the rows they should.
pub async fn wide_flat_groups_of_100000_members<H: Harness>(cx: Arc<Cx<H>>) {
    let many = |f: &dyn Fn(usize) -> Condition| (0..WIDE).map(f).collect::<Vec<_>>();
    // Mixed: names, ranks (two comparisons), notes, a like, a list.
    let mixed_or = Condition::or(many(&|i| match i % 6 {
        0 => Condition::eq("name", format!("nobody {i}")),
        1 => Condition::gt("rank", 1_000 + i as i64),
        2 => Condition::contains("note", format!("absent {i}"), true),
        3 => Condition::like("name", format!("zz{i}%")),
        4 => Condition::is_in("rank", [100_000 + i as i64, 200_000 + i as i64]),
        _ => Condition::lt("rank", -(i as i64)),
    }));
    let mut mixed_or_hits = match mixed_or {
        Condition::Or(ref members) => members.clone(),
        _ => Vec::new(),
    };
    mixed_or_hits.extend([
        Condition::eq("name", "beta"),
        Condition::contains("note", "QUOTED", true),
        Condition::like("name", "thet%"),
        Condition::gt("rank", 40i64),
    ]);
    let mixed_and = Condition::and(many(&|i| match i % 4 {
        0 => Condition::ne("name", format!("nobody {i}")),
        1 => Condition::lt("rank", 40i64 + i as i64),
        2 => Condition::not_in("name", [format!("x{i}"), "delta".to_string()]),
        _ => Condition::ge("rank", -(i as i64)),
    }));
    check_all(
        cx.clone(),
        vec![
            (
                Condition::or(
                    many(&|i| Condition::eq("name", format!("nobody {i}")))
                        .into_iter()
                        .chain([Condition::eq("name", "gamma")]),
                ),
                when(|s| s.name == "gamma"),
            ),
            (
                Condition::and(
                    many(&|i| Condition::ne("rank", 1_000 + i as i64))
                        .into_iter()
                        .chain([Condition::ne("rank", 0i64)]),
                ),
                when(|s| s.rank != 0),
            ),
            (mixed_or, when(|_| false)),
            (
                Condition::or(mixed_or_hits),
                when(|s| {
                    s.name == "beta"
                        || s.note.is_some_and(|n| n.to_lowercase().contains("quoted"))
                        || s.name.starts_with("thet")
                        || s.rank > 40
                }),
            ),
            (mixed_and, when(|s| s.rank < 41 && s.name != "delta")),
            (
                Condition::or(many(&|i| {
                    Condition::search(["name", "note"], format!("absent {i}"), false)
                })),
                when(|_| false),
            ),
        ],
    )
    .await;
}

/// The JSON form of a flat group of 100,000 members works; JSON nested as
/// deep as serde_json allows (62 groups) works and one level more is
/// `InvalidInput`; a condition built in Rust 200,000 levels deep is
/// `InvalidInput` and is dropped without overflowing the stack.
pub async fn wide_json_and_deep_filters<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let table = H::Item::table();
    let members: Vec<String> = (0..WIDE)
        .map(|i| format!(r#"{{"op": "eq", "field": "name", "value": "nobody {i}"}}"#))
        .chain([r#"{"op": "ge", "field": "rank", "value": 34}"#.to_string()])
        .collect();
    let json = format!(
        r#"{{"filter": {{"op": "or", "filters": [{}]}}, "order_by": [{{"field": "name"}}]}}"#,
        members.join(",")
    );
    let query = ok(
        JsonQuery::from_json(&json).and_then(|q| q.into_query(table)),
        "JSON of 100,000 members",
    );
    let mut s = cx.begin().await;
    let rows = ok(items.list(&mut s, &query).await, "list");
    let names: Vec<&str> = rows.iter().map(|i| i.name()).collect();
    assert_eq!(names, ["Iota", "theta%2"]);

    let nested = |levels: usize| {
        format!(
            r#"{{"filter": {}{{"op": "eq", "field": "name", "value": "zeta"}}{}}}"#,
            r#"{"op": "and", "filters": ["#.repeat(levels),
            "]}".repeat(levels)
        )
    };
    let deepest = ok(
        JsonQuery::from_json(&nested(62)).and_then(|q| q.into_query(table)),
        "JSON nested as deep as allowed",
    );
    let rows = ok(items.list(&mut s, &deepest).await, "list");
    assert_eq!(rows.len(), 1);
    assert!(
        deepest
            .filter
            .as_ref()
            .is_some_and(|f| f.depth() < MAX_DEPTH)
    );
    let e = err(JsonQuery::from_json(&nested(63)), "JSON one level deeper");
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");

    let before = s.statements();
    let mut deep = Condition::eq("name", "zeta");
    for _ in 0..200_000 {
        deep = Condition::and([deep]);
    }
    let e = err(items.count(&mut s, Some(&deep)).await, "200,000 levels");
    assert!(e.to_string().contains("at most 64"), "{e}");
    let e = err(items.exists(&mut s, &deep).await, "exists, 200,000 levels");
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    drop(deep);
    assert_eq!(s.statements(), before, "nothing sent");
    ok(s.rollback().await, "rollback");
}

/// A filter that binds more than `MAX_BOUND_VALUES` values even after
/// merging is `InvalidInput` on every database, and nothing is sent.
pub async fn wide_filter_over_the_bind_limit_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let pairs = (MAX_BOUND_VALUES / 2 + 1) as i64;
    // Two values each, and nothing to merge between them.
    let between = Condition::or((0..pairs).map(|i| Condition::between("rank", i, i + 1)));
    let mut s = cx.begin().await;
    let before = s.statements();
    let e = err(
        cx.h.items().count(&mut s, Some(&between)).await,
        "too many bound values",
    );
    assert!(
        matches!(&e, Error::InvalidInput { message } if message.contains("32000")),
        "{e}"
    );
    assert_eq!(s.statements(), before, "nothing sent");
    // Just under the limit works.
    let under = Condition::or(
        (0..(MAX_BOUND_VALUES / 2) as i64 - 1)
            .map(|i| Condition::between("rank", 3 * i + 1_000, 3 * i + 1_001)),
    );
    let n = ok(
        cx.h.items().count(&mut s, Some(&under)).await,
        "under the limit",
    );
    assert_eq!(n, 0);
    ok(s.rollback().await, "rollback");
}
