"""Colours and contrast, one module for pages and drawn art (WCAG 2.2, 1.4.3 and 1.4.11).

Colours are ``#rrggbb`` strings (``#rgb`` is read too); `rgb` and `to_hex` convert to and from
channel tuples for drawing.
"""

from __future__ import annotations

import re

RGB = tuple[int, int, int]

WHITE = "#ffffff"
BLACK = "#000000"
AA_TEXT = 4.5
"""WCAG 1.4.3 minimum contrast for body text."""

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def is_colour(value: str) -> bool:
    return _HEX.fullmatch(value.strip()) is not None


def rgb(colour: str) -> RGB:
    """``#rrggbb`` or ``#rgb`` -> (r, g, b); ValueError for anything else."""
    match = _HEX.fullmatch(colour.strip())
    if match is None:
        raise ValueError(f"colour must be #rgb or #rrggbb, not {colour!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return r, g, b


def to_hex(channels: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in channels)


def mix_rgb(a: RGB, b: RGB, amount: float) -> RGB:
    """`a` moved `amount` (0..1) of the way towards `b`, rounded per channel."""
    r, g, b_ = (round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))
    return r, g, b_


def mix(colour: str, other: str, amount: float) -> str:
    return to_hex(mix_rgb(rgb(colour), rgb(other), amount))


def luminance_rgb(channels: RGB) -> float:
    """WCAG 2.2 relative luminance of sRGB channels."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def relative_luminance(colour: str) -> float:
    return luminance_rgb(rgb(colour))


def contrast_rgb(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance_rgb(a), luminance_rgb(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast(a: str, b: str) -> float:
    return contrast_rgb(rgb(a), rgb(b))


def text_on(background: str) -> str:
    """White or near-black text for `background`, whichever contrasts more (>= 4.5:1 always)."""
    best = max([WHITE, "#111111"], key=lambda c: contrast(c, background))
    return best if contrast(best, background) >= AA_TEXT else BLACK


def readable_on(colour: str, background: str, ratio: float = AA_TEXT) -> str:
    """`colour`, darkened (or lightened) just enough to reach `ratio` against `background`."""
    if contrast(colour, background) >= ratio:
        return colour
    target = BLACK if relative_luminance(background) > 0.18 else WHITE
    for step in range(1, 101):
        candidate = mix(colour, target, step / 100)
        if contrast(candidate, background) >= ratio:
            return candidate
    return target
