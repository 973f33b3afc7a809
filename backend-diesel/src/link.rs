//! Many-to-many association tables: core's [`DriverLinkRepository`] over a
//! diesel session.

use alchemy_core::driver::DriverLinkRepository;

use crate::session::DieselSession;

/// The association table `table (left_column, right_column)` between
/// diesel models `L` and `R`, made by
/// `DieselLinkRepository::new(table, left_column, right_column)`:
///
/// ```text
/// let links = DieselLinkRepository::<Post, Tag>::new("post_tag", "post_id", "tag_id");
/// ```
///
/// The table needs a primary or unique key over both columns (so attaching
/// twice is a no-op); `ON DELETE CASCADE` foreign keys make deleting either
/// side remove its links. The statements are [`DriverLinkRepository`]'s.
pub type DieselLinkRepository<L, R> = DriverLinkRepository<L, R, DieselSession>;
