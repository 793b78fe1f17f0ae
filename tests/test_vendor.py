"""`.credsite/` (the vendored credsite wheel, the hash-pinned requirements, the Python version)
and `credsite upgrade`. PyPI is never reached: conftest's `fake_index_hashes` stands in for it,
and the index client is tested against a local HTTP server."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import io
import json
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import fake_index_hashes, output_of, run_cli

from credsite import __version__
from credsite.commands import init as scaffold
from credsite.commands import vendor
from credsite.commands.vendor import index_hashes  # the real one (conftest replaces the module's)
from credsite.errors import CredsiteError

WHEEL = f"credsite-{__version__}-py3-none-any.whl"
PY = "cp{}{}".format(*sys.version_info[:2])


@pytest.fixture(scope="module")
def wheel() -> vendor.Wheel:
    return vendor.running_wheel()


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".credsite-cache" not in p.parts and "_site" not in p.parts
    }


def offline(name: str, version: str) -> dict[str, str]:
    raise vendor.PinError("cannot reach https://pypi.org/simple/jinja2/ (no network)")


# -- the wheel -------------------------------------------------------------------------------------


def test_wheel_from_the_source_tree_is_reproducible_and_complete(wheel: vendor.Wheel) -> None:
    assert vendor.source_tree() is not None  # the tests run from a checkout
    assert wheel.filename == WHEEL and wheel.version == __version__
    assert wheel.origin.startswith("built from the source tree")
    assert vendor.running_wheel().data == wheel.data  # same files, same bytes
    with zipfile.ZipFile(io.BytesIO(wheel.data)) as archive:
        names = set(archive.namelist())
    for name in (
        "credsite/media/fonts/DejaVuSans.ttf",
        "credsite/media/fonts/DejaVuSans-Bold.ttf",
        "credsite/media/fonts/LICENSE",
        "credsite/media/fonts/README.md",
        "credsite/commands/scaffold/dot-github/workflows/credsite.yml",
        "credsite/_themes/default/templates/base.html",
        "credsite/vc/contexts/credentials-v2.jsonld",
    ):
        assert name in names, name
    requires = wheel.requires()
    assert any(r.startswith("packaging") for r in requires)
    assert any("extra == 'test'" in r for r in requires)  # only extras: never pinned


def test_no_hatchling_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "hatchling" else real(name)
    )
    with pytest.raises(CredsiteError, match="needs hatchling: pip install hatchling"):
        vendor.running_wheel()


def installed(tmp_path: Path, data: bytes) -> importlib.metadata.Distribution:
    """`data` (a wheel) unpacked as pip installs it, with pip's own files added to RECORD."""
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(site)
    info = site / f"credsite-{__version__}.dist-info"
    (info / "INSTALLER").write_text("pip\n")
    with (info / "RECORD").open("a") as record:
        record.write(f"credsite-{__version__}.dist-info/INSTALLER,sha256=x,4\n")
        record.write("../../../bin/credsite,sha256=y,220\n")
        record.write("credsite/__pycache__/__init__.cpython-311.pyc,,\n")
    return importlib.metadata.Distribution.at(info)


def test_rebuilt_from_installed_files(wheel: vendor.Wheel, tmp_path: Path) -> None:
    dist = installed(tmp_path, wheel.data)
    assert vendor.installed_archive(dist) is None  # pip recorded no wheel file
    rebuilt = vendor.rebuild_installed(dist)
    assert rebuilt.filename == WHEEL and rebuilt.origin == "rebuilt from the installed files"
    assert vendor.rebuild_installed(dist).data == rebuilt.data  # the same bytes every time
    with (
        zipfile.ZipFile(io.BytesIO(wheel.data)) as a,
        zipfile.ZipFile(io.BytesIO(rebuilt.data)) as b,
    ):
        names = sorted(a.namelist())
        assert names == sorted(b.namelist())
        assert all(a.read(n) == b.read(n) for n in names if not n.endswith("/RECORD"))
        assert b.testzip() is None
    # an installed file changed since installation: refused, never vendored
    art = tmp_path / "site-packages" / "credsite" / "media" / "art.py"
    art.write_text(art.read_text() + "\n# edited\n")
    with pytest.raises(CredsiteError, match=r"differ from what was installed \(credsite/media"):
        vendor.rebuild_installed(dist)


