"""What a site's GitHub workflow installs and runs: `.credsite/`, the workflow, `credsite upgrade`.

The workflow must build with exactly the credsite (and dependency versions) the coordinator uses,
from a source nobody else can take over. So `credsite init` and `credsite upgrade` write into the
site's ``.credsite/``:

``credsite-<version>-py3-none-any.whl``
    the running credsite as a wheel: built from its source tree with hatchling when credsite runs
    from one (an editable install or a checkout); else the wheel file it was installed from, when
    pip recorded that file and it is still there with the same sha256; else rebuilt from the
    installed files, each checked against the installation's RECORD.
``requirements.txt``
    that wheel and every package it needs on the workflow's runner (Linux x86_64, CPython of the
    Python running here), each at the version installed here, with ``--hash=sha256:`` for every
    wheel of that version on PyPI the runner can install. pip's hash-checking mode then installs
    those files or nothing.
``python-version``
    the running Python's major.minor, which ``actions/setup-python`` reads.

The hashes come from PyPI's simple index (JSON, PEP 691): the one step that needs the network, at
init and upgrade time only. The workflow runs `INSTALL_COMMAND`, which cannot fetch anything that
is not pinned: ``--require-hashes`` checks every file, ``--no-deps`` installs nothing that is not
listed, ``--only-binary :all:`` never runs a build (whose build tools would not be pinned).
"""

from __future__ import annotations

import base64
import csv
import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import HeaderParser
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

import credsite
from credsite import __version__
from credsite.atomic import write_atomic
from credsite.content import config as site_config
from credsite.errors import CredsiteError
from credsite.pool import interrupts_deferred
from credsite.state.keyfiles import env_name

FOLDER = ".credsite"
REQUIREMENTS = f"{FOLDER}/requirements.txt"
PYTHON_VERSION = f"{FOLDER}/python-version"
WORKFLOW = ".github/workflows/credsite.yml"
INSTALL_COMMAND = (
    "python -m pip install --require-hashes --no-deps --only-binary :all: -r " + REQUIREMENTS
)
"""How the workflow installs credsite: the pinned files and nothing else."""
INDEX_URL = "https://pypi.org/simple/"
"""Where dependency hashes come from (PEP 691 JSON): the index the workflow's pip installs from."""
RUNNER = "Linux x86_64"
RUNNER_ENVIRONMENT = {
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_release": "",
    "platform_version": "",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
"""Environment markers of GitHub's ubuntu-latest runner (the Python version is the one here)."""
_WHEEL_TIME = (2020, 2, 2, 0, 0, 0)  # the timestamp hatchling's reproducible wheels use
_INSTALLER_FILES = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}

Hashes = Callable[[str, str], dict[str, str]]
"""(project name, version) -> {file name: sha256 (hex)} of every file of that release on the
index (`index_hashes`; tests give a local folder's)."""


class PinError(CredsiteError):
    """The dependencies could not be pinned (index unreachable, a package not on it, ...)."""


# -- the running credsite as a wheel ---------------------------------------------------------------


@dataclass(frozen=True)
class Wheel:
    filename: str
    data: bytes = field(repr=False)
    origin: str
    """Where it came from, for the user: "built from the source tree at ...", ..."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def version(self) -> str:
        return str(parse_wheel_filename(self.filename)[1])

    def requires(self) -> list[str]:
        """Requires-Dist of the wheel's METADATA."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            name = next(
                n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)
            )
            metadata = HeaderParser().parsestr(archive.read(name).decode("utf-8"))
        return metadata.get_all("Requires-Dist") or []


def source_tree() -> Path | None:
    """The source tree credsite runs from (an editable install or a checkout), if it does."""
    root = Path(credsite.__file__).resolve().parent.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return root if project.get("project", {}).get("name") == "credsite" else None


def running_wheel() -> Wheel:
    """The wheel of the credsite running now (see the module docstring for how)."""
    root = source_tree()
    if root is not None:
        return build_from_source(root)
    dist = importlib.metadata.distribution("credsite")
    return installed_archive(dist) or rebuild_installed(dist)


