#!/usr/bin/env bash
# Independent interop checks, run by CI after the Python tests (from the repo root; Node >= 20 is
# installed when missing, see lib.sh):
# build the example site with the committed credsite.lock, then verify every credential and baked
# image with two independent verifiers, neither using credsite code:
#   1. Digital Bazaar's VC stack (interop/verify.mjs): both proofs of every proof set and each
#      award's status as its content YAML says it should be;
#   2. LearnCard's verifier, SpruceID didkit as WebAssembly (interop/didkit-verify.mjs): the proofs
#      of every credential, baked image and status list exactly as published (status is only
#      reported, not judged: see docs/interop.md, "LearnCard / didkit").
# Both also verify every learner record (CLR 2.0, records/): its own proof and every credential
# nested in it (Digital Bazaar: in full, and equal to the hosted one), hosted and baked.
# Both always run; the exit status is 0 only if both verified everything.
# The last two lines printed (stdout) are always `interop: N passed, M failed` and then
# `didkit: N passed, M failed`; progress goes to stderr. A verifier that did not report (the run
# stopped before it: install, self-tests, build, expectations; or it aborted) gets
# `<name>: 0 passed, 1 failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=""
db_line=""      # the closing line of each verifier, once it has reported
didkit_line=""
finish() {
    local rc=$?
    [[ -n "$tmp" ]] && rm -rf "$tmp"
    if [[ -z "$db_line" || -z "$didkit_line" ]]; then
        echo "interop: stopped before both verifiers reported (exit $rc)" >&2
        ((rc != 0)) || rc=1
    fi
    echo "${db_line:-interop: 0 passed, 1 failed}"
    echo "${didkit_line:-didkit: 0 passed, 1 failed}"
    exit "$rc"
}
trap finish EXIT

. .ci/lib.sh
ensure_node

echo "interop: installing the verifiers (npm ci) and running their self-tests" >&2
npm ci --prefix interop --no-audit --no-fund --loglevel=error >/dev/null
node --test interop/test.mjs >&2 || { echo "interop: verifier self-tests failed" >&2; exit 1; }
# (builds the example site itself, with credsite build --locked)
node --test interop/test-didkit.mjs >&2 ||
    { echo "interop: didkit verifier self-tests failed" >&2; exit 1; }
# (learner records through both verifiers; builds the example site too)
node --test interop/test-records.mjs >&2 ||
    { echo "interop: learner record self-tests failed" >&2; exit 1; }

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
# A withdrawn or private award gets none: its JSON is not published, or only encrypted.
# Pathway awards are the ones credsite works out from the content (credsite.issuing.pathways, as
# the build does; never the verifier); with `clr: true`, every recipient with an active award that
# is neither private nor withdrawn has a learner record (records/<token>.json, token from credsite.lock) whose expected status is valid.
expectations=$(python - <<'EOF'
import datetime as dt
import sys
from pathlib import Path

from credsite.content import config
from credsite.content import model
from credsite.issuing import clr, pathways
from credsite.issuing.urls import Urls
from credsite.state.lockfile import Lockfile

root = Path(".")
site = model.load(config.load(root))
lock = Lockfile.load(root / site.config.lockfile, locked=True)
urls = Urls(site.config.url, site.primary_issuer)
awards = pathways.award_pathways(site, lock, urls, locked=True).awards
now = dt.datetime.now(dt.timezone.utc)
counts = {}
for award in awards:
    entry = lock.awards.get(award.lock_key)
    if entry is None:
        sys.exit(f"interop: {award.location}: award not in credsite.lock")
    if award.withdrawn or award.visibility == "private":
        continue  # credentials/<token>.json is not published (withdrawn) or only encrypted
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
records = 0
if site.config.clr:
    # a record holds the recipient's active credentials that are neither private nor withdrawn
    # (a record is public); one with none of those has no record
    shown = [a for a in awards if a.status == "active" and a.visibility != "private"]
    for email in sorted({a.email for a in shown if not a.withdrawn}):
        record = lock.clrs.get(clr.recipient_key(email))
        if record is None:
            sys.exit(f"interop: the learner record of {email} is not in credsite.lock")
        print(f"{record.credential}=valid")
        records += 1
summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
print(
    f"interop: expecting {summary} (of {len(awards)} awards, "
    f"{len(awards) - len(site.awards)} of them pathway awards), {records} learner records valid",
    file=sys.stderr,
)
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

# Each verifier's report goes to stdout; its closing line is printed again by finish(), so the
# last two lines are the two closing lines. Either verifier exiting non-zero fails the run.
echo "interop: verifying $tmp/site as $BASE_URL (Digital Bazaar)" >&2
status=0
node interop/verify.mjs "$tmp/site" "$BASE_URL" "${args[@]}" >"$tmp/verify.out" || status=$?
grep -v -E '^interop: [0-9]+ passed, [0-9]+ failed$' "$tmp/verify.out" || true
db_line=$(grep -E '^interop: [0-9]+ passed, [0-9]+ failed$' "$tmp/verify.out" | tail -n 1 || true)

echo "interop: verifying $tmp/site as $BASE_URL (LearnCard didkit)" >&2
node interop/didkit-verify.mjs "$tmp/site" "$BASE_URL" "${args[@]}" >"$tmp/didkit.out" || status=$?
grep -v -E '^didkit: [0-9]+ passed, [0-9]+ failed$' "$tmp/didkit.out" || true
didkit_line=$(grep -E '^didkit: [0-9]+ passed, [0-9]+ failed$' "$tmp/didkit.out" | tail -n 1 || true)

# a verifier that printed no closing line counts as failed (finish prints 0 passed, 1 failed)
[[ -n "$db_line" && -n "$didkit_line" ]] || status=1
exit "$status"
