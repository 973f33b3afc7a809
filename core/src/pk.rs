//! Primary-key strategies.
//!
//! A strategy says what type a key has, how its column is declared, and who
//! makes its values: the client (UUIDs, NanoIDs, set before the insert) or the
//! database (identity columns, `gen_random_uuid()`, read back after the insert).
//! Implement [`KeyStrategy`] for a custom key.

use std::fmt::{Debug, Display};
use std::hash::Hash;

use uuid::Uuid;

use crate::schema::{ColumnDefault, ColumnType};

/// Who produces a new row's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyGeneration {
    /// The library generates the key before the insert ([`KeyStrategy::generate`]).
    Client,
    /// The database generates the key; the insert omits the column and reads it back.
    Database,
}

/// A primary-key strategy.
///
/// # Behavior
/// - A model whose key equals `Value::default()` (0, the nil UUID, `""`) is
///   "unset": on insert a client strategy fills it with [`KeyStrategy::generate`],
///   a database strategy leaves it to the server.
/// - A key that is already set is inserted as given.
///
/// # A custom key with a type of its own
/// A key type needs, in core: the bounds of [`KeyStrategy::Value`]
/// (`From<Key> for Value` to bind it, `TryFrom<Value>` to read it back from
/// an untyped row, `Display` for messages, `Default` for "unset"), and a
/// strategy and a base naming it. Each backend then needs its ORM's own
/// encoding of the type; their docs show it for this same `UserId`:
/// `alchemy_sqlx::SqlxModel`, `alchemy_diesel::DieselModel`,
/// `alchemy_seaorm::SeaRepository`.
///
/// ```
/// use alchemy_core::pk::{KeyGeneration, KeyStrategy};
/// use alchemy_core::schema::ColumnType;
/// use alchemy_core::{Base, Error, Model, Value};
/// use chrono::{DateTime, Utc};
///
/// /// A user id: `usr_` and 16 hexadecimal digits, made by the client.
/// #[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
/// pub struct UserId(String);
///
/// impl std::fmt::Display for UserId {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str(&self.0)
///     }
/// }
///
/// impl From<UserId> for Value {
///     fn from(id: UserId) -> Value {
///         Value::Text(id.0)
///     }
/// }
///
/// impl TryFrom<Value> for UserId {
///     type Error = Error;
///     fn try_from(value: Value) -> Result<Self, Error> {
///         match value {
///             Value::Text(id) if id.starts_with("usr_") => Ok(UserId(id)),
///             other => Err(Error::invalid_input(format!("not a user id: {other:?}"))),
///         }
///     }
/// }
///
/// /// The strategy: `VARCHAR(20)` keys the client makes.
/// pub struct UserKey;
///
/// impl KeyStrategy for UserKey {
///     type Value = UserId;
///     const GENERATION: KeyGeneration = KeyGeneration::Client;
///     const COLUMN_TYPE: ColumnType = ColumnType::VarChar(20);
///     fn generate() -> UserId {
///         let random = uuid::Uuid::new_v4().simple().to_string();
///         UserId(format!("usr_{}", &random[..16]))
///     }
/// }
///
/// /// The base: user ids and audit columns.
/// pub struct UserBase;
///
/// impl Base for UserBase {
///     type Key = UserKey;
///     const AUDITED: bool = true;
/// }
///
/// #[derive(Debug, Clone, Model)]
/// #[model(base = UserBase)]
/// pub struct User {
///     pub id: UserId,
///     pub created_at: DateTime<Utc>,
///     pub updated_at: DateTime<Utc>,
///     #[model(varchar(254), unique)]
///     pub email: String,
/// }
///
/// let id = UserKey::generate();
/// assert_eq!(id.to_string().len(), 20);
/// assert!(UserKey::is_unset(&UserId::default()));
/// assert_eq!(UserId::try_from(Value::from(id.clone())).unwrap(), id);
/// assert_eq!(User::table().columns()[0].ty, ColumnType::VarChar(20));
/// ```
pub trait KeyStrategy: Send + Sync + 'static {
    /// The Rust type of the key. `Into<Value>` binds it in every statement
    /// that names a row by key; `TryFrom<Value>` reads it back from a
    /// backend's untyped row (the key of a stored row an upsert matched).
    /// A custom key type that lacks either fails here, where it is declared.
    type Value: Clone
        + Debug
        + Display
        + Default
        + PartialEq
        + Eq
        + Hash
        + Send
        + Sync
        + Into<crate::value::Value>
        + TryFrom<crate::value::Value, Error = crate::Error>
        + 'static;
    /// Who produces new keys.
    const GENERATION: KeyGeneration;
    /// The column type used in generated DDL.
    const COLUMN_TYPE: ColumnType;
    /// The server-side default of the key column, for database strategies.
    const DEFAULT: Option<ColumnDefault> = None;
    /// Whether a key made later sorts after every key made before it, in
    /// the database's order of the column: true for identity columns (a
    /// sequence) and UUID versions 6 and 7 (a timestamp first), false for
    /// random keys. Rows ordered by such a key come in the order they were
    /// added; the conformance suite checks it where this says so.
    const CREATION_ORDERED: bool = false;

    /// A fresh key. Only called for [`KeyGeneration::Client`] strategies.
    fn generate() -> Self::Value;

    /// Whether `value` means "no key yet".
    fn is_unset(value: &Self::Value) -> bool {
        *value == Self::Value::default()
    }
}

