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

/// Every workload's name, in run order.
pub(crate) const WORKLOADS: [&str; 7] = ["W1", "W2", "W2b", "W3", "W4", "W5", "W6"];

/// The workloads to run (all, or those `--workload` names) and their
/// operation counts at `s`'s scale.
pub(crate) fn workloads(s: &Settings) -> Vec<(&'static str, usize)> {
    let all = vec![
        ("W1", s.n(10_000)),
        ("W2", s.n(10_000)),
        ("W2b", s.n(2_000)),
        ("W3", s.n(1_000)),
        ("W4", s.n(1_000)),
        ("W5", s.n(10_000)),
        ("W6", s.n(5_000)),
    ];
    all.into_iter()
        .filter(|(w, _)| s.only.as_ref().is_none_or(|o| o.iter().any(|x| x == w)))
        .collect()
}
