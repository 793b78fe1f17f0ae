"""Drawn badge art and share cards in an issuer's colours, as PNG and matching SVG.

Text is set in the DejaVu Sans fonts bundled in ``credsite/media/fonts/`` and never in the
machine's own fonts, so the same inputs give the same bytes on any machine with the same Pillow
(a coordinator's laptop and the CI runner alike). Characters DejaVu Sans lacks (Chinese, Japanese,
Korean) are drawn as its "missing glyph" box: a fallback to an installed font would differ from
machine to machine.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import itertools
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import PIL
from PIL import Image, ImageDraw, ImageFont

from credsite import colour
from credsite.media.raster import BADGE_SIZE, clear_transparent, encode_png, fit_square
from credsite.openbadges.image import NS_SVG, NS_XLINK, ImageError, PreparedPng, PreparedSvg
from credsite.openbadges.png import strip_chunks
from credsite.openbadges.svg import XML_ILLEGAL_RE, escape_attr, escape_text, sanitise_svg

SHARE_SIZE = (1200, 627)

# --------------------------------------------------------------------------------------------------
# Generated art: colours, fonts, text layout
# --------------------------------------------------------------------------------------------------

_FONTS = Path(__file__).parent / "fonts"
"""DejaVu Sans 2.37 and its licence (fonts/README.md): part of the package, in every wheel."""
_FONT_FILES = {True: "DejaVuSans-Bold.ttf", False: "DejaVuSans.ttf"}
_CAP_HEIGHT = 0.73  # DejaVu Sans capital height / em; centres text optically
SVG_FONT_FAMILY = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, 'Noto Sans CJK SC', sans-serif"
_SUPERSAMPLE = 2
_PALETTE_TOLERANCE = 48
"""Drawn art is a palette PNG when no channel of any pixel moves further than this."""

_NO_GLYPH = "\U0010fffd"  # a private-use character no font draws: it shows the "missing" glyph


def _font_path(bold: bool) -> str:
    """The bundled font file (never one found on the machine)."""
    return str(_FONTS / _FONT_FILES[bold])


@functools.cache
def _font(face: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A font file at a size; ``None`` is Pillow's bundled font."""
    if face is not None:
        return ImageFont.truetype(face, size)
    return ImageFont.load_default(size=size)


@functools.cache
def _glyph(face: str | None, char: str) -> bytes:
    font = _font(face, 24)
    image = Image.new("L", (64, 64))
    ImageDraw.Draw(image).text((8, 8), char, font=font, fill=255)
    return image.tobytes()


def _covers(face: str | None, text: str) -> bool:
    """Whether the font draws every visible character of ``text`` (not as the missing glyph)."""
    missing = _glyph(face, _NO_GLYPH)
    return all(_glyph(face, char) != missing for char in set(text) if not char.isspace())


def _face(text: str, bold: bool) -> str:
    """The font ``text`` is set in: the bundled DejaVu Sans (bold), whatever the text. Characters
    it lacks show as its missing-glyph box, the same on every machine."""
    return _font_path(bold)


CACHE_FORMAT = "2"  # 2: the logo in drawn SVG art is a palette PNG


def cache_version() -> str:
    """What drawn and normalised images depend on besides their inputs (a `FileCache` version):
    this module's format, Pillow, zlib and the bundled fonts."""
    return (
        f"credsite.media/{CACHE_FORMAT};Pillow {PIL.__version__};"
        f"zlib {zlib.ZLIB_RUNTIME_VERSION};{font_fingerprint()}"
    )


@functools.cache
def font_fingerprint() -> str:
    """The fonts drawn art is set in, by content (part of cache keys for generated art)."""
    return ";".join(
        f"{name} sha256:{hashlib.sha256((_FONTS / name).read_bytes()).hexdigest()[:16]}"
        for name in sorted(_FONT_FILES.values())
    )


def _parse_colour(value: str) -> colour.RGB:
    try:
        return colour.rgb(value)
    except ValueError as exc:
        raise ImageError(None, str(exc)) from None


