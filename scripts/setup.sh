#!/usr/bin/env bash
# Prepares a fresh Debian machine for felix-ts: the system packages the agent and the tests use,
# then the pinned npm dependencies. Safe to run again: it installs only what is missing.
#   iptables, ipset, iproute2   the dataplane (and the namespace / e2e tests)
#   golang-go, golang-github-golang-snappy-dev   Go's own gob/snappy for the protocol cross-checks
#   iputils-ping, netcat-openbsd, procps         traffic checks in the tests
#   nftables                                     `nft -a` rule handles in the takeover test
#   kubernetes-client (only without a kubectl)   `kubectl kustomize` renders the deploy overlays in tests
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(iptables ipset iproute2 golang-go golang-github-golang-snappy-dev iputils-ping netcat-openbsd procps nftables util-linux ca-certificates)
need=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    # Not root: the demo still runs (it prints the restore transaction instead of programming a
    # namespace); the root-only test suites need these packages.
    echo "setup: not root, so not installing: ${need[*]}" >&2
  fi
fi

# npm ci once per lockfile: the README runs this script before each of its two commands, and the
# second run (same lockfile, same install) has nothing to do.
stamp=node_modules/.felix-ts-setup
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: node_modules already matches package-lock.json"
else
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
