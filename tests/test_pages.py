"""The static HTML of the built pages: sharing tags, LinkedIn link, QR code, privacy, links, colours.

What a browser does with the pages (live verification, axe-core, print, screenshots) is tested in
tests/browser/ (`bash .ci/browser.sh`); these tests read the HTML files the build writes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil
import string
import struct
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import segno
from conftest import (
    SITE_URL,
    build_site,
    copy_example,
    diff_trees,
    qr_code_in,
    qr_code_of,
    tree,
)
from hypothesis import given
from hypothesis import strategies as st

from credsite import build as build_module
from credsite.colour import WHITE, contrast
from credsite.content import config
from credsite.errors import CredsiteError
from credsite.website import pages, qr, render
from credsite.website.pages import INK

EXAMPLE_URL = "https://northbridge-alliance.github.io/credentials/"


# -- reading HTML --------------------------------------------------------------------------------


class Page(HTMLParser):
    """Every start tag with its attributes, in order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        want = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in want.items())]

    def meta(self, key: str) -> str | None:
        found = self.find("meta", property=key) or self.find("meta", name=key)
        return found[0]["content"] if found else None


def html_pages(output: Path) -> dict[str, str]:
    return {
        p.relative_to(output).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(output.rglob("*.html"))
    }


def credentials(output: Path) -> list[tuple[str, dict, str]]:
    """(token, credential JSON, page HTML) for every credential page."""
    out = []
    for page in sorted((output / "credentials").glob("*.html")):
        token = page.stem
        if not (output / "credentials" / f"{token}.json").is_file():
            continue  # withdrawn (a notice) or private (encrypted): tests/test_private.py
        doc = json.loads((output / "credentials" / f"{token}.json").read_text(encoding="utf-8"))
        out.append((token, doc, page.read_text(encoding="utf-8")))
    return out


def state_of(html: str) -> str:
    match = re.search(r'data-status="([a-z-]+)"', html)
    assert match, "credential page without data-status"
    return match.group(1)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# -- Open Graph and Twitter cards ----------------------------------------------------------------


def test_credential_pages_have_absolute_open_graph_tags(example_output: Path) -> None:
    found = credentials(example_output)
    assert len(found) >= 10
    for token, doc, html in found:
        page = Page(html)
        url = f"{EXAMPLE_URL}credentials/{token}.html"
        subject = doc["credentialSubject"]
        title = page.meta("og:title")
        assert title and subject["name"] in title and subject["achievement"]["name"] in title
        assert page.meta("og:url") == url
        assert page.find("link", rel="canonical")[0]["href"] == url
        assert page.meta("og:type") in ("article", "website")
        assert page.meta("og:description")
        assert len(page.meta("og:description")) <= pages.OG_DESCRIPTION_MAX
        image = page.meta("og:image")
        assert image and image.startswith(EXAMPLE_URL) and image.endswith(".png")
        assert page.meta("og:image:width") == "1200"
        assert page.meta("og:image:height") == "627"
        assert page.meta("og:image:alt")
        assert page.meta("twitter:card") == "summary_large_image"
        # X falls back to the Open Graph tags: none repeated as twitter: tags (bytes per page)
        assert page.meta("twitter:image") is None and page.meta("twitter:title") is None
        # The image exists in the site at that address, at the size the tags announce.
        local = example_output / image[len(EXAMPLE_URL) :]
        assert png_size(local) == (1200, 627)


def test_every_open_graph_url_is_absolute(example_output: Path) -> None:
    for name, html in html_pages(example_output).items():
        page = Page(html)
        for tag, attrs in page.tags:
            key = attrs.get("property", "") or attrs.get("name", "")
            if (
                tag == "meta"
                and key.startswith(("og:", "twitter:"))
                and key.endswith(("url", "image"))
            ):
                assert attrs["content"].startswith("https://"), (name, key)


def test_alternate_link_points_at_the_credential_json(example_output: Path) -> None:
    for token, _doc, html in credentials(example_output):
        links = Page(html).find("link", rel="alternate", type="application/ld+json")
        assert len(links) == 1
        href = links[0]["href"]
        assert not href.startswith(("http:", "https:", "/")), "relative, so it works on any host"
        assert urljoin(f"{EXAMPLE_URL}credentials/x.html", href) == (
            f"{EXAMPLE_URL}credentials/{token}.json"
        )


# -- LinkedIn ------------------------------------------------------------------------------------


def linkedin_hrefs(html: str) -> list[str]:
    return [
        a["href"]
        for a in Page(html).find("a")
        if a.get("href", "").startswith("https://www.linkedin.com/profile/add")
    ]


def test_linkedin_link_parameters(example_output: Path) -> None:
    checked = 0
    for token, doc, html in credentials(example_output):
        hrefs = linkedin_hrefs(html)
        if state_of(html) in ("revoked", "suspended"):
            assert hrefs == [], "no 'Add to profile' for a credential that is not valid"
            continue
        assert len(hrefs) == 1
        href = hrefs[0]
        query = urlsplit(href).query
        assert " " not in href and "\n" not in href
        params = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        keys = [k for k, _ in params]
        assert len(keys) == len(set(keys))
        values = dict(params)
        assert all(values.values()), "no empty parameters"
        assert values["startTask"] == "CERTIFICATION_NAME"
        assert values["name"] == doc["credentialSubject"]["achievement"]["name"]
        assert values["organizationName"] == doc["issuer"]["name"]
        assert "organizationId" not in values  # the example issuer has no linkedin_id
        issued = dt.datetime.fromisoformat(doc["validFrom"])
        assert (values["issueYear"], values["issueMonth"]) == (
            str(issued.year),
            str(issued.month),
        )
        if "validUntil" in doc:
            until = dt.datetime.fromisoformat(doc["validUntil"])
            assert (values["expirationYear"], values["expirationMonth"]) == (
                str(until.year),
                str(until.month),
            )
        else:
            assert "expirationYear" not in values and "expirationMonth" not in values
        assert values["certUrl"] == f"{EXAMPLE_URL}credentials/{token}.html"
        assert values["certId"] == token
        # Reserved characters inside values are percent-encoded, not left to split the query.
        assert "certUrl=https%3A%2F%2F" in query
        checked += 1
    assert checked >= 10


def test_linkedin_url_encodes_every_value() -> None:
    url = pages.linkedin_url(
        name="Data & Society: Level 1/2 — \u00e9t\u00e9",
        organization_id=None,
        organization_name="R&D Lab #1",
        issued=dt.datetime(2026, 3, 5, tzinfo=dt.UTC),
        expires=None,
        cert_url="https://x.example/c/a b.html?x=1",
        cert_id="tok",
    )
    query = urlsplit(url).query
    values = dict(parse_qsl(query, strict_parsing=True))
    assert values["name"] == "Data & Society: Level 1/2 — \u00e9t\u00e9"
    assert values["organizationName"] == "R&D Lab #1"
    assert values["certUrl"] == "https://x.example/c/a b.html?x=1"
    assert (values["issueYear"], values["issueMonth"]) == ("2026", "3")
    assert "expirationYear" not in values
    assert re.fullmatch(r"[A-Za-z0-9%._~&=-]*", query), query


def test_linkedin_prefers_the_company_page_id(make_site) -> None:
    root = make_site(
        {
            "content/issuers/acme.yaml": """\
                name: Acme Learning
                url: https://acme.example.org
                linkedin_id: "1234567"
                """
        }
    )
    build_site(root)
    for page in (root / "_site" / "credentials").glob("*.html"):
        (href,) = linkedin_hrefs(page.read_text(encoding="utf-8"))
        values = dict(parse_qsl(urlsplit(href).query))
        assert values["organizationId"] == "1234567"
        assert "organizationName" not in values


# -- print view and QR code ----------------------------------------------------------------------


def test_certificate_has_a_qr_code_with_a_text_alternative(example_output: Path) -> None:
    for token, _doc, html in credentials(example_output):
        url = f"{EXAMPLE_URL}credentials/{token}.html"
        certificate = html[html.index('<div class="certificate">') :]
        image = re.search(r'<img class="qr" [^>]*>', certificate)
        assert image, "a QR code"
        modules, alt = qr_code_in(image.group(0))
        assert url in alt
        # The URL is printed beside the code, as text.
        assert re.search(r"<figcaption>[^<]*<span[^>]*>" + re.escape(url) + "</span>", certificate)
        # The code encodes the page URL: its pixels are the modules segno makes of the URL.
        assert modules == qr_code_of(url)


