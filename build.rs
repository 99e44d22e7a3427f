//! Points the linker at libvosk.so, which `./dev setup` extracts from the PyPI wheel
//! `vosk==0.3.45` into `.deps/vosk`, and records that folder as the run-time search path
//! (rpath) so the binary and the tests find the library without LD_LIBRARY_PATH.
//!
//! `RECOBRA_VOSK_LIB_DIR` overrides the folder, for example on a machine where libvosk.so
//! is installed system-wide.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=RECOBRA_VOSK_LIB_DIR");

    let lib_dir = match env::var_os("RECOBRA_VOSK_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join(".deps")
            .join("vosk"),
    };
    println!("cargo:rerun-if-changed={}", lib_dir.join("libvosk.so").display());

    if !lib_dir.join("libvosk.so").is_file() {
        println!(
            "cargo:warning=libvosk.so not found in {}; run `./dev setup` first, or set RECOBRA_VOSK_LIB_DIR",
            lib_dir.display()
        );
    }

    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
}
