//! A base of its own and a model on it, as a user of alchemy-sqlx writes
//! them: accounts keyed by client-made ids like `acc_3f9c0a1b2c3d4e5f`.

use alchemy_core::pk::{KeyGeneration, KeyStrategy};
use alchemy_core::schema::ColumnType;
use alchemy_core::{Base, Error, Model, Value};
use chrono::{DateTime, Utc};

/// An account id: `acc_` and 16 hexadecimal digits. Empty means "not made
/// yet" (the key of a new, unsaved account).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<AccountId> for Value {
    fn from(id: AccountId) -> Value {
        Value::Text(id.0)
    }
}

impl TryFrom<Value> for AccountId {
    type Error = Error;
    fn try_from(value: Value) -> Result<Self, Error> {
        match value {
            Value::Text(id) if id.starts_with("acc_") => Ok(AccountId(id)),
            other => Err(Error::invalid_input(format!(
                "not an account id: {other:?}"
            ))),
        }
    }
}

/// The key strategy: ids made by the client before the insert.
#[derive(Debug)]
pub struct AccountKey;

impl KeyStrategy for AccountKey {
    type Value = AccountId;
    const GENERATION: KeyGeneration = KeyGeneration::Client;
    const COLUMN_TYPE: ColumnType = ColumnType::VarChar(20);

    fn generate() -> AccountId {
        let random = uuid::Uuid::new_v4().simple().to_string();
        AccountId(format!("acc_{}", &random[..16]))
    }
}

/// The base: account ids and audit columns.
#[derive(Debug)]
pub struct AccountBase;

impl Base for AccountBase {
    type Key = AccountKey;
    const AUDITED: bool = true;
}

/// An account.
#[derive(Debug, Clone, sqlx::FromRow, Model)]
#[model(base = AccountBase)]
pub struct Account {
    pub id: AccountId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[model(varchar(254), unique)]
    pub email: String,
    pub display_name: Option<String>,
    pub balance_cents: i64,
    #[model(default = true)]
    pub active: bool,
}

impl Account {
    /// A new, unsaved account.
    pub fn new(email: &str) -> Self {
        Self {
            id: AccountId::default(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            email: email.into(),
            display_name: None,
            balance_cents: 0,
            active: true,
        }
    }
}