def test_qr_image_is_an_image_with_a_label() -> None:
    tag = str(qr.qr_image("https://example.org/a", 'He said "hi" <b>'))
    assert tag.startswith('<img class="qr" src="data:image/png;base64,')
    assert 'alt="He said &#34;hi&#34; &lt;b&gt;"' in tag
    assert qr_code_in(tag) == (qr_code_of("https://example.org/a"), 'He said "hi" <b>')
    # Version 2 (25 modules), the quiet zone (2 a side), 4 pixels a module: the image's size.
    assert tag.endswith(' width="116" height="116">')


def test_pages_leave_out_the_templates_indentation(example_output: Path) -> None:
    """A template's indentation is for its reader: before a tag it shows as nothing more than
    the line break, and a page leaves it out (a tenth of a credential page)."""
    pages_seen = sorted(example_output.rglob("*.html"))
    assert len(pages_seen) > 50
    for page in pages_seen:
        text = page.read_text(encoding="utf-8")
        outside = re.sub(r"<(pre|textarea|script)\b.*?</\1>", "", text, flags=re.S)
        assert not re.search(r"\n[ \t]+<", outside), page


def test_unindented_keeps_what_white_space_means() -> None:
    page = (
        "<ul>\n  <li>one</li>\n\t<li>two\n    words</li>\n</ul>\n"
        "  <pre><code>x\n  <span>kept</span>\n</code></pre>\n"
        "  <textarea>\n   <b>kept</b></textarea>\n"
        "  <script>\n  <!-- kept -->\n  </script>\n  <p>end</p>\n  "
    )
    assert render.unindented(page) == (
        "<ul>\n<li>one</li>\n<li>two\n    words</li>\n</ul>\n"
        "<pre><code>x\n  <span>kept</span>\n</code></pre>\n"
        "<textarea>\n   <b>kept</b></textarea>\n"
        "<script>\n  <!-- kept -->\n  </script>\n<p>end</p>\n"
    )


def test_qr_svg_is_an_image_with_a_label() -> None:
    svg = str(qr.qr_svg("https://example.org/a", 'He said "hi" <b>'))
    assert svg.startswith("<svg ")
    assert 'role="img"' in svg
    assert 'aria-label="He said &#34;hi&#34; &lt;b&gt;"' in svg
    assert "<script" not in svg


def test_a_theme_written_for_svg_codes_still_shows_them(make_site) -> None:
    """docs/themes.md's ``qr_svg`` and ``wallet_qr_svg``, for themes written before the codes
    were images: a site whose templates show them gets the same SVG as before, as markup in
    any expression; a theme that does not name them does not get them (nor their cost)."""
    override = (
        '{% extends "base.html" %}\n'
        "{% block main %}<div class=old-qr>{{ qr_svg }}</div>"
        "<div class=old-wallet>{{ wallet_qr_svg ~ '' if wallet_qr_svg else 'none' }}</div>"
        "<p class=old-page>{{ page_url }}</p><p class=old-json>{{ credential_url }}</p>"
        "{% endblock %}\n"
    )
    root = make_site({"themes/default/templates/credential.html": override})
    build_site(root)
    shown = 0
    for page in (root / "_site" / "credentials").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        page_url = re.search(r"<p class=old-page>([^<]*)</p>", html).group(1)  # type: ignore[union-attr]
        json_url = re.search(r"<p class=old-json>([^<]*)</p>", html).group(1)  # type: ignore[union-attr]
        svg = re.search(r"<div class=old-qr>(.*?)</div>", html).group(1)  # type: ignore[union-attr]
        assert svg.startswith('<svg role="img" aria-label=')
        assert re.sub(r"<svg [^>]*>", "", svg) == re.sub(r"<svg [^>]*>", "", qr.drawing(page_url))
        wallet = re.search(r"<div class=old-wallet>(.*?)</div>", html).group(1)  # type: ignore[union-attr]
        if wallet != "none":
            assert re.sub(r"<svg [^>]*>", "", wallet) == re.sub(
                r"<svg [^>]*>", "", qr.drawing(json_url)
            )
            shown += 1
    assert shown > 0
    assert render.load_theme(config.load(root)).mentions("qr_svg")
    assert not render.load_theme(config.load(copy_example(root.parent / "plain"))).mentions("qr_svg")
    assert "qr_svg" not in qr.QrCodes(svg=False).codes("qr", "https://example.org/a", "a")
    assert qr.QrCodes(svg=True).codes("wallet_qr", None, "a") == {
        "wallet_qr_image": None,
        "wallet_qr_svg": None,
    }


