//! The sqlx backend's harness: fixture models as a sqlx user writes them.

use std::marker::PhantomData;

use alchemy_conformance::backends;
use alchemy_conformance::fixtures::{self, WidgetBase};
use alchemy_conformance::harness::{Backend, Harness, HasWidget, Target};
use alchemy_conformance::runner::{Environment, backend_trials_on};
use alchemy_core::audit::SharedClock;
use alchemy_core::base::{
    BigIntAuditBase, BigIntBase, NanoIdAuditBase, NanoIdBase, ServerUuidAuditBase, ServerUuidBase,
    UuidAuditBase, UuidBase, UuidV6AuditBase, UuidV6Base, UuidV7AuditBase, UuidV7Base,
};
use alchemy_core::schema::Dialect;
use alchemy_core::{Model, Result, impl_model};
use alchemy_sqlx::{SqlxBackend, SqlxDb, SqlxLinkRepository, SqlxRepository};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Declared with `#[derive(Model)]`; the other fixtures with `impl_model!`
/// over the suite's tables, which the derived table must equal.
#[derive(Debug, Clone, sqlx::FromRow, Model)]
#[model(base = UuidV7AuditBase)]
pub(crate) struct Post {
    id: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[model(varchar(200), index)]
    title: String,
    content: String,
    #[model(default = false)]
    published: bool,
}

alchemy_conformance::impl_post_fixture!(Post);

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Tag {
    id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    name: String,
    slug: String,
}

impl_model!(Tag, BigIntAuditBase, audited, from fixtures::tag_table(), fields(name, slug));

alchemy_conformance::impl_tag_fixture!(Tag);

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Item {
    id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    name: String,
    rank: i64,
    active: bool,
    note: Option<String>,
    due_at: Option<DateTime<Utc>>,
    label: Option<String>,
}

impl_model!(Item, BigIntAuditBase, audited, from fixtures::item_table(), fields(name, rank, active, note, due_at, label));

alchemy_conformance::impl_item_fixture!(Item);

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Comment {
    id: i64,
    post_id: Uuid,
    body: String,
}

impl_model!(Comment, BigIntBase, plain, from fixtures::comment_table(), fields(post_id, body));

alchemy_conformance::impl_comment_fixture!(Comment);

/// An event: a date, a time of day and bytes, as sqlx decodes them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Event {
    id: i64,
    name: String,
    day: chrono::NaiveDate,
    starts: Option<chrono::NaiveTime>,
    payload: Vec<u8>,
    level: i16,
    ratio: Option<f32>,
    settings: serde_json::Value,
    extra: Option<serde_json::Value>,
    price: alchemy_sqlx::types::Decimal,
    share: Option<alchemy_sqlx::types::Decimal>,
}

impl_model!(Event, BigIntBase, plain, from fixtures::event_table(), fields(name, day, starts, payload, level, ratio, settings, extra, price, share));

alchemy_conformance::impl_event_fixture!(Event);

// Widgets without audit columns.
macro_rules! plain_widget {
    ($model:ident, $base:ty, $key:ty) => {
        #[derive(Debug, Clone, sqlx::FromRow)]
        pub(crate) struct $model {
            id: $key,
            name: String,
        }
        impl_model!($model, $base, plain, from <$base as WidgetBase>::table(), fields(name));
        alchemy_conformance::impl_widget_fixture!($model, plain);
        impl<DB: SqlxBackend> HasWidget<$base> for SqlxHarness<DB> {
            type Widget = $model;
            type Widgets = SqlxRepository<$model, DB>;
            fn widgets(&self) -> Self::Widgets {
                SqlxRepository::new()
            }
        }
    };
}

// Widgets with audit columns.
macro_rules! audit_widget {
    ($model:ident, $base:ty, $key:ty) => {
        #[derive(Debug, Clone, sqlx::FromRow)]
        pub(crate) struct $model {
            id: $key,
            created_at: DateTime<Utc>,
            updated_at: DateTime<Utc>,
            name: String,
        }
        impl_model!($model, $base, audited, from <$base as WidgetBase>::table(), fields(name));
        alchemy_conformance::impl_widget_fixture!($model, audited);
        impl<DB: SqlxBackend> HasWidget<$base> for SqlxHarness<DB> {
            type Widget = $model;
            type Widgets = SqlxRepository<$model, DB>;
            fn widgets(&self) -> Self::Widgets {
                SqlxRepository::new()
            }
        }
    };
}

plain_widget!(BigIntWidget, BigIntBase, i64);
audit_widget!(BigIntAuditWidget, BigIntAuditBase, i64);
plain_widget!(UuidWidget, UuidBase, Uuid);
plain_widget!(UuidV6Widget, UuidV6Base, Uuid);
plain_widget!(UuidV7Widget, UuidV7Base, Uuid);
audit_widget!(UuidAuditWidget, UuidAuditBase, Uuid);
audit_widget!(UuidV6AuditWidget, UuidV6AuditBase, Uuid);
audit_widget!(UuidV7AuditWidget, UuidV7AuditBase, Uuid);
plain_widget!(NanoIdWidget, NanoIdBase, String);
audit_widget!(NanoIdAuditWidget, NanoIdAuditBase, String);
plain_widget!(ServerUuidWidget, ServerUuidBase, Uuid);
audit_widget!(ServerUuidAuditWidget, ServerUuidAuditBase, Uuid);

/// The sqlx harness on database `DB`.
pub(crate) struct SqlxHarness<DB>(PhantomData<fn() -> DB>);

impl<DB> Default for SqlxHarness<DB> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<DB> Clone for SqlxHarness<DB> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl<DB: SqlxBackend> Backend for SqlxHarness<DB> {
    const NAME: &'static str = backends::Sqlx::<DB>::NAME;
    type Db = SqlxDb<DB>;

    async fn connect(&self, target: &Target, clock: SharedClock) -> Result<Self::Db> {
        backends::Sqlx::<DB>::default().connect(target, clock).await
    }

    async fn teardown(&self, target: &Target) -> Result<()> {
        backends::Sqlx::<DB>::default().teardown(target).await
    }
}

impl<DB: SqlxBackend> Harness for SqlxHarness<DB> {
    type Post = Post;
    type Tag = Tag;
    type Posts = SqlxRepository<Post, DB>;
    type Tags = SqlxRepository<Tag, DB>;
    type Item = Item;
    type Items = SqlxRepository<Item, DB>;
    type PostTags = SqlxLinkRepository<Post, Tag, DB>;
    type Comment = Comment;
    type Comments = SqlxRepository<Comment, DB>;
    type Event = Event;
    type Events = SqlxRepository<Event, DB>;

    fn posts(&self) -> Self::Posts {
        SqlxRepository::new()
    }
    fn tags(&self) -> Self::Tags {
        SqlxRepository::new()
    }
    fn items(&self) -> Self::Items {
        SqlxRepository::new()
    }
    fn post_tags(&self) -> Self::PostTags {
        SqlxLinkRepository::new("post_tag", "post_id", "tag_id")
    }
    fn comments(&self) -> Self::Comments {
        SqlxRepository::new()
    }
    fn events(&self) -> Self::Events {
        SqlxRepository::new()
    }
}

pub(crate) fn trials(env: &Environment) -> Vec<libtest_mimic::Trial> {
    let mut trials = backend_trials_on::<SqlxHarness<sqlx::Sqlite>>(env, &[Dialect::Sqlite]);
    trials.extend(backend_trials_on::<SqlxHarness<sqlx::Postgres>>(
        env,
        &[Dialect::Postgres],
    ));
    trials.extend(backend_trials_on::<SqlxHarness<sqlx::MySql>>(
        env,
        &[Dialect::MariaDb],
    ));
    trials
}
