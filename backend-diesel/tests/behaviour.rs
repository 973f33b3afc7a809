//! Behaviour the shared conformance suite does not reach: dropped sessions,
//! in-memory SQLite, filter trees, and the search path on PostgreSQL.

#![allow(clippy::unwrap_used)] // test code: a failure should panic
use alchemy_core::base::BigIntBase;
use alchemy_core::filter::{Condition, Query, Value};
use alchemy_core::schema::{Column, ColumnType};
use alchemy_core::{Database, Error, Model, Repository, RepositoryExt, Session, impl_model};
use alchemy_diesel::{ConnectionMut, DieselDb};
use diesel::prelude::*;

diesel::table! {
    note (id) {
        id -> BigInt,
        title -> Varchar,
        body -> Nullable<Text>,
        pinned -> Bool,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = note)]
struct Note {
    id: i64,
    title: String,
    body: Option<String>,
    pinned: bool,
}

impl_model!(
    Note,
    BigIntBase,
    plain,
    |t| t
        .column(Column::new("title", ColumnType::VarChar(100)))
        .column(Column::new("body", ColumnType::Text).nullable())
        .column(Column::new("pinned", ColumnType::Bool)),
    fields(title, body, pinned)
);

type NoteRepository = alchemy_diesel::DieselRepository<Note>;

fn note(title: &str, body: Option<&str>, pinned: bool) -> Note {
    Note {
        id: 0,
        title: title.into(),
        body: body.map(Into::into),
        pinned,
    }
}

async fn memory_db() -> DieselDb {
    let db = DieselDb::connect("sqlite::memory:").await.unwrap();
    db.create_tables(&[Note::table()]).await.unwrap();
    db
}

#[tokio::test]
async fn dropped_session_rolls_back() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    let n = NoteRepository::new()
        .add(&mut s, note("gone", None, false))
        .await
        .unwrap();
    drop(s);
    let mut s = db.begin().await.unwrap();
    let e = NoteRepository::new().get(&mut s, &n.id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    s.rollback().await.unwrap();
}

#[tokio::test]
async fn filters_compile_to_bound_sql() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    NoteRepository::new()
        .add_many(
            &mut s,
            vec![
                note("a", None, true),
                note("b", Some("x"), false),
                note("c", Some("x"), true),
            ],
        )
        .await
        .unwrap();
    let one = |c: Condition| c;
    let found = NoteRepository::new()
        .get_one_or_none(&mut s, &one(Condition::eq("body", Value::Null)))
        .await
        .unwrap();
    assert_eq!(found.map(|n| n.title).as_deref(), Some("a"));
    let both = Condition::And(vec![
        Condition::eq("body", "x"),
        Condition::eq("pinned", true),
    ]);
    let found = NoteRepository::new()
        .get_one_or_none(&mut s, &both)
        .await
        .unwrap();
    assert_eq!(found.map(|n| n.title).as_deref(), Some("c"));
    let either = Condition::Or(vec![
        Condition::eq("title", "a"),
        Condition::eq("title", "b"),
    ]);
    let e = NoteRepository::new()
        .get_one_or_none(&mut s, &either)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::MultipleResults { .. }), "{e}");
    let none = NoteRepository::new()
        .get_one_or_none(&mut s, &Condition::Or(vec![]))
        .await
        .unwrap();
    assert!(none.is_none());
    let hostile = Condition::eq("title", "a' OR 1=1 --");
    assert!(
        NoteRepository::new()
            .get_one_or_none(&mut s, &hostile)
            .await
            .unwrap()
            .is_none()
    );
    let before = s.statements();
    let e = NoteRepository::new()
        .get_one_or_none(&mut s, &Condition::eq("title\" OR 1=1 --", 1i64))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    assert_eq!(s.statements(), before, "nothing was sent");
    s.rollback().await.unwrap();
}

#[tokio::test]
async fn add_if_absent_checks_its_columns() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    let e = NoteRepository::new()
        .add_if_absent(&mut s, note("a", None, false), &["nope"])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    s.rollback().await.unwrap();
}

#[tokio::test]
async fn escape_hatch_runs_in_the_transaction() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    NoteRepository::new()
        .add(&mut s, note("a", None, false))
        .await
        .unwrap();
    let count: i64 = match s.connection().unwrap() {
        ConnectionMut::Sqlite(conn) => {
            diesel_async::RunQueryDsl::get_result(note::table.count(), conn)
                .await
                .unwrap()
        }
        ConnectionMut::Postgres(_) => unreachable!("an in-memory SQLite database"),
    };
    assert_eq!(count, 1);
    s.rollback().await.unwrap();
}

#[tokio::test]
async fn bad_urls_are_errors() {
    let e = DieselDb::connect("mysql://localhost/x").await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    let e = DieselDb::connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Backend { .. }), "{e}");
}