def test_print_button_and_downloads(example_output: Path) -> None:
    for token, _doc, html in credentials(example_output):
        page = Page(html)
        assert page.find("button", type="button", hidden="") or "data-print" in html
        downloads = {a["href"] for a in page.find("a") if "download" in a}
        assert downloads == {
            f"../credentials/{token}.png",
            f"../credentials/{token}.svg",
            f"../credentials/{token}.json",
            f"../ob2/assertions/{token}.png",
            f"../ob2/assertions/{token}.svg",
        }
        assert 'data-verification="pending"' in html
        assert f'data-credential="credentials/{token}.json"' in html
        assert '<script src="../static/verify.js" defer></script>' in html


# -- privacy -------------------------------------------------------------------------------------


def test_pages_carry_noindex_by_default(example_output: Path) -> None:
    for name, html in html_pages(example_output).items():
        assert Page(html).meta("robots") == "noindex, nofollow", name


def test_noindex_can_be_switched_off(make_site) -> None:
    root = make_site({"site.yaml": f"title: T\nurl: {SITE_URL}\ndemo_key: true\nnoindex: false\n"})
    build_site(root)
    for page in (root / "_site").rglob("*.html"):
        assert Page(page.read_text(encoding="utf-8")).meta("robots") is None


def test_no_page_lists_recipients_by_default(example_output: Path, example_site: Path) -> None:
    names = {doc["credentialSubject"]["name"] for _t, doc, _h in credentials(example_output)}
    # The page of an endorsement of one credential links that credential: like the credential's
    # own page, only the credential's page links it (and its editions in other languages, each
    # other).
    pages = html_pages(example_output)
    of_a_credential = {
        name
        for path in (example_output / "endorsements").glob("*.json")
        if json.loads(path.read_text(encoding="utf-8"))["credentialSubject"]["id"].startswith(
            EXAMPLE_URL + "credentials/"
        )
        for name in pages
        if name.endswith(f"endorsements/{path.stem}.html")
    }
    assert "fr/endorsements/" in " ".join(of_a_credential)
    for name, html in pages.items():
        if name.startswith(("credentials/", "records/")) or name in of_a_credential:
            continue  # a credential's page, or a recipient's learner record (linked from nowhere)
        parser = Links()
        parser.feed(html)
        for _tag, url in parser.urls:
            resolved = urljoin(EXAMPLE_URL + name, url)
            assert not resolved.startswith(EXAMPLE_URL + "credentials/"), (name, url)
            assert not resolved.startswith(EXAMPLE_URL + "records/"), (name, url)
            assert resolved.removeprefix(EXAMPLE_URL) not in of_a_credential, (name, url)
        for person in names:
            assert person not in html, (name, person)


def test_recipients_are_listed_when_the_site_opts_in(make_site) -> None:
    root = make_site(
        {"site.yaml": f"title: T\nurl: {SITE_URL}\ndemo_key: true\nlist_recipients: true\n"}
    )
    build_site(root)
    html = (root / "_site" / "achievements" / "teamwork.html").read_text(encoding="utf-8")
    assert "Ada Lovelace" in html and "Alan Turing" in html
    assert "Grace Hopper" not in html  # another achievement's recipient


def test_no_raw_email_in_any_page(example_output: Path, example_site: Path) -> None:
    emails = set()
    for path in (example_site / "content" / "awards").glob("*.yaml"):
        emails |= set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", path.read_text(encoding="utf-8")))
    assert len(emails) >= 10
    for name, html in html_pages(example_output).items():
        for email in emails:
            assert email not in html, (name, email)
        assert "mailto:" not in html


