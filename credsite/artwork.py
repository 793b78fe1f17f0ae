"""The site's images: issuer logos, achievement badges (given or drawn), share cards, baked copies.

Layer 8. `prepare` turns every image once per build into normalised PNG/SVG bytes (cached across
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
from credsite.model import ImageRef, Site
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
    try:
        data = ref.path.read_bytes()
    except OSError as exc:
        problems.add(ref.location, f"cannot read image {ref.shown}: {exc.strerror}")
        return None
    try:
        loaded = images.load_image(data, ref.shown)
    except images.ImageError as exc:
        problems.add(ref.location, f"{ref.shown}: {exc.message}")
        return None
    return loaded


def prepare(site: Site, urls: Urls, cache_dir: Path) -> Prepared:
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
                "raster image (PNG or JPEG): OB 3.0 profile images are shown everywhere, "
                "and a PNG is the one format every wallet displays",
            )
    for slug, achievement in sorted(site.achievements.items()):
        issuer = site.issuers.get(achievement.issuer)
        if issuer is None:
            continue
        loaded = _load(achievement.image, cache, problems) if achievement.image else None
        if isinstance(loaded, images.PreparedPng):
            badge = (loaded, images.svg_from_png(loaded))
        else:
            key = (
                "badge",
                achievement.name,
                issuer.name,
                issuer.primary_colour,
                issuer.secondary_colour,
                prepared.logos[issuer.slug].data if issuer.slug in prepared.logos else b"",
            )
            drawn = cache.get_or_make(
                key,
                lambda a=achievement, i=issuer: _draw(
                    a.name, i.name, i.primary_colour, i.secondary_colour, prepared.logos.get(i.slug)
                ),
            )
            png = _png_from_bytes(drawn)
            # A given SVG is kept as the SVG badge; the PNG is drawn (no SVG rasteriser here).
            svg = (
                loaded
                if isinstance(loaded, images.PreparedSvg)
                else images.render_badge(
                    achievement.name,
                    issuer.name,
                    issuer.primary_colour,
                    issuer.secondary_colour,
                    prepared.logos.get(issuer.slug),
                )[1]
            )
            badge = (png, svg)
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


def _draw(
    name: str, issuer: str, primary: str, secondary: str, logo: images.PreparedPng | None
) -> bytes:
    return images.render_badge(name, issuer, primary, secondary, logo)[0].data


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
        out.add(urls.achievement_image_path(slug)[:-4] + ".svg", svg.data)
        out.add(share_image_path(slug), prepared.share[slug])
    for token, credential_json in credentials:
        png, svg = prepared.badges[achievement_of[token]]
        text = credential_json.decode("utf-8")
        out.add(urls.credential_path(token, "png"), images.bake_png(png, OB3_PNG_KEYWORD, text))
        out.add(urls.credential_path(token, "svg"), images.bake_svg(svg, text, version=3))


def share_image_path(slug: str) -> str:
    return f"images/share/{slug}.png"
