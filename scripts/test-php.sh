#!/usr/bin/env bash
# The PHP door: builds the `emongroups` extension against the system PHP and runs, with only that
# extension loaded (`php -n`), the conformance vectors, the hostile-input tests and the check that
# the IDE stub matches what the extension exports; lints the stub and prints `php --ri`.
# Installs PHP's development files and libclang (ext-php-rs generates its bindings with bindgen)
# when they are missing: Debian, as root or through sudo. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PHP=${PHP:-php}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

install_packages() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # Debian 12 ships PHP 8.2 under these names; elsewhere fall back to the default PHP.
  if apt-cache show php8.2-dev >/dev/null 2>&1; then
    $sudo apt-get install -y -qq php8.2-dev php8.2-cli libclang-dev clang >/dev/null
  else
    $sudo apt-get install -y -qq php-dev php-cli libclang-dev clang >/dev/null
  fi
}

if ! command -v "$PHP" >/dev/null || ! command -v php-config >/dev/null \
  || [ -n "$(missing_packages libclang-dev clang)" ]; then
  echo "installing PHP development files and libclang"
  install_packages
fi

echo "building the extension against $("$PHP" -r 'echo PHP_VERSION;') ($(command -v php-config))"
cargo build --locked --release -p emongroups-php 2>&1

so="${CARGO_TARGET_DIR:-target}/release/libemongroups_php.so"
so="$(cd "$(dirname "$so")" && pwd)/$(basename "$so")"
run_php() {
  "$PHP" -n -d "extension=$so" "$@"
}

status=0
run_php host-tests/php/conformance.php || status=1
run_php host-tests/php/hostile.php || status=1
run_php host-tests/php/stub.php || status=1
"$PHP" -n -l php-ext/stubs/emongroups.stub.php || status=1
run_php --ri emongroups || status=1
exit $status
