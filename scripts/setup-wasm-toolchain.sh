#!/usr/bin/env bash
# Installs everything the wasm build of core-rs needs, on a fresh Debian machine of this kind.
# Idempotent: every step checks first and says what it found, so a second run takes seconds.
#
# Why not rustup's wasm32 target: it is not shipped with the rustup toolchain here and rustup
# cannot download it. Debian's rustc-web + rust-web-src let us build std for wasm32 ourselves.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '[setup-wasm] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_PKGS=(rustc-web cargo-web rust-web-src lld-22)
WASM_LIBDIR=/usr/lib/rustlib/wasm32-unknown-unknown/lib
# The CLI must be the exact version the crate pins (the generated glue and the crate talk a private ABI).
WB_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$here/core-rs/Cargo.toml")"
[ -n "$WB_VERSION" ] || { say "could not read the wasm-bindgen pin from core-rs/Cargo.toml"; exit 1; }

# 1. Debian's Rust (it can target wasm32 once std exists for it), its library source, and lld.
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "Debian packages present: ${APT_PKGS[*]}"
fi

# 2. std for wasm32-unknown-unknown, built once from Debian's library source, with bitcode (lto)
#    so that our LTO release builds can link it.
if ls "$WASM_LIBDIR"/libstd-*.rlib >/dev/null 2>&1; then
  say "std for wasm32 present in $WASM_LIBDIR"
else
  src="$(ls -d /usr/src/rustc-*/library | sort -V | tail -n1)"
  scratch="$(mktemp -d)"
  say "building std for wasm32 from $src in $scratch (a few minutes, once)"
  mkdir -p "$scratch/src" "$scratch/.cargo"
  cat > "$scratch/Cargo.toml" <<TOML
[package]
name = "wasm-std-build"
version = "0.0.0"
edition = "2021"
[lib]
path = "src/lib.rs"
[profile.release]
lto = true
panic = "abort"
TOML
  echo '#![no_std]' > "$scratch/src/lib.rs"
  cat > "$scratch/.cargo/config.toml" <<TOML
[source.crates-io]
replace-with = "vendored-std"
[source.vendored-std]
directory = "$src/vendor"
TOML
  (cd "$scratch" && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build --release --offline \
      -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown)
  as_root mkdir -p "$WASM_LIBDIR"
  as_root cp "$scratch"/target/wasm32-unknown-unknown/release/deps/*.rlib "$WASM_LIBDIR/"
  rm -rf "$scratch"
  say "installed std for wasm32 into $WASM_LIBDIR"
fi

# 3. wasm-bindgen CLI at the pinned version.
if command -v wasm-bindgen >/dev/null 2>&1 && [ "$(wasm-bindgen --version | awk '{print $2}')" = "$WB_VERSION" ]; then
  say "wasm-bindgen $WB_VERSION present"
else
  say "installing wasm-bindgen-cli $WB_VERSION with cargo (several minutes, once)"
  # Not --locked: its lock file names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --quiet
fi
say "ok: rustc $(/usr/bin/rustc --version | awk '{print $2}'), wasm-bindgen $WB_VERSION"
