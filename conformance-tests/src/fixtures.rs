//! The fixture models every backend defines in its own idiom, and the tables
//! they must declare (shared here so every backend creates the same schema).
//!
//! - `post`: `UuidV7AuditBase`, `title VARCHAR(200)` indexed, `content TEXT`,
//!   `published BOOLEAN DEFAULT false`.
//! - `tag`: `BigIntAuditBase` + slug + unique mixin on `name` (`VARCHAR(100)`, unique).
//! - `post_tag`: `(post_id, tag_id)` primary key, both foreign keys `ON DELETE CASCADE`.
//! - `item`: `BigIntAuditBase`, a column of every kind for the filter cases:
//!   `name VARCHAR(100)` indexed (not unique), `rank BIGINT` with
//!   `ck_item_rank_non_negative CHECK (rank >= 0)`, `active BOOLEAN`,
//!   `note TEXT NULL`, `due_at` timestamp NULL, and `label TEXT NOT NULL`
//!   whose Rust field is deliberately an `Option<String>` so a case can
//!   provoke a not-null violation.
//! - `comment`: `BigIntBase`, `post_id` (a foreign key to `post`, `ON
//!   DELETE RESTRICT`, the table's only one) and `body TEXT`.
//! - `event`: `BigIntBase`, the column types beyond the bases': `name
//!   VARCHAR(100)`, `day` a date, `starts` a time of day (NULL), `payload`
//!   bytes, `level` a 16-bit integer, `ratio` an `f32` (NULL), `settings`
//!   and `extra` (NULL) JSON, `price DECIMAL(15, 2)` and `share
//!   DECIMAL(6, 6)` (NULL), each backend's decimal field type.
//! - one `<base>_widget` table per base (`name VARCHAR(100)`), to check every key strategy.

use std::sync::OnceLock;

use alchemy_core::Model;
use alchemy_core::base::{
    Base, BigIntAuditBase, BigIntBase, NanoIdAuditBase, NanoIdBase, ServerUuidAuditBase,
    ServerUuidBase, UuidAuditBase, UuidBase, UuidV6AuditBase, UuidV6Base, UuidV7AuditBase,
    UuidV7Base,
};
use alchemy_core::schema::{Column, ColumnDefault, ColumnType, OnDelete, Table};
use alchemy_core::slug::{SlugColumn, SlugKey};
use alchemy_core::unique::Unique;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// A blog post (`post` table).
pub trait PostFixture: Model<Base = UuidV7AuditBase> {
    /// A new, unsaved post (unset key, unpublished).
    fn new(title: &str, content: &str) -> Self;
    /// The title.
    fn title(&self) -> &str;
    /// Replaces the title.
    fn set_title(&mut self, title: &str);
    /// The content.
    fn content(&self) -> &str;
    /// Whether the post is published.
    fn published(&self) -> bool;
}

/// A tag (`tag` table): unique by `name`, with a slug.
pub trait TagFixture: Unique<UniqueKey = String> + SlugKey + Model<Base = BigIntAuditBase> {
    /// A new, unsaved tag.
    fn new(name: &str, slug: &str) -> Self;
    /// The name (the natural key).
    fn name(&self) -> &str;
}

/// A row of the `item` table.
pub trait ItemFixture: Model<Base = BigIntAuditBase> {
    /// A new, unsaved item: no note, no due date, label `"label"`.
    fn new(name: &str, rank: i64, active: bool) -> Self;
    /// The name.
    fn name(&self) -> &str;
    /// The rank.
    fn rank(&self) -> i64;
    /// Whether the item is active.
    fn active(&self) -> bool;
    /// The note.
    fn note(&self) -> Option<&str>;
    /// The due date.
    fn due_at(&self) -> Option<DateTime<Utc>>;
    /// The label (`None` only to provoke a not-null violation).
    fn label(&self) -> Option<&str>;
    /// Replaces the name.
    fn set_name(&mut self, name: &str);
    /// Replaces the rank.
    fn set_rank(&mut self, rank: i64);
    /// Replaces the note.
    fn set_note(&mut self, note: Option<&str>);
    /// Replaces the due date.
    fn set_due_at(&mut self, due_at: Option<DateTime<Utc>>);
    /// Replaces the label.
    fn set_label(&mut self, label: Option<&str>);
}

