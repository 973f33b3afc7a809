//! The repository, written once over [`Driver`]: each function is the
//! [`Repository`](crate::Repository) method of the same name and keeps the
//! contract documented there.

use crate::base::{check_fields, match_condition, prepare_insert, prepare_update};
use crate::bulk::{self, Plan, Rows};
use crate::error::name_foreign_key;
use crate::filter::{Condition, Query};
use crate::identity::{self, ReadBack};
use crate::schema::{ColumnType, Table};
use crate::sql::{self, SqlWriter};
use crate::unique::Unique;
use crate::value::Value;
use crate::{Error, KeyOf, Model, Result, Upserted};

use super::statements as st;
use super::{CacheKey, Driver, insert};

/// Rows per statement on `driver` when each row binds `binds` values.
fn per_statement<M: Model, D: Driver<M>>(driver: &D, binds: usize) -> usize {
    bulk::rows_per_statement(driver.max_binds(), binds)
}

/// Runs `sql` and remembers the rows it returns (see [`identity`]).
async fn all<M: Model, D: Driver<M>>(driver: &mut D, sql: D::Sql) -> Result<Vec<M>> {
    let rows = driver.rows(sql).await?;
    driver.loaded().record(&rows);
    Ok(rows)
}

/// Runs `sql`, which returns at most one row, and remembers it.
async fn one<M: Model, D: Driver<M>>(driver: &mut D, sql: D::Sql) -> Result<Option<M>> {
    let row = driver.row(sql).await?;
    driver.loaded().record(row.as_slice());
    Ok(row)
}

pub(super) async fn add<M: Model, D: Driver<M>>(driver: &mut D, model: M) -> Result<M> {
    let now = driver.state().now();
    insert::add_many(driver, vec![model], now)
        .await?
        .pop()
        .ok_or_else(|| Error::backend(format!("INSERT INTO {} returned no row", M::table().name())))
}

pub(super) async fn get<M: Model, D: Driver<M>>(driver: &mut D, key: &KeyOf<M>) -> Result<M> {
    let table = M::table();
    let mut sql = driver.sql(Some(CacheKey::GetByKey));
    st::select(&mut sql, table);
    st::where_key(&mut sql, table, key.clone().into())?;
    one(driver, sql)
        .await?
        .ok_or_else(|| Error::not_found(table.name(), key))
}

pub(super) async fn get_unique<M: Unique, D: Driver<M>>(
    driver: &mut D,
    key: &M::UniqueKey,
    newest: bool,
) -> Result<Option<M>> {
    let table = M::table();
    let filter = M::unique_filter(key);
    // The one validator, as for any filter: nothing unchecked is sent.
    let filter = filter.checked_ref(table)?;
    let columns = M::unique_columns();
    if !st::is_equal_on(&filter, columns) {
        // A filter of another shape (or a NULL in the key): as written.
        let query = Query::new().filter(filter.into_owned()).limit(1);
        return Ok(list(driver, &query).await?.pop());
    }
    // At most one row matches (the `Unique` contract): no `LIMIT`, and one
    // text for every key.
    let lock = newest
        .then(|| driver.dialect().rules().newest_read())
        .flatten();
    let mut sql = driver.sql(lock.is_none().then_some(CacheKey::GetByUnique));
    st::select(&mut sql, table);
    st::where_equal(&mut sql, table, &filter)?;
    if let Some(lock) = lock {
        sql.push_static(lock);
    }
    one(driver, sql).await
}

pub(super) async fn list<M: Model, D: Driver<M>>(driver: &mut D, query: &Query) -> Result<Vec<M>> {
    let table = M::table();
    // Checked (and typed) before anything is built or sent.
    let query = query.checked_ref(table)?;
    let mut sql = driver.sql(None);
    st::select(&mut sql, table);
    sql::write_query(&mut sql, table, driver.dialect(), &query)?;
    if query.limit == Some(1) {
        return Ok(one(driver, sql).await?.into_iter().collect());
    }
    all(driver, sql).await
}