/// With `ALCHEMY_TEST_POSTGRES_URL` set: the URL's `options=-csearch_path`
/// reaches every pooled connection.
#[tokio::test]
async fn postgres_search_path_from_url() {
    let Ok(url) = std::env::var("ALCHEMY_TEST_POSTGRES_URL") else {
        return;
    };
    let admin = DieselDb::connect(&url).await.unwrap();
    admin
        .batch_execute("CREATE SCHEMA IF NOT EXISTS alchemy_diesel_search_path")
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = DieselDb::connect(&format!(
        "{url}{sep}options=-csearch_path%3Dalchemy_diesel_search_path"
    ))
    .await
    .unwrap();
    let mut s = db.begin().await.unwrap();
    let schema: String = match s.connection().unwrap() {
        ConnectionMut::Postgres(conn) => diesel_async::RunQueryDsl::get_result(
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                "current_schema()",
            )),
            conn,
        )
        .await
        .unwrap(),
        ConnectionMut::Sqlite(_) => unreachable!("a PostgreSQL URL"),
    };
    s.rollback().await.unwrap();
    assert_eq!(schema, "alchemy_diesel_search_path");
    admin
        .batch_execute("DROP SCHEMA alchemy_diesel_search_path CASCADE")
        .await
        .unwrap();
}

#[tokio::test]
async fn update_writes_none_as_null() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    let mut n = NoteRepository::new()
        .add(&mut s, note("a", Some("x"), false))
        .await
        .unwrap();
    n.body = None;
    n.pinned = true;
    let u = NoteRepository::new()
        .update(&mut s, n.clone())
        .await
        .unwrap();
    assert_eq!(u.body, None);
    assert!(u.pinned);
    let got = NoteRepository::new().get(&mut s, &n.id).await.unwrap();
    assert_eq!(got.body, None);
    let d = NoteRepository::new().delete(&mut s, &n.id).await.unwrap();
    assert_eq!(d.title, "a");
    s.commit().await.unwrap();
}

#[tokio::test]
async fn batched_writes_send_one_statement_per_chunk() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    let before = s.statements();
    let added = NoteRepository::new()
        .add_many(
            &mut s,
            (0..50)
                .map(|i| note(&format!("n{i}"), None, false))
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(s.statements() - before, 1);
    let mut changed: Vec<Note> = added.iter().rev().cloned().collect();
    for n in &mut changed {
        n.body = Some(format!("body of {}", n.title));
    }
    let before = s.statements();
    let updated = NoteRepository::new()
        .update_many(&mut s, changed.clone())
        .await
        .unwrap();
    assert_eq!(s.statements() - before, 1);
    let order: Vec<i64> = updated.iter().map(|n| n.id).collect();
    assert_eq!(order, changed.iter().map(|n| n.id).collect::<Vec<_>>());
    assert!(updated.iter().all(|n| n.body.is_some()));
    // A page past the end still reports the true total.
    let (page, total) = NoteRepository::new()
        .list_and_count(&mut s, &Query::new().order_by("id").limit(10).offset(100))
        .await
        .unwrap();
    assert!(page.is_empty());
    assert_eq!(total, 50);
    // An offset without a limit works on SQLite too.
    let rest = NoteRepository::new()
        .list(&mut s, &Query::new().order_by("id").offset(45))
        .await
        .unwrap();
    assert_eq!(rest.len(), 5);
    let keys: Vec<i64> = added.iter().take(10).map(|n| n.id).collect();
    let gone = NoteRepository::new()
        .delete_many(&mut s, &keys)
        .await
        .unwrap();
    assert_eq!(gone.len(), 10);
    assert_eq!(NoteRepository::new().count(&mut s, None).await.unwrap(), 40);
    s.rollback().await.unwrap();
}

async fn count(s: &mut alchemy_diesel::DieselSession, c: Condition) -> i64 {
    let filter = alchemy_diesel::Filter::new(&c, Note::table()).unwrap();
    let q = note::table.filter(filter).count();
    match s.connection().unwrap() {
        ConnectionMut::Postgres(conn) => diesel_async::RunQueryDsl::get_result(q, conn).await,
        ConnectionMut::Sqlite(conn) => diesel_async::RunQueryDsl::get_result(q, conn).await,
    }
    .unwrap_or_else(|e| panic!("{c:?}: {e}"))
}

async fn check_condition_tree(db: &DieselDb) {
    let mut s = db.begin().await.unwrap();
    NoteRepository::new()
        .add_many(
            &mut s,
            vec![
                note("Alpha", None, true),
                note("alpha", Some("100% sure"), false),
                note("beta_1", Some("x"), true),
                note("gamma", Some("y"), false),
            ],
        )
        .await
        .unwrap();
    let cases: Vec<(Condition, i64)> = vec![
        (Condition::eq("pinned", true), 2),
        (Condition::ne("title", "gamma"), 3),
        (Condition::gt("id", 2i64), 2),
        (Condition::between("id", 2i64, 3i64), 2),
        (Condition::is_in("title", ["Alpha", "gamma"]), 2),
        (Condition::is_in("title", Vec::<String>::new()), 0),
        (Condition::not_in("title", Vec::<String>::new()), 4),
        (Condition::not_in("title", ["Alpha"]), 3),
        (Condition::like("title", "alp%"), 1),
        (Condition::ilike("title", "alp%"), 2),
        (Condition::like("title", "beta\\_%"), 1),
        (Condition::like("title", "Alph_"), 1),
        (Condition::contains("body", "0%", false), 1),
        (Condition::contains("title", "_", false), 1),
        (Condition::starts_with("title", "ALP", true), 2),
        (Condition::ends_with("title", "A", false), 0),
        (Condition::is_null("body"), 1),
        (Condition::is_not_null("body"), 3),
        (Condition::search(["title", "body"], "a", false), 4),
        (Condition::search(["title", "body"], "sure", false), 1),
        (Condition::not_in_search(["title", "body"], "x", false), 3),
        (Condition::and([]), 4),
        (Condition::or([]), 0),
        (
            Condition::or([
                Condition::eq("title", "gamma"),
                Condition::eq("pinned", true),
            ]),
            3,
        ),
    ];
    for (c, want) in cases {
        assert_eq!(count(&mut s, c.clone()).await, want, "{c:?}");
    }
    s.rollback().await.unwrap();
}

