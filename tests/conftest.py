"""Shared fixtures of the core test suite: small sites written into tmp_path, a fixed clock, a
seeded random source, and helpers to build, run the CLI and compare output trees.

Every build in these tests goes through `build_site`, which passes a fixed clock, a seeded
`random.Random` and a fixed `now`, so tokens, salts, indices and dates are reproducible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from credsite import build as build_module
from credsite.cli import cli
from credsite.commands import vendor

REPO = Path(__file__).resolve().parents[1]
# Contexts, schemas and W3C / 1EdTech test vectors, with their sources and sha256 in
# tests/vectors/README.md. Part of the repo: a missing file fails a test, it never skips one.
VECTORS = REPO / "tests" / "vectors"
NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
SITE_URL = "https://example.github.io/creds/"
SITE_DID = "did:web:example.github.io:creds"
EXAMPLE_FILES = ("site.yaml", "content", "credsite.lock")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/ from the current build instead of comparing against it.",
    )


def fake_index_hashes(name: str, version: str) -> dict[str, str]:
    """Stands in for PyPI in `credsite init`/`upgrade`: every release has one wheel, whose
    "sha256" is that of its name and version."""
    wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    return {wheel: hashlib.sha256(f"{name}=={version}".encode()).hexdigest()}


@pytest.fixture(autouse=True, scope="session")
def no_package_index() -> Iterator[None]:
    """Tests never reach PyPI: `credsite init` and `upgrade` pin dependency hashes from
    `fake_index_hashes` unless a test passes its own (tests/test_vendor.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vendor, "index_hashes", fake_index_hashes)
        yield


@pytest.fixture(autouse=True)
def no_key_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing keys in the developer's environment must not leak into any test."""
    for name in list(os.environ):
        if name.startswith("CREDSITE_"):
            monkeypatch.delenv(name)


# -- clock, randomness, builds ---------------------------------------------------------------------


def fixed_clock(when: dt.datetime = NOW) -> Callable[[], dt.datetime]:
    return lambda: when


def build_site(root: Path, *, seed: int = 1, now: dt.datetime = NOW, **options: Any):
    """`credsite.build.build` with a fixed clock, a seeded random source and a fixed `now`."""
    options.setdefault("clock", fixed_clock(now))
    return build_module.build(root, rng=random.Random(seed), now=now, **options)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative POSIX path -> bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def diff_trees(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    """Paths that are missing from one side or whose bytes differ."""
    return sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the ``credsite`` command in-process; exceptions other than SystemExit propagate."""
    runner = CliRunner()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)


def output_of(result: Result) -> str:
    """stdout and stderr of a CliRunner result (click 8.2+ keeps them apart)."""
    return result.stdout + result.stderr

def run_fresh(
    *args: str, cwd: Path | None = None, timeout: float = 120, **options: Any
) -> subprocess.CompletedProcess[str]:
    """``python -m credsite ARGS`` in a fresh interpreter, without the developer's keys: what a
    user's shell runs (no state shared with the test process). Its output is captured unless
    `options` give a `stdout`; other `options` go to `subprocess.run`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDSITE_")}
    if "stdout" in options:
        options.setdefault("stderr", subprocess.PIPE)
    else:
        options["capture_output"] = True
    return subprocess.run(
        [sys.executable, "-m", "credsite", *args],
        cwd=cwd,
        env=env,
        text=True,
        timeout=timeout,
        check=False,
        **options,
    )


MEMORY_DEVICES = {"null": 3, "zero": 5, "full": 7}
"""The minor numbers of the memory devices (major 1) a test makes its own copies of."""


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, depth) of every process below `pid` (its children at depth 1), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat_line = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat_line.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry))
    found, layer = [], [(pid, 0)]
    while layer:
        found += layer
        layer = [(child, depth + 1) for p, depth in layer for child in parents.get(p, [])]
    return found[1:]


