"""What the Open Badges image formats share: the prepared image types, keywords and namespaces.

Baking follows the Open Badges specifications (notes: ``standards.md`` §1.12, §2 "OB 2.0 baking"):
OB 3.0 ``ob_v3p0/docformat.md`` "Baked Badge" and OB 2.0 ``ob_v2p0/baking/index.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from credsite.errors import CredsiteError, Location

MAX_BYTES = 10 * 1024 * 1024
"""The largest image (or baked text) read, in bytes."""

KEYWORD_OB3 = "openbadgecredential"
KEYWORD_OB2 = "openbadges"
KEYWORD_CLR = "clrcredential"
"""A CLR 2.0 learner record baked into a PNG (CLR 2.0 "Baked CLR")."""
NS_OB3 = "https://purl.imsglobal.org/ob/v3p0"
NS_CLR = "https://purl.imsglobal.org/clr/v2p0"
"""A CLR 2.0 learner record baked into an SVG: ``<clr:credential>`` in this namespace."""
NS_OB2 = "http://openbadges.org"
NS_SVG = "http://www.w3.org/2000/svg"
NS_XLINK = "http://www.w3.org/1999/xlink"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_XHTML = "http://www.w3.org/1999/xhtml"
NS_MATHML = "http://www.w3.org/1998/Math/MathML"


class ImageError(CredsiteError, ValueError):
    """An image that cannot be used: unreadable, unsafe, too large, or a corrupt PNG.

    ``path`` is the file as shown to the user (``None`` when not from a file); ``str()`` is
    ``"path: message"``. A ``CredsiteError`` (shown without a traceback) and a ``ValueError``."""

    def __init__(self, path: str | None, message: str) -> None:
        super().__init__(message, Location(path) if path is not None else None)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path is not None else self.message


@dataclass(frozen=True)
class PreparedPng:
    """Normalised PNG bytes: only IHDR, (PLTE, tRNS,) IDAT, IEND chunks; ready for splicing."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PreparedSvg:
    """Sanitised SVG text starting with ``<svg``: no scripts, no external references."""

    data: str