/// A row of the `comment` table.
pub trait CommentFixture: Model<Base = BigIntBase> {
    /// A new, unsaved comment on post `post_id`.
    fn new(post_id: uuid::Uuid, body: &str) -> Self;
    /// The post commented on.
    fn post_id(&self) -> uuid::Uuid;
    /// Replaces the post commented on.
    fn set_post_id(&mut self, post_id: uuid::Uuid);
}

/// A row of the `event` table: a date, a time of day and bytes.
pub trait EventFixture: Model<Base = BigIntBase> {
    /// A new, unsaved event (level 0, no ratio, settings `{}`, no extra).
    fn new(name: &str, day: NaiveDate, starts: Option<NaiveTime>, payload: Vec<u8>) -> Self;
    /// The name.
    fn name(&self) -> &str;
    /// The day.
    fn day(&self) -> NaiveDate;
    /// The time of day it starts.
    fn starts(&self) -> Option<NaiveTime>;
    /// The payload.
    fn payload(&self) -> &[u8];
    /// Replaces the day.
    fn set_day(&mut self, day: NaiveDate);
    /// Replaces the time of day it starts.
    fn set_starts(&mut self, starts: Option<NaiveTime>);
    /// Replaces the payload.
    fn set_payload(&mut self, payload: Vec<u8>);
    /// The level.
    fn level(&self) -> i16;
    /// The ratio.
    fn ratio(&self) -> Option<f32>;
    /// Replaces the level.
    fn set_level(&mut self, level: i16);
    /// Replaces the ratio.
    fn set_ratio(&mut self, ratio: Option<f32>);
    /// The settings.
    fn settings(&self) -> &serde_json::Value;
    /// The extra document.
    fn extra(&self) -> Option<&serde_json::Value>;
    /// Replaces the settings.
    fn set_settings(&mut self, settings: serde_json::Value);
    /// Replaces the extra document.
    fn set_extra(&mut self, extra: Option<serde_json::Value>);
    /// The price, `DECIMAL(15, 2)`.
    fn price(&self) -> rust_decimal::Decimal;
    /// The share, `DECIMAL(6, 6)`.
    fn share(&self) -> Option<rust_decimal::Decimal>;
    /// Replaces the price.
    fn set_price(&mut self, price: rust_decimal::Decimal);
    /// Replaces the share.
    fn set_share(&mut self, share: Option<rust_decimal::Decimal>);
}

/// A row of one `<base>_widget` table.
pub trait WidgetFixture: Model {
    /// A new, unsaved widget.
    fn new(name: &str) -> Self;
    /// The name.
    fn name(&self) -> &str;
    /// Replaces the name.
    fn set_name(&mut self, name: &str);
}

/// The `post` table.
pub fn post_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        UuidV7AuditBase::new_table("post")
            .column(Column::new("title", ColumnType::VarChar(200)))
            .column(Column::new("content", ColumnType::Text))
            .column(Column::new("published", ColumnType::Bool).default(ColumnDefault::False))
            .index(["title"])
    })
}

/// The `tag` table.
pub fn tag_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        BigIntAuditBase::new_table("tag")
            .column(Column::new("name", ColumnType::VarChar(100)))
            .unique(["name"])
            .slug()
    })
}

