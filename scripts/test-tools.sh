#!/usr/bin/env bash
# Installs the system tools some tests use for real, when they are missing: `npm test` runs this
# first (pretest), so a clean machine needs no other step. Debian packages only, installed only
# when this runs as root with apt-get (CI, a fresh VM, the Docker build stage); anywhere else it
# says what is missing, and the tests that need it skip with the same message.
#
#   promtool  (Debian package prometheus): `promtool check metrics` on the daemon's /metrics
#   chromium  (Debian package chromium): the status page (GET /) opened in a real headless browser
#   zookeeper (Debian package zookeeper, 3.8, with a Java runtime): a real server for the leader
#             election, shared state and fencing tests (test/zk, test/e2e/zk-*)
set -euo pipefail

missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# The tests run the server straight from Debian's jar (scripts/zookeeper-server.mjs); it needs java.
if [ ! -f /usr/share/java/zookeeper.jar ]; then
  missing+=(zookeeper)
elif ! command -v java >/dev/null 2>&1; then
  missing+=(default-jre-headless)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test tools: missing Debian package(s) ${missing[*]}; the tests that need them will skip (install them as root: apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "test tools: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# The packages' own services are never started here (no init system in CI or the build stage).
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if ! command -v java >/dev/null 2>&1; then
  echo "test tools: java is still not on PATH; the ZooKeeper tests will skip (apt-get install default-jre-headless)" >&2
fi
