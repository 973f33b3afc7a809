//! Column types beyond the bases' (issue 16): dates, times of day, bytes,
//! 16-bit integers, `f32`s, JSON and decimals, each round-tripped at its extremes, filtered against values
//! computed in Rust, written alone by `update`, matched by `upsert_many`
//! and walked by keyset pages, on the `event` fixture.

use std::sync::Arc;

use alchemy_core::filter::json::JsonQuery;
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::pagination::KeysetRequest;
use alchemy_core::schema::Dialect;
use alchemy_core::{Error, Model, Repository, RepositoryExt, Session};
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde_json::json;

use crate::fixtures::EventFixture;
use crate::harness::{Cx, Harness};
use crate::{err, ok};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d}"))
}

fn time(h: u32, m: u32, s: u32, micro: u32) -> NaiveTime {
    NaiveTime::from_hms_micro_opt(h, m, s, micro).unwrap_or_else(|| panic!("{h}:{m}:{s}.{micro}"))
}

/// The events the filter cases search: days across centuries (one before
/// year 1000, whose text form on SQLite must still sort), times with and
/// without fractions of a second, payloads with NULs and high bytes.
fn dataset() -> Vec<(&'static str, NaiveDate, Option<NaiveTime>, Vec<u8>)> {
    vec![
        ("a", date(1, 1, 1), Some(time(0, 0, 0, 0)), vec![]),
        ("b", date(999, 12, 31), Some(time(9, 0, 0, 0)), vec![0]),
        ("c", date(2024, 2, 29), Some(time(12, 0, 0, 0)), vec![0, 0]),
        (
            "d",
            date(2024, 2, 29),
            Some(time(12, 0, 0, 500_000)),
            vec![1],
        ),
        (
            "e",
            date(2024, 3, 1),
            Some(time(12, 0, 0, 250_000)),
            vec![255, 0],
        ),
        ("f", date(2024, 12, 31), None, b"text".to_vec()),
        (
            "g",
            date(9999, 12, 31),
            Some(time(23, 59, 59, 999_999)),
            vec![255],
        ),
    ]
}

/// Each dataset row's level and ratio, by position: negative levels, and
/// ratios an `f32` holds exactly (one NULL).
const LEVELS: [i16; 7] = [-300, -200, -100, 0, 100, 200, 300];
const RATIOS: [Option<f32>; 7] = [
    Some(-1.5),
    Some(0.25),
    Some(0.5),
    Some(0.75),
    None,
    Some(1e30),
    Some(0.5),
];

/// Each dataset row's price (`DECIMAL(15, 2)`, hundredths) and share
/// (`DECIMAL(6, 6)`, millionths, one NULL): ties, a sign change, the
/// extremes, and neighbours a float of fewer digits would confuse.
const PRICES: [i64; 7] = [
    -999_999_999_999_999,
    -1,
    0,
    1250,
    1250,
    999_999_999_999_998,
    999_999_999_999_999,
];
const SHARES: [Option<i64>; 7] = [
    Some(-999_999),
    Some(1),
    Some(2),
    None,
    Some(333_333),
    Some(333_334),
    Some(999_999),
];

fn price(i: usize) -> Decimal {
    Decimal::new(PRICES[i], 2)
}

fn share(i: usize) -> Option<Decimal> {
    SHARES[i].map(|s| Decimal::new(s, 6))
}

fn dec(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|e| panic!("{text} is not a decimal: {e}"))
}

async fn seed<H: Harness>(cx: &Cx<H>) -> Vec<H::Event> {
    let events = cx.h.events();
    let mut s = cx.begin().await;
    let rows = dataset()
        .into_iter()
        .enumerate()
        .map(|(i, (name, day, starts, payload))| {
            let mut e = H::Event::new(name, day, starts, payload);
            e.set_level(LEVELS[i]);
            e.set_ratio(RATIOS[i]);
            e.set_price(price(i));
            e.set_share(share(i));
            e
        })
        .collect();
    let stored = ok(events.add_many(&mut s, rows).await, "seed");
    ok(s.commit().await, "commit");
    stored
}

/// The names of the rows `filter` finds, sorted.
async fn names<H: Harness>(cx: &Cx<H>, filter: Condition) -> Vec<String> {
    let mut s = cx.begin().await;
    let rows = ok(
        cx.h.events()
            .list(&mut s, &Query::new().filter(filter.clone()))
            .await,
        &format!("{filter:?}"),
    );
    ok(s.rollback().await, "rollback");
    let mut names: Vec<String> = rows.iter().map(|e| e.name().to_string()).collect();
    names.sort();
    names
}

/// The names of the dataset's rows for which `keep` holds, sorted.
fn expected(keep: impl Fn(NaiveDate, Option<NaiveTime>, &[u8]) -> bool) -> Vec<String> {
    let mut names: Vec<String> = dataset()
        .into_iter()
        .filter(|(_, d, t, p)| keep(*d, *t, p))
        .map(|(n, ..)| n.to_string())
        .collect();
    names.sort();
    names
}