def test_markdown_from_content_cannot_inject_script(make_site) -> None:
    root = make_site(
        {
            "content/awards/awards.yaml": """\
                - achievement: teamwork
                  name: Eve <img src=x onerror=alert(1)>
                  email: eve@example.org
                  issued: 2026-03-01
                  narrative: |
                    Hello <script>alert(1)</script> [click](javascript:alert(1))
                    <a href="#" onclick="alert(1)">x</a>
                """
        }
    )
    build_site(root)
    (page,) = (root / "_site" / "credentials").glob("*.html")
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "javascript:" not in html
    for tag, attrs in Page(html).tags:
        assert not any(key.startswith("on") for key in attrs), (tag, attrs)
        assert tag != "script" or attrs.get("src", "").startswith("../static/")
    assert "Eve &lt;img src=x onerror=alert(1)&gt;" in html


# -- links work on GitHub Pages (relative, existing, .json/.png/.svg names) --------------------


def credential_json(site: Path, page: str) -> dict:
    return json.loads((site / page.replace(".html", ".json")).read_text(encoding="utf-8"))


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta" or (tag == "link" and a.get("rel") == "canonical"):
            return
        if tag == "link" and a.get("rel") == "alternate" and a.get("hreflang"):
            return  # a page's other-language editions: absolute, as hreflang wants
        for key in ("href", "src"):
            if a.get(key):
                self.urls.append((tag, a[key] or ""))


def test_internal_links_are_relative_and_resolve(example_output: Path) -> None:
    for name, html in html_pages(example_output).items():
        parser = Links()
        parser.feed(html)
        for _tag, url in parser.urls:
            if url.startswith(EXAMPLE_URL):
                # a pathway credential's signed evidence: the credentials that completed it
                # (the page checks each link against the signed value, so it stays absolute)
                signed = name.startswith("credentials/") and url in [
                    e.get("id") for e in credential_json(example_output, name).get("evidence", [])
                ]
                assert name == "404.html" or signed, f"{name}: absolute link into the site {url}"
                continue
            if re.match(r"[a-z]+:", url) or url.startswith("#"):
                continue  # another site (evidence, skills, LinkedIn), or this page
            assert not url.startswith("/"), f"{name}: root-relative {url} breaks project sites"
            target = (example_output / name).parent / url.split("#")[0]
            assert target.resolve().is_file(), f"{name}: broken link {url}"
            assert target.suffix in (".html", ".json", ".png", ".svg", ".css", ".js"), url


def test_404_page_stands_alone(example_output: Path) -> None:
    html = (example_output / "404.html").read_text(encoding="utf-8")
    page = Page(html)
    assert not page.find("link", rel="stylesheet"), "inline CSS: 404.html is served at any path"
    assert "<style>" in html and ".wrap" in html
    assert page.find("a", href=EXAMPLE_URL)
    assert "<img" not in html and "<script" not in html


def test_pages_use_landmarks_and_one_h1(example_output: Path) -> None:
    for name, html in html_pages(example_output).items():
        page = Page(html)
        # the site's English pages, its French ones (fr/) and French recipients' credentials
        assert page.find("html", lang="en") or page.find("html", lang="fr"), name
        assert len(page.find("main")) == 1 and page.find("header") and page.find("footer"), name
        screen = html.split('<div class="certificate">')[0]
        assert screen.count("<h1") == 1, name
        for tag, attrs in page.tags:
            if tag == "img":
                assert "alt" in attrs, f"{name}: img without alt"
        assert page.find("a", href="#main"), f"{name}: skip link"


def test_badge_alt_text_names_the_achievement(example_output: Path) -> None:
    for _token, doc, html in credentials(example_output):
        badge = Page(html).find("img", **{"class": "cred-badge"})[0]
        assert doc["credentialSubject"]["achievement"]["name"] in badge["alt"]


# -- colours -------------------------------------------------------------------------------------

colours = st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)


