"""`visibility: public | unlisted | private` per award, cohort (award-file defaults) or site."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_site, write_files

from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError

URL = "https://example.github.io/creds/"


def files(site_extra: str = "") -> dict[str, str]:
    return {
        "site.yaml": f"title: T\nurl: {URL}\ndemo_key: true\nob2: false\n{site_extra}",
        "content/issuers/x.yaml": "name: X Academy\nurl: https://x.example.org\n",
        "content/achievements/a.yaml": "name: Alpha\ndescription: First.\ncriteria: Do it.\n",
        "content/awards/cohort.yaml": (
            "achievement: a\nvisibility: public\nawards:\n"
            "  - name: Ada Public\n    email: ada@example.org\n"
            "  - name: Alan Unlisted\n    email: alan@example.org\n    visibility: unlisted\n"
        ),
        "content/awards/one.yaml": "achievement: a\nname: Grace Default\nemail: grace@example.org\n",
    }


def visibilities(root: Path) -> dict[str, str]:
    return {a.name: a.visibility for a in model.load(site_config.load(root)).awards}


def test_precedence_award_over_cohort_over_site(tmp_path: Path) -> None:
    write_files(tmp_path, files())
    assert visibilities(tmp_path) == {
        "Ada Public": "public", "Alan Unlisted": "unlisted", "Grace Default": "unlisted"
    }  # fmt: skip
    write_files(tmp_path, files("visibility: public\n"))
    assert visibilities(tmp_path)["Grace Default"] == "public"
    assert visibilities(tmp_path)["Alan Unlisted"] == "unlisted"


def test_unknown_visibility_is_located(tmp_path: Path) -> None:
    write_files(tmp_path, {**files(), "content/awards/one.yaml":
                           "achievement: a\nname: G\nemail: g@example.org\nvisibility: secret\n"})  # fmt: skip
    with pytest.raises(CredsiteError, match=r"one.yaml:4:13: 'visibility' must be one of"):
        model.load(site_config.load(tmp_path))
    write_files(tmp_path, files("visibility: hidden\n"))
    with pytest.raises(CredsiteError, match="'visibility' must be one of"):
        site_config.load(tmp_path)


def test_public_awards_are_listed_and_indexable(tmp_path: Path) -> None:
    write_files(tmp_path, files())
    build_site(tmp_path)
    out = tmp_path / "_site"
    listing = (out / "achievements/a.html").read_text()
    assert "Ada Public" in listing
    assert "Alan Unlisted" not in listing and "Grace Default" not in listing
    pages = {p.read_text().count("noindex"): p for p in out.glob("credentials/*.html")}
    robots = {
        name: "noindex" in p.read_text()
        for p in out.glob("credentials/*.html")
        for name in ("Ada Public", "Alan Unlisted", "Grace Default")
        if name in p.read_text()
    }
    assert pages and robots == {"Ada Public": False, "Alan Unlisted": True, "Grace Default": True}


def test_list_recipients_still_lists_unlisted_awards(tmp_path: Path) -> None:
    write_files(tmp_path, files("list_recipients: true\n"))
    build_site(tmp_path)
    listing = (tmp_path / "_site/achievements/a.html").read_text()
    assert all(n in listing for n in ("Ada Public", "Alan Unlisted", "Grace Default"))


def test_a_spreadsheet_column_sets_it(tmp_path: Path) -> None:
    write_files(tmp_path, {**files("visibility: public\n"), "content/awards/people.csv":
                           "name,email,achievement,visibility\nRosalind,r@example.org,a,private\n"
                           "Barbara,b@example.org,a,\n"})  # fmt: skip
    found = visibilities(tmp_path)
    assert (found["Rosalind"], found["Barbara"]) == ("private", "public")
