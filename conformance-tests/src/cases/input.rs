//! Values refused before anything is sent (`alchemy_core::check`): the same
//! `InvalidInput` naming the column on every database.

use std::sync::Arc;

use alchemy_core::filter::{Condition, Query};
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};
use chrono::{DateTime, NaiveDate, Utc};

use crate::cases::data::seed;
use crate::fixtures::ItemFixture;
use crate::harness::{Cx, Harness};
use crate::{err, ok};

/// Asserts `e` is `InvalidInput` naming `column`.
#[track_caller]
fn names(e: &Error, column: &str) {
    assert!(
        matches!(e, Error::InvalidInput { message } if message.contains(&format!("`{column}`"))),
        "expected InvalidInput naming `{column}`, got {e:?}"
    );
}

fn at(y: i32, m: u32, d: u32, micros: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, micros))
        .map(|t| t.and_utc())
        .unwrap_or_else(|| panic!("a valid date {y}-{m}-{d}"))
}

/// A NUL in a filter's text is `InvalidInput` (SQLite read a pattern up to
/// the NUL, so `"\0"` matched every row); nothing is sent and the session
/// stays usable.
pub async fn input_nul_in_a_filter_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let before = s.statements();
    for value in ["\0", "zz\0zz", "a\0"] {
        for filter in [
            Condition::search(["name", "note"], value, true),
            Condition::search(["name"], value, false),
            Condition::contains("note", value, false),
            Condition::eq("name", value),
            Condition::like("name", format!("%{value}%")),
            Condition::is_in("name", ["alpha", value]),
        ] {
            let e = err(
                items
                    .list(&mut s, &Query::new().filter(filter.clone()))
                    .await,
                &format!("{filter:?}"),
            );
            assert!(matches!(e, Error::InvalidInput { .. }), "{filter:?}: {e}");
            assert!(e.to_string().contains("NUL"), "{e}");
        }
    }
    assert_eq!(s.statements(), before, "nothing sent");
    let n = ok(items.count(&mut s, None).await, "the session is usable");
    assert_eq!(n, 10);
    ok(s.rollback().await, "rollback");
}

/// Text longer than its `VARCHAR(n)` (in characters) or holding a NUL is
/// `InvalidInput` naming the column on every write path, before anything is
/// sent (also for the last row of a batch of several statements); text of
/// exactly `n` characters of several bytes each is stored and read back.
pub async fn input_text_too_long_or_with_nul_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let long = "x".repeat(101);
    let before = s.statements();
    let e = err(items.add(&mut s, H::Item::new(&long, 1, true)).await, "add");
    names(&e, "name");
    let mut batch: Vec<H::Item> = (0..10_000)
        .map(|i| H::Item::new(&format!("row {i}"), i, true))
        .collect();
    batch.push(H::Item::new(&long, 1, true));
    let e = err(items.add_many(&mut s, batch).await, "add_many");
    names(&e, "name");
    let e = err(
        items
            .upsert_many(&mut s, vec![H::Item::new(&long, 1, true)], &["name"])
            .await,
        "upsert_many",
    );
    names(&e, "name");
    let mut nul = H::Item::new("nul", 1, true);
    nul.set_note(Some("a\0b"));
    let e = err(items.add(&mut s, nul).await, "add with a NUL");
    names(&e, "note");
    assert_eq!(s.statements(), before, "nothing sent");

    // Exactly 100 characters of two bytes each fit VARCHAR(100).
    let wide = "é".repeat(100);
    let stored = ok(items.add(&mut s, H::Item::new(&wide, 1, true)).await, "add");
    assert_eq!(
        ok(items.get(&mut s, stored.key()).await, "get").name(),
        wide
    );
    let mut changed = stored.clone();
    changed.set_name(&format!("{wide}é"));
    let before = s.statements();
    let e = err(items.update(&mut s, changed.clone()).await, "update");
    names(&e, "name");
    let e = err(
        items.update_many(&mut s, vec![changed]).await,
        "update_many",
    );
    names(&e, "name");
    assert_eq!(s.statements(), before, "nothing sent");
    assert!(
        s.failure().is_none(),
        "refused input does not fail the session"
    );
    ok(s.commit().await, "commit");
}