/// Dates from 0001-01-01 to 9999-12-31, times from midnight to the last
/// microsecond, empty bytes and a megabyte of every byte value read back
/// exactly, by `add` and by `list`.
pub async fn types_date_time_and_bytes_round_trip_at_their_extremes<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let megabyte: Vec<u8> = (0..1_048_576u32)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect();
    let mut rows = [
        H::Event::new("first", date(1, 1, 1), Some(time(0, 0, 0, 0)), vec![]),
        H::Event::new(
            "last",
            date(9999, 12, 31),
            Some(time(23, 59, 59, 999_999)),
            megabyte.clone(),
        ),
        H::Event::new("leap", date(2024, 2, 29), None, vec![0, 0, 255]),
    ];
    rows[0].set_level(i16::MIN);
    rows[0].set_ratio(Some(f32::MIN_POSITIVE));
    rows[1].set_level(i16::MAX);
    rows[1].set_ratio(Some(f32::MAX));
    rows[2].set_ratio(Some(-f32::MAX));
    let mut s = cx.begin().await;
    let mut stored = Vec::new();
    for row in rows.iter().cloned() {
        stored.push(ok(events.add(&mut s, row).await, "add"));
    }
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let read = ok(
        events.list(&mut s, &Query::new().order_by("day")).await,
        "list",
    );
    ok(s.rollback().await, "rollback");
    assert_eq!(read.len(), rows.len());
    for (given, added) in rows.iter().zip(&stored) {
        let listed = read
            .iter()
            .find(|e| e.name() == given.name())
            .unwrap_or_else(|| panic!("{} is not listed", given.name()));
        for (what, got) in [("add", added), ("list", listed)] {
            assert_eq!(got.day(), given.day(), "{what}: {}", given.name());
            assert_eq!(got.starts(), given.starts(), "{what}: {}", given.name());
            assert_eq!(got.level(), given.level(), "{what}: {}", given.name());
            assert_eq!(got.ratio(), given.ratio(), "{what}: {}", given.name());
            assert!(
                got.payload() == given.payload(),
                "{what}: {}: {} bytes back of {}",
                given.name(),
                got.payload().len(),
                given.payload().len()
            );
        }
    }
}

/// Comparisons, `between`, `in` and `before`/`after` on a date and a time
/// of day select the rows Rust's ordering selects, on every database
/// (SQLite compares their text forms, which sort as the values do).
pub async fn types_date_and_time_filters_compare_as_values<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let leap = date(2024, 2, 29);
    let noon = time(12, 0, 0, 0);
    let half = time(12, 0, 0, 500_000);
    let cases: Vec<(Condition, Vec<String>)> = vec![
        (Condition::eq("day", leap), expected(|d, _, _| d == leap)),
        (Condition::lt("day", leap), expected(|d, _, _| d < leap)),
        (Condition::ge("day", leap), expected(|d, _, _| d >= leap)),
        (
            Condition::between("day", date(999, 1, 1), date(2024, 3, 1)),
            expected(|d, _, _| (date(999, 1, 1)..=date(2024, 3, 1)).contains(&d)),
        ),
        (
            Condition::is_in("day", [date(1, 1, 1), date(9999, 12, 31)]),
            expected(|d, _, _| d == date(1, 1, 1) || d == date(9999, 12, 31)),
        ),
        (
            Condition::eq("starts", noon),
            expected(|_, t, _| t == Some(noon)),
        ),
        (
            Condition::gt("starts", noon),
            expected(|_, t, _| t.is_some_and(|t| t > noon)),
        ),
        (
            Condition::lt("starts", half),
            expected(|_, t, _| t.is_some_and(|t| t < half)),
        ),
        (
            Condition::is_in("starts", [half, time(9, 0, 0, 0)]),
            expected(|_, t, _| t == Some(half) || t == Some(time(9, 0, 0, 0))),
        ),
        (
            Condition::is_null("starts"),
            expected(|_, t, _| t.is_none()),
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(names(&cx, filter.clone()).await, want, "{filter:?}");
    }
    // Ordered by time of day: NULL aside, as Rust orders the times.
    let mut s = cx.begin().await;
    let query = Query::new()
        .filter(Condition::is_not_null("starts"))
        .order_by("starts");
    let rows = ok(cx.h.events().list(&mut s, &query).await, "list by starts");
    ok(s.rollback().await, "rollback");
    let got: Vec<Option<NaiveTime>> = rows.iter().map(EventFixture::starts).collect();
    let mut want: Vec<Option<NaiveTime>> = dataset().iter().filter_map(|r| r.2.map(Some)).collect();
    want.sort();
    assert_eq!(got, want);
}

/// Comparisons and `in` on a 16-bit integer and an `f32` column select the
/// rows Rust selects (a float filter value compares with the stored `f32`
/// as the same number, on every database).
pub async fn types_small_int_and_real_filters_compare_as_values<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let by = |keep: &dyn Fn(i16, Option<f32>) -> bool| -> Vec<String> {
        let mut names: Vec<String> = dataset()
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(LEVELS[*i], RATIOS[*i]))
            .map(|(_, r)| r.0.to_string())
            .collect();
        names.sort();
        names
    };
    let cases: Vec<(Condition, Vec<String>)> = vec![
        (Condition::lt("level", 0i64), by(&|l, _| l < 0)),
        (Condition::ge("level", -100i64), by(&|l, _| l >= -100)),
        (
            Condition::is_in("level", [-300i64, 300, 7]),
            by(&|l, _| [-300, 300].contains(&l)),
        ),
        (Condition::eq("ratio", 0.5f64), by(&|_, r| r == Some(0.5))),
        (
            Condition::gt("ratio", 0.25f64),
            by(&|_, r| r.is_some_and(|r| r > 0.25)),
        ),
        (
            Condition::between("ratio", -2.0f64, 0.5f64),
            by(&|_, r| r.is_some_and(|r| (-2.0..=0.5).contains(&r))),
        ),
        (
            Condition::gt("ratio", 1e29f64),
            by(&|_, r| r.is_some_and(|r| r > 1e29)),
        ),
        (Condition::is_null("ratio"), by(&|_, r| r.is_none())),
    ];
    for (filter, want) in cases {
        assert_eq!(names(&cx, filter.clone()).await, want, "{filter:?}");
    }
}