@given(colours, colours)
def test_brand_colours_meet_wcag_aa(primary: str, secondary: str) -> None:
    class Issuer:
        primary_colour = primary
        secondary_colour = secondary

    b = pages.brand(Issuer())  # type: ignore[arg-type]
    assert contrast(b.primary_ink, b.primary) >= 4.5  # header text on the brand colour
    assert contrast(b.secondary_ink, b.secondary) >= 4.5
    assert contrast(b.strong, WHITE) >= 4.5  # links and outlined buttons
    assert contrast(b.strong, b.tint) >= 4.5  # links on tinted panels
    assert contrast(b.strong_ink, b.strong) >= 4.5  # filled button labels
    assert contrast(b.accent_strong, WHITE) >= 4.5
    assert contrast(INK, b.tint) >= 4.5  # body text on tinted panels
    assert contrast(b.focus, WHITE) >= 3  # focus outline (WCAG 2.4.13)


def test_contrast_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert pages.text_on("#0b5d5e") == WHITE
    assert pages.text_on("#f2a900") != WHITE
    assert pages.readable_on("#0b5d5e", WHITE) == "#0b5d5e"  # already fine: unchanged
    assert contrast(pages.readable_on("#f2a900", WHITE), WHITE) >= 4.5


def test_brand_colours_reach_the_page(example_output: Path) -> None:
    html = (example_output / "index.html").read_text(encoding="utf-8")
    assert "--brand: #0b5d5e;" in html and "--brand-2: #f2a900;" in html


# -- helpers -------------------------------------------------------------------------------------


def test_labels() -> None:
    assert pages.type_label("MicroCredential") == "Micro-credential"
    assert pages.type_label("MasterDegree") == "Master degree"
    assert pages.type_label("Badge") == "Badge"
    assert pages.type_label("ext:WorkshopSeries") == "Workshop series"
    assert pages.field_label("academic_year") == "Academic year"
    assert pages.duration_text((1, "year")) == "1 year"
    assert pages.duration_text((18, "month")) == "18 months"
    assert pages.shorten("a " * 10, 9) == "a a a a…"
    assert pages.shorten("short", 9) == "short"


# -- QR codes: one fixed mask, the fast path draws what segno draws ---------------------------------


def _segno_svg(url: str) -> str:
    code = segno.make(url, error="m", micro=False, mask=qr.MASK)
    return code.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")


def _segno_png(url: str) -> str:
    code = segno.make(url, error="m", micro=False, mask=qr.MASK)
    return code.png_data_uri(scale=qr.SCALE, border=qr.BORDER, compresslevel=qr.PNG_LEVEL)


def test_qr_fast_path_draws_what_segno_draws_in_every_version() -> None:
    """Every version (1 to 40) and error level segno reaches from level M: the same modules,
    and the same SVG and PNG bytes as segno with the same mask."""
    rng = random.Random(14)
    alphabet = string.ascii_lowercase + string.digits + "/:.-_%?=&~"
    seen = set()
    lengths = [*range(2, 160), *range(160, 2332, 31), 2331]
    for length in lengths:
        text = "h" + "".join(rng.choice(alphabet) for _ in range(length - 1))
        matrix = qr._fast_matrix(text)
        assert matrix is not None, length
        code = segno.make(text, error="m", micro=False, mask=qr.MASK)
        seen.add((code.version, code.error))
        assert matrix == [bytes(b"01"[m & 1] for m in row) for row in code.matrix], length
        assert qr.drawing(text) == _segno_svg(text), length
        assert qr.image_url(text) == _segno_png(text), length
    assert {version for version, _ in seen} == set(range(1, 41))
    assert {error for _, error in seen} == {"M", "Q", "H"}


def test_qr_png_of_every_quiet_zone_matches_segno() -> None:
    """Rows padded to whole bytes by 0 to 7 bits: the quiet zone's width moves the padding."""
    url = "https://org.github.io/creds/credentials/abcdefghijklmnopqrstuvwxyz.json"
    matrix = qr._fast_matrix(url)
    assert matrix is not None
    code = segno.make(url, error="m", micro=False, mask=qr.MASK)
    for border in range(8):
        expected = code.png_data_uri(scale=qr.SCALE, border=border, compresslevel=qr.PNG_LEVEL)
        assert qr._png_data_url(matrix, border) == expected, border


