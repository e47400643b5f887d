/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/nextmini_core.d: src/lib.rs src/auth/mod.rs src/auth/mac.rs src/auth/replay.rs src/error.rs src/frag/mod.rs src/frag/error.rs src/frag/fragmenter.rs src/frag/reassembler.rs src/groups.rs src/link/mod.rs src/link/loss.rs src/link/model.rs src/link/params.rs src/link/rng.rs src/link/stats.rs src/link/token_bucket.rs src/lossless/mod.rs src/lossless/bitmap.rs src/lossless/config.rs src/lossless/endpoint.rs src/lossless/fec.rs src/lossless/frame.rs src/lossless/manifest.rs src/lossless/pacing.rs src/lossless/receiver.rs src/lossless/sender.rs src/node/mod.rs src/node/config.rs src/node/egress.rs src/node/event.rs src/node/lossless.rs src/node/multicast.rs src/node/stats.rs src/topology/mod.rs src/topology/codec.rs src/topology/dag.rs src/topology/generators.rs src/topology/graph.rs src/topology/hash.rs src/topology/mc_table.rs src/topology/multicast.rs src/topology/pool.rs src/topology/route_table/mod.rs src/topology/route_table/codec.rs src/topology/unicast.rs src/wire.rs src/wasm/mod.rs src/wasm/batch.rs src/wasm/bench.rs src/wasm/controller.rs src/wasm/groups.rs src/wasm/header.rs src/wasm/link.rs src/wasm/node.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/libnextmini_core.rlib: src/lib.rs src/auth/mod.rs src/auth/mac.rs src/auth/replay.rs src/error.rs src/frag/mod.rs src/frag/error.rs src/frag/fragmenter.rs src/frag/reassembler.rs src/groups.rs src/link/mod.rs src/link/loss.rs src/link/model.rs src/link/params.rs src/link/rng.rs src/link/stats.rs src/link/token_bucket.rs src/lossless/mod.rs src/lossless/bitmap.rs src/lossless/config.rs src/lossless/endpoint.rs src/lossless/fec.rs src/lossless/frame.rs src/lossless/manifest.rs src/lossless/pacing.rs src/lossless/receiver.rs src/lossless/sender.rs src/node/mod.rs src/node/config.rs src/node/egress.rs src/node/event.rs src/node/lossless.rs src/node/multicast.rs src/node/stats.rs src/topology/mod.rs src/topology/codec.rs src/topology/dag.rs src/topology/generators.rs src/topology/graph.rs src/topology/hash.rs src/topology/mc_table.rs src/topology/multicast.rs src/topology/pool.rs src/topology/route_table/mod.rs src/topology/route_table/codec.rs src/topology/unicast.rs src/wire.rs src/wasm/mod.rs src/wasm/batch.rs src/wasm/bench.rs src/wasm/controller.rs src/wasm/groups.rs src/wasm/header.rs src/wasm/link.rs src/wasm/node.rs

/work/main/core-rs/target-wasm-simd/wasm32-unknown-unknown/release/deps/nextmini_core.wasm: src/lib.rs src/auth/mod.rs src/auth/mac.rs src/auth/replay.rs src/error.rs src/frag/mod.rs src/frag/error.rs src/frag/fragmenter.rs src/frag/reassembler.rs src/groups.rs src/link/mod.rs src/link/loss.rs src/link/model.rs src/link/params.rs src/link/rng.rs src/link/stats.rs src/link/token_bucket.rs src/lossless/mod.rs src/lossless/bitmap.rs src/lossless/config.rs src/lossless/endpoint.rs src/lossless/fec.rs src/lossless/frame.rs src/lossless/manifest.rs src/lossless/pacing.rs src/lossless/receiver.rs src/lossless/sender.rs src/node/mod.rs src/node/config.rs src/node/egress.rs src/node/event.rs src/node/lossless.rs src/node/multicast.rs src/node/stats.rs src/topology/mod.rs src/topology/codec.rs src/topology/dag.rs src/topology/generators.rs src/topology/graph.rs src/topology/hash.rs src/topology/mc_table.rs src/topology/multicast.rs src/topology/pool.rs src/topology/route_table/mod.rs src/topology/route_table/codec.rs src/topology/unicast.rs src/wire.rs src/wasm/mod.rs src/wasm/batch.rs src/wasm/bench.rs src/wasm/controller.rs src/wasm/groups.rs src/wasm/header.rs src/wasm/link.rs src/wasm/node.rs

src/lib.rs:
src/auth/mod.rs:
src/auth/mac.rs:
src/auth/replay.rs:
src/error.rs:
src/frag/mod.rs:
src/frag/error.rs:
src/frag/fragmenter.rs:
src/frag/reassembler.rs:
src/groups.rs:
src/link/mod.rs:
src/link/loss.rs:
src/link/model.rs:
src/link/params.rs:
src/link/rng.rs:
src/link/stats.rs:
src/link/token_bucket.rs:
src/lossless/mod.rs:
src/lossless/bitmap.rs:
src/lossless/config.rs:
src/lossless/endpoint.rs:
src/lossless/fec.rs:
src/lossless/frame.rs:
src/lossless/manifest.rs:
src/lossless/pacing.rs:
src/lossless/receiver.rs:
src/lossless/sender.rs:
src/node/mod.rs:
src/node/config.rs:
src/node/egress.rs:
src/node/event.rs:
src/node/lossless.rs:
src/node/multicast.rs:
src/node/stats.rs:
src/topology/mod.rs:
src/topology/codec.rs:
src/topology/dag.rs:
src/topology/generators.rs:
src/topology/graph.rs:
src/topology/hash.rs:
src/topology/mc_table.rs:
src/topology/multicast.rs:
src/topology/pool.rs:
src/topology/route_table/mod.rs:
src/topology/route_table/codec.rs:
src/topology/unicast.rs:
src/wire.rs:
src/wasm/mod.rs:
src/wasm/batch.rs:
src/wasm/bench.rs:
src/wasm/controller.rs:
src/wasm/groups.rs:
src/wasm/header.rs:
src/wasm/link.rs:
src/wasm/node.rs:
