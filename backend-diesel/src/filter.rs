//! A core [`Condition`] as a diesel boolean expression, for `.filter(..)`.

use std::borrow::Cow;

use alchemy_core::Result;
use alchemy_core::filter::{Condition, TextMatch, Value, like_to_glob, literal_pattern};
use alchemy_core::schema::{Table, quote};
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Double, Text};
use diesel::sqlite::Sqlite;

/// A [`Condition`] checked against a table, usable as a diesel boolean
/// expression: `post::table.filter(Filter::new(&cond, Post::table())?)`.
///
/// Follows the semantics of [`alchemy_core::filter`]: column names come from
/// the checked condition and are quoted; every value is converted to its
/// column's type and bound as a parameter of that SQL type
/// ([`Value::Uuid`] as [`crate::types::Uuid`], [`Value::Timestamp`] as
/// [`crate::types::Timestamp`]); `Eq` with [`Value::Null`] is `IS NULL`; an
/// empty `And`/`NotIn` is true, an empty `Or`/`In` false; `LIKE` patterns use
/// `\` as escape; case-sensitive matches use `GLOB` on SQLite (whose `LIKE`
/// folds case) and case-insensitive ones `ILIKE` on PostgreSQL.
#[derive(Debug, Clone)]
pub struct Filter {
    node: Node,
}

/// The condition, lowered to what both dialects render.
#[derive(Debug, Clone)]
enum Node {
    /// A constant, e.g. `1 = 0`.
    Constant(&'static str),
    /// `"field" <op> value`.
    Compare {
        field: Cow<'static, str>,
        op: &'static str,
        value: Value,
    },
    /// `"field" IS [NOT] NULL`.
    Null {
        field: Cow<'static, str>,
        negated: bool,
    },
    /// `"field" BETWEEN low AND high`.
    Between {
        field: Cow<'static, str>,
        low: Value,
        high: Value,
    },
    /// `"field" [NOT] IN (..)` with at least one value.
    In {
        field: Cow<'static, str>,
        values: Vec<Value>,
        negated: bool,
    },
    /// A pattern match: `like` is the `LIKE` pattern (`\` escapes), `glob`
    /// the equivalent case-sensitive SQLite `GLOB` pattern.
    Like {
        field: Cow<'static, str>,
        like: String,
        glob: String,
        case_insensitive: bool,
    },
    /// `NOT (..)`.
    Not(Box<Node>),
    /// `(a <joiner> b ..)` with at least one member.
    Group {
        joiner: &'static str,
        members: Vec<Node>,
    },
}

/// A column's quoted name, borrowed from a `'static` table when there is one.
type Name<'a> = &'a dyn Fn(&str) -> Result<Cow<'static, str>>;

fn like(field: Cow<'static, str>, pattern: String, case_insensitive: bool) -> Node {
    Node::Like {
        field,
        glob: like_to_glob(&pattern),
        like: pattern,
        case_insensitive,
    }
}

fn group(joiner: &'static str, empty: &'static str, members: Vec<Node>) -> Node {
    if members.is_empty() {
        Node::Constant(empty)
    } else {
        Node::Group { joiner, members }
    }
}

/// `condition` (checked) lowered, its values copied and its fields named by `name`.
fn lower(condition: &Condition, name: Name<'_>) -> Result<Node> {
    Ok(match condition {
        Condition::Eq { field, value } => match value {
            Value::Null => Node::Null {
                field: name(field)?,
                negated: false,
            },
            value => Node::Compare {
                field: name(field)?,
                op: "=",
                value: value.clone(),
            },
        },
        Condition::Compare { field, op, value } => Node::Compare {
            field: name(field)?,
            op: op.sql(),
            value: value.clone(),
        },
        Condition::Between { field, low, high } => Node::Between {
            field: name(field)?,
            low: low.clone(),
            high: high.clone(),
        },
        Condition::In { values, .. } if values.is_empty() => Node::Constant("1 = 0"),
        Condition::NotIn { values, .. } if values.is_empty() => Node::Constant("1 = 1"),
        Condition::In { field, values } => Node::In {
            field: name(field)?,
            values: values.clone(),
            negated: false,
        },
        Condition::NotIn { field, values } => Node::In {
            field: name(field)?,
            values: values.clone(),
            negated: true,
        },
        Condition::Like {
            field,
            pattern,
            case_insensitive,
        } => like(name(field)?, pattern.clone(), *case_insensitive),
        Condition::Text {
            field,
            matching,
            value,
            case_insensitive,
        } => like(
            name(field)?,
            literal_pattern(*matching, value),
            *case_insensitive,
        ),
        Condition::IsNull { field } => Node::Null {
            field: name(field)?,
            negated: false,
        },
        Condition::IsNotNull { field } => Node::Null {
            field: name(field)?,
            negated: true,
        },
        Condition::Search {
            fields,
            value,
            case_insensitive,
        } => {
            let pattern = literal_pattern(TextMatch::Contains, value);
            let members = fields
                .iter()
                .map(|f| Ok(like(name(f)?, pattern.clone(), *case_insensitive)))
                .collect::<Result<_>>()?;
            group(" OR ", "1 = 0", members)
        }
        Condition::NotInSearch {
            fields,
            value,
            case_insensitive,
        } => {
            let pattern = literal_pattern(TextMatch::Contains, value);
            // A NULL field contains nothing, so it does not contain the value.
            let members = fields
                .iter()
                .map(|f| {
                    Ok(Node::Group {
                        joiner: " OR ",
                        members: vec![
                            Node::Null {
                                field: name(f)?,
                                negated: false,
                            },
                            Node::Not(Box::new(like(name(f)?, pattern.clone(), *case_insensitive))),
                        ],
                    })
                })
                .collect::<Result<_>>()?;
            group(" AND ", "1 = 1", members)
        }
        Condition::And(all) => group(
            " AND ",
            "1 = 1",
            all.iter().map(|c| lower(c, name)).collect::<Result<_>>()?,
        ),
        Condition::Or(all) => group(
            " OR ",
            "1 = 0",
            all.iter().map(|c| lower(c, name)).collect::<Result<_>>()?,
        ),
        _ => {
            return Err(alchemy_core::Error::NotSupported {
                operation: "this filter condition",
                backend: "alchemy-diesel",
            });
        }
    })
}

impl Filter {
    /// Checks every field of `condition` against `table` and converts its
    /// values to their columns' types ([`Condition::checked`]).
    ///
    /// # Errors
    /// [`alchemy_core::Error::InvalidInput`] naming the first unknown field or
    /// unsuitable value; [`alchemy_core::Error::NotSupported`] for a condition
    /// kind this backend does not know.
    pub fn new(condition: &Condition, table: &Table) -> Result<Self> {
        let checked = condition.checked_ref(table)?;
        Ok(Self {
            node: lower(&checked, &|field| Ok(Cow::Owned(quote(field))))?,
        })
    }

