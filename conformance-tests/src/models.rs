//! The suite on a model of your own: what every model on every base must
//! do, checked through your repository on each database.
//!
//! [`model_trials`] gives one named test per check and database,
//! `<backend>::<database>::model::<table>::<check>`:
//! - `keys`: every row added gets a key that is set, and no two are equal;
//! - `round_trip`: every column of every sample reads back exactly as
//!   written, NULLs included, and the row `add` returned is the stored one;
//! - `audit` (audited bases): an insert stamps `created_at` and
//!   `updated_at` with the database's clock, equal; an update moves
//!   `updated_at` only;
//! - `update_by_key`: a whole-row update by key stores the new values;
//! - `delete_by_key`: a delete by key returns the row, and a get then
//!   reports [`Error::NotFound`];
//! - `creation_order` (bases whose key strategy is
//!   [`KeyStrategy::CREATION_ORDERED`]: identities, UUID v6 and v7): rows
//!   listed by key come in the order they were added.
//!
//! [`default_trials`] adds, for a model whose repository runs on the
//! [driver layer](alchemy_core::driver) (every shipped backend's does),
//! `defaults`: a row inserted by hand without the columns that have a
//! server default or allow NULL, as another program would insert it, reads
//! back through the repository with each declared default (`false` and
//! `true` exactly, a SQL expression's value whatever it is) and NULL in the
//! others. It makes no trials for a table with no such column.
//!
//! [`slug_trials`] adds, for a model with the slug mixin, `slug`: the slug
//! reads back, `slug_exists` finds it, `available_slug` gives a free one
//! when it is taken, and a second row with it is [`Error::DuplicateKey`].
//! [`unique_trials`] adds, for a model with the unique mixin,
//! `get_or_create`: two calls in two sessions make one row, and
//! `get_unique_or_none` finds it by its natural key.
//!
//! The samples are yours: `sample(n)` is a new, unsaved row (an unset key)
//! with values the database stores exactly (timestamps to the
//! microsecond), distinct for each `n` in any unique column, and with the
//! nullable columns both set and NULL across a few `n`.

use std::sync::Arc;

use alchemy_core::audit::{CREATED_AT, UPDATED_AT};
use alchemy_core::base::Base;
use alchemy_core::driver::Driver;
use alchemy_core::filter::Query;
use alchemy_core::pk::KeyStrategy;
use alchemy_core::schema::{ColumnDefault, Dialect};
use alchemy_core::slug::SlugKey;
use alchemy_core::sql::SqlWriter;
use alchemy_core::unique::Unique;
use alchemy_core::{Database, Error, KeyOf, Model, Repository, RepositoryExt, Session, Value};
use chrono::{SubsecRound, TimeDelta};
use libtest_mimic::Trial;

use crate::harness::{Backend, Cx, SessionOf};
use crate::runner::{Environment, database_trials, run_on};
use crate::{err, ok};

/// How many samples each check writes.
const SAMPLES: u32 = 4;

/// The checks of model `R::Model` through repository `repo` on `backend`,
/// on SQLite and PostgreSQL; `sample(n)` makes the rows (see the
/// [module docs](self)).
pub fn model_trials<B, R>(
    backend: B,
    env: &Environment,
    repo: R,
    sample: fn(u32) -> R::Model,
) -> Vec<Trial>
where
    B: Backend + Clone,
    R: Repository<Session = SessionOf<B>> + Clone + 'static,
{
    model_trials_on(
        backend,
        env,
        &[Dialect::Sqlite, Dialect::Postgres],
        repo,
        sample,
    )
}

/// As [`model_trials`], on the given databases only.
pub fn model_trials_on<B, R>(
    backend: B,
    env: &Environment,
    dialects: &[Dialect],
    repo: R,
    sample: fn(u32) -> R::Model,
) -> Vec<Trial>
where
    B: Backend + Clone,
    R: Repository<Session = SessionOf<B>> + Clone + 'static,
{
    let mut checks: Vec<(&str, Check<B, R>)> = vec![
        ("keys", |cx, r, s| Box::pin(keys(cx, r, s))),
        ("round_trip", |cx, r, s| Box::pin(round_trip(cx, r, s))),
        ("update_by_key", |cx, r, s| {
            Box::pin(update_by_key(cx, r, s))
        }),
        ("delete_by_key", |cx, r, s| {
            Box::pin(delete_by_key(cx, r, s))
        }),
    ];
    if <<R::Model as Model>::Base as Base>::AUDITED {
        checks.push(("audit", |cx, r, s| Box::pin(audit(cx, r, s))));
    }
    if <<<R::Model as Model>::Base as Base>::Key as KeyStrategy>::CREATION_ORDERED {
        checks.push(("creation_order", |cx, r, s| {
            Box::pin(creation_order(cx, r, s))
        }));
    }
    let mut out = Vec::new();
    for (name, check) in checks {
        out.extend(one_check(
            backend.clone(),
            env,
            dialects,
            repo.clone(),
            sample,
            name,
            check,
        ));
    }
    out
}