pub(super) async fn count<M: Model, D: Driver<M>>(
    driver: &mut D,
    filter: Option<&Condition>,
) -> Result<u64> {
    let table = M::table();
    let filter = filter.map(|f| f.checked_ref(table)).transpose()?;
    let mut sql = driver.sql(None);
    st::select_count(&mut sql, table);
    sql::write_where(&mut sql, table, driver.dialect(), filter.as_deref())?;
    match driver.scalar(sql, ColumnType::BigInt).await? {
        Some(Value::Int(n)) => Ok(u64::try_from(n).unwrap_or(0)),
        other => Err(Error::backend(format!(
            "count(*) on {} read as {other:?}",
            table.name()
        ))),
    }
}

pub(super) async fn list_and_count<M: Model, D: Driver<M>>(
    driver: &mut D,
    query: &Query,
) -> Result<(Vec<M>, u64)> {
    let table = M::table();
    let query = query.checked_ref(table)?;
    if query.limit == Some(0) {
        return Ok((
            Vec::new(),
            count::<M, D>(driver, query.filter.as_ref()).await?,
        ));
    }
    let offset = query.offset.unwrap_or(0);
    let apart = driver.dialect().rules().counts_past_the_end_apart();
    let mut sql = driver.sql(None);
    if offset == 0 || apart {
        st::select_with_total(&mut sql, table);
        sql::write_query(&mut sql, table, driver.dialect(), &query)?;
    } else {
        // A page past the end still carries the true total.
        st::page_past_offset(&mut sql, table, driver.dialect(), &query, offset)?;
    }
    let rows = driver.rows_and_total(sql).await?;
    let Some(&(_, total)) = rows.first() else {
        // From the first row an empty page means no match; past an offset
        // it has no total where the database counts apart.
        let total = if offset > 0 && apart {
            count::<M, D>(driver, query.filter.as_ref()).await?
        } else {
            0
        };
        return Ok((Vec::new(), total));
    };
    let total = u64::try_from(total).unwrap_or(0);
    if total <= offset {
        // The one row that only carries the total.
        return Ok((Vec::new(), total));
    }
    let rows: Vec<M> = rows.into_iter().map(|(m, _)| m).collect();
    driver.loaded().record(&rows);
    Ok((rows, total))
}

pub(super) async fn update<M: Model, D: Driver<M>>(driver: &mut D, model: M) -> Result<M> {
    let result = update_row(driver, model).await;
    // A foreign key this write broke, named where the database did not.
    result.map_err(|e| name_foreign_key(e, M::table()))
}

