"""The site's images: issuer logos, achievement badges (given or drawn), share cards, baked copies.

Layer 12. `prepare` turns every image once per build into normalised PNG/SVG bytes (cached across
builds by content digest); `publish` adds them to the output and bakes each credential into its
own PNG and SVG by splicing bytes, so a thousand credentials cost a thousand splices, not a
thousand encodes (OB 3.0 §5.3 "Baked Badge").
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from credsite import images
from credsite.credentials import Urls
from credsite.errors import ContentError, Problems
from credsite.model import ImageRef, Issuer, Site
from credsite.output import Output

OB3_PNG_KEYWORD = "openbadgecredential"


@dataclass
class Prepared:
    logos: dict[str, images.PreparedPng] = field(default_factory=dict)
    badges: dict[str, tuple[images.PreparedPng, images.PreparedSvg]] = field(default_factory=dict)
    share: dict[str, bytes] = field(default_factory=dict)


def _png_from_bytes(data: bytes) -> images.PreparedPng:
    width, height = struct.unpack(">II", data[16:24])  # IHDR follows the 8-byte signature
    return images.PreparedPng(data, width, height)


def _load(
    ref: ImageRef, cache: images.ImageCache, problems: Problems
) -> images.PreparedPng | images.PreparedSvg | None:
    """Check and normalise a user's image, cached by the digest of its bytes."""
    try:
        data = ref.path.read_bytes()
    except OSError as exc:
        problems.add(ref.location, f"cannot read image {ref.shown}: {exc.strerror}")
        return None

    def normalise() -> bytes:
        loaded = images.load_image(data, ref.shown)
        if isinstance(loaded, images.PreparedPng):
            return b"P" + loaded.data
        return b"S" + loaded.data.encode("utf-8")

    try:
        stored = cache.get_or_make(("load", data), normalise)
    except images.ImageError as exc:
        problems.add(ref.location, f"{ref.shown}: {exc.message}")
        return None
    if stored[:1] == b"P":
        return _png_from_bytes(stored[1:])
    return images.PreparedSvg(stored[1:].decode("utf-8"))


def _drawn_badge(
    cache: images.ImageCache, name: str, issuer: Issuer, logo: images.PreparedPng | None
) -> tuple[images.PreparedPng, images.PreparedSvg]:
    """Badge art in the issuer's colours: drawn once, then read from the cache (PNG and SVG)."""
    key = (name, issuer.name, issuer.primary_colour, issuer.secondary_colour,
           logo.data if logo else b"")  # fmt: skip
    drawn: list[tuple[images.PreparedPng, images.PreparedSvg]] = []

    def draw() -> tuple[images.PreparedPng, images.PreparedSvg]:
        if not drawn:
            drawn.append(images.render_badge(name, issuer.name, issuer.primary_colour,
                                             issuer.secondary_colour, logo))  # fmt: skip
        return drawn[0]

    png = cache.get_or_make(("badge-png", *key), lambda: draw()[0].data)
    svg = cache.get_or_make(("badge-svg", *key), lambda: draw()[1].data.encode("utf-8"))
    return _png_from_bytes(png), images.PreparedSvg(svg.decode("utf-8"))


def prepare(site: Site, cache_dir: Path) -> Prepared:
    """Load, check and normalise every image; all problems are reported together."""
    problems = Problems()
    cache = images.ImageCache(cache_dir)
    prepared = Prepared()
    for slug, issuer in sorted(site.issuers.items()):
        if issuer.image is None:
            continue
        loaded = _load(issuer.image, cache, problems)
        if isinstance(loaded, images.PreparedPng):
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
        if isinstance(loaded, images.PreparedPng):
            badge = (loaded, images.svg_from_png(loaded))
        else:
            # No image, or an SVG: the PNG is drawn (no SVG rasteriser here); a given SVG is kept.
            badge = _drawn_badge(cache, achievement.name, issuer, prepared.logos.get(issuer.slug))
            if isinstance(loaded, images.PreparedSvg):
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
            lambda a=achievement, i=issuer, b=badge[0]: images.render_share_image(
                a.name, i.name, b, i.primary_colour, i.secondary_colour
            ),
        )
    if problems:
        raise ContentError(problems.items)
    return prepared


def publish(
    out: Output,
    prepared: Prepared,
    credentials: list[tuple[str, bytes]],
    urls: Urls,
    achievement_of: dict[str, str],
) -> None:
    """Add every image, and a baked PNG and SVG per credential (token, credential JSON bytes)."""
    for slug, logo in prepared.logos.items():
        out.add(urls.issuer_image_path(slug), logo.data)
    for slug, (png, svg) in prepared.badges.items():
        out.add(urls.achievement_image_path(slug), png.data)
        out.add(urls.achievement_image_path(slug, "svg"), svg.data)
        out.add(share_image_path(slug), prepared.share[slug])
    for token, credential_json in credentials:
        png, svg = prepared.badges[achievement_of[token]]
        text = credential_json.decode("utf-8")
        out.add(urls.credential_path(token, "png"), images.bake_png(png, OB3_PNG_KEYWORD, text))
        out.add(urls.credential_path(token, "svg"), images.bake_svg(svg, text, version=3))


def share_image_path(slug: str) -> str:
    return f"images/share/{slug}.png"
