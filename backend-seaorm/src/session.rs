//! The [`Session`]: a SeaORM transaction, the get-or-create cache, the clock
//! and a statement counter.

use alchemy_core::Result;
use alchemy_core::audit::SharedClock;
use alchemy_core::identity::Loaded;
use alchemy_core::unique::UniqueCache;
use sea_orm::DatabaseTransaction;

use crate::error::from_db;

/// A unit of work: one SeaORM [`DatabaseTransaction`] plus the
/// [`UniqueCache`] of get-or-create, the clock and a statement counter.
///
/// Dropping a session without committing rolls the transaction back (SeaORM
/// does so when a [`DatabaseTransaction`] is dropped).
pub struct Session {
    tx: DatabaseTransaction,
    cache: UniqueCache,
    loaded: Loaded,
    clock: SharedClock,
    statements: u64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("cache", &self.cache)
            .field("clock", &self.clock)
            .field("statements", &self.statements)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(tx: DatabaseTransaction, clock: SharedClock) -> Self {
        Self {
            tx,
            cache: UniqueCache::new(),
            loaded: Loaded::new(),
            clock,
            statements: 0,
        }
    }

    /// The native SeaORM transaction: the escape hatch for hand-written
    /// queries (`Entity::find().all(session.transaction())`). Statements sent
    /// through it are part of this unit of work but are not counted by
    /// [`statements`](alchemy_core::Session::statements), and rows they
    /// change are not seen by the get-or-create cache.
    pub fn transaction(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// The transaction, counting one statement about to be sent through it.
    pub(crate) fn counted(&mut self) -> &DatabaseTransaction {
        self.statements += 1;
        &self.tx
    }
}

impl alchemy_core::Session for Session {
    /// Commits the transaction.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Busy`] or [`alchemy_core::Error::Backend`].
    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(from_db)
    }

    /// Rolls back; the cache goes with the session.
    ///
    /// # Errors
    /// [`alchemy_core::Error::Backend`].
    async fn rollback(mut self) -> Result<()> {
        self.cache.clear();
        self.loaded.clear();
        self.tx.rollback().await.map_err(from_db)
    }

    fn unique_cache(&mut self) -> &mut UniqueCache {
        &mut self.cache
    }

    fn loaded(&mut self) -> &mut Loaded {
        &mut self.loaded
    }

    fn clock(&self) -> &SharedClock {
        &self.clock
    }

    fn statements(&self) -> u64 {
        self.statements
    }
}