def build_from_source(root: Path) -> Wheel:
    """The wheel hatchling builds from the source tree: the same bytes for the same files."""
    if importlib.util.find_spec("hatchling") is None:
        raise CredsiteError(
            f"credsite runs from its source tree ({root}); making its wheel for the site needs "
            "hatchling: pip install hatchling (or pip install -e '.[test]'), then try again"
        )
    code = "import sys\nfrom hatchling.build import build_wheel\nprint(build_wheel(sys.argv[1]))"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    with tempfile.TemporaryDirectory(prefix="credsite-wheel-") as out:
        run = subprocess.run(
            [sys.executable, "-c", code, out],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        built = sorted(Path(out).glob("*.whl"))
        if run.returncode != 0 or len(built) != 1:
            raise CredsiteError(
                f"could not build credsite's wheel from {root} with hatchling:\n"
                + (run.stderr or run.stdout).strip()
            )
        return Wheel(built[0].name, built[0].read_bytes(), f"built from the source tree {root}")


def installed_archive(dist: importlib.metadata.Distribution) -> Wheel | None:
    """The wheel file credsite was installed from, if pip recorded it (direct_url.json) and it is
    still there with the recorded sha256: for instance a site's own ``.credsite/`` wheel."""
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "null")
    except json.JSONDecodeError:
        return None
    if not isinstance(direct, dict) or "archive_info" not in direct:
        return None
    url = urlsplit(str(direct.get("url", "")))
    info = direct["archive_info"] or {}
    expected = (info.get("hashes") or {}).get("sha256")
    if expected is None and str(info.get("hash", "")).startswith("sha256="):
        expected = info["hash"].removeprefix("sha256=")
    if url.scheme != "file" or not url.path.endswith(".whl") or not expected:
        return None
    path = Path(unquote(url.path))
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != expected:
        return None
    return Wheel(path.name, data, f"the wheel it was installed from, {path}")


def rebuild_installed(dist: importlib.metadata.Distribution) -> Wheel:
    """A wheel of the installed files, each checked against the installation's RECORD; written
    the same way every time (sorted, fixed timestamps), so the same installation gives the same
    bytes."""
    files = dist.files or []
    info_dirs = {f.parts[0] for f in files if f.parts and f.parts[0].endswith(".dist-info")}
    if len(info_dirs) != 1:
        raise CredsiteError("cannot find the installed credsite's .dist-info folder")
    (info_dir,) = info_dirs
    entries: dict[str, bytes] = {}
    changed = []
    for file in files:
        parts = file.parts
        if ".." in parts or "__pycache__" in parts or file.suffix == ".pyc":
            continue  # scripts pip generated outside site-packages; byte code
        if parts[0] == info_dir and len(parts) == 2 and parts[1] in _INSTALLER_FILES:
            continue
        data = Path(str(dist.locate_file(file))).read_bytes()
        if file.hash is None or _record_digest(data, file.hash.mode) != file.hash.value:
            changed.append(file.as_posix())
        entries[file.as_posix()] = data
    if changed:
        raise CredsiteError(
            "the installed credsite's files differ from what was installed ("
            + ", ".join(changed[:5])
            + (", ..." if len(changed) > 5 else "")
            + "): reinstall credsite, then try again"
        )
    wheel_info = HeaderParser().parsestr(entries.get(f"{info_dir}/WHEEL", b"").decode())
    if "py3-none-any" not in (wheel_info.get_all("Tag") or []):
        raise CredsiteError(f"the installed credsite is not a py3-none-any wheel ({info_dir})")
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    filename = f"{name}-{dist.version}-py3-none-any.whl"
    return Wheel(filename, _zip_wheel(entries, info_dir), "rebuilt from the installed files")


def _record_digest(data: bytes, mode: str = "sha256") -> str:
    return base64.urlsafe_b64encode(hashlib.new(mode, data).digest()).rstrip(b"=").decode()