async fn update_row<M: Model, D: Driver<M>>(driver: &mut D, mut model: M) -> Result<M> {
    let table = M::table();
    prepare_update(&mut model, driver.state().now())?;
    let plan = identity::update_plan::<M>(driver.loaded().changed(&model));
    driver.unique_cache().forget::<M>();
    if plan.columns.is_empty() {
        // Nothing to write (no change, no audit column): the stored row.
        return get(driver, model.key()).await;
    }
    let not_found = |model: &M| Error::not_found(table.name(), model.key());
    // Without `UPDATE .. RETURNING` (MariaDB) what would be returned is
    // read by key after the update, in the same transaction.
    let returns = driver.dialect().rules().update_returns();
    match plan.read_back {
        ReadBack::Row if !returns => {
            let mut sql = driver.sql(None);
            st::update(&mut sql, &model, &plan.columns)?;
            if driver.execute(sql).await? == 0 {
                return Err(not_found(&model));
            }
            return get(driver, model.key()).await;
        }
        ReadBack::Row => {
            let mut sql = driver.sql(None);
            st::update(&mut sql, &model, &plan.columns)?;
            st::returning(&mut sql, table);
            return one(driver, sql).await?.ok_or_else(|| not_found(&model));
        }
        // Every other column was written from the model: only `created_at`
        // is read back. Whole-row updates of a model all have one text.
        ReadBack::CreatedAt if !returns => {
            // No `UPDATE .. RETURNING`: the update also matches the
            // `created_at` the model carries, so the usual caller (a row
            // read before) sends one statement, as by hand. A model whose
            // `created_at` is not the stored one matches nothing: the
            // stored one is read (the newest, as the update saw) and the
            // row written without the condition.
            let stamped = model.timestamps().map(|t| t.created_at);
            let mut sql = driver.sql(Some(CacheKey::UpdateWhole));
            st::update(&mut sql, &model, &plan.columns)?;
            if let Some(at) = stamped {
                st::and_created_at(&mut sql, at);
            }
            if stamped.is_none() || driver.execute(sql).await? == 0 {
                let mut read = driver.sql(None);
                st::select_created_at(&mut read, table);
                st::where_key(&mut read, table, model.key().clone().into())?;
                if let Some(lock) = driver.dialect().rules().newest_read() {
                    read.push_static(lock);
                }
                let Some(created) = created_at(driver, read, table).await? else {
                    return Err(not_found(&model));
                };
                let mut sql = driver.sql(None);
                st::update(&mut sql, &model, &plan.columns)?;
                if driver.execute(sql).await? == 0 {
                    return Err(not_found(&model));
                }
                if let Some(mut stamps) = model.timestamps() {
                    stamps.created_at = created;
                    model.set_timestamps(stamps);
                }
            }
        }
        ReadBack::CreatedAt => {
            let mut sql = driver.sql(Some(CacheKey::UpdateWhole));
            st::update(&mut sql, &model, &plan.columns)?;
            st::returning_created_at(&mut sql);
            let Some(created) = created_at(driver, sql, table).await? else {
                return Err(not_found(&model));
            };
            if let Some(mut stamps) = model.timestamps() {
                stamps.created_at = created;
                model.set_timestamps(stamps);
            }
        }
        ReadBack::Nothing => {
            let mut sql = driver.sql(None);
            st::update(&mut sql, &model, &plan.columns)?;
            if driver.execute(sql).await? == 0 {
                return Err(not_found(&model));
            }
        }
    }
    driver.loaded().record(std::slice::from_ref(&model));
    Ok(model)
}

/// Runs `sql`, which returns `created_at` of at most one row: its value,
/// `None` without a row.
async fn created_at<M: Model, D: Driver<M>>(
    driver: &mut D,
    sql: D::Sql,
    table: &Table,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    match driver.scalar(sql, ColumnType::Timestamp).await? {
        Some(Value::Timestamp(at)) => Ok(Some(at)),
        None => Ok(None),
        Some(other) => Err(Error::backend(format!(
            "{}: created_at read back as {other:?}",
            table.name()
        ))),
    }
}

pub(super) async fn update_many<M: Model, D: Driver<M>>(
    driver: &mut D,
    models: Vec<M>,
) -> Result<Vec<M>> {
    let before = driver.statements();
    let result = update_rows(driver, models).await;
    // A foreign key named; a failure after a write fails the session.
    driver.state_mut().finish_writes(before, M::table(), result)
}

async fn update_rows<M: Model, D: Driver<M>>(driver: &mut D, mut models: Vec<M>) -> Result<Vec<M>> {
    if models.is_empty() {
        return Ok(models);
    }
    let table = M::table();
    bulk::distinct_keys(&models)?;
    let now = driver.state().now();
    for m in &mut models {
        prepare_update(m, now)?;
    }
    driver.unique_cache().forget::<M>();
    let written = st::update_many_columns(table)?;
    let mut out = Vec::with_capacity(models.len());
    let per_values = per_statement(driver, written.len() + 1);
    let returns = driver.dialect().rules().update_returns();
    for (chunk, arrays) in insert::statement_chunks(driver, &written, &models, per_values) {
        let mut sql = driver.sql(None);
        st::update_from_values(&mut sql, &written, chunk, arrays)?;
        let rows = if returns {
            st::returning(&mut sql, table);
            all(driver, sql).await?
        } else {
            // Read by key after the update (no `UPDATE .. RETURNING`).
            driver.execute(sql).await?;
            let keys: Vec<Value> = chunk.iter().map(|m| m.key().clone().into()).collect();
            let mut read = driver.sql(None);
            st::select(&mut read, table);
            st::where_key_in(&mut read, table, driver.dialect(), &keys)?;
            all(driver, read).await?
        };
        out.extend(bulk::in_key_order(chunk, rows)?);
    }
    Ok(out)
}

