"""`credsite withdraw` / `restore`: a credential taken down at its recipient's request.

The award's file gains `withdrawn: true` (every other byte kept); the next build publishes a
notice at its page, and neither its JSON, detached proof nor baked images. Its status bit is not
touched: the copy its recipient holds still verifies. Restoring puts back the same bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import build_site, diff_trees, run_cli, tree, write_files
from test_edit import FILES, URL

from credsite.commands import verify
from credsite.commands.status import set_withdrawn
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError
from credsite.state.lockfile import Lockfile

CSV = "name,email,achievement\r\nRosalind Franklin,rosalind@example.org,a\r\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("withdraw") / "site"
    write_files(root, {**FILES, "content/awards/people.csv": CSV.encode()})
    build_site(root)
    return root


@pytest.fixture
def site(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "site", symlinks=True))


def awards(root: Path) -> dict[str, model.Award]:
    return {a.key: a for a in model.load(site_config.load(root)).awards}


def token(root: Path, key: str) -> str:
    return Lockfile.load(root / "credsite.lock").awards[awards(root)[key].lock_key].credential


def test_withdraw_and_restore_round_trip(site: Path) -> None:
    key = "b/grace@example.org"
    path = site / "content/awards/list.yaml"
    before_text = path.read_bytes()
    before = tree(site / "_site")
    secret = token(site, key)
    held = (site / "_site" / f"credentials/{secret}.png").read_bytes()  # the recipient's copy

    change = set_withdrawn(site, key, True)
    assert (change.key, change.withdrawn, change.status) == (key, True, "active")
    text = path.read_text(encoding="utf-8")
    assert text == before_text.decode().replace(
        "    - https://example.org/cobol\n", "    - https://example.org/cobol\n  withdrawn: true\n"
    )
    assert awards(site)[key].withdrawn and awards(site)[key].status == "active"
    build_site(site)
    after = tree(site / "_site")
    changed = diff_trees(before, after)
    assert changed == [
        f"credentials/{secret}.html",
        f"credentials/{secret}.jcs-proof.jsonld",
        f"credentials/{secret}.json",
        f"credentials/{secret}.png",
        f"credentials/{secret}.svg",
    ]  # the status list is untouched: not revoked
    page = after[f"credentials/{secret}.html"]
    assert b"withdrawn at the recipient&#39;s request" in page or b"recipient's request" in page
    assert b"Grace" not in page and b"Beta" not in page.split(b"<main", 1)[-1]
    assert all(b"Grace Hopper" not in data for data in after.values())
    # the whole site still verifies; the held baked copy verifies against it
    assert {r.report.status for r in verify.verify_site(site / "_site")} <= {"verified"}
    copy = site / "held.png"
    copy.write_bytes(held)
    report = verify.verify_path(copy, site=site / "_site").report
    assert report.status == "verified", report.checks

    with pytest.raises(CredsiteError, match="already withdrawn"):
        set_withdrawn(site, secret, True)
    restored = set_withdrawn(site, f"{URL}credentials/{secret}.html", False)
    assert restored.withdrawn is False
    assert path.read_bytes() == before_text
    build_site(site)
    assert diff_trees(before, tree(site / "_site")) == []


def test_withdraw_a_spreadsheet_row(site: Path) -> None:
    key = "a/rosalind@example.org"
    set_withdrawn(site, key, True)
    assert (site / "content/awards/people.csv").read_bytes() == (
        b"name,email,achievement,withdrawn\r\nRosalind Franklin,rosalind@example.org,a,true\r\n"
    )
    assert awards(site)[key].withdrawn
    set_withdrawn(site, key, False)
    assert not awards(site)[key].withdrawn


def test_cli_withdraw_undo_and_restore(site: Path) -> None:
    key = "a/alan@example.org"
    result = run_cli("withdraw", "-C", str(site), key)
    assert result.exit_code == 0, result.output
    assert "not revoked" in result.output
    assert awards(site)[key].withdrawn
    assert run_cli("withdraw", "-C", str(site), "--undo", key).exit_code == 0
    assert not awards(site)[key].withdrawn
    assert run_cli("withdraw", "-C", str(site), key).exit_code == 0
    assert run_cli("restore", "-C", str(site), key).exit_code == 0
    assert not awards(site)[key].withdrawn


def test_withdrawn_must_be_true_or_false(site: Path) -> None:
    path = site / "content/awards/single.yaml"
    path.write_text(path.read_text() + "withdrawn: maybe\n")
    with pytest.raises(CredsiteError, match="'withdrawn' must be true or false"):
        model.load(site_config.load(site))


def test_a_withdrawn_award_is_not_listed(site: Path) -> None:
    write_files(site, {"site.yaml": (site / "site.yaml").read_text() + "list_recipients: true\n"})
    set_withdrawn(site, "b/grace@example.org", True)
    build_site(site)
    page = (site / "_site/achievements/b.html").read_text()
    assert "Katherine Johnson" in page and "Grace Hopper" not in page
    assert json.loads((site / "_site/status/1.json").read_text())  # still published
