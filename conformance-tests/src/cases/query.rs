//! Listing, counting, single-row lookups and offset pages (repository issue).

use std::sync::Arc;

use alchemy_core::filter::{Condition, Query};
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};

use super::data::{DATASET, Spec, seed};
use crate::fixtures::{ItemFixture, TagFixture};
use crate::harness::{Cx, Harness};
use crate::{err, ok};

fn sorted_by<T: Clone>(mut v: Vec<T>, key: impl FnMut(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    v.sort_by(key);
    v
}

/// `list` orders by several fields, each ascending or descending.
pub async fn list_orders_by_several_fields<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let mut s = cx.begin().await;
    let q = Query::new().order_by("active").order_by_desc("rank");
    let rows = ok(cx.h.items().list(&mut s, &q).await, "list");
    ok(s.rollback().await, "rollback");
    let got: Vec<&str> = rows.iter().map(|r| r.name()).collect();
    let want: Vec<&str> = sorted_by(DATASET.to_vec(), |a: &Spec, b: &Spec| {
        a.active.cmp(&b.active).then(b.rank.cmp(&a.rank))
    })
    .iter()
    .map(|s| s.name)
    .collect();
    assert_eq!(got, want);
}

/// `list` applies limit and offset after ordering; an offset alone works too.
pub async fn list_limit_offset<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let ranks = |rows: Vec<H::Item>| rows.iter().map(|r| r.rank()).collect::<Vec<_>>();
    let page = ok(
        items
            .list(&mut s, &Query::new().order_by("rank").limit(3).offset(2))
            .await,
        "page",
    );
    assert_eq!(ranks(page), [2, 3, 5]);
    let tail = ok(
        items
            .list(&mut s, &Query::new().order_by("rank").offset(8))
            .await,
        "tail",
    );
    assert_eq!(ranks(tail), [34, 55]);
    let none = ok(
        items
            .list(&mut s, &Query::new().order_by("rank").limit(0))
            .await,
        "limit 0",
    );
    assert!(none.is_empty());
    let past = ok(
        items.list(&mut s, &Query::new().offset(1_000)).await,
        "past the end",
    );
    assert!(past.is_empty());
    ok(s.rollback().await, "rollback");
}

/// `count` counts the rows a filter matches (all rows without one); `exists` says whether any does.
pub async fn count_and_exists<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    assert_eq!(ok(items.count(&mut s, None).await, "count all"), 10);
    let active = Condition::eq("active", true);
    let want = DATASET.iter().filter(|s| s.active).count() as u64;
    assert_eq!(
        ok(items.count(&mut s, Some(&active)).await, "count active"),
        want
    );
    assert!(ok(
        items.exists(&mut s, &Condition::eq("rank", 5i64)).await,
        "exists"
    ));
    assert!(!ok(
        items.exists(&mut s, &Condition::eq("rank", 999i64)).await,
        "exists not"
    ));
    ok(s.rollback().await, "rollback");
}

/// `list_and_count` returns the page and the total over all pages, in one statement.
pub async fn list_and_count_reports_total_in_one_statement<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let before = s.statements();
    let q = Query::new()
        .filter(Condition::eq("active", false))
        .order_by("rank")
        .limit(2)
        .offset(1);
    let (rows, total) = ok(items.list_and_count(&mut s, &q).await, "list_and_count");
    assert_eq!(s.statements() - before, 1, "one round trip");
    let inactive: Vec<i64> = sorted_by(
        DATASET
            .iter()
            .filter(|s| !s.active)
            .map(|s| s.rank)
            .collect(),
        |a, b| a.cmp(b),
    );
    assert_eq!(total, inactive.len() as u64);
    assert_eq!(
        rows.iter().map(|r| r.rank()).collect::<Vec<_>>(),
        inactive[1..3]
    );
    let page = ok(items.list_paginated(&mut s, &q).await, "list_paginated");
    assert_eq!(
        (page.total, page.limit, page.offset, page.items.len()),
        (total, Some(2), 1, 2)
    );
    ok(s.rollback().await, "rollback");
}

/// A page past the end is empty but still reports the true total (Advanced Alchemy reports 0).
pub async fn list_and_count_past_the_end_reports_true_total<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let mut s = cx.begin().await;
    let q = Query::new().order_by("rank").limit(5).offset(500);
    let before = s.statements();
    let (rows, total) = ok(
        cx.h.items().list_and_count(&mut s, &q).await,
        "list_and_count",
    );
    assert!(rows.is_empty());
    assert_eq!(total, 10);
    // One statement, or a count apart where the database does that faster.
    let apart = cx.dialect.rules().counts_past_the_end_apart();
    assert_eq!(
        s.statements() - before,
        1 + u64::from(apart),
        "statements past the end"
    );
    let empty = Query::new().filter(Condition::eq("rank", 999i64));
    let (rows, total) = ok(
        cx.h.items().list_and_count(&mut s, &empty).await,
        "no match",
    );
    assert!(rows.is_empty());
    assert_eq!(total, 0);
    ok(s.rollback().await, "rollback");
}

