//! Filters, each against expected rows computed in Rust (repository issue).

use std::sync::Arc;

use alchemy_core::filter::json::JsonQuery;
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::{Error, Model, Repository, Session};

use super::data::{DATASET, check_all, day, expected, names_matching, seed, when};
use crate::fixtures::ItemFixture;
use crate::harness::{Cx, Harness};
use crate::{err, ok};

/// `eq`, `ne` and a boolean filter select exactly the matching rows.
pub async fn filter_eq_ne_boolean<H: Harness>(cx: Arc<Cx<H>>) {
    check_all(
        cx,
        vec![
            (Condition::eq("rank", 5i64), when(|s| s.rank == 5)),
            (
                Condition::eq("name", "Epsilon"),
                when(|s| s.name == "Epsilon"),
            ),
            (Condition::ne("rank", 5i64), when(|s| s.rank != 5)),
            (Condition::eq("active", true), when(|s| s.active)),
            (Condition::eq("active", false), when(|s| !s.active)),
        ],
    )
    .await;
}

/// `gt`, `ge`, `lt`, `le` and inclusive `between`.
pub async fn filter_comparisons_and_between<H: Harness>(cx: Arc<Cx<H>>) {
    check_all(
        cx,
        vec![
            (Condition::gt("rank", 8i64), when(|s| s.rank > 8)),
            (Condition::ge("rank", 8i64), when(|s| s.rank >= 8)),
            (Condition::lt("rank", 3i64), when(|s| s.rank < 3)),
            (Condition::le("rank", 3i64), when(|s| s.rank <= 3)),
            (
                Condition::between("rank", 3i64, 13i64),
                when(|s| (3..=13).contains(&s.rank)),
            ),
        ],
    )
    .await;
}

/// `in` / `not in`; an empty `in` matches no row, an empty `not in` filters nothing.
pub async fn filter_collections<H: Harness>(cx: Arc<Cx<H>>) {
    check_all(
        cx,
        vec![
            (
                Condition::is_in("rank", [1i64, 3, 99]),
                when(|s| [1, 3, 99].contains(&s.rank)),
            ),
            (
                Condition::is_in("name", ["beta", "Iota"]),
                when(|s| ["beta", "Iota"].contains(&s.name)),
            ),
            (Condition::is_in("rank", Vec::<i64>::new()), when(|_| false)),
            (
                Condition::not_in("rank", [1i64, 2]),
                when(|s| ![1, 2].contains(&s.rank)),
            ),
            (Condition::not_in("rank", Vec::<i64>::new()), when(|_| true)),
        ],
    )
    .await;
}

/// `is null`, `is not null`, and `eq` with NULL.
pub async fn filter_null_checks<H: Harness>(cx: Arc<Cx<H>>) {
    check_all(
        cx,
        vec![
            (Condition::is_null("note"), when(|s| s.note.is_none())),
            (Condition::is_not_null("note"), when(|s| s.note.is_some())),
            (
                Condition::eq("note", Value::Null),
                when(|s| s.note.is_none()),
            ),
            (Condition::is_null("due_at"), when(|s| s.due_days.is_none())),
        ],
    )
    .await;
}

/// `before`/`after` are exclusive, `on_or_before`/`on_or_after` inclusive; NULL never matches.
pub async fn filter_before_after<H: Harness>(cx: Arc<Cx<H>>) {
    let d2 = day(2);
    check_all(
        cx,
        vec![
            (
                Condition::before("due_at", d2),
                when(|s| s.due_days.is_some_and(|d| d < 2)),
            ),
            (
                Condition::on_or_before("due_at", d2),
                when(|s| s.due_days.is_some_and(|d| d <= 2)),
            ),
            (
                Condition::after("due_at", d2),
                when(|s| s.due_days.is_some_and(|d| d > 2)),
            ),
            (
                Condition::on_or_after("due_at", d2),
                when(|s| s.due_days.is_some_and(|d| d >= 2)),
            ),
            (
                Condition::eq("due_at", day(0)),
                when(|s| s.due_days == Some(0)),
            ),
        ],
    )
    .await;
}

/// `like` and `ilike` take the caller's wildcards; `like` is case-sensitive on every database.
pub async fn filter_like_ilike<H: Harness>(cx: Arc<Cx<H>>) {
    check_all(
        cx,
        vec![
            (
                Condition::like("name", "%eta"),
                when(|s| s.name.ends_with("eta")),
            ),
            (
                Condition::like("name", "e%"),
                when(|s| s.name.starts_with('e')),
            ),
            (
                Condition::ilike("name", "e%"),
                when(|s| s.name.to_ascii_lowercase().starts_with('e')),
            ),
            (
                Condition::like("name", r"theta\_%"),
                when(|s| s.name.starts_with("theta_")),
            ),
            (
                Condition::like("name", "_eta"),
                when(|s| s.name.len() == 4 && s.name.ends_with("eta")),
            ),
        ],
    )
    .await;
}

