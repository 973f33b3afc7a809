//! The unit of work: a sqlx transaction plus the get-or-create cache.

use std::fmt;

use alchemy_core::audit::SharedClock;
use alchemy_core::identity::Loaded;
use alchemy_core::unique::UniqueCache;
use alchemy_core::{Result, Session};
use sqlx::Transaction;

use crate::backend::SqlxBackend;
use crate::error::convert;

/// One transaction. Dropping it without [`Session::commit`] rolls back.
pub struct SqlxSession<DB: SqlxBackend> {
    tx: Transaction<'static, DB>,
    cache: UniqueCache,
    loaded: Loaded,
    clock: SharedClock,
    statements: u64,
}

impl<DB: SqlxBackend> fmt::Debug for SqlxSession<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlxSession")
            .field("dialect", &DB::DIALECT)
            .field("statements", &self.statements)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl<DB: SqlxBackend> SqlxSession<DB> {
    pub(crate) fn new(tx: Transaction<'static, DB>, clock: SharedClock) -> Self {
        Self {
            tx,
            cache: UniqueCache::new(),
            loaded: Loaded::new(),
            clock,
            statements: 0,
        }
    }

    /// The transaction's connection, for hand-written queries in the same
    /// unit of work (`query(..).fetch_all(session.conn())`).
    ///
    /// Rows written this way are not seen by the get-or-create cache.
    pub fn conn(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }

    /// The connection, counting one statement (used by the repositories).
    pub(crate) fn conn_for_statement(&mut self) -> &mut DB::Connection {
        self.statements += 1;
        &mut self.tx
    }
}

impl<DB: SqlxBackend> Session for SqlxSession<DB> {
    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(convert)
    }

    async fn rollback(mut self) -> Result<()> {
        self.cache.clear();
        self.loaded.clear();
        self.tx.rollback().await.map_err(convert)
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
