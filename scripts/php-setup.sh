# Sourced by test-php.sh and bench-php.sh: makes sure PHP's development files and libclang are
# installed (Debian, as root or through sudo), builds the `emongroups` extension against the
# system PHP and defines `run_php`, which runs PHP with only that extension loaded.
# PHP=/path/to/php picks another PHP; ext-php-rs reads the same variable (and PHP_CONFIG) to
# choose the headers it builds against, so it is left as the caller set it.

php_bin=${PHP:-php}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

install_php_toolchain() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  # Debian 12 ships PHP 8.2 under these names; elsewhere fall back to the default PHP.
  if apt-cache show php8.2-dev >/dev/null 2>&1; then
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq php8.2-dev php8.2-cli libclang-dev clang >/dev/null
  else
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq php-dev php-cli libclang-dev clang >/dev/null
  fi
}

if ! command -v "$php_bin" >/dev/null || ! command -v php-config >/dev/null \
  || [ -n "$(missing_packages libclang-dev clang)" ]; then
  echo "installing PHP development files and libclang"
  install_php_toolchain
fi

echo "building the extension against PHP $("$php_bin" -r 'echo PHP_VERSION;')"
# Not --locked: the lock pins every version either way, and a lock that momentarily lists crates
# of a workspace member not yet committed must not stop this door from building.
cargo build --release -p emongroups-php 2>&1

EMONGROUPS_SO="${CARGO_TARGET_DIR:-target}/release/libemongroups_php.so"
EMONGROUPS_SO="$(cd "$(dirname "$EMONGROUPS_SO")" && pwd)/$(basename "$EMONGROUPS_SO")"

# The test-only build with `EmonGroups\panicProbe()`: a debug build, so that it lives in
# target/debug and never overwrites (or forces relinking) the release module above.
build_panic_probe() {
  cargo build -p emongroups-php --features panic-probe 2>&1
  EMONGROUPS_PROBE_SO="${CARGO_TARGET_DIR:-target}/debug/libemongroups_php.so"
  EMONGROUPS_PROBE_SO="$(cd "$(dirname "$EMONGROUPS_PROBE_SO")" && pwd)/$(basename "$EMONGROUPS_PROBE_SO")"
}

run_php() {
  "$php_bin" -n -d "extension=$EMONGROUPS_SO" "$@"
}
