#!/usr/bin/env bash
# Independent interop check, run by CI after the Python tests (from the repo root; Node >= 20 is
# installed with apt when missing, see lib.sh):
# build the example site with the committed credsite.lock, then verify every credential and baked
# image with Digital Bazaar's VC stack (interop/verify.mjs), expecting each award's status as its
# content YAML says it should be. Exit status: that of verify.mjs (0 = everything verified).
# The last line printed is always `interop: N passed, M failed` (stdout); progress goes to stderr.
# If the run stops before verify.mjs reports (install, self-tests, build, expectations), or the
# verifier aborts, that line is `interop: 0 passed, 1 failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=""
summary=false
finish() {
    local rc=$?
    [[ -n "$tmp" ]] && rm -rf "$tmp"
    if ! $summary; then
        echo "interop: stopped before the verifier reported (exit $rc)" >&2
        echo "interop: 0 passed, 1 failed"
        ((rc != 0)) || rc=1
    fi
    exit "$rc"
}
trap finish EXIT

. .ci/lib.sh
ensure_node

echo "interop: installing the verifier (npm ci) and running its self-tests" >&2
npm ci --prefix interop --no-audit --no-fund --loglevel=error >/dev/null
node --test interop/test.mjs >&2 || { echo "interop: verifier self-tests failed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/credsite-interop.XXXXXX")

# --locked: the committed credsite.lock must already hold every credential (CI never mints).
echo "interop: building the example site into $tmp/site" >&2
credsite build --locked -o "$tmp/site" -q

# The base URL, straight from site.yaml (not through credsite's config).
BASE_URL=$(python -c 'import yaml; print(yaml.safe_load(open("site.yaml", encoding="utf-8"))["url"])')

# Expected status of every award, from its content YAML (never from credsite's verifier):
#   status: revoked / suspended        -> that status
#   else `expires` before now          -> expired
#   else `issued` after now            -> not-yet-valid
#   else, if the achievement sets no validity period (valid_for) -> valid
# (an active award of an achievement with valid_for gets no expectation: its end date is derived.)
# The award's token (credentials/<token>.json) comes from credsite.lock via award.lock_key.
expectations=$(python - <<'EOF'
import datetime as dt
import sys
from pathlib import Path

from credsite.content import config
from credsite.content import model
from credsite.state.lockfile import Lockfile

root = Path(".")
site = model.load(config.load(root))
lock = Lockfile.load(root / site.config.lockfile)
now = dt.datetime.now(dt.timezone.utc)
counts = {}
for award in site.awards:
    entry = lock.awards.get(award.lock_key)
    if entry is None:
        sys.exit(f"interop: {award.location}: award not in credsite.lock")
    if award.status in ("revoked", "suspended"):
        status = award.status
    elif award.expires is not None and award.expires < now:
        status = "expired"
    elif award.issued is not None and award.issued > now:
        status = "not-yet-valid"
    elif site.achievements[award.achievement].valid_for is None:
        status = "valid"
    else:
        continue
    counts[status] = counts.get(status, 0) + 1
    print(f"{entry.credential}={status}")
summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
print(f"interop: expecting {summary} (of {len(site.awards)} awards)", file=sys.stderr)
EOF
)

if ! grep -q '=revoked$' <<<"$expectations"; then
    echo "interop: no revoked award in content/: the revocation check would test nothing" >&2
    exit 1
fi

args=()
while IFS= read -r line; do
    [[ -n "$line" ]] && args+=(--expect-status "$line")
done <<<"$expectations"

echo "interop: verifying $tmp/site as $BASE_URL" >&2
status=0
node interop/verify.mjs "$tmp/site" "$BASE_URL" "${args[@]}" | tee "$tmp/verify.out" || status=$?
if grep -Eq '^interop: [0-9]+ passed, [0-9]+ failed$' "$tmp/verify.out"; then
    summary=true
fi
exit "$status"