    /// As [`Filter::new`], for a table that lives for the whole program (a
    /// model's): the quoted column names are borrowed from it, not copied.
    ///
    /// # Errors
    /// As [`Filter::new`].
    pub fn of_static(condition: &Condition, table: &'static Table) -> Result<Self> {
        let checked = condition.checked_ref(table)?;
        Ok(Self {
            node: lower(&checked, &|field| {
                table.quoted_field(field).map(Cow::Borrowed)
            })?,
        })
    }
}

impl Expression for Filter {
    type SqlType = Bool;
}

impl<QS: ?Sized> AppearsOnTable<QS> for Filter {}

impl<QS: ?Sized> SelectableExpression<QS> for Filter {}

impl<GB> ValidGrouping<GB> for Filter {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl QueryId for Filter {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

macro_rules! walk {
    ($db:ty, $walk:ident, $value:ident, $sqlite:literal) => {
        fn $value<'b>(value: &'b Value, out: &mut AstPass<'_, 'b, $db>) -> diesel::QueryResult<()> {
            match value {
                // A literal, not user data: the same as a bound NULL.
                Value::Null => out.push_sql("NULL"),
                Value::Bool(v) => out.push_bind_param::<Bool, bool>(v)?,
                Value::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                Value::Float(v) => out.push_bind_param::<Double, f64>(v)?,
                Value::Text(v) => out.push_bind_param::<Text, String>(v)?,
                Value::Uuid(v) => out.push_bind_param::<crate::types::Uuid, uuid::Uuid>(v)?,
                Value::Timestamp(v) => out
                    .push_bind_param::<crate::types::Timestamp, chrono::DateTime<chrono::Utc>>(v)?,
                other => {
                    return Err(diesel::result::Error::SerializationError(
                        format!("unsupported filter value {other:?}").into(),
                    ));
                }
            }
            Ok(())
        }

        fn $walk<'b>(node: &'b Node, out: &mut AstPass<'_, 'b, $db>) -> diesel::QueryResult<()> {
            match node {
                Node::Constant(sql) => out.push_sql(sql),
                Node::Compare { field, op, value } => {
                    out.push_sql(field);
                    out.push_sql(" ");
                    out.push_sql(op);
                    out.push_sql(" ");
                    $value(value, out)?;
                }
                Node::Null { field, negated } => {
                    out.push_sql(field);
                    out.push_sql(if *negated { " IS NOT NULL" } else { " IS NULL" });
                }
                Node::Between { field, low, high } => {
                    out.push_sql(field);
                    out.push_sql(" BETWEEN ");
                    $value(low, out)?;
                    out.push_sql(" AND ");
                    $value(high, out)?;
                }
                Node::In {
                    field,
                    values,
                    negated,
                } => {
                    // The text differs with the list's length: not cached.
                    out.unsafe_to_cache_prepared();
                    out.push_sql(field);
                    out.push_sql(if *negated { " NOT IN (" } else { " IN (" });
                    for (i, v) in values.iter().enumerate() {
                        if i > 0 {
                            out.push_sql(", ");
                        }
                        $value(v, out)?;
                    }
                    out.push_sql(")");
                }
                Node::Like {
                    field,
                    like,
                    glob,
                    case_insensitive,
                } => {
                    out.push_sql(field);
                    if $sqlite && !*case_insensitive {
                        out.push_sql(" GLOB ");
                        out.push_bind_param::<Text, String>(glob)?;
                    } else {
                        out.push_sql(if !$sqlite && *case_insensitive {
                            " ILIKE "
                        } else {
                            " LIKE "
                        });
                        out.push_bind_param::<Text, String>(like)?;
                        out.push_sql(" ESCAPE '\\'");
                    }
                }
                Node::Not(inner) => {
                    out.push_sql("NOT (");
                    $walk(inner, out)?;
                    out.push_sql(")");
                }
                Node::Group { joiner, members } => {
                    out.push_sql("(");
                    for (i, m) in members.iter().enumerate() {
                        if i > 0 {
                            out.push_sql(joiner);
                        }
                        $walk(m, out)?;
                    }
                    out.push_sql(")");
                }
            }
            Ok(())
        }

        impl QueryFragment<$db> for Filter {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $db>) -> diesel::QueryResult<()> {
                out.push_sql("(");
                $walk(&self.node, &mut out)?;
                out.push_sql(")");
                Ok(())
            }
        }
    };
}

walk!(Pg, walk_pg, value_pg, false);
walk!(Sqlite, walk_sqlite, value_sqlite, true);