def test_the_wheel_it_was_installed_from_is_copied(wheel: vendor.Wheel, tmp_path: Path) -> None:
    dist = installed(tmp_path, wheel.data)
    file = tmp_path / "site" / ".credsite" / WHEEL
    file.parent.mkdir(parents=True)
    file.write_bytes(wheel.data)
    direct = Path(str(dist.locate_file(f"credsite-{__version__}.dist-info/direct_url.json")))
    record = {"url": file.as_uri(), "archive_info": {"hashes": {"sha256": wheel.sha256}}}
    direct.write_text(json.dumps(record))
    copied = vendor.installed_archive(dist)
    assert copied is not None and copied.data == wheel.data and str(file) in copied.origin
    file.write_bytes(wheel.data + b"x")  # not the file that was installed any more
    assert vendor.installed_archive(dist) is None


# -- the pins --------------------------------------------------------------------------------------


def test_dependencies_follow_markers_and_extras() -> None:
    found = dict(
        vendor.dependency_versions(
            [
                "jinja2>=3",
                "rich",
                "colorama; sys_platform == 'win32'",  # not on the Linux runner
                "pytest>=8; extra == 'test'",  # an extra nobody asked for
            ]
        )
    )
    assert set(found) == {"jinja2", "markupsafe", "rich", "markdown-it-py", "mdurl", "pygments"}
    assert found["jinja2"] == importlib.metadata.version("jinja2")


@pytest.mark.parametrize(
    ("requirement", "message"),
    [
        ("no-such-package-credsite-test>=1; sys_platform == 'linux'", "is not installed here"),
        ("jinja2<2", "needs jinja2<2, but jinja2"),
    ],
)
def test_dependencies_that_cannot_be_pinned(requirement: str, message: str) -> None:
    with pytest.raises(vendor.PinError, match=message):
        vendor.dependency_versions([requirement])


def test_only_wheels_the_runner_can_install_are_pinned() -> None:
    files = {
        f"lxml-6.1.3-{PY}-{PY}-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl": "a" * 64,
        "lxml-6.1.3-cp38-abi3-manylinux2014_x86_64.whl": "b" * 64,
        f"lxml-6.1.3-{PY}-{PY}-macosx_10_9_universal2.whl": "c" * 64,
        f"lxml-6.1.3-{PY}-{PY}-win_amd64.whl": "d" * 64,
        f"lxml-6.1.3-{PY}-{PY}-manylinux_2_28_aarch64.whl": "e" * 64,
        f"lxml-6.1.3-{PY}-{PY}-musllinux_1_2_x86_64.whl": "f" * 64,
        "lxml-6.1.3-cp399-cp399-manylinux_2_28_x86_64.whl": "1" * 64,
        "lxml-6.1.3-py3-none-any.whl": "2" * 64,
        "lxml-6.1.2-py3-none-any.whl": "3" * 64,
        "lxml-6.1.3.tar.gz": "4" * 64,
    }
    assert vendor.for_runner(files, "lxml", "6.1.3") == ["2" * 64, "a" * 64, "b" * 64]


class Index(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, dict]] = {}

    def do_GET(self) -> None:
        page = self.pages.get(self.path)
        accept = self.headers.get("Accept", "")
        if page is None or "application/vnd.pypi.simple.v1+json" not in accept:
            self.send_error(404)
            return
        body = json.dumps(page).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    monkeypatch.setattr(vendor, "INDEX_URL", url)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_index_hashes_reads_the_simple_index_json(index: str) -> None:
    Index.pages = {
        "/simple/ruamel-yaml/": {
            "meta": {"api-version": "1.1"},
            "files": [
                {"filename": "ruamel.yaml-0.19.1-py3-none-any.whl", "hashes": {"sha256": "AB"}},
                {"filename": "ruamel_yaml-0.19.1-py3-none-any.whl", "hashes": {"sha256": "cd"}},
                {"filename": "ruamel.yaml-0.19.0-py3-none-any.whl", "hashes": {"sha256": "ef"}},
                {"filename": "ruamel.yaml-0.19.1.tar.gz", "hashes": {"sha256": "01"}},
                {"filename": "ruamel.yaml-0.19.1-py2-none-any.whl", "hashes": {}},
            ],
        }
    }
    assert index_hashes("ruamel.yaml", "0.19.1") == {
        "ruamel.yaml-0.19.1-py3-none-any.whl": "ab",
        "ruamel_yaml-0.19.1-py3-none-any.whl": "cd",
    }
    with pytest.raises(vendor.PinError, match="answered 404"):
        index_hashes("nothing-here", "1.0")


