"""QR codes as inline SVG: drawn once per URL, in parallel when there are many, kept across builds.

segno spends most of its time choosing the best mask (about 10 ms a code), and a credential's
page URL never changes, so drawings are kept in the build's cache by URL and segno version.
"""

from __future__ import annotations

from pathlib import Path

import segno
from markupsafe import Markup, escape

from credsite.cache import KeptMap
from credsite.pool import parallel_map

PARALLEL_THRESHOLD = 48
"""Draw QR codes in worker processes when at least this many are missing from the cache."""


def drawing(url: str) -> str:
    """The bare SVG of a QR code for `url` (error correction M, the mask segno finds best)."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")


def _labelled(svg: str, url: str, label: str | None) -> Markup:
    name = label or f"QR code linking to {url}"
    return Markup(
        svg.replace(
            "<svg ",
            f'<svg role="img" aria-label="{escape(name)}" focusable="false" '
            'shape-rendering="crispEdges" ',
            1,
        )
    )


def qr_svg(url: str, label: str | None = None) -> Markup:
    """An inline SVG QR code for `url`, drawn at build time (the ``qr`` template filter).

    The SVG is an image with a text alternative (`role="img"`, `aria-label`); pages also print
    the URL beside it (WCAG 1.1.1), since a QR code alone helps no one who cannot scan it.
    """
    return _labelled(drawing(url), url, label)


class QrCodes:
    """QR codes for many URLs; `cache_file=None` keeps nothing between builds."""

    def __init__(self, cache_file: Path | None) -> None:
        self.kept = KeptMap(cache_file, f"segno {segno.__version__}")

    def prepare(self, urls: list[str]) -> None:
        """Draw every code not in the cache yet."""
        missing = sorted({u for u in urls if self.kept.get(u) is None})
        drawn = parallel_map(drawing, missing, threshold=PARALLEL_THRESHOLD)
        for url, svg in zip(missing, drawn, strict=True):
            self.kept.put(url, svg)

    def svg(self, url: str, label: str | None = None) -> Markup:
        svg = self.kept.get(url)
        if svg is None:
            svg = drawing(url)
            self.kept.put(url, svg)
        return _labelled(svg, url, label)

    def save(self) -> None:
        self.kept.save()
