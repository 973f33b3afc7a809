//! The cases, one module per concept. Each case's doc line names the behaviour
//! (and the contract bullet) it checks.

use crate::harness::Harness;
use crate::runner::CaseFn;

pub mod audit;
pub mod base;
pub mod blog;
pub mod bulk;
pub mod data;
pub mod errors;
pub mod filter;
pub mod input;
pub mod keys;
pub mod keyset;
pub mod link;
pub mod query;
pub mod repository;
pub mod session;
pub mod slug;
pub mod types;
pub mod unique;
pub mod wide;

macro_rules! register {
    ($($module:ident :: $case:ident),* $(,)?) => {
        /// Every case, by name.
        pub fn all<H: Harness>() -> Vec<(&'static str, CaseFn<H>)> {
            vec![$((stringify!($case), (|cx| Box::pin($module::$case::<H>(cx))) as CaseFn<H>)),*]
        }
    };
}

register! {
    types::types_date_time_and_bytes_round_trip_at_their_extremes,
    types::types_date_and_time_filters_compare_as_values,
    types::types_bytes_filters_match_exact_bytes,
    types::types_small_int_and_real_filters_compare_as_values,
    types::types_filters_past_a_column_types_range_reuse_statements,
    types::types_json_round_trips_documents,
    types::types_json_filters_by_equality_and_null,
    types::types_json_refuses_nul_and_deep_documents,
    types::types_out_of_range_dates_and_fine_times_are_invalid_input,
    types::types_update_writes_only_the_changed_column,
    types::types_upsert_many_matches_on_each_type,
    types::types_update_many_writes_every_type,
    types::types_keyset_pages_walk_by_a_date,
    types::types_json_query_reads_date_time_and_bytes_strings,
    base::base_big_int_round_trip,
    base::base_big_int_audit_round_trip,
    base::base_uuid_round_trip,
    base::base_uuid_v6_round_trip,
    base::base_uuid_v7_round_trip,
    base::base_uuid_audit_round_trip,
    base::base_uuid_v6_audit_round_trip,
    base::base_uuid_v7_audit_round_trip,
    base::base_nano_id_round_trip,
    base::base_nano_id_audit_round_trip,
    base::base_custom_server_uuid_round_trip,
    base::base_custom_server_uuid_audit_round_trip,
    base::base_client_key_is_kept,
    base::base_big_int_keys_increase,
    base::base_update_without_audit_columns,
    keys::keys_set_database_key_is_written_as_given,
    keys::keys_upsert_on_a_set_database_key_is_idempotent,
    keys::keys_upsert_many_on_the_key_with_new_rows,
    keys::keys_server_made_keys_belong_to_their_rows,
    audit::audit_insert_stamps_both_columns,
    audit::audit_timestamps_round_trip_exactly,
    audit::audit_update_bumps_updated_at_only,
    audit::audit_updated_at_never_before_created_at,
    audit::audit_add_many_stamps_every_row,
    repository::add_returns_stored_row,
    repository::add_many_returns_input_order_with_keys,
    repository::add_many_batches_statements,
    repository::add_many_empty_is_a_no_op,
    repository::get_missing_is_not_found,
    repository::update_writes_fields,
    repository::update_missing_is_not_found,
    repository::update_writes_only_changed_columns,
    repository::update_after_delete_and_reinsert_writes_every_change,
    repository::delete_returns_the_row,
    repository::delete_missing_is_not_found,
    repository::session_rollback_discards_writes,
    repository::session_commit_persists,
    repository::session_dropped_rolls_back,
    repository::update_writes_none_as_null,
    repository::session_transaction_retries_busy_work,
    repository::session_transaction_gives_up,
    repository::errors_lock_conflict_is_busy,
    session::session_failed_statement_fails_the_session,
    session::session_savepoint_contains_a_failure,
    session::session_savepoints_nest,
    session::session_failed_answers_nothing_from_its_cache,
    session::session_transaction_never_commits_half,
    session::session_write_failing_half_way_is_never_committed,
    slug::slug_available_is_the_slugified_name_when_free,
    slug::slug_available_appends_suffix_when_taken,
    slug::slug_unusable_name_is_invalid_input,
    slug::slug_unicode_name_is_transliterated,
    slug::slug_duplicate_is_duplicate_key,
    unique::unique_get_or_create_inserts_once,
    unique::unique_get_or_create_returns_existing_row,
    unique::unique_cache_answers_repeats_without_a_statement,
    unique::unique_get_or_create_sends_one_statement_per_step,
    unique::unique_cache_dies_with_rollback,
    unique::unique_concurrent_get_or_create,
    unique::unique_concurrent_create_of_one_new_row,
    unique::unique_conflict_on_other_constraint_is_duplicate_key,
    unique::unique_get_or_create_with_builds_only_missing_rows,
    unique::unique_get_or_create_with_checks_the_candidate_key,
    unique::unique_get_unique_or_none_finds_by_natural_key,
    link::link_attach_and_load,
    link::link_attach_twice_is_idempotent,
    link::link_detach_removes_the_link,
    link::link_delete_post_cascades,
    link::link_missing_row_is_foreign_key,
    errors::errors_duplicate_primary_key_names_pk,
    errors::errors_duplicate_unique_names_uq,
    errors::errors_foreign_key_names_the_constraint,
    blog::blog_posts_share_tags,
    filter::filter_eq_ne_boolean,
    filter::filter_comparisons_and_between,
    filter::filter_collections,
    filter::filter_null_checks,
    filter::filter_before_after,
    filter::filter_like_ilike,
    filter::filter_starts_ends_contains,
    filter::filter_search_over_fields,
    filter::filter_search_escapes_wildcards,
    filter::filter_search_hostile_values,
    filter::filter_not_in_search,
    filter::filter_nested_and_or,
    filter::filter_unknown_field_is_rejected_before_sql,
    filter::filter_wrong_value_type_is_invalid_input,
    filter::filter_json_form,
    wide::wide_in_and_not_in_of_100000_values,
    wide::wide_flat_groups_of_100000_members,
    wide::wide_json_and_deep_filters,
    wide::wide_filter_over_the_bind_limit_is_invalid_input,
    input::input_nul_in_a_filter_is_invalid_input,
    input::input_text_too_long_or_with_nul_is_invalid_input,
    input::input_timestamps_out_of_range_are_invalid_input,
    input::input_patterns_over_the_limit_are_invalid_input,
    input::input_add_if_absent_unknown_column_is_invalid_input,
    query::list_orders_by_several_fields,
    query::list_limit_offset,
    query::count_and_exists,
    query::list_and_count_reports_total_in_one_statement,
    query::list_and_count_past_the_end_reports_true_total,
    query::list_and_count_at_every_offset,
    query::get_one_and_get_one_or_none,
    query::get_by_unique_column_and_slug,
    query::check_health_succeeds,
    bulk::update_many_writes_rows_in_order,
    bulk::bulk_writes_send_one_statement_per_chunk,
    bulk::add_many_20001_rows_with_nulls_reads_back,
    bulk::update_many_missing_or_repeated_rows,
    bulk::upsert_many_native_on_unique_column,
    bulk::upsert_many_select_then_write,
    bulk::upsert_many_select_then_write_stores_each_change,
    bulk::upsert_many_select_then_write_on_uuid_keys,
    bulk::upsert_many_keeps_created_at,
    bulk::upsert_many_on_the_key,
    bulk::upsert_many_rejects_ambiguous_input,
    bulk::upsert_many_10000_rows,
    bulk::get_or_upsert_and_get_and_update,
    bulk::delete_many_returns_deleted_rows,
    bulk::delete_many_100000_ids,
    bulk::delete_where_returns_matching_rows,
    bulk::add_many_10000_rows,
    bulk::add_and_update_many_20001_rows_in_input_order,
    bulk::add_many_1500_rows_rejected_names_the_constraint,
    bulk::transaction_spans_methods_and_rolls_back,
    bulk::errors_check_violation_names_constraint,
    bulk::errors_not_null_violation_names_column,
    keyset::keyset_forward,
    keyset::keyset_backward_and_descending,
    keyset::keyset_ties_and_filters,
    keyset::keyset_by_the_key,
    keyset::keyset_bad_requests_are_invalid_input,
}
