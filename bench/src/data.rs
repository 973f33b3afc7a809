//! The workloads' data, the same for every backend and for raw code.

use crate::common::Settings;

/// Post content.
pub(crate) const CONTENT: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.";

/// The title of post `i` (W3 searches its digits for "7").
pub(crate) fn title(i: usize) -> String {
    format!("Post number {i}")
}

/// The title of row `i` of the upsert workload.
pub(crate) fn upsert_title(i: usize) -> String {
    format!("Upsert {i}")
}

/// `n` distinct tag names.
pub(crate) fn tag_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("Tag {i}")).collect()
}

/// W3's offset of call `k` over `rows` posts: `(k * 37) % (rows - 20)`.
pub(crate) fn w3_offset(k: usize, rows: usize) -> u64 {
    let span = rows.saturating_sub(20).max(1);
    ((k * 37) % span) as u64
}

/// W3's expected (sum of totals, sum of page sizes), computed without a database.
pub(crate) fn w3_expected(rows: usize, calls: usize) -> (u64, usize) {
    let total = (0..rows).filter(|i| title(*i).contains('7')).count();
    let items = (0..calls)
        .map(|k| {
            total
                .saturating_sub(usize::try_from(w3_offset(k, rows)).unwrap_or(usize::MAX))
                .min(20)
        })
        .sum();
    ((total * calls) as u64, items)
}

/// A workload. Every side of the bench matches on it exhaustively, so a
/// workload one side does not run is a compile error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    /// `add_many` of new posts, in one session.
    W1,
    /// `get_or_create` of tags by name, in one session (its cache answers
    /// the repeats).
    W2,
    /// `get_or_create` of tags by name, one session per call.
    W2b,
    /// `list_and_count` with a case-insensitive search, offset pages.
    W3,
    /// `update` of a post's title, one session per update.
    W4,
    /// `upsert_many` of posts on their title, half of them new.
    W5,
    /// `get` of posts by key, in one session.
    W6,
}

impl Workload {
    /// Every workload, in run order.
    pub(crate) const ALL: [Self; 7] = [
        Self::W1,
        Self::W2,
        Self::W2b,
        Self::W3,
        Self::W4,
        Self::W5,
        Self::W6,
    ];

    /// The name printed and given to `--workload`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::W1 => "W1",
            Self::W2 => "W2",
            Self::W2b => "W2b",
            Self::W3 => "W3",
            Self::W4 => "W4",
            Self::W5 => "W5",
            Self::W6 => "W6",
        }
    }

    /// The workload named `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Operations at `s`'s scale.
    pub(crate) fn ops(self, s: &Settings) -> usize {
        s.n(match self {
            Self::W1 | Self::W2 | Self::W5 => 10_000,
            Self::W2b => 2_000,
            Self::W3 | Self::W4 => 1_000,
            Self::W6 => 5_000,
        })
    }
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The workloads to run (all, or those `--workload` names) and their
/// operation counts at `s`'s scale.
pub(crate) fn workloads(s: &Settings) -> Vec<(Workload, usize)> {
    Workload::ALL
        .into_iter()
        .filter(|w| s.only.as_ref().is_none_or(|o| o.contains(w)))
        .map(|w| (w, w.ops(s)))
        .collect()
}
