"""`credsite init`: a new site that builds and verifies as it is (also with the independent Node
verifier), a valid GitHub Pages workflow, a key that git never tracks, and no overwriting."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, output_of, run_cli

from credsite.commands import init as scaffold
from credsite.commands.verify import verify_site
from credsite.content import config
from credsite.content.model import MAX_SLUG
from credsite.errors import CredsiteError

BASE_URL = scaffold.DEFAULT_URL
SECRET = "CREDSITE_KEY_YOUR_ORG"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`credsite init` then `credsite build`, once for the module."""
    root = tmp_path_factory.mktemp("init") / "my-credentials"
    result = run_cli("init", str(root))
    assert result.exit_code == 0, output_of(result)
    result = run_cli("build", "-C", str(root), "-q")
    assert result.exit_code == 0, output_of(result)
    return root


def test_init_writes_a_complete_site(built_site: Path) -> None:
    for name in (
        "site.yaml",
        "README.md",
        ".gitignore",
        ".gitattributes",
        ".github/workflows/credsite.yml",
        "keys/README.md",
        "content/README.md",
        "content/issuers/your-org.yaml",
        "content/achievements/workshop-completion.yaml",
        "content/awards/sample-award.yaml",
        "content/awards/sample-cohort.csv",
        ".credsite/credsite-0.1.0-py3-none-any.whl",
        ".credsite/requirements.txt",
        ".credsite/python-version",
    ):
        assert (built_site / name).is_file(), name
    key = built_site / "keys/your-org.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    cfg = config.load(built_site)
    assert cfg.url == BASE_URL and not cfg.demo_key
    for path in built_site.rglob("*"):
        if (
            path.is_file()
            and "_site" not in path.parts
            and ".credsite-cache" not in path.parts
            and path.suffix != ".whl"
        ):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"__[A-Z_]+__", text), f"placeholder left in {path}"
    assert "email" in (built_site / "content/awards/sample-cohort.csv").read_text()


