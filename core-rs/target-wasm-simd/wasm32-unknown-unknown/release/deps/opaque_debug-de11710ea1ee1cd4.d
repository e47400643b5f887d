/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/opaque_debug-de11710ea1ee1cd4.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/opaque-debug-0.3.1/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libopaque_debug-de11710ea1ee1cd4.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/opaque-debug-0.3.1/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libopaque_debug-de11710ea1ee1cd4.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/opaque-debug-0.3.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/opaque-debug-0.3.1/src/lib.rs:
