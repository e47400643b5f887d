/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/crypto_common-9d1a96c517cf94fb.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/crypto-common-0.1.7/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libcrypto_common-9d1a96c517cf94fb.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/crypto-common-0.1.7/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libcrypto_common-9d1a96c517cf94fb.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/crypto-common-0.1.7/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/crypto-common-0.1.7/src/lib.rs:
