//! [`SeaRepository`]: the core [`Repository`] for any SeaORM entity whose
//! model implements [`alchemy_core::Model`].

use std::collections::HashMap;
use std::marker::PhantomData;

use alchemy_core::audit::{CREATED_AT, now_micros};
use alchemy_core::base::{key_from_database, prepare_insert, prepare_update};
use alchemy_core::filter::Condition;
use alchemy_core::{Error, KeyOf, Model, Repository, Result, Session as _};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, PrimaryKeyToColumn, QueryFilter, QuerySelect,
};

use crate::error::from_db;
use crate::filter::compile;
use crate::session::Session;

/// Bind parameters one SQLite statement may carry.
pub const SQLITE_MAX_PARAMS: usize = 32_766;
/// Bind parameters one PostgreSQL statement may carry.
pub const POSTGRES_MAX_PARAMS: usize = 65_535;

/// The repository of entity `E`: one generic implementation of
/// [`alchemy_core::Repository`] (and so of
/// [`RepositoryExt`](alchemy_core::RepositoryExt)) for every SeaORM entity
/// whose `Model` implements [`alchemy_core::Model`].
///
/// The repository is stateless; every call runs in the [`Session`] it is given.
/// It fills keys and audit columns itself on every path (single and bulk), so
/// it does not depend on `ActiveModelBehavior::before_save`, which SeaORM
/// does not call for `Entity::insert`, `insert_many` or `update_many`.
pub struct SeaRepository<E>(PhantomData<fn() -> E>);

impl<E> SeaRepository<E> {
    /// A repository for entity `E`.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<E> Default for SeaRepository<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for SeaRepository<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for SeaRepository<E> {}

impl<E> std::fmt::Debug for SeaRepository<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SeaRepository<{}>", std::any::type_name::<E>())
    }
}

/// The column of entity `E` called `name`.
pub(crate) fn column<E: EntityTrait>(name: &str) -> Option<E::Column> {
    E::Column::iter().find(|c| c.as_str() == name)
}

/// The single primary-key column of entity `E`.
pub(crate) fn key_column<E: EntityTrait>() -> Result<E::Column> {
    let mut keys = E::PrimaryKey::iter();
    match (keys.next(), keys.next()) {
        (Some(key), None) => Ok(key.into_column()),
        _ => Err(Error::NotSupported {
            operation: "a repository over a table without exactly one primary-key column",
            backend: "alchemy-seaorm",
        }),
    }
}

/// A column of `E` named by a caller, or [`Error::InvalidInput`].
fn named_column<E: EntityTrait>(name: &str, table: &str) -> Result<E::Column> {
    column::<E>(name)
        .ok_or_else(|| Error::invalid_input(format!("unknown field `{name}` for table `{table}`")))
}

/// The bind-parameter limit of one statement on `backend`.
fn max_params(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Sqlite => SQLITE_MAX_PARAMS,
        _ => POSTGRES_MAX_PARAMS,
    }
}

impl<E> SeaRepository<E>
where
    E: EntityTrait,
    E::Model: Model + IntoActiveModel<E::ActiveModel>,
{
    /// An active model that inserts every column, except a database-made key.
    fn for_insert(model: E::Model) -> Result<E::ActiveModel> {
        let mut am = model.into_active_model().reset_all();
        if key_from_database::<E::Model>() {
            am.not_set(key_column::<E>()?);
        }
        Ok(am)
    }

    fn table() -> &'static str {
        <E::Model as Model>::table().name()
    }

    /// Runs one fixed statement (savepoints) in the session.
    async fn statement(session: &mut Session, sql: &'static str) -> Result<()> {
        session
            .counted()
            .execute_unprepared(sql)
            .await
            .map(drop)
            .map_err(from_db)
    }

    /// `INSERT .. ON CONFLICT (..) DO NOTHING RETURNING *`: the row, or `None`
    /// when one existed (SQLite answers that with `RecordNotFound`).
    async fn insert_absent(
        session: &mut Session,
        am: E::ActiveModel,
        on_conflict: OnConflict,
    ) -> Result<Option<E::Model>>
    where
        E::ActiveModel: Send,
    {
        match E::insert(am)
            .on_conflict(on_conflict)
            .exec_with_returning(session.counted())
            .await
        {
            Ok(row) => Ok(Some(row)),
            Err(DbErr::RecordNotFound(_) | DbErr::RecordNotInserted) => Ok(None),
            Err(e) => Err(from_db(e)),
        }
    }
}

