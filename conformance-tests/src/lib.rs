//! # alchemy-conformance
//!
//! One suite of behaviour cases that every alchemy-rs backend must pass, on
//! every database. A backend plugs in by implementing [`Harness`] (its
//! fixture models, in its own ORM's idiom, and their repositories) and
//! calling [`runner::main_with`] from a `harness = false` test:
//!
//! ```no_run
//! use alchemy_conformance::{Harness, runner};
//!
//! /// The `main` of a `harness = false` test target, for harness `H`
//! /// (this repository's `tests/conformance/` has three: sqlx, diesel,
//! /// SeaORM).
//! fn main_for<H: Harness + Clone + Default>() -> ! {
//!     runner::main_with(|env| runner::backend_trials::<H>(env))
//! }
//! ```
//!
//! # Your own models
//!
//! [`models::model_trials`] runs the checks every model must pass (keys,
//! every column's round trip, audit stamps, update and delete by key, and
//! the order of time-ordered keys) on
//! a model of yours, through your repository, on SQLite and PostgreSQL,
//! as `<backend>::<database>::model::<table>::<check>`. You give the
//! backend (a [`Backend`]: how to connect to a fresh database; the shipped
//! ones are in [`backends`], behind the features `sqlx`, `diesel` and
//! `seaorm`), the repository, and `sample(n)`, which makes rows:
//!
//! ```no_run
//! use alchemy_conformance::{Backend, SessionOf, models, runner};
//! use alchemy_core::Repository;
//!
//! /// The `main` of a `harness = false` test target for one model.
//! fn check_model<B, R>(backend: B, repo: R, sample: fn(u32) -> R::Model) -> !
//! where
//!     B: Backend + Clone,
//!     R: Repository<Session = SessionOf<B>> + Clone + 'static,
//! {
//!     runner::main_with(|env| models::model_trials(backend, env, repo, sample))
//! }
//! ```
//!
//! [`models::default_trials`] checks server defaults and nullable columns
//! (a row inserted without them, as another program would, reads back
//! with the defaults and NULLs), [`models::slug_trials`] and
//! [`models::unique_trials`] the slug and unique mixins, each where a model
//! has them. This repository's own suite runs them on its `post`, `item`
//! and `tag` models through all three backends (`tests/conformance/main.rs`),
//! and `examples/custom-base` on a base and model of its own.
//!
//! # The cases
//!
//! Each case is a plain generic async function with a one-line doc naming the
//! behaviour it checks; it becomes one test per database, named
//! `<backend>::<database>::<case>` (`cargo test -p alchemy-conformance -- --list`).
//! Every case gets its own SQLite file or PostgreSQL schema, so cases run in
//! parallel and can run twice against the same server.
#![warn(missing_docs)]

pub mod backends;
pub mod cases;
pub mod fixtures;
pub mod harness;
pub mod models;
pub mod runner;

pub use harness::{Backend, Cx, Harness, HasWidget, SessionOf, Target};

#[doc(hidden)]
pub mod __private {
    pub use alchemy_core;
    pub use chrono;
    pub use rust_decimal;
    pub use serde_json;
    pub use uuid;
}

use chrono::{DateTime, TimeZone, Utc};

/// Where every case's clock starts: a leap day, with sub-microsecond digits
/// that must be cut off before storage.
#[allow(non_snake_case)]
pub fn START() -> DateTime<Utc> {
    Utc.timestamp_opt(1_709_210_096, 123_456_789)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Unwraps a result in a case, naming the step and printing the error.
#[track_caller]
pub fn ok<T>(result: alchemy_core::Result<T>, step: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{step}: {e} ({e:?})"),
    }
}

/// Expects an error in a case, naming the step.
#[track_caller]
pub fn err<T: std::fmt::Debug>(result: alchemy_core::Result<T>, step: &str) -> alchemy_core::Error {
    match result {
        Ok(v) => panic!("{step}: expected an error, got {v:?}"),
        Err(e) => e,
    }
}
