//! Records the versions of the ORMs in Cargo.lock for the bench's settings line.

fn main() {
    println!("cargo:rerun-if-changed=../Cargo.lock");
    let lock = std::fs::read_to_string("../Cargo.lock").unwrap_or_default();
    for (crate_name, var) in [
        ("sqlx", "BENCH_SQLX_VERSION"),
        ("sea-orm", "BENCH_SEAORM_VERSION"),
        ("diesel", "BENCH_DIESEL_VERSION"),
        ("diesel-async", "BENCH_DIESEL_ASYNC_VERSION"),
        ("libsqlite3-sys", "BENCH_LIBSQLITE3_SYS_VERSION"),
    ] {
        let needle = format!("name = \"{crate_name}\"\nversion = \"");
        let version = lock
            .find(&needle)
            .and_then(|i| lock[i + needle.len()..].split('"').next())
            .unwrap_or("unknown");
        println!("cargo:rustc-env={var}={version}");
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=BENCH_RUSTC_VERSION={}", version.trim());
}