def test_new_site_builds_and_verifies(built_site: Path) -> None:
    results = verify_site(built_site / "_site")
    assert len([r for r in results if re.fullmatch(r"credentials/\w+\.json", r.path)]) == 3
    assert {r.report.status for r in results} == {"verified"}
    result = run_cli("verify", str(built_site / "_site"))
    assert result.exit_code == 0, output_of(result)
    assert (built_site / "credsite.lock").is_file()
    # The key never reaches the built site.
    secret = (built_site / "keys/your-org.key").read_text().strip().splitlines()[-1]
    for path in (built_site / "_site").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_new_site_passes_the_independent_verifier(built_site: Path, tmp_path: Path) -> None:
    """A new site bakes in the browser (`bake_in_browser: true`): its credentials, and the
    images its pages' links bake (tests/js/bake_all.mjs runs the page's bake.js), pass."""
    if not (REPO / "interop" / "node_modules").is_dir():
        pytest.skip("interop/node_modules is missing: run 'npm ci --prefix interop' to enable")
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    assert config.load(built_site).bake_in_browser
    assert not list((built_site / "_site" / "credentials").glob("*.png"))
    site = shutil.copytree(built_site / "_site", tmp_path / "with-images")
    baked = subprocess.run(
        [node, str(REPO / "tests" / "js" / "bake_all.mjs"), str(site), str(site)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert baked.returncode == 0, baked.stderr
    run = subprocess.run(
        [node, str(REPO / "interop" / "verify.mjs"), str(site), BASE_URL],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "images: 6 checked (3 png, 3 svg)" in run.stdout, run.stdout
    assert "interop: 9 passed, 0 failed" in run.stdout


def test_git_never_tracks_the_key(built_site: Path, tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not on PATH")
    clone = tmp_path / "repo"
    shutil.copytree(built_site, clone)

    def run(*args: str) -> str:
        return subprocess.run(
            [git, *args], cwd=clone, check=True, capture_output=True, text=True
        ).stdout

    run("init", "-q")
    run("add", "-A")
    tracked = set(run("ls-files").split())
    assert "keys/README.md" in tracked and "credsite.lock" in tracked
    assert {".credsite/requirements.txt", ".credsite/python-version"} <= tracked
    assert ".credsite/credsite-0.1.0-py3-none-any.whl" in tracked  # what the workflow installs
    assert "keys/your-org.key" not in tracked
    assert not any(p.startswith(("_site/", ".credsite-cache/")) for p in tracked)
    assert "merge: union" in run("check-attr", "merge", "credsite.lock")


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 1
    assert "is not empty (notes.txt)" in output_of(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(CredsiteError, match="exists and is not a folder"):
        scaffold.init(tmp_path / "notes.txt")


def test_a_fresh_clone_is_fine(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # `git clone` of a new, empty repository
    result = run_cli("init", str(tmp_path))
    assert result.exit_code == 0, output_of(result)
    assert (tmp_path / "site.yaml").is_file()


def test_options_fill_in_the_names(tmp_path: Path) -> None:
    result = run_cli(
        "init",
        str(tmp_path / "site"),
        "--title",
        "Acme: Lab # badges",
        "--url",
        "https://acme.example.org/badges",
        "--issuer",
        "acme-lab",
    )
    assert result.exit_code == 0, output_of(result)
    root = tmp_path / "site"
    cfg = config.load(root)
    assert cfg.title == "Acme: Lab # badges"
    assert cfg.url == "https://acme.example.org/badges/"
    assert (root / "content/issuers/acme-lab.yaml").is_file()
    assert (root / "keys/acme-lab.key").is_file()
    workflow = (root / ".github/workflows/credsite.yml").read_text()
    assert "CREDSITE_KEY_ACME_LAB: ${{ secrets.CREDSITE_KEY_ACME_LAB }}" in workflow
    # private awards need the private-links secret in CI (docs/privacy.md); unset, it is empty
    assert (
        "CREDSITE_PRIVATE_LINKS_SECRET: ${{ secrets.CREDSITE_PRIVATE_LINKS_SECRET }}" in workflow
    )
    assert "CREDSITE_KEY_ACME_LAB" in output_of(result)
    assert "set 'url'" not in output_of(result)  # given: not asked for again
    assert "set 'url'" in output_of(run_cli("init", str(tmp_path / "placeholder")))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--url", "http://example.org/", "must be the https:// address"),
        ("--issuer", "Acme Lab", "must be lower-case letters"),
        ("--title", "  ", "must not be empty"),
        ("--url", "https://acme.example/a/../", "'url' must not have '.' or '..' in its path"),
        ("--url", "https://ü.example/", "write it in its xn-- form, xn--tda.example"),
    ],
)
def test_bad_options(tmp_path: Path, option: str, value: str, message: str) -> None:
    result = run_cli("init", str(tmp_path / "site"), option, value)
    assert result.exit_code == 1
    assert message in output_of(result) and "Traceback" not in output_of(result)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_title_leaves_nothing_behind(tmp_path: Path) -> None:
    """A title the site cannot publish was found only after every file was written, which
    stayed: "nothing was written" was untrue, and the next init refused the folder as not empty."""
    result = run_cli("init", str(tmp_path / "x"), "--title", "a\x01")
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert "the site title must not hold the character U+0001" in text
    assert "nothing was written" in text
    assert list(tmp_path.iterdir()) == []
    again = run_cli("init", str(tmp_path / "x"), "--title", "a")
    assert again.exit_code == 0, output_of(again)


@pytest.mark.parametrize("where", ["new/deeper", "clone"])
def test_a_failure_while_writing_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Whatever stops init half-way (here the key file), the site was written into a folder of
    its own, removed: a new target is not made (nor its parents), a clone keeps only its .git."""
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    def fail(*args: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scaffold, "write_key_file", fail)
    result = run_cli("init", str(tmp_path / where))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert f"cannot create the site in {tmp_path / where}: No space left on device" in text
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_an_issuer_id_the_build_would_refuse_is_refused(tmp_path: Path) -> None:
    """The build takes issuer file names of at most `model.MAX_SLUG` characters: init took any,
    and the site it made never built."""
    result = run_cli("init", str(tmp_path / "x"), "--issuer", "a" * (MAX_SLUG + 50))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert f"is {MAX_SLUG + 50} characters long: at most {MAX_SLUG} are allowed" in text
    assert list(tmp_path.iterdir()) == []
    longest = run_cli("init", str(tmp_path / "x"), "--issuer", "a" * MAX_SLUG)
    assert longest.exit_code == 0, output_of(longest)
    built = run_cli("build", "-C", str(tmp_path / "x"), "-q")
    assert built.exit_code == 0, output_of(built)


def test_a_target_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    for target, message in [
        (tmp_path / "notes.txt/site", f"cannot create {tmp_path}/notes.txt/site: "
                                       f"{tmp_path}/notes.txt is not a folder"),
        (tmp_path / "notes.txt/a/b", f"{tmp_path}/notes.txt is not a folder"),
        (Path("/proc/credsite-site"), "cannot create /proc/credsite-site: "),
    ]:  # fmt: skip
        if not Path("/proc/self").exists() and target.parts[1] == "proc":
            continue  # no procfs (macOS): a folder nobody may make one in
        result = run_cli("init", str(target))
        text = output_of(result)
        assert result.exit_code == 1 and "Traceback" not in text, text
        assert message in text
        assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
