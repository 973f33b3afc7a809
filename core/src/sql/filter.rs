//! Conditions and queries as SQL, written once for every backend.
//!
//! The semantics are those of [`crate::filter`]. What the text looks like:
//! - Every value is bound. Identifiers come from the model's table, quoted.
//! - Lists (`In`, `NotIn`): `c = ANY($1)` / `c <> ALL($1)` with one array
//!   on PostgreSQL, one statement text for any length; on SQLite
//!   `c IN (?, ..)` up to [`INLINE_LIST`] values, above it
//!   `c IN (SELECT value FROM json_each(?))` with one JSON array, so a list
//!   of any length binds one value and stays under SQLite's 32,766.
//! - Wide groups: in an `And`/`Or` of at least [`MERGE_AT`] members, the
//!   members that test one column the same way become one test: `Eq`s (and
//!   `In`s) of an `Or` one list, `Ne`s (and `NotIn`s) of an `And` one
//!   `NOT IN` list, comparisons one `> ANY`/`> ALL` (SQLite: against the
//!   `min`/`max` of a JSON array), text matches of an `Or` one
//!   `LIKE ANY` (SQLite: an `EXISTS` over a JSON array). Each is one bound
//!   value, whatever the count.
//! - Groups are written flat up to 8 members and as a balanced tree of
//!   parentheses above, so a group of 100,000 members nests about 14 deep:
//!   SQLite refuses expressions nested deeper than 1,000.
//!
//! Limits, the same on every database, checked before anything is sent:
//! at most [`MAX_BOUND_VALUES`] bound values per filter (after merging), and
//! at most [`MAX_SQL_DEPTH`] levels of SQL expression.

use super::SqlWriter;
use crate::dialect::{Dialect, JsonList, Lists, Pattern, SqlDialect};
use crate::filter::{CompareOp, Condition, Query, TextMatch, like_to_glob, literal_pattern};
use crate::schema::{ColumnType, Table};
use crate::value::Value;
use crate::{Error, Result};

/// The most values a filter may bind, after merging wide groups: below
/// SQLite's 32,766 with room for the rest of the statement, and the same
/// on PostgreSQL (65,535) so that a filter works on every database or on none.
pub const MAX_BOUND_VALUES: usize = 32_000;

/// The deepest SQL expression a filter may make (SQLite refuses 1,000).
pub const MAX_SQL_DEPTH: usize = 900;

/// Members of a group from which members testing one column the same way
/// are merged (below it the SQL is the plain one).
pub const MERGE_AT: usize = 16;

/// Values of a list written inline where lists are not arrays
/// ([`Lists::Json`]); longer lists are one JSON array.
pub const INLINE_LIST: usize = 100;

/// Members of a group written flat (`a OR b OR c`); above, a balanced tree.
const FLAT: usize = 8;

/// Writes ` WHERE <filter>` when there is a filter. `filter` must be
/// checked against `table` ([`Condition::checked_ref`]).
///
/// # Errors
/// [`Error::InvalidInput`] when the filter needs more than
/// [`MAX_BOUND_VALUES`] values or [`MAX_SQL_DEPTH`] levels.
pub fn write_where(
    w: &mut impl SqlWriter,
    table: &Table,
    dialect: Dialect,
    filter: Option<&Condition>,
) -> Result<()> {
    if let Some(filter) = filter {
        w.push(" WHERE ");
        write_condition(w, table, dialect, filter)?;
    }
    Ok(())
}