/// The slug mixin's check of `R::Model` (see the [module docs](self)), on
/// each of `dialects`.
pub fn slug_trials<B, R>(
    backend: B,
    env: &Environment,
    dialects: &[Dialect],
    repo: R,
    sample: fn(u32) -> R::Model,
) -> Vec<Trial>
where
    B: Backend + Clone,
    R: Repository<Session = SessionOf<B>> + Clone + 'static,
    R::Model: SlugKey,
{
    one_check(backend, env, dialects, repo, sample, "slug", |cx, r, s| {
        Box::pin(slug(cx, r, s))
    })
}

/// The unique mixin's check of `R::Model` (see the [module docs](self)),
/// on each of `dialects`.
pub fn unique_trials<B, R>(
    backend: B,
    env: &Environment,
    dialects: &[Dialect],
    repo: R,
    sample: fn(u32) -> R::Model,
) -> Vec<Trial>
where
    B: Backend + Clone,
    R: Repository<Session = SessionOf<B>> + Clone + 'static,
    R::Model: Unique,
{
    one_check(
        backend,
        env,
        dialects,
        repo,
        sample,
        "get_or_create",
        |cx, r, s| Box::pin(get_or_create(cx, r, s)),
    )
}

/// The defaults check of `R::Model` (see the [module docs](self)), on
/// each of `dialects`; none for a table without a server default or a
/// nullable column besides its key.
pub fn default_trials<B, R>(
    backend: B,
    env: &Environment,
    dialects: &[Dialect],
    repo: R,
    sample: fn(u32) -> R::Model,
) -> Vec<Trial>
where
    B: Backend + Clone,
    R: Repository<Session = SessionOf<B>> + Clone + 'static,
    SessionOf<B>: Driver<R::Model>,
{
    if defaulted_columns::<R::Model>().is_empty() {
        return Vec::new();
    }
    one_check(
        backend,
        env,
        dialects,
        repo,
        sample,
        "defaults",
        |cx, r, s| Box::pin(defaults(cx, r, s)),
    )
}

/// The trials of one check on each of `dialects`.
fn one_check<B, R>(
    backend: B,
    env: &Environment,
    dialects: &[Dialect],
    repo: R,
    sample: fn(u32) -> R::Model,
    name: &str,
    check: Check<B, R>,
) -> Vec<Trial>
where
    B: Backend + Clone,
    R: Repository<Session = SessionOf<B>> + Clone + 'static,
{
    let case = format!("model::{}::{name}", R::Model::table().name());
    database_trials(env, dialects, B::NAME, &case, move |server| {
        let repo = repo.clone();
        run_on(backend.clone(), server, &[R::Model::table()], move |cx| {
            check(cx, repo, sample)
        })
    })
}

/// One check, as [`model_trials_on`] stores it.
type Check<B, R> = fn(
    Arc<Cx<B>>,
    R,
    fn(u32) -> <R as Repository>::Model,
) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// The indexes of `M`'s columns that hold data: not the key, not an audit column.
fn data_columns<M: Model>() -> Vec<usize> {
    let table = M::table();
    let key = table.key_index().ok();
    (0..table.columns().len())
        .filter(|&i| {
            let name = table.columns()[i].name.as_str();
            Some(i) != key && name != CREATED_AT && name != UPDATED_AT
        })
        .collect()
}

/// The indexes of `M`'s columns, other than its key, that an insert may
/// leave out: those with a server default or allowing NULL.
fn defaulted_columns<M: Model>() -> Vec<usize> {
    let table = M::table();
    let key = table.key_index().ok();
    (0..table.columns().len())
        .filter(|&i| {
            let column = &table.columns()[i];
            Some(i) != key && (column.default.is_some() || column.nullable)
        })
        .collect()
}

/// `stored`'s data columns against `expected`'s, naming the first that differs.
fn same_data<M: Model>(stored: &M, expected: &M, step: &str) {
    let table = M::table();
    for i in data_columns::<M>() {
        assert_eq!(
            stored.value(i),
            expected.value(i),
            "{step}: column `{}` of `{}` did not read back as written",
            table.columns()[i].name,
            table.name()
        );
    }
}

async fn add_samples<B, R>(cx: &Cx<B>, repo: &R, sample: fn(u32) -> R::Model) -> Vec<R::Model>
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    let mut s = ok(cx.db.begin().await, "begin");
    let mut added = Vec::new();
    for n in 0..SAMPLES {
        added.push(ok(repo.add(&mut s, sample(n)).await, "add"));
    }
    ok(s.commit().await, "commit");
    added
}

