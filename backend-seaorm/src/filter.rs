//! Compiles core [`Condition`]s into SeaORM conditions over an entity's
//! columns. Values are always bound; identifiers are the entity's columns.
//!
//! Semantics (the same as every alchemy-rs backend):
//! - `Eq` with NULL is `IS NULL`; `And([])` is true, `Or([])` is false;
//!   `In([])` matches nothing, `NotIn([])` filters nothing.
//! - `Like` takes the caller's `%`/`_` wildcards with `\` escapes; `Text` and
//!   `Search` match their value literally.
//! - Case-sensitive matching is `LIKE` on PostgreSQL and `GLOB` on SQLite
//!   (whose `LIKE` folds ASCII case); case-insensitive matching is `ILIKE` on
//!   PostgreSQL and `LIKE` on SQLite.

use alchemy_core::filter::{CompareOp, Condition, TextMatch, Value, like_to_glob, literal_pattern};
use alchemy_core::{Error, Result};
use sea_orm::sea_query::extension::postgres::PgExpr;
use sea_orm::sea_query::extension::sqlite::SqliteExpr;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait};

use crate::repository::column;

/// A core filter value as a SeaORM value; `None` for SQL NULL.
fn value(v: &Value) -> Result<Option<sea_orm::Value>> {
    Ok(Some(match v {
        Value::Null => return Ok(None),
        Value::Bool(b) => (*b).into(),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::Text(s) => s.clone().into(),
        Value::Uuid(u) => (*u).into(),
        Value::Timestamp(t) => (*t).into(),
        other => {
            return Err(Error::invalid_input(format!(
                "unsupported filter value {other:?}"
            )));
        }
    }))
}

