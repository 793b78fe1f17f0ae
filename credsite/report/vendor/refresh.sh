#!/usr/bin/env bash
# Refresh the vendored chart renderer of `credsite report` from npm: the minified browser builds
# of vega, vega-lite and vega-embed at the versions pinned below, their licence files, and
# SHA256SUMS. Run from anywhere; needs npm and network access to the npm registry. After a
# version change, update the table in README.md (tests/test_report.py checks SHA256SUMS and that
# README.md names every file's digest) and look at a report in a browser.
set -euo pipefail
VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED" >/dev/null
for package in vega vega-lite vega-embed; do
  mkdir "$package"
  tar -xzf "$package"-[0-9]*.tgz -C "$package"
  cp "$package/package/build/$package.min.js" "$here/$package.min.js"
  cp "$package/package/LICENSE" "$here/LICENSE-$package"
done
cd "$here"
sha256sum vega.min.js vega-lite.min.js vega-embed.min.js LICENSE-vega LICENSE-vega-lite LICENSE-vega-embed > SHA256SUMS
cat SHA256SUMS
