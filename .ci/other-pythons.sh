#!/usr/bin/env bash
# The tests of credsite's process pool on every other CPython 3.12 or newer this machine has (pyenv's,
# or python3.1x on the PATH): the pool relies on behaviour of concurrent.futures and multiprocessing
# that is not promised across versions (see credsite/pool.py), and a site's CI runs the Python its
# coordinator has (`.credsite/python-version`). CI's own Python runs the whole suite (.ci/run); no
# other CPython can be installed here (no download but the package registries), so where there is
# none this says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

own=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
found=()
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3 $(compgen -c python3.1 | sort -u); do
    interpreter=$(command -v "$candidate" 2>/dev/null) || continue
    version=$("$interpreter" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    [[ $version == "$own" || " ${found[*]:-} " == *" $version "* ]] && continue
    "$interpreter" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || continue
    found+=("$version")
    where=$(mktemp -d)
    ci_log "the pool's tests on Python $version ($interpreter)"
    "$interpreter" -m venv "$where/venv"
    "$where/venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]' >&2
    "$where/venv/bin/python" -m pytest -q -p no:cacheprovider tests/test_cache.py \
        tests/test_hardening.py -k "pool or ctrl_c or worker or session or parallel" >&2
    rm -rf "$where"
done
if [[ ${#found[@]} -eq 0 ]]; then
    ci_log "no CPython 3.12 or newer besides $own on this machine: the pool's tests ran on $own only"
else
    ci_log "the pool's tests passed on Python ${found[*]} too"
fi