def finished_or_stacks(
    command: subprocess.Popen[str], timeout: float, what: str
) -> tuple[str, str]:
    """The stdout and stderr of `command` (started with ``start_new_session=True``, its output
    piped as text) once it ends within `timeout` seconds. If it hangs, the test fails with the
    stacks of every thread of every process in its group: Python's faulthandler (set
    ``PYTHONFAULTHANDLER=1`` in its environment) prints them on SIGABRT; then SIGKILL, so that
    no process is left."""
    try:
        return command.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(command.pid, signal.SIGABRT)
            time.sleep(2)
            os.killpg(command.pid, signal.SIGKILL)
        _, stderr = command.communicate()
        pytest.fail(f"{what} still ran {timeout:g} s on: it hung. Its stacks:\n{stderr[-6000:]}")


def qr_code_in(tag: str) -> tuple[list[list[int]], str]:
    """The modules (1 dark) of the QR code image in `tag` (an ``<img>`` whose ``src`` is a PNG
    ``data:`` URL, as pages show codes) read back from its pixels with Pillow, not credsite's
    code; and its ``alt``. A module is `qr.SCALE` pixels square, inside a quiet zone of
    `qr.BORDER` modules."""
    import base64
    import html
    import io
    import re

    from PIL import Image

    from credsite.website import qr

    attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
    prefix = "data:image/png;base64,"
    assert attributes["src"].startswith(prefix), tag[:80]
    image = Image.open(io.BytesIO(base64.b64decode(attributes["src"][len(prefix) :])))
    pixels = image.convert("L")
    modules = image.width // qr.SCALE - 2 * qr.BORDER
    assert image.width == image.height == (modules + 2 * qr.BORDER) * qr.SCALE
    centre = qr.BORDER * qr.SCALE + qr.SCALE // 2
    def dark(row: int, column: int) -> int:
        return int(pixels.getpixel((centre + column * qr.SCALE, centre + row * qr.SCALE)) == 0)

    rows = [[dark(r, c) for c in range(modules)] for r in range(modules)]
    return rows, html.unescape(attributes["alt"])


def qr_code_of(url: str) -> list[list[int]]:
    """The modules of `url`'s code as segno makes it, with the mask credsite draws with."""
    import segno

    from credsite.website import qr

    code = segno.make(url, error="m", micro=False, mask=qr.MASK)
    return [[module & 1 for module in row] for row in code.matrix]


def memory_device(path: Path, name: str) -> Path:
    """A character device like /dev/NAME (null, zero, full) at `path`, never the real /dev;
    the test is skipped where devices cannot be made."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, MEMORY_DEVICES[name]))
    except OSError as exc:
        pytest.skip(f"cannot make a device here: {exc}")
    return path


NOT_FILES = ["device", "fifo", "symlink to a device"]
"""What a test gives a command to write to that it must not replace (`not_a_file`)."""


def not_a_file(tmp_path: Path, name: str, kind: str) -> tuple[Path, Path, str]:
    """(what it really is, the path named `name` given to the command, how credsite says what
    it is) for a `kind` of `NOT_FILES`: a FIFO, a /dev/null of the test's own, or a symlink to
    one."""
    if kind == "fifo":
        os.mkfifo(tmp_path / name)
        return tmp_path / name, tmp_path / name, "a FIFO (named pipe)"
    real = memory_device(tmp_path / "null", "null")
    if kind == "device":
        return real, real, "a character device"
    (tmp_path / name).symlink_to(real)
    return real, tmp_path / name, "a character device"


def refuses_to_replace(
    tmp_path: Path, kind: str, name: str, command: list[str], cwd: Path, writing: str
) -> None:
    """`command` (its output option last, the path appended) given a `kind` of `NOT_FILES`:
    exit 1 with "writing `writing` would replace it", and the device or FIFO left as it was."""
    real, target, what = not_a_file(tmp_path, name, kind)

    def status() -> list[tuple[int, int]]:
        return [(os.lstat(p).st_mode, os.lstat(p).st_rdev) for p in (real, target)]

    before = status()
    result = run_cli(*command, str(target), cwd=cwd)
    assert result.exit_code == 1, output_of(result)
    assert result.stderr.startswith(
        f"error: {target}: is {what}, not a file: writing {writing} would replace it"
    ), result.stderr
    assert "Traceback" not in output_of(result)
    assert status() == before


def run_to_full_stdout(*args: str, cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``python -m credsite ARGS`` with its standard output on a full disk (a /dev/full)."""
    with memory_device(tmp_path / "full", "full").open("wb") as full:
        return run_fresh(*args, cwd=cwd, stdout=full)