pub(super) async fn upsert_many<M: Model, D: Driver<M>>(
    driver: &mut D,
    models: Vec<M>,
    match_fields: &[&str],
) -> Result<Upserted<M>> {
    let before = driver.statements();
    let result = upsert_rows(driver, models, match_fields).await;
    // A foreign key named; a failure after a write fails the session.
    driver.state_mut().finish_writes(before, M::table(), result)
}

async fn upsert_rows<M: Model, D: Driver<M>>(
    driver: &mut D,
    models: Vec<M>,
    match_fields: &[&str],
) -> Result<Upserted<M>> {
    let any_unique = driver.dialect().rules().upsert_any_unique();
    let prepared = bulk::prepare(models, match_fields, any_unique)?;
    if prepared.models.is_empty() {
        return Ok(Upserted {
            rows: prepared.models,
            created: 0,
            updated: 0,
        });
    }
    let existing = existing_by::<M, D>(
        driver,
        &prepared.stored_columns(),
        &prepared.columns,
        &prepared.wanted,
    )
    .await?;
    let columns = prepared.columns.clone();
    driver.unique_cache().forget::<M>();
    let now = driver.state().now();
    match prepared.plan(existing, now)? {
        Plan::Native {
            models,
            created,
            updated,
        } => {
            // Race-free: the database settles a concurrent insert of the
            // same values.
            let rows = upsert_native(driver, models, &columns).await?;
            Ok(Upserted {
                rows,
                created,
                updated,
            })
        }
        Plan::Split {
            inserts,
            updates,
            written,
            shared,
            order,
            created,
            updated,
        } => {
            // Checked by `bulk::prepare`; the stamps are the clock's.
            let inserted = insert::add_checked(driver, inserts, now).await?;
            if !written.is_empty() {
                // The rows are known (the input, with the stored key and
                // created_at), so nothing is read back; a row deleted since
                // the SELECT shows as a short count.
                let rows = bulk::update_rows_per_statement(
                    driver.max_binds(),
                    written.len(),
                    shared.is_some(),
                );
                let chunks = match &shared {
                    // The keys alone vary (`update_shared`; one array on PostgreSQL).
                    Some(_) => bulk::chunks(&updates, rows).map(|c| (c, false)).collect(),
                    None => insert::statement_chunks(driver, &written, &updates, rows),
                };
                for (chunk, arrays) in chunks {
                    let mut sql = driver.sql(None);
                    let dialect = driver.dialect();
                    match &shared {
                        Some(values) => {
                            st::update_shared(&mut sql, dialect, &written, values, chunk)?;
                        }
                        None => st::update_from_values(&mut sql, &written, chunk, arrays)?,
                    }
                    let written = driver.execute(sql).await?;
                    bulk::check_updated::<M>(chunk.len(), written)?;
                }
            }
            Ok(Upserted {
                rows: order.reassemble(inserted, updates)?,
                created,
                updated,
            })
        }
    }
}

