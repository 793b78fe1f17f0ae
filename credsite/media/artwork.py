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
from typing import Protocol

from credsite.cache import FileCache, digest, fingerprint
from credsite.content.model import (
    Award,
    ImageRef,
    Issuer,
    Site,
    art_edition,
    award_language,
    localized,
)
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

ArtKey = tuple[str, str]
"""An achievement's slug and the edition of its art (`model.art_edition`: "" for the site's first
language's, else a language whose art says other words)."""


@dataclass
class Prepared:
    logos: dict[str, PreparedPng] = field(default_factory=dict)
    badges: dict[ArtKey, tuple[PreparedPng, PreparedSvg]] = field(default_factory=dict)
    share: dict[ArtKey, bytes] = field(default_factory=dict)


def badge_key(site: Site, award: Award) -> ArtKey:
    """The badge a credential is baked into: its achievement's, in its recipient's language."""
    return award.achievement, art_edition(site, award.achievement, award_language(award, site.config))


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
        if achievement.issuer not in site.issuers:
            continue
        loaded = _load(achievement.image, cache, problems) if achievement.image else None
        # Drawn in the site's first language, and again in each language whose art would say
        # other words (`model.art_edition`): a site in one language draws each once.
        for language in site.config.languages:
            key = (slug, art_edition(site, slug, language))
            share_key = (slug, art_edition(site, slug, language, share=True))
            if key in prepared.badges and share_key in prepared.share:
                continue
            shown = localized(achievement, language)
            issuer = localized(site.issuers[achievement.issuer], language)
            if key not in prepared.badges:
                if isinstance(loaded, PreparedPng):
                    badge = (loaded, raster.svg_from_png(loaded))
                else:
                    # No image, or an SVG: the PNG is drawn (no SVG rasteriser here); a given
                    # SVG is kept.
                    logo = prepared.logos.get(issuer.slug)
                    badge = _drawn_badge(cache, shown.name, issuer, logo)
                    if isinstance(loaded, PreparedSvg):
                        badge = (badge[0], loaded)
                prepared.badges[key] = badge
            if share_key not in prepared.share:
                badge_png = prepared.badges[key][0]
                card = ("share", shown.name, issuer.name, issuer.primary_colour,
                        issuer.secondary_colour, badge_png.data)  # fmt: skip
                prepared.share[share_key] = cache.get_or_make(
                    card,
                    functools.partial(
                        art.render_share_image,
                        shown.name,
                        issuer.name,
                        badge_png,
                        issuer.primary_colour,
                        issuer.secondary_colour,
                    ),
                )
    if problems:
        raise ContentError(problems.items)
    return prepared


class Sink(Protocol):
    """The site being built (`credsite.website.output.Output`)."""

    def add(self, path: str, data: bytes | str, *, inputs: str = "", scan: bool = True) -> None:
        """Add a file; `inputs`: the fingerprint of what it was made from."""

    def keep(self, path: str, inputs: str) -> bool:
        """Keep the file an earlier build made from the same `inputs`, if there is one."""


def _baked(sink: Sink, path: str, inputs: str, bake: Callable[[], bytes]) -> None:
    """A baked copy: kept from the site in place when made from the same image and document,
    else baked now. Not scanned for keys: it is the image and the document, each scanned."""
    if not sink.keep(path, inputs):
        sink.add(path, bake(), inputs=inputs, scan=False)


def publish(
    sink: Sink,
    prepared: Prepared,
    credentials: list[tuple[str, str, Callable[[], bytes]]],
    urls: Urls,
    badge_of: dict[str, ArtKey],
    progress: Callable[[int], None] | None = None,
    *,
    in_browser: bool = False,
) -> None:
    """Add every image, and a baked PNG and SVG per credential (token, the SHA-256 of its JSON,
    its JSON bytes when asked for: only to bake it again) into the badge `badge_of[token]`
    (`badge_key`); `progress(credentials done)`. `in_browser` (``bake_in_browser``): only the
    images, the badges included, which the credentials' pages bake them into."""
    for slug, logo in prepared.logos.items():
        sink.add(urls.issuer_image_path(slug), logo.data)
    badges = {}
    for (slug, edition), (badge_png, badge_svg) in prepared.badges.items():
        sink.add(urls.achievement_image_path(slug, "png", edition), badge_png.data)
        svg_path = urls.achievement_image_path(slug, "svg", edition)
        sink.add(svg_path, badge_svg.data.encode("utf-8"))
        badges[slug, edition] = fingerprint("OB 3.0 baked", badge_png.data, badge_svg.data)
    for (slug, edition), card in prepared.share.items():
        sink.add(urls.share_image_path(slug, edition), card)
    if in_browser:
        return
    for done, (token, credential_digest, credential_json) in enumerate(credentials, 1):
        key = badge_of[token]
        badge_png, badge_svg = prepared.badges[key]
        inputs = digest(badges[key], credential_digest)
        bake_png = functools.partial(_png_of, badge_png, KEYWORD_OB3, credential_json)
        _baked(sink, urls.credential_path(token, "png"), inputs, bake_png)
        bake_svg = functools.partial(_svg_of, badge_svg, credential_json, version=3)
        _baked(sink, urls.credential_path(token, "svg"), inputs, bake_svg)
        if progress is not None:
            progress(done)


