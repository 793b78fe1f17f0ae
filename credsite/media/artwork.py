"""The site's images: issuer logos, achievement badges (given or drawn), share cards, baked copies.

`prepare` turns every image once per build into normalised PNG/SVG bytes (cached across
builds by content digest); `publish` adds them to the output and bakes each credential into its
own PNG and SVG by splicing bytes, so a thousand credentials cost a thousand splices, not a
thousand encodes (OB 3.0 §5.3 "Baked Badge").
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from credsite.cache import FileCache
from credsite.content.model import ImageRef, Issuer, Site
from credsite.errors import ContentError, Problems
from credsite.issuing.urls import Urls
from credsite.media import art, raster
from credsite.openbadges import png, svg
from credsite.openbadges.image import (
    KEYWORD_CLR,
    KEYWORD_OB2,
    KEYWORD_OB3,
    ImageError,
    PreparedPng,
    PreparedSvg,
)


@dataclass
class Prepared:
    logos: dict[str, PreparedPng] = field(default_factory=dict)
    badges: dict[str, tuple[PreparedPng, PreparedSvg]] = field(default_factory=dict)
    share: dict[str, bytes] = field(default_factory=dict)


def _png_from_bytes(data: bytes) -> PreparedPng:
    width, height = struct.unpack(">II", data[16:24])  # IHDR follows the 8-byte signature
    return PreparedPng(data, width, height)


def _load(ref: ImageRef, cache: FileCache, problems: Problems) -> PreparedPng | PreparedSvg | None:
    """Check and normalise a user's image, cached by the digest of its bytes."""
    try:
        raster.check_size(ref.path.stat().st_size, ref.shown)  # before reading it
        data = ref.path.read_bytes()
    except OSError as exc:
        problems.add(ref.location, f"cannot read image {ref.shown}: {exc.strerror}")
        return None
    except ImageError as exc:
        problems.add(ref.location, f"{ref.shown}: {exc.message}")
        return None

    def normalise() -> bytes:
        loaded = raster.load_image(data, ref.shown)
        if isinstance(loaded, PreparedPng):
            return b"P" + loaded.data
        return b"S" + loaded.data.encode("utf-8")

    try:
        stored = cache.get_or_make(("load", data), normalise)
    except ImageError as exc:
        problems.add(ref.location, f"{ref.shown}: {exc.message}")
        return None
    if stored[:1] == b"P":
        return _png_from_bytes(stored[1:])
    return PreparedSvg(stored[1:].decode("utf-8"))


def _drawn_badge(
    cache: FileCache, name: str, issuer: Issuer, logo: PreparedPng | None
) -> tuple[PreparedPng, PreparedSvg]:
    """Badge art in the issuer's colours: drawn once, then read from the cache (PNG and SVG)."""
    key = (name, issuer.name, issuer.primary_colour, issuer.secondary_colour,
           logo.data if logo else b"")  # fmt: skip
    drawn: list[tuple[PreparedPng, PreparedSvg]] = []

    def draw() -> tuple[PreparedPng, PreparedSvg]:
        if not drawn:
            drawn.append(art.render_badge(name, issuer.name, issuer.primary_colour,
                                             issuer.secondary_colour, logo))  # fmt: skip
        return drawn[0]

    png = cache.get_or_make(("badge-png", *key), lambda: draw()[0].data)
    svg = cache.get_or_make(("badge-svg", *key), lambda: draw()[1].data.encode("utf-8"))
    return _png_from_bytes(png), PreparedSvg(svg.decode("utf-8"))


def prepare(site: Site, cache_dir: Path) -> Prepared:
    """Load, check and normalise every image; all problems are reported together."""
    problems = Problems()
    cache = FileCache(cache_dir, art.cache_version())
    prepared = Prepared()
    issuer: Issuer | None
    for slug, issuer in sorted(site.issuers.items()):
        if issuer.image is None:
            continue
        loaded = _load(issuer.image, cache, problems)
        if isinstance(loaded, PreparedPng):
            prepared.logos[slug] = loaded
        elif loaded is not None:
            problems.add(
                issuer.image.location,
                f"{issuer.image.shown}: the issuer logo must be a "
                "raster image (PNG or JPEG), the one format every wallet displays",
            )
    for slug, achievement in sorted(site.achievements.items()):
        issuer = site.issuers.get(achievement.issuer)
        if issuer is None:
            continue
        loaded = _load(achievement.image, cache, problems) if achievement.image else None
        if isinstance(loaded, PreparedPng):
            badge = (loaded, raster.svg_from_png(loaded))
        else:
            # No image, or an SVG: the PNG is drawn (no SVG rasteriser here); a given SVG is kept.
            badge = _drawn_badge(cache, achievement.name, issuer, prepared.logos.get(issuer.slug))
            if isinstance(loaded, PreparedSvg):
                badge = (badge[0], loaded)
        prepared.badges[slug] = badge
        share_key = (
            "share",
            achievement.name,
            issuer.name,
            issuer.primary_colour,
            issuer.secondary_colour,
            badge[0].data,
        )
        prepared.share[slug] = cache.get_or_make(
            share_key,
            functools.partial(
                art.render_share_image,
                achievement.name,
                issuer.name,
                badge[0],
                issuer.primary_colour,
                issuer.secondary_colour,
            ),
        )
    if problems:
        raise ContentError(problems.items)
    return prepared