impl<E> Repository for SeaRepository<E>
where
    E: EntityTrait + Sync,
    E::Model: Model + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send + Sync,
    KeyOf<E::Model>: Into<sea_orm::Value>,
{
    type Model = E::Model;
    type Session = Session;

    /// `INSERT .. RETURNING` every column.
    ///
    /// # Errors
    /// [`Error::DuplicateKey`], [`Error::ForeignKey`], [`Error::Backend`].
    async fn add(&self, session: &mut Session, mut model: E::Model) -> Result<E::Model> {
        prepare_insert(&mut model, now_micros(&**session.clock()));
        let am = Self::for_insert(model)?;
        E::insert(am)
            .exec_with_returning(session.counted())
            .await
            .map_err(from_db)
    }

    /// Multi-row `INSERT .. RETURNING` in chunks under the bind-parameter
    /// limit (32766 on SQLite, 65535 on PostgreSQL); rows come back in input order.
    ///
    /// # Errors
    /// As [`Repository::add`]; [`Error::Backend`] if the database returns
    /// rows that cannot be matched to the input.
    async fn add_many(
        &self,
        session: &mut Session,
        mut models: Vec<E::Model>,
    ) -> Result<Vec<E::Model>> {
        if models.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_micros(&**session.clock());
        for m in &mut models {
            prepare_insert(m, now);
        }
        let database_key = key_from_database::<E::Model>();
        let columns = E::Column::iter().count() - usize::from(database_key);
        let chunk = (max_params(session.transaction().get_database_backend()) / columns.max(1))
            .clamp(1, 10_000);
        let client_keys: Vec<KeyOf<E::Model>> = if database_key {
            Vec::new()
        } else {
            models.iter().map(|m| m.key().clone()).collect()
        };
        let mut stored = Vec::with_capacity(models.len());
        let mut batches = Vec::new();
        let mut rest = models;
        while !rest.is_empty() {
            let tail = rest.split_off(chunk.min(rest.len()));
            batches.push(std::mem::replace(&mut rest, tail));
        }
        for batch in batches {
            let ams = batch
                .into_iter()
                .map(Self::for_insert)
                .collect::<Result<Vec<_>>>()?;
            let rows = E::insert_many(ams)
                .exec_with_returning(session.counted())
                .await
                .map_err(from_db)?;
            stored.extend(rows);
        }
        if database_key {
            // RETURNING of one multi-row VALUES insert follows insertion order.
            return Ok(stored);
        }
        let mut by_key: HashMap<KeyOf<E::Model>, E::Model> =
            stored.into_iter().map(|m| (m.key().clone(), m)).collect();
        client_keys
            .iter()
            .map(|k| {
                by_key.remove(k).ok_or_else(|| {
                    Error::backend(format!(
                        "{}: inserted row {k} was not returned",
                        Self::table()
                    ))
                })
            })
            .collect()
    }

    /// `SELECT .. WHERE <key> = ?`.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the table and the key.
    async fn get(&self, session: &mut Session, key: &KeyOf<E::Model>) -> Result<E::Model> {
        let col = key_column::<E>()?;
        E::find()
            .filter(col.eq(key.clone()))
            .one(session.counted())
            .await
            .map_err(from_db)?
            .ok_or_else(|| Error::not_found(Self::table(), key))
    }

    /// `SELECT .. WHERE <filter> LIMIT 2`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown field (nothing is sent);
    /// [`Error::MultipleResults`] when several rows match.
    async fn get_one_or_none(
        &self,
        session: &mut Session,
        filter: &Condition,
    ) -> Result<Option<E::Model>> {
        // Check (and type) the filter before anything is built or sent.
        let filter = filter.clone().checked(<E::Model as Model>::table())?;
        let condition = compile::<E>(&filter, session.transaction().get_database_backend())?;
        let mut rows = E::find()
            .filter(condition)
            .limit(2)
            .all(session.counted())
            .await
            .map_err(from_db)?;
        if rows.len() > 1 {
            return Err(Error::MultipleResults {
                entity: Self::table().to_string(),
            });
        }
        Ok(rows.pop())
    }

    /// `UPDATE .. SET <every column but the key and created_at> WHERE <key> = ? RETURNING *`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has the key; [`Error::DuplicateKey`],
    /// [`Error::ForeignKey`], [`Error::Backend`].
    async fn update(&self, session: &mut Session, mut model: E::Model) -> Result<E::Model> {
        prepare_update(&mut model, now_micros(&**session.clock()));
        let key = model.key().clone();
        let mut am = model.into_active_model().reset_all();
        if let Some(created_at) = column::<E>(CREATED_AT) {
            am.not_set(created_at);
        }
        match E::update(am).exec(session.counted()).await {
            Ok(row) => Ok(row),
            Err(DbErr::RecordNotUpdated | DbErr::RecordNotFound(_)) => {
                Err(Error::not_found(Self::table(), key))
            }
            Err(e) => Err(from_db(e)),
        }
    }

    /// `DELETE .. WHERE <key> = ? RETURNING *`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such row; [`Error::ForeignKey`].
    async fn delete(&self, session: &mut Session, key: &KeyOf<E::Model>) -> Result<E::Model> {
        let col = key_column::<E>()?;
        E::delete_many()
            .filter(col.eq(key.clone()))
            .exec_with_returning(session.counted())
            .await
            .map_err(from_db)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found(Self::table(), key))
    }

    /// `INSERT .. ON CONFLICT (<conflict_columns>) DO NOTHING RETURNING *`.
    ///
    /// SeaORM reports "no row returned" as `RecordNotFound`; that is the
    /// conflict, answered with `None`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown or empty column list (nothing
    /// is sent); [`Error::DuplicateKey`] for a conflict on another constraint.
    async fn add_if_absent(
        &self,
        session: &mut Session,
        mut model: E::Model,
        conflict_columns: &[&str],
    ) -> Result<Option<E::Model>> {
        if conflict_columns.is_empty() {
            return Err(Error::invalid_input(format!(
                "{}: add_if_absent needs at least one conflict column",
                Self::table()
            )));
        }
        let columns = conflict_columns
            .iter()
            .map(|c| named_column::<E>(c, Self::table()))
            .collect::<Result<Vec<_>>>()?;
        prepare_insert(&mut model, now_micros(&**session.clock()));
        let am = Self::for_insert(model)?;
        let on_conflict = OnConflict::columns(columns).do_nothing().to_owned();
        if session.transaction().get_database_backend() != DbBackend::Postgres {
            // SQLite sessions hold the write lock: no concurrent insert can race this one.
            return Self::insert_absent(session, am, on_conflict).await;
        }
        // PostgreSQL checks unique indexes other than the conflict target as
        // plain constraints: a concurrent insert of the same row can trip one
        // of them (the slug, say) instead of the target. That transaction has
        // finished when the error comes, so one more try inside a savepoint
        // lets the target decide; a real clash fails again and the savepoint
        // keeps the caller's transaction usable.
        Self::statement(session, "SAVEPOINT alchemy_add_if_absent").await?;
        let mut result = Self::insert_absent(session, am.clone(), on_conflict.clone()).await;
        if matches!(result, Err(Error::DuplicateKey { .. })) {
            Self::statement(session, "ROLLBACK TO SAVEPOINT alchemy_add_if_absent").await?;
            result = Self::insert_absent(session, am, on_conflict).await;
        }
        if result.is_err() {
            Self::statement(session, "ROLLBACK TO SAVEPOINT alchemy_add_if_absent").await?;
        }
        Self::statement(session, "RELEASE SAVEPOINT alchemy_add_if_absent").await?;
        result
    }
}