def publish_ob2(
    sink: Sink,
    prepared: Prepared,
    assertions: list[tuple[str, str, str, Callable[[], bytes]]],
    urls: Urls,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Bake each OB 2.0 hosted assertion (token, achievement slug, a fingerprint of what it is
    made from, its JSON bytes when asked for) into a PNG
    (iTXt ``openbadges``) and an SVG (``<openbadges:assertion verify="URL">``), OB 2.0 Baking;
    `progress(assertions done)`. OB 2.0 has one BadgeClass per achievement, in the site's first
    language: its badge is that language's."""
    badges = {
        slug: fingerprint("OB 2.0 baked", badge_png.data, badge_svg.data)
        for (slug, edition), (badge_png, badge_svg) in prepared.badges.items()
        if not edition
    }
    for done, (token, achievement, made_from, assertion_json) in enumerate(assertions, 1):
        badge_png, badge_svg = prepared.badges[achievement, ""]
        hosted = urls.url(urls.ob2_assertion_path(token))
        inputs = digest(badges[achievement], hosted, made_from)
        bake_png = functools.partial(_png_of, badge_png, KEYWORD_OB2, assertion_json)
        _baked(sink, urls.ob2_assertion_path(token, "png"), inputs, bake_png)
        bake_svg = functools.partial(_svg_of, badge_svg, assertion_json, version=2, verify=hosted)
        _baked(sink, urls.ob2_assertion_path(token, "svg"), inputs, bake_svg)
        if progress is not None:
            progress(done)


def _bake_svg(
    badge: PreparedSvg, text: str, version: int | str = 3, verify: str | None = None
) -> bytes:
    return svg.bake_svg(badge, text, version=version, verify=verify).encode("utf-8")


RECORD_BADGE = "Learner Record"
"""What the drawn image of a learner record says (CLR 2.0 baked into it), where no catalog says
it otherwise."""

RecordBadges = dict[str, tuple[PreparedPng, PreparedSvg]]
"""Language -> the image learner records in that language are baked into."""


def record_badges(
    site: Site, prepared: Prepared, cache_dir: Path, words: dict[str, str]
) -> RecordBadges:
    """The images learner records are baked into (``clr: true``; none without): badge art in
    the primary issuer's colours, with its logo, saying `words` (language -> "Learner Record" in
    it) and the issuer's name in that language; each drawn once, then cached (the same words
    and name in two languages: the same drawing)."""
    if not site.config.clr:
        return {}
    cache = FileCache(cache_dir, art.cache_version())
    logo = prepared.logos.get(site.primary_issuer)
    return {
        language: _drawn_badge(
            cache,
            words.get(language, RECORD_BADGE),
            localized(site.issuers[site.primary_issuer], language),
            logo,
        )
        for language in site.config.languages
    }


def publish_records(
    sink: Sink,
    badges: RecordBadges,
    records: list[tuple[str, str, Callable[[], bytes], str]],
    urls: Urls,
    *,
    in_browser: bool = False,
) -> None:
    """Bake each learner record (token, a fingerprint of what it is made from, its JSON bytes
    when asked for, its language) into a PNG (iTXt ``clrcredential``) and an SVG
    (``<clr:credential>`` in ``https://purl.imsglobal.org/clr/v2p0``), CLR 2.0 baking: the image
    of its language. `in_browser` (``bake_in_browser``): publish each language's image instead,
    for the record's page to bake it into."""
    if in_browser:
        for language, (badge_png, badge_svg) in badges.items():
            sink.add(urls.record_image_path(language, "png"), badge_png.data)
            sink.add(urls.record_image_path(language, "svg"), badge_svg.data.encode("utf-8"))
        return
    made_from = {
        language: fingerprint("CLR 2.0 baked", badge_png.data, badge_svg.data)
        for language, (badge_png, badge_svg) in badges.items()
    }
    for token, record_inputs, record_json, language in records:
        badge_png, badge_svg = badges[language]
        inputs = digest(made_from[language], record_inputs)
        bake_png = functools.partial(_png_of, badge_png, KEYWORD_CLR, record_json)
        _baked(sink, urls.record_path(token, "png"), inputs, bake_png)
        bake_svg = functools.partial(_svg_of, badge_svg, record_json, version="clr")
        _baked(sink, urls.record_path(token, "svg"), inputs, bake_svg)


def _png_of(badge: PreparedPng, keyword: str, document_json: Callable[[], bytes]) -> bytes:
    """`badge` with a signed document baked in, its JSON made or read back now."""
    return png.bake_png(badge, keyword, document_json().decode("utf-8"))


def _svg_of(
    badge: PreparedSvg,
    document_json: Callable[[], bytes],
    *,
    version: int | str,
    verify: str | None = None,
) -> bytes:
    return _bake_svg(badge, document_json().decode("utf-8"), version, verify)
