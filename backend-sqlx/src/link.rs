//! Many-to-many association tables: core's [`DriverLinkRepository`] over a
//! sqlx session.

use alchemy_core::driver::DriverLinkRepository;

use crate::session::SqlxSession;

/// The association table `table (left_column, right_column)` between `L`
/// and `R` on database `DB`, made by
/// `SqlxLinkRepository::new(table, left_column, right_column)`.
///
/// The table needs a primary or unique key over both columns (so attaching
/// twice is a no-op); `ON DELETE CASCADE` foreign keys make deleting either
/// side remove its links. The statements are [`DriverLinkRepository`]'s.
pub type SqlxLinkRepository<L, R, DB> = DriverLinkRepository<L, R, SqlxSession<DB>>;
