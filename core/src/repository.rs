//! Sessions (units of work) and the async repository traits.
//!
//! Repositories are stateless values generic over a model; every call takes
//! the session it runs in by `&mut`, so several calls commit or roll back
//! together. Backends implement the small required traits ([`Database`],
//! [`Session`], [`Repository`], [`LinkRepository`]); the conveniences in
//! [`RepositoryExt`] are written once here on top of them. You MUST NOT
//! implement `RepositoryExt` yourself: it is implemented for every repository.

use std::future::Future;

use crate::audit::SharedClock;
use crate::base::{KeyOf, Model};
use crate::filter::Condition;
use crate::schema::{Dialect, Table};
use crate::slug::{self, SlugKey};
use crate::unique::{Unique, UniqueCache};
use crate::{Error, Result};

/// A connection pool of one backend, on one database.
pub trait Database: Clone + Send + Sync + 'static {
    /// The unit of work this database hands out.
    type Session: Session;

    /// The SQL dialect of the connected database.
    fn dialect(&self) -> Dialect;

    /// Starts a unit of work (a transaction).
    ///
    /// # Behavior
    /// - On SQLite the transaction takes the write lock at once (`BEGIN
    ///   IMMEDIATE`), so a read-then-write unit of work waits for other
    ///   writers (up to the busy timeout) instead of failing half-way.
    /// - The session stamps audit columns with this database's clock.
    ///
    /// # Errors
    /// [`Error::Busy`] when the lock could not be had in time;
    /// [`Error::Backend`] when no connection could be made.
    fn begin(&self) -> impl Future<Output = Result<Self::Session>> + Send;

    /// Creates `tables` (and their indexes) if they do not exist, in order.
    ///
    /// # Errors
    /// [`Error::Backend`] when a statement fails.
    fn create_tables(&self, tables: &[&Table]) -> impl Future<Output = Result<()>> + Send;
}

/// Conveniences for every [`Database`]. You MUST NOT implement this trait
/// yourself: it is implemented for every database.
pub trait DatabaseExt: Database {
    /// Runs `work` in a fresh session and commits it, running the whole unit
    /// of work again (up to `attempts` times in all) when it fails with a
    /// retryable error ([`Error::Busy`]: a lock wait that timed out, a
    /// deadlock or serialization victim).
    ///
    /// ```text
    /// let post = db
    ///     .transaction(3, |s| Box::pin(async move { posts.add(s, draft.clone()).await }))
    ///     .await?;
    /// ```
    ///
    /// # Behavior
    /// - `work` may run several times: it must not have effects outside the session.
    /// - A session whose work failed is rolled back before the next attempt.
    ///
    /// # Errors
    /// The first error that is not retryable, or the last [`Error::Busy`]
    /// once `attempts` are used up.
    fn transaction<T, F>(
        &self,
        attempts: u32,
        mut work: F,
    ) -> impl Future<Output = Result<T>> + Send
    where
        T: Send,
        F: for<'s> FnMut(
                &'s mut Self::Session,
            )
                -> std::pin::Pin<Box<dyn Future<Output = Result<T>> + Send + 's>>
            + Send,
    {
        async move {
            let mut left = attempts.max(1);
            loop {
                left -= 1;
                let outcome = match self.begin().await {
                    Ok(mut session) => match work(&mut session).await {
                        Ok(value) => session.commit().await.map(|()| value),
                        Err(e) => {
                            // The work's error matters more than a failed rollback.
                            let _ = session.rollback().await;
                            Err(e)
                        }
                    },
                    Err(e) => Err(e),
                };
                match outcome {
                    Err(e) if e.is_retryable() && left > 0 => continue,
                    other => return other,
                }
            }
        }
    }
}

impl<D: Database> DatabaseExt for D {}

/// A unit of work: one transaction plus the get-or-create cache.
///
/// Dropping a session without [`Session::commit`] rolls the transaction back.
pub trait Session: Send {
    /// Commits the transaction.
    ///
    /// # Errors
    /// [`Error::Busy`] or [`Error::Backend`] when the commit fails; nothing was written.
    fn commit(self) -> impl Future<Output = Result<()>> + Send;