/// The `stored` columns (see [`bulk::Prepared::stored_columns`]) of the
/// stored rows whose `columns` values are one of `wanted`.
async fn existing_by<M: Model, D: Driver<M>>(
    driver: &mut D,
    stored: &[usize],
    columns: &[usize],
    wanted: &Rows,
) -> Result<Rows> {
    let table = M::table();
    let types: Vec<ColumnType> = stored.iter().map(|&i| table.columns()[i].ty).collect();
    let mut found = Rows::with_capacity(stored.len(), 0);
    for chunk in wanted.chunks(per_statement(driver, columns.len())) {
        // A NULL matches nothing.
        if chunk.clone().all(|row| row.contains(&Value::Null)) {
            continue;
        }
        let mut sql = driver.sql(None);
        st::existing_by(&mut sql, table, driver.dialect(), stored, columns, chunk);
        found.extend(driver.values(sql, &types).await?);
    }
    Ok(found)
}

/// One `INSERT .. ON CONFLICT (match) DO UPDATE` per chunk; rows come back
/// in input order.
async fn upsert_native<M: Model, D: Driver<M>>(
    driver: &mut D,
    models: Vec<M>,
    match_columns: &[usize],
) -> Result<Vec<M>> {
    let table = M::table();
    let columns = st::insert_columns::<M>();
    let head = st::insert_head::<M>(driver.dialect());
    let tail = st::upsert_tail::<M>(driver.dialect(), columns, match_columns);
    let mut out = Vec::with_capacity(models.len());
    let per_values = per_statement(driver, columns.len());
    for (chunk, arrays) in insert::statement_chunks(driver, columns, &models, per_values) {
        let mut sql = driver.sql(None);
        st::insert(&mut sql, head, table, columns, chunk, arrays);
        sql.push(&tail);
        let rows = all(driver, sql).await?;
        out.extend(bulk::in_input_order(chunk, rows, match_columns)?);
    }
    Ok(out)
}

pub(super) async fn delete<M: Model, D: Driver<M>>(driver: &mut D, key: &KeyOf<M>) -> Result<M> {
    let table = M::table();
    let mut sql = driver.sql(None);
    st::delete(&mut sql, table);
    st::where_key(&mut sql, table, key.clone().into())?;
    st::returning(&mut sql, table);
    driver.unique_cache().forget::<M>();
    let row = driver
        .row(sql)
        .await?
        .ok_or_else(|| Error::not_found(table.name(), key))?;
    driver.loaded().forget::<M>(row.key());
    Ok(row)
}

pub(super) async fn delete_many<M: Model, D: Driver<M>>(
    driver: &mut D,
    keys: &[KeyOf<M>],
) -> Result<Vec<M>> {
    let table = M::table();
    driver.unique_cache().forget::<M>();
    let mut out = Vec::with_capacity(keys.len());
    for chunk in bulk::chunks(keys, per_statement(driver, 1)) {
        let mut sql = driver.sql(None);
        st::delete(&mut sql, table);
        let chunk: Vec<Value> = chunk.iter().map(|k| k.clone().into()).collect();
        st::where_key_in(&mut sql, table, driver.dialect(), &chunk)?;
        st::returning(&mut sql, table);
        out.extend(driver.rows(sql).await?);
    }
    driver.loaded().forget_rows(&out);
    Ok(out)
}

pub(super) async fn delete_where<M: Model, D: Driver<M>>(
    driver: &mut D,
    filter: &Condition,
) -> Result<Vec<M>> {
    let table = M::table();
    let filter = filter.checked_ref(table)?;
    let mut sql = driver.sql(None);
    st::delete(&mut sql, table);
    sql.push_static(" WHERE ");
    sql::write_condition(&mut sql, table, driver.dialect(), &filter)?;
    st::returning(&mut sql, table);
    driver.unique_cache().forget::<M>();
    let rows = driver.rows(sql).await?;
    driver.loaded().forget_rows(&rows);
    Ok(rows)
}

pub(super) async fn add_if_absent<M: Model, D: Driver<M>>(
    driver: &mut D,
    model: M,
    conflict_columns: &[&str],
) -> Result<Option<M>> {
    let result = insert_absent(driver, model, conflict_columns).await;
    // A foreign key this write broke, named where the database did not.
    result.map_err(|e| name_foreign_key(e, M::table()))
}

async fn insert_absent<M: Model, D: Driver<M>>(
    driver: &mut D,
    mut model: M,
    conflict_columns: &[&str],
) -> Result<Option<M>> {
    // Checked before anything is sent.
    check_fields::<M>(conflict_columns)?;
    prepare_insert(&mut model, driver.state().now())?;
    let columns = st::insert_columns::<M>();
    let head = st::insert_head::<M>(driver.dialect());
    // No conflict target: every unique index is an arbiter, so a concurrent
    // insert of the same row is settled by the database even when it
    // clashes on another index (the slug) before the target.
    let Some(skip) = driver.dialect().rules().skip_duplicates() else {
        return insert_or_match(driver, model, conflict_columns).await;
    };
    let mut sql = driver.sql(Some(CacheKey::InsertAbsent));
    st::insert_one(&mut sql, head, columns, &model, skip);
    if let Some(row) = driver.row(sql).await? {
        return Ok(Some(row));
    }
    // A conflict: usually a row with the same values in `conflict_columns`;
    // otherwise another constraint, which is the caller's error.
    let same = match_condition(&model, conflict_columns)?;
    if count::<M, D>(driver, Some(&same)).await? > 0 {
        return Ok(None);
    }
    // The plain insert names the constraint; the savepoint keeps the
    // session usable after it fails.
    driver
        .savepoint(|driver| {
            Box::pin(async move {
                let mut sql = driver.sql(None);
                st::insert_one(&mut sql, head, columns, &model, "");
                driver.row(sql).await
            })
        })
        .await
}

/// [`add_if_absent`] where an insert cannot skip duplicates without hiding
/// other failures (MariaDB's `INSERT IGNORE`): the plain insert, which a
/// duplicate leaves undone alone (else in a savepoint); a unique violation
/// is a stored row with the same values in `conflict_columns` (`None`) or,
/// when there is none, the caller's error. Race-free: a concurrent insert
/// of the same row waits for the other transaction's lock, then fails as a
/// duplicate.
async fn insert_or_match<M: Model, D: Driver<M>>(
    driver: &mut D,
    model: M,
    conflict_columns: &[&str],
) -> Result<Option<M>> {
    let same = match_condition(&model, conflict_columns)?;
    let columns = st::insert_columns::<M>();
    let head = st::insert_head::<M>(driver.dialect());
    let inserted = if driver.dialect().rules().duplicate_undoes_statement() {
        // The database undoes a duplicate alone: no savepoint needed.
        let mut sql = driver.sql(Some(CacheKey::InsertAbsent));
        st::insert_one(&mut sql, head, columns, &model, "");
        let inserted = driver.row(sql).await;
        if matches!(inserted, Err(Error::DuplicateKey { .. })) {
            driver.state_mut().contain_duplicate();
        }
        inserted
    } else {
        driver
            .savepoint(|driver| {
                Box::pin(async move {
                    let mut sql = driver.sql(Some(CacheKey::InsertAbsent));
                    st::insert_one(&mut sql, head, columns, &model, "");
                    driver.row(sql).await
                })
            })
            .await
    };
    let Err(e @ Error::DuplicateKey { .. }) = inserted else {
        return inserted;
    };
    // The newest rows, not the snapshot: the row that clashed may have been
    // committed after this transaction's first read.
    let table = M::table();
    let same = same.checked_ref(table)?;
    let mut sql = driver.sql(None);
    st::select_count(&mut sql, table);
    sql::write_where(&mut sql, table, driver.dialect(), Some(&same))?;
    if let Some(lock) = driver.dialect().rules().newest_read() {
        sql.push_static(lock);
    }
    match driver.scalar(sql, ColumnType::BigInt).await? {
        Some(Value::Int(n)) if n > 0 => Ok(None),
        _ => Err(e),
    }
}
