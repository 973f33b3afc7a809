//! `#[derive(Model)]`: the table and the impls it writes from a struct.

#![allow(clippy::unwrap_used)] // test code: a failure should panic

use alchemy_core::base::{BigIntBase, NanoIdAuditBase};
use alchemy_core::filter::Condition;
use alchemy_core::schema::{Column, ColumnDefault, ColumnType, OnDelete, Table};
use alchemy_core::slug::SlugKey;
use alchemy_core::unique::Unique;
use alchemy_core::{Base, Model, Value};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Model)]
#[model(base = NanoIdAuditBase, table = "people", unique(first, last), index(last, first))]
#[model(unique_key(first, last))]
struct Person {
    id: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[model(varchar(50))]
    first: String,
    #[model(varchar(50), column = "surname")]
    last: String,
    #[model(integer, nullable, default_sql = "0")]
    age: Option<i32>,
    #[model(references = "team.id", on_delete = "set null", index)]
    team_id: Option<i64>,
    #[model(slug)]
    slug: String,
    #[model(default = true)]
    active: bool,
    score: f64,
    r#type: String,
}

#[test]
fn the_struct_is_the_table() {
    let expected = NanoIdAuditBase::new_table("people")
        .column(Column::new("first", ColumnType::VarChar(50)))
        .column(Column::new("surname", ColumnType::VarChar(50)))
        .column(
            Column::new("age", ColumnType::Integer)
                .nullable()
                .default(ColumnDefault::Sql("0")),
        )
        .column(Column::new("team_id", ColumnType::BigInt).nullable())
        .column(Column::new("slug", ColumnType::VarChar(100)))
        .unique(["slug"])
        .column(Column::new("active", ColumnType::Bool).default(ColumnDefault::True))
        .column(Column::new("score", ColumnType::Double))
        .column(Column::new("type", ColumnType::Text))
        .index(["team_id"])
        .foreign_key("team_id", "team", "id", OnDelete::SetNull)
        .index(["surname", "first"])
        // `unique(first, last)` and `unique_key(first, last)` are one constraint.
        .unique(["first", "surname"]);
    assert_eq!(Person::table(), &expected);
}

fn person() -> Person {
    Person {
        id: "k".into(),
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
        first: "Ada".into(),
        last: "Lovelace".into(),
        age: None,
        team_id: Some(7),
        slug: "ada".into(),
        active: true,
        score: 1.5,
        r#type: "x".into(),
    }
}

#[test]
fn values_follow_the_columns() {
    let p = person();
    let values = p.values();
    assert_eq!(values.len(), Person::table().columns().len());
    assert_eq!(values[4], Value::from("Lovelace"));
    assert_eq!(values[5], Value::Null);
    assert_eq!(p.value(6), Some(Value::Int(7)));
    assert_eq!(p.key(), "k");
    assert!(p.timestamps().is_some());
}

#[test]
fn the_unique_key_is_a_tuple_of_its_fields() {
    let p = person();
    assert_eq!(Person::unique_columns(), ["first", "surname"]);
    let key = p.unique_key();
    assert_eq!(key, ("Ada".to_string(), "Lovelace".to_string()));
    assert_eq!(
        Person::unique_filter(&key),
        Condition::and([
            Condition::eq("first", "Ada"),
            Condition::eq("surname", "Lovelace")
        ])
    );
    assert_eq!(p.slug(), "ada");
}

/// A plain base and a one-field key that is lent, not copied.
#[derive(Debug, Clone, Model)]
#[model(base = BigIntBase, unique_key(code))]
struct Country {
    id: i64,
    #[model(varchar(2), unique)]
    code: String,
}

#[test]
fn a_plain_model_with_a_one_field_key() {
    let expected: Table = BigIntBase::new_table("country")
        .column(Column::new("code", ColumnType::VarChar(2)))
        .unique(["code"]);
    assert_eq!(Country::table(), &expected);
    let c = Country {
        id: 1,
        code: "fr".into(),
    };
    assert!(c.timestamps().is_none());
    assert!(c.with_unique_key(|k| std::ptr::eq(k, &c.code)));
    assert_eq!(
        Country::unique_filter(&"fr".to_string()),
        Condition::eq("code", "fr")
    );
}