/// Writes ` WHERE ..`, ` ORDER BY ..`, ` LIMIT ..` and ` OFFSET ..` of a
/// query checked against `table` ([`Query::checked_ref`]).
///
/// `LIMIT` is written as an integer, not bound: a bound `LIMIT` makes
/// SQLite prepare the statement again on every run (its plan depends on
/// the value) and hides the row count from PostgreSQL's generic plan; page
/// sizes are few, so cached statements stay few. The offset is bound.
///
/// # Errors
/// As [`write_where`]; [`Error::InvalidInput`] for an unknown sort field.
pub fn write_query(
    w: &mut impl SqlWriter,
    table: &Table,
    dialect: Dialect,
    query: &Query,
) -> Result<()> {
    write_where(w, table, dialect, query.filter.as_ref())?;
    write_order_by(w, table, query)?;
    let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    if let Some(limit) = query.limit {
        w.push(" LIMIT ");
        w.push(super::digits(&mut [0; 20], clamp(limit).unsigned_abs()));
    } else if query.offset.is_some()
        && let Some(no_limit) = dialect.rules().offset_without_limit()
    {
        w.push(no_limit);
    }
    if let Some(offset) = query.offset {
        w.push(" OFFSET ");
        w.bind(&Value::Int(clamp(offset)), ColumnType::BigInt);
    }
    Ok(())
}

/// Writes ` ORDER BY ..` of a query checked against `table`, when it
/// orders.
///
/// # Errors
/// [`Error::InvalidInput`] for an unknown sort field.
pub fn write_order_by(w: &mut impl SqlWriter, table: &Table, query: &Query) -> Result<()> {
    for (i, order) in query.order_by.iter().enumerate() {
        w.push(if i == 0 { " ORDER BY " } else { ", " });
        w.push(table.quoted_field(w.dialect(), &order.field)?);
        w.push(if order.descending { " DESC" } else { " ASC" });
    }
    Ok(())
}

/// Writes `condition`, checked against `table` ([`Condition::checked_ref`]),
/// as a boolean SQL expression.
///
/// # Errors
/// As [`write_where`].
pub fn write_condition(
    w: &mut impl SqlWriter,
    table: &Table,
    dialect: Dialect,
    condition: &Condition,
) -> Result<()> {
    let mut r = Renderer {
        w,
        table,
        rules: dialect.rules(),
        binds: 0,
    };
    let depth = r.condition(condition)?;
    if depth > MAX_SQL_DEPTH {
        return Err(Error::invalid_input(format!(
            "a filter that makes an SQL expression {depth} levels deep; at most {MAX_SQL_DEPTH} are allowed"
        )));
    }
    if r.binds > MAX_BOUND_VALUES {
        return Err(Error::invalid_input(format!(
            "a filter that binds {} values; at most {MAX_BOUND_VALUES} are allowed (lists and wide groups on one column bind one each)",
            r.binds
        )));
    }
    Ok(())
}

/// How a merged group member tests its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    /// `In` (or `NotIn` when negated) a list.
    List { negated: bool },
    /// A comparison with any (in an `Or`) or all (in an `And`) of the values.
    Compare(CompareOp),
    /// A text match with any of the patterns.
    Pattern { case_insensitive: bool },
}

/// A member of a group as written: a condition, or several merged.
enum Member<'a> {
    One(&'a Condition),
    Merged {
        field: &'a str,
        test: Test,
        values: Vec<&'a Value>,
        /// The `LIKE` patterns of a [`Test::Pattern`].
        patterns: Vec<String>,
    },
}

struct Renderer<'a, W> {
    w: &'a mut W,
    table: &'a Table,
    rules: &'static dyn SqlDialect,
    binds: usize,
}

