//! Audit timestamps (`created_at`, `updated_at`) and the clock that makes them.
//!
//! Timestamps are UTC and cut to whole microseconds before they are written, so
//! what a database stores (PostgreSQL `timestamptz` keeps microseconds) reads
//! back exactly equal.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// Name of the creation-time column.
pub const CREATED_AT: &str = "created_at";
/// Name of the last-update-time column.
pub const UPDATED_AT: &str = "updated_at";

/// A source of "now". Sessions take one so tests can control time.
pub trait Clock: Debug + Send + Sync + 'static {
    /// The current time, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }

    /// Moves the time by `by` (which may be negative).
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A shareable clock handle, as sessions hold it.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock as a [`SharedClock`].
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// `clock.now()` cut to whole microseconds (the precision every database keeps).
pub fn now_micros(clock: &dyn Clock) -> DateTime<Utc> {
    clock.now().trunc_subsecs(6)
}

/// The one text form of a timestamp on SQLite, shared by every backend:
/// RFC 3339 in UTC with `+00:00` and 0, 3, 6 or 9 fractional digits
/// (`2024-02-29T12:34:56.123456+00:00`), which is what sqlx writes.
///
/// Strings of this form sort in time order (`+` sorts before `.` and the
/// digits), so SQLite's text comparison and `ORDER BY` are correct, and a
/// database written by one backend reads and filters correctly from another.
pub fn sqlite_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// The two audit columns of an audited model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamps {
    /// Set once, at insert.
    pub created_at: DateTime<Utc>,
    /// Set at insert, bumped by every update; never earlier than `created_at`.
    pub updated_at: DateTime<Utc>,
}

impl Timestamps {
    /// Both columns at `now`: the stamp of a new row.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            created_at: now,
            updated_at: now,
        }
    }

    /// The stamp after an update at `now`: `created_at` kept, `updated_at`
    /// moved to `now`, but never before `created_at` (a clock that went
    /// backwards cannot make a row updated before it was created).
    pub fn touched(self, now: DateTime<Utc>) -> Self {
        Self {
            created_at: self.created_at,
            updated_at: now.max(self.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn now_is_cut_to_microseconds() {
        let clock = ManualClock::new(Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap());
        assert_eq!(now_micros(&clock).timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn sqlite_text_sorts_in_time_order() {
        let t = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let times = [
            t - TimeDelta::days(365 * 60),
            t,
            t + TimeDelta::microseconds(1),
            t + TimeDelta::milliseconds(100),
            t + TimeDelta::microseconds(100_001),
            t + TimeDelta::milliseconds(999),
            t + TimeDelta::seconds(1),
        ];
        let texts: Vec<String> = times.iter().map(|t| sqlite_text(*t)).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert_eq!(texts[1], "2023-11-14T22:13:20+00:00");
        assert_eq!(texts[2], "2023-11-14T22:13:20.000001+00:00");
        assert_eq!(
            DateTime::parse_from_rfc3339(&texts[4])
                .unwrap()
                .with_timezone(&Utc),
            times[4]
        );
    }

    #[test]
    fn touched_never_goes_before_created() {
        let t0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let stamp = Timestamps::at(t0);
        let back = stamp.touched(t0 - TimeDelta::seconds(5));
        assert_eq!(back.created_at, t0);
        assert_eq!(back.updated_at, t0);
        let fwd = stamp.touched(t0 + TimeDelta::seconds(5));
        assert_eq!(fwd.updated_at, t0 + TimeDelta::seconds(5));
        assert_eq!(fwd.created_at, t0);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0 = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let clock = ManualClock::new(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(TimeDelta::milliseconds(1));
        assert_eq!(clock.now(), t0 + TimeDelta::milliseconds(1));
        clock.set(t0);
        assert_eq!(clock.now(), t0);
    }
}
