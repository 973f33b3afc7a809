//! [`link_repository!`](crate::link_repository!): the
//! [`alchemy_core::LinkRepository`] of a diesel association table.
//!
//! The association table is a `table!` with the two key columns (composite
//! primary key, both foreign keys `ON DELETE CASCADE` in the DDL), a
//! `joinable!(link -> right (right_id))` and the three tables in one
//! `allow_tables_to_appear_in_same_query!`.

/// Generates a link repository type implementing
/// [`alchemy_core::LinkRepository`] for an association table.
///
/// ```text
/// alchemy_diesel::link_repository! {
///     /// Tags of posts.
///     pub struct PostTagRepository for post_tag::table {
///         left: Post => post_tag::post_id,
///         right: Tag => post_tag::tag_id,
///         join: tag::table,
///         order: tag::id,
///     }
/// }
/// ```
///
/// - `attach` is `INSERT .. ON CONFLICT DO NOTHING` (linking twice is fine;
///   a missing row is [`alchemy_core::Error::ForeignKey`]).
/// - `detach` is a `DELETE` of the pair; it returns whether a row went.
/// - `right_of` joins the right table and orders by `order`.
#[macro_export]
macro_rules! link_repository {
    ($(#[$meta:meta])* $vis:vis struct $name:ident for $table:path {
        left: $left:ty => $left_col:path,
        right: $right:ty => $right_col:path,
        join: $right_table:path,
        order: $right_key:path $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;

        impl $crate::__private::alchemy_core::LinkRepository for $name {
            type Left = $left;
            type Right = $right;
            type Session = $crate::Session;

            async fn attach(
                &self,
                session: &mut $crate::Session,
                left: &$crate::__private::alchemy_core::KeyOf<$left>,
                right: &$crate::__private::alchemy_core::KeyOf<$right>,
            ) -> $crate::__private::alchemy_core::Result<()> {
                use $crate::__private::diesel::{self, ExpressionMethods as _};
                let result = $crate::__with_connection!(session, |conn| {
                    $crate::__private::diesel_async::RunQueryDsl::execute(
                        diesel::insert_into($table)
                            .values((
                                $left_col.eq($crate::types::SqlKey::sql_value(left)),
                                $right_col.eq($crate::types::SqlKey::sql_value(right)),
                            ))
                            .on_conflict_do_nothing(),
                        conn,
                    )
                    .await
                });
                session.__sent(::std::option::Option::None, result).map(|_| ())
            }

            async fn detach(
                &self,
                session: &mut $crate::Session,
                left: &$crate::__private::alchemy_core::KeyOf<$left>,
                right: &$crate::__private::alchemy_core::KeyOf<$right>,
            ) -> $crate::__private::alchemy_core::Result<bool> {
                use $crate::__private::diesel::{self, ExpressionMethods as _, QueryDsl as _};
                let result = $crate::__with_connection!(session, |conn| {
                    $crate::__private::diesel_async::RunQueryDsl::execute(
                        diesel::delete(
                            $table
                                .filter($left_col.eq($crate::types::SqlKey::sql_value(left)))
                                .filter($right_col.eq($crate::types::SqlKey::sql_value(right))),
                        ),
                        conn,
                    )
                    .await
                });
                session.__sent(::std::option::Option::None, result).map(|n| n > 0)
            }

            async fn right_of(
                &self,
                session: &mut $crate::Session,
                left: &$crate::__private::alchemy_core::KeyOf<$left>,
            ) -> $crate::__private::alchemy_core::Result<::std::vec::Vec<$right>> {
                use $crate::__private::diesel::{self, ExpressionMethods as _, QueryDsl as _, SelectableHelper as _};
                let result: $crate::__private::diesel::QueryResult<::std::vec::Vec<$right>> =
                    $crate::__with_connection!(session, |conn| {
                        $crate::__private::diesel_async::RunQueryDsl::load(
                            $right_table
                                .inner_join($table)
                                .filter($left_col.eq($crate::types::SqlKey::sql_value(left)))
                                .select(<$right>::as_select())
                                .order($right_key),
                            conn,
                        )
                        .await
                    });
                session.__sent(::std::option::Option::None, result)
            }
        }
    };
}
