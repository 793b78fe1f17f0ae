"""`bake_in_browser: true` (issue 14, a site that fits its host): no baked image is published per
credential, OB 2.0 assertion or learner record; the pages' download links bake the signed JSON
into the shared badge in the browser (themes/default/static/bake.js), and must give the very bytes
the build would have published. The example site is built both ways; tests/js/bake_all.mjs runs
bake.js in Node as the pages run it (the click itself is tested in Chromium: tests/browser)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    AWARDS,
    NOW,
    REPO,
    SITE_YAML,
    TEAMWORK,
    build_site,
    copy_example,
    diff_trees,
    output_of,
    run_cli,
    tree,
)

from credsite.commands import notify, roster
from credsite.content import config as site_config
from credsite.issuing import private
from credsite.openbadges import png, svg
from credsite.openbadges.image import KEYWORD_OB2, KEYWORD_OB3
from credsite.website import pages as pages_module

BAKED = ("credentials", "ob2/assertions", "records")
"""The folders whose per-document images the build bakes (unless the browser does)."""


def baked_images(site: Path) -> set[str]:
    """Every per-document baked image the site publishes (private ones encrypted)."""
    return {
        path.relative_to(site).as_posix()
        for folder in BAKED
        for path in (site / folder).glob("*")
        if path.name.removesuffix(private.SUFFIX).endswith((".png", ".svg"))
    }


@pytest.fixture(scope="module")
def in_browser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built with `bake_in_browser: true` (the same lockfile as `example_site`)."""
    root = copy_example(tmp_path_factory.mktemp("bake") / "example")
    with (root / "site.yaml").open("a", encoding="utf-8") as file:
        file.write("\nbake_in_browser: true\n")
    build_site(root)
    return root


def test_no_baked_image_is_published_and_nothing_signed_changes(
    example_site: Path, in_browser: Path
) -> None:
    hosted, browser = tree(example_site / "_site"), tree(in_browser / "_site")
    assert not baked_images(in_browser / "_site")
    baked = baked_images(example_site / "_site")
    credentials = [p for p in hosted if p.startswith("credentials/") and ".json." in p + "."]
    assert len([p for p in baked if p.startswith("credentials/")]) == 2 * len(credentials) > 0
    # The learner records' images, once per language, for the browser to bake them into.
    added = {f"images/records/{language}.{suffix}" for language in ("en", "fr")
             for suffix in ("png", "svg")}  # fmt: skip
    pages = {p for p in hosted if p.endswith((".html", ".html.enc"))}
    ob2 = {p for p in hosted if p.startswith("ob2/assertions/") and p.endswith(".json")}
    differ = set(diff_trees(hosted, browser))
    assert baked | added | {pages_module.BAKE_SCRIPT} <= differ
    # else only pages (their download links) and OB 2.0 assertions (below)
    assert differ - baked - added - {pages_module.BAKE_SCRIPT} <= pages | ob2
    # What recipients hold is the same: credentials, records, proofs, status lists, DIDs.
    for path, data in hosted.items():
        if path.endswith((".json", ".jsonld")) and not path.startswith("ob2/assertions/"):
            assert browser[path] == data, path
    # OB 2.0 assertions lose only their image (optional in OB 2.0): none is hosted.
    for path in ob2:
        was, now = json.loads(hosted[path]), json.loads(browser[path])
        assert "image" not in now and {k: v for k, v in was.items() if k != "image"} == now


