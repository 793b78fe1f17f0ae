#!/usr/bin/env bash
# Browser tests of the hosted pages, run by CI after the Python tests (from the repo root, with
# credsite installed; Node >= 20, npm, Chromium and fonts are installed with apt when missing, see
# lib.sh): build the example site into a temporary folder, serve it on 127.0.0.1 and drive
# Debian's Chromium with Playwright (playwright-core: no browser download) to check live
# verification (verified / revoked / expired / tampered -> failed / no Ed25519 -> unsupported),
# axe-core on every page type, no sideways scrolling at 360px and 320px, the print view on A4 and
# Letter, and to save screenshots and PDFs into test-artifacts/ for a person to look at.
# Prints one line per test and closes with "N passed, M failed". Exit status 0 only if none failed.
set -euo pipefail
cd "$(dirname "$0")/.."

. .ci/lib.sh
ensure_node
ensure_chromium # exports CHROMIUM (default /usr/bin/chromium, installed with fonts when missing)

echo "browser: installing playwright-core and axe-core (npm ci)" >&2
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >&2

PYTHON=${PYTHON:-$(command -v python || command -v python3)}
export PYTHON
node tests/browser/report.mjs   # credsite report from file://: charts, no network, axe-core, 360px, print
exec node tests/browser/run.mjs
