/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/universal_hash-6d6544400fab517d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/universal-hash-0.5.1/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libuniversal_hash-6d6544400fab517d.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/universal-hash-0.5.1/src/lib.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libuniversal_hash-6d6544400fab517d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/universal-hash-0.5.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/universal-hash-0.5.1/src/lib.rs:
