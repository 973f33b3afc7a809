//! The workloads through alchemy-diesel and through diesel by hand (being written).

use crate::common::{DbKind, Settings};

/// Every workload on `kind`, library and raw alternating.
pub(crate) async fn run(kind: DbKind, _s: &Settings) -> Result<Vec<serde_json::Value>, String> {
    Err(format!("the diesel workloads on {} are not written yet", kind.name()))
}
