//! The workloads through alchemy-seaorm and through seaorm by hand (being written).

use crate::common::{DbKind, Settings};

/// Every workload on `kind`, library and raw alternating.
pub(crate) async fn run(kind: DbKind, _s: &Settings) -> Result<Vec<serde_json::Value>, String> {
    Err(format!("the seaorm workloads on {} are not written yet", kind.name()))
}