def test_unreachable_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vendor, "INDEX_URL", "http://127.0.0.1:9/simple/")
    with pytest.raises(vendor.PinError, match=r"cannot reach http://127.0.0.1:9/simple/jinja2/"):
        index_hashes("jinja2", "3.1.6")


# -- .credsite/ in a new site ----------------------------------------------------------------------


def test_init_pins_what_is_installed(tmp_path: Path, wheel: vendor.Wheel) -> None:
    created = scaffold.init(tmp_path / "site")
    root = created.root
    assert (root / ".credsite" / WHEEL).read_bytes() == wheel.data
    pinned = vendor.read(root)
    assert pinned is not None and pinned.pins is not None
    assert (pinned.wheel, pinned.wheel_sha256) == (WHEEL, wheel.sha256)
    assert pinned.python == vendor.python_version()
    names = {p.name: p for p in pinned.pins}
    assert names["jinja2"].version == importlib.metadata.version("jinja2")
    assert names["jinja2"].hashes == tuple(
        fake_index_hashes("jinja2", names["jinja2"].version).values()
    )
    assert "pytest" not in names and "hatchling" not in names  # test extra: never in a site
    assert pinned.pins == created.pins
    text = (root / vendor.REQUIREMENTS).read_text()
    assert f"./.credsite/{WHEEL} \\\n    --hash=sha256:{wheel.sha256}\n" in text