/// One filter shape run twice in a session, first with a value the column
/// type holds and then with one past its range (a 16-bit column compared
/// with 100,000, an `f32` column with 1e40), answers both: a backend binds
/// a column's values as one type, so a statement prepared for the first
/// value (and cached on the connection) takes the second.
pub async fn types_filters_past_a_column_types_range_reuse_statements<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let mut s = cx.begin().await;
    let events = cx.h.events();
    let mut count = async |filter: Condition| {
        let rows = ok(
            events
                .list(&mut s, &Query::new().filter(filter.clone()))
                .await,
            &format!("{filter:?}"),
        );
        rows.len()
    };
    let positive = LEVELS.iter().filter(|l| **l > 0).count();
    assert_eq!(count(Condition::gt("level", 0i64)).await, positive);
    assert_eq!(count(Condition::gt("level", 100_000i64)).await, 0);
    assert_eq!(
        count(Condition::lt("level", 100_000i64)).await,
        LEVELS.len()
    );
    let above = |x: f32| RATIOS.iter().flatten().filter(|r| **r > x).count();
    assert_eq!(count(Condition::gt("ratio", 0.25f64)).await, above(0.25));
    assert_eq!(count(Condition::gt("ratio", 1e40f64)).await, 0);
    assert_eq!(count(Condition::gt("ratio", 0.1f64)).await, above(0.1));
    ok(s.rollback().await, "rollback");
}

/// Bytes compare byte by byte: `eq` and `in` find exact payloads (NULs and
/// high bytes included), `gt` follows Rust's order of byte slices, and a
/// text match on a bytes column is `InvalidInput` before any SQL.
pub async fn types_bytes_filters_match_exact_bytes<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let cases: Vec<(Condition, Vec<String>)> = vec![
        (
            Condition::eq("payload", vec![0u8, 0]),
            expected(|_, _, p| p == [0, 0]),
        ),
        (
            Condition::eq("payload", Vec::<u8>::new()),
            expected(|_, _, p| p.is_empty()),
        ),
        (
            Condition::is_in("payload", [vec![0u8], vec![255u8, 0]]),
            expected(|_, _, p| p == [0] || p == [255, 0]),
        ),
        (
            Condition::gt("payload", vec![1u8]),
            expected(|_, _, p| p > &[1][..]),
        ),
        (
            Condition::ne("payload", b"text".to_vec()),
            expected(|_, _, p| p != b"text"),
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(names(&cx, filter.clone()).await, want, "{filter:?}");
    }
    let mut s = cx.begin().await;
    let before = s.statements();
    let e = err(
        cx.h.events()
            .list(
                &mut s,
                &Query::new().filter(Condition::contains("payload", "x", false)),
            )
            .await,
        "a text match on bytes",
    );
    assert!(
        matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("payload"),
        "{e}"
    );
    assert_eq!(s.statements(), before, "nothing was sent");
    ok(s.rollback().await, "rollback");
}

/// A date outside 0001-01-01..9999-12-31, a time finer than a microsecond
/// or a NaN `f32` is `InvalidInput` naming its column, in a write and in a filter, before
/// any SQL is sent.
pub async fn types_out_of_range_dates_and_fine_times_are_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let mut s = cx.begin().await;
    let before = s.statements();
    let fine = NaiveTime::from_hms_nano_opt(12, 0, 0, 1).unwrap_or(NaiveTime::MIN);
    let mut nan = H::Event::new("x", date(2024, 1, 1), None, vec![]);
    nan.set_ratio(Some(f32::NAN));
    let bad = [
        ("day", H::Event::new("x", date(10_000, 1, 1), None, vec![])),
        ("day", H::Event::new("x", date(0, 12, 31), None, vec![])),
        (
            "starts",
            H::Event::new("x", date(2024, 1, 1), Some(fine), vec![]),
        ),
        ("ratio", nan),
    ];
    for (column, event) in bad {
        let e = err(events.add(&mut s, event).await, column);
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains(column),
            "{column}: {e}"
        );
    }
    for (column, filter) in [
        ("day", Condition::lt("day", date(10_000, 1, 1))),
        ("starts", Condition::eq("starts", fine)),
        ("ratio", Condition::gt("ratio", f64::NAN)),
    ] {
        let e = err(
            events.list(&mut s, &Query::new().filter(filter)).await,
            column,
        );
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains(column),
            "{column}: {e}"
        );
    }
    assert_eq!(s.statements(), before, "nothing was sent");
    ok(s.rollback().await, "rollback");
}