#[tokio::test]
async fn condition_tree_on_sqlite() {
    check_condition_tree(&memory_db().await).await;
}

#[tokio::test]
async fn condition_tree_on_postgres() {
    let Ok(url) = std::env::var("ALCHEMY_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("alchemy_diesel_{}", uuid::Uuid::new_v4().simple());
    let admin = DieselDb::connect(&url).await.unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = DieselDb::connect(&format!("{url}{sep}options=-csearch_path%3D{schema}"))
        .await
        .unwrap();
    db.create_tables(&[Note::table()]).await.unwrap();
    check_condition_tree(&db).await;
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}

/// With `ALCHEMY_TEST_POSTGRES_URL` set: a pooled connection killed while
/// idle costs nothing but a reconnect at the next `begin`.
#[tokio::test]
async fn postgres_dead_pooled_connection_is_replaced() {
    let Ok(url) = std::env::var("ALCHEMY_TEST_POSTGRES_URL") else {
        return;
    };
    let name = format!("alchemy_diesel_{}", uuid::Uuid::new_v4().simple());
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = DieselDb::connect(&format!("{url}{sep}application_name={name}"))
        .await
        .unwrap();
    db.begin().await.unwrap().commit().await.unwrap();
    let admin = DieselDb::connect(&url).await.unwrap();
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        ))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let s = db.begin().await.unwrap();
    s.rollback().await.unwrap();
}

diesel::table! {
    label (id) {
        id -> BigInt,
        name -> Varchar,
        slug -> Varchar,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = label)]
struct Label {
    id: i64,
    name: String,
    slug: String,
}

impl_model!(
    Label,
    BigIntBase,
    plain,
    |t| t
        .column(Column::new("name", ColumnType::VarChar(100)))
        .column(Column::new("slug", ColumnType::VarChar(100)))
        .unique(["name"])
        .unique(["slug"]),
    fields(name, slug)
);

type LabelRepository = alchemy_diesel::DieselRepository<Label>;

/// With `ALCHEMY_TEST_POSTGRES_URL` set: sessions inserting the same new
/// (name, slug) at once with `ON CONFLICT (name) DO NOTHING` never see a
/// duplicate key on `slug` (PostgreSQL checks non-arbiter unique indexes
/// after the other transaction commits, and raises a violation there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_add_if_absent_races_on_other_unique_index() {
    let Ok(url) = std::env::var("ALCHEMY_TEST_POSTGRES_URL") else {
        return;
    };
    let schema = format!("alchemy_diesel_{}", uuid::Uuid::new_v4().simple());
    let admin = DieselDb::connect(&url).await.unwrap();
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = DieselDb::connect(&format!("{url}{sep}options=-csearch_path%3D{schema}"))
        .await
        .unwrap();
    db.create_tables(&[Label::table()]).await.unwrap();
    let tasks = 6;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(tasks));
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (db, barrier) = (db.clone(), barrier.clone());
        handles.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            for round in 0..100 {
                barrier.wait().await;
                let mut s = db.begin().await.unwrap();
                let l = Label {
                    id: 0,
                    name: format!("k{round}"),
                    slug: format!("k{round}"),
                };
                match LabelRepository::new()
                    .add_if_absent(&mut s, l, &["name"])
                    .await
                {
                    Ok(_) => {
                        if let Err(e) = s.commit().await {
                            errors.push(format!("commit: {e:?}"));
                        }
                    }
                    Err(e) => {
                        errors.push(format!("{e:?}"));
                        let _ = s.rollback().await;
                    }
                }
            }
            errors
        }));
    }
    let mut errors = Vec::new();
    for h in handles {
        errors.extend(h.await.unwrap());
    }
    assert!(
        errors.is_empty(),
        "{} errors; first: {:?}",
        errors.len(),
        errors.first()
    );
    // A clash on the other index with a different name is still reported.
    let mut s = db.begin().await.unwrap();
    let clash = Label {
        id: 0,
        name: "other".into(),
        slug: "k1".into(),
    };
    let e = LabelRepository::new()
        .add_if_absent(&mut s, clash, &["name"])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::DuplicateKey { constraint: Some(c), .. } if c == "uq_label_slug"),
        "{e}"
    );
    s.rollback().await.unwrap();
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