/// `list_and_count` at every offset, up to and past the end, with and
/// without a limit (and a limit of 0): the right rows in order, the true
/// total, one statement each (a count apart past the end where the
/// database does that faster).
pub async fn list_and_count_at_every_offset<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let apart = cx.dialect.rules().counts_past_the_end_apart();
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let ranks: Vec<i64> = sorted_by(DATASET.iter().map(|s| s.rank).collect(), |a, b| b.cmp(a));
    let total = ranks.len() as u64;
    for limit in [None, Some(0), Some(1), Some(3)] {
        for offset in 0..=total + 1 {
            let mut q = Query::new().order_by_desc("rank").offset(offset);
            if let Some(limit) = limit {
                q = q.limit(limit);
            }
            let before = s.statements();
            let (rows, counted) = ok(items.list_and_count(&mut s, &q).await, "list_and_count");
            let at = |n: u64| usize::try_from(n).unwrap_or(usize::MAX).min(ranks.len());
            let end = limit.map_or(ranks.len(), |l| at(offset + l));
            let want = &ranks[at(offset)..end.max(at(offset))];
            let got: Vec<i64> = rows.iter().map(|r| r.rank()).collect();
            let case = format!("limit {limit:?}, offset {offset}");
            assert_eq!(got, want, "{case}: the page");
            assert_eq!(counted, total, "{case}: the total");
            let counted_apart = apart && offset > 0 && want.is_empty() && limit != Some(0);
            assert_eq!(
                s.statements() - before,
                1 + u64::from(counted_apart),
                "{case}: statements"
            );
        }
    }
    // A filter: the total is the filter's, past the end too.
    let active = DATASET.iter().filter(|s| s.active).count() as u64;
    let q = Query::new()
        .filter(Condition::eq("active", true))
        .order_by("rank")
        .limit(2)
        .offset(active);
    let (rows, counted) = ok(items.list_and_count(&mut s, &q).await, "filtered");
    assert!(rows.is_empty(), "filtered: past the end");
    assert_eq!(counted, active, "filtered: the total");
    // An offset beyond any BIGINT arithmetic.
    let q = Query::new().limit(u64::MAX).offset(u64::MAX);
    let (rows, counted) = ok(items.list_and_count(&mut s, &q).await, "huge offset");
    assert!(rows.is_empty(), "huge offset: no rows");
    assert_eq!(counted, total, "huge offset: the total");
    ok(s.rollback().await, "rollback");
}

/// `get_one`: none is `NotFound`, several are `MultipleResults`; `get_one_or_none` likewise for several.
pub async fn get_one_and_get_one_or_none<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let one = ok(
        items.get_one(&mut s, &Condition::eq("rank", 5i64)).await,
        "get_one",
    );
    assert_eq!(one.name(), "delta");
    let e = err(
        items.get_one(&mut s, &Condition::eq("rank", 999i64)).await,
        "none",
    );
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    let e = err(
        items.get_one(&mut s, &Condition::eq("active", true)).await,
        "several",
    );
    assert!(
        matches!(e, Error::MultipleResults { ref entity } if entity == "item"),
        "{e}"
    );
    assert!(
        ok(
            items
                .get_one_or_none(&mut s, &Condition::eq("rank", 999i64))
                .await,
            "none"
        )
        .is_none()
    );
    let e = err(
        items
            .get_one_or_none(&mut s, &Condition::eq("active", false))
            .await,
        "several",
    );
    assert!(matches!(e, Error::MultipleResults { .. }), "{e}");
    ok(s.rollback().await, "rollback");
}

/// `get_by` finds a row by another unique column; `get_by_slug` by its slug.
pub async fn get_by_unique_column_and_slug<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    let t = ok(
        tags.add(&mut s, H::Tag::new("Rust Lang", "rust-lang"))
            .await,
        "add",
    );
    let by_name = ok(tags.get_by(&mut s, "name", "Rust Lang").await, "get_by");
    assert_eq!(by_name.key(), t.key());
    let by_slug = ok(tags.get_by_slug(&mut s, "rust-lang").await, "get_by_slug");
    assert_eq!(by_slug.key(), t.key());
    let e = err(tags.get_by_slug(&mut s, "missing").await, "missing slug");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    ok(s.rollback().await, "rollback");
}

/// `check_health` succeeds on a live database.
pub async fn check_health_succeeds<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    ok(cx.h.items().check_health(&mut s).await, "check_health");
    ok(cx.h.posts().check_health(&mut s).await, "check_health");
    ok(s.rollback().await, "rollback");
}
