//! [`SeaRepository`]: core's [`DriverRepository`], written once for every
//! backend, over a SeaORM session, for any entity whose model implements
//! [`alchemy_core::Model`].

use alchemy_core::driver::DriverRepository;
use alchemy_core::{Error, Result};
use sea_orm::{EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn};

use crate::session::SeaSession;

/// The repository of entity `E`: core's one implementation of
/// [`alchemy_core::Repository`] (and so of
/// [`RepositoryExt`](alchemy_core::RepositoryExt)) for every SeaORM entity
/// whose `Model` implements [`alchemy_core::Model`]; every method follows the
/// contract documented there.
///
/// The repository is stateless; every call runs in the [`SeaSession`] it is
/// given. Statements are written by the library from the model's table and
/// run as SeaORM raw statements, every value bound; rows decode through the
/// entity's `FromQueryResult`. It fills keys and audit columns itself on
/// every path, so it does not depend on `ActiveModelBehavior::before_save`
/// (see [`crate::hooks`] for SeaORM's own save path).
pub type SeaRepository<E> = DriverRepository<<E as EntityTrait>::Model, SeaSession>;

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