/// Starts-with / ends-with / contains match literally, case-sensitive or not.
pub async fn filter_starts_ends_contains<H: Harness>(cx: Arc<Cx<H>>) {
    check_all(
        cx,
        vec![
            (
                Condition::starts_with("name", "the", false),
                when(|s| s.name.starts_with("the")),
            ),
            (
                Condition::starts_with("name", "theta%", false),
                when(|s| s.name.starts_with("theta%")),
            ),
            (
                Condition::starts_with("name", "E", false),
                when(|s| s.name.starts_with('E')),
            ),
            (
                Condition::starts_with("name", "E", true),
                when(|s| s.name.to_ascii_lowercase().starts_with('e')),
            ),
            (
                Condition::ends_with("name", "A", true),
                when(|s| s.name.to_ascii_lowercase().ends_with('a')),
            ),
            (
                Condition::ends_with("name", "a", false),
                when(|s| s.name.ends_with('a')),
            ),
            (
                Condition::contains("name", "_", false),
                when(|s| s.name.contains('_')),
            ),
            (
                Condition::contains("note", "UPPER", false),
                when(|s| s.note.is_some_and(|n| n.contains("UPPER"))),
            ),
            (
                Condition::contains("note", "upper", true),
                when(|s| {
                    s.note
                        .is_some_and(|n| n.to_ascii_lowercase().contains("upper"))
                }),
            ),
        ],
    )
    .await;
}

/// Search ORs a literal substring over several fields, optionally case-insensitive.
pub async fn filter_search_over_fields<H: Harness>(cx: Arc<Cx<H>>) {
    let has = |s: &super::data::Spec, v: &str, ci: bool| {
        let fold = |t: &str| {
            if ci {
                t.to_ascii_lowercase()
            } else {
                t.to_string()
            }
        };
        fold(s.name).contains(&fold(v)) || s.note.is_some_and(|n| fold(n).contains(&fold(v)))
    };
    check_all(
        cx,
        vec![
            (
                Condition::search(["name", "note"], "eta", false),
                when(move |s| has(s, "eta", false)),
            ),
            (
                Condition::search(["name", "note"], "ALPHA", true),
                when(move |s| has(s, "ALPHA", true)),
            ),
            (
                Condition::search(["name", "note"], "ALPHA", false),
                when(move |s| has(s, "ALPHA", false)),
            ),
            (
                Condition::search(["name", "note"], "o", false),
                when(move |s| has(s, "o", false)),
            ),
        ],
    )
    .await;
}