/// The `item` table.
pub fn item_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        BigIntAuditBase::new_table("item")
            .column(Column::new("name", ColumnType::VarChar(100)))
            .column(Column::new("rank", ColumnType::BigInt))
            .column(Column::new("active", ColumnType::Bool))
            .column(Column::new("note", ColumnType::Text).nullable())
            .column(Column::new("due_at", ColumnType::Timestamp).nullable())
            .column(Column::new("label", ColumnType::Text))
            .index(["name"])
            .check("rank_non_negative", "rank >= 0")
    })
}

/// The `post_tag` association table.
pub fn post_tag_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        Table::new("post_tag")
            .column(Column::new("post_id", ColumnType::Uuid))
            .column(Column::new("tag_id", ColumnType::BigInt))
            .primary_key(["post_id", "tag_id"])
            .foreign_key("post_id", "post", "id", OnDelete::Cascade)
            .foreign_key("tag_id", "tag", "id", OnDelete::Cascade)
    })
}

/// The `comment` table: one foreign key, so SQLite's unnamed foreign-key
/// failures can be named after it.
pub fn comment_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        BigIntBase::new_table("comment")
            .column(Column::new("post_id", ColumnType::Uuid))
            .column(Column::new("body", ColumnType::Text))
            .foreign_key("post_id", "post", "id", OnDelete::Restrict)
    })
}

/// The `event` table.
pub fn event_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        BigIntBase::new_table("event")
            .column(Column::new("name", ColumnType::VarChar(100)))
            .column(Column::new("day", ColumnType::Date))
            .column(Column::new("starts", ColumnType::Time).nullable())
            .column(Column::new("payload", ColumnType::Bytes))
            .column(Column::new("level", ColumnType::SmallInt))
            .column(Column::new("ratio", ColumnType::Real).nullable())
            .column(Column::new("settings", ColumnType::Json))
            .column(Column::new("extra", ColumnType::Json).nullable())
            .column(Column::new("price", ColumnType::Decimal(15, 2)))
            .column(Column::new("share", ColumnType::Decimal(6, 6)).nullable())
    })
}

/// A base with a fixture widget table.
pub trait WidgetBase: Base {
    /// The widget table's name, e.g. `uuid_v7_audit_widget`.
    const TABLE: &'static str;
    /// The widget table.
    fn table() -> &'static Table;
}

macro_rules! widget_bases {
    ($($base:ty => $name:literal),* $(,)?) => {
        $(impl WidgetBase for $base {
            const TABLE: &'static str = $name;
            fn table() -> &'static Table {
                static T: OnceLock<Table> = OnceLock::new();
                T.get_or_init(|| {
                    <$base as Base>::new_table($name)
                        .column(Column::new("name", ColumnType::VarChar(100)))
                })
            }
        })*

        /// Every fixture table, parents before children.
        pub fn all_tables() -> Vec<&'static Table> {
            vec![post_table(), tag_table(), post_tag_table(), item_table(), comment_table(), event_table(), $(<$base as WidgetBase>::table()),*]
        }
    };
}

widget_bases! {
    BigIntBase => "big_int_widget",
    BigIntAuditBase => "big_int_audit_widget",
    UuidBase => "uuid_widget",
    UuidV6Base => "uuid_v6_widget",
    UuidV7Base => "uuid_v7_widget",
    UuidAuditBase => "uuid_audit_widget",
    UuidV6AuditBase => "uuid_v6_audit_widget",
    UuidV7AuditBase => "uuid_v7_audit_widget",
    NanoIdBase => "nano_id_widget",
    NanoIdAuditBase => "nano_id_audit_widget",
    ServerUuidBase => "server_uuid_widget",
    ServerUuidAuditBase => "server_uuid_audit_widget",
}

// The fixture traits are plain accessors; every backend's fixture structs use
// the field names of the tables above, so one macro per trait serves all.