_WHITE = (255, 255, 255)
_INK = (23, 26, 33)


def _text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    return _WHITE if colour.contrast_rgb(_WHITE, background) >= colour.contrast_rgb(_INK, background) else _INK


def _width(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return font.getlength(text)


def _balanced_lines(
    words: list[str],
    count: int,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    max_width: float = math.inf,
) -> tuple[list[str], float]:
    """Split ``words`` into ``count`` lines: the narrowest widest line, then the most even widths
    (brute force over the 1-2 break points).

    Splits with a line wider than ``max_width + 1`` are never measured in full: they cannot beat
    a split that fits (widest lines compare rounded), and when none fits the caller moves on. That
    keeps long names from costing a quadratic number of measurements."""
    n = len(words)
    if count == 1 or n <= 1:
        line = " ".join(words)
        return [line], _width(line, font)
    measured: dict[tuple[int, int], float] = {}  # each run of words is measured once

    def width(a: int, b: int) -> float:
        if (a, b) not in measured:
            measured[a, b] = _width(" ".join(words[a:b]), font)
        return measured[a, b]

    limit = max_width + 1

    def splits() -> Iterator[tuple[int, ...]]:
        for i in range(1, n - count + 2):
            if width(0, i) > limit:
                return  # the first line only gets longer
            if count == 2:
                yield (i,)
                continue
            for j in range(i + 1, n):
                if width(i, j) > limit:
                    break  # the second line only gets longer
                yield (i, j)

    best: tuple[float, float, list[str]] | None = None
    for cuts in splits():
        bounds = (0, *cuts, n)
        widths = [width(a, b) for a, b in itertools.pairwise(bounds)]
        widest = max(widths)
        if widest > limit:
            continue
        ragged = sum((widest - w) ** 2 for w in widths)
        if best is None or (round(widest), ragged) < (round(best[0]), best[1]):
            lines = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
            best = (widest, ragged, lines)
    if best is None:
        return [" ".join(words)], math.inf
    return best[2], best[0]


def _ellipsize(
    text: str, max_width: float, font: ImageFont.FreeTypeFont | ImageFont.ImageFont
) -> str:
    if _width(text, font) <= max_width:
        return text
    keep = _largest(0, len(text), lambda k: _width(text[:k].rstrip() + "…", font) <= max_width)
    return text[:keep].rstrip() + "…"


def _largest(low: int, high: int, fits: Callable[[int], bool]) -> int:
    """The largest k in low..high with `fits(k)`, or `low`: a binary search, as text gets wider
    the more of it is kept (what a loop dropping one character at a time finds, in log steps)."""
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


@dataclass(frozen=True)
class _Text:
    size: int
    lines: list[str]
    fits: bool  # False: set at the smallest size with long words broken and the end ellipsized
    face: str | None  # font file (None: Pillow's bundled font)


def _layout(
    text: str,
    *,
    bold: bool,
    sizes: range,
    max_width: float,
    max_lines: int,
    max_height: float | None = None,
    line_spacing: float = 1.18,
) -> _Text:
    """Largest font size (and fewest lines at it) whose balanced wrapping fits the box."""
    face = _face(text, bold)
    words = text.split() or [""]
    for size in sizes:
        font = _font(face, size)
        # However the words are split, the widest of `count` lines is at least their average: skip
        # the split search where even that is too wide (it is quadratic in the number of words).
        spare = _width(" ".join(words), font) - _width(" " * (len(words) - 1), font)
        for count in range(1, min(max_lines, len(words)) + 1):
            if max_height is not None and size + (count - 1) * size * line_spacing > max_height:
                break
            if spare / count > max_width * 1.05 + 2:
                continue
            lines, widest = _balanced_lines(words, count, font, max_width)
            if widest <= max_width:
                return _Text(size, lines, True, face)
    size = sizes[-1]
    font = _font(face, size)
    lines = []
    current = ""
    for word in words:
        if len(lines) > max_lines:
            break  # the rest is cut off by the ellipsis below anyway
        candidate = f"{current} {word}".strip()
        if _width(candidate, font) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        # break a very long word
        while len(lines) <= max_lines and len(current) > 1 and _width(current, font) > max_width:
            part = current

            def fits(k: int, part: str = part) -> bool:
                return _width(part[:k] + "-", font) <= max_width

            cut = _largest(1, len(current), fits)
            lines.append(current[:cut] + "-")
            current = current[cut:]
    lines.append(current)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
        lines[-1] = _ellipsize(lines[-1], max_width, font)
    return _Text(size, lines, False, face)


def _supersampled(size: tuple[int, int], mode: str, colour: tuple[int, ...]) -> Image.Image:
    return Image.new(mode, (size[0] * _SUPERSAMPLE, size[1] * _SUPERSAMPLE), colour)


def _downsample(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.mode == "RGBA":
        return image.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    return image.resize(size, Image.Resampling.LANCZOS)


class _Canvas:
    """Draws at 2x on a Pillow image and records the same shapes as SVG elements (1x units)."""

    def __init__(self, image: Image.Image, *, record_svg: bool = True) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.svg: list[str] = []
        self.record_svg = record_svg

    @staticmethod
    def _s(value: float) -> float:
        return value * _SUPERSAMPLE

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        fill: tuple[int, int, int] | None = None,
        outline: tuple[int, int, int] | None = None,
        width: float = 0,
    ) -> None:
        s = self._s
        self.draw.ellipse(
            (s(cx - r), s(cy - r), s(cx + r), s(cy + r)),
            fill=fill,
            outline=outline,
            width=round(s(width)),
        )
        paint = f'fill="{colour.to_hex(fill) if fill else "none"}"'
        if outline is not None and width:
            # Pillow draws the outline inside the box; SVG centres the stroke on the radius
            r -= width / 2
            paint += f' stroke="{colour.to_hex(outline)}" stroke-width="{_n(width)}"'
        self.svg.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" {paint}/>')

    def polygon(self, points: list[tuple[float, float]], fill: tuple[int, int, int]) -> None:
        self.draw.polygon([(self._s(x), self._s(y)) for x, y in points], fill=fill)
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.svg.append(f'<polygon points="{coords}" fill="{colour.to_hex(fill)}"/>')

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        fill: tuple[int, int, int],
        radius: float = 0,
    ) -> None:
        s = self._s
        box = (s(x0), s(y0), s(x1) - 1, s(y1) - 1)
        if radius:
            self.draw.rounded_rectangle(box, radius=round(s(radius)), fill=fill)
        else:
            self.draw.rectangle(box, fill=fill)
        rx = f' rx="{_n(radius)}"' if radius else ""
        self.svg.append(
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}"{rx}'
            f' fill="{colour.to_hex(fill)}"/>'
        )

    def text(
        self,
        x: float,
        baseline: float,
        line: str,
        text: _Text,
        bold: bool,
        fill: tuple[int, int, int],
        anchor: str = "middle",
    ) -> None:
        size = text.size
        font = _font(text.face, size * _SUPERSAMPLE)
        pil_anchor = {"middle": "ms", "start": "ls"}[anchor]
        self.draw.text(
            (self._s(x), self._s(baseline)), line, font=font, fill=fill, anchor=pil_anchor
        )
        weight = ' font-weight="700"' if bold else ""
        self.svg.append(
            f'<text x="{_n(x)}" y="{_n(baseline)}" font-family="{escape_attr(SVG_FONT_FAMILY)}"'
            f' font-size="{size}"{weight} fill="{colour.to_hex(fill)}" text-anchor="{anchor}">'
            f"{escape_text(line)}</text>"
        )

    def png(self, x: float, y: float, size: int, png: PreparedPng) -> None:
        with Image.open(io.BytesIO(png.data)) as opened:
            logo = opened.convert("RGBA")
        big = fit_square(logo, round(self._s(size)))
        self.image.alpha_composite(big, (round(self._s(x)), round(self._s(y))))
        if not self.record_svg:
            return
        # A palette PNG where that is close enough (as the drawn PNG art): every baked SVG copy
        # carries it, so its size counts once per credential (a 3,800-colour logo: 8.9 KB as RGBA).
        small = encode_png(fit_square(logo, size * _SUPERSAMPLE), tolerance=_PALETTE_TOLERANCE)
        encoded = base64.b64encode(small.data).decode("ascii")
        self.svg.append(
            f'<image x="{_n(x)}" y="{_n(y)}" width="{size}" height="{size}"'
            f' xlink:href="data:image/png;base64,{encoded}"/>'
        )


