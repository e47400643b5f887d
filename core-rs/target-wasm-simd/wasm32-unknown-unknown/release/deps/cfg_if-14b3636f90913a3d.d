/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/cfg_if-14b3636f90913a3d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libcfg_if-14b3636f90913a3d.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libcfg_if-14b3636f90913a3d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/cfg-if-1.0.5/src/lib.rs:
