fn main() {
    // The CLI shares the GUI's binary, so it loads WebKitGTK's libraries before `main`; most of
    // that start-up is the loader applying relative relocations. Packed relocations (DT_RELR,
    // glibc 2.36+, binutils 2.38+) make them several times cheaper.
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if linux_gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    // New migration files must rebuild the binary that embeds them (sqlx::migrate!).
    println!("cargo:rerun-if-changed=src-tauri/migrations");
    tauri_build::build();
}
