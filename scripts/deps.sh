#!/usr/bin/env bash
# Installs what building (with --test, testing; with --bundle, packaging) Dynaspark Desktop needs on
# Debian/Ubuntu: system packages via apt-get (as root, else sudo), and tauri-driver
# via cargo. Idempotent: only what is missing is installed.
set -euo pipefail

# libsqlite3-dev and libssl-dev: the app links the system's SQLite and OpenSSL on Linux.
BUILD_PKGS=(libwebkit2gtk-4.1-dev libsoup-3.0-dev librsvg2-dev libayatana-appindicator3-dev
  libxdo-dev libssl-dev libsqlite3-dev pkg-config build-essential)
# gnome-keyring and dbus: the keyring tests (a Secret Service under dbus-run-session);
# python3-venv: a venv for pproxy, a third-party proxy the client is tested through.
# python3-cryptography: the updater tests sign update artifacts (tests/e2e/update_server.py).
TEST_PKGS=(xvfb webkit2gtk-driver xdotool xclip python3-gi gir1.2-gtk-3.0 xauth gnome-keyring dbus python3-venv python3-cryptography)

# npm: tauri-cli for `make bundle` and `make icons`; libglib2.0-bin (gio): the bundle
# test starts the installed app from its menu entry.
BUNDLE_PKGS=(libglib2.0-bin)
command -v npm >/dev/null || BUNDLE_PKGS+=(npm)

want=("${BUILD_PKGS[@]}")
with_tests=0
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST_PKGS[@]}")
  with_tests=1
elif [[ "${1:-}" == "--bundle" ]]; then
  want+=("${BUNDLE_PKGS[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "deps: these system packages are missing and I cannot install them (not root, no sudo):" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq || true
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ((with_tests)) && ! command -v tauri-driver >/dev/null && [[ ! -x "$HOME/.cargo/bin/tauri-driver" ]]; then
  echo "deps: installing tauri-driver (cargo install --locked)"
  cargo install tauri-driver --locked
fi

if ((with_tests)) && ! command -v cargo-deny >/dev/null && [[ ! -x "$HOME/.cargo/bin/cargo-deny" ]]; then
  echo "deps: installing cargo-deny (cargo install --locked)"
  cargo install cargo-deny --locked
fi

# pproxy (PyPI) in a venv of the project's own, so the system Python stays untouched.
VENV="${DYNASPARK_TOOLS_VENV:-target/tools-venv}"
if ((with_tests)) && [[ ! -x "$VENV/bin/pproxy" ]]; then
  echo "deps: installing pproxy into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pproxy==2.7.9
fi
