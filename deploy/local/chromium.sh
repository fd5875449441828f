#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the web client's browser tests.
# Installs it with apt-get when run as root; otherwise says what to install (the browser
# tests then skip, saying why). Playwright never downloads a browser of its own here.
exec "$(dirname "${BASH_SOURCE[0]}")/debian-tool.sh" /usr/bin/chromium chromium "the browser tests"