/// A 64-bit integer key from the database (`BIGINT GENERATED BY DEFAULT AS
/// IDENTITY` on PostgreSQL, `INTEGER PRIMARY KEY` on SQLite).
#[derive(Debug, Clone, Copy, Default)]
pub struct BigInt;

impl KeyStrategy for BigInt {
    type Value = i64;
    const GENERATION: KeyGeneration = KeyGeneration::Database;
    const COLUMN_TYPE: ColumnType = ColumnType::BigInt;
    const DEFAULT: Option<ColumnDefault> = Some(ColumnDefault::Identity);
    const CREATION_ORDERED: bool = true;

    /// Never called: the database numbers rows. Returns the unset value.
    fn generate() -> i64 {
        0
    }
}

/// A random UUID (version 4), generated by the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV4;

impl KeyStrategy for UuidV4 {
    type Value = Uuid;
    const GENERATION: KeyGeneration = KeyGeneration::Client;
    const COLUMN_TYPE: ColumnType = ColumnType::Uuid;

    fn generate() -> Uuid {
        Uuid::new_v4()
    }
}

/// A time-ordered UUID (version 6, reordered Gregorian time), generated by the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV6;

impl KeyStrategy for UuidV6 {
    type Value = Uuid;
    const GENERATION: KeyGeneration = KeyGeneration::Client;
    const COLUMN_TYPE: ColumnType = ColumnType::Uuid;
    // Keys made within one 100 ns tick are ordered by a 14-bit counter
    // that wraps, so about one such pair in 16,384 is not; keys a round
    // trip apart always are.
    const CREATION_ORDERED: bool = true;

    fn generate() -> Uuid {
        // A random node id per key: no MAC address is read, and keys made in the
        // same 100ns tick by different processes still differ.
        let node: [u8; 6] = rand::random();
        Uuid::now_v6(&node)
    }
}

/// A time-ordered UUID (version 7, Unix milliseconds + randomness), generated by the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7;

impl KeyStrategy for UuidV7 {
    type Value = Uuid;
    const GENERATION: KeyGeneration = KeyGeneration::Client;
    const COLUMN_TYPE: ColumnType = ColumnType::Uuid;
    const CREATION_ORDERED: bool = true;

    fn generate() -> Uuid {
        Uuid::now_v7()
    }
}

/// A 21-character NanoID over the URL-safe alphabet `A-Za-z0-9_-`, generated by the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct NanoId;

/// Length of a [`NanoId`] key.
pub const NANOID_LEN: usize = 21;

impl KeyStrategy for NanoId {
    type Value = String;
    const GENERATION: KeyGeneration = KeyGeneration::Client;
    const COLUMN_TYPE: ColumnType = ColumnType::VarChar(NANOID_LEN);

    fn generate() -> String {
        nanoid::nanoid!(NANOID_LEN)
    }
}

/// A random UUID generated by the database server: `gen_random_uuid()` on
/// PostgreSQL, an equivalent version-4 expression on SQLite.
///
/// This is the key of the worked custom-base example (see [`crate::base`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerUuid;

impl KeyStrategy for ServerUuid {
    type Value = Uuid;
    const GENERATION: KeyGeneration = KeyGeneration::Database;
    const COLUMN_TYPE: ColumnType = ColumnType::Uuid;
    const DEFAULT: Option<ColumnDefault> = Some(ColumnDefault::RandomUuid);

    /// Never called: the server makes the key. Returns the nil UUID.
    fn generate() -> Uuid {
        Uuid::nil()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_versions() {
        assert_eq!(UuidV4::generate().get_version_num(), 4);
        assert_eq!(UuidV6::generate().get_version_num(), 6);
        assert_eq!(UuidV7::generate().get_version_num(), 7);
    }

    #[test]
    fn time_ordered_uuids_sort_by_creation() {
        let a = UuidV7::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = UuidV7::generate();
        assert!(a < b);
        let c = UuidV6::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let d = UuidV6::generate();
        assert!(c.as_bytes()[..8] < d.as_bytes()[..8]);
    }

    #[test]
    fn nanoid_is_21_url_safe_chars() {
        let id = NanoId::generate();
        assert_eq!(id.len(), 21);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        assert_ne!(id, NanoId::generate());
    }

    #[test]
    fn unset_values() {
        assert!(BigInt::is_unset(&0));
        assert!(UuidV7::is_unset(&Uuid::nil()));
        assert!(!UuidV7::is_unset(&UuidV7::generate()));
        assert!(NanoId::is_unset(&String::new()));
    }
}
