//! Core [`Condition`]s as SeaORM conditions, for hand-written queries:
//! `Entity::find().filter(compile::<Entity>(&checked, backend)?)`.
//!
//! The SQL is the one every backend writes (`alchemy_core::sql`, with the
//! semantics of [`alchemy_core::filter`]), as one custom SeaORM expression
//! with its values bound: lists are one array on PostgreSQL and one JSON
//! value on SQLite and MariaDB past 100 values; case-sensitive matching is
//! `LIKE` on PostgreSQL and MariaDB (whose tables compare text byte for
//! byte) and `GLOB` on SQLite (whose `LIKE` folds ASCII case);
//! case-insensitive matching `lower(..) LIKE lower(..)` on PostgreSQL and
//! MariaDB and `LIKE` on SQLite.
//! A SeaORM condition of any width is one expression, so even a filter of
//! 100,000 members is no deep tree for sea-query to walk.

use alchemy_core::filter::Condition;
use alchemy_core::{Model, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{DbBackend, EntityTrait};

use crate::driver::dialect;
use crate::sql::Sql;

/// Writes `condition` as a SeaORM condition over `E`'s table for
/// `backend`, binding every value.
///
/// Pass a condition checked with [`Condition::checked`] against the model's
/// table, so values have their columns' types (it is checked again here).
///
/// # Errors
/// [`alchemy_core::Error::InvalidInput`] for a field that is not a column of
/// the model's table, or a filter over the limits of
/// [`alchemy_core::sql::write_condition`].
pub fn compile<E>(condition: &Condition, backend: DbBackend) -> Result<sea_orm::Condition>
where
    E: EntityTrait,
    E::Model: Model,
{
    let table = <E::Model as Model>::table();
    let condition = condition.checked_ref(table)?;
    let mut sql = Sql::new(backend, "");
    alchemy_core::sql::write_condition(&mut sql, table, dialect(backend), &condition)?;
    let (text, values) = sql.into_parts()?;
    Ok(sea_orm::Condition::all().add(Expr::cust_with_values(text, values)))
}

#[cfg(test)]
mod tests {
    use alchemy_core::Database;
    use alchemy_core::base::BigIntBase;
    use alchemy_core::filter::Condition;
    use alchemy_core::schema::{Column, ColumnType};
    use sea_orm::{
        ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    };

    use crate::SeaDb;

    #[allow(unreachable_pub)]
    mod item {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "item")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub name: String,
            pub note: Option<String>,
            pub n: i64,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    alchemy_core::impl_model!(
        item::Model,
        BigIntBase,
        table = "item",
        plain,
        |t| t
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("note", ColumnType::Text).nullable())
            .column(Column::new("n", ColumnType::BigInt)),
        fields(name, note, n)
    );

    async fn names(db: &SeaDb, condition: Condition) -> Vec<String> {
        use alchemy_core::Model as _;
        let checked = condition.checked(item::Model::table()).unwrap();
        let compiled =
            super::compile::<item::Entity>(&checked, db.connection().get_database_backend())
                .unwrap();
        item::Entity::find()
            .filter(compiled)
            .order_by_asc(item::Column::Id)
            .all(db.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

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

    #[tokio::test]
    async fn conditions_match_like_the_other_backends_on_sqlite() {
        let db = SeaDb::connect("sqlite::memory:").await.unwrap();
        check(&db).await;
    }

    /// Runs when `ALCHEMY_TEST_POSTGRES_URL` names a server (see [`postgres_url`]).
    #[tokio::test]
    async fn conditions_match_like_the_other_backends_on_postgres() {
        let Some(url) = postgres_url() else {
            return;
        };
        let schema = format!("alc_seaorm_filter_{}", uuid::Uuid::new_v4().simple());
        let admin = SeaDb::connect(&url).await.unwrap();
        let create = format!("CREATE SCHEMA \"{schema}\"");
        admin
            .connection()
            .execute_unprepared(&create)
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = SeaDb::connect(&format!("{url}{sep}options=-csearch_path%3D{schema}"))
            .await
            .unwrap();
        // Drop the schema even when a check fails.
        let outcome = tokio::spawn(async move { check(&db).await }).await;
        let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
        admin.connection().execute_unprepared(&drop).await.unwrap();
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    /// The server of `ALCHEMY_TEST_MARIADB_URL`, skipped or failed without
    /// it as [`postgres_url`] is.
    fn mariadb_url() -> Option<String> {
        match std::env::var("ALCHEMY_TEST_MARIADB_URL") {
            Ok(url) => Some(url),
            Err(_) if std::env::var_os("CI").is_some() => {
                panic!("CI is set but ALCHEMY_TEST_MARIADB_URL is not")
            }
            Err(_) => {
                eprintln!("skipped: set ALCHEMY_TEST_MARIADB_URL to run this test");
                None
            }
        }
    }

    /// Runs when `ALCHEMY_TEST_MARIADB_URL` names a server, in a database
    /// of its own.
    #[tokio::test]
    async fn conditions_match_like_the_other_backends_on_mariadb() {
        let Some(url) = mariadb_url() else {
            return;
        };
        let database = format!("alc_seaorm_filter_{}", uuid::Uuid::new_v4().simple());
        let admin = SeaDb::connect(&url).await.unwrap();
        let create = format!("CREATE DATABASE `{database}`");
        admin
            .connection()
            .execute_unprepared(&create)
            .await
            .unwrap();
        // The server's URL with its database replaced.
        let (server, query) = url.split_once('?').unwrap_or((&url, ""));
        let host = server.find("://").map_or(0, |i| i + 3);
        let server = server[host..]
            .find('/')
            .map_or(server, |i| &server[..host + i]);
        let sep = if query.is_empty() { "" } else { "?" };
        let db = SeaDb::connect(&format!("{server}/{database}{sep}{query}"))
            .await
            .unwrap();
        let outcome = tokio::spawn(async move { check(&db).await }).await;
        let drop = format!("DROP DATABASE `{database}`");
        admin.connection().execute_unprepared(&drop).await.unwrap();
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    async fn check(db: &SeaDb) {
        use alchemy_core::Model as _;
        let db = db.clone();
        db.create_tables(&[item::Model::table()]).await.unwrap();
        for (name, note, n) in [
            ("Apple", Some("50% off"), 1),
            ("apple pie", None, 2),
            ("a_b", Some("x"), 3),
            ("banana", Some("APPLE"), 4),
        ] {
            item::ActiveModel {
                name: Set(name.into()),
                note: Set(note.map(Into::into)),
                n: Set(n),
                ..Default::default()
            }
            .insert(db.connection())
            .await
            .unwrap();
        }
        assert_eq!(
            names(&db, Condition::eq("note", Option::<String>::None)).await,
            ["apple pie"]
        );
        assert_eq!(
            names(&db, Condition::gt("n", 2i64)).await,
            ["a_b", "banana"]
        );
        assert_eq!(
            names(&db, Condition::between("n", 2i64, 3i64)).await,
            ["apple pie", "a_b"]
        );
        assert_eq!(
            names(&db, Condition::is_in("n", Vec::<i64>::new())).await,
            Vec::<String>::new()
        );
        assert_eq!(
            names(&db, Condition::not_in("n", Vec::<i64>::new()))
                .await
                .len(),
            4
        );
        assert_eq!(
            names(&db, Condition::not_in("n", [1i64, 2])).await,
            ["a_b", "banana"]
        );
        assert_eq!(
            names(&db, Condition::starts_with("name", "apple", false)).await,
            ["apple pie"]
        );
        assert_eq!(
            names(&db, Condition::starts_with("name", "apple", true)).await,
            ["Apple", "apple pie"]
        );
        assert_eq!(
            names(&db, Condition::contains("name", "_", false)).await,
            ["a_b"]
        );
        assert_eq!(
            names(&db, Condition::contains("note", "%", false)).await,
            ["Apple"]
        );
        assert_eq!(
            names(&db, Condition::like("name", "a%")).await,
            ["apple pie", "a_b"]
        );
        assert_eq!(
            names(&db, Condition::search(["name", "note"], "apple", true)).await,
            ["Apple", "apple pie", "banana"]
        );
        assert_eq!(
            names(
                &db,
                Condition::not_in_search(["name", "note"], "apple", true)
            )
            .await,
            ["a_b"]
        );
        assert_eq!(
            names(&db, Condition::Or(vec![])).await,
            Vec::<String>::new()
        );
        assert_eq!(names(&db, Condition::And(vec![])).await.len(), 4);
        // One custom expression, whatever its width: sea-query walked a
        // flat group of 1,000 members recursively and overflowed the stack.
        let wide = Condition::or(
            (0..100_000i64)
                .map(|i| Condition::eq("n", 1_000 + i))
                .chain([Condition::eq("name", "a_b")]),
        );
        assert_eq!(names(&db, wide).await, ["a_b"]);
    }
}