def _zip_wheel(entries: dict[str, bytes], info_dir: str) -> bytes:
    record = f"{info_dir}/RECORD"
    names = sorted(entries, key=lambda n: (n.startswith(info_dir + "/"), n))
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    for name in names:
        writer.writerow([name, "sha256=" + _record_digest(entries[name]), len(entries[name])])
    writer.writerow([record, "", ""])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in [*((n, entries[n]) for n in names), (record, rows.getvalue().encode())]:
            info = zipfile.ZipInfo(name, _WHEEL_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


# -- the dependencies, pinned ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    hashes: tuple[str, ...]


def runner_environment() -> dict[str, str]:
    """Marker values of the workflow's runner: GitHub's Linux x86_64 CPython of this X.Y."""
    return {**{k: str(v) for k, v in default_environment().items()}, **RUNNER_ENVIRONMENT}


def dependency_versions(requires: Iterable[str]) -> list[tuple[str, str]]:
    """(canonical name, installed version) of every package the runner needs for `requires`
    (credsite's Requires-Dist), following the installed packages' own requirements. Raises
    `PinError` naming every package that is missing here or at a version the requirement refuses.
    """
    environment = runner_environment()
    found: dict[str, str] = {}
    done: set[tuple[str, str]] = set()
    problems: list[str] = []
    pending: list[tuple[str, str, str]] = [(text, "", "credsite") for text in requires]
    while pending:
        text, extra, parent = pending.pop(0)
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            problems.append(f"{parent}: cannot read its requirement {text!r}: {exc}")
            continue
        marker = requirement.marker
        if marker is not None and not marker.evaluate({**environment, "extra": extra}):
            continue  # not needed on the runner (another platform, an extra not asked for)
        name = canonicalize_name(requirement.name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(
                f"{requirement.name} (needed by {parent} on the {RUNNER} runner) is not installed "
                f"here, so its version cannot be pinned: pip install '{text.split(';')[0]}'"
            )
            continue
        version = dist.version
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(
                f"{parent} needs {requirement}, but {name} {version} is installed here: "
                f"pip install '{requirement.name}{requirement.specifier}'"
            )
            continue
        found[name] = version
        for wanted in ["", *sorted(requirement.extras)]:
            if (name, wanted) in done:
                continue
            done.add((name, wanted))
            pending.extend((sub, wanted, name) for sub in dist.requires or [])
    if problems:
        raise PinError("cannot pin credsite's dependencies:\n  " + "\n  ".join(problems))
    return sorted(found.items())


def index_hashes(name: str, version: str) -> dict[str, str]:
    """{file name: sha256} of every wheel of `name` `version` on `INDEX_URL` (PEP 691 JSON)."""
    url = f"{INDEX_URL}{canonicalize_name(name)}/"
    request = urllib.request.Request(
        url,
        headers={
            "Accept": "application/vnd.pypi.simple.v1+json",
            "User-Agent": f"credsite/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60, context=_tls()) as response:
            page = json.load(response)
    except urllib.error.HTTPError as exc:
        raise PinError(f"{name}: {url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PinError(f"cannot reach {url} ({reason})") from None
    except ValueError as exc:
        raise PinError(f"{url} did not answer with the index's JSON ({exc})") from None
    files = {}
    for entry in page.get("files", []):
        filename = str(entry.get("filename", ""))
        digest = (entry.get("hashes") or {}).get("sha256")
        if digest and _is_release_wheel(filename, name, version):
            files[filename] = str(digest).lower()
    return files


@functools.cache
def _tls() -> ssl.SSLContext:
    """The system's certificate authorities; when Python finds none (python.org's macOS build
    before "Install Certificates.command"), the bundle pip itself trusts."""
    context = ssl.create_default_context()
    if context.cert_store_stats().get("x509_ca", 0) == 0:
        for module in ("certifi", "pip._vendor.certifi"):
            try:
                bundle = importlib.import_module(module).where()
            except (ImportError, AttributeError):
                continue
            context.load_verify_locations(cafile=bundle)
            break
    return context


def _is_release_wheel(filename: str, name: str, version: str) -> bool:
    try:
        project, found, _, _ = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return False  # an sdist or another archive: the workflow installs wheels only
    return project == canonicalize_name(name) and found == Version(version)


def runner_tags(python: tuple[int, int] | None = None) -> frozenset[Tag]:
    """Every wheel tag pip accepts on the runner: CPython `python` (this one by default) on
    Linux x86_64, any glibc a manylinux wheel may ask for."""
    python = python or sys.version_info[:2]
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(60, 4, -1)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    platforms += ["linux_x86_64"]
    interpreter = f"cp{python[0]}{python[1]}"
    return frozenset(
        [
            *cpython_tags(python, platforms=platforms),
            *compatible_tags(python, interpreter, platforms),
        ]
    )


def for_runner(files: dict[str, str], name: str, version: str) -> list[str]:
    """The sha256 of the wheels among `files` that the runner can install, sorted."""
    tags = runner_tags()
    kept = set()
    for filename, digest in files.items():
        if _is_release_wheel(filename, name, version) and parse_wheel_filename(filename)[3] & tags:
            kept.add(digest.lower())
    return sorted(kept)


def pin_dependencies(wheel: Wheel, *, hashes: Hashes | None = None) -> tuple[Pin, ...]:
    """Every dependency of `wheel` the runner needs, at the version installed here, with the
    hashes of its wheels on the index (fetched in parallel). Raises `PinError`."""
    lookup = hashes or index_hashes
    versions = dependency_versions(wheel.requires())
    with ThreadPoolExecutor(max_workers=8) as pool, interrupts_deferred():
        # Ctrl-C held back while the lookups are handed over: pressed inside a submit, it could
        # leave the pool's semaphore held, and the pool's threads then wait for it for good.
        futures = [
            (name, version, pool.submit(lookup, name, version)) for name, version in versions
        ]
    pins, problems = [], []
    for name, version, future in futures:
        try:
            digests = for_runner(future.result(), name, version)
        except PinError as exc:
            problems.append(str(exc))
            continue
        if not digests:
            problems.append(
                f"{name} {version} has no wheel on {INDEX_URL} for the {RUNNER} runner's Python "
                f"{python_version()} (installed from elsewhere?); the workflow installs published "
                "wheels only"
            )
            continue
        pins.append(Pin(name, version, tuple(sorted(digests))))
    if problems:
        raise PinError(
            "cannot pin credsite's dependencies (this needs the internet, at init and upgrade "
            "time only):\n  " + "\n  ".join(dict.fromkeys(problems))
        )
    return tuple(pins)


# -- .credsite/ ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    """What a site's ``.credsite/`` says: the credsite wheel, the Python, the dependencies."""

    wheel: str
    wheel_sha256: str
    python: str
    pins: tuple[Pin, ...] | None
    """None: no requirements.txt (init could not reach the index)."""

    @property
    def version(self) -> str:
        return str(parse_wheel_filename(self.wheel)[1])


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def requirements_text(pinned: Pinned) -> str:
    assert pinned.pins is not None
    lines = [
        f"# credsite {pinned.version} and every package it needs on GitHub's {RUNNER} runner "
        f"(Python {pinned.python}),",
        "# each pinned by the sha256 of its files. Written by `credsite init` / `credsite "
        "upgrade`:",
        "# do not edit; run `credsite upgrade` to move the site to the credsite on your computer.",
        "# The workflow installs exactly these files, and nothing else:",
        f"#   {INSTALL_COMMAND}",
        "--require-hashes",
        "--only-binary :all:",
        f"./{FOLDER}/{pinned.wheel} \\",
        f"    --hash=sha256:{pinned.wheel_sha256}",
    ]
    for pin in pinned.pins:
        lines.append(f"{pin.name}=={pin.version} \\")
        lines += [f"    --hash=sha256:{h}" + (" \\" if i < len(pin.hashes) - 1 else "")
                  for i, h in enumerate(pin.hashes)]  # fmt: skip
    return "\n".join(lines) + "\n"


def python_version_text(python: str) -> str:
    return (
        "# The Python the workflow builds with (actions/setup-python reads this file): the one\n"
        "# `credsite init` / `credsite upgrade` ran with, so CI builds as your computer does.\n"
        f"{python}\n"
    )


_REQUIREMENT_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")
_WHEEL_LINE = re.compile(r"^\./\.credsite/(credsite-[^/\s]+\.whl)$")


def read(root: Path) -> Pinned | None:
    """The site's ``.credsite/`` as `Pinned`, or None if it has no vendored credsite."""
    folder = root / FOLDER
    wheels = sorted(folder.glob("credsite-*.whl")) if folder.is_dir() else []
    requirements = root / REQUIREMENTS
    python = ""
    if (root / PYTHON_VERSION).is_file():
        lines = (root / PYTHON_VERSION).read_text(encoding="utf-8").splitlines()
        python = next((x.strip() for x in lines if x.strip() and not x.startswith("#")), "")
    if not requirements.is_file():
        if not wheels:
            return None
        newest = wheels[-1]
        return Pinned(newest.name, hashlib.sha256(newest.read_bytes()).hexdigest(), python, None)
    text = requirements.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    wheel, wheel_hash, pins = "", "", []
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        head, *options = line.split()
        digests = tuple(
            o.removeprefix("--hash=sha256:") for o in options if o.startswith("--hash=")
        )
        if match := _WHEEL_LINE.match(head):
            wheel, wheel_hash = match[1], digests[0] if digests else ""
        elif match := _REQUIREMENT_LINE.match(head):
            pins.append(Pin(canonicalize_name(match[1]), match[2], digests))
    if not wheel:
        raise CredsiteError(
            f"{REQUIREMENTS} names no ./{FOLDER}/credsite-*.whl: run credsite upgrade"
        )
    return Pinned(wheel, wheel_hash, python, tuple(pins))


def write(root: Path, wheel: Wheel, pins: tuple[Pin, ...] | None) -> list[str]:
    """Write ``.credsite/`` for `wheel` and `pins` (None: leave requirements.txt out); remove any
    other vendored credsite wheel. Returns the files written (relative POSIX paths)."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    pinned = Pinned(wheel.filename, wheel.sha256, python_version(), pins)
    written = []
    target = folder / wheel.filename
    if not target.is_file() or target.read_bytes() != wheel.data:
        write_atomic(target, wheel.data, 0o644)
        written.append(f"{FOLDER}/{wheel.filename}")
    for old in folder.glob("credsite-*.whl"):
        if old.name != wheel.filename:
            old.unlink()
    files = {PYTHON_VERSION: python_version_text(pinned.python)}
    if pins is not None:
        files[REQUIREMENTS] = requirements_text(pinned)
    for relative, text in files.items():
        path = root / relative
        data = text.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            write_atomic(path, data, 0o644)
            written.append(relative)
    return written


def drift(root: Path) -> str | None:
    """A warning when the site's workflow would build with another credsite version than the
    one running here (so CI's output could differ from this computer's); None otherwise."""
    folder = root / FOLDER
    wheels = sorted(folder.glob("credsite-*.whl")) if folder.is_dir() else []
    if len(wheels) != 1:
        return None
    try:
        pinned = str(parse_wheel_filename(wheels[0].name)[1])
    except (InvalidWheelFilename, InvalidVersion):
        return None
    if Version(pinned) == Version(__version__):
        return None
    return (
        f"this site's workflow builds with credsite {pinned} ({FOLDER}/{wheels[0].name}); you "
        f"ran credsite {__version__}, so the published site may differ from this build. "
        "`credsite upgrade` moves the site to this credsite (or install credsite "
        f"{pinned} here)."
    )


# -- the workflow ----------------------------------------------------------------------------------

_ENV_LINE = re.compile(
    r"^(?P<indent> +)__ISSUER_ENV__: \$\{\{ secrets\.__ISSUER_ENV__ \}\}\n", re.M
)
_SECRET = re.compile(r"\$\{\{\s*secrets\.(CREDSITE_KEY_[A-Z0-9_]+)\s*\}\}")


def workflow_template() -> str:
    scaffold = resources.files("credsite.commands") / "scaffold"
    return (scaffold / "dot-github" / "workflows" / "credsite.yml").read_text(encoding="utf-8")


def render_workflow(template: str, secrets: list[str], output: str) -> str:
    """The workflow with one ``CREDSITE_KEY_...`` line per secret in the build step's env."""

    def lines(match: re.Match[str]) -> str:
        indent = match["indent"]
        return "".join(f"{indent}{s}: ${{{{ secrets.{s} }}}}\n" for s in secrets)

    text = _ENV_LINE.sub(lines, template)
    return text.replace("__OUTPUT__", output).replace("__VERSION__", __version__)


def workflow_secrets(text: str) -> list[str]:
    """The CREDSITE_KEY_* secrets a workflow passes to the build."""
    return sorted(set(_SECRET.findall(text)))


# -- credsite upgrade ------------------------------------------------------------------------------


@dataclass
class Upgrade:
    lines: list[str]
    written: list[str]
    workflow_differs: bool


def describe(old: Pinned | None, new: Pinned) -> list[str]:
    """What moving from `old` to `new` changes, one line each ([] when nothing does)."""
    if old is None:
        return [
            f"vendored credsite {new.version} ({FOLDER}/{new.wheel}), Python {new.python}, "
            f"{len(new.pins or ())} dependencies pinned by hash (none before)"
        ]
    lines = []
    if old.wheel != new.wheel:
        lines.append(f"credsite {old.version} -> {new.version} ({FOLDER}/{new.wheel})")
    elif old.wheel_sha256 != new.wheel_sha256:
        lines.append(
            f"credsite {new.version}: a different build of the same version (sha256 "
            f"{old.wheel_sha256[:12]}... -> {new.wheel_sha256[:12]}...)"
        )
    if old.python != new.python:
        lines.append(f"Python {old.python or '(none)'} -> {new.python} ({PYTHON_VERSION})")
    before = {p.name: p for p in old.pins or ()}
    after = {p.name: p for p in new.pins or ()}
    if old.pins is None and new.pins is not None:
        lines.append(f"{REQUIREMENTS} written: {len(after)} dependencies pinned by hash")
    else:
        for name in sorted(before.keys() | after.keys()):
            a, b = before.get(name), after.get(name)
            if a is None and b is not None:
                lines.append(f"  + {name} {b.version}")
            elif b is None and a is not None:
                lines.append(f"  - {name} {a.version}")
            elif a is not None and b is not None and a.version != b.version:
                lines.append(f"  {name} {a.version} -> {b.version}")
            elif a is not None and b is not None and a.hashes != b.hashes:
                lines.append(f"  {name} {b.version}: files added or removed on the index")
    return lines


def upgrade(root: Path, *, workflow: bool = False, hashes: Hashes | None = None) -> Upgrade:
    """Move the site in `root` to the running credsite: re-vendor its wheel, re-pin the
    dependencies; with `workflow`, also write the workflow this credsite writes, with a secret
    for every issuer file and every secret the old workflow named. Nothing is written if anything
    fails."""
    config = site_config.load(root)  # a site folder, or a located error
    old = read(root)
    wheel = running_wheel()
    pins = pin_dependencies(wheel, hashes=hashes)
    new = Pinned(wheel.filename, wheel.sha256, python_version(), pins)
    lines = describe(old, new)

    path = root / WORKFLOW
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    issuers = (config.content_dir / "issuers").glob("*.y*ml")
    secrets = sorted(
        set(workflow_secrets(current or ""))
        | {env_name(p.stem) for p in issuers if not p.name.startswith(("_", "."))}
    )
    wanted = render_workflow(workflow_template(), secrets, config.output)
    differs = current != wanted
    written = write(root, wheel, pins)
    if written and not lines:
        lines.append(f"restored {', '.join(written)} (missing or edited)")
    if workflow and differs:
        write_atomic(path, wanted.encode("utf-8"), 0o644)
        written.append(WORKFLOW)
        lines.append(
            f"{WORKFLOW}: {'replaced by' if current is not None else 'written as'} the one "
            f"credsite {new.version} writes (secrets: {', '.join(secrets) or 'none'})"
        )
        differs = False
    return Upgrade(lines, written, differs)