def _n(value: float) -> str:
    """A number for SVG: integers without decimals, otherwise up to two decimals."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _plain(text: str) -> str:
    """One line of drawable text: control characters and runs of whitespace become one space."""
    return " ".join(XML_ILLEGAL_RE.sub(" ", text).split())


def _star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def render_badge(
    name: str, issuer_name: str, primary: str, secondary: str, logo: PreparedPng | None
) -> tuple[PreparedPng, PreparedSvg]:
    """Generated badge art for an achievement without an image: a round medal in the issuer's
    colours with the achievement name (balanced over 1-3 lines, largest size that fits), the issuer
    name small underneath and the issuer logo (or a star) on top. Returns a 512x512 PNG and an
    equivalent SVG (same geometry; text as ``<text>``, so its exact width depends on the viewer's
    fonts). Deterministic: the same bytes for the same inputs on any machine with the same
    Pillow (the fonts are credsite's own)."""
    name, issuer_name = _plain(name), _plain(issuer_name)
    main = _parse_colour(primary)
    accent = _parse_colour(secondary)
    ink = _text_colour(main)
    soft_ink = colour.mix_rgb(main, ink, 0.78)
    ring = colour.mix_rgb(main, ink, 0.35)
    size = (BADGE_SIZE, BADGE_SIZE)
    c = BADGE_SIZE / 2
    canvas = _Canvas(_supersampled(size, "RGBA", (0, 0, 0, 0)))

    edge = colour.mix_rgb(accent, (0, 0, 0), 0.18)
    mark = accent if colour.contrast_rgb(accent, main) >= 1.6 else soft_ink
    canvas.circle(c, c, 250, fill=edge)
    canvas.circle(c, c, 244, fill=accent)
    canvas.circle(c, c, 222, fill=main)
    canvas.circle(c, c, 208, outline=ring, width=2.5)

    # emblem on top: the logo on a white disc, or a star in the accent colour
    if logo is not None:
        canvas.circle(c, 132, 56, fill=_WHITE)
        canvas.png(c - 39, 132 - 39, 78, logo)
        name_top = 204
    else:
        canvas.polygon(_star(c, 128, 36, 15), fill=mark)
        name_top = 180

    # issuer at the bottom: one line if it fits at 15 px or more, else two smaller lines
    issuer = _layout(
        issuer_name.upper(), bold=True, sizes=range(20, 14, -1), max_width=262, max_lines=1
    )
    if not issuer.fits:
        issuer = _layout(
            issuer_name.upper(), bold=True, sizes=range(16, 12, -1), max_width=262, max_lines=2
        )
    issuer_step = issuer.size * 1.22
    issuer_first = 394 - issuer_step * (len(issuer.lines) - 1) / 2
    for i, line in enumerate(issuer.lines):
        canvas.text(c, issuer_first + i * issuer_step, line, issuer, True, soft_ink)
    divider_y = issuer_first - issuer.size * _CAP_HEIGHT - 22
    canvas.rect(c - 28, divider_y - 4, c + 28, divider_y, fill=mark, radius=2)

    name_bottom = divider_y - 4 - 22
    text = _layout(
        name, bold=True, sizes=range(52, 21, -2), max_width=318, max_lines=3,
        max_height=name_bottom - name_top,
    )  # fmt: skip
    step = text.size * 1.18
    block = text.size * _CAP_HEIGHT + step * (len(text.lines) - 1)
    baseline = name_top + (name_bottom - name_top - block) / 2 + text.size * _CAP_HEIGHT
    for i, line in enumerate(text.lines):
        canvas.text(c, baseline + i * step, line, text, True, ink)

    png = encode_png(clear_transparent(_downsample(canvas.image, size)), tolerance=_PALETTE_TOLERANCE)
    label = escape_attr(f"{name} — {issuer_name}")
    svg = (
        f'<svg xmlns="{NS_SVG}" xmlns:xlink="{NS_XLINK}" width="{BADGE_SIZE}" height="{BADGE_SIZE}"'
        f' viewBox="0 0 {BADGE_SIZE} {BADGE_SIZE}" role="img" aria-label="{label}">'
        f"<title>{escape_text(name)}</title>{''.join(canvas.svg)}</svg>"
    )
    return png, PreparedSvg(sanitise_svg(svg, "<generated badge>"))


def render_share_image(
    title: str, subtitle: str, badge: PreparedPng, primary: str, secondary: str
) -> bytes:
    """Open Graph share card (1200x627 PNG, LinkedIn's recommended size; standards.md §7.2): the
    badge on the left, the title (achievement) and subtitle (issuer) on the right, brand colours."""
    title, subtitle = _plain(title), _plain(subtitle)
    main = _parse_colour(primary)
    accent = _parse_colour(secondary)
    # a near-white card would melt into the white feed around it: darken it a touch
    background = colour.mix_rgb(main, (0, 0, 0), 0.06) if colour.luminance_rgb(main) > 0.8 else main
    ink = _text_colour(background)
    soft_ink = colour.mix_rgb(background, ink, 0.8)
    mark = accent if colour.contrast_rgb(accent, background) >= 1.6 else ink
    width, height = SHARE_SIZE
    band_top = height - 14
    canvas = _Canvas(_supersampled(SHARE_SIZE, "RGBA", (*background, 255)), record_svg=False)

    # quiet decoration: two large discs bleeding off the right edge, an accent band at the bottom
    canvas.circle(1130, 90, 260, fill=colour.mix_rgb(background, ink, 0.045))
    canvas.circle(1180, 600, 190, fill=colour.mix_rgb(background, ink, 0.035))
    canvas.rect(0, band_top, width, height, fill=accent)

    badge_size = 440
    badge_x, badge_y = 72, (band_top - badge_size) // 2
    halo = colour.mix_rgb(background, ink, 0.08)
    canvas.circle(
        badge_x + badge_size / 2, badge_y + badge_size / 2, badge_size / 2 + 14, fill=halo
    )
    canvas.png(badge_x, badge_y, badge_size, badge)

    left, right = 590, 1130
    title_text = _layout(
        title, bold=True, sizes=range(64, 33, -2), max_width=right - left, max_lines=3,
        max_height=250,
    )  # fmt: skip
    subtitle_text = _layout(
        subtitle, bold=False, sizes=range(32, 23, -2), max_width=right - left, max_lines=2,
        max_height=80,
    )  # fmt: skip
    title_step = title_text.size * 1.15
    subtitle_step = subtitle_text.size * 1.25
    bar, bar_gap, title_gap = 8, 36, 30
    block = (
        bar + bar_gap
        + title_text.size * _CAP_HEIGHT + title_step * (len(title_text.lines) - 1)
        + title_gap
        + subtitle_text.size * _CAP_HEIGHT + subtitle_step * (len(subtitle_text.lines) - 1)
    )  # fmt: skip
    y = (band_top - block) / 2
    canvas.rect(left, y, left + 84, y + bar, fill=mark, radius=4)
    y += bar + bar_gap + title_text.size * _CAP_HEIGHT
    for line in title_text.lines:
        canvas.text(left, y, line, title_text, True, ink, anchor="start")
        y += title_step
    y += title_gap - title_step + subtitle_text.size * _CAP_HEIGHT
    for line in subtitle_text.lines:
        canvas.text(left, y, line, subtitle_text, False, soft_ink, anchor="start")
        y += subtitle_step

    image = _downsample(canvas.image, SHARE_SIZE).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return strip_chunks(buffer.getvalue())