/// Timestamps outside 0001-01-01 to 9999-12-31 (UTC) are `InvalidInput`,
/// written or compared; the bounds themselves round-trip exactly.
pub async fn input_timestamps_out_of_range_are_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let before = s.statements();
    for bad in [
        at(10_000, 1, 1, 0),
        at(0, 12, 31, 999_999),
        at(-44, 3, 15, 0),
    ] {
        let mut i = H::Item::new("late", 1, true);
        i.set_due_at(Some(bad));
        let e = err(items.add(&mut s, i).await, &format!("add due {bad}"));
        names(&e, "due_at");
        let e = err(
            items
                .count(&mut s, Some(&Condition::before("due_at", bad)))
                .await,
            &format!("before {bad}"),
        );
        names(&e, "due_at");
    }
    assert_eq!(s.statements(), before, "nothing sent");
    let first = NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or_else(|| panic!("0001-01-01"));
    let last = at(9999, 12, 31, 999_999);
    for (name, due) in [("first", first), ("last", last)] {
        let mut i = H::Item::new(name, 1, true);
        i.set_due_at(Some(due));
        let stored = ok(items.add(&mut s, i).await, name);
        let got = ok(items.get(&mut s, stored.key()).await, "get");
        assert_eq!(got.due_at(), Some(due), "{name} round-trips exactly");
    }
    let found = ok(
        items
            .list(
                &mut s,
                &Query::new()
                    .filter(Condition::on_or_after("due_at", first))
                    .order_by("due_at"),
            )
            .await,
        "list",
    );
    let names_found: Vec<&str> = found.iter().map(|i| i.name()).collect();
    assert_eq!(names_found, ["first", "last"], "they sort in time order");
    ok(s.rollback().await, "rollback");
}

/// A `LIKE` or `GLOB` pattern longer than SQLite's 50,000-byte limit is
/// `InvalidInput` on every database (counting the `GLOB` form, where a
/// literal `*` takes three bytes); a long pattern within it works.
pub async fn input_patterns_over_the_limit_are_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let before = s.statements();
    for filter in [
        Condition::search(["name", "note"], "a".repeat(50_001), true),
        Condition::contains("note", "*".repeat(20_000), false),
        Condition::like("name", "%".repeat(50_001)),
        Condition::not_in_search(["note"], "b".repeat(60_000), false),
    ] {
        let e = err(
            items.count(&mut s, Some(&filter)).await,
            "an over-long pattern",
        );
        assert!(
            matches!(&e, Error::InvalidInput { message } if message.contains("50000")),
            "{e}"
        );
    }
    assert_eq!(s.statements(), before, "nothing sent");
    let n = ok(
        items
            .count(
                &mut s,
                Some(&Condition::search(
                    ["name", "note"],
                    "a".repeat(40_000),
                    false,
                )),
            )
            .await,
        "a long pattern within the limit",
    );
    assert_eq!(n, 0);
    let stars = Condition::contains("note", "*".repeat(16_000), true);
    assert!(!ok(
        items.exists(&mut s, &stars).await,
        "16,000 literal stars"
    ));
    ok(s.rollback().await, "rollback");
}

/// `add_if_absent` with a conflict column the table does not have is
/// `InvalidInput` naming it; nothing is sent and the session stays usable.
pub async fn input_add_if_absent_unknown_column_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let before = s.statements();
    let e = err(
        items
            .add_if_absent(&mut s, H::Item::new("a", 1, true), &["nope"])
            .await,
        "unknown conflict column",
    );
    names(&e, "nope");
    assert_eq!(s.statements(), before, "nothing sent");
    ok(
        items.add(&mut s, H::Item::new("a", 1, true)).await,
        "the session is usable",
    );
    ok(s.rollback().await, "rollback");
}