    /// Rolls the transaction back and forgets every cached row.
    ///
    /// # Errors
    /// [`Error::Backend`] when the connection failed; nothing was written either way.
    fn rollback(self) -> impl Future<Output = Result<()>> + Send;

    /// The rows cached by get-or-create in this unit of work.
    fn unique_cache(&mut self) -> &mut UniqueCache;

    /// The clock that stamps audit columns.
    fn clock(&self) -> &SharedClock;

    /// Statements this session has sent through the library (not through the
    /// native escape hatch); lets tests prove that a call sent nothing.
    fn statements(&self) -> u64;
}

/// The required repository operations for one model; see [`RepositoryExt`]
/// for the conveniences built on them.
pub trait Repository: Send + Sync {
    /// The model stored.
    type Model: Model;
    /// The session every call runs in.
    type Session: Session;

    /// Inserts one row and returns it as stored.
    ///
    /// # Behavior
    /// - An unset client key is generated; a database key is read back.
    /// - Audit columns are both set to the session clock's now (microseconds).
    ///
    /// # Errors
    /// [`Error::DuplicateKey`], [`Error::ForeignKey`], [`Error::Backend`].
    fn add(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// Inserts many rows with batched statements (not a statement per row)
    /// and returns them as stored, in input order, with their keys.
    ///
    /// # Errors
    /// As [`Repository::add`]; on an error no row of the call is kept if the
    /// session is rolled back.
    fn add_many(
        &self,
        session: &mut Self::Session,
        models: Vec<Self::Model>,
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send;

    /// The row with primary key `key`.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the table and the key.
    fn get(
        &self,
        session: &mut Self::Session,
        key: &KeyOf<Self::Model>,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// The one row matching `filter`, or `None`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown field (nothing is sent);
    /// [`Error::MultipleResults`] when several rows match.
    fn get_one_or_none(
        &self,
        session: &mut Self::Session,
        filter: &Condition,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send;

    /// Writes every column of `model` but the key and `created_at`, bumps
    /// `updated_at`, and returns the row as stored.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has the model's key;
    /// [`Error::DuplicateKey`], [`Error::ForeignKey`].
    fn update(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// Deletes the row with primary key `key` and returns it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such row; [`Error::ForeignKey`].
    fn delete(
        &self,
        session: &mut Self::Session,
        key: &KeyOf<Self::Model>,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// Inserts `model` unless a row with the same values in `conflict_columns`
    /// exists (`INSERT .. ON CONFLICT (..) DO NOTHING`); returns the stored
    /// row, or `None` when one existed. Waits for a concurrent insert of the
    /// same key to settle instead of failing.
    ///
    /// # Errors
    /// [`Error::DuplicateKey`] only for a conflict on a *different* unique constraint.
    fn add_if_absent(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
        conflict_columns: &[&str],
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send;
}

/// Conveniences for every [`Repository`], written once on its required methods.
pub trait RepositoryExt: Repository {
    /// The existing row with `candidate`'s natural key, or `candidate` inserted.
    /// Advanced Alchemy's `as_unique_async`.
    ///
    /// # Behavior
    /// - A key already seen in this session is answered from the session's
    ///   cache, without a statement.
    /// - Otherwise SELECT; if absent, `INSERT .. ON CONFLICT DO NOTHING`; if a
    ///   concurrent caller won that race, SELECT its row. No caller ever sees
    ///   a duplicate-key error for the natural key.
    ///
    /// # Errors
    /// [`Error::DuplicateKey`] when the candidate clashes with another row on a
    /// different unique constraint; [`Error::Busy`], [`Error::Backend`].
    fn get_or_create(
        &self,
        session: &mut Self::Session,
        candidate: Self::Model,
    ) -> impl Future<Output = Result<Self::Model>> + Send
    where
        Self::Model: Unique,
    {
        async move {
            let key = candidate.unique_key();
            if let Some(row) = session.unique_cache().get::<Self::Model>(&key) {
                return Ok(row.clone());
            }
            let filter = <Self::Model as Unique>::unique_filter(&key);
            let row = match self.get_one_or_none(session, &filter).await? {
                Some(row) => row,
                None => {
                    let columns = <Self::Model as Unique>::unique_columns();
                    match self.add_if_absent(session, candidate, columns).await? {
                        Some(row) => row,
                        None => self
                            .get_one_or_none(session, &filter)
                            .await?
                            .ok_or_else(|| {
                                // Only possible under a snapshot older than the
                                // winning insert (REPEATABLE READ or stricter).
                                Error::Busy {
                                    source: format!(
                                        "{}: row {key:?} was inserted concurrently but is not visible to this transaction",
                                        Self::Model::table().name()
                                    )
                                    .into(),
                                }
                            })?,
                    }
                }
            };
            session.unique_cache().insert(row.clone());
            Ok(row)
        }
    }

    /// Whether a row with this slug exists.
    ///
    /// # Errors
    /// [`Error::Backend`].
    fn slug_exists(
        &self,
        session: &mut Self::Session,
        slug: &str,
    ) -> impl Future<Output = Result<bool>> + Send
    where
        Self::Model: SlugKey,
    {
        let filter = Condition::eq(slug::SLUG, slug);
        async move { Ok(self.get_one_or_none(session, &filter).await?.is_some()) }
    }

    /// A slug for `name` that no row uses yet.
    ///
    /// # Behavior
    /// - `slugify(name)` when it is free; otherwise that slug plus `-` and 4
    ///   random `[a-z0-9]` characters, checked again until a free one is found.
    /// - The check is a read: two concurrent callers can pick the same free
    ///   slug, and the unique constraint makes the second insert fail with
    ///   [`Error::DuplicateKey`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `name` slugifies to nothing;
    /// [`Error::Busy`] after 32 taken suffixes in a row.
    fn available_slug(
        &self,
        session: &mut Self::Session,
        name: &str,
    ) -> impl Future<Output = Result<String>> + Send
    where
        Self::Model: SlugKey,
    {
        let base = slug::slugify(name);
        async move {
            let base = base?;
            if !self.slug_exists(session, &base).await? {
                return Ok(base);
            }
            for _ in 0..32 {
                let candidate = slug::with_random_suffix(&base);
                if !self.slug_exists(session, &candidate).await? {
                    return Ok(candidate);
                }
            }
            Err(Error::Busy {
                source: format!("no free slug found for `{base}` after 32 random suffixes").into(),
            })
        }
    }
}

impl<R: Repository + ?Sized> RepositoryExt for R {}

/// A many-to-many association table between two models, e.g. `post_tag`.
///
/// Its rows are pairs of keys (composite primary key, both foreign keys
/// `ON DELETE CASCADE`): deleting either side removes its links.
pub trait LinkRepository: Send + Sync {
    /// The model on the left (e.g. the post).
    type Left: Model;
    /// The model on the right (e.g. the tag).
    type Right: Model;
    /// The session every call runs in.
    type Session: Session;

    /// Links `left` to `right`; linking twice is not an error.
    ///
    /// # Errors
    /// [`Error::ForeignKey`] when either row does not exist.
    fn attach(
        &self,
        session: &mut Self::Session,
        left: &KeyOf<Self::Left>,
        right: &KeyOf<Self::Right>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Removes the link; returns whether there was one.
    ///
    /// # Errors
    /// [`Error::Backend`].
    fn detach(
        &self,
        session: &mut Self::Session,
        left: &KeyOf<Self::Left>,
        right: &KeyOf<Self::Right>,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The right-hand rows linked to `left`, ordered by their key.
    ///
    /// # Errors
    /// [`Error::Backend`].
    fn right_of(
        &self,
        session: &mut Self::Session,
        left: &KeyOf<Self::Left>,
    ) -> impl Future<Output = Result<Vec<Self::Right>>> + Send;
}