def bake_all(site: Path, out: Path) -> dict[str, tuple[str, str]]:
    """tests/js/bake_all.mjs on `site`: each image it baked into `out` (its path in the site)
    -> (kind of baking, the badge it baked into)."""
    node = shutil.which("node")
    assert node, "Node.js runs bake.js here (CI installs it: .ci/lib.sh ensure_node)"
    lines = subprocess.run(
        [node, str(REPO / "tests" / "js" / "bake_all.mjs"), str(site), str(out)],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout.splitlines()  # fmt: skip
    return {path: (kind, image) for kind, path, image in (line.split() for line in lines)}


def same_as_the_build(root: Path, hosted: Path, out: Path) -> set[str]:
    """Bake every image of the site built at `root` with `bake_in_browser` as its pages would,
    and check each: the very file the build publishes at `hosted` (the same content built
    without the switch), or for OB 2.0, whose assertions then differ (no image), this site's
    assertion baked as the build bakes (`artwork.publish_ob2`: the badge in the site's first
    language, verify= the hosted assertion's address). The kinds of baking met."""
    made = bake_all(root / "_site", out)
    public = {p for p in baked_images(hosted) if not p.endswith(private.SUFFIX)}
    assert set(made) == public  # every baked image the build publishes, and no other
    site, url = root / "_site", site_config.load(root).url
    achievement = {
        e.token: e.award.achievement for e in roster.entries(root, now=NOW).entries if e.token
    }
    for path, (kind, image) in made.items():
        baked = (out / path).read_bytes()
        if kind != "ob2":  # the same credential or record: the very file the build publishes
            assert baked == (hosted / path).read_bytes(), path
            continue
        token, suffix = path.removeprefix("ob2/assertions/").split(".")
        assert image == f"images/achievements/{achievement[token]}.{suffix}", path
        badge = (site / image).read_bytes()
        document = (site / path).with_suffix(".json").read_text(encoding="utf-8")
        if suffix == "png":
            assert baked == png.bake_png(badge, KEYWORD_OB2, document), path
        else:
            hosted_at = f"{url}ob2/assertions/{token}.json"
            expected = svg.bake_svg(badge.decode("utf-8"), document, 2, verify=hosted_at)
            assert baked.decode("utf-8") == expected, path
            assert svg.extract_svg(baked, 2) == document
    return {kind for kind, _ in made.values()}


def test_the_browser_bakes_the_bytes_the_build_would(
    example_site: Path, in_browser: Path, tmp_path: Path
) -> None:
    kinds = same_as_the_build(in_browser, example_site / "_site", tmp_path)
    assert kinds == {"ob3", "ob2", "clr"}


def test_a_badge_of_its_own_in_svg_and_text_that_ends_cdata(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """An achievement's own SVG badge (its start tag spread over lines), and narratives holding
    "]]>" (which ends CDATA), astral and non-ASCII characters: still the build's bytes."""
    badge = (
        '<svg xmlns="http://www.w3.org/2000/svg"\n     viewBox="0 0 10 10"\n     width="10" '
        'height="10"  ><title>A &gt; B</title><rect width="10" height="10" fill="#0b5d5e"/></svg>'
    )
    files: dict[str, str | bytes | None] = {
        "content/images/teamwork.svg": badge,
        "content/achievements/teamwork.yaml": TEAMWORK + "image: images/teamwork.svg\n",
        "content/awards/awards.yaml": AWARDS.replace(
            "issued: 2026-03-01", "issued: 2026-03-01\n  narrative: 'a ]]> b <![CDATA[ c 🎓 é'"
        ),
    }
    hosted = make_site({**files, "site.yaml": SITE_YAML + "clr: true\n"}, name="hosted")
    build_site(hosted)
    browser = make_site(
        {**files, "site.yaml": SITE_YAML + "clr: true\nbake_in_browser: true\n"}, name="browser"
    )
    shutil.copy2(hosted / "credsite.lock", browser / "credsite.lock")  # the same credentials
    build_site(browser)
    kinds = same_as_the_build(browser, hosted / "_site", tmp_path / "baked")
    assert kinds == {"ob3", "ob2", "clr"}
    texts = [
        png.extract_png((tmp_path / "baked" / p).read_bytes(), KEYWORD_OB3)
        for p in baked_images(hosted / "_site")
        if p.startswith("credentials/") and p.endswith(".png")
    ]
    assert any(t is not None and "a ]]> b <![CDATA[ c 🎓 é" in t for t in texts)


def test_notify_attaches_the_badge_the_page_would_bake(
    example_site: Path, in_browser: Path
) -> None:
    config = site_config.load(in_browser)
    entries = [
        e
        for e in roster.entries(in_browser, now=NOW).entries
        if e.token is not None and not e.award.withdrawn  # as notify chooses them
    ]
    badges: dict[str, bytes] = {}
    notify.check_built(config, entries, badges)
    assert len(badges) == len(entries) == 25
    hosted = example_site / "_site"
    for entry in entries:
        assert entry.token is not None
        name = f"credentials/{entry.token}.png"
        if entry.award.visibility == "private":
            assert entry.page_url is not None
            expected = private.decrypt(
                private.key_from_fragment(entry.page_url),
                name,
                (hosted / (name + private.SUFFIX)).read_bytes(),
            )
        else:
            expected = (hosted / name).read_bytes()
        assert badges[entry.award.key] == expected, entry.source
        assert png.extract_png(badges[entry.award.key], KEYWORD_OB3) is not None


def taken_down(result: Any) -> list[Any]:
    """The build's warnings about baked images it takes down."""
    return [w for w in result.warnings if "bake_in_browser" in w.message]


def switch(root: Path, on: bool) -> None:
    text = SITE_YAML + ("bake_in_browser: true\n" if on else "")
    (root / "site.yaml").write_text(text, encoding="utf-8")


def test_turned_on_then_off_the_site_is_as_before(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    before, lock_before = tree(root / "_site"), (root / "credsite.lock").read_bytes()
    assert baked_images(root / "_site")
    switch(root, on=True)
    said = taken_down(build_site(root))
    assert len(said) == 1 and "3 credential(s) were published with baked images" in said[0].message
    assert str(said[0].location) == "site.yaml:4:18"  # the switch's value
    assert not baked_images(root / "_site")
    assert '{"type":"bake-in-browser"' in (root / "credsite.lock").read_text(encoding="utf-8")
    assert not taken_down(build_site(root))  # once: the lockfile records the switch
    page = next((root / "_site" / "credentials").glob("*.html")).read_text(encoding="utf-8")
    assert 'data-bake="ob3"' in page and "static/bake.js" in page
    switch(root, on=False)
    build_site(root)
    assert diff_trees(before, tree(root / "_site")) == []
    lines = (root / "credsite.lock").read_text(encoding="utf-8").splitlines(keepends=True)
    baking = [line for line in lines if '"type":"bake-in-browser"' in line]
    assert ['"on":true' in b for b in baking] == [True, False]  # added, never removed
    assert "".join(line for line in lines if line not in baking).encode() == lock_before
    switch(root, on=True)  # the images were published again while it was off
    assert len(taken_down(build_site(root))) == 1


def test_the_take_down_is_seen_from_the_lockfile_alone(make_site: Callable[..., Path]) -> None:
    """A CI build from a fresh checkout has no output folder to look at: the lockfile says the
    site was published with baked images, so --locked refuses to take them down, at the switch,
    writing nothing; a build without --locked says what it takes down and records it."""
    root = make_site()
    build_site(root)
    shutil.rmtree(root / "_site")
    shutil.rmtree(root / ".credsite-cache")
    lock_before = (root / "credsite.lock").read_bytes()
    switch(root, on=True)
    result = run_cli("build", "--locked", "-q", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert "site.yaml:4:18: --locked: bake_in_browser is on in site.yaml" in text
    assert "3 credential(s) were published with baked images" in text
    assert (root / "credsite.lock").read_bytes() == lock_before and not (root / "_site").exists()
    said = taken_down(build_site(root))
    assert len(said) == 1 and "3 credential(s)" in said[0].message
    assert run_cli("build", "--locked", "-q", "-C", str(root)).exit_code == 0  # recorded now
    switch(root, on=False)  # back off: recorded too, so that a later switch is seen again
    result = run_cli("build", "--locked", "-q", "-C", str(root))
    assert result.exit_code == 1 and "bake_in_browser is off in site.yaml" in output_of(result)


def test_images_a_merge_brought_back_are_said_from_the_site_in_place(
    make_site: Callable[..., Path],
) -> None:
    """A branch that issued while the switch was off, merged into one that turned it on: the
    lockfile says on, yet the site in place has baked images of credentials issued on the other
    branch. The build says so, from the output folder (a fresh checkout cannot see them)."""
    root = make_site()
    switch(root, on=True)
    build_site(root)
    lock_on = (root / "credsite.lock").read_text(encoding="utf-8")
    switch(root, on=False)  # the other branch: no line of its own, the site built with images
    (root / "credsite.lock").write_text(
        "".join(line for line in lock_on.splitlines(True) if "bake-in-browser" not in line),
        encoding="utf-8",
    )
    build_site(root)
    assert baked_images(root / "_site")
    (root / "credsite.lock").write_text(lock_on, encoding="utf-8")  # merged: on again
    switch(root, on=True)
    said = taken_down(build_site(root))
    assert len(said) == 1 and "3 credential(s) were published" in said[0].message
    assert not baked_images(root / "_site")
    assert not taken_down(build_site(root))


def test_a_site_that_starts_with_the_switch_on_is_told_nothing(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    switch(root, on=True)
    assert not taken_down(build_site(root))  # every credential is new: none was published baked
    assert '{"type":"bake-in-browser"' in (root / "credsite.lock").read_text(encoding="utf-8")
    assert not baked_images(root / "_site")
    more = AWARDS + "- achievement: mentor\n  name: Edsger Dijkstra\n  email: ed@example.org\n"
    (root / "content" / "awards" / "awards.yaml").write_text(more, encoding="utf-8")
    result = build_site(root)
    assert not taken_down(result) and result.signed >= 1  # a new award later: never baked