Add = Callable[[str, bytes], None]
"""Adds one file to the site being built (`credsite.website.output.Output.add`)."""


def publish(
    add: Add,
    prepared: Prepared,
    credentials: list[tuple[str, bytes]],
    urls: Urls,
    achievement_of: dict[str, str],
) -> None:
    """Add every image, and a baked PNG and SVG per credential (token, credential JSON bytes)."""
    for slug, logo in prepared.logos.items():
        add(urls.issuer_image_path(slug), logo.data)
    for slug, (badge_png, badge_svg) in prepared.badges.items():
        add(urls.achievement_image_path(slug), badge_png.data)
        add(urls.achievement_image_path(slug, "svg"), badge_svg.data.encode("utf-8"))
        add(urls.share_image_path(slug), prepared.share[slug])
    for token, credential_json in credentials:
        badge_png, badge_svg = prepared.badges[achievement_of[token]]
        text = credential_json.decode("utf-8")
        add(urls.credential_path(token, "png"), png.bake_png(badge_png, KEYWORD_OB3, text))
        add(urls.credential_path(token, "svg"), svg.bake_svg(badge_svg, text).encode("utf-8"))


def publish_ob2(
    add: Add, prepared: Prepared, assertions: list[tuple[str, str, bytes]], urls: Urls
) -> None:
    """Bake each OB 2.0 hosted assertion (token, achievement slug, its JSON bytes) into a PNG
    (iTXt ``openbadges``) and an SVG (``<openbadges:assertion verify="URL">``), OB 2.0 Baking."""
    for token, achievement, assertion_json in assertions:
        badge_png, badge_svg = prepared.badges[achievement]
        text = assertion_json.decode("utf-8")
        hosted = urls.url(urls.ob2_assertion_path(token))
        add(urls.ob2_assertion_path(token, "png"), png.bake_png(badge_png, KEYWORD_OB2, text))
        baked_svg = svg.bake_svg(badge_svg, text, version=2, verify=hosted)
        add(urls.ob2_assertion_path(token, "svg"), baked_svg.encode("utf-8"))


RECORD_BADGE = "Learner Record"
"""What the drawn image of a learner record says (CLR 2.0 baked into it)."""


def record_badge(
    site: Site, prepared: Prepared, cache_dir: Path
) -> tuple[PreparedPng, PreparedSvg] | None:
    """The image learner records are baked into (``clr: true``): badge art saying "Learner
    Record" in the primary issuer's colours, with its logo; drawn once, then cached."""
    if not site.config.clr:
        return None
    issuer = site.issuers[site.primary_issuer]
    cache = FileCache(cache_dir, art.cache_version())
    return _drawn_badge(cache, RECORD_BADGE, issuer, prepared.logos.get(issuer.slug))


def publish_records(
    add: Add,
    badge: tuple[PreparedPng, PreparedSvg] | None,
    records: list[tuple[str, bytes]],
    urls: Urls,
) -> None:
    """Bake each learner record (token, its JSON bytes) into a PNG (iTXt ``clrcredential``) and
    an SVG (``<clr:credential>`` in ``https://purl.imsglobal.org/clr/v2p0``), CLR 2.0 baking."""
    if badge is None:
        return
    badge_png, badge_svg = badge
    for token, record_json in records:
        text = record_json.decode("utf-8")
        add(urls.record_path(token, "png"), png.bake_png(badge_png, KEYWORD_CLR, text))
        add(urls.record_path(token, "svg"), svg.bake_svg(badge_svg, text, "clr").encode("utf-8"))