impl<W: SqlWriter> Renderer<'_, W> {
    fn ty(&self, field: &str) -> Result<ColumnType> {
        Ok(self.table.check_field(field)?.ty)
    }

    fn bind(&mut self, value: &Value, ty: ColumnType) {
        self.binds += 1;
        self.w.bind(value, ty);
    }

    /// Whether `field` is a JSON column.
    fn is_json(&self, field: &str) -> bool {
        self.table
            .column_named(field)
            .is_some_and(|c| c.ty == ColumnType::Json)
    }

    /// Whether `field` is a JSON column compared by the dialect's function.
    fn json_equals(&self, field: &str) -> bool {
        self.rules.json_equals().is_some() && self.is_json(field)
    }

    /// `JSON_EQUALS(field, ?)` (see [`SqlDialect::json_equals`]), NULL
    /// when the column is: MariaDB 10.11's `WHERE JSON_EQUALS(j, 'null')`
    /// matched rows whose `j` is NULL, where the same call in a `SELECT`
    /// list gave NULL for them.
    fn json_equality(&mut self, field: &str, value: &Value) -> Result<usize> {
        let column = self.table.quoted_field(self.rules.dialect(), field)?;
        self.w.push("(CASE WHEN ");
        self.w.push(column);
        self.w.push(" IS NULL THEN NULL ELSE ");
        self.w.push(self.rules.json_equals().unwrap_or_default());
        self.w.push("(");
        self.w.push(column);
        self.w.push(", ");
        self.bind(value, ColumnType::Json);
        self.w.push(") END)");
        Ok(3)
    }

    /// Writes `c`; returns how deep the SQL expression it wrote is.
    fn condition(&mut self, c: &Condition) -> Result<usize> {
        Ok(match c {
            Condition::Eq { field, value } if *value != Value::Null && self.json_equals(field) => {
                self.json_equality(field, value)?
            }
            Condition::Compare { field, op, value }
                if *op == CompareOp::Ne && self.json_equals(field) =>
            {
                self.w.push("NOT ");
                self.json_equality(field, value)?
            }
            Condition::Eq { field, value } => {
                self.w
                    .push(self.table.quoted_field(self.rules.dialect(), field)?);
                if *value == Value::Null {
                    self.w.push(" IS NULL");
                } else {
                    self.w.push(" = ");
                    self.bind(value, self.ty(field)?);
                }
                2
            }
            Condition::Compare { field, op, value } => {
                self.w
                    .push(self.table.quoted_field(self.rules.dialect(), field)?);
                self.w.push(" ");
                self.w.push(op.sql());
                self.w.push(" ");
                self.bind(value, self.ty(field)?);
                2
            }
            Condition::Between { field, low, high } => {
                let ty = self.ty(field)?;
                self.w
                    .push(self.table.quoted_field(self.rules.dialect(), field)?);
                self.w.push(" BETWEEN ");
                self.bind(low, ty);
                self.w.push(" AND ");
                self.bind(high, ty);
                2
            }
            Condition::In { field, values } | Condition::NotIn { field, values } => {
                let negated = matches!(c, Condition::NotIn { .. });
                let values: Vec<&Value> = values.iter().collect();
                self.list(field, &values, negated)?
            }
            Condition::Like {
                field,
                pattern,
                case_insensitive,
            } => self.like(field, pattern, *case_insensitive)?,
            Condition::Text {
                field,
                matching,
                value,
                case_insensitive,
            } => self.like(field, &literal_pattern(*matching, value), *case_insensitive)?,
            Condition::IsNull { field } => {
                self.w
                    .push(self.table.quoted_field(self.rules.dialect(), field)?);
                self.w.push(" IS NULL");
                2
            }
            Condition::IsNotNull { field } => {
                self.w
                    .push(self.table.quoted_field(self.rules.dialect(), field)?);
                self.w.push(" IS NOT NULL");
                2
            }
            Condition::Search {
                fields,
                value,
                case_insensitive,
            } => {
                let pattern = literal_pattern(TextMatch::Contains, value);
                self.w.push("(");
                let mut depth = 0;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        self.w.push(" OR ");
                    }
                    depth = depth.max(self.like(field, &pattern, *case_insensitive)? + i);
                }
                self.w.push(")");
                depth + 1
            }
            Condition::NotInSearch {
                fields,
                value,
                case_insensitive,
            } => {
                let pattern = literal_pattern(TextMatch::Contains, value);
                self.w.push("(");
                let mut depth = 0;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        self.w.push(" AND ");
                    }
                    // A NULL field contains nothing, so it does not contain the value.
                    self.w.push("(");
                    self.w
                        .push(self.table.quoted_field(self.rules.dialect(), field)?);
                    self.w.push(" IS NULL OR NOT ");
                    let like = self.like(field, &pattern, *case_insensitive)?;
                    self.w.push(")");
                    depth = depth.max(like + 2 + i);
                }
                self.w.push(")");
                depth + 1
            }
            Condition::And(all) | Condition::Or(all) => {
                let and = matches!(c, Condition::And(_));
                if all.is_empty() {
                    // And([]) is true, Or([]) is false.
                    self.w.push(if and { "1 = 1" } else { "1 = 0" });
                    return Ok(2);
                }
                let members = if all.len() >= MERGE_AT {
                    self.merge(all, and)?
                } else {
                    all.iter().map(Member::One).collect()
                };
                self.group(&members, if and { " AND " } else { " OR " }, and)?
            }
        })
    }

    /// `members` joined by `joiner`, in parentheses: flat up to [`FLAT`]
    /// members, else split in halves, so the nesting grows as the logarithm
    /// of the count.
    fn group(&mut self, members: &[Member<'_>], joiner: &str, and: bool) -> Result<usize> {
        self.w.push("(");
        let depth = if members.len() <= FLAT {
            let mut depth = 0;
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    self.w.push(joiner);
                }
                depth = depth.max(self.member(m, and)? + i);
            }
            depth
        } else {
            let (left, right) = members.split_at(members.len() / 2);
            let l = self.group(left, joiner, and)?;
            self.w.push(joiner);
            let r = self.group(right, joiner, and)?;
            l.max(r) + 1
        };
        self.w.push(")");
        Ok(depth + 1)
    }

    fn member(&mut self, m: &Member<'_>, and: bool) -> Result<usize> {
        match m {
            Member::One(c) => self.condition(c),
            Member::Merged {
                field,
                test: Test::List { negated },
                values,
                ..
            } => self.list(field, values, *negated),
            Member::Merged {
                field,
                test: Test::Compare(op),
                values,
                ..
            } => self.extreme(field, *op, values, and),
            Member::Merged {
                field,
                test: Test::Pattern { case_insensitive },
                patterns,
                ..
            } => self.any_pattern(field, patterns, *case_insensitive),
        }
    }

    /// The members of a wide group, those that test one column the same
    /// way merged, each kept where its first member was.
    fn merge<'c>(&self, all: &'c [Condition], and: bool) -> Result<Vec<Member<'c>>> {
        let mut out: Vec<Member<'c>> = Vec::with_capacity(all.len());
        // Where each (field, test) bucket sits in `out`: few buckets (a
        // table's columns times the tests), so a list searched in order.
        let mut buckets: Vec<(&'c str, Test, usize)> = Vec::new();
        let mut add =
            |out: &mut Vec<Member<'c>>, field: &'c str, test, values: &'c [Value], pattern| {
                let at = match buckets.iter().find(|(f, t, _)| *f == field && *t == test) {
                    Some(&(_, _, at)) => at,
                    None => {
                        buckets.push((field, test, out.len()));
                        out.push(Member::Merged {
                            field,
                            test,
                            values: Vec::new(),
                            patterns: Vec::new(),
                        });
                        out.len() - 1
                    }
                };
                if let Member::Merged {
                    values: v,
                    patterns: p,
                    ..
                } = &mut out[at]
                {
                    v.extend(values);
                    p.extend(pattern);
                }
            };
        let list = |negated| Test::List { negated };
        let text = |case_insensitive| Test::Pattern { case_insensitive };
        for c in all {
            // What this member adds to a bucket: its column, its test, its
            // values and its pattern.
            let merged: Option<(&str, Test, &[Value], Option<String>)> = match (c, and) {
                // A JSON column is never listed: each member stays itself.
                (Condition::Eq { field, .. } | Condition::Compare { field, .. }, _)
                    if self.is_json(field) =>
                {
                    None
                }
                (Condition::Eq { field, value }, false) if *value != Value::Null => {
                    Some((field, list(false), std::slice::from_ref(value), None))
                }
                (Condition::In { field, values }, false) if !values.is_empty() => {
                    Some((field, list(false), values, None))
                }
                (Condition::Compare { field, op, value }, true) if *op == CompareOp::Ne => {
                    Some((field, list(true), std::slice::from_ref(value), None))
                }
                (Condition::NotIn { field, values }, true) if !values.is_empty() => {
                    Some((field, list(true), values, None))
                }
                (Condition::Compare { field, op, value }, _) if *op != CompareOp::Ne => {
                    Some((field, Test::Compare(*op), std::slice::from_ref(value), None))
                }
                (
                    Condition::Text {
                        field,
                        matching,
                        value,
                        case_insensitive,
                    },
                    false,
                ) => Some((
                    field,
                    text(*case_insensitive),
                    &[],
                    Some(literal_pattern(*matching, value)),
                )),
                (
                    Condition::Like {
                        field,
                        pattern,
                        case_insensitive,
                    },
                    false,
                ) => Some((field, text(*case_insensitive), &[], Some(pattern.clone()))),
                (
                    Condition::Search {
                        fields,
                        value,
                        case_insensitive,
                    },
                    false,
                ) => {
                    // An OR inside an OR: each field's match is a member.
                    let pattern = literal_pattern(TextMatch::Contains, value);
                    for field in fields {
                        add(
                            &mut out,
                            field,
                            text(*case_insensitive),
                            &[],
                            Some(pattern.clone()),
                        );
                    }
                    continue;
                }
                _ => None,
            };
            match merged {
                Some((field, test, values, pattern)) => add(&mut out, field, test, values, pattern),
                None => out.push(Member::One(c)),
            }
        }
        Ok(out)
    }

    /// `field [NOT] IN (values)` (see the module docs for its forms).
    ///
    /// NULLs never reach an array (some drivers cannot bind them there):
    /// `x IN (.., NULL)` holds exactly when `x IN (..)` does, and
    /// `x NOT IN (.., NULL)` never holds. A filter has no `NOT` over a
    /// list, so writing "never" as false for SQL's unknown changes no result.
    fn list(&mut self, field: &str, values: &[&Value], negated: bool) -> Result<usize> {
        let has_null = values.iter().any(|v| **v == Value::Null);
        if negated && has_null {
            self.w.push("1 = 0");
            return Ok(2);
        }
        let without_nulls: Vec<&Value>;
        let values = if has_null {
            without_nulls = values
                .iter()
                .copied()
                .filter(|v| **v != Value::Null)
                .collect();
            &without_nulls[..]
        } else {
            values
        };
        if values.is_empty() {
            // IN () matches nothing; NOT IN () filters nothing.
            self.w.push(if negated { "1 = 1" } else { "1 = 0" });
            return Ok(2);
        }
        let ty = self.ty(field)?;
        self.w
            .push(self.table.quoted_field(self.rules.dialect(), field)?);
        match self.rules.lists() {
            Lists::Array => {
                self.w.push(if negated { " <> ALL" } else { " = ANY" });
                self.array(values, ty);
            }
            Lists::Json(json) if values.len() > INLINE_LIST => {
                self.w.push(if negated {
                    " NOT IN (SELECT "
                } else {
                    " IN (SELECT "
                });
                self.w.push((json.value)(ty));
                self.json_rows(json, ty, values);
                self.w.push(")");
            }
            Lists::Json(_) => {
                self.w.text_varies();
                self.w.push(if negated { " NOT IN (" } else { " IN (" });
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.w.push(", ");
                    }
                    self.bind(v, ty);
                }
                self.w.push(")");
            }
        }
        Ok(2)
    }

    /// `(?)` bound to `values` as one PostgreSQL array.
    fn array(&mut self, values: &[&Value], ty: ColumnType) {
        self.w.push("(");
        self.binds += 1;
        self.w.bind_array(values, ty);
        self.w.push(")");
    }

    /// ` FROM json_each(?)` (SQLite) bound to `values`, compared with a
    /// column of type `ty`, as one JSON array.
    fn json_rows(&mut self, json: JsonList, ty: ColumnType, values: &[&Value]) {
        self.w.push(json.open);
        self.bind(&(json.encode)(values), ColumnType::Text);
        self.w.push((json.close)(ty));
    }

    /// `field <op>` any (in an `Or`) or all (in an `And`) of `values`.
    fn extreme(
        &mut self,
        field: &str,
        op: CompareOp,
        values: &[&Value],
        and: bool,
    ) -> Result<usize> {
        let ty = self.ty(field)?;
        self.w
            .push(self.table.quoted_field(self.rules.dialect(), field)?);
        self.w.push(" ");
        self.w.push(op.sql());
        let json = match self.rules.lists() {
            Lists::Array => {
                self.w.push(if and { " ALL" } else { " ANY" });
                self.array(values, ty);
                return Ok(2);
            }
            Lists::Json(json) => json,
        };
        // Greater than any is greater than the least; than all, the greatest.
        let greater = matches!(op, CompareOp::Gt | CompareOp::Ge);
        self.w.push(if greater != and {
            " (SELECT min("
        } else {
            " (SELECT max("
        });
        self.w.push((json.value)(ty));
        self.w.push(")");
        self.json_rows(json, ty, values);
        self.w.push(")");
        Ok(3)
    }

    /// `field` matches one of the `LIKE` `patterns`.
    fn any_pattern(&mut self, field: &str, patterns: &[String], ci: bool) -> Result<usize> {
        let name = self.table.quoted_field(self.rules.dialect(), field)?;
        let pattern = self.rules.pattern(ci);
        let glob = pattern == Pattern::Glob;
        let values: Vec<Value> = patterns
            .iter()
            .map(|p| Value::Text(if glob { like_to_glob(p) } else { p.clone() }))
            .collect();
        let refs: Vec<&Value> = values.iter().collect();
        match self.rules.lists() {
            // `LIKE` escapes with `\` by default (ANY takes no ESCAPE).
            Lists::Array => {
                match pattern {
                    Pattern::Like(operator) => {
                        self.w.push(name);
                        self.w.push(operator.trim_end());
                        self.w.push(" ANY");
                        self.array(&refs, ColumnType::Text);
                    }
                    Pattern::Glob => {
                        self.w.push(name);
                        self.w.push(" GLOB ANY");
                        self.array(&refs, ColumnType::Text);
                    }
                    Pattern::Lowered => {
                        self.w.push("lower(");
                        self.w.push(name);
                        self.w
                            .push(") LIKE ANY (ARRAY(SELECT lower(p) FROM unnest(");
                        self.w.bind_array(&refs, ColumnType::Text);
                        self.w.push(") AS p))");
                        self.binds += 1;
                        return Ok(4);
                    }
                }
                Ok(2)
            }
            Lists::Json(json) => {
                self.w.push("EXISTS (SELECT 1");
                self.json_rows(json, ColumnType::Text, &refs);
                self.w.push(" WHERE ");
                match pattern {
                    Pattern::Like(operator) => {
                        self.w.push(name);
                        self.w.push(operator);
                        self.w.push("value");
                        self.w.push(self.rules.like_escape());
                        self.w.push(")");
                    }
                    Pattern::Glob => {
                        self.w.push(name);
                        self.w.push(" GLOB value)");
                    }
                    Pattern::Lowered => {
                        self.w.push("lower(");
                        self.w.push(name);
                        self.w.push(") LIKE lower(value)");
                        self.w.push(self.rules.like_escape());
                        self.w.push(")");
                    }
                }
                Ok(4)
            }
        }
    }

    /// `field LIKE pattern` with `\` escapes, case-sensitive or not, the
    /// same on every database ([`SqlDialect::pattern`]).
    fn like(&mut self, field: &str, pattern: &str, case_insensitive: bool) -> Result<usize> {
        let name = self.table.quoted_field(self.rules.dialect(), field)?;
        match self.rules.pattern(case_insensitive) {
            Pattern::Glob => {
                self.w.push(name);
                self.w.push(" GLOB ");
                self.bind(&Value::Text(like_to_glob(pattern)), ColumnType::Text);
                return Ok(2);
            }
            Pattern::Like(operator) => {
                self.w.push(name);
                self.w.push(operator);
                self.bind(&Value::Text(pattern.to_string()), ColumnType::Text);
            }
            Pattern::Lowered => {
                self.w.push("lower(");
                self.w.push(name);
                self.w.push(") LIKE (SELECT lower(");
                self.bind(&Value::Text(pattern.to_string()), ColumnType::Text);
                self.w.push("))");
                self.w.push(self.rules.like_escape());
                return Ok(3);
            }
        }
        self.w.push(self.rules.like_escape());
        Ok(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    /// Text with numbered (`$n`) or plain (`?`) placeholders, and the binds.
    struct Text {
        dialect: Dialect,
        sql: String,
        binds: Vec<String>,
    }

    impl SqlWriter for Text {
        fn dialect(&self) -> Dialect {
            self.dialect
        }
        fn push(&mut self, sql: &str) {
            self.sql.push_str(sql);
        }
        fn bind(&mut self, value: &Value, _: ColumnType) {
            self.binds.push(format!("{value:?}"));
            match self.dialect {
                Dialect::Postgres => self.sql.push_str(&format!("${}", self.binds.len())),
                _ => self.sql.push('?'),
            }
        }
        fn bind_array(&mut self, values: &[&Value], ty: ColumnType) {
            self.bind(&Value::Text(format!("{ty:?}{values:?}")), ty);
        }
        fn bind_value_array(&mut self, array: Result<crate::value::ValueArray<'_>>) {
            self.bind(&Value::Text(format!("{array:?}")), ColumnType::Text);
        }
    }

    fn table() -> Table {
        Table::new("t")
            .column(Column::new("id", ColumnType::Uuid))
            .column(Column::new("name", ColumnType::Text))
            .column(Column::new("n", ColumnType::BigInt))
            .column(Column::new("at", ColumnType::Timestamp))
    }

    fn sql(dialect: Dialect, c: Condition) -> Result<(String, Vec<String>)> {
        let mut w = Text {
            dialect,
            sql: String::new(),
            binds: Vec::new(),
        };
        let t = table();
        let c = c.checked(&t)?;
        write_condition(&mut w, &t, dialect, &c)?;
        Ok((w.sql, w.binds))
    }

    #[test]
    fn lists_are_one_array_on_postgres_and_inline_or_json_on_sqlite() {
        let small = Condition::is_in("name", ["a", "b"]);
        assert_eq!(
            sql(Dialect::Postgres, small.clone()).unwrap().0,
            r#""name" = ANY($1)"#
        );
        assert_eq!(
            sql(Dialect::Sqlite, small).unwrap().0,
            r#""name" IN (?, ?)"#
        );
        let names: Vec<String> = (0..=INLINE_LIST).map(|i| format!("n{i}")).collect();
        let (text, binds) = sql(Dialect::Sqlite, Condition::not_in("name", names)).unwrap();
        assert_eq!(text, r#""name" NOT IN (SELECT value FROM json_each(?))"#);
        assert!(binds[0].starts_with(r#"Text("[\"n0\",\"n1\""#), "{binds:?}");
        let ids = vec![uuid::Uuid::nil(); INLINE_LIST + 1];
        let (text, _) = sql(Dialect::Sqlite, Condition::is_in("id", ids)).unwrap();
        assert_eq!(text, r#""id" IN (SELECT unhex(value) FROM json_each(?))"#);
    }

    #[test]
    fn mariadb_reads_long_lists_with_json_table_and_escapes_like_in_its_literals() {
        let names: Vec<String> = (0..=INLINE_LIST).map(|i| format!("n{i}")).collect();
        let (text, _) = sql(Dialect::MariaDb, Condition::is_in("name", names)).unwrap();
        assert_eq!(
            text,
            "`name` IN (SELECT value FROM JSON_TABLE(?, '$[*]' COLUMNS (value LONGTEXT \
             CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin PATH '$')) AS __alchemy_list)"
        );
        let ids = vec![uuid::Uuid::nil(); INLINE_LIST + 1];
        let (text, _) = sql(Dialect::MariaDb, Condition::is_in("id", ids)).unwrap();
        assert_eq!(
            text,
            "`id` IN (SELECT unhex(value) FROM JSON_TABLE(?, '$[*]' COLUMNS \
             (value CHAR(32) PATH '$')) AS __alchemy_list)"
        );
        // A backslash escapes in MariaDB's string literals: `'\\'` is one.
        let (text, _) = sql(Dialect::MariaDb, Condition::like("name", "a\\_%")).unwrap();
        assert_eq!(text, "`name` LIKE ? ESCAPE '\\\\'");
        let (text, _) = sql(Dialect::Postgres, Condition::like("name", "a%")).unwrap();
        assert_eq!(text, "\"name\" LIKE $1 ESCAPE '\\'");
    }

    #[test]
    fn nulls_never_reach_a_list() {
        let in_null = Condition::is_in("name", [Value::from("a"), Value::Null]);
        let (text, binds) = sql(Dialect::Postgres, in_null).unwrap();
        assert_eq!(text, r#""name" = ANY($1)"#);
        assert!(!binds[0].contains("Null"), "{binds:?}");
        let not_in_null = Condition::not_in("name", [Value::from("a"), Value::Null]);
        assert_eq!(sql(Dialect::Postgres, not_in_null).unwrap().0, "1 = 0");
        let only_null = Condition::is_in("name", [Value::Null]);
        assert_eq!(sql(Dialect::Sqlite, only_null).unwrap().0, "1 = 0");
    }

    #[test]
    fn wide_groups_merge_tests_of_one_column() {
        let or = Condition::or((0..MERGE_AT as i64).map(|i| Condition::eq("n", i)));
        assert_eq!(
            sql(Dialect::Postgres, or.clone()).unwrap().0,
            r#"("n" = ANY($1))"#
        );
        assert_eq!(
            sql(Dialect::Sqlite, or).unwrap().0,
            r#"("n" IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))"#
        );
        let and = Condition::and(
            (0..MERGE_AT as i64)
                .map(|i| Condition::gt("n", i))
                .chain([Condition::ne("name", "x"), Condition::is_null("at")]),
        );
        assert_eq!(
            sql(Dialect::Postgres, and.clone()).unwrap().0,
            r#"("n" > ALL($1) AND "name" <> ALL($2) AND "at" IS NULL)"#
        );
        assert_eq!(
            sql(Dialect::Sqlite, and).unwrap().0,
            r#"("n" > (SELECT max(value) FROM json_each(?)) AND "name" NOT IN (?) AND "at" IS NULL)"#
        );
        let texts = Condition::or(
            (0..MERGE_AT).map(|i| Condition::contains("name", format!("{i}"), false)),
        );
        assert_eq!(
            sql(Dialect::Postgres, texts.clone()).unwrap().0,
            r#"("name" LIKE ANY($1))"#
        );
        assert_eq!(
            sql(Dialect::Sqlite, texts).unwrap().0,
            r#"(EXISTS (SELECT 1 FROM json_each(?) WHERE "name" GLOB value))"#
        );
        // Below MERGE_AT the SQL is the plain one.
        let few = Condition::or([Condition::eq("n", 1i64), Condition::eq("n", 2i64)]);
        assert_eq!(
            sql(Dialect::Postgres, few).unwrap().0,
            r#"("n" = $1 OR "n" = $2)"#
        );
    }

    #[test]
    fn wide_groups_nest_logarithmically_and_bind_limits_hold() {
        // 100,000 members that cannot merge (IS NULL binds nothing).
        let wide = Condition::or((0..100_000).map(|_| Condition::is_null("at")));
        let (text, _) = sql(Dialect::Sqlite, wide).unwrap();
        let deepest = text
            .chars()
            .scan(0i32, |d, c| {
                *d += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                Some(*d)
            })
            .max()
            .unwrap_or(0);
        assert!(deepest <= 20, "{deepest}");
        let over = Condition::or(
            (0..=MAX_BOUND_VALUES as i64 / 2).map(|i| Condition::between("n", i, i + 1)),
        );
        let e = sql(Dialect::Postgres, over).unwrap_err();
        assert!(e.to_string().contains("32000"), "{e}");
    }
}
