//! Sessions (units of work) and the async repository traits.
//!
//! Repositories are stateless values generic over a model; every call takes
//! the session it runs in by `&mut`, so several calls commit or roll back
//! together. Backends implement the small required traits ([`Database`],
//! [`Session`], [`Repository`], [`LinkRepository`]); the conveniences in
//! [`RepositoryExt`] are written once here on top of them. You MUST NOT
//! implement `RepositoryExt` yourself: it is implemented for every repository.

use std::future::Future;

use crate::base::{KeyOf, Model};
use crate::filter::{Condition, Query};
use crate::pagination::{Cursor, KeysetPage, KeysetRequest, OffsetPagination};
use crate::schema::{Dialect, Table};
use crate::slug::{self, SlugKey};
use crate::unique::Unique;
use crate::value::Value;
use crate::{Error, Result};

pub use crate::session::Session;

/// A connection pool of one backend, on one database.
///
/// ```
/// use alchemy_core::{Database, Repository, Result, Session};
/// # use alchemy_core::{Model, base::BigIntAuditBase};
/// # use chrono::{DateTime, Utc};
/// # #[derive(Debug, Clone, Model)]
/// # #[model(base = BigIntAuditBase)]
/// # pub struct Post {
/// #     pub id: i64,
/// #     pub created_at: DateTime<Utc>,
/// #     pub updated_at: DateTime<Utc>,
/// #     #[model(varchar(200))]
/// #     pub title: String,
/// #     pub published: bool,
/// # }
///
/// /// Creates the tables and adds a first post, in one transaction.
/// async fn seed<D: Database, R: Repository<Model = Post, Session = D::Session>>(
///     db: &D,
///     posts: &R,
/// ) -> Result<Post> {
///     db.create_tables(&[Post::table()]).await?;
///     let mut s = db.begin().await?;
///     let post = posts
///         .add(&mut s, Post { id: 0, created_at: Default::default(), updated_at: Default::default(), title: "Hello".into(), published: false })
///         .await?;
///     s.commit().await?;
///     Ok(post)
/// }
/// ```
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
    /// The future `work` returns may borrow only the session: move into it
    /// what it needs, cloned (repositories are stateless values, cheap to
    /// clone).
    ///
    /// ```
    /// use alchemy_core::{DatabaseExt, Repository, Result};
    ///
    /// /// Adds `draft`, running the unit of work again (three times in all)
    /// /// when the database reports a lock conflict or a deadlock.
    /// async fn add_retrying<D, R>(db: &D, posts: R, draft: R::Model) -> Result<R::Model>
    /// where
    ///     D: DatabaseExt,
    ///     R: Repository<Session = D::Session> + Clone + 'static,
    ///     R::Model: Clone,
    /// {
    ///     db.transaction(3, |s| {
    ///         let (posts, draft) = (posts.clone(), draft.clone());
    ///         Box::pin(async move { posts.add(s, draft).await })
    ///     })
    ///     .await
    /// }
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

/// What [`Repository::upsert_many`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted<M> {
    /// The stored rows, in input order.
    pub rows: Vec<M>,
    /// How many rows were inserted.
    pub created: usize,
    /// How many existing rows were updated.
    pub updated: usize,
}

/// The required repository operations for one model; see [`RepositoryExt`]
/// for the conveniences built on them.
///
/// Every method works on its own session or inside a caller's unit of work:
/// several calls on one session commit or roll back together.
///
/// Code written against this trait runs on every backend's repository
/// (`SqlxRepository`, `DieselRepository`, `SeaRepository`):
///
/// ```
/// use alchemy_core::{Repository, Result, Session};
/// use alchemy_core::filter::{Condition, Query};
/// # use alchemy_core::{Model, base::BigIntAuditBase};
/// # use chrono::{DateTime, Utc};
/// # #[derive(Debug, Clone, Model)]
/// # #[model(base = BigIntAuditBase)]
/// # pub struct Post {
/// #     pub id: i64,
/// #     pub created_at: DateTime<Utc>,
/// #     pub updated_at: DateTime<Utc>,
/// #     #[model(varchar(200))]
/// #     pub title: String,
/// #     pub published: bool,
/// # }
///
/// /// Publishes a post and returns the drafts left, newest first.
/// async fn publish<R: Repository<Model = Post>>(
///     posts: &R,
///     s: &mut R::Session,
///     id: i64,
/// ) -> Result<Vec<Post>> {
///     let mut post = posts.get(s, &id).await?;
///     post.published = true;
///     posts.update(s, post).await?;
///     let drafts = Query::new()
///         .filter(Condition::eq("published", false))
///         .order_by_desc("created_at");
///     posts.list(s, &drafts).await
/// }
/// ```
pub trait Repository: Send + Sync {
    /// The model stored.
    type Model: Model;
    /// The session every call runs in.
    type Session: Session;

