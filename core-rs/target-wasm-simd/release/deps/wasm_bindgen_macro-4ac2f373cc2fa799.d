/work/main/core-rs/target-wasm-simd/release/deps/wasm_bindgen_macro-4ac2f373cc2fa799.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasm-bindgen-macro-0.2.130/src/lib.rs

/work/main/core-rs/target-wasm-simd/release/deps/libwasm_bindgen_macro-4ac2f373cc2fa799.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasm-bindgen-macro-0.2.130/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wasm-bindgen-macro-0.2.130/src/lib.rs:
