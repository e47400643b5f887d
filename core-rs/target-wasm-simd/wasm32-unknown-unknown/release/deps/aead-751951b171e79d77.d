/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/aead-751951b171e79d77.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/aead-0.5.2/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libaead-751951b171e79d77.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/aead-0.5.2/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libaead-751951b171e79d77.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/aead-0.5.2/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/aead-0.5.2/src/lib.rs:
