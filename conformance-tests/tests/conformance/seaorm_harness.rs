//! The SeaORM backend's harness: fixture entities in SeaORM's own idiom
//! (`DeriveEntityModel`), their repositories, and the connection to each
//! case's database.

use alchemy_conformance::backends;
use alchemy_conformance::fixtures::{self, WidgetBase};
use alchemy_conformance::{Backend, Harness, HasWidget, Target};
use alchemy_core::audit::{SharedClock, Timestamps};
use alchemy_core::base::{
    BigIntAuditBase, BigIntBase, NanoIdAuditBase, NanoIdBase, ServerUuidAuditBase, ServerUuidBase,
    UuidAuditBase, UuidBase, UuidV6AuditBase, UuidV6Base, UuidV7AuditBase, UuidV7Base,
};
use alchemy_core::filter::Value;
use alchemy_core::schema::Table;
use alchemy_core::{KeyOf, Model, Result};
use alchemy_seaorm::{LinkEntity, SeaDb, SeaLinkRepository, SeaRepository};

/// The `post` entity.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub content: String,
        pub published: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    #[async_trait::async_trait]
    impl ActiveModelBehavior for ActiveModel {
        async fn before_save<C>(self, _db: &C, insert: bool) -> Result<Self, DbErr>
        where
            C: ConnectionTrait,
        {
            alchemy_seaorm::hooks::stamp(self, insert)
        }
    }
}

/// The `tag` entity.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tag")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub name: String,
        pub slug: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `item` entity: a column of every kind for the filter cases.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "item")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub name: String,
        pub rank: i64,
        pub active: bool,
        #[sea_orm(column_type = "Text", nullable)]
        pub note: Option<String>,
        pub due_at: Option<DateTimeUtc>,
        /// `NOT NULL` in the table; an `Option` so a case can provoke the violation.
        #[sea_orm(column_type = "Text", nullable)]
        pub label: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `post_tag` association entity.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod post_tag {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post_tag")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub post_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::post::Entity",
            from = "Column::PostId",
            to = "super::post::Column::Id",
            on_delete = "Cascade"
        )]
        Post,
        #[sea_orm(
            belongs_to = "super::tag::Entity",
            from = "Column::TagId",
            to = "super::tag::Column::Id",
            on_delete = "Cascade"
        )]
        Tag,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `event` entity: a date, a time of day and bytes.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub day: Date,
        pub starts: Option<Time>,
        pub payload: Vec<u8>,
        pub level: i16,
        pub ratio: Option<f32>,
        pub settings: Json,
        pub extra: Option<Json>,
        #[sea_orm(column_type = "Decimal(Some((15, 2)))")]
        pub price: alchemy_seaorm::types::Decimal,
        #[sea_orm(column_type = "Decimal(Some((6, 6)))")]
        pub share: Option<alchemy_seaorm::types::Decimal>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

alchemy_core::impl_model!(event::Model, BigIntBase, plain, from fixtures::event_table(), fields(name, day, starts, payload, level, ratio, settings, extra, price, share));

alchemy_conformance::impl_event_fixture!(event::Model);

/// The `comment` entity: one foreign key, to `post`.
#[allow(unreachable_pub)] // SeaORM entities are `pub` by convention.
pub(crate) mod comment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "comment")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub post_id: Uuid,
        #[sea_orm(column_type = "Text")]
        pub body: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

alchemy_core::impl_model!(comment::Model, BigIntBase, plain, from fixtures::comment_table(), fields(post_id, body));

alchemy_conformance::impl_comment_fixture!(comment::Model);

macro_rules! audited_model {
    ($model:ty, $base:ty, $table:expr, fields($($field:ident),*)) => {
        impl Model for $model {
            type Base = $base;
            fn table() -> &'static Table {
                $table
            }
            fn key(&self) -> &KeyOf<Self> {
                &self.id
            }
            fn set_key(&mut self, key: KeyOf<Self>) {
                self.id = key;
            }
            fn timestamps(&self) -> Option<Timestamps> {
                Some(Timestamps {
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                })
            }
            fn set_timestamps(&mut self, ts: Timestamps) {
                self.created_at = ts.created_at;
                self.updated_at = ts.updated_at;
            }
            fn values(&self) -> Vec<Value> {
                vec![
                    self.id.clone().into(),
                    self.created_at.into(),
                    self.updated_at.into(),
                    $(self.$field.clone().into()),*
                ]
            }
        }
    };
}

audited_model!(
    post::Model,
    UuidV7AuditBase,
    fixtures::post_table(),
    fields(title, content, published)
);
audited_model!(
    tag::Model,
    BigIntAuditBase,
    fixtures::tag_table(),
    fields(name, slug)
);

audited_model!(
    item::Model,
    BigIntAuditBase,
    fixtures::item_table(),
    fields(name, rank, active, note, due_at, label)
);

alchemy_conformance::impl_item_fixture!(item::Model);

alchemy_conformance::impl_post_fixture!(post::Model);

alchemy_conformance::impl_tag_fixture!(tag::Model);

impl LinkEntity for post_tag::Entity {
    type Left = post::Entity;
    type Right = tag::Entity;
    fn left_column() -> post_tag::Column {
        post_tag::Column::PostId
    }
    fn right_column() -> post_tag::Column {
        post_tag::Column::TagId
    }
}

