//! Key and audit stamping for SeaORM's own save path
//! (`ActiveModel::insert`/`update`/`save`), to call from
//! `ActiveModelBehavior::before_save`.
//!
//! SeaORM calls `before_save` only from `ActiveModel::insert`, `update` and
//! `save` — never from `Entity::insert`, `Entity::insert_many` or
//! `Entity::update_many`. The repositories of this crate therefore stamp rows
//! themselves on every path; these helpers give the same stamps to code that
//! saves active models directly. They are idempotent: a value already set is
//! kept, so stamping twice never makes `created_at != updated_at` on insert.

use alchemy_core::audit::{CREATED_AT, SystemClock, UPDATED_AT, now_micros};
use alchemy_core::base::{Base, key_from_database};
use alchemy_core::pk::KeyStrategy;
use alchemy_core::{KeyOf, Model};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue, DbErr, EntityTrait};

use crate::repository::{column, key_column};

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// [`stamp_at`] with the system clock's now (cut to microseconds).
///
/// ```
/// mod note {
///     use sea_orm::entity::prelude::*;
///
///     #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
///     #[sea_orm(table_name = "note")]
///     pub struct Model {
///         #[sea_orm(primary_key, auto_increment = false)]
///         pub id: Uuid,
///         pub created_at: DateTimeUtc,
///         pub updated_at: DateTimeUtc,
///         pub body: String,
///     }
///
///     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
///     pub enum Relation {}
///
///     // SeaORM's own saves (`ActiveModel::insert`, `save`) get keys and
///     // audit stamps too.
///     #[async_trait::async_trait]
///     impl ActiveModelBehavior for ActiveModel {
///         async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
///         where
///             C: ConnectionTrait,
///         {
///             alchemy_seaorm::hooks::stamp(self, insert)
///         }
///     }
/// }
///
/// alchemy_core::impl_model!(
///     note::Model,
///     alchemy_core::base::UuidV7AuditBase,
///     table = "note",
///     audited,
///     |t| t.column(alchemy_core::schema::Column::new(
///         "body",
///         alchemy_core::schema::ColumnType::Text
///     )),
///     fields(body)
/// );
/// ```
///
/// # Errors
/// As [`stamp_at`].
pub fn stamp<A>(active: A, insert: bool) -> Result<A, DbErr>
where
    A: ActiveModelTrait,
    ModelOf<A>: Model,
    KeyOf<ModelOf<A>>: Into<sea_orm::Value>,
{
    stamp_at(active, insert, now_micros(&SystemClock))
}

/// Prepares an active model for SeaORM's save path at time `now`.
///
/// - On insert: an unset (or default-valued) client key is generated; a
///   database key is left alone; `created_at` is set to `now` unless already
///   set, and `updated_at` to `created_at` unless already set.
/// - On update: `updated_at` is set to `now`, never before `created_at`
///   when that is known.
///
/// # Errors
/// `DbErr::Custom` when the entity lacks the key or audit columns its base
/// declares; `DbErr::Type` when a value does not fit its column.
pub fn stamp_at<A>(mut active: A, insert: bool, now: DateTime<Utc>) -> Result<A, DbErr>
where
    A: ActiveModelTrait,
    ModelOf<A>: Model,
    KeyOf<ModelOf<A>>: Into<sea_orm::Value>,
{
    type Strategy<A> = <<ModelOf<A> as Model>::Base as Base>::Key;
    if insert && !key_from_database::<ModelOf<A>>() {
        let col = key_column::<A::Entity>().map_err(|e| DbErr::Custom(e.to_string()))?;
        let unset: sea_orm::Value = KeyOf::<ModelOf<A>>::default().into();
        let missing = match active.get(col) {
            ActiveValue::NotSet => true,
            ActiveValue::Set(v) | ActiveValue::Unchanged(v) => v == unset,
        };
        if missing {
            active.try_set(col, Strategy::<A>::generate().into())?;
        }
    }
    if !<<ModelOf<A> as Model>::Base as Base>::AUDITED {
        return Ok(active);
    }
    let missing = |name: &str| {
        DbErr::Custom(format!(
            "{}: audited base without a `{name}` column",
            <ModelOf<A> as Model>::table().name()
        ))
    };
    let created = column::<A::Entity>(CREATED_AT).ok_or_else(|| missing(CREATED_AT))?;
    let updated = column::<A::Entity>(UPDATED_AT).ok_or_else(|| missing(UPDATED_AT))?;
    let created_at = match active.get(created) {
        ActiveValue::Set(v) | ActiveValue::Unchanged(v) => timestamp(&v),
        ActiveValue::NotSet => None,
    };
    if insert {
        let created_at = match created_at {
            Some(t) => t,
            None => {
                active.try_set(created, now.into())?;
                now
            }
        };
        if active.get(updated).is_not_set() {
            active.try_set(updated, created_at.into())?;
        }
    } else {
        let at = created_at.map_or(now, |c| now.max(c));
        active.try_set(updated, at.into())?;
    }
    Ok(active)
}

fn timestamp(v: &sea_orm::Value) -> Option<DateTime<Utc>> {
    match v {
        sea_orm::Value::ChronoDateTimeUtc(Some(t)) => Some(*t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use alchemy_core::base::UuidV7AuditBase;
    use alchemy_core::schema::{Column, ColumnType};
    use alchemy_core::{Database, Model as _};
    use chrono::{SubsecRound, TimeDelta};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    use crate::SeaDb;

    #[allow(unreachable_pub)]
    mod note {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "note")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub body: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                crate::hooks::stamp(self, insert)
            }
        }
    }

    alchemy_core::impl_model!(
        note::Model,
        UuidV7AuditBase,
        table = "note",
        audited,
        |t| t.column(Column::new("body", ColumnType::Text)),
        fields(body)
    );

    #[test]
    fn public_types_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<SeaDb>();
        send_sync::<crate::SeaRepository<note::Entity>>();
        send::<crate::SeaSession>();
    }

    #[tokio::test]
    async fn active_model_saves_get_keys_and_stamps() {
        let db = SeaDb::connect("sqlite::memory:").await.unwrap();
        db.create_tables(&[note::Model::table()]).await.unwrap();
        let conn = db.connection();
        let before = chrono::Utc::now().trunc_subsecs(6);
        let inserted = note::ActiveModel {
            body: Set("hello".into()),
            ..Default::default()
        }
        .insert(conn)
        .await
        .unwrap();
        assert_eq!(inserted.id.get_version_num(), 7);
        assert!(inserted.created_at >= before);
        assert_eq!(inserted.created_at, inserted.updated_at);

        // Stamping twice (as the repository and the hook may) changes nothing.
        let am = note::ActiveModel {
            body: Set("twice".into()),
            ..Default::default()
        };
        let once = super::stamp(am, true).unwrap();
        let later = chrono::Utc::now() + TimeDelta::seconds(5);
        let twice = super::stamp_at(once.clone(), true, later).unwrap();
        assert_eq!(once, twice);

        let mut am: note::ActiveModel = inserted.clone().into();
        am.body = Set("edited".into());
        let updated = am.update(conn).await.unwrap();
        assert_eq!(updated.created_at, inserted.created_at);
        assert!(updated.updated_at >= inserted.updated_at);
        assert_eq!(updated.body, "edited");
    }
}