def test_qr_credential_urls_match_segno_and_are_deterministic() -> None:
    rng = random.Random(7)
    for _ in range(200):
        token = "".join(rng.choice(string.ascii_lowercase + "234567") for _ in range(26))
        url = f"https://org.github.io/creds/credentials/{token}.{rng.choice(['html', 'json'])}"
        assert qr.drawing(url) == _segno_svg(url) == qr.drawing(url)
        assert qr.image_url(url) == _segno_png(url) == qr.image_url(url)


def test_qr_other_content_is_drawn_by_segno() -> None:
    for text in ("HTTPS://EXAMPLE.ORG/A", "0123456789", "https://例え.jp/ü", "x" * 3000):
        assert qr._fast_matrix(text) is None
    assert qr.drawing("HTTPS://EXAMPLE.ORG/A") == _segno_svg("HTTPS://EXAMPLE.ORG/A")
    assert qr.image_url("https://例え.jp/ü") == _segno_png("https://例え.jp/ü")


def test_qr_fast_path_checks_itself_against_segno(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first code of each shape is compared with segno's: a difference (a wrong table, a new
    segno) and segno draws every code of that shape."""
    url = "https://example.org/checked/" + "a" * 30
    shape = qr._shape(*qr._version(len(url)))
    assert shape is not None
    monkeypatch.setattr(shape, "checked", False)
    monkeypatch.setattr(qr, "_place", lambda shape, codewords: [b"0" * shape.size] * shape.size)
    monkeypatch.setitem(qr._SHAPES, qr._version(len(url)), shape)
    assert qr._fast_matrix(url) is None
    assert qr._SHAPES[qr._version(len(url))] is None
    assert qr.drawing(url) == _segno_svg(url)
    assert qr.image_url(url) == _segno_png(url)


def test_credential_page_links_the_ob2_images_when_ob2_is_on(example_output: Path) -> None:
    """Issue 7: the OB 2.0 baked PNG and SVG are offered next to the OB 3.0 ones."""
    pages = sorted((example_output / "credentials").glob("*.html"))
    assert pages
    for page in pages:
        token = page.stem
        if not (example_output / "credentials" / f"{token}.json").is_file():
            continue  # withdrawn (a notice) or private (encrypted, no OB 2.0 output)
        html = page.read_text(encoding="utf-8")
        for suffix in ("png", "svg"):
            href = f"ob2/assertions/{token}.{suffix}"
            assert f'href="../{href}"' in html, (page.name, href)
            assert (example_output / href).is_file()


def test_a_site_overrides_one_template_and_keeps_the_rest(make_site) -> None:
    """themes/<theme>/templates/ of the site shadows the built-in theme template by template."""
    from conftest import build_site

    override = (
        '{% extends "base.html" %}\n'
        "{% block main %}<p class=\"custom-issuer\">Our own issuer page for {{ issuer.name }}</p>"
        "{% endblock %}\n"
    )
    root = make_site({"themes/default/templates/issuer.html": override})
    build_site(root)
    out = root / "_site"
    issuer_pages = list((out / "issuers").glob("*.html"))
    assert issuer_pages
    for page in issuer_pages:
        html = page.read_text(encoding="utf-8")
        assert 'class="custom-issuer"' in html
        assert 'name="robots"' in html  # still the built-in base.html around it
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "custom-issuer" not in index  # other pages keep the built-in templates


# -- rendered in worker processes ------------------------------------------------------------------


def test_pages_rendered_by_worker_processes_are_the_same(
    example_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The credential and learner-record pages of the example (two languages; private, withdrawn
    and revoked credentials; learner records; endorsements), rendered by the process pool, are
    byte for byte those the build renders itself; this process renders none of them."""
    root = copy_example(tmp_path / "example")
    images = build_module.CACHE_DIR + "/images"
    shutil.copytree(example_site / images, root / images)  # drawn once already; pages only
    rendered_here: list[object] = []
    credential_page, record_page = pages.PageMaker.credential_page, pages.PageMaker.record_page

    def here(render: Callable[[pages.PageMaker, Any], bytes]) -> Callable[..., bytes]:
        def spy(maker: pages.PageMaker, job: Any) -> bytes:
            rendered_here.append(job)
            return render(maker, job)

        return spy

    # Worker processes import their own credsite: these spies see only this process's pages.
    monkeypatch.setattr(pages.PageMaker, "credential_page", here(credential_page))
    monkeypatch.setattr(pages.PageMaker, "record_page", here(record_page))
    monkeypatch.setattr(pages, "PARALLEL_THRESHOLD", 1)
    build_site(root)
    assert rendered_here == []
    assert list((root / "_site" / "records").glob("*.html"))
    assert diff_trees(tree(example_site / "_site"), tree(root / "_site")) == []