def test_init_offline_creates_the_site_and_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vendor, "index_hashes", offline)
    root = tmp_path / "site"
    result = run_cli("init", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "requirements.txt was not written" in result.stderr
    assert "run `credsite upgrade`" in result.stderr and "no network" in result.stderr
    assert (root / ".credsite" / WHEEL).is_file() and (root / vendor.PYTHON_VERSION).is_file()
    assert not (root / vendor.REQUIREMENTS).exists()
    monkeypatch.setattr(vendor, "index_hashes", fake_index_hashes)  # online again
    result = run_cli("upgrade", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert f"{vendor.REQUIREMENTS} written: " in result.stdout
    assert (root / vendor.REQUIREMENTS).is_file()


# -- credsite upgrade ------------------------------------------------------------------------------


def test_upgrade_and_init_help() -> None:
    result = run_cli("upgrade", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Move the site to the credsite installed here" in text
    assert "--workflow" in text and ".credsite/" in text and "-C, --site" in text
    result = run_cli("init", "--help")
    assert result.exit_code == 0
    assert ".credsite/: this credsite's wheel" in " ".join(result.stdout.split())
    result = run_cli("--help")
    assert "upgrade" in result.stdout


def test_upgrade_of_an_up_to_date_site_changes_nothing(tmp_path: Path) -> None:
    root = scaffold.init(tmp_path / "site").root
    before = snapshot(root)
    result = run_cli("upgrade", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "Nothing to change" in result.stdout and result.stderr == ""
    assert snapshot(root) == before


def test_upgrade_moves_an_older_site_and_says_what_changed(tmp_path: Path) -> None:
    root = scaffold.init(tmp_path / "site").root
    fresh = snapshot(root)
    # What an older credsite would have left: another wheel, Python and dependency versions.
    folder = root / ".credsite"
    (folder / WHEEL).rename(folder / "credsite-0.0.9-py3-none-any.whl")
    text = (root / vendor.REQUIREMENTS).read_text()
    jinja = importlib.metadata.version("jinja2")
    text = text.replace(f"./.credsite/{WHEEL}", "./.credsite/credsite-0.0.9-py3-none-any.whl")
    text = text.replace(f"jinja2=={jinja} ", "jinja2==3.0.0 ")
    text = text.replace("base58==", "gone-package==1.0 \\\n    --hash=sha256:00\nbase58==")
    text = text.replace(f"segno=={importlib.metadata.version('segno')} ", "segnoo==1 ")
    (root / vendor.REQUIREMENTS).write_text(text)
    (root / vendor.PYTHON_VERSION).write_text("3.10\n")

    result = run_cli("upgrade", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    lines = result.stdout.splitlines()
    assert f"credsite 0.0.9 -> {__version__} (.credsite/{WHEEL})" in lines
    assert f"Python 3.10 -> {vendor.python_version()} (.credsite/python-version)" in lines
    assert f"  jinja2 3.0.0 -> {jinja}" in lines
    assert "  - gone-package 1.0" in lines and "  - segnoo 1" in lines
    assert f"  + segno {importlib.metadata.version('segno')}" in lines
    assert "commit them" in result.stdout
    assert snapshot(root) == fresh  # exactly what init writes today; the old wheel is gone
    again = run_cli("upgrade", "-C", str(root))
    assert "Nothing to change" in again.stdout


def test_upgrade_restores_a_missing_wheel(tmp_path: Path) -> None:
    root = scaffold.init(tmp_path / "site").root
    (root / ".credsite" / WHEEL).unlink()
    result = run_cli("upgrade", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert f"restored .credsite/{WHEEL}" in result.stdout
    assert (root / ".credsite" / WHEEL).is_file()


OLD_WORKFLOW = """\
name: credsite
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: pip install "credsite==0.1.0"
      - run: credsite build --locked -q
        env:
          CREDSITE_KEY_ACME: ${{ secrets.CREDSITE_KEY_ACME }}
          CREDSITE_KEY_YOUR_ORG: ${{ secrets.CREDSITE_KEY_YOUR_ORG }}
"""


def test_upgrade_replaces_the_workflow_only_when_asked(tmp_path: Path) -> None:
    root = scaffold.init(tmp_path / "site").root
    workflow = root / vendor.WORKFLOW
    fresh = workflow.read_text()
    workflow.write_text(OLD_WORKFLOW)
    result = run_cli("upgrade", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "differs from the one this credsite writes" in result.stderr
    assert "credsite upgrade --workflow" in result.stderr
    assert workflow.read_text() == OLD_WORKFLOW

    result = run_cli("upgrade", "-C", str(root), "--workflow")
    assert result.exit_code == 0, output_of(result)
    assert f"{vendor.WORKFLOW}: replaced by the one credsite {__version__} writes" in result.stdout
    assert "(secrets: CREDSITE_KEY_ACME, CREDSITE_KEY_YOUR_ORG)" in result.stdout
    text = workflow.read_text()
    assert vendor.workflow_secrets(text) == ["CREDSITE_KEY_ACME", "CREDSITE_KEY_YOUR_ORG"]
    assert text == vendor.render_workflow(
        vendor.workflow_template(), ["CREDSITE_KEY_ACME", "CREDSITE_KEY_YOUR_ORG"], "_site"
    )
    assert text != fresh and result.stderr == ""
    # a deleted workflow comes back with one secret per issuer file
    workflow.unlink()
    result = run_cli("upgrade", "-C", str(root), "--workflow")
    assert "written as the one" in result.stdout
    assert workflow.read_text() == fresh


def test_upgrade_refusals_write_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli("upgrade", "-C", str(tmp_path))
    assert result.exit_code == 1 and "no site.yaml" in output_of(result)
    assert list(tmp_path.iterdir()) == []

    root = scaffold.init(tmp_path / "site").root
    (root / vendor.PYTHON_VERSION).write_text("3.10\n")
    before = snapshot(root)
    monkeypatch.setattr(vendor, "index_hashes", offline)
    result = run_cli("upgrade", "-C", str(root), "--workflow")
    assert result.exit_code == 1
    assert "cannot reach https://pypi.org/simple/jinja2/" in output_of(result)
    assert "nothing was written" in output_of(result)
    assert snapshot(root) == before


def test_build_warns_when_the_site_is_pinned_to_another_credsite(tmp_path: Path) -> None:
    root = scaffold.init(tmp_path / "site").root
    result = run_cli("build", "-C", str(root), "-q")
    assert result.exit_code == 0, output_of(result)
    assert "workflow builds with credsite" not in result.stderr
    (root / ".credsite" / WHEEL).rename(root / ".credsite" / "credsite-9.0-py3-none-any.whl")
    result = run_cli("build", "-C", str(root), "-q")
    assert result.exit_code == 0, output_of(result)
    assert "this site's workflow builds with credsite 9.0" in result.stderr
    assert "`credsite upgrade`" in result.stderr


def test_requirements_round_trip(tmp_path: Path, wheel: vendor.Wheel) -> None:
    pins = (
        vendor.Pin("jinja2", "3.1.6", ("a" * 64, "b" * 64)),
        vendor.Pin("ruamel-yaml", "0.19.1", ("c" * 64,)),
    )
    written = vendor.write(tmp_path, wheel, pins)
    assert written == [f".credsite/{WHEEL}", vendor.PYTHON_VERSION, vendor.REQUIREMENTS]
    assert vendor.read(tmp_path) == vendor.Pinned(
        WHEEL, wheel.sha256, vendor.python_version(), pins
    )
    assert vendor.write(tmp_path, wheel, pins) == []  # unchanged files are not rewritten