/// Implements [`PostFixture`] for a struct with fields `id`, `created_at`,
/// `updated_at`, `title`, `content`, `published`.
#[macro_export]
macro_rules! impl_post_fixture {
    ($t:ty) => {
        impl $crate::fixtures::PostFixture for $t {
            fn new(title: &str, content: &str) -> Self {
                Self {
                    id: ::std::default::Default::default(),
                    created_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
                    updated_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
                    title: title.into(),
                    content: content.into(),
                    published: false,
                }
            }
            fn title(&self) -> &str {
                &self.title
            }
            fn set_title(&mut self, title: &str) {
                self.title = title.into();
            }
            fn content(&self) -> &str {
                &self.content
            }
            fn published(&self) -> bool {
                self.published
            }
        }
    };
}

/// Implements [`TagFixture`], [`SlugKey`] and [`Unique`] (by `name`) for a
/// struct with fields `id`, `created_at`, `updated_at`, `name`, `slug`.
#[macro_export]
macro_rules! impl_tag_fixture {
    ($t:ty) => {
        impl $crate::__private::alchemy_core::slug::SlugKey for $t {
            fn slug(&self) -> &str {
                &self.slug
            }
            fn set_slug(&mut self, slug: ::std::string::String) {
                self.slug = slug;
            }
        }
        impl $crate::__private::alchemy_core::unique::Unique for $t {
            type UniqueKey = ::std::string::String;
            fn unique_columns() -> &'static [&'static str] {
                &["name"]
            }
            fn unique_key(&self) -> ::std::string::String {
                self.name.clone()
            }
            fn unique_filter(
                key: &::std::string::String,
            ) -> $crate::__private::alchemy_core::filter::Condition {
                $crate::__private::alchemy_core::filter::Condition::eq("name", key.as_str())
            }
            fn with_unique_key<R>(&self, f: impl FnOnce(&::std::string::String) -> R) -> R {
                f(&self.name)
            }
        }
        impl $crate::fixtures::TagFixture for $t {
            fn new(name: &str, slug: &str) -> Self {
                Self {
                    id: 0,
                    created_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
                    updated_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
                    name: name.into(),
                    slug: slug.into(),
                }
            }
            fn name(&self) -> &str {
                &self.name
            }
        }
    };
}

