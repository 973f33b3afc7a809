//! Audit columns (foundation point 2).

use std::sync::Arc;

use alchemy_core::audit::Timestamps;
use alchemy_core::{Model, Repository, Session};
use chrono::{SubsecRound, TimeDelta};

use crate::fixtures::PostFixture;
use crate::harness::{Cx, Harness};
use crate::{START, ok};

fn stamps<M: Model>(m: &M) -> Timestamps {
    m.timestamps()
        .unwrap_or_else(|| panic!("{} has no audit columns", M::table().name()))
}

/// `add` sets `created_at` = `updated_at` = the clock's now, in UTC, cut to microseconds.
pub async fn audit_insert_stamps_both_columns<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let p = ok(
        cx.h.posts().add(&mut s, H::Post::new("t", "c")).await,
        "add",
    );
    ok(s.commit().await, "commit");
    let ts = stamps(&p);
    assert_eq!(ts.created_at, START().trunc_subsecs(6));
    assert_eq!(ts.created_at, ts.updated_at);
}

/// What is written reads back exactly equal (microseconds, UTC).
pub async fn audit_timestamps_round_trip_exactly<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    // Whole seconds, one fractional digit, six digits, and a pre-1970 time.
    let times = [
        START().trunc_subsecs(0),
        START().trunc_subsecs(1),
        START(),
        START() - TimeDelta::days(365 * 60),
    ];
    for t in times {
        cx.clock.set(t);
        let mut s = cx.begin().await;
        let p = ok(posts.add(&mut s, H::Post::new("t", "c")).await, "add");
        ok(s.commit().await, "commit");
        assert_eq!(stamps(&p).created_at, t.trunc_subsecs(6));
        let mut s = cx.begin().await;
        let got = ok(posts.get(&mut s, p.key()).await, "get");
        ok(s.rollback().await, "rollback");
        assert_eq!(stamps(&got), stamps(&p), "read back at {t}");
    }
}

/// `update` keeps `created_at` and moves `updated_at` to the clock's now.
pub async fn audit_update_bumps_updated_at_only<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let mut p = ok(posts.add(&mut s, H::Post::new("t", "c")).await, "add");
    ok(s.commit().await, "commit");
    let before = stamps(&p);

    cx.clock.advance(TimeDelta::milliseconds(1500));
    p.set_title("t2");
    // A caller cannot move created_at through update.
    let mut forged = before;
    forged.created_at -= TimeDelta::days(1);
    p.set_timestamps(forged);
    let mut s = cx.begin().await;
    let updated = ok(posts.update(&mut s, p).await, "update");
    ok(s.commit().await, "commit");
    let after = stamps(&updated);
    assert_eq!(after.created_at, before.created_at);
    assert_eq!(
        after.updated_at,
        before.created_at + TimeDelta::milliseconds(1500)
    );

    let mut s = cx.begin().await;
    let got = ok(posts.get(&mut s, updated.key()).await, "get");
    ok(s.rollback().await, "rollback");
    assert_eq!(
        stamps(&got),
        after,
        "the stored row matches what update returned"
    );
    assert_eq!(got.title(), "t2");
}

/// A clock that goes backwards never makes `updated_at` earlier than `created_at`.
pub async fn audit_updated_at_never_before_created_at<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let p = ok(posts.add(&mut s, H::Post::new("t", "c")).await, "add");
    cx.clock.advance(TimeDelta::hours(-1));
    let u = ok(posts.update(&mut s, p.clone()).await, "update");
    ok(s.commit().await, "commit");
    let ts = stamps(&u);
    assert!(ts.updated_at >= ts.created_at, "{ts:?}");
    assert_eq!(ts.created_at, stamps(&p).created_at);
}

/// `add_many` stamps every row, like `add`.
pub async fn audit_add_many_stamps_every_row<H: Harness>(cx: Arc<Cx<H>>) {
    let posts = cx.h.posts();
    let mut s = cx.begin().await;
    let rows = ok(
        posts
            .add_many(
                &mut s,
                (0..10)
                    .map(|i| H::Post::new(&format!("p{i}"), "c"))
                    .collect(),
            )
            .await,
        "add_many",
    );
    ok(s.commit().await, "commit");
    for r in &rows {
        assert_eq!(stamps(r), Timestamps::at(START().trunc_subsecs(6)));
    }
}