    /// Inserts one row and returns it as written, with its key.
    ///
    /// # Behavior
    /// - An unset client key is generated; an unset database key is made by
    ///   the database and read back (the key alone). A key the caller set is written as
    ///   given, whoever makes keys (on PostgreSQL an identity sequence is
    ///   moved past it, so later rows never collide with it).
    /// - Audit columns are both set to the session clock's now (microseconds).
    /// - Every value is checked first ([`crate::check`]): nothing is sent for
    ///   text too long for its column, a NUL, a timestamp out of range.
    /// - Every column is written from the model, so nothing but a key the
    ///   database makes is read back: the row returned is the model as
    ///   written, with its key.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the column; [`Error::DuplicateKey`],
    /// [`Error::ForeignKey`] (named on every database when the table has one
    /// foreign key), [`Error::Backend`]; [`Error::SessionFailed`] on a
    /// failed session (see [`crate::session`]).
    fn add(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// Inserts many rows with batched statements (not a statement per row;
    /// even chunks under the database's bind-parameter limit) and returns them
    /// as written, in input order, with their keys (read back only when the
    /// database makes them, as [`Repository::add`]; see [`crate::driver::insert`]
    /// for how keys read back are matched to the input without relying on
    /// the order of `RETURNING`). Every row is checked before the first
    /// statement is sent.
    ///
    /// # Errors
    /// As [`Repository::add`].
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

    /// The rows matching `query`'s filter, in its order, within its limit and offset.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown field, a value of the wrong
    /// type or one [`crate::check`] refuses, or a filter over the limits of
    /// [`crate::filter`] (nesting, bound values); nothing is sent.
    fn list(
        &self,
        session: &mut Self::Session,
        query: &Query,
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send;

    /// How many rows match `filter` (all rows for `None`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`].
    fn count(
        &self,
        session: &mut Self::Session,
        filter: Option<&Condition>,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// [`Repository::list`] plus the number of rows matching the filter
    /// ignoring limit and offset.
    ///
    /// # Behavior
    /// - A page past the end is empty and still reports the true total.
    /// - On the driver layer (every shipped backend) the page carries
    ///   `count(*) OVER ()`: one statement. Past the end, PostgreSQL keeps
    ///   one statement and one scan (the first `limit + offset` rows are
    ///   kept in a `WITH`, and its first row carries the total when nothing
    ///   is left); SQLite counts apart, which it does faster (see
    ///   [`SqlDialect::counts_past_the_end_apart`]). A limit of 0 is a
    ///   `count(*)` alone.
    ///
    /// [`SqlDialect::counts_past_the_end_apart`]: crate::dialect::SqlDialect::counts_past_the_end_apart
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`].
    fn list_and_count(
        &self,
        session: &mut Self::Session,
        query: &Query,
    ) -> impl Future<Output = Result<(Vec<Self::Model>, u64)>> + Send;

    /// Writes the columns of `model` that changed, bumps `updated_at`, and
    /// returns the row as stored.
    ///
    /// # Behavior
    /// - Compared with the row as this session last loaded or wrote it
    ///   ([`Session::loaded`]), only the columns that differ are written, so a
    ///   concurrent change to another column is kept. A row the session never
    ///   loaded has every column written.
    /// - The key and `created_at` are never written.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has the model's key;
    /// [`Error::DuplicateKey`], [`Error::ForeignKey`].
    fn update(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// Many updates in batched statements; returns the rows as stored, in
    /// input order. Unlike [`Repository::update`] it writes every column but
    /// the key and `created_at` (one statement carries many rows), and bumps
    /// `updated_at`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when any row does not exist (roll the session back:
    /// the others may have been written).
    fn update_many(
        &self,
        session: &mut Self::Session,
        models: Vec<Self::Model>,
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send;

    /// Inserts the rows whose `match_fields` values are new and updates the
    /// rows that exist, in batches.
    ///
    /// # Behavior
    /// - When `match_fields` carry a unique constraint (or are the key), a
    ///   native `INSERT .. ON CONFLICT (..) DO UPDATE`; otherwise a
    ///   select-then-write that is correct inside the caller's transaction:
    ///   a `SELECT` of the key, `created_at` and match columns of the stored
    ///   rows, [`Repository::add_many`] of the new ones, and an update by key
    ///   of the existing ones that writes every other column from the input
    ///   (one shared `SET` when every row has the same values) and reads
    ///   nothing back.
    /// - `created_at` of an existing row never changes; `updated_at` of every
    ///   updated row is bumped; keys of existing rows are kept.
    /// - No `match_fields` means the primary key (as in Advanced Alchemy).
    ///   Matched on the primary key, rows whose key is unset are new rows
    ///   with fresh keys, never matched with each other or a stored row.
    /// - A row carrying a key the database would otherwise make takes the
    ///   select-then-write path, so its key is written as given.
    /// - Rows come back in input order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown match field, a value
    /// [`crate::check`] refuses, or two input rows with the same match values; [`Error::MultipleResults`] when several
    /// stored rows match one input row; [`Error::Busy`] when a matched row
    /// was deleted by a concurrent transaction before the update (retry the
    /// unit of work).
    fn upsert_many(
        &self,
        session: &mut Self::Session,
        models: Vec<Self::Model>,
        match_fields: &[&str],
    ) -> impl Future<Output = Result<Upserted<Self::Model>>> + Send;

    /// Deletes the row with primary key `key` and returns it.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such row; [`Error::ForeignKey`].
    fn delete(
        &self,
        session: &mut Self::Session,
        key: &KeyOf<Self::Model>,
    ) -> impl Future<Output = Result<Self::Model>> + Send;

    /// Deletes the rows with these keys (chunked under the bind-parameter
    /// limit) and returns the rows deleted; missing keys are skipped.
    ///
    /// # Errors
    /// [`Error::ForeignKey`], [`Error::Backend`].
    fn delete_many(
        &self,
        session: &mut Self::Session,
        keys: &[KeyOf<Self::Model>],
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send;

    /// Deletes the rows matching `filter` and returns them.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`].
    fn delete_where(
        &self,
        session: &mut Self::Session,
        filter: &Condition,
    ) -> impl Future<Output = Result<Vec<Self::Model>>> + Send;

    /// Inserts `model` unless a row with the same values in `conflict_columns`
    /// exists; returns the stored row, or `None` when one existed.
    ///
    /// # Behavior
    /// - One `INSERT .. ON CONFLICT DO NOTHING RETURNING ..` with no conflict
    ///   target, so every unique index settles a concurrent insert of the
    ///   same row (waiting for it) instead of failing; PostgreSQL would
    ///   otherwise report a racing insert on a non-target index (the slug).
    /// - Only after a conflict: a count on `conflict_columns` tells the
    ///   usual case (the row exists: `None`) from a clash on another unique
    ///   constraint, which a plain insert inside a savepoint then reports
    ///   (the caller's transaction stays usable).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a conflict column the table does not have
    /// (nothing is sent); [`Error::DuplicateKey`] only for a conflict on a
    /// *different* unique constraint, naming it.
    fn add_if_absent(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
        conflict_columns: &[&str],
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send;

    /// The row with natural key `key`, or `None`: get-or-create's lookup.
    ///
    /// # Behavior
    /// - Selects the rows [`Unique::unique_filter`] matches, which the
    ///   [`Unique`] contract makes at most one.
    /// - The default runs [`Repository::list`] with a limit of 1; the
    ///   repositories of this crate's [`driver`](crate::driver) run one
    ///   statement written the same way for every key (`WHERE` each unique
    ///   column `= ?`), which a backend prepares once.
    ///
    /// ```
    /// # use alchemy_core::{Repository, Result, unique::Unique};
    /// async fn tag_exists<R: Repository>(tags: &R, s: &mut R::Session, name: &str) -> Result<bool>
    /// where
    ///     R::Model: Unique<UniqueKey = String>,
    /// {
    ///     Ok(tags.get_unique_or_none(s, &name.to_string()).await?.is_some())
    /// }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] as [`Repository::list`] for a key its
    /// columns cannot hold (nothing is sent).
    fn get_unique_or_none(
        &self,
        session: &mut Self::Session,
        key: &<Self::Model as Unique>::UniqueKey,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send
    where
        Self::Model: Unique,
    {
        let lookup = Query::new()
            .filter(<Self::Model as Unique>::unique_filter(key))
            .limit(1);
        async move { Ok(self.list(session, &lookup).await?.pop()) }
    }

    /// As [`Repository::get_unique_or_none`], reading the newest committed
    /// row: what get-or-create reads after a concurrent caller inserted the
    /// key first.
    ///
    /// # Behavior
    /// Where a plain read sees the transaction's snapshot (MariaDB's
    /// default REPEATABLE READ), a locking read (`LOCK IN SHARE MODE`);
    /// elsewhere the same read as [`Repository::get_unique_or_none`]. By
    /// default that method.
    ///
    /// # Errors
    /// As [`Repository::get_unique_or_none`].
    fn get_unique_newest_or_none(
        &self,
        session: &mut Self::Session,
        key: &<Self::Model as Unique>::UniqueKey,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send
    where
        Self::Model: Unique,
    {
        self.get_unique_or_none(session, key)
    }
}

/// Whether column `index` of `M` holds data (not the key or an audit column).
fn is_data_column<M: Model>(index: usize) -> bool {
    let table = M::table();
    let key = table.primary_key_columns().first().map(String::as_str);
    table.columns().get(index).is_some_and(|c| {
        Some(c.name.as_str()) != key
            && c.name != crate::audit::CREATED_AT
            && c.name != crate::audit::UPDATED_AT
    })
}

/// get-or-create past the session cache: SELECT the row with natural key
/// `key`; if absent, insert the candidate `make` builds (if a concurrent
/// caller won that race, SELECT its row); cache the row.
async fn find_or_insert<R, F>(
    repo: &R,
    session: &mut R::Session,
    key: &<R::Model as Unique>::UniqueKey,
    make: F,
) -> Result<R::Model>
where
    R: Repository + ?Sized,
    R::Model: Unique,
    F: FnOnce() -> Result<R::Model>,
{
    let row = match repo.get_unique_or_none(session, key).await? {
        Some(row) => row,
        None => {
            let columns = <R::Model as Unique>::unique_columns();
            match repo.add_if_absent(session, make()?, columns).await? {
                Some(row) => row,
                None => repo.get_unique_newest_or_none(session, key).await?.ok_or_else(|| {
                    // Only possible under a snapshot older than the winning
                    // insert (REPEATABLE READ or stricter).
                    Error::Busy {
                        source: format!(
                            "{}: row {key:?} was inserted concurrently but is not visible to this transaction",
                            R::Model::table().name()
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

/// Conveniences for every [`Repository`], written once on its required methods.
///
/// ```
/// use alchemy_core::{Repository, RepositoryExt, Result};
/// use alchemy_core::filter::{Condition, Query};
/// use alchemy_core::pagination::{KeysetRequest, OffsetPagination};
/// # use alchemy_core::{Model, base::BigIntAuditBase};
/// # use chrono::{DateTime, Utc};
/// # #[derive(Debug, Clone, Model)]
/// # #[model(base = BigIntAuditBase)]
/// # pub struct Post {
/// #     pub id: i64,
/// #     pub created_at: DateTime<Utc>,
/// #     pub updated_at: DateTime<Utc>,
/// #     #[model(varchar(200))]
/// #     pub title: String,
/// #     pub published: bool,
/// # }
///
/// async fn browse<R: Repository<Model = Post>>(posts: &R, s: &mut R::Session) -> Result<()> {
///     // One row by a unique column, or `Error::NotFound`.
///     let first = posts.get_by(s, "title", "Hello").await?;
///     // A page of 20 and the total over all pages.
///     let page: OffsetPagination<Post> = posts
///         .list_paginated(s, &Query::new().order_by("title").limit(20))
///         .await?;
///     // Cursor pages that stay fast however deep they go.
///     let keyset = posts.list_keyset(s, &KeysetRequest::new("created_at", 20)).await?;
///     if let Some(next) = keyset.next {
///         let request = KeysetRequest { after: Some(next), ..KeysetRequest::new("created_at", 20) };
///         posts.list_keyset(s, &request).await?;
///     }
///     let any_draft = posts.exists(s, &Condition::eq("published", false)).await?;
///     println!("{} {} {any_draft}", first.title, page.total);
///     Ok(())
/// }
/// ```
pub trait RepositoryExt: Repository {
    /// The one row matching `filter`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when none matches; [`Error::MultipleResults`] when
    /// several do; [`Error::InvalidInput`] for an unknown field.
    fn get_one(
        &self,
        session: &mut Self::Session,
        filter: &Condition,
    ) -> impl Future<Output = Result<Self::Model>> + Send {
        async move {
            self.get_one_or_none(session, filter)
                .await?
                .ok_or_else(|| Error::not_found(Self::Model::table().name(), format!("{filter:?}")))
        }
    }

    /// The one row matching `filter`, or `None`.
    ///
    /// # Errors
    /// [`Error::MultipleResults`] when several match; [`Error::InvalidInput`]
    /// for an unknown field (nothing is sent).
    fn get_one_or_none(
        &self,
        session: &mut Self::Session,
        filter: &Condition,
    ) -> impl Future<Output = Result<Option<Self::Model>>> + Send {
        // The depth is checked before the (recursive) clone.
        let query = filter
            .check_depth()
            .map(|()| Query::new().filter(filter.clone()).limit(2));
        async move {
            let mut rows = self.list(session, &query?).await?;
            match rows.len() {
                0 | 1 => Ok(rows.pop()),
                _ => Err(Error::MultipleResults {
                    entity: Self::Model::table().name().to_string(),
                }),
            }
        }
    }

    /// The row whose (unique) column `field` equals `value`.
    ///
    /// # Errors
    /// As [`RepositoryExt::get_one`].
    fn get_by(
        &self,
        session: &mut Self::Session,
        field: &str,
        value: impl Into<Value> + Send,
    ) -> impl Future<Output = Result<Self::Model>> + Send {
        let filter = Condition::eq(field, value);
        async move { self.get_one(session, &filter).await }
    }

    /// The row with this slug.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row has it.
    fn get_by_slug(
        &self,
        session: &mut Self::Session,
        slug: &str,
    ) -> impl Future<Output = Result<Self::Model>> + Send
    where
        Self::Model: SlugKey,
    {
        self.get_by(session, slug::SLUG, slug.to_string())
    }

    /// Whether any row matches `filter`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown field.
    fn exists(
        &self,
        session: &mut Self::Session,
        filter: &Condition,
    ) -> impl Future<Output = Result<bool>> + Send {
        // The depth is checked before the (recursive) clone.
        let query = filter
            .check_depth()
            .map(|()| Query::new().filter(filter.clone()).limit(1));
        async move { Ok(!self.list(session, &query?).await?.is_empty()) }
    }

    /// A page of rows and the total over all pages, as
    /// [`Repository::list_and_count`].
    ///
    /// # Errors
    /// As [`Repository::list`].
    fn list_paginated(
        &self,
        session: &mut Self::Session,
        query: &Query,
    ) -> impl Future<Output = Result<OffsetPagination<Self::Model>>> + Send {
        async move {
            let (items, total) = self.list_and_count(session, query).await?;
            Ok(OffsetPagination {
                items,
                limit: query.limit,
                offset: query.offset.unwrap_or(0),
                total,
            })
        }
    }

    /// A keyset page: rows ordered by `request.order_by` (ties broken by the
    /// key) after `request.after` or before `request.before`.
    ///
    /// # Behavior
    /// - `next` is set when rows follow the page; `previous` when rows precede it.
    /// - Cursors are opaque, URL-safe strings; they stay valid while rows are
    ///   added or removed elsewhere in the order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown field, a limit of 0, both
    /// `after` and `before`, a cursor this list did not make, or a NULL
    /// order-by value.
    fn list_keyset(
        &self,
        session: &mut Self::Session,
        request: &KeysetRequest,
    ) -> impl Future<Output = Result<KeysetPage<Self::Model>>> + Send {
        async move {
            let table = Self::Model::table();
            let key_field = table
                .primary_key_columns()
                .first()
                .cloned()
                .ok_or_else(|| Error::invalid_input("keyset pagination needs a primary key"))?;
            table.check_field(&request.order_by)?;
            if request.limit == 0 {
                return Err(Error::invalid_input(
                    "a keyset page needs a limit of at least 1",
                ));
            }
            if request.after.is_some() && request.before.is_some() {
                return Err(Error::invalid_input("give `after` or `before`, not both"));
            }
            let backward = request.before.is_some();
            // Read in the page's direction, flipped when walking backward.
            let descending_read = request.descending != backward;
            let mut query = Query::new();
            if let Some(f) = &request.filter {
                // The depth is checked before the (recursive) clone.
                f.check_depth()?;
                query = query.filter(f.clone());
            }
            if let Some(c) = request.after.as_deref().or(request.before.as_deref()) {
                let cursor = Cursor::decode(c)?;
                query = query.filter(cursor.beyond(&request.order_by, &key_field, descending_read));
            }
            query = if descending_read {
                query
                    .order_by_desc(request.order_by.clone())
                    .order_by_desc(key_field.clone())
            } else {
                query
                    .order_by(request.order_by.clone())
                    .order_by(key_field.clone())
            };
            let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
            let query = query.limit(request.limit.saturating_add(1));
            let mut items = self.list(session, &query).await?;
            let more = items.len() > limit;
            items.truncate(limit);
            if backward {
                items.reverse();
            }
            let cursor_of = |m: &Self::Model| -> Result<String> {
                Cursor {
                    value: crate::base::value_of(m, &request.order_by).unwrap_or(Value::Null),
                    key: crate::base::value_of(m, &key_field).unwrap_or(Value::Null),
                }
                .encode()
            };
            let (has_next, has_previous) = if backward {
                (true, more)
            } else {
                (more, request.after.is_some())
            };
            let next = match items.last() {
                Some(m) if has_next => Some(cursor_of(m)?),
                _ => None,
            };
            let previous = match items.first() {
                Some(m) if has_previous => Some(cursor_of(m)?),
                _ => None,
            };
            Ok(KeysetPage {
                items,
                next,
                previous,
            })
        }
    }

    /// Inserts or updates one row matched on `match_fields` (see
    /// [`Repository::upsert_many`]) and returns it as stored.
    ///
    /// # Errors
    /// As [`Repository::upsert_many`].
    fn upsert(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
        match_fields: &[&str],
    ) -> impl Future<Output = Result<Self::Model>> + Send {
        async move {
            let (row, _) = self.get_or_upsert(session, model, match_fields).await?;
            Ok(row)
        }
    }

    /// The row matching `model` on `match_fields`, brought up to date with
    /// `model`'s other columns, or `model` inserted; and whether it was created.
    ///
    /// # Errors
    /// As [`Repository::upsert_many`].
    fn get_or_upsert(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
        match_fields: &[&str],
    ) -> impl Future<Output = Result<(Self::Model, bool)>> + Send {
        async move {
            let mut done = self.upsert_many(session, vec![model], match_fields).await?;
            let created = done.created == 1;
            let row = done
                .rows
                .pop()
                .ok_or_else(|| Error::backend("upsert returned no row"))?;
            Ok((row, created))
        }
    }

    /// The existing row matching `model` on `match_fields`, updated with
    /// `model`'s other columns when any differ; and whether it was updated.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no row matches; [`Error::MultipleResults`].
    fn get_and_update(
        &self,
        session: &mut Self::Session,
        model: Self::Model,
        match_fields: &[&str],
    ) -> impl Future<Output = Result<(Self::Model, bool)>> + Send {
        async move {
            let filter = crate::base::match_condition(&model, match_fields)?;
            let existing = self.get_one(session, &filter).await?;
            let (old, new) = (existing.values(), model.values());
            let changed = (0..new.len())
                .any(|i| is_data_column::<Self::Model>(i) && old.get(i) != new.get(i));
            if !changed {
                return Ok((existing, false));
            }
            let mut merged = model;
            merged.set_key(existing.key().clone());
            if let Some(ts) = existing.timestamps() {
                merged.set_timestamps(ts);
            }
            Ok((self.update(session, merged).await?, true))
        }
    }

    /// Whether the database answers and this model's table can be read.
    ///
    /// # Errors
    /// [`Error::Backend`] (or [`Error::Busy`]) with the reason.
    fn check_health(&self, session: &mut Self::Session) -> impl Future<Output = Result<()>> + Send {
        let query = Query::new().limit(0);
        async move { self.list(session, &query).await.map(drop) }
    }

    /// The existing row with `candidate`'s natural key, or `candidate` inserted.
    /// Advanced Alchemy's `as_unique_async`.
    ///
    /// # Behavior
    /// - A key already seen in this session is answered from the session's
    ///   cache, without a statement.
    /// - Otherwise SELECT (one row: the natural key is unique); if absent,
    ///   [`Repository::add_if_absent`]; if a concurrent caller won that race,
    ///   SELECT its row. No caller ever sees a duplicate-key error for the
    ///   natural key.
    /// - [`RepositoryExt::get_or_create_with`] does the same from a key,
    ///   building the candidate only when no row has it.
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
            // A failed session answers nothing, not even from its cache.
            session.state().ensure_usable()?;
            let cache = session.unique_cache();
            let cached = candidate.with_unique_key(|key| cache.get::<Self::Model>(key).cloned());
            if let Some(row) = cached {
                debug_assert!(
                    candidate.with_unique_key(|k| *k == candidate.unique_key()),
                    "Unique::with_unique_key must pass the key unique_key returns"
                );
                return Ok(row);
            }
            let key = candidate.unique_key();
            find_or_insert(self, session, &key, || Ok(candidate)).await
        }
    }

    /// The existing row with natural key `key`, or the candidate `make`
    /// builds inserted: [`RepositoryExt::get_or_create`] for a caller that
    /// holds the key, as Advanced Alchemy's `as_unique_async` builds the
    /// object from its arguments only when no row has them. A cache hit or
    /// a found row builds nothing.
    ///
    /// ```
    /// use alchemy_core::base::BigIntBase;
    /// use alchemy_core::filter::Condition;
    /// use alchemy_core::schema::{Column, ColumnType};
    /// use alchemy_core::unique::Unique;
    /// use alchemy_core::{RepositoryExt, Result, impl_model};
    ///
    /// #[derive(Debug, Clone)]
    /// pub struct Tag {
    ///     pub id: i64,
    ///     pub name: String,
    /// }
    ///
    /// impl_model!(Tag, BigIntBase, plain, |t| t
    ///     .column(Column::new("name", ColumnType::VarChar(50)))
    ///     .unique(["name"]), fields(name));
    ///
    /// impl Unique for Tag {
    ///     type UniqueKey = String;
    ///     fn unique_columns() -> &'static [&'static str] {
    ///         &["name"]
    ///     }
    ///     fn unique_key(&self) -> String {
    ///         self.name.clone()
    ///     }
    ///     fn unique_filter(key: &String) -> Condition {
    ///         Condition::eq("name", key.as_str())
    ///     }
    /// }
    ///
    /// /// The tag named `name`; a new one is built only when none is stored.
    /// async fn tag<R: RepositoryExt<Model = Tag>>(
    ///     tags: &R,
    ///     s: &mut R::Session,
    ///     name: &str,
    /// ) -> Result<Tag> {
    ///     let key = name.to_string();
    ///     tags.get_or_create_with(s, &key, || Tag { id: 0, name: key.clone() })
    ///         .await
    /// }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the candidate's natural key is not `key`
    /// (nothing is inserted); otherwise as [`RepositoryExt::get_or_create`].
    fn get_or_create_with<F>(
        &self,
        session: &mut Self::Session,
        key: &<Self::Model as Unique>::UniqueKey,
        make: F,
    ) -> impl Future<Output = Result<Self::Model>> + Send
    where
        Self::Model: Unique,
        F: FnOnce() -> Self::Model + Send,
    {
        async move {
            session.state().ensure_usable()?;
            if let Some(row) = session.unique_cache().get::<Self::Model>(key) {
                return Ok(row.clone());
            }
            let make = || {
                let candidate = make();
                if candidate.with_unique_key(|k| k == key) {
                    Ok(candidate)
                } else {
                    Err(Error::invalid_input(format!(
                        "{}: the candidate's natural key {:?} is not the key looked up, {key:?}",
                        Self::Model::table().name(),
                        candidate.unique_key()
                    )))
                }
            };
            find_or_insert(self, session, key, make).await
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
///
/// ```
/// use alchemy_core::{KeyOf, LinkRepository, Model, Result};
///
/// /// Tags a post, then counts its tags.
/// async fn tag<L: LinkRepository>(
///     links: &L,
///     s: &mut L::Session,
///     post: &L::Left,
///     tag: &L::Right,
/// ) -> Result<usize> {
///     links.attach(s, post.key(), tag.key()).await?;
///     Ok(links.right_of(s, post.key()).await?.len())
/// }
/// ```
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
