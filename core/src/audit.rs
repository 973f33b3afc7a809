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
