//! The workloads' data, the same for every backend and for raw code.

use crate::common::{DbKind, Settings};

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

/// W8's event `i`, as every side writes it: `(name, day, payload,
/// settings, price)`; the other columns are NULL or 0 (`level`).
pub(crate) fn event(
    i: usize,
) -> (
    String,
    chrono::NaiveDate,
    Vec<u8>,
    serde_json::Value,
    rust_decimal::Decimal,
) {
    let n = i64::try_from(i).unwrap_or(0);
    let day = chrono::NaiveDate::from_num_days_from_ce_opt(
        730_000 + i32::try_from(i % 3_000).unwrap_or(0),
    )
    .unwrap_or_default();
    let payload = (0..64)
        .map(|b| u8::try_from((i + b) % 251).unwrap_or(0))
        .collect();
    let settings = serde_json::json!({"n": i, "theme": "dark", "tags": ["a", "b"]});
    // Cents up to 9,999,999,999.99, with every digit in use.
    let price = rust_decimal::Decimal::new(n * 7_777_777 % 1_000_000_000_000, 2);
    (format!("Event {i}"), day, payload, settings, price)
}

/// W8's event `i` ([`event`]) as a struct with the `event` table's
/// fields (`Self { .. }`), its price converted by `From`; every side's
/// model and row type is built by it.
macro_rules! event_of {
    ($i:expr) => {{
        let (name, day, payload, settings, price) = $crate::data::event($i);
        Self {
            id: 0,
            name,
            day,
            starts: None,
            payload,
            level: 0,
            ratio: None,
            settings,
            extra: None,
            price: price.into(),
            share: None,
        }
    }};
}
pub(crate) use event_of;

/// What a side read back from W8's `n` events: (rows, the prices' sum,
/// the payloads' bytes), and whether it is what was written.
pub(crate) fn w8_check(
    read: impl Iterator<Item = (rust_decimal::Decimal, usize)>,
    n: usize,
) -> serde_json::Value {
    let (mut rows, mut sum, mut bytes) = (0usize, rust_decimal::Decimal::ZERO, 0usize);
    for (price, payload) in read {
        rows += 1;
        sum += price;
        bytes += payload;
    }
    let want: rust_decimal::Decimal = (0..n).map(|i| event(i).4).sum();
    serde_json::json!({
        "rows": rows,
        "prices": sum.to_string(),
        "ok": rows == n && sum == want && bytes == 64 * n,
    })
}

/// A workload. Every side of the bench matches on it exhaustively, so a
/// workload one side does not run is a compile error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    /// `add_many` of new posts, in one session.
    W1,
    /// W1 through the library against a binary `COPY` of the same rows
    /// through the same driver: the floor of a bulk insert (PostgreSQL only).
    W1c,
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
    /// A walk over every post by keyset pages ([`WALK_PAGE`] rows, by key).
    W7k,
    /// The same walk by offset pages.
    W7o,
    /// `add_many` of events (a date, bytes, a JSON document, a decimal
    /// and the rest of the `event` table's columns) in one session, then
    /// all of them read back in another.
    W8,
}

/// Rows per page of the W7 walks.
pub(crate) const WALK_PAGE: usize = 100;

impl Workload {
    /// Every workload, in run order.
    pub(crate) const ALL: [Self; 11] = [
        Self::W1,
        Self::W1c,
        Self::W2,
        Self::W2b,
        Self::W3,
        Self::W4,
        Self::W5,
        Self::W6,
        Self::W7k,
        Self::W7o,
        Self::W8,
    ];

    /// The name printed and given to `--workload`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::W1 => "W1",
            Self::W1c => "W1c",
            Self::W2 => "W2",
            Self::W2b => "W2b",
            Self::W3 => "W3",
            Self::W4 => "W4",
            Self::W5 => "W5",
            Self::W6 => "W6",
            Self::W7k => "W7k",
            Self::W7o => "W7o",
            Self::W8 => "W8",
        }
    }

    /// The workload named `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Operations at `s`'s scale.
    pub(crate) fn ops(self, s: &Settings) -> usize {
        s.n(match self {
            Self::W1 | Self::W1c | Self::W2 | Self::W5 | Self::W8 => 10_000,
            // Pages of a walk over 100,000 posts.
            Self::W7k | Self::W7o => return walk_rows(s).div_ceil(WALK_PAGE),
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

/// The posts a W7 walk goes over.
pub(crate) fn walk_rows(s: &Settings) -> usize {
    s.n(100_000)
}

/// The workloads to run on `kind` (all, or those `--workload` names) and
/// their operation counts at `s`'s scale. W1c runs on PostgreSQL only.
pub(crate) fn workloads(s: &Settings, kind: DbKind) -> Vec<(Workload, usize)> {
    Workload::ALL
        .into_iter()
        .filter(|w| s.only.as_ref().is_none_or(|o| o.contains(w)))
        .filter(|w| *w != Workload::W1c || kind == DbKind::Postgres)
        .map(|w| (w, w.ops(s)))
        .collect()
}

/// A W3 page on PostgreSQL written by hand in one statement and one scan,
/// the true total included past the end: the first `20 + offset` matches
/// with `count(*) OVER ()` kept in a materialized `WITH`, the page cut from
/// it, and its first row alone when nothing is left (`total <= offset`).
/// The pattern is lowered once (`ILIKE`'s match in a UTF-8 database).
/// `$1` the pattern, `$2` the offset (BIGINT). The library writes the same.
pub(crate) const W3_PAGE_POSTGRES: &str = "WITH page AS MATERIALIZED (\
     SELECT id, created_at, updated_at, title, content, published, count(*) OVER () AS total \
     FROM post WHERE lower(title) LIKE (SELECT lower($1)) ESCAPE '\\' \
     ORDER BY created_at DESC LIMIT 20 + $2) \
     SELECT * FROM (SELECT * FROM page OFFSET $2) AS page_rows \
     UNION ALL SELECT * FROM (SELECT * FROM page LIMIT 1) AS page_total WHERE total <= $2";
