#!/usr/bin/env bash
# Makes sure Prometheus's promtool is at /usr/bin/promtool for the alert rules' unit tests
# (deploy/tests/test_monitoring.py): Debian's promtool package, the tool alone (no server).
# Installs it with apt-get when run as root; otherwise says what to install (those tests then
# skip, saying why).
exec "$(dirname "${BASH_SOURCE[0]}")/debian-tool.sh" /usr/bin/promtool promtool \
  "the alert rules' unit tests"
