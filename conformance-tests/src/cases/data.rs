//! The item dataset the filter and query cases share, and its expected
//! results computed in Rust, independently of any database.

use std::sync::Arc;

use alchemy_core::filter::{Condition, Query};
use alchemy_core::{Repository, Session};
use chrono::{DateTime, TimeDelta, Utc};

use crate::fixtures::ItemFixture;
use crate::harness::{Cx, Harness};
use crate::{START, ok};

/// One row of the dataset.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Item name.
    pub name: &'static str,
    /// Item rank.
    pub rank: i64,
    /// Whether active.
    pub active: bool,
    /// Note (may hold LIKE wildcards, quotes, backslashes, unicode).
    pub note: Option<&'static str>,
    /// Days after [`START`] the item is due.
    pub due_days: Option<i64>,
}

impl Spec {
    /// The due date.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.due_days.map(day)
    }
}

/// [`START`] (cut to microseconds) plus `d` days.
pub fn day(d: i64) -> DateTime<Utc> {
    use chrono::SubsecRound;
    START().trunc_subsecs(6) + TimeDelta::days(d)
}

/// Ten items with every kind of value the filters must handle.
pub const DATASET: [Spec; 10] = [
    Spec {
        name: "alpha",
        rank: 1,
        active: true,
        note: Some("first note"),
        due_days: Some(1),
    },
    Spec {
        name: "beta",
        rank: 2,
        active: false,
        note: None,
        due_days: Some(2),
    },
    Spec {
        name: "gamma",
        rank: 3,
        active: true,
        note: Some("50% off_sale"),
        due_days: None,
    },
    Spec {
        name: "delta",
        rank: 5,
        active: false,
        note: Some(r"path\to\file"),
        due_days: Some(3),
    },
    Spec {
        name: "Epsilon",
        rank: 8,
        active: true,
        note: Some("UPPER lower"),
        due_days: Some(2),
    },
    Spec {
        name: "zeta",
        rank: 13,
        active: false,
        note: Some("it's \"quoted\""),
        due_days: None,
    },
    Spec {
        name: "eta",
        rank: 0,
        active: true,
        note: Some("ünïcödé ☃"),
        due_days: Some(0),
    },
    Spec {
        name: "theta_1",
        rank: 21,
        active: false,
        note: Some("under_score"),
        due_days: Some(5),
    },
    Spec {
        name: "theta%2",
        rank: 34,
        active: true,
        note: Some("percent%sign"),
        due_days: None,
    },
    Spec {
        name: "Iota",
        rank: 55,
        active: false,
        note: Some(""),
        due_days: Some(1),
    },
];

/// An unsaved item for `spec`.
pub fn item<H: Harness>(spec: &Spec) -> H::Item {
    let mut i = H::Item::new(spec.name, spec.rank, spec.active);
    i.set_note(spec.note);
    i.set_due_at(spec.due_at());
    i
}

/// Stores the dataset (committed) and returns the stored rows.
pub async fn seed<H: Harness>(cx: &Cx<H>) -> Vec<H::Item> {
    let mut s = cx.begin().await;
    let rows = ok(
        cx.h.items()
            .add_many(&mut s, DATASET.iter().map(item::<H>).collect())
            .await,
        "seed items",
    );
    ok(s.commit().await, "commit seed");
    rows
}

/// Sorted names of the specs `keep` selects.
pub fn expected(keep: impl Fn(&Spec) -> bool) -> Vec<&'static str> {
    let mut names: Vec<&str> = DATASET.iter().filter(|s| keep(s)).map(|s| s.name).collect();
    names.sort_unstable();
    names
}

/// Sorted names of the rows `condition` selects from the seeded dataset.
pub async fn names_matching<H: Harness>(cx: &Cx<H>, condition: Condition) -> Vec<String> {
    let mut s = cx.begin().await;
    let rows = ok(
        cx.h.items()
            .list(&mut s, &Query::new().filter(condition.clone()))
            .await,
        &format!("list {condition:?}"),
    );
    ok(s.rollback().await, "rollback");
    let mut names: Vec<String> = rows.iter().map(|r| r.name().to_string()).collect();
    names.sort_unstable();
    names
}

/// A predicate over the dataset: which rows a condition should select.
pub type Keep = Box<dyn Fn(&Spec) -> bool + Send + Sync>;

/// Seeds the dataset, then checks that each condition selects exactly the
/// rows its predicate keeps.
pub async fn check_all<H: Harness>(cx: Arc<Cx<H>>, cases: Vec<(Condition, Keep)>) {
    seed(&cx).await;
    for (condition, keep) in cases {
        let got = names_matching(&cx, condition.clone()).await;
        let want = expected(keep);
        assert_eq!(got, want, "{condition:?}");
    }
}

/// Boxes a predicate for [`check_all`].
pub fn when(
    f: impl Fn(&Spec) -> bool + Send + Sync + 'static,
) -> Box<dyn Fn(&Spec) -> bool + Send + Sync> {
    Box::new(f)
}