/// `%`, `_` and `\` in a search value match literally on every database.
pub async fn filter_search_escapes_wildcards<H: Harness>(cx: Arc<Cx<H>>) {
    let note_has =
        |v: &'static str| move |s: &super::data::Spec| s.note.is_some_and(|n| n.contains(v));
    check_all(
        cx,
        vec![
            (Condition::search(["note"], "%", false), when(note_has("%"))),
            (Condition::search(["note"], "_", false), when(note_has("_"))),
            (
                Condition::search(["note"], "\\", false),
                when(note_has("\\")),
            ),
            (Condition::search(["note"], "%", true), when(note_has("%"))),
            (Condition::search(["note"], "_", true), when(note_has("_"))),
            (
                Condition::search(["note"], r"\to\", true),
                when(note_has(r"\to\")),
            ),
            (
                Condition::search(["note"], "50%", false),
                when(note_has("50%")),
            ),
            (
                Condition::search(["note"], "%_", false),
                when(note_has("%_")),
            ),
        ],
    )
    .await;
}

/// Hostile search values (quotes, SQL, unicode, 10 KB) match literally and break nothing.
pub async fn filter_search_hostile_values<H: Harness>(cx: Arc<Cx<H>>) {
    let note_has = |v: String| move |s: &super::data::Spec| s.note.is_some_and(|n| n.contains(&v));
    let big = "x%_\\'\"".repeat(2_000);
    let values = [
        "it's \"q".to_string(),
        "'; DROP TABLE item; --".to_string(),
        "ünïcödé ☃".to_string(),
        "☃".to_string(),
        big,
        "".to_string(),
    ];
    let cases = values
        .into_iter()
        .map(|v| {
            (
                Condition::search(["note"], v.clone(), false),
                when(note_has(v)),
            )
        })
        .collect();
    check_all(cx.clone(), cases).await;
    // The table is still there, with all its rows.
    let mut s = cx.begin().await;
    assert_eq!(
        ok(cx.h.items().count(&mut s, None).await, "count"),
        DATASET.len() as u64
    );
    ok(s.rollback().await, "rollback");
}

/// Not-in-search keeps rows where no field contains the value (a NULL field contains nothing).
pub async fn filter_not_in_search<H: Harness>(cx: Arc<Cx<H>>) {
    let lacks = |v: &'static str| {
        move |s: &super::data::Spec| !s.name.contains(v) && !s.note.is_some_and(|n| n.contains(v))
    };
    check_all(
        cx,
        vec![
            (
                Condition::not_in_search(["name", "note"], "note", false),
                when(lacks("note")),
            ),
            (
                Condition::not_in_search(["note"], "%", false),
                when(lacks("%")),
            ),
            (
                Condition::not_in_search(["name", "note"], "e", false),
                when(lacks("e")),
            ),
        ],
    )
    .await;
}

/// And/or groups nest to any depth.
pub async fn filter_nested_and_or<H: Harness>(cx: Arc<Cx<H>>) {
    let tree = Condition::or([
        Condition::and([Condition::eq("active", true), Condition::gt("rank", 2i64)]),
        Condition::and([Condition::eq("active", false), Condition::lt("rank", 3i64)]),
    ]);
    let mut deep = Condition::eq("rank", 13i64);
    for i in 0..60 {
        deep = if i % 2 == 0 {
            Condition::and([deep])
        } else {
            Condition::or([deep, Condition::or([])])
        };
    }
    check_all(
        cx,
        vec![
            (
                tree,
                when(|s| (s.active && s.rank > 2) || (!s.active && s.rank < 3)),
            ),
            (deep, when(|s| s.rank == 13)),
            (Condition::and([]), when(|_| true)),
            (Condition::or([]), when(|_| false)),
        ],
    )
    .await;
}

/// An unknown field (in a filter, a sort key or JSON) is `InvalidInput` naming it, and nothing is sent.
pub async fn filter_unknown_field_is_rejected_before_sql<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let before = s.statements();
    let bad = [
        Query::new().filter(Condition::eq("nope", 1i64)),
        Query::new().filter(Condition::eq("name\" = 'x' OR 1=1 --", "x")),
        Query::new().filter(Condition::or([
            Condition::eq("name", "a"),
            Condition::is_null("ghost"),
        ])),
        Query::new().order_by("name; DROP TABLE item"),
        Query::new().filter(Condition::search(["name", "secret"], "x", true)),
    ];
    for q in bad {
        let e = err(items.list(&mut s, &q).await, "list");
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        if let Some(filter) = &q.filter {
            let e = err(items.count(&mut s, Some(filter)).await, "count");
            assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        }
    }
    let e = err(
        items
            .delete_where(&mut s, &Condition::eq("nope", 1i64))
            .await,
        "delete_where",
    );
    assert!(e.to_string().contains("nope"), "{e}");
    assert_eq!(s.statements(), before, "no statement was sent");
    ok(s.rollback().await, "rollback");
}

/// A value of the wrong type for its column is `InvalidInput`, not a database error.
pub async fn filter_wrong_value_type_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    for c in [
        Condition::eq("rank", "five"),
        Condition::gt("due_at", "not a date"),
        Condition::contains("rank", "1", false),
        Condition::eq("active", 1.5f64),
    ] {
        let e = err(
            items.list(&mut s, &Query::new().filter(c.clone())).await,
            "list",
        );
        assert!(matches!(e, Error::InvalidInput { .. }), "{c:?}: {e}");
    }
    ok(s.rollback().await, "rollback");
}

/// The JSON form of a query filters, sorts and pages exactly like the Rust form.
pub async fn filter_json_form<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let json = r#"{
        "filter": {"op": "and", "filters": [
            {"op": "search", "fields": ["name", "note"], "value": "E", "case_insensitive": true},
            {"op": "on_or_after", "field": "due_at", "value": "2024-01-01T00:00:00Z"},
            {"op": "not_in", "field": "rank", "values": [2]}
        ]},
        "order_by": [{"field": "rank", "desc": true}],
        "limit": 3
    }"#;
    let query = ok(
        JsonQuery::from_json(json).and_then(|q| q.into_query(H::Item::table())),
        "parse",
    );
    let mut s = cx.begin().await;
    let rows = ok(cx.h.items().list(&mut s, &query).await, "list");
    ok(s.rollback().await, "rollback");
    let got: Vec<&str> = rows.iter().map(|r| r.name()).collect();
    let mut want: Vec<_> = DATASET
        .iter()
        .filter(|s| {
            (s.name.to_ascii_lowercase().contains('e')
                || s.note.is_some_and(|n| n.to_ascii_lowercase().contains('e')))
                && s.due_days.is_some()
                && s.rank != 2
        })
        .collect();
    want.sort_by_key(|s| std::cmp::Reverse(s.rank));
    let want: Vec<&str> = want.iter().take(3).map(|s| s.name).collect();
    assert_eq!(got, want);
    let e = err(
        JsonQuery::from_json(r#"{"filter": {"op": "eq", "field": "password", "value": 1}}"#)
            .and_then(|q| q.into_query(H::Item::table())),
        "unknown JSON field",
    );
    assert!(e.to_string().contains("password"), "{e}");
    // The names the check relies on.
    assert_eq!(expected(|s| s.rank == 5), ["delta"]);
    assert_eq!(
        names_matching(&cx, Condition::eq("rank", 5i64)).await,
        ["delta"]
    );
}
