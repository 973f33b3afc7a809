//! Keyset (cursor) pagination (repository issue).

use std::sync::Arc;

use alchemy_core::filter::Condition;
use alchemy_core::pagination::KeysetRequest;
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};

use super::data::{DATASET, seed};
use crate::fixtures::ItemFixture;
use crate::harness::{Cx, Harness};
use crate::{err, ok};

fn ranks<I: ItemFixture>(items: &[I]) -> Vec<i64> {
    items.iter().map(|i| i.rank()).collect()
}

fn sorted_ranks(descending: bool) -> Vec<i64> {
    let mut r: Vec<i64> = DATASET.iter().map(|s| s.rank).collect();
    r.sort_unstable();
    if descending {
        r.reverse();
    }
    r
}

/// Walks every page forward, then back, collecting ranks.
async fn walk<H: Harness>(cx: &Cx<H>, descending: bool) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let mut request = KeysetRequest::new("rank", 3);
    request.descending = descending;
    let mut pages = Vec::new();
    loop {
        let page = ok(items.list_keyset(&mut s, &request).await, "forward page");
        assert_eq!(
            page.previous.is_some(),
            !pages.is_empty(),
            "previous only after the first page"
        );
        pages.push(ranks(&page.items));
        match page.next {
            Some(next) => {
                request = KeysetRequest {
                    after: Some(next),
                    ..request.clone()
                }
            }
            None => break,
        }
        assert!(pages.len() < 10, "pagination ends");
    }
    let want = sorted_ranks(descending);
    assert_eq!(
        pages.concat(),
        want,
        "forward covers every row once, in order"
    );
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);

    // Backward from the last page's `previous` cursor.
    let mut request = KeysetRequest::new("rank", 3);
    request.descending = descending;
    let last = loop {
        let page = ok(items.list_keyset(&mut s, &request).await, "page");
        match page.next.clone() {
            Some(next) => {
                request = KeysetRequest {
                    after: Some(next),
                    ..request.clone()
                }
            }
            None => break page,
        }
    };
    let mut back = vec![ranks(&last.items)];
    let mut cursor = last.previous.clone();
    while let Some(before) = cursor {
        let req = KeysetRequest {
            before: Some(before),
            after: None,
            ..request.clone()
        };
        let page = ok(items.list_keyset(&mut s, &req).await, "backward page");
        assert!(page.next.is_some(), "a page before another has a next");
        back.push(ranks(&page.items));
        cursor = page.previous;
        assert!(back.len() < 10, "pagination ends");
    }
    back.reverse();
    assert_eq!(back, pages, "backward pages mirror the forward ones");
    ok(s.rollback().await, "rollback");
}

/// Keyset pages walk forward over every row once, in order, with opaque cursors.
pub async fn keyset_forward<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    walk(&cx, false).await;
}

/// Keyset pages walk backward from a `previous` cursor and mirror the forward pages.
pub async fn keyset_backward_and_descending<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    walk(&cx, true).await;
}

/// Equal order values are split across pages by the key, with no row lost or repeated;
/// a filter applies to every page.
pub async fn keyset_ties_and_filters<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    ok(
        items
            .add_many(
                &mut s,
                (0..7)
                    .map(|i| H::Item::new(&format!("tie{i}"), 4, i % 2 == 0))
                    .collect(),
            )
            .await,
        "add",
    );
    let mut request = KeysetRequest::new("rank", 2);
    request.filter = Some(Condition::eq("active", true));
    let mut names = Vec::new();
    loop {
        let page = ok(items.list_keyset(&mut s, &request).await, "page");
        names.extend(page.items.iter().map(|i| i.name().to_string()));
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    assert_eq!(names, ["tie0", "tie2", "tie4", "tie6"]);
    ok(s.rollback().await, "rollback");
}

/// Pages ordered by the key itself (`id`) walk every row once in key order,
/// forward and back, ascending and descending.
pub async fn keyset_by_the_key<H: Harness>(cx: Arc<Cx<H>>) {
    let stored = seed(&cx).await;
    let items = cx.h.items();
    let mut want: Vec<i64> = stored.iter().map(|i| *i.key()).collect();
    want.sort_unstable();
    let mut s = cx.begin().await;
    for descending in [false, true] {
        let mut request = KeysetRequest::new("id", 4);
        request.descending = descending;
        let mut forward = Vec::new();
        let mut last = loop {
            let page = ok(items.list_keyset(&mut s, &request).await, "page");
            forward.push(page.items.iter().map(|i| *i.key()).collect::<Vec<_>>());
            assert!(forward.len() < 10, "pagination ends");
            match page.next.clone() {
                Some(next) => request.after = Some(next),
                None => break page.previous,
            }
        };
        let mut ordered = want.clone();
        if descending {
            ordered.reverse();
        }
        assert_eq!(forward.concat(), ordered, "every row once, by key");
        let mut back = vec![forward.last().cloned().unwrap_or_default()];
        while let Some(before) = last {
            let req = KeysetRequest {
                before: Some(before),
                after: None,
                ..request.clone()
            };
            let page = ok(items.list_keyset(&mut s, &req).await, "backward page");
            back.push(page.items.iter().map(|i| *i.key()).collect());
            last = page.previous;
            assert!(back.len() < 10, "pagination ends");
        }
        back.reverse();
        assert_eq!(back, forward, "backward pages mirror the forward ones");
    }
    ok(s.rollback().await, "rollback");
}

/// A cursor that this list did not make, a zero limit or both directions are `InvalidInput`.
pub async fn keyset_bad_requests_are_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let items = cx.h.items();
    let mut s = cx.begin().await;
    let bad = [
        KeysetRequest {
            after: Some("not-a-cursor".into()),
            ..KeysetRequest::new("rank", 3)
        },
        KeysetRequest {
            before: Some("e30".into()),
            ..KeysetRequest::new("rank", 3)
        },
        KeysetRequest::new("rank", 0),
        KeysetRequest::new("no_such_column", 3),
        KeysetRequest {
            after: Some("x".into()),
            before: Some("y".into()),
            ..KeysetRequest::new("rank", 3)
        },
    ];
    for r in bad {
        let e = err(items.list_keyset(&mut s, &r).await, "bad request");
        assert!(matches!(e, Error::InvalidInput { .. }), "{r:?}: {e}");
    }
    ok(s.rollback().await, "rollback");
}
