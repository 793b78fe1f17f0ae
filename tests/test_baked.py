"""Baked badge images of a built site: extract, verify, and refuse tampered copies (issue 4)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from credsite.build import build
from credsite.cli import cli
from credsite.commands.verify import verify_path
from credsite.media import art
from credsite.openbadges import png as png_format
from credsite.openbadges import svg as svg_format

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime.now(dt.UTC)  # after the status list's recorded validFrom


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("baked")
    shutil.copy(REPO / "site.yaml", root)
    shutil.copy(REPO / "credsite.lock", root)
    shutil.copytree(REPO / "content", root / "content")
    build(root, now=NOW)
    return root / "_site"


def _valid_token(site: Path) -> str:
    for path in sorted((site / "credentials").glob("*.json")):
        if verify_path(path, now=NOW).report.status == "verified":
            return path.stem
    raise AssertionError("no valid credential in the example")


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_baked_image_carries_the_hosted_credential_byte_for_byte(site: Path, suffix: str) -> None:
    token = _valid_token(site)
    result = CliRunner().invoke(cli, ["extract", str(site / "credentials" / f"{token}.{suffix}")])
    assert result.exit_code == 0, result.output
    hosted = (site / "credentials" / f"{token}.json").read_text(encoding="utf-8")
    assert result.output == hosted + "\n"  # click.echo adds the newline


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_baked_image_verifies(site: Path, suffix: str) -> None:
    token = _valid_token(site)
    verified = verify_path(site / "credentials" / f"{token}.{suffix}", now=NOW)
    assert verified.report.status == "verified", verified.report.checks


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_tampered_baked_image_fails(site: Path, suffix: str, tmp_path: Path) -> None:
    token = _valid_token(site)
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    image = copy / "credentials" / f"{token}.{suffix}"
    credential = json.loads((copy / "credentials" / f"{token}.json").read_text())
    credential["credentialSubject"]["name"] = "Mallory Forger"
    forged = json.dumps(credential, indent=2, ensure_ascii=False) + "\n"
    if suffix == "png":
        image.write_bytes(png_format.bake_png(image.read_bytes(), "openbadgecredential", forged))
    else:
        svg = image.read_text(encoding="utf-8")
        image.write_text(svg_format.bake_svg(svg, forged, version=3), encoding="utf-8")
    verified = verify_path(image, now=NOW)
    assert verified.report.status == "failed"
    result = CliRunner().invoke(cli, ["verify", str(image)])
    assert result.exit_code == 1
    assert "failed" in result.output


def test_image_without_credential_is_a_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    badge = art.render_badge("Test", "Issuer", "#0b5d5e", "#f2a900", None)[0]
    plain.write_bytes(badge.data)
    result = CliRunner().invoke(cli, ["extract", str(plain)])
    assert result.exit_code == 1
    assert "no Open Badges 3.0 credential is baked into this image" in result.output
    assert "Traceback" not in result.output


@given(st.lists(st.sampled_from(
    ["a", "é", "\t", "\n", "\r", "\x00", "\x08", "\x0b", "\x1f", " ", "\x7f", "\x85", "\ud7ff",
     "\ud800", "\udfff", "\ue000", "\ufffd", "\ufffe", "\uffff", "\U00010000", "]]>", "\u2028"]
)).map("".join))  # fmt: skip
def test_the_quick_check_for_what_xml_cannot_carry_is_the_regular_expression(text: str) -> None:
    from credsite.openbadges.svg import XML_ILLEGAL_RE, _xml_illegal

    found, expected = _xml_illegal(text), XML_ILLEGAL_RE.search(text)
    assert (found and found.span()) == (expected and expected.span())