/// The values of a list that are not NULL.
fn non_null(values: &[Value]) -> Result<Vec<sea_orm::Value>> {
    Ok(values
        .iter()
        .map(value)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Constant truth, as a bound comparison.
fn constant(truth: bool) -> Expr {
    ExprTrait::eq(Expr::val(1), i32::from(truth))
}

/// Compiles `condition` into a SeaORM condition over `E`'s columns for
/// `backend`, binding every value.
///
/// Pass a condition checked with [`Condition::checked`] against the model's
/// table, so values have their columns' types.
///
/// # Errors
/// [`Error::InvalidInput`] for a field that is not a column of `E`;
/// [`Error::NotSupported`] for a condition this version does not know.
pub fn compile<E: EntityTrait>(
    condition: &Condition,
    backend: DbBackend,
) -> Result<sea_orm::Condition> {
    let c = Compiler::<E> {
        backend,
        table: E::default().table_name().to_string(),
        entity: std::marker::PhantomData,
    };
    Ok(sea_orm::Condition::all().add(c.expr(condition)?))
}

struct Compiler<E> {
    backend: DbBackend,
    table: String,
    entity: std::marker::PhantomData<fn() -> E>,
}

impl<E: EntityTrait> Compiler<E> {
    fn col(&self, name: &str) -> Result<E::Column> {
        column::<E>(name).ok_or_else(|| {
            Error::invalid_input(format!("unknown field `{name}` for table `{}`", self.table))
        })
    }

    /// `field LIKE pattern ESCAPE '\'`, case-sensitive or not, the same on both databases.
    fn like(&self, field: &str, pattern: &str, case_insensitive: bool) -> Result<Expr> {
        let col = self.col(field)?;
        let like = LikeExpr::new(pattern).escape('\\');
        Ok(match (self.backend, case_insensitive) {
            (DbBackend::Sqlite, false) => col.into_expr().glob(like_to_glob(pattern)),
            // PostgreSQL's default LIKE escape is `\` already (and sea-query
            // would parenthesize an explicit ESCAPE after ILIKE).
            (DbBackend::Postgres, true) => col.into_expr().ilike(LikeExpr::new(pattern)),
            _ => col.like(like),
        })
    }

    fn expr(&self, condition: &Condition) -> Result<Expr> {
        Ok(match condition {
            Condition::Eq { field, value } => {
                let col = self.col(field)?;
                match crate::filter::value(value)? {
                    None => col.is_null(),
                    Some(v) => col.eq(v),
                }
            }
            Condition::Compare { field, op, value } => {
                let col = self.col(field)?;
                // A comparison with NULL is never true.
                let Some(v) = crate::filter::value(value)? else {
                    return Ok(constant(false));
                };
                match op {
                    CompareOp::Ne => col.ne(v),
                    CompareOp::Gt => col.gt(v),
                    CompareOp::Ge => col.gte(v),
                    CompareOp::Lt => col.lt(v),
                    CompareOp::Le => col.lte(v),
                }
            }
            Condition::Between { field, low, high } => {
                let col = self.col(field)?;
                match (crate::filter::value(low)?, crate::filter::value(high)?) {
                    (Some(low), Some(high)) => col.between(low, high),
                    // A range with a NULL bound holds no value.
                    _ => constant(false),
                }
            }
            Condition::In { values, .. } if values.is_empty() => constant(false),
            Condition::NotIn { values, .. } if values.is_empty() => constant(true),
            Condition::In { field, values } => {
                let col = self.col(field)?;
                // `x IN (.., NULL)` holds exactly when `x IN (..)` does.
                let values = non_null(values)?;
                if values.is_empty() {
                    constant(false)
                } else {
                    col.is_in(values)
                }
            }
            Condition::NotIn { field, values } => {
                let col = self.col(field)?;
                let all = values.len();
                let values = non_null(values)?;
                if values.len() < all {
                    // `x NOT IN (.., NULL)` is never true.
                    constant(false)
                } else {
                    col.is_not_in(values)
                }
            }
            Condition::Like {
                field,
                pattern,
                case_insensitive,
            } => self.like(field, pattern, *case_insensitive)?,
            Condition::Text {
                field,
                matching,
                value,
                case_insensitive,
            } => self.like(field, &literal_pattern(*matching, value), *case_insensitive)?,
            Condition::IsNull { field } => self.col(field)?.is_null(),
            Condition::IsNotNull { field } => self.col(field)?.is_not_null(),
            Condition::Search {
                fields,
                value,
                case_insensitive,
            } => {
                let pattern = literal_pattern(TextMatch::Contains, value);
                let mut any = sea_orm::Condition::any();
                for field in fields {
                    any = any.add(self.like(field, &pattern, *case_insensitive)?);
                }
                if fields.is_empty() {
                    any = any.add(constant(false));
                }
                Expr::from(any)
            }
            Condition::NotInSearch {
                fields,
                value,
                case_insensitive,
            } => {
                let pattern = literal_pattern(TextMatch::Contains, value);
                let mut all = sea_orm::Condition::all();
                for field in fields {
                    // A NULL field contains nothing, so it does not contain the value.
                    let matches = self.like(field, &pattern, *case_insensitive)?;
                    all = all.add(
                        sea_orm::Condition::any()
                            .add(self.col(field)?.is_null())
                            .add(matches.not()),
                    );
                }
                Expr::from(all)
            }
            Condition::And(all) if all.is_empty() => constant(true),
            Condition::Or(any) if any.is_empty() => constant(false),
            Condition::And(all) => {
                let mut out = sea_orm::Condition::all();
                for c in all {
                    out = out.add(self.expr(c)?);
                }
                Expr::from(out)
            }
            Condition::Or(any) => {
                let mut out = sea_orm::Condition::any();
                for c in any {
                    out = out.add(self.expr(c)?);
                }
                Expr::from(out)
            }
            _ => {
                return Err(Error::NotSupported {
                    operation: "this filter",
                    backend: "alchemy-seaorm",
                });
            }
        })
    }
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

    use crate::Db;

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

    async fn names(db: &Db, condition: Condition) -> Vec<String> {
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

    #[tokio::test]
    async fn conditions_match_like_the_other_backends_on_sqlite() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        check(&db).await;
    }

    /// Runs when `ALCHEMY_TEST_POSTGRES_URL` names a server.
    #[tokio::test]
    async fn conditions_match_like_the_other_backends_on_postgres() {
        let Ok(url) = std::env::var("ALCHEMY_TEST_POSTGRES_URL") else {
            return;
        };
        let schema = format!("alc_seaorm_filter_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&url).await.unwrap();
        let create = format!("CREATE SCHEMA \"{schema}\"");
        admin
            .connection()
            .execute_unprepared(&create)
            .await
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = Db::connect(&format!("{url}{sep}options=-csearch_path%3D{schema}"))
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

    async fn check(db: &Db) {
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
    }
}