/// Implements [`ItemFixture`] for a struct with the fields of [`item_table`].
#[macro_export]
macro_rules! impl_item_fixture {
    ($t:ty) => {
        impl $crate::fixtures::ItemFixture for $t {
            fn new(name: &str, rank: i64, active: bool) -> Self {
                Self {
                    id: 0,
                    created_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
                    updated_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
                    name: name.into(),
                    rank,
                    active,
                    note: None,
                    due_at: None,
                    label: Some("label".into()),
                }
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn rank(&self) -> i64 {
                self.rank
            }
            fn active(&self) -> bool {
                self.active
            }
            fn note(&self) -> Option<&str> {
                self.note.as_deref()
            }
            fn due_at(
                &self,
            ) -> Option<$crate::__private::chrono::DateTime<$crate::__private::chrono::Utc>> {
                self.due_at
            }
            fn label(&self) -> Option<&str> {
                self.label.as_deref()
            }
            fn set_name(&mut self, name: &str) {
                self.name = name.into();
            }
            fn set_rank(&mut self, rank: i64) {
                self.rank = rank;
            }
            fn set_note(&mut self, note: Option<&str>) {
                self.note = note.map(str::to_string);
            }
            fn set_due_at(
                &mut self,
                due_at: Option<$crate::__private::chrono::DateTime<$crate::__private::chrono::Utc>>,
            ) {
                self.due_at = due_at;
            }
            fn set_label(&mut self, label: Option<&str>) {
                self.label = label.map(str::to_string);
            }
        }
    };
}

/// Implements [`CommentFixture`] for a struct with fields `id`, `post_id`, `body`.
#[macro_export]
macro_rules! impl_comment_fixture {
    ($t:ty) => {
        impl $crate::fixtures::CommentFixture for $t {
            fn new(post_id: $crate::__private::uuid::Uuid, body: &str) -> Self {
                Self {
                    id: 0,
                    post_id,
                    body: body.into(),
                }
            }
            fn post_id(&self) -> $crate::__private::uuid::Uuid {
                self.post_id
            }
            fn set_post_id(&mut self, post_id: $crate::__private::uuid::Uuid) {
                self.post_id = post_id;
            }
        }
    };
}

/// Implements [`EventFixture`] for a struct with the fields of [`event_table`].
#[macro_export]
macro_rules! impl_event_fixture {
    ($t:ty) => {
        impl $crate::fixtures::EventFixture for $t {
            fn new(
                name: &str,
                day: $crate::__private::chrono::NaiveDate,
                starts: Option<$crate::__private::chrono::NaiveTime>,
                payload: Vec<u8>,
            ) -> Self {
                Self {
                    id: 0,
                    name: name.into(),
                    day,
                    starts,
                    payload,
                    level: 0,
                    ratio: None,
                    settings: $crate::__private::serde_json::Value::Object(
                        ::std::default::Default::default(),
                    ),
                    extra: None,
                    price: ::std::default::Default::default(),
                    share: None,
                }
            }
            fn price(&self) -> $crate::__private::rust_decimal::Decimal {
                self.price.into()
            }
            fn share(&self) -> Option<$crate::__private::rust_decimal::Decimal> {
                self.share.map(Into::into)
            }
            fn set_price(&mut self, price: $crate::__private::rust_decimal::Decimal) {
                self.price = price.into();
            }
            fn set_share(&mut self, share: Option<$crate::__private::rust_decimal::Decimal>) {
                self.share = share.map(Into::into);
            }
            fn settings(&self) -> &$crate::__private::serde_json::Value {
                &self.settings
            }
            fn extra(&self) -> Option<&$crate::__private::serde_json::Value> {
                self.extra.as_ref()
            }
            fn set_settings(&mut self, settings: $crate::__private::serde_json::Value) {
                self.settings = settings;
            }
            fn set_extra(&mut self, extra: Option<$crate::__private::serde_json::Value>) {
                self.extra = extra;
            }
            fn level(&self) -> i16 {
                self.level
            }
            fn ratio(&self) -> Option<f32> {
                self.ratio
            }
            fn set_level(&mut self, level: i16) {
                self.level = level;
            }
            fn set_ratio(&mut self, ratio: Option<f32>) {
                self.ratio = ratio;
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn day(&self) -> $crate::__private::chrono::NaiveDate {
                self.day
            }
            fn starts(&self) -> Option<$crate::__private::chrono::NaiveTime> {
                self.starts
            }
            fn payload(&self) -> &[u8] {
                &self.payload
            }
            fn set_day(&mut self, day: $crate::__private::chrono::NaiveDate) {
                self.day = day;
            }
            fn set_starts(&mut self, starts: Option<$crate::__private::chrono::NaiveTime>) {
                self.starts = starts;
            }
            fn set_payload(&mut self, payload: Vec<u8>) {
                self.payload = payload;
            }
        }
    };
}

/// Implements [`WidgetFixture`] for a struct with `id`, `name` and, when
/// `audited`, `created_at` and `updated_at`.
#[macro_export]
macro_rules! impl_widget_fixture {
    ($t:ty, audited) => {
        $crate::impl_widget_fixture!(@impl $t, {
            id: ::std::default::Default::default(),
            created_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
            updated_at: $crate::__private::chrono::DateTime::UNIX_EPOCH,
        });
    };
    ($t:ty, plain) => {
        $crate::impl_widget_fixture!(@impl $t, { id: ::std::default::Default::default(), });
    };
    (@impl $t:ty, { $($field:ident: $value:expr,)* }) => {
        impl $crate::fixtures::WidgetFixture for $t {
            fn new(name: &str) -> Self {
                Self { $($field: $value,)* name: name.into() }
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn set_name(&mut self, name: &str) {
                self.name = name.into();
            }
        }
    };
}