async fn keys<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    let added = add_samples(&cx, &repo, sample).await;
    let keys: Vec<&KeyOf<R::Model>> = added.iter().map(Model::key).collect();
    for key in &keys {
        assert!(
            !<<<R::Model as Model>::Base as Base>::Key as KeyStrategy>::is_unset(key),
            "add left the key unset"
        );
    }
    for (i, a) in keys.iter().enumerate() {
        assert!(
            !keys[i + 1..].contains(a),
            "two rows got the key {a} (keys: {keys:?})"
        );
    }
}

async fn round_trip<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    let added = add_samples(&cx, &repo, sample).await;
    let mut s = ok(cx.db.begin().await, "begin");
    for (n, row) in (0..SAMPLES).zip(&added) {
        same_data(row, &sample(n), "add's returned row");
        let stored = ok(repo.get(&mut s, row.key()).await, "get");
        same_data(&stored, &sample(n), "get");
        assert_eq!(
            stored.values(),
            row.values(),
            "the stored row is not the one add returned"
        );
    }
    ok(s.rollback().await, "rollback");
}

async fn audit<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    // Stamps are kept to the microsecond.
    let start = crate::START().trunc_subsecs(6);
    let mut s = ok(cx.db.begin().await, "begin");
    let row = ok(repo.add(&mut s, sample(0)).await, "add");
    let stamps = row
        .timestamps()
        .unwrap_or_else(|| panic!("an audited model has timestamps"));
    assert_eq!(
        (stamps.created_at, stamps.updated_at),
        (start, start),
        "insert stamps"
    );
    ok(s.commit().await, "commit");
    cx.clock.advance(TimeDelta::seconds(90));
    let mut s = ok(cx.db.begin().await, "begin");
    let mut changed = sample(1);
    changed.set_key(row.key().clone());
    changed.set_timestamps(stamps);
    let updated = ok(repo.update(&mut s, changed).await, "update");
    let after = updated.timestamps().unwrap_or_else(|| panic!("timestamps"));
    assert_eq!(after.created_at, start, "update kept created_at");
    assert_eq!(
        after.updated_at,
        start + TimeDelta::seconds(90),
        "update bumped updated_at"
    );
    let stored = ok(repo.get(&mut s, row.key()).await, "get");
    assert_eq!(stored.timestamps(), Some(after), "stored stamps");
    ok(s.commit().await, "commit");
}

async fn update_by_key<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    let mut s = ok(cx.db.begin().await, "begin");
    let row = ok(repo.add(&mut s, sample(0)).await, "add");
    ok(s.commit().await, "commit");
    // A row built apart from the stored one, carrying its key.
    let mut replacement = sample(1);
    replacement.set_key(row.key().clone());
    if let Some(stamps) = row.timestamps() {
        replacement.set_timestamps(stamps);
    }
    let mut s = ok(cx.db.begin().await, "begin");
    let updated = ok(repo.update(&mut s, replacement).await, "update");
    same_data(&updated, &sample(1), "update's returned row");
    ok(s.commit().await, "commit");
    let mut s = ok(cx.db.begin().await, "begin");
    let stored = ok(repo.get(&mut s, row.key()).await, "get");
    same_data(&stored, &sample(1), "get after update");
    assert_eq!(
        ok(repo.count(&mut s, None).await, "count"),
        1,
        "update added no row"
    );
    ok(s.rollback().await, "rollback");
}

async fn delete_by_key<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    let added = add_samples(&cx, &repo, sample).await;
    let mut s = ok(cx.db.begin().await, "begin");
    let deleted = ok(repo.delete(&mut s, added[0].key()).await, "delete");
    assert_eq!(
        deleted.values(),
        added[0].values(),
        "delete returned the row"
    );
    let e = err(repo.get(&mut s, added[0].key()).await, "get after delete");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    let left = ok(repo.count(&mut s, None).await, "count");
    assert_eq!(left, u64::from(SAMPLES) - 1, "one row deleted");
    ok(s.commit().await, "commit");
}

async fn slug<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>> + 'static,
    R::Model: SlugKey,
{
    let mut s = ok(cx.db.begin().await, "begin");
    let row = ok(repo.add(&mut s, sample(0)).await, "add");
    let taken = sample(0).slug().to_string();
    assert_eq!(row.slug(), taken, "the slug reads back");
    assert!(
        ok(repo.slug_exists(&mut s, &taken).await, "slug_exists"),
        "slug_exists finds it"
    );
    let free = ok(repo.available_slug(&mut s, &taken).await, "available_slug");
    assert_ne!(
        free, taken,
        "available_slug gives another slug when it is taken"
    );
    assert!(
        !ok(repo.slug_exists(&mut s, &free).await, "slug_exists"),
        "the slug given is free"
    );
    // A second row with the taken slug, inside a savepoint.
    let mut twin = sample(1);
    twin.set_slug(taken);
    let e = err(
        s.savepoint(move |s| Box::pin(async move { repo.add(s, twin).await }))
            .await,
        "a second row with the slug",
    );
    assert!(matches!(e, Error::DuplicateKey { .. }), "{e}");
    ok(s.commit().await, "commit");
}

