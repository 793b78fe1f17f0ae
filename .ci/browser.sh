#!/usr/bin/env bash
# Browser tests of the hosted pages, run by CI after the Python tests (from the repo root, with
# credsite installed and Node >= 20 on PATH): build the example site into a temporary folder,
# serve it on 127.0.0.1 and drive Debian's Chromium with Playwright (playwright-core: no browser
# download) to check live verification (verified / revoked / expired / tampered -> failed /
# no Ed25519 -> unsupported), axe-core on every page type, the print view on A4 and Letter, and
# to save screenshots and PDFs into test-artifacts/ for a person to look at.
# Prints one line per test and closes with "N passed, M failed". Exit status 0 only if none failed.
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "browser: need root to apt-get install $*; install it, or set CHROMIUM=/path/to/chromium" >&2
        exit 1
    fi
    echo "browser: apt-get install $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "$@" >&2
}
if [[ ! -x "$CHROMIUM" ]]; then
    apt_install chromium fonts-dejavu-core fonts-liberation
    CHROMIUM=/usr/bin/chromium
fi
if ! command -v fc-list >/dev/null 2>&1 || [[ -z "$(fc-list 2>/dev/null | head -n 1)" ]]; then
    apt_install fontconfig fonts-dejavu-core fonts-liberation
fi
export CHROMIUM

echo "browser: installing playwright-core and axe-core (npm ci)" >&2
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >&2

PYTHON=${PYTHON:-$(command -v python || command -v python3)}
export PYTHON
exec node tests/browser/run.mjs