/// One widget entity per base: `$module` holds the SeaORM entity of table
/// `<$base as WidgetBase>::TABLE`.
macro_rules! widgets {
    ($($module:ident: $base:ty, $table:literal, $key:ty, $unset:expr, [$($pk:tt)*], $kind:ident;)*) => {$(
        #[allow(unreachable_pub)]
        pub(crate) mod $module {
            use sea_orm::entity::prelude::*;

            widgets!(@entity $table, $key, [$($pk)*], $kind);

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }

        widgets!(@model $module, $base, $kind);

        alchemy_conformance::impl_widget_fixture!($module::Model, $kind);

        impl HasWidget<$base> for SeaOrmHarness {
            type Widget = $module::Model;
            type Widgets = SeaRepository<$module::Entity>;
            fn widgets(&self) -> Self::Widgets {
                Default::default()
            }
        }
    )*};
    (@entity $table:literal, $key:ty, [$($pk:tt)*], audited) => {
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm($($pk)*)]
            pub id: $key,
            pub created_at: DateTimeUtc,
            pub updated_at: DateTimeUtc,
            pub name: String,
        }
    };
    (@entity $table:literal, $key:ty, [$($pk:tt)*], plain) => {
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            #[sea_orm($($pk)*)]
            pub id: $key,
            pub name: String,
        }
    };
    (@model $module:ident, $base:ty, audited) => {
        audited_model!($module::Model, $base, <$base as WidgetBase>::table(), fields(name));
    };
    (@model $module:ident, $base:ty, plain) => {
        impl Model for $module::Model {
            type Base = $base;
            fn table() -> &'static Table {
                <$base as WidgetBase>::table()
            }
            fn key(&self) -> &KeyOf<Self> {
                &self.id
            }
            fn set_key(&mut self, key: KeyOf<Self>) {
                self.id = key;
            }
            fn timestamps(&self) -> Option<Timestamps> {
                None
            }
            fn set_timestamps(&mut self, _: Timestamps) {}
            fn values(&self) -> Vec<Value> {
                vec![self.id.clone().into(), self.name.clone().into()]
            }
        }
    };
}

widgets! {
    big_int_widget: BigIntBase, "big_int_widget", i64, 0, [primary_key], plain;
    big_int_audit_widget: BigIntAuditBase, "big_int_audit_widget", i64, 0, [primary_key], audited;
    uuid_widget: UuidBase, "uuid_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], plain;
    uuid_v6_widget: UuidV6Base, "uuid_v6_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], plain;
    uuid_v7_widget: UuidV7Base, "uuid_v7_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], plain;
    uuid_audit_widget: UuidAuditBase, "uuid_audit_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], audited;
    uuid_v6_audit_widget: UuidV6AuditBase, "uuid_v6_audit_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], audited;
    uuid_v7_audit_widget: UuidV7AuditBase, "uuid_v7_audit_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], audited;
    nano_id_widget: NanoIdBase, "nano_id_widget", String, String::new(), [primary_key, auto_increment = false], plain;
    nano_id_audit_widget: NanoIdAuditBase, "nano_id_audit_widget", String, String::new(), [primary_key, auto_increment = false], audited;
    server_uuid_widget: ServerUuidBase, "server_uuid_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], plain;
    server_uuid_audit_widget: ServerUuidAuditBase, "server_uuid_audit_widget", Uuid, uuid::Uuid::nil(), [primary_key, auto_increment = false], audited;
}

/// The SeaORM harness.
#[derive(Debug, Default, Clone)]
pub(crate) struct SeaOrmHarness;

impl Backend for SeaOrmHarness {
    const NAME: &'static str = backends::SeaOrm::NAME;
    type Db = SeaDb;

    async fn connect(&self, target: &Target, clock: SharedClock) -> Result<SeaDb> {
        backends::SeaOrm.connect(target, clock).await
    }

    async fn teardown(&self, target: &Target) -> Result<()> {
        backends::SeaOrm.teardown(target).await
    }
}

impl Harness for SeaOrmHarness {
    type Post = post::Model;
    type Tag = tag::Model;
    type Posts = SeaRepository<post::Entity>;
    type Tags = SeaRepository<tag::Entity>;
    type Item = item::Model;
    type Items = SeaRepository<item::Entity>;
    type PostTags = SeaLinkRepository<post_tag::Entity>;
    type Comment = comment::Model;
    type Comments = SeaRepository<comment::Entity>;
    type Event = event::Model;
    type Events = SeaRepository<event::Entity>;

    fn posts(&self) -> Self::Posts {
        Default::default()
    }
    fn tags(&self) -> Self::Tags {
        Default::default()
    }
    fn items(&self) -> Self::Items {
        Default::default()
    }
    fn post_tags(&self) -> Self::PostTags {
        SeaLinkRepository::new()
    }
    fn comments(&self) -> Self::Comments {
        Default::default()
    }
    fn events(&self) -> Self::Events {
        Default::default()
    }
}

pub(crate) fn trials(env: &alchemy_conformance::runner::Environment) -> Vec<libtest_mimic::Trial> {
    alchemy_conformance::runner::backend_trials_on::<SeaOrmHarness>(
        env,
        &[
            alchemy_core::schema::Dialect::Sqlite,
            alchemy_core::schema::Dialect::Postgres,
            alchemy_core::schema::Dialect::MariaDb,
        ],
    )
}