/// `update` writes only the changed column of each type: a concurrent
/// change to the others survives (interleaved on PostgreSQL and MariaDB;
/// SQLite serialises writers, so there one session changes one column).
pub async fn types_update_writes_only_the_changed_column<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let mut s = cx.begin().await;
    let seeded = ok(
        events
            .add(
                &mut s,
                H::Event::new("x", date(2024, 1, 1), Some(time(8, 0, 0, 0)), vec![1]),
            )
            .await,
        "seed",
    );
    ok(s.commit().await, "commit");
    type Change<E> = fn(&mut E);
    type Pair<E> = (Change<E>, Change<E>);
    // Each: what this session changes, what a concurrent one changes.
    let pairs: [Pair<H::Event>; 5] = [
        (
            |e| e.set_day(date(2025, 6, 1)),
            |e| e.set_payload(vec![2, 0, 2]),
        ),
        (
            |e| e.set_payload(vec![3]),
            |e| e.set_starts(Some(time(9, 30, 0, 1))),
        ),
        (|e| e.set_starts(None), |e| e.set_day(date(1999, 1, 1))),
        (
            |e| e.set_settings(json!({"theme": "dark"})),
            |e| e.set_extra(Some(json!([1, 2]))),
        ),
        (
            |e| e.set_price(Decimal::new(-12_345, 2)),
            |e| e.set_share(Some(Decimal::new(5, 6))),
        ),
    ];
    for (mine, theirs) in pairs {
        let mut s1 = cx.begin().await;
        let mut row = ok(events.get(&mut s1, seeded.key()).await, "s1 loads");
        if cx.dialect != Dialect::Sqlite {
            let mut s2 = cx.begin().await;
            let mut other = ok(events.get(&mut s2, seeded.key()).await, "s2 loads");
            theirs(&mut other);
            ok(events.update(&mut s2, other).await, "s2 updates");
            ok(s2.commit().await, "s2 commits");
        }
        // What s1 loaded, with s2's change (where s2 ran) and s1's on top.
        let mut want = row.clone();
        if cx.dialect != Dialect::Sqlite {
            theirs(&mut want);
        }
        mine(&mut row);
        mine(&mut want);
        let written = ok(events.update(&mut s1, row).await, "s1 updates");
        ok(s1.commit().await, "s1 commits");
        let mut s3 = cx.begin().await;
        let stored = ok(events.get(&mut s3, seeded.key()).await, "read back");
        ok(s3.rollback().await, "rollback");
        for got in [&written, &stored] {
            assert_eq!(
                (got.day(), got.starts(), got.payload()),
                (want.day(), want.starts(), want.payload()),
            );
            assert_eq!(
                (got.settings(), got.extra()),
                (want.settings(), want.extra())
            );
            assert_eq!((got.price(), got.share()), (want.price(), want.share()));
        }
    }
}

/// `upsert_many` matches stored rows on a date, a time of day, a 16-bit
/// integer, bytes or a decimal (`12.5` matching the stored `12.50`):
/// rows with stored values are updated, the others inserted.
pub async fn types_upsert_many_matches_on_each_type<H: Harness>(cx: Arc<Cx<H>>) {
    let stored = seed(&cx).await;
    let events = cx.h.events();
    let fresh = |name: &str, day, starts, payload: &[u8]| {
        H::Event::new(name, day, starts, payload.to_vec())
    };
    let leveled = |mut e: H::Event, level: i16| {
        e.set_level(level);
        e
    };
    let priced = |mut e: H::Event, price: Decimal| {
        e.set_price(price);
        e
    };
    // Each: the match field, a row matching one seeded row on it, a row
    // matching none (rows the earlier upserts wrote have level 0).
    let cases = [
        (
            "day",
            fresh("c2", date(2024, 12, 31), Some(time(1, 0, 0, 0)), b"c2"),
            fresh("new1", date(2030, 1, 1), None, b"n1"),
        ),
        (
            "starts",
            fresh("d2", date(2000, 1, 1), Some(time(12, 0, 0, 500_000)), b"d2"),
            fresh("new2", date(2000, 1, 1), Some(time(1, 2, 3, 4)), b"n2"),
        ),
        (
            "level",
            leveled(fresh("g2", date(2000, 1, 1), None, b"g2"), 300),
            leveled(fresh("new4", date(2000, 1, 1), None, b"n4"), 999),
        ),
        (
            "payload",
            fresh("e2", date(2000, 1, 1), None, &[255, 0]),
            fresh("new3", date(2000, 1, 1), None, &[7, 7, 7]),
        ),
        (
            // Row b's -0.01, untouched by the cases before (whose rows
            // took the new rows' price, 0), given with another scale.
            "price",
            priced(fresh("b2", date(2000, 1, 1), None, b"b2"), dec("-0.010")),
            priced(fresh("new5", date(2000, 1, 1), None, b"n5"), dec("0.01")),
        ),
    ];
    for (field, matching, new) in cases {
        let mut s = cx.begin().await;
        let done = ok(
            events
                .upsert_many(&mut s, vec![matching.clone(), new.clone()], &[field])
                .await,
            field,
        );
        ok(s.commit().await, "commit");
        assert_eq!((done.created, done.updated), (1, 1), "{field}");
        let key_of = |name: &str| stored.iter().find(|e| e.name() == name).map(|e| *e.key());
        let updated = &done.rows[0];
        assert_eq!(updated.name(), matching.name(), "{field}");
        assert!(
            [
                key_of("f"),
                key_of("d"),
                key_of("e"),
                key_of("g"),
                key_of("b")
            ]
            .contains(&Some(*updated.key())),
            "{field}: updated a seeded row"
        );
        assert_eq!(done.rows[1].name(), new.name());
        assert!(
            stored.iter().all(|e| e.key() != done.rows[1].key()),
            "{field}: inserted a new row"
        );
    }
}

