//! The suite's model checks on this crate's own base and model, through
//! alchemy-sqlx, on SQLite, PostgreSQL and MariaDB
//! (`ALCHEMY_TEST_POSTGRES_URL` and `ALCHEMY_TEST_MARIADB_URL`, or a Docker
//! engine for testcontainers).

use alchemy_conformance::backends::Sqlx;
use alchemy_conformance::models::{default_trials, model_trials_on};
use alchemy_conformance::runner;
use alchemy_core::schema::Dialect;
use alchemy_sqlx::{MariaDbRepository, PgRepository, SqliteRepository};
use custom_base::Account;

/// Account `n`: a distinct email; a display name on even `n`, none on odd.
fn account(n: u32) -> Account {
    let mut account = Account::new(&format!("user{n}@example.com"));
    account.display_name = n.is_multiple_of(2).then(|| format!("User {n}"));
    account.balance_cents = i64::from(n) * 1_250;
    account.active = !n.is_multiple_of(3);
    account
}

fn main() {
    runner::main_with(|env| {
        let mut trials = model_trials_on(
            Sqlx::<sqlx::Sqlite>::default(),
            env,
            &[Dialect::Sqlite],
            SqliteRepository::<Account>::new(),
            account,
        );
        trials.extend(default_trials(
            Sqlx::<sqlx::Sqlite>::default(),
            env,
            &[Dialect::Sqlite],
            SqliteRepository::<Account>::new(),
            account,
        ));
        trials.extend(model_trials_on(
            Sqlx::<sqlx::Postgres>::default(),
            env,
            &[Dialect::Postgres],
            PgRepository::<Account>::new(),
            account,
        ));
        trials.extend(default_trials(
            Sqlx::<sqlx::Postgres>::default(),
            env,
            &[Dialect::Postgres],
            PgRepository::<Account>::new(),
            account,
        ));
        trials.extend(model_trials_on(
            Sqlx::<sqlx::MySql>::default(),
            env,
            &[Dialect::MariaDb],
            MariaDbRepository::<Account>::new(),
            account,
        ));
        trials.extend(default_trials(
            Sqlx::<sqlx::MySql>::default(),
            env,
            &[Dialect::MariaDb],
            MariaDbRepository::<Account>::new(),
            account,
        ));
        trials
    })
}
