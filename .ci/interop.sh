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
# Then the same for a benchmark site of 600 awards built from scratch (bench/scale_bench.py's
# content; CREDSITE_INTEROP_AWARDS sets how many): every one of its credentials, baked images and
# learner records, through both verifiers.
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
# The award's token (credentials/<token>.json) comes from credsite.lock via award.lock_key; an
# endorsement's (endorsements/<token>.json) via endorsement.lock_key.
# A withdrawn or private award gets none: its JSON is not published, or only encrypted.
# Pathway awards are the ones credsite works out from the content (credsite.issuing.pathways, as
# the build does; never the verifier); with `clr: true`, every recipient with an active award that
# is neither private nor withdrawn has a learner record (records/<token>.json, token from credsite.lock) whose expected status is valid.
expect() {  # expect SITE_ROOT: TOKEN=STATUS lines for the site in SITE_ROOT
python - "$1" <<'EOF'
import datetime as dt
import sys
from pathlib import Path

from credsite.content import config
from credsite.content import model
from credsite.issuing import clr, pathways
from credsite.issuing.urls import Urls
from credsite.state.lockfile import Lockfile

root = Path(sys.argv[1])
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
# Endorsements written on the site (content/endorsements/*.yaml): `status: withdrawn` -> revoked
# (the bit in the endorser's own status list), else valid (they have no end date).
for endorsement in site.endorsements:
    entry = lock.endorsements.get(endorsement.lock_key)
    if entry is None:
        sys.exit(f"interop: {endorsement.location}: endorsement not in credsite.lock")
    status = "revoked" if endorsement.status == "withdrawn" else "valid"
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
    f"{len(awards) - len(site.awards)} of them pathway awards, and {len(site.endorsements)} "
    f"endorsements), {records} learner records valid",
    file=sys.stderr,
)
EOF
}
expectations=$(expect .)

if ! grep -q '=revoked$' <<<"$expectations"; then
    echo "interop: no revoked award in content/: the revocation check would test nothing" >&2
    exit 1
fi

args=()
while IFS= read -r line; do
    [[ -n "$line" ]] && args+=(--expect-status "$line")
done <<<"$expectations"

# A benchmark site (bench/scale_bench.py's content: the example's issuers and achievements,
# CREDSITE_INTEROP_AWARDS awards, 600 by default, each to its own recipient, so as many learner
# records), built from scratch: every credential, baked image and learner record of it through
# both verifiers too, so that what a large site publishes is checked, not only the example.
bench_awards=${CREDSITE_INTEROP_AWARDS:-600}
bench="$tmp/bench"
echo "interop: building a benchmark site of $bench_awards awards into $bench" >&2
python bench/scale_bench.py --make-site "$bench" -n "$bench_awards"
credsite build -C "$bench" -q
bench_expectations=$(expect "$bench")
bench_args=()
while IFS= read -r line; do
    [[ -n "$line" ]] && bench_args+=(--expect-status "$line")
done <<<"$bench_expectations"

# Each verifier's report goes to stdout; its closing line (the sum over both sites) is printed
# again by finish(), so the last two lines are the two closing lines. Either verifier exiting
# non-zero fails the run.
closing() {  # closing NAME FILE...: the sum of the files' closing lines, as one closing line
    local name=$1 passed=0 failed=0 line p f file
    shift
    for file in "$@"; do
        line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$file" | tail -n 1 || true)
        [[ -n "$line" ]] || return 0  # one run did not report: no closing line at all
        read -r p f < <(sed -E 's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/' <<<"$line")
        passed=$((passed + p))
        failed=$((failed + f))
    done
    echo "$name: $passed passed, $failed failed"
}
status=0
for run in site bench; do
    if [[ $run == site ]]; then
        dir="$tmp/site" run_args=("${args[@]}")
    else
        dir="$bench/_site" run_args=("${bench_args[@]}")
    fi
    echo "interop: verifying $dir as $BASE_URL (Digital Bazaar)" >&2
    node interop/verify.mjs "$dir" "$BASE_URL" "${run_args[@]}" >"$tmp/verify-$run.out" || status=$?
    grep -v -E '^interop: [0-9]+ passed, [0-9]+ failed$' "$tmp/verify-$run.out" || true
    grep -E '^interop: [0-9]+ passed, [0-9]+ failed$' "$tmp/verify-$run.out" | sed "s/^/($run) /" >&2 || true

    echo "interop: verifying $dir as $BASE_URL (LearnCard didkit)" >&2
    node interop/didkit-verify.mjs "$dir" "$BASE_URL" "${run_args[@]}" >"$tmp/didkit-$run.out" || status=$?
    grep -v -E '^didkit: [0-9]+ passed, [0-9]+ failed$' "$tmp/didkit-$run.out" || true
    grep -E '^didkit: [0-9]+ passed, [0-9]+ failed$' "$tmp/didkit-$run.out" | sed "s/^/($run) /" >&2 || true
done
db_line=$(closing interop "$tmp/verify-site.out" "$tmp/verify-bench.out")
didkit_line=$(closing didkit "$tmp/didkit-site.out" "$tmp/didkit-bench.out")

# a verifier that printed no closing line counts as failed (finish prints 0 passed, 1 failed)
[[ -n "$db_line" && -n "$didkit_line" ]] || status=1
exit "$status"
