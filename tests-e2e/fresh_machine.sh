#!/usr/bin/env bash
# The README's set-up as a newcomer types it, inside a container of a fresh Debian root
# filesystem (tests-e2e/test_fresh_machine_e2e.py starts it as root, the checkout's files in
# /tmp/checkout.tar):
#   fresh_machine.sh root        `make run` until the gateway answers a sign-up and a post, then
#                                the rest of `make test`'s install steps (Chromium, ffmpeg, promtool, axe-core),
#                                then every step again, which must do and say nothing
#   fresh_machine.sh plain-user  the same steps as a user who is not root: each says what to do
# Before each step apt's package lists are removed, as on a machine that never fetched them:
# a step that works only because an earlier one refreshed them fails here.
set -euo pipefail
exec 2>&1 # one stream, in order

say() { printf '== [%ss] %s\n' "$SECONDS" "$*"; }
fail() { printf 'FAILED: %s\n' "$*"; exit 1; }
forget_apt_lists() { rm -rf /var/lib/apt/lists/*; }

# The machine's own trust (a TLS-inspecting proxy's certificate, say), not the project's state.
update-ca-certificates >/dev/null 2>&1

unpack_checkout() { # USER: the checkout in that user's home, as `git clone` would leave it
  local home
  home=$(getent passwd "$1" | cut -d: -f6)
  mkdir -p "$home/copost"
  tar -xf /tmp/checkout.tar -C "$home/copost"
  chown -R "$1:" "$home/copost"
  echo "$home/copost"
}

signed_up_and_posted() { # PORT: sign up, sign in and post through the gateway
  .venv/bin/python - "$1" <<'PY'
import sys

import httpx

gateway = httpx.Client(base_url=f"http://127.0.0.1:{sys.argv[1]}", timeout=30)
credentials = {"handle": "newcomer", "password": "correct horse"}
signed_up = gateway.post("/v1/users", json={**credentials, "display_name": "Newcomer"})
assert signed_up.status_code == 201, signed_up.text
signed_in = gateway.post("/v1/auth/token", json=credentials)
assert signed_in.status_code == 200, signed_in.text
bearer = {"authorization": f"Bearer {signed_in.json()['access_token']}"}
posted = gateway.post("/v1/posts", json={"text": "hello"}, headers=bearer)
assert posted.status_code == 201, posted.text
print("signed up and posted:", posted.json()["id"])
PY
}

as_root() {
  cd "$(unpack_checkout root)"
  forget_apt_lists
  say "make run"
  set -m # `make run` in its own process group, so that Ctrl-C (SIGINT) reaches it
  make run >/tmp/make-run.log 2>&1 &
  local run_pid=$! deadline=$((SECONDS + 600))
  set +m
  until grep -q "CoPost is up" /tmp/make-run.log; do
    kill -0 "$run_pid" 2>/dev/null || { cat /tmp/make-run.log; fail "make run stopped"; }
    ((SECONDS < deadline)) || { cat /tmp/make-run.log; fail "make run not up in time"; }
    sleep 1
  done
  cat /tmp/make-run.log
  signed_up_and_posted 8000 || fail "the gateway did not take a sign-up and a post"
  kill -INT -- "-$run_pid"
  wait "$run_pid" || true

  for target in chromium ffmpeg promtool npm-tools; do
    forget_apt_lists
    say "make $target"
    make "$target"
  done
  chromium --version || fail "no working chromium after make chromium"
  ffprobe -version >/dev/null || fail "no working ffprobe after make ffmpeg"
  [ -f node_modules/axe-core/axe.min.js ] || fail "no axe-core after make npm-tools"
  export PATH="$HOME/.local/bin:$PATH"
  promtool test rules deploy/monitoring/prometheus/alerts.test.yaml ||
    fail "promtool does not run the alert rules' tests"

  forget_apt_lists
  say "make install rabbitmq redis chromium ffmpeg promtool npm-tools, again"
  local again
  again=$(make install rabbitmq redis chromium ffmpeg promtool npm-tools 2>&1) || { echo "$again"; fail "a second run failed"; }
  [ -z "$again" ] || { echo "$again"; fail "a second run did something"; }
  say "root: every step worked, and did nothing the second time"
}

as_plain_user() {
  useradd --create-home newcomer
  cd "$(unpack_checkout newcomer)"
  forget_apt_lists
  local target output code
  for target in install rabbitmq redis chromium ffmpeg promtool npm-tools; do
    say "make $target, as newcomer"
    code=0
    output=$(runuser --login newcomer --command "cd copost && make $target" 2>&1) || code=$?
    echo "$output (exit code $code)"
    case $target in
      install) [[ $code -ne 0 && $output == *"sudo apt-get install -y python3-pip"* ]] ;;
      rabbitmq) [[ $code -ne 0 && $output == *"sudo apt-get install -y rabbitmq-server"* ]] ;;
      redis) [[ $code -ne 0 && $output == *"sudo apt-get install -y redis-server"* ]] ;;
      chromium) [[ $code -eq 0 && $output == *"sudo apt-get install -y chromium"*"skipped"* ]] ;;
      ffmpeg) [[ $code -eq 0 && $output == *"sudo apt-get install -y ffmpeg"*"skipped"* ]] ;;
      promtool) [[ $code -eq 0 && $output == *"sudo apt-get update"*"skipped"* ]] ;;
      npm-tools) [[ $code -eq 0 && $output == *"sudo apt-get install -y npm"*"skipped"* ]] ;;
    esac || fail "make $target as a plain user did not say what to do"
  done
  say "plain user: every step said what to do"
}

case ${1:-} in
  root) as_root ;;
  plain-user) as_plain_user ;;
  *) echo "usage: $0 root|plain-user" >&2; exit 2 ;;
esac