def test_a_template_mistake_in_a_worker_process_is_located(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error in a page a worker renders reaches the build as the same located problem."""
    template = (render.builtin_theme_dir() / "templates" / "credential.html").read_text()
    assert "{{ achievement.name }}" in template
    line = template[: template.index("{{ achievement.name }}")].count("\n") + 1
    broken = template.replace("{{ achievement.name }}", "{{ nope }}", 1)
    root = make_site({"themes/default/templates/credential.html": broken})
    monkeypatch.setattr(pages, "PARALLEL_THRESHOLD", 1)
    with pytest.raises(CredsiteError) as raised:
        build_site(root)
    assert str(raised.value) == (
        f"themes/default/templates/credential.html:{line}: 'nope' is undefined"
    )


class _Rendered:
    """Pages a stand-in pool has made (`made`) and not yet handed over, in order."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages, self.made, self.closed = pages, 0, False

    def ready(self) -> bool:
        return self.made > 0

    def __next__(self) -> bytes:
        self.made = max(0, self.made - 1)
        return self.pages.pop(0)

    def close(self) -> None:
        self.closed = True


class _Added:
    """A stand-in site output: what was added, in order."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def add(self, path: str, data: bytes | str, *, inputs: str = "", scan: bool = True) -> None:
        self.paths.append(path)

    def add_json(self, path: str, document: Any) -> None:
        self.paths.append(path)

    def keep(self, path: str, inputs: str) -> bool:
        return False


def test_pages_are_added_as_they_are_made_between_the_other_files() -> None:
    """While the workers render pages, each file the build adds through `PagesInProgress`
    also adds the pages already made, in order and without waiting; `finish` waits for the
    rest, then adds the theme's static files. Progress counts the credential pages."""
    rendered, added, progress = _Rendered([b"a", b"b", b"record"]), _Added(), []
    planned = [("a.html", "1"), None, ("b.html", "2"), ("record.html", "3")]
    sink = pages.PagesInProgress(
        added, rendered, planned, 3, {"static/x.css": b""}, progress.append  # type: ignore[arg-type]
    )
    sink.add("first.json", b"{}")
    assert added.paths == ["first.json"] and progress == []  # nothing made yet: no wait
    rendered.made = 1
    sink.add_json("second.json", {})
    # a.html was made; the credential without a page to make (None) follows; b.html is not made
    assert added.paths == ["first.json", "second.json", "a.html"] and progress == [1, 2]
    assert not sink.keep("third.png", "4")
    assert added.paths[-1] == "a.html"
    sink.finish()
    assert added.paths[3:] == ["b.html", "record.html", "static/x.css"]
    assert progress == [1, 2, 3] and rendered.closed


def test_a_failure_while_pages_render_stops_them(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build adds its other files while the pages render: if one of them fails, the pages
    still to render are stopped (`PagesInProgress.close`) and the build's error is the one
    raised."""
    from credsite.media import artwork

    closed: list[bool] = []
    close = pages.PagesInProgress.close

    def spy(self: pages.PagesInProgress) -> None:
        closed.append(bool(self._planned))  # pages were still to come
        close(self)

    def fail(*args: object, **options: object) -> None:
        raise CredsiteError("baking failed")

    monkeypatch.setattr(pages.PagesInProgress, "close", spy)
    monkeypatch.setattr(artwork, "publish", fail)
    root = make_site()
    with pytest.raises(CredsiteError, match="baking failed"):
        build_site(root)
    assert closed == [True]
    assert not (root / "_site").exists()