/// A keyset walk ordered by a date visits every row once, in date order
/// (ties by key), and the cursor carries the date.
pub async fn types_keyset_pages_walk_by_a_date<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let events = cx.h.events();
    let mut s = cx.begin().await;
    let mut request = KeysetRequest::new("day", 2);
    let mut days = Vec::new();
    loop {
        let page = ok(events.list_keyset(&mut s, &request).await, "page");
        days.extend(page.items.iter().map(EventFixture::day));
        match page.next {
            Some(next) => request.after = Some(next),
            None => break,
        }
    }
    ok(s.rollback().await, "rollback");
    let mut want: Vec<NaiveDate> = dataset().iter().map(|r| r.1).collect();
    want.sort();
    assert_eq!(days, want);
}

/// The JSON query language reads a date, a time and bytes from their
/// strings (`YYYY-MM-DD`, `HH:MM:SS.ffffff`, base64), and a malformed one
/// is `InvalidInput` naming the column.
pub async fn types_json_query_reads_date_time_and_bytes_strings<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let table = H::Event::table();
    let run = |json: &str| JsonQuery::from_json(json).and_then(|q| q.into_query(table));
    let query = ok(
        run(r#"{"filter": {"op": "and", "filters": [
            {"op": "ge", "field": "day", "value": "2024-02-29"},
            {"op": "gt", "field": "starts", "value": "12:00:00.25"}
        ]}}"#),
        "json",
    );
    let mut s = cx.begin().await;
    let rows = ok(cx.h.events().list(&mut s, &query).await, "list");
    let mut got: Vec<&str> = rows.iter().map(EventFixture::name).collect();
    got.sort_unstable();
    assert_eq!(got, ["d", "g"]);
    let query = ok(
        run(r#"{"filter": {"op": "eq", "field": "payload", "value": "/wA="}}"#),
        "json bytes",
    );
    let rows = ok(cx.h.events().list(&mut s, &query).await, "list");
    assert_eq!(
        rows.iter().map(EventFixture::name).collect::<Vec<_>>(),
        ["e"]
    );
    ok(s.rollback().await, "rollback");
    for (json, column) in [
        (
            r#"{"filter": {"op": "eq", "field": "day", "value": "2024-02-30"}}"#,
            "day",
        ),
        (
            r#"{"filter": {"op": "eq", "field": "starts", "value": "noon"}}"#,
            "starts",
        ),
        (
            r#"{"filter": {"op": "eq", "field": "payload", "value": "%%"}}"#,
            "payload",
        ),
    ] {
        let e = err(run(json), column);
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains(column),
            "{column}: {e}"
        );
    }
    // The base64 string became bytes, compared as bytes.
    assert!(matches!(
        query.filter,
        Some(Condition::Eq { ref value, .. }) if matches!(value, Value::Bytes(_))
    ));
}

/// JSON documents read back equal to what was written: nested objects and
/// arrays, every kind of number serde_json keeps (`i64::MIN`, `u64::MAX`,
/// `0.1`, `1e300`), text with quotes, escapes, control characters and
/// emoji, empty containers, a bare scalar, and JSON's `null` kept apart
/// from SQL NULL.
pub async fn types_json_round_trips_documents<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let documents = [
        json!({"theme": "dark", "sizes": [1, 2, 3], "nested": {"a": {"b": {"c": [true, false, null]}}}}),
        json!({"min": i64::MIN, "max": u64::MAX, "tenth": 0.1, "huge": 1e300, "neg": -2.5}),
        json!({"text": "quote \" backslash \\ tab \t newline \n bell \u{7} ü 🦀 日本"}),
        json!({}),
        json!([]),
        json!("a bare string"),
        json!(42),
        json!(null),
    ];
    let mut s = cx.begin().await;
    let mut stored = Vec::new();
    for (i, doc) in documents.iter().enumerate() {
        let mut e = H::Event::new(&format!("j{i}"), date(2024, 1, 1), None, vec![]);
        e.set_settings(doc.clone());
        // JSON's null where the settings are an object, SQL NULL elsewhere.
        e.set_extra(doc.is_object().then_some(serde_json::Value::Null));
        stored.push(ok(events.add(&mut s, e).await, "add"));
    }
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    for (i, (doc, added)) in documents.iter().zip(&stored).enumerate() {
        let read = ok(events.get(&mut s, added.key()).await, "get");
        for (what, got) in [("add", added), ("get", &read)] {
            assert_eq!(got.settings(), doc, "{what}: document {i}");
            let extra = doc.is_object().then_some(&serde_json::Value::Null);
            assert_eq!(got.extra(), extra, "{what}: document {i}");
        }
    }
    ok(s.rollback().await, "rollback");
}

