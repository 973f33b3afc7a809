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
    let (rows, total) = ok(
        cx.h.items().list_and_count(&mut s, &q).await,
        "list_and_count",
    );
    assert!(rows.is_empty());
    assert_eq!(total, 10);
    let empty = Query::new().filter(Condition::eq("rank", 999i64));
    let (rows, total) = ok(
        cx.h.items().list_and_count(&mut s, &empty).await,
        "no match",
    );
    assert!(rows.is_empty());
    assert_eq!(total, 0);
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
