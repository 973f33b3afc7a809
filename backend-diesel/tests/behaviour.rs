//! What only alchemy-diesel has, so the shared conformance suite (which
//! holds every behaviour all backends share) cannot reach it: the native
//! `Filter` adapter inside diesel queries, the escape hatch's
//! `ConnectionMut`, URL parsing into diesel's connections, and diesel's own
//! connection pool recycling a dead PostgreSQL connection.

#![allow(clippy::unwrap_used)] // test code: a failure should panic
use alchemy_core::base::BigIntBase;
use alchemy_core::filter::{Condition, Value};
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

/// The server of `ALCHEMY_TEST_POSTGRES_URL`. Without it the test is
/// skipped, said on stderr; under CI (`CI` set) it fails instead, so a
/// PostgreSQL test never passes silently there.
fn postgres_url() -> Option<String> {
    match std::env::var("ALCHEMY_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI is set but ALCHEMY_TEST_POSTGRES_URL is not")
        }
        Err(_) => {
            eprintln!("skipped: set ALCHEMY_TEST_POSTGRES_URL to run this test");
            None
        }
    }
}

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
        ConnectionMut::Postgres(_) | ConnectionMut::Mysql(_) => {
            unreachable!("an in-memory SQLite database")
        }
    };
    assert_eq!(count, 1);
    s.rollback().await.unwrap();
}

#[tokio::test]
async fn bad_urls_are_errors() {
    let e = DieselDb::connect("oracle://localhost/x").await.unwrap_err();
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
    let Some(url) = postgres_url() else {
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
        ConnectionMut::Sqlite(_) | ConnectionMut::Mysql(_) => unreachable!("a PostgreSQL URL"),
    };
    s.rollback().await.unwrap();
    assert_eq!(schema, "alchemy_diesel_search_path");
    admin
        .batch_execute("DROP SCHEMA alchemy_diesel_search_path CASCADE")
        .await
        .unwrap();
}

async fn count(s: &mut alchemy_diesel::DieselSession, c: Condition) -> i64 {
    let filter = alchemy_diesel::Filter::new(&c, Note::table()).unwrap();
    let q = note::table.filter(filter).count();
    match s.connection().unwrap() {
        ConnectionMut::Postgres(conn) => diesel_async::RunQueryDsl::get_result(q, conn).await,
        ConnectionMut::Sqlite(conn) => diesel_async::RunQueryDsl::get_result(q, conn).await,
        ConnectionMut::Mysql(conn) => diesel_async::RunQueryDsl::get_result(q, conn).await,
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
    let Some(url) = postgres_url() else {
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
    let Some(url) = postgres_url() else {
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

mod mismatched {
    diesel::table! {
        /// `memo`, as diesel declares it: `text` where the library has
        /// `title`, and `body` NOT NULL where the library lets it be NULL.
        memo (id) {
            id -> BigInt,
            text -> Varchar,
        }
    }

    diesel::table! {
        memo_body (id) {
            id -> BigInt,
            body -> Text,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mismatched::memo)]
struct Memo {
    id: i64,
    text: String,
}

impl_model!(
    Memo,
    BigIntBase,
    plain,
    |t| t.column(Column::new("title", ColumnType::Text)),
    fields(text as "title")
);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mismatched::memo_body)]
struct MemoBody {
    id: i64,
    body: String,
}

impl_model!(
    MemoBody,
    BigIntBase,
    plain,
    |t| t.column(Column::new("body", ColumnType::Text).nullable()),
    fields(body)
);

/// A `table!` that is not the library's table fails the model's first
/// statement, naming the difference, before anything is sent.
#[tokio::test]
async fn a_table_unlike_the_library_table_is_refused_before_sending() {
    let db = memory_db().await;
    let mut s = db.begin().await.unwrap();
    let e = alchemy_diesel::DieselRepository::<Memo>::new()
        .count(&mut s, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("column 2 is `title` in the table, `text` in diesel's `Selectable`"),
        "{e}"
    );
    let e = alchemy_diesel::DieselRepository::<MemoBody>::new()
        .list(&mut s, &alchemy_core::filter::Query::new())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("column `body` is nullable in the table, NOT NULL in diesel's `Selectable`"),
        "{e}"
    );
    assert_eq!(s.statements(), 0, "nothing was sent");
    // The session is not failed: nothing reached the database.
    assert!(NoteRepository::new().count(&mut s, None).await.is_ok());
}