/// A JSON column is filtered by equality (`eq`, `ne`, JSON's `null`) and
/// NULL checks, on every database the same (MariaDB compares documents
/// with `JSON_EQUALS`, not as text); ordering, ranges, lists, text
/// matches, keyset pages and upsert matching on it are `InvalidInput`
/// before any SQL.
pub async fn types_json_filters_by_equality_and_null<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let mut s = cx.begin().await;
    let docs = [
        ("a", json!({"theme": "dark", "size": 1}), Some(json!(null))),
        (
            "b",
            json!({"theme": "light", "size": 1}),
            Some(json!([1, 2])),
        ),
        ("c", json!({"theme": "dark", "size": 2}), None),
        ("d", json!([1, {"x": "y"}]), None),
    ];
    for (name, settings, extra) in docs.iter().cloned() {
        let mut e = H::Event::new(name, date(2024, 1, 1), None, vec![]);
        e.set_settings(settings);
        e.set_extra(extra);
        ok(events.add(&mut s, e).await, "add");
    }
    ok(s.commit().await, "commit");
    let cases: Vec<(Condition, Vec<&str>)> = vec![
        (
            // Keys in another order than written: the same document.
            Condition::eq("settings", json!({"size": 1, "theme": "dark"})),
            vec!["a"],
        ),
        (Condition::eq("settings", json!([1, {"x": "y"}])), vec!["d"]),
        (
            Condition::ne("settings", json!({"theme": "dark", "size": 2})),
            vec!["a", "b", "d"],
        ),
        (Condition::eq("extra", serde_json::Value::Null), vec!["a"]),
        (Condition::is_null("extra"), vec!["c", "d"]),
        (Condition::is_not_null("extra"), vec!["a", "b"]),
        (
            Condition::or(vec![
                Condition::eq("settings", json!({"theme": "light", "size": 1})),
                Condition::eq("extra", json!([1, 2])),
                Condition::eq("settings", json!([1, {"x": "y"}])),
            ]),
            vec!["b", "d"],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(names(&cx, filter.clone()).await, want, "{filter:?}");
    }
    let mut s = cx.begin().await;
    let before = s.statements();
    let refused = [
        Query::new().filter(Condition::gt("settings", json!(1))),
        Query::new().filter(Condition::between("settings", json!(1), json!(2))),
        Query::new().filter(Condition::is_in("settings", [json!(1), json!(2)])),
        Query::new().filter(Condition::contains("settings", "dark", false)),
        Query::new().order_by("settings"),
    ];
    for query in refused {
        let e = err(events.list(&mut s, &query).await, "refused");
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("settings"),
            "{query:?}: {e}"
        );
    }
    let e = err(
        events
            .list_keyset(&mut s, &KeysetRequest::new("settings", 10))
            .await,
        "keyset by settings",
    );
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    let row = H::Event::new("x", date(2024, 1, 1), None, vec![]);
    let e = err(
        events.upsert_many(&mut s, vec![row], &["settings"]).await,
        "upsert on settings",
    );
    assert!(
        matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("settings"),
        "{e}"
    );
    assert_eq!(s.statements(), before, "nothing was sent");
    ok(s.rollback().await, "rollback");
}

/// A JSON document with a NUL character in a string or key, or of more
/// than 32 levels (MariaDB's limit), is `InvalidInput` naming the column,
/// in a write and in a filter, checked without recursion and before any
/// SQL; 32 levels are written and read back.
pub async fn types_json_refuses_nul_and_deep_documents<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let nested = |depth: usize| {
        let mut doc = json!(1);
        for _ in 0..depth {
            doc = json!([doc]);
        }
        doc
    };
    let mut s = cx.begin().await;
    let before = s.statements();
    for bad in [
        json!({"a": "nul \u{0} inside"}),
        json!({"key \u{0}": 1}),
        nested(32),
        nested(1_000),
    ] {
        let mut e = H::Event::new("x", date(2024, 1, 1), None, vec![]);
        e.set_settings(bad.clone());
        let error = err(events.add(&mut s, e).await, "add");
        assert!(
            matches!(error, Error::InvalidInput { .. }) && error.to_string().contains("settings"),
            "{error}"
        );
        let filter = Query::new().filter(Condition::eq("settings", bad));
        let error = err(events.list(&mut s, &filter).await, "filter");
        assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
    }
    assert_eq!(s.statements(), before, "nothing was sent");
    // A document of 32 levels: 31 arrays around a number.
    let mut e = H::Event::new("deep", date(2024, 1, 1), None, vec![]);
    e.set_settings(nested(31));
    let added = ok(events.add(&mut s, e).await, "32 levels");
    let read = ok(events.get(&mut s, added.key()).await, "get");
    assert_eq!(read.settings(), &nested(31));
    ok(s.rollback().await, "rollback");
}

