//! The form's entry point keeps its relocations in its wasm: xtask splits the steps into a chunk of their own with
//! them (`wasm_split_cli_support`), see `#[lazy]` in `src/bin/preinscription.rs`. xtask drops them afterwards.

fn main() {
    if std::env::var("TARGET").is_ok_and(|target| target.starts_with("wasm32")) {
        println!("cargo::rustc-link-arg-bin=preinscription=--emit-relocs");
    }
    println!("cargo::rerun-if-changed=build.rs");
}
