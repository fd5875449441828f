#!/usr/bin/env bash
# Installs the workspace into .venv: uv (if missing), a Python 3.13, then `uv sync`.
# Idempotent and silent when everything is already in place; called by `make install`.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"
export PATH="$HOME/.local/bin:$PATH"

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# A command "works" only if it runs: pyenv shims exist for every version but fail for most.
runs() { "$@" >/dev/null 2>&1; }

is_python313() {
  runs "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else 1)'
}

# A Python 3.13 of this machine: python3.13 on PATH (Debian 13's), else pyenv's.
find_python313() {
  local candidate
  if candidate=$(command -v python3.13) && is_python313 "$candidate"; then
    echo "$candidate"; return
  fi
  for candidate in "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
    if [ -x "$candidate" ] && is_python313 "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}

# uv, installed with pip into ~/.local/bin if missing. Debian's own python3 has no pip until
# python3-pip is installed (root does that here); pyenv's Pythons have their own.
ensure_uv() {
  if runs uv --version; then return; fi
  local python candidate
  for candidate in "$@" python3; do
    if runs "$candidate" -m pip --version; then python=$candidate; break; fi
  done
  if [ -z "${python:-}" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      say "uv is missing and no Python here has pip to install it: run" \
        "'sudo apt-get install -y python3-pip' (or install uv yourself), then try again"
      exit 1
    fi
    say "installing Debian's python3-pip to install uv with"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    python=python3
  fi
  say "uv not found; installing it with $python -m pip (--user)"
  # Debian's Pythons refuse pip installs outside a venv, --user ones too (PEP 668).
  "$python" -m pip install --quiet --user uv 2>/dev/null ||
    "$python" -m pip install --quiet --user --break-system-packages uv
  hash -r
  runs uv --version || { say "uv was installed but does not run; is ~/.local/bin on PATH?"; exit 1; }
}

python=$(find_python313) || python=
ensure_uv ${python:+"$python"}
if [ -z "$python" ]; then
  if ! python=$(uv python find 3.13 2>/dev/null); then
    say "no Python 3.13 found; asking uv to install one"
    uv python install --quiet 3.13 >&2
    python=$(uv python find 3.13)
  fi
fi
sync_flags=(--all-packages --quiet -p "$python")
# CI installs exactly what uv.lock says; COPOST_UNLOCKED=1 lets a developer sync a changed workspace.
if [ -f uv.lock ] && [ "${COPOST_UNLOCKED:-0}" != "1" ]; then
  sync_flags+=(--locked)
fi
if ! uv sync "${sync_flags[@]}"; then
  case " ${sync_flags[*]} " in
    *" --locked "*) say "uv.lock does not match the workspace: run 'uv lock' and commit it" \
      "(or COPOST_UNLOCKED=1 make ... to sync without the lock check)" ;;
  esac
  exit 1
fi