/// `update_many` writes every new column type in one statement per batch
/// (`UPDATE .. FROM` a list of rows on PostgreSQL and SQLite, `UPDATE ..
/// JOIN` on MariaDB): each row reads back with its own new values, NULLs
/// included, and rows left out keep theirs.
pub async fn types_update_many_writes_every_type<H: Harness>(cx: Arc<Cx<H>>) {
    let stored = seed(&cx).await;
    let events = cx.h.events();
    let changed: Vec<H::Event> = stored
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            let n = u32::try_from(i).unwrap_or(0);
            e.set_day(date(2030, 1, 1 + n));
            e.set_starts((i % 2 == 0).then(|| time(6, 0, 0, n)));
            e.set_payload(vec![0, 255, u8::try_from(i).unwrap_or(0)]);
            e.set_level(-1 - i16::try_from(i).unwrap_or(0));
            e.set_ratio((i % 2 == 1).then_some(0.125));
            e.set_settings(json!({"i": i, "k": ["v", null]}));
            e.set_extra((i % 2 == 0).then_some(serde_json::Value::Null));
            e.set_price(Decimal::new(-7 - i64::try_from(i).unwrap_or(0), 1));
            e.set_share((i % 2 == 0).then(|| Decimal::new(-1, 6)));
            e
        })
        .collect();
    let mut s = cx.begin().await;
    let written = ok(
        events.update_many(&mut s, changed.clone()).await,
        "update_many",
    );
    ok(s.commit().await, "commit");
    assert_eq!(written.len(), changed.len());
    let mut s = cx.begin().await;
    for (i, e) in stored.iter().enumerate() {
        let got = ok(events.get(&mut s, e.key()).await, "get");
        let want = changed.get(i).unwrap_or(e);
        assert_eq!(
            (
                got.day(),
                got.starts(),
                got.payload(),
                got.level(),
                got.ratio()
            ),
            (
                want.day(),
                want.starts(),
                want.payload(),
                want.level(),
                want.ratio()
            ),
            "row {i}"
        );
        assert_eq!(
            (got.settings(), got.extra()),
            (want.settings(), want.extra()),
            "row {i}"
        );
        assert_eq!(
            (got.price(), got.share()),
            (want.price(), want.share()),
            "row {i}"
        );
    }
    ok(s.rollback().await, "rollback");
}

/// Decimals at a column's extremes (±9,999,999,999,999.99 in
/// `DECIMAL(15, 2)`, ±0.999999 and ±0.000001 in `DECIMAL(6, 6)`) and
/// neighbours a float of fewer digits would merge read back exactly,
/// through `add`, `list`, and `add_many` of enough rows to be sent by
/// PostgreSQL's `COPY`.
pub async fn types_decimal_round_trips_exactly_at_its_extremes<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let values = [
        ("max", dec("9999999999999.99"), Some(dec("0.999999"))),
        ("min", dec("-9999999999999.99"), Some(dec("-0.999999"))),
        ("near", dec("9999999999999.98"), Some(dec("0.000001"))),
        ("tiny", dec("-0.01"), Some(dec("-0.000001"))),
        ("zero", dec("0.00"), None),
        ("cents", dec("4365453.23"), Some(dec("0.1"))),
    ];
    let row = |(name, price, share): (&str, Decimal, Option<Decimal>)| {
        let mut e = H::Event::new(name, date(2024, 1, 1), None, vec![]);
        e.set_price(price);
        e.set_share(share);
        e
    };
    let mut s = cx.begin().await;
    for v in values {
        let added = ok(events.add(&mut s, row(v)).await, "add");
        assert_eq!((added.price(), added.share()), (v.1, v.2), "add {}", v.0);
    }
    ok(s.commit().await, "commit");
    // 1,200 rows: over the 1,000 at which PostgreSQL's rows go by COPY.
    let many: Vec<H::Event> = (0..1200i64)
        .map(|i| {
            let price = Decimal::new(999_999_999_999_999 - i * 7_777_777_777, 2);
            let share = (i % 3 != 0).then(|| Decimal::new(i * 833 - 500_000, 6));
            row(("many", price, share))
        })
        .collect();
    let mut s = cx.begin().await;
    ok(events.add_many(&mut s, many.clone()).await, "add_many");
    ok(s.commit().await, "commit");
    let mut s = cx.begin().await;
    let read = ok(
        events.list(&mut s, &Query::new().order_by("id")).await,
        "list",
    );
    ok(s.rollback().await, "rollback");
    let want: Vec<(Decimal, Option<Decimal>)> = values
        .iter()
        .map(|v| (v.1, v.2))
        .chain(many.iter().map(|e| (e.price(), e.share())))
        .collect();
    let got: Vec<(Decimal, Option<Decimal>)> =
        read.iter().map(|e| (e.price(), e.share())).collect();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "row {i}");
    }
}

