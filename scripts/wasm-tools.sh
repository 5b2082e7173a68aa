# Sourced by the wasm scripts: installs, once, what building and testing the WebAssembly package
# needs on a Debian machine with Rust (as root, or through sudo). Quick when all is there.

# The wasm-bindgen-cli version must equal the wasm-bindgen crate pinned in wasm/Cargo.toml.
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = .*version = "=\([0-9.]*\)".*/\1/p' wasm/Cargo.toml
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

# ensure_wasm_tools [node]: the Rust target, wasm-bindgen-cli, wasm-opt (binaryen) and gzip;
# with `node`, Node.js and npm too.
ensure_wasm_tools() {
  local want
  want=$(wasm_bindgen_version)
  if [ -z "$want" ]; then
    echo "cannot read the pinned wasm-bindgen version from wasm/Cargo.toml" >&2
    return 1
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want" ]; then
    echo "installing wasm-bindgen-cli $want (takes a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
  local missing=()
  command -v wasm-opt >/dev/null || missing+=(binaryen)
  command -v gzip >/dev/null || missing+=(gzip)
  if [ "${1:-}" = node ] && ! command -v node >/dev/null; then missing+=(nodejs); fi
  if [ "${1:-}" = node ] && ! command -v npm >/dev/null; then missing+=(npm); fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}
