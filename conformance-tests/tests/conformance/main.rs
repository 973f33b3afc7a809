//! The conformance suite for every backend in this workspace:
//! `<backend>::<database>::<case>`, one test each, and the model checks a
//! user runs on their own models (`alchemy_conformance::models`), here on
//! the suite's `post` and `item` models through each backend.

mod diesel_harness;
mod seaorm_harness;
mod sqlx_harness;

use alchemy_conformance::fixtures::{EventFixture, ItemFixture, PostFixture, TagFixture};
use alchemy_conformance::harness::{Harness, SessionOf};
use alchemy_conformance::models::{default_trials, model_trials_on, slug_trials, unique_trials};
use alchemy_conformance::runner::Environment;
use alchemy_core::driver::Driver;
use alchemy_core::schema::Dialect;
use libtest_mimic::Trial;

/// Post `n`: a distinct title.
fn post<P: PostFixture>(n: u32) -> P {
    P::new(&format!("post {n}"), &format!("content of post {n}"))
}

/// Item `n`: distinct names and ranks; the nullable note and due date set
/// on odd `n`, NULL on even.
fn item<I: ItemFixture>(n: u32) -> I {
    let mut item = I::new(
        &format!("item {n}"),
        i64::from(n) * 10,
        !n.is_multiple_of(3),
    );
    if n % 2 == 1 {
        item.set_note(Some(&format!("note {n}")));
        item.set_due_at(Some(
            // To the microsecond, as the database keeps it.
            chrono::SubsecRound::trunc_subsecs(alchemy_conformance::START(), 6)
                + chrono::TimeDelta::microseconds(i64::from(n) * 1_000_001),
        ));
    }
    item
}

/// Event `n`: a distinct name, day, time and payload, the time NULL on
/// even `n`; the first is at the earliest day and time, the second at the
/// latest.
fn event<E: EventFixture>(n: u32) -> E {
    use chrono::{NaiveDate, NaiveTime, TimeDelta};
    let (day, time) = match n {
        0 => (
            NaiveDate::from_ymd_opt(1, 1, 1),
            NaiveTime::from_hms_opt(0, 0, 0),
        ),
        1 => (
            NaiveDate::from_ymd_opt(9999, 12, 31),
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999),
        ),
        n => (
            NaiveDate::from_ymd_opt(2024, 2, 29).map(|d| d + TimeDelta::days(i64::from(n))),
            NaiveTime::from_hms_micro_opt(12, 0, 0, n),
        ),
    };
    let payload = (0..n).map(|i| u8::try_from(i % 256).unwrap_or(0)).collect();
    let mut event = E::new(
        &format!("event {n}"),
        day.unwrap_or_default(),
        time.filter(|_| n % 2 == 1),
        payload,
    );
    // The extremes first, then a distinct level and ratio each.
    let (level, ratio) = match n {
        0 => (i16::MIN, f32::MIN_POSITIVE),
        1 => (i16::MAX, f32::MAX),
        n => (
            i16::try_from(n).unwrap_or(0),
            1.0 / 1024.0 * f32::from(u8::try_from(n % 200).unwrap_or(0)),
        ),
    };
    event.set_level(level);
    event.set_ratio(Some(ratio).filter(|_| n % 2 == 1 || n == 0));
    event.set_settings(
        serde_json::json!({"n": n, "tags": ["a", n.to_string()], "on": n.is_multiple_of(2)}),
    );
    event.set_extra((n % 2 == 1).then(|| serde_json::json!([n, null, {"k": "v"}])));
    // DECIMAL(15, 2) and DECIMAL(6, 6) at their extremes first.
    let (price, share) = match n {
        0 => (-999_999_999_999_999, Some(-999_999)),
        1 => (999_999_999_999_999, Some(1)),
        n => (i64::from(n) * 101, (n % 2 == 1).then_some(i64::from(n))),
    };
    event.set_price(rust_decimal::Decimal::new(price, 2));
    event.set_share(share.map(|s| rust_decimal::Decimal::new(s, 6)));
    event
}

/// Tag `n`: a distinct name and slug.
fn tag<T: TagFixture>(n: u32) -> T {
    T::new(&format!("Tag {n}"), &format!("tag-{n}"))
}

/// The model checks of harness `H`'s post, item, tag and event models (the
/// tag with the slug and unique mixins' checks too, the post, item and
/// event with their defaults and nullable columns).
fn model_checks<H>(env: &Environment, dialects: &[Dialect]) -> Vec<Trial>
where
    H: Harness + Clone + Default,
    SessionOf<H>: Driver<H::Post> + Driver<H::Item> + Driver<H::Event>,
{
    let h = H::default();
    let mut trials = model_trials_on(h.clone(), env, dialects, h.posts(), post::<H::Post>);
    trials.extend(model_trials_on(
        h.clone(),
        env,
        dialects,
        h.items(),
        item::<H::Item>,
    ));
    trials.extend(model_trials_on(
        h.clone(),
        env,
        dialects,
        h.tags(),
        tag::<H::Tag>,
    ));
    trials.extend(slug_trials(
        h.clone(),
        env,
        dialects,
        h.tags(),
        tag::<H::Tag>,
    ));
    trials.extend(unique_trials(
        h.clone(),
        env,
        dialects,
        h.tags(),
        tag::<H::Tag>,
    ));
    trials.extend(default_trials(
        h.clone(),
        env,
        dialects,
        h.posts(),
        post::<H::Post>,
    ));
    trials.extend(default_trials(
        h.clone(),
        env,
        dialects,
        h.items(),
        item::<H::Item>,
    ));
    trials.extend(model_trials_on(
        h.clone(),
        env,
        dialects,
        h.events(),
        event::<H::Event>,
    ));
    trials.extend(default_trials(
        h.clone(),
        env,
        dialects,
        h.events(),
        event::<H::Event>,
    ));
    trials
}

fn main() {
    alchemy_conformance::runner::main_with(|env| {
        let mut trials = Vec::new();
        trials.extend(sqlx_harness::trials(env));
        trials.extend(diesel_harness::trials(env));
        trials.extend(seaorm_harness::trials(env));
        trials.extend(model_checks::<sqlx_harness::SqlxHarness<sqlx::Sqlite>>(
            env,
            &[Dialect::Sqlite],
        ));
        trials.extend(model_checks::<sqlx_harness::SqlxHarness<sqlx::Postgres>>(
            env,
            &[Dialect::Postgres],
        ));
        trials.extend(model_checks::<sqlx_harness::SqlxHarness<sqlx::MySql>>(
            env,
            &[Dialect::MariaDb],
        ));
        trials.extend(model_checks::<diesel_harness::DieselHarness>(
            env,
            &[Dialect::Sqlite, Dialect::Postgres, Dialect::MariaDb],
        ));
        trials.extend(model_checks::<seaorm_harness::SeaOrmHarness>(
            env,
            &[Dialect::Sqlite, Dialect::Postgres, Dialect::MariaDb],
        ));
        trials.push(libtest_mimic::Trial::test(
            "derive::derived_posts_are_the_fixture_post_table",
            || {
                use alchemy_core::Model;
                let fixture = alchemy_conformance::fixtures::post_table();
                for (harness, table) in [
                    ("sqlx", sqlx_harness::Post::table()),
                    ("diesel", diesel_harness::Post::table()),
                ] {
                    if table != fixture {
                        return Err(format!("{harness}: {table:?} is not {fixture:?}").into());
                    }
                }
                Ok(())
            },
        ));
        trials
    })
}