/// Comparisons, `between`, `in` (short and long lists) and null checks on
/// decimals select the rows Rust's decimal ordering selects, on every
/// database (SQLite compares its `REAL`s, exact to 15 digits), and the
/// JSON query language reads a decimal exactly from a string.
pub async fn types_decimal_filters_compare_as_numbers<H: Harness>(cx: Arc<Cx<H>>) {
    seed(&cx).await;
    let by = |keep: &dyn Fn(Decimal, Option<Decimal>) -> bool| -> Vec<String> {
        let mut names: Vec<String> = dataset()
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(price(*i), share(*i)))
            .map(|(_, r)| r.0.to_string())
            .collect();
        names.sort();
        names
    };
    let top = dec("9999999999999.98");
    // A long list goes as one array or JSON list: values around each price.
    let long: Vec<Decimal> = (0..300i64).map(|i| Decimal::new(1100 + i, 2)).collect();
    let cases: Vec<(Condition, Vec<String>)> = vec![
        (
            Condition::eq("price", dec("12.5")),
            by(&|p, _| p == dec("12.5")),
        ),
        (Condition::gt("price", top), by(&|p, _| p > top)),
        (Condition::ge("price", top), by(&|p, _| p >= top)),
        (
            Condition::lt("price", Decimal::ZERO),
            by(&|p, _| p < Decimal::ZERO),
        ),
        (
            Condition::between("price", dec("-0.01"), dec("12.50")),
            by(&|p, _| (dec("-0.01")..=dec("12.50")).contains(&p)),
        ),
        (
            Condition::is_in("price", [dec("0"), dec("-9999999999999.99"), dec("3")]),
            by(&|p, _| p.is_zero() || p == dec("-9999999999999.99")),
        ),
        (
            Condition::is_in("price", long.clone()),
            by(&|p, _| long.contains(&p)),
        ),
        (
            Condition::gt("share", dec("0.333333")),
            by(&|_, s| s.is_some_and(|s| s > dec("0.333333"))),
        ),
        (
            // More places than the column: compared, not rounded.
            Condition::lt("share", dec("0.0000015")),
            by(&|_, s| s.is_some_and(|s| s < dec("0.0000015"))),
        ),
        (Condition::is_null("share"), by(&|_, s| s.is_none())),
    ];
    for (filter, want) in cases {
        assert_eq!(names(&cx, filter.clone()).await, want, "{filter:?}");
    }
    let json = r#"{"filter": {"op": "and", "filters": [
        {"op": "ge", "field": "price", "value": "9999999999999.98"},
        {"op": "lt", "field": "share", "value": 0.5}]}}"#;
    let query = ok(
        JsonQuery::from_json(json).and_then(|q| q.into_query(H::Event::table())),
        "json query",
    );
    let mut s = cx.begin().await;
    let rows = ok(cx.h.events().list(&mut s, &query).await, "list");
    ok(s.rollback().await, "rollback");
    let mut got: Vec<&str> = rows.iter().map(|e| e.name()).collect();
    got.sort_unstable();
    let want = by(&|p, s| p >= top && s.is_some_and(|s| s < dec("0.5")));
    assert_eq!(got, want);
}

/// A decimal that does not fit its column (a third place in
/// `DECIMAL(15, 2)`, a fourteenth digit before the point) is
/// `InvalidInput` naming the column, not rounded; so is a filter value of
/// more than 15 significant digits, a text match on a decimal, or a float
/// for it; nothing is written.
pub async fn types_decimal_out_of_its_column_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let with = |price: Decimal, share: Option<Decimal>| {
        let mut e = H::Event::new("bad", date(2024, 1, 1), None, vec![]);
        e.set_price(price);
        e.set_share(share);
        e
    };
    let mut s = cx.begin().await;
    for (price, share, column) in [
        (dec("0.001"), None, "price"),
        (dec("10000000000000"), None, "price"),
        (dec("-12.345"), None, "price"),
        (dec("1"), Some(dec("1")), "share"),
        (dec("1"), Some(dec("0.0000001")), "share"),
    ] {
        let e = err(events.add(&mut s, with(price, share)).await, "add");
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains(column),
            "{price} {share:?}: {e}"
        );
    }
    for filter in [
        Condition::eq("price", dec("1234567890123.456")),
        Condition::contains("price", "12", false),
        Condition::eq("price", Value::Bool(true)),
    ] {
        let e = err(
            events
                .list(&mut s, &Query::new().filter(filter.clone()))
                .await,
            "list",
        );
        assert!(
            matches!(e, Error::InvalidInput { .. }) && e.to_string().contains("price"),
            "{filter:?}: {e}"
        );
    }
    ok(s.rollback().await, "rollback");
    let mut s = cx.begin().await;
    let n = ok(events.count(&mut s, None).await, "count");
    ok(s.rollback().await, "rollback");
    assert_eq!(n, 0, "nothing was written");
}

/// `add_many` of rows whose nullable columns are all NULL writes them NULL
/// and every other column as given, on every backend (a driver whose arrays
/// take no NULL leaves those columns out of its array insert).
pub async fn types_add_many_of_null_columns_writes_nulls<H: Harness>(cx: Arc<Cx<H>>) {
    let events = cx.h.events();
    let rows: Vec<H::Event> = (0..50u32)
        .map(|i| {
            let mut e = H::Event::new(&format!("n{i}"), date(2024, 1, 1 + i % 28), None, vec![1]);
            e.set_price(Decimal::new(i64::from(i), 2));
            e
        })
        .collect();
    let mut s = cx.begin().await;
    let added = ok(events.add_many(&mut s, rows.clone()).await, "add_many");
    ok(s.commit().await, "commit");
    assert!(
        added.windows(2).all(|w| w[0].key() < w[1].key()),
        "keys in input order"
    );
    let mut s = cx.begin().await;
    let read = ok(
        events.list(&mut s, &Query::new().order_by("id")).await,
        "list",
    );
    ok(s.rollback().await, "rollback");
    assert_eq!(read.len(), rows.len());
    for ((got, given), added) in read.iter().zip(&rows).zip(&added) {
        assert_eq!(got.key(), added.key());
        assert_eq!(
            (got.name(), got.day(), got.price()),
            (given.name(), given.day(), given.price())
        );
        assert_eq!(
            (got.starts(), got.ratio(), got.extra(), got.share()),
            (None, None, None, None)
        );
    }
}
