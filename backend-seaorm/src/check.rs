//! A model's table checked against its SeaORM entity: the entity's
//! columns by name, order and nullability, once per model on its first
//! statement (see [`alchemy_core::driver::declaration`]).

use alchemy_core::driver::declaration::{self, DeclaredColumn};
use alchemy_core::{Model, Result};
use sea_orm::{ColumnTrait, EntityName, EntityTrait, IdenStatic, Iterable, ModelTrait};

/// Checks, once per model, that `M`'s entity columns are its table's.
///
/// # Errors
/// [`alchemy_core::Error::InvalidInput`] naming the first difference.
pub(crate) fn declaration<M: Model + ModelTrait>() -> Result<()> {
    declaration::check_once::<M>(|| {
        let declared: Vec<DeclaredColumn> =
            <<M as ModelTrait>::Entity as EntityTrait>::Column::iter()
                .map(|c| DeclaredColumn {
                    name: c.as_str().to_string(),
                    nullable: c.def().is_null(),
                })
                .collect();
        let entity = <M as ModelTrait>::Entity::default();
        declaration::compare(
            std::any::type_name::<M>(),
            M::table(),
            "its SeaORM entity",
            entity.table_name(),
            &declared,
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a failure should panic
    use alchemy_core::base::BigIntBase;
    use alchemy_core::schema::{Column, ColumnType};
    use alchemy_core::{Database, Error, Repository, Session};

    use crate::{SeaDb, SeaRepository};

    /// `memo` as the entity declares it: `text` where the library has `title`.
    #[allow(unreachable_pub)]
    mod memo {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "memo")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub text: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    alchemy_core::impl_model!(
        memo::Model,
        BigIntBase,
        table = "memo",
        plain,
        |t| t.column(Column::new("title", ColumnType::Text)),
        fields(text as "title")
    );

    /// `body` NOT NULL in the entity, nullable in the library.
    #[allow(unreachable_pub)]
    mod body {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "body")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub body: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    alchemy_core::impl_model!(
        body::Model,
        BigIntBase,
        table = "body",
        plain,
        |t| t.column(Column::new("body", ColumnType::Text).nullable()),
        fields(body)
    );

    /// An entity unlike the library's table fails the model's first
    /// statement, naming the difference, before anything is sent.
    #[tokio::test]
    async fn an_entity_unlike_the_library_table_is_refused_before_sending() {
        let db = SeaDb::connect("sqlite::memory:").await.unwrap();
        let mut s = db.begin().await.unwrap();
        let e = SeaRepository::<memo::Entity>::new()
            .count(&mut s, None)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("column 2 is `title` in the table, `text` in its SeaORM entity"),
            "{e}"
        );
        let e = SeaRepository::<body::Entity>::new()
            .count(&mut s, None)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("column `body` is nullable in the table, NOT NULL in its SeaORM entity"),
            "{e}"
        );
        assert_eq!(s.statements(), 0, "nothing was sent");
    }
}