async fn get_or_create<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
    R::Model: Unique,
{
    let mut keys = Vec::new();
    for _ in 0..2 {
        let mut s = ok(cx.db.begin().await, "begin");
        keys.push(
            ok(repo.get_or_create(&mut s, sample(0)).await, "get_or_create")
                .key()
                .clone(),
        );
        ok(s.commit().await, "commit");
    }
    assert_eq!(keys[0], keys[1], "the second call found the first row");
    let mut s = ok(cx.db.begin().await, "begin");
    assert_eq!(ok(repo.count(&mut s, None).await, "count"), 1, "one row");
    let natural = sample(0).unique_key();
    let found = ok(
        repo.get_unique_or_none(&mut s, &natural).await,
        "get_unique_or_none",
    );
    assert_eq!(
        found.map(|m| m.key().clone()),
        Some(keys[0].clone()),
        "found by its natural key"
    );
    ok(s.rollback().await, "rollback");
}

async fn creation_order<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
{
    // One insert per row, each a round trip after the one before.
    let added = add_samples(&cx, &repo, sample).await;
    let table = R::Model::table();
    let key = ok(table.key_index(), "key column");
    let by_key = Query::new().order_by(table.columns()[key].name.as_str());
    let mut s = ok(cx.db.begin().await, "begin");
    let listed = ok(repo.list(&mut s, &by_key).await, "list by key");
    let listed: Vec<&KeyOf<R::Model>> = listed.iter().map(Model::key).collect();
    let added: Vec<&KeyOf<R::Model>> = added.iter().map(Model::key).collect();
    assert_eq!(
        listed, added,
        "rows listed by key did not come in the order they were added"
    );
    ok(s.rollback().await, "rollback");
}

async fn defaults<B, R>(cx: Arc<Cx<B>>, repo: R, sample: fn(u32) -> R::Model)
where
    B: Backend,
    R: Repository<Session = SessionOf<B>>,
    SessionOf<B>: Driver<R::Model>,
{
    let table = R::Model::table();
    let omitted = defaulted_columns::<R::Model>();
    // A stored row gives a key and values the database takes; it is
    // deleted and inserted again by hand without the omitted columns.
    let mut s = ok(cx.db.begin().await, "begin");
    let row = ok(repo.add(&mut s, sample(0)).await, "add");
    ok(repo.delete(&mut s, row.key()).await, "delete");
    let values = row.values();
    let mut sql = Driver::<R::Model>::sql(&s, None);
    let dialect = sql.dialect();
    sql.push("INSERT INTO ");
    sql.push(table.quoted_name(dialect));
    sql.push(" (");
    let kept: Vec<usize> = (0..values.len()).filter(|i| !omitted.contains(i)).collect();
    for (n, &i) in kept.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        let name = table.quoted_column(dialect, i);
        sql.push(name.unwrap_or_else(|| panic!("column {i} of `{}`", table.name())));
    }
    sql.push(") VALUES ");
    sql.row(
        true,
        &mut kept
            .iter()
            .map(|&i| (values[i].clone(), table.columns()[i].ty)),
    );
    let written = ok(
        Driver::<R::Model>::execute(&mut s, sql).await,
        "insert without defaulted columns",
    );
    assert_eq!(written, 1, "the hand insert wrote one row");
    ok(s.commit().await, "commit");
    let mut s = ok(cx.db.begin().await, "begin");
    let stored = ok(repo.get(&mut s, row.key()).await, "get");
    for i in omitted {
        let column = &table.columns()[i];
        let value = stored.value(i);
        let what = format!(
            "column `{}` of `{}` left out of an insert",
            column.name,
            table.name()
        );
        match column.default {
            Some(ColumnDefault::False) => assert_eq!(value, Some(Value::Bool(false)), "{what}"),
            Some(ColumnDefault::True) => assert_eq!(value, Some(Value::Bool(true)), "{what}"),
            Some(_) => assert!(
                value.is_some_and(|v| v != Value::Null),
                "{what}: no default value"
            ),
            None => assert_eq!(value, Some(Value::Null), "{what}: not NULL"),
        }
    }
    ok(s.rollback().await, "rollback");
}
