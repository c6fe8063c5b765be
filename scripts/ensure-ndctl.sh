#!/usr/bin/env bash
# The real-ndctl comparison tests (packages/cli/src/commands/cxl/real-ndctl.test.ts) run Debian's
# ndctl 76.1 (`cxl`, `daxctl`) in `unshare -m` as root. Install them when missing, so that the
# README's test command works on a fresh machine exactly as in CI.
set -euo pipefail
if command -v cxl >/dev/null 2>&1 && command -v daxctl >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-ndctl: cxl/daxctl missing and cannot apt-get install them (need root and apt-get)" >&2
  exit 0
fi
echo "ensure-ndctl: installing ndctl and daxctl (Debian packages) for the real-ndctl tests" >&2
apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ndctl daxctl >/dev/null