# -- small sites -------------------------------------------------------------------------------------

SITE_YAML = f"""\
title: Test Credentials
url: {SITE_URL}
demo_key: true
"""

ISSUER = """\
name: Acme Learning
url: https://acme.example.org
"""

TEAMWORK = """\
name: Teamwork
description: Works well with others.
criteria: Be **kind** to your team.
"""

MENTOR = """\
name: Mentor
type: Achievement
description: Mentored new members.
criteria: Mentor three people.
valid_for: 1 year
"""

AWARDS = """\
- achievement: teamwork
  name: Ada Lovelace
  email: ada.lovelace@example.org
  issued: 2026-03-01
- achievement: teamwork
  name: Alan Turing
  email: alan.turing@example.org
  issued: 2026-03-02
- achievement: mentor
  name: Grace Hopper
  email: grace.hopper@example.org
  issued: 2026-04-01
"""

DEFAULT_FILES: dict[str, str] = {
    "site.yaml": SITE_YAML,
    "content/issuers/acme.yaml": ISSUER,
    "content/achievements/teamwork.yaml": TEAMWORK,
    "content/achievements/mentor.yaml": MENTOR,
    "content/awards/awards.yaml": AWARDS,
}


def write_files(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Write (str is dedented text, bytes as is) or delete (None) files under `root`."""
    for rel, data in files.items():
        path = root / rel
        if data is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data), encoding="utf-8")


@pytest.fixture(scope="session")
def image_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Badge art drawn once per session for the default site, copied into each new site.

    The image cache is content-addressed (key = every input of the drawing), so sharing it only
    saves time: a site with other names or colours still draws its own.
    """
    root = tmp_path_factory.mktemp("warm") / "site"
    write_files(root, DEFAULT_FILES)
    build_site(root)
    return root / build_module.CACHE_DIR / "images"


@pytest.fixture
def make_site(tmp_path: Path, image_cache: Path) -> Callable[..., Path]:
    """make_site(files={...}, name="site", defaults=True) -> site root in tmp_path.

    Starts from DEFAULT_FILES (one issuer, two achievements, three awards, demo key) unless
    `defaults=False`; `files` adds, replaces (str/bytes) or removes (None) files.
    """

    def make(
        files: dict[str, str | bytes | None] | None = None,
        *,
        name: str = "site",
        defaults: bool = True,
    ) -> Path:
        root = tmp_path / name
        root.mkdir(parents=True)
        write_files(root, {**(DEFAULT_FILES if defaults else {}), **(files or {})})
        shutil.copytree(image_cache, root / build_module.CACHE_DIR / "images")
        return root

    return make


def copy_example(target: Path) -> Path:
    """The repository's example site (content, site.yaml and its committed lockfile)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built once per session with a fixed clock; tests must not change it."""
    root = copy_example(tmp_path_factory.mktemp("example") / "example")
    build_site(root)
    return root


@pytest.fixture(scope="session")
def example_output(example_site: Path) -> Path:
    return example_site / "_site"


def all_awards(root: Path) -> list[Any]:
    """Every award of a built site: its content's and the pathway awards the build made
    (credsite.issuing.pathways), as the lockfile records them."""
    from credsite.content import config, model
    from credsite.issuing import pathways
    from credsite.issuing.urls import Urls
    from credsite.state.lockfile import Lockfile

    site = model.load(config.load(root))
    lock = Lockfile.load(root / site.config.lockfile, locked=True)
    urls = Urls(site.config.url, site.primary_issuer)
    return pathways.award_pathways(site, lock, urls, locked=True).awards
