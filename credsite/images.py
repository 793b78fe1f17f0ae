"""Badge images: check and normalise them, draw badge art and share cards, bake credentials.

One job: turn image bytes into safe, deterministic badge images and carry a credential inside them.
It is the only module that imports Pillow (``docs/architecture.md``).

Baking follows the Open Badges specifications (notes: ``standards.md`` §1.12, §2 "OB 2.0 baking"):

* OB 3.0 (``ob_v3p0/docformat.md`` "Baked Badge"): a PNG gets one uncompressed ``iTXt`` chunk with
  keyword ``openbadgecredential`` holding the credential JSON (or compact JWS), the keyword at most
  once. An SVG gets ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on ``<svg>`` and,
  directly after the ``<svg>`` start tag, ``<openbadges:credential><![CDATA[json]]>
  </openbadges:credential>`` (an empty element with ``verify="<JWS>"`` for VC-JWT); one per SVG.
* OB 2.0 (``ob_v2p0/baking/index.md``): PNG ``iTXt`` keyword ``openbadges``; SVG namespace
  ``http://openbadges.org`` with ``<openbadges:assertion verify="URL or JWS">`` and an optional
  CDATA body. A PNG may carry both keywords; an SVG carries exactly one ``openbadges:`` element.
* ``iTXt`` layout (PNG specification, https://www.w3.org/TR/PNG/#11iTXt): keyword (Latin-1, 1-79
  bytes), NUL, compression flag 0, compression method 0, language tag, NUL, translated keyword,
  NUL, UTF-8 text; CRC-32 over chunk type and data.

Baking is byte splicing on a prepared image (no Pillow, no XML parsing), so a build bakes thousands
of credentials quickly. Drawn art depends on the fonts found on the machine (DejaVu if installed,
Pillow's bundled font otherwise): deterministic on one machine, not across machines.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import itertools
import math
import os
import re
import struct
import warnings
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import PIL
from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageFont, ImageOps

from credsite.atomic import write_atomic
from credsite.errors import CredsiteError, Location

__all__ = [
    "BADGE_SIZE",
    "KEYWORD_OB2",
    "KEYWORD_OB3",
    "MAX_BYTES",
    "MAX_PIXELS",
    "NS_OB2",
    "NS_OB3",
    "SHARE_SIZE",
    "ImageCache",
    "ImageError",
    "PreparedPng",
    "PreparedSvg",
    "bake_png",
    "bake_svg",
    "extract_png",
    "extract_svg",
    "load_image",
    "render_badge",
    "render_share_image",
    "svg_from_png",
]

MAX_PIXELS = 4096 * 4096
MAX_BYTES = 10 * 1024 * 1024
BADGE_SIZE = 512
SHARE_SIZE = (1200, 627)

KEYWORD_OB3 = "openbadgecredential"
KEYWORD_OB2 = "openbadges"
NS_OB3 = "https://purl.imsglobal.org/ob/v3p0"
NS_OB2 = "http://openbadges.org"
NS_SVG = "http://www.w3.org/2000/svg"
NS_XLINK = "http://www.w3.org/1999/xlink"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_XHTML = "http://www.w3.org/1999/xhtml"
NS_MATHML = "http://www.w3.org/1998/Math/MathML"

# Pillow's own decompression-bomb guard: a warning above this many pixels (made an error below),
# DecompressionBombError above twice as many. PIL is owned by this module alone.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False


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


# --------------------------------------------------------------------------------------------------
# PNG chunks
# --------------------------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR_END = len(PNG_SIGNATURE) + 8 + 13 + 4  # signature + IHDR chunk (length, type, 13 bytes, CRC)
_TEXT_TYPES = (b"iTXt", b"tEXt", b"zTXt")
_KEEP_CHUNKS = (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND")
_CHUNK_TYPE_RE = re.compile(rb"[A-Za-z]{4}")


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + ctype
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(ctype)))
    )


def _iter_chunks(
    data: bytes, path: str | None, check_crc: bool = True
) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, start, end)`` per chunk (``start``: its length field, ``end``: after the CRC).

    Checks the signature, chunk framing, CRCs (unless told not to), IHDR first and IEND last; bytes
    after IEND are ignored.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ImageError(path, "not a PNG file (bad signature)")
    pos = len(PNG_SIGNATURE)
    size = len(data)
    first = True
    while True:
        if pos + 12 > size:
            raise ImageError(path, f"truncated PNG: chunk header at byte {pos} runs past the end")
        (length,) = struct.unpack_from(">I", data, pos)
        ctype = data[pos + 4 : pos + 8]
        if length > 0x7FFFFFFF or not _CHUNK_TYPE_RE.fullmatch(ctype):
            raise ImageError(path, f"corrupt PNG: bad chunk header at byte {pos}")
        end = pos + 12 + length
        if end > size:
            raise ImageError(
                path,
                f"truncated PNG: chunk {ctype.decode('ascii')} at byte {pos} runs past the end",
            )
        if check_crc:
            (stored,) = struct.unpack_from(">I", data, end - 4)
            if stored != zlib.crc32(memoryview(data)[pos + 4 : end - 4]):
                raise ImageError(
                    path,
                    f"corrupt PNG: CRC mismatch in chunk {ctype.decode('ascii')} at byte {pos}",
                )
        if first:
            if ctype != b"IHDR" or length != 13:
                raise ImageError(path, "corrupt PNG: the first chunk is not IHDR")
            first = False
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end


def _text_keyword(data: bytes, start: int, end: int) -> bytes:
    body = data[start + 8 : min(end - 4, start + 8 + 80)]
    nul = body.find(b"\x00")
    return body if nul < 0 else body[:nul]


@functools.lru_cache(maxsize=16)
def _check_keyword(keyword: str) -> bytes:
    try:
        raw = keyword.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"PNG text keyword must be Latin-1: {keyword!r}") from None
    if not 1 <= len(raw) <= 79 or any(b < 32 or 126 < b < 161 for b in raw):
        raise ValueError(f"PNG text keyword must be 1-79 printable Latin-1 characters: {keyword!r}")
    if raw != raw.strip(b" ") or b"  " in raw:
        raise ValueError(f"PNG text keyword has leading, trailing or double spaces: {keyword!r}")
    return raw


def _itxt(keyword: bytes, text: str) -> bytes:
    # keyword NUL, compression flag 0, compression method 0, language tag "" NUL, translated "" NUL
    body = keyword + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    if len(body) > 0x7FFFFFFF:
        raise ValueError("text too long for one PNG chunk")
    return _chunk(b"iTXt", body)


def bake_png(
    png: PreparedPng | bytes, keyword: str, text: str, *, path: str | None = None
) -> bytes:
    """Return the PNG with one uncompressed ``iTXt`` chunk ``keyword`` = ``text`` right after IHDR.

    Any existing ``iTXt``/``tEXt``/``zTXt`` chunk with the same keyword is removed; other chunks are
    copied byte for byte (no re-encoding). ``keyword`` is ``"openbadgecredential"`` (OB 3.0) or
    ``"openbadges"`` (OB 2.0); bake twice to carry both. Raw ``bytes`` input has its CRCs checked.
    """
    raw_keyword = _check_keyword(keyword)
    if isinstance(png, PreparedPng):
        data, check = png.data, False
    else:
        data, check = bytes(png), True
    parts = [data[:_IHDR_END], _itxt(raw_keyword, text)]
    run_start = _IHDR_END  # copy unchanged chunks in runs
    for ctype, start, end in _iter_chunks(data, path, check_crc=check):
        if ctype == b"IHDR":
            continue
        if ctype in _TEXT_TYPES and _text_keyword(data, start, end) == raw_keyword:
            parts.append(data[run_start:start])
            run_start = end
        elif ctype == b"IEND":
            parts.append(data[run_start:end])
    return b"".join(parts)


def extract_png(data: bytes, keyword: str = KEYWORD_OB3, *, path: str | None = None) -> str | None:
    """Return the text of the first ``iTXt`` chunk with ``keyword``, or ``None``.

    All chunk CRCs are checked (``ImageError`` on a corrupt or truncated PNG). A compressed ``iTXt``
    (not allowed by the OB specs, but valid PNG) is inflated; without any ``iTXt`` a legacy ``tEXt``
    chunk with the keyword (OB 2.0 hosted URL) is returned instead.
    """
    raw_keyword = _check_keyword(keyword)
    data = bytes(data)
    found: tuple[bytes, bytes] | None = None
    for ctype, start, end in _iter_chunks(data, path):  # walk to IEND: the whole file is checked
        if ctype not in (b"iTXt", b"tEXt") or _text_keyword(data, start, end) != raw_keyword:
            continue
        if found is None or (found[0] == b"tEXt" and ctype == b"iTXt"):
            found = (ctype, data[start + 8 + len(raw_keyword) + 1 : end - 4])
    if found is None:
        return None
    ctype, body = found
    if ctype == b"tEXt":
        return body.decode("latin-1")
    return _itxt_text(body, keyword, path)


def _itxt_text(body: bytes, keyword: str, path: str | None) -> str:
    """The text of an iTXt chunk body after its keyword and NUL."""
    if len(body) < 2:
        raise ImageError(path, f"corrupt PNG: short iTXt chunk {keyword!r}")
    flag, method = body[0], body[1]
    lang_end = body.find(b"\x00", 2)
    trans_end = body.find(b"\x00", lang_end + 1) if lang_end >= 0 else -1
    if trans_end < 0:
        raise ImageError(path, f"corrupt PNG: malformed iTXt chunk {keyword!r}")
    payload = body[trans_end + 1 :]
    if flag == 1:
        if method != 0:
            raise ImageError(path, f"iTXt chunk {keyword!r}: unknown compression method {method}")
        inflater = zlib.decompressobj()
        try:
            payload = inflater.decompress(payload, MAX_BYTES)
        except zlib.error as exc:
            raise ImageError(path, f"iTXt chunk {keyword!r}: bad compressed text ({exc})") from None
        if inflater.unconsumed_tail:
            raise ImageError(path, f"iTXt chunk {keyword!r}: text larger than {MAX_BYTES} bytes")
    elif flag != 0:
        raise ImageError(path, f"iTXt chunk {keyword!r}: bad compression flag {flag}")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ImageError(path, f"iTXt chunk {keyword!r}: text is not UTF-8") from None


def _strip_chunks(data: bytes) -> bytes:
    """Keep only the chunks needed to display the image (drops text, time, gamma, ICC, EXIF ...)."""
    return PNG_SIGNATURE + b"".join(
        data[start:end]
        for ctype, start, end in _iter_chunks(data, None, check_crc=False)
        if ctype in _KEEP_CHUNKS
    )


def _encode_png(image: Image.Image, tolerance: int = 0) -> PreparedPng:
    """Encode as a metadata-free PNG; a palette PNG when that changes no channel by more than
    ``tolerance`` (0: only when lossless), RGBA otherwise."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # opaque: no alpha channel needed
    buffer = io.BytesIO()
    _palettise(image, tolerance).save(buffer, "PNG", optimize=True)
    return PreparedPng(_strip_chunks(buffer.getvalue()), image.width, image.height)


def _palettise(image: Image.Image, tolerance: int) -> Image.Image:
    """Quantise an RGBA image to 256 colours, keeping its most frequent colours exact."""
    colours = image.getcolors(1 << 16)
    if image.mode != "RGBA" or colours is None or (tolerance == 0 and len(colours) > 256):
        return image
    quantised = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = quantised.getpalette("RGBA")
    if palette is None:
        return image
    raw, indices = image.tobytes(), quantised.tobytes()
    fixed: set[int] = set()
    for _, colour in sorted(colours, reverse=True)[:256]:
        needle = bytes(colour)
        pos = raw.find(needle)
        while pos > 0 and pos % 4:  # a match straddling two pixels
            pos = raw.find(needle, pos + 1)
        if pos < 0:
            continue
        index = indices[pos // 4]
        if index not in fixed:
            palette[4 * index : 4 * index + 4] = needle
            fixed.add(index)
    quantised.putpalette(palette, "RGBA")
    difference = ImageChops.difference(image, quantised.convert("RGBA"))
    if max(high for _, high in difference.getextrema()) > tolerance:
        return image
    return quantised


# --------------------------------------------------------------------------------------------------
# Loading raster images
# --------------------------------------------------------------------------------------------------


def _sniff(data: bytes) -> str | None:
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:512].lstrip(b" \t\r\n")
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or head.startswith(b"<"):
        return "SVG"
    if data[:2] == b"\x1f\x8b":
        return "SVGZ"
    return None


def load_image(data: bytes, path: str) -> PreparedPng | PreparedSvg:
    """Check an image file's bytes and return it normalised.

    Rasters (PNG, JPEG, GIF, WebP; sniffed from the bytes, not the file name) are decoded with
    Pillow under pixel and size limits, turned upright (EXIF), converted to sRGB RGBA, fitted into
    a transparent 512x512 square and re-encoded as a PNG without metadata. SVG is parsed and
    refused if it has a DOCTYPE, scripts, event handlers, foreignObject or references to anything
    but same-document fragments and data:image/(png|jpeg|gif) URIs; it is re-serialised
    deterministically and any existing ``openbadges:`` element is dropped.
    """
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ImageError(path, f"image is {len(data)} bytes; the limit is {MAX_BYTES} bytes")
    if not data:
        raise ImageError(path, "image file is empty")
    kind = _sniff(data)
    if kind is None:
        raise ImageError(path, "not a supported image (expected PNG, JPEG, GIF, WebP or SVG)")
    if kind == "SVGZ":
        raise ImageError(path, "compressed SVG (.svgz) is not supported; save it as plain SVG")
    if kind == "SVG":
        return PreparedSvg(_sanitise_svg(_decode_svg(data, path), path))
    if kind == "PNG":
        for _ in _iter_chunks(data, path):  # framing, every CRC, IHDR first, IEND present
            pass
    return _encode_png(_fit_square(_decode_raster(data, kind, path), BADGE_SIZE))


def _decode_raster(data: bytes, kind: str, path: str) -> Image.Image:
    label = "WebP" if kind == "WEBP" else kind
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as probe:
                _check_dimensions(probe.size, path)
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=[kind])
            _check_dimensions(image.size, path)
            image.seek(0)  # first frame of an animation
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(path, f"image too large (decompression bomb?): {exc}") from None
    except Exception as exc:  # Pillow raises many types for bad input
        raise ImageError(path, f"not a valid {label} image: {exc}") from None
    return _to_srgb_rgba(image)


def _check_dimensions(size: tuple[int, int], path: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(path, f"image has no pixels ({width}x{height})")
    if width * height > MAX_PIXELS:
        raise ImageError(
            path, f"image is {width}x{height} pixels; the limit is {MAX_PIXELS} pixels (4096x4096)"
        )


def _to_srgb_rgba(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode not in ("RGB", "RGBA", "CMYK"):
        image = image.convert("RGBA")
    if icc:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            target = ImageCms.createProfile("sRGB")
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, target, outputMode=mode)
            if converted is not None:
                image = converted
        except Exception:  # no LittleCMS, or a broken profile: use the pixels as they are
            pass
    return image.convert("RGBA")


def _fit_square(image: Image.Image, size: int) -> Image.Image:
    """Scale (up or down, keeping the aspect) to fit ``size`` and centre on a transparent square."""
    width, height = image.size
    scale = size / max(width, height)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new != image.size:
        # premultiplied alpha avoids dark fringes around transparent areas
        image = image.convert("RGBa").resize(new, Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(image, ((size - new[0]) // 2, (size - new[1]) // 2))
    return _clear_transparent(canvas)


def _clear_transparent(image: Image.Image) -> Image.Image:
    """Zero the colour of fully transparent pixels (smaller, deterministic PNGs)."""
    alpha = image.getchannel("A")
    mask = alpha.point(lambda value: 255 if value else 0)
    clean = Image.new("RGBA", image.size, (0, 0, 0, 0))
    clean.paste(image, (0, 0), mask)
    return clean


# --------------------------------------------------------------------------------------------------
# SVG: decoding, sanitising, deterministic serialisation
# --------------------------------------------------------------------------------------------------

_XML_DECL_RE = re.compile(r"""^\s*<\?xml\s[^?]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_URL_START_RE = re.compile(r"url\s*\(", re.IGNORECASE)
_URL_RE = re.compile(r"""url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE)
_DATA_IMAGE_RE = re.compile(r"data:image/(?:png|jpeg|jpg|gif)(?:;[a-z0-9=._+-]+)*,", re.IGNORECASE)
_FORBIDDEN_ELEMENTS = {
    "script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "link", "meta",
    "base", "frame", "frameset", "applet",
}  # fmt: skip
_ANIMATION_ELEMENTS = {
    "set",
    "animate",
    "animatetransform",
    "animatemotion",
    "animatecolor",
    "discard",
}
_OPENBADGES_NAMESPACES = (NS_OB3, NS_OB2)
_MAX_DEPTH = 256


def _decode_svg(data: bytes, path: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        data = data.removeprefix(b"\xef\xbb\xbf")
        match = _XML_DECL_RE.match(data[:200].decode("ascii", "replace"))
        encoding = match.group(1).lower() if match else "utf-8"
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except (LookupError, UnicodeDecodeError) as exc:
        raise ImageError(path, f"SVG text is not valid {encoding}: {exc}") from None


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        uri, local = name[1:].split("}", 1)
        return uri, local
    return "", name


def _check_reference(value: str, what: str, path: str) -> None:
    value = value.strip()
    if value == "" or value.startswith("#") or _DATA_IMAGE_RE.match(value):
        return
    shown = value if len(value) <= 80 else value[:77] + "..."
    raise ImageError(
        path,
        f"SVG {what} refers to {shown!r}: only same-document '#id' references and embedded "
        "data:image/png, jpeg or gif URIs are allowed (embed the resource or remove it)",
    )


def _check_css(value: str, what: str, path: str) -> None:
    lowered = value.lower()
    if "@import" in lowered:
        raise ImageError(
            path, f"SVG {what} uses CSS @import (external stylesheets are not allowed)"
        )
    if "\\" in value:
        raise ImageError(
            path, f"SVG {what} contains CSS escapes (backslashes), which are not allowed"
        )
    if "expression(" in lowered or "javascript:" in lowered:
        raise ImageError(path, f"SVG {what} contains script in CSS")
    for start in _URL_START_RE.finditer(value):
        match = _URL_RE.match(value, start.start())
        if match is None:
            raise ImageError(path, f"SVG {what} has a malformed url(...)")
        target = next(group for group in match.groups() if group is not None)
        _check_reference(target, what, path)


def _sanitise_svg(text: str, path: str) -> str:
    """Parse, check and re-serialise SVG text; ``ImageError`` for anything unsafe."""
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise ImageError(path, "SVG has a DOCTYPE or ENTITY declaration, which is not allowed")
    parser = ET.XMLPullParser(events=("start-ns", "start"))
    prefixes: dict[str, str] = {}
    root: ET.Element | None = None
    try:
        parser.feed(text)
        parser.close()
        for event, item in parser.read_events():
            if event == "start-ns":
                prefix, uri = item
                prefixes.setdefault(uri, prefix)
            elif root is None:
                root = item
    except ET.ParseError as exc:
        line, column = exc.position
        raise ImageError(
            path, f"SVG is not well-formed XML (line {line}, column {column + 1})"
        ) from None
    if root is None:
        raise ImageError(path, "SVG has no root element")
    uri, local = _local(root.tag)
    if local != "svg" or uri not in ("", NS_SVG):
        raise ImageError(path, f"not an SVG image: the root element is <{local}>")
    if uri == "":  # no xmlns: browsers would not render it as an image; put it in the SVG namespace
        for element in root.iter():
            if not element.tag.startswith("{"):
                element.tag = f"{{{NS_SVG}}}{element.tag}"
    _sanitise_element(root, path, 0)
    return _serialise(root, prefixes)


def _sanitise_element(element: ET.Element, path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ImageError(path, f"SVG elements are nested more than {_MAX_DEPTH} deep")
    uri, local = _local(element.tag)
    name = local.lower()
    if uri in (NS_XHTML, NS_MATHML):
        raise ImageError(
            path, f"SVG contains an HTML/MathML element <{local}>, which is not allowed"
        )
    if name in _FORBIDDEN_ELEMENTS:
        raise ImageError(path, f"SVG contains a <{local}> element, which is not allowed")
    for attribute in list(element.attrib):
        value = element.attrib[attribute]
        attr_uri, attr_local = _local(attribute)
        attr_name = attr_local.lower()
        if attr_uri in _OPENBADGES_NAMESPACES:
            del element.attrib[attribute]
            continue
        what = f"<{local} {attr_local}=...>"
        if attr_name.startswith("on"):
            raise ImageError(
                path, f"SVG has an event handler attribute {what}, which is not allowed"
            )
        if attr_name in ("href", "src"):
            _check_reference(value, what, path)
        if name in _ANIMATION_ELEMENTS and attr_name == "attributename":
            target = value.split(":")[-1].strip().lower()
            if target in ("href", "src") or target.startswith("on"):
                raise ImageError(path, f"SVG <{local}> animates {value!r}, which is not allowed")
        if "url" in value.lower() or attr_name == "style":
            _check_css(value, what, path)
    if name == "style":
        _check_css("".join(element.itertext()), "<style>", path)
    previous: ET.Element | None = None
    for child in list(element):
        if _local(child.tag)[0] in _OPENBADGES_NAMESPACES:  # an old baked credential: drop it
            if child.tail and previous is None:
                element.text = (element.text or "") + child.tail
            elif child.tail and previous is not None:
                previous.tail = (previous.tail or "") + child.tail
            element.remove(child)
            continue
        _sanitise_element(child, path, depth + 1)
        previous = child


def _escape_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _escape_attr(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _serialise(root: ET.Element, source_prefixes: dict[str, str]) -> str:
    """Serialise deterministically: SVG is the default namespace, every other namespace used gets
    its prefix from the source (``xlink`` for XLink), declared once on the root element."""
    element_prefix: dict[str, str] = {NS_SVG: "", NS_XLINK: "xlink", NS_XML: "xml"}
    attr_prefix: dict[str, str] = {NS_XLINK: "xlink", NS_XML: "xml"}
    taken = {"xlink", "xml", "xmlns", "openbadges", ""}
    declared: dict[str, str] = {}  # prefix -> uri, except xml

    def allocate(uri: str, table: dict[str, str]) -> str:
        if uri in table:
            prefix = table[uri]
        else:
            for candidate, known in (
                (p, u) for u, p in (*element_prefix.items(), *attr_prefix.items())
            ):
                if known == uri and candidate:
                    prefix = candidate
                    break
            else:
                wanted = source_prefixes.get(uri, "")
                if uri == NS_SVG:
                    wanted = "svg"
                valid = re.fullmatch(r"[A-Za-z_][A-Za-z0-9._-]*", wanted or "")
                if not valid or wanted in taken or wanted.lower().startswith("xml"):
                    number = 0
                    while f"ns{number}" in taken:
                        number += 1
                    wanted = f"ns{number}"
                prefix = wanted
                taken.add(prefix)
            table[uri] = prefix
        if prefix != "xml" and (uri != NS_SVG or prefix):
            declared[prefix] = uri
        return prefix

    def qualified(name: str, table: dict[str, str]) -> str:
        uri, local = _local(name)
        if not uri:
            return local
        prefix = allocate(uri, table)
        return f"{prefix}:{local}" if prefix else local

    body: list[str] = []

    def write(element: ET.Element) -> None:
        tag = qualified(element.tag, element_prefix)
        attributes = "".join(
            f' {qualified(key, attr_prefix)}="{_escape_attr(value)}"'
            for key, value in element.attrib.items()
        )
        body.append(f"<{tag}{attributes}")
        if element.text or len(element):
            body.append(">")
            if element.text:
                body.append(_escape_text(element.text))
            for child in element:
                write(child)
                if child.tail:
                    body.append(_escape_text(child.tail))
            body.append(f"</{tag}>")
        else:
            body.append("/>")

    write(root)
    declarations = ' xmlns="http://www.w3.org/2000/svg"' + "".join(
        f' xmlns:{prefix}="{_escape_attr(uri)}"' for prefix, uri in sorted(declared.items())
    )
    root_tag = "<svg"
    assert body[0].startswith(root_tag)
    body[0] = root_tag + declarations + body[0][len(root_tag) :]
    return "".join(body)


def svg_from_png(png: PreparedPng) -> PreparedSvg:
    """An SVG showing the PNG as a ``data:`` URI ``<image>`` (achievements with only a raster)."""
    encoded = base64.b64encode(png.data).decode("ascii")
    w, h = png.width, png.height
    return PreparedSvg(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="{NS_XLINK}" width="{w}" height="{h}"'
        f' viewBox="0 0 {w} {h}"><image width="{w}" height="{h}"'
        f' xlink:href="data:image/png;base64,{encoded}"/></svg>'
    )


# --------------------------------------------------------------------------------------------------
# SVG baking: string splicing on a prepared SVG
# --------------------------------------------------------------------------------------------------

_ATTRIBUTE = r"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')"""
_ROOT_START_RE = re.compile(rf"<svg(?P<attrs>(?:{_ATTRIBUTE})*)\s*(?P<close>/?)>")
_OB_XMLNS_RE = re.compile(r"""\s+xmlns:openbadges\s*=\s*(?:"[^"]*"|'[^']*')""")
_OB_ELEMENT_START_RE = re.compile(
    rf"\s*<openbadges:(?P<name>credential|assertion)(?:{_ATTRIBUTE})*\s*(?P<close>/?)>"
)
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\r]")
_OB_PREFIX_RE = re.compile(r"<openbadges:|\sopenbadges:[^\s=>]+\s*=")


def _skip_ob_element(svg: str, pos: int) -> int | None:
    """If an ``openbadges:`` element starts at ``pos`` return the index after it, else ``None``."""
    match = _OB_ELEMENT_START_RE.match(svg, pos)
    if match is None:
        return None
    if match.group("close"):
        return match.end()
    end_tag = f"</openbadges:{match.group('name')}>"
    i = match.end()
    while i < len(svg):
        if svg.startswith("<![CDATA[", i):
            close = svg.find("]]>", i + 9)
            if close < 0:
                return None
            i = close + 3
        elif svg.startswith(end_tag, i):
            return i + len(end_tag)
        elif svg[i] == "<":
            return None  # child elements: not something we baked
        else:
            i += 1
    return None


def _split_svg(svg: str, trusted: bool) -> tuple[str, str, bool]:
    """Split SVG text into (``<svg`` + its attributes, the rest after the start tag, whether the
    root is self-closing), dropping a baked ``openbadges:`` element and its namespace declaration.

    ``trusted`` text comes from this module's serialiser (which never uses the ``openbadges``
    prefix otherwise); other text is checked and, if it is not in that form, sanitised first."""
    match = _ROOT_START_RE.match(svg)
    if match is not None:
        attrs = match.group("attrs")
        rest = svg[match.end() :]
        if _OB_XMLNS_RE.search(attrs):
            attrs = _OB_XMLNS_RE.sub("", attrs)
            if not match.group("close"):
                after = _skip_ob_element(svg, match.end())
                rest = svg[after:] if after is not None else rest
        if trusted or not _OB_PREFIX_RE.search(attrs + rest):
            return "<svg" + attrs, rest, bool(match.group("close"))
    if trusted:
        raise ValueError("prepared SVG does not start with an <svg> start tag")
    return _split_svg(_sanitise_svg(svg, "<svg>"), trusted=True)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(
    svg: PreparedSvg | str, text: str, version: int = 3, *, verify: str | None = None
) -> str:
    """Return the SVG with one ``openbadges:`` element directly after the ``<svg>`` start tag.

    ``version=3``: ``<openbadges:credential>`` in ``https://purl.imsglobal.org/ob/v3p0`` with
    ``text`` (the credential JSON) in a CDATA body; for a VC-JWT pass ``verify=<compact JWS>`` and
    ``text=""``.
    ``version=2``: ``<openbadges:assertion verify="...">`` in ``http://openbadges.org``; ``verify``
    (hosted assertion URL or signed assertion) is required, ``text`` (assertion JSON) is optional.
    An existing ``openbadges:`` element is replaced. ``"]]>"`` in ``text`` is split across CDATA
    sections; carriage returns and characters XML cannot carry raise ``ImageError``.
    """
    if version == 3:
        namespace, element = NS_OB3, "credential"
    elif version == 2:
        namespace, element = NS_OB2, "assertion"
        if not verify:
            raise ValueError("OB 2.0 SVG baking needs verify= (the hosted assertion URL or a JWS)")
    else:
        raise ValueError(f"unknown Open Badges version {version!r} (expected 2 or 3)")
    for value, what in ((text, "text"), (verify or "", "verify")):
        bad = _XML_ILLEGAL_RE.search(value)
        if bad:
            raise ImageError(
                None,
                f"cannot bake {what} into SVG: character U+{ord(bad.group()):04X} at index "
                f"{bad.start()} cannot be stored unchanged in XML",
            )
    if isinstance(svg, PreparedSvg):
        head, rest, self_closing = _split_svg(svg.data, trusted=True)
    else:
        head, rest, self_closing = _split_svg(svg, trusted=False)
    start = f"<openbadges:{element}"
    if verify is not None:
        start += f' verify="{_escape_attr(verify)}"'
    baked = f"{start}>{_cdata(text)}</openbadges:{element}>" if text else f"{start}/>"
    head += f' xmlns:openbadges="{namespace}">'
    if self_closing:
        return head + baked + "</svg>" + rest
    return head + baked + rest


def extract_svg(data: str | bytes, version: int = 3) -> str | None:
    """Return the baked credential (v3) or assertion (v2) of an SVG, or ``None``.

    The element's text (CDATA) is returned; an element with no text returns its ``verify`` attribute
    (VC-JWT for OB 3.0, hosted URL or JWS for OB 2.0).
    """
    namespace = {3: NS_OB3, 2: NS_OB2}.get(version)
    if namespace is None:
        raise ValueError(f"unknown Open Badges version {version!r} (expected 2 or 3)")
    text = _decode_svg(data, "<svg>") if isinstance(data, bytes) else data
    if len(text) > MAX_BYTES * 2:
        raise ImageError(None, "SVG too large")
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise ImageError(None, "SVG has a DOCTYPE or ENTITY declaration, which is not allowed")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ImageError(None, f"SVG is not well-formed XML: {exc}") from None
    tag = f"{{{namespace}}}{'credential' if version == 3 else 'assertion'}"
    element = root.find(f".//{tag}") if root.tag != tag else root
    if element is None:
        return None
    if element.text:
        return element.text
    return element.get("verify", "")


# --------------------------------------------------------------------------------------------------
# Generated art: colours, fonts, text layout
# --------------------------------------------------------------------------------------------------

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
_FONT_FILES = {True: "DejaVuSans-Bold.ttf", False: "DejaVuSans.ttf"}
_CAP_HEIGHT = 0.73  # DejaVu Sans capital height / em; centres text optically
SVG_FONT_FAMILY = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, 'Noto Sans CJK SC', sans-serif"
_SUPERSAMPLE = 2


# Used, when installed, for text the DejaVu fonts cannot show (Chinese, Japanese, Korean ...).
_FALLBACK_FONTS = {
    True: (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    ),
    False: (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    ),
}
_NO_GLYPH = "\U0010fffd"  # a private-use character no font draws: it shows the "missing" glyph


@functools.cache
def _font_path(bold: bool) -> str | None:
    for directory in _FONT_DIRS:
        candidate = os.path.join(directory, _FONT_FILES[bold])
        if os.path.isfile(candidate):
            return candidate
    return None


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


def _face(text: str, bold: bool) -> str | None:
    """DejaVu Sans (bold) if it covers ``text``, else an installed fallback that does."""
    primary = _font_path(bold)
    if _covers(primary, text):
        return primary
    for candidate in _FALLBACK_FONTS[bold]:
        if os.path.isfile(candidate) and _covers(candidate, text):
            return candidate
    return primary


def font_fingerprint() -> str:
    """Which fonts rendering uses here (part of cache keys for generated art)."""
    faces = [_font_path(True), _font_path(False)]
    faces += [
        path for bold in (True, False) for path in _FALLBACK_FONTS[bold] if os.path.isfile(path)
    ]
    return ";".join(face or "pillow-default" for face in faces)


def _parse_colour(value: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value.strip())
    if match is None:
        raise ImageError(None, f"colour must be #rgb or #rrggbb, not {value!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return r, g, b


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    r, g, b_ = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return r, g, b_


def _luminance(colour: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


_WHITE = (255, 255, 255)
_INK = (23, 26, 33)


def _text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    return _WHITE if _contrast(_WHITE, background) >= _contrast(_INK, background) else _INK


def _width(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> float:
    return font.getlength(text)


def _balanced_lines(
    words: list[str], count: int, font: ImageFont.FreeTypeFont | ImageFont.ImageFont
) -> tuple[list[str], float]:
    """Split ``words`` into ``count`` lines: the narrowest widest line, then the most even widths
    (brute force over the 1-2 break points; names are short)."""
    n = len(words)
    if count == 1 or n <= 1:
        line = " ".join(words)
        return [line], _width(line, font)
    if count == 2:
        splits = [(i,) for i in range(1, n)]
    else:
        splits = [(i, j) for i in range(1, n - 1) for j in range(i + 1, n)]
    best: tuple[float, float, list[str]] | None = None
    for cuts in splits:
        bounds = (0, *cuts, n)
        lines = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
        widths = [_width(line, font) for line in lines]
        widest = max(widths)
        ragged = sum((widest - w) ** 2 for w in widths)
        if best is None or (round(widest), ragged) < (round(best[0]), best[1]):
            best = (widest, ragged, lines)
    assert best is not None
    return best[2], best[0]


def _ellipsize(
    text: str, max_width: float, font: ImageFont.FreeTypeFont | ImageFont.ImageFont
) -> str:
    if _width(text, font) <= max_width:
        return text
    while text and _width(text.rstrip() + "…", font) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


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
        for count in range(1, min(max_lines, len(words)) + 1):
            if max_height is not None and size + (count - 1) * size * line_spacing > max_height:
                break
            lines, widest = _balanced_lines(words, count, font)
            if widest <= max_width:
                return _Text(size, lines, True, face)
    size = sizes[-1]
    font = _font(face, size)
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if _width(candidate, font) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _width(current, font) > max_width and len(current) > 1:  # break a very long word
            cut = len(current)
            while cut > 1 and _width(current[:cut] + "-", font) > max_width:
                cut -= 1
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
        paint = f'fill="{_hex(fill) if fill else "none"}"'
        if outline is not None and width:
            # Pillow draws the outline inside the box; SVG centres the stroke on the radius
            r -= width / 2
            paint += f' stroke="{_hex(outline)}" stroke-width="{_n(width)}"'
        self.svg.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" {paint}/>')

    def polygon(self, points: list[tuple[float, float]], fill: tuple[int, int, int]) -> None:
        self.draw.polygon([(self._s(x), self._s(y)) for x, y in points], fill=fill)
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.svg.append(f'<polygon points="{coords}" fill="{_hex(fill)}"/>')

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
            f' fill="{_hex(fill)}"/>'
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
            f'<text x="{_n(x)}" y="{_n(baseline)}" font-family="{_escape_attr(SVG_FONT_FAMILY)}"'
            f' font-size="{size}"{weight} fill="{_hex(fill)}" text-anchor="{anchor}">'
            f"{_escape_text(line)}</text>"
        )

    def png(self, x: float, y: float, size: int, png: PreparedPng) -> None:
        with Image.open(io.BytesIO(png.data)) as opened:
            logo = opened.convert("RGBA")
        big = _fit_square(logo, round(self._s(size)))
        self.image.alpha_composite(big, (round(self._s(x)), round(self._s(y))))
        if not self.record_svg:
            return
        small = _encode_png(_fit_square(logo, size * _SUPERSAMPLE))
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
    return " ".join(_XML_ILLEGAL_RE.sub(" ", text).split())


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
    fonts). Deterministic for given inputs on one machine (font files differ across machines)."""
    name, issuer_name = _plain(name), _plain(issuer_name)
    main = _parse_colour(primary)
    accent = _parse_colour(secondary)
    ink = _text_colour(main)
    soft_ink = _mix(main, ink, 0.78)
    ring = _mix(main, ink, 0.35)
    size = (BADGE_SIZE, BADGE_SIZE)
    c = BADGE_SIZE / 2
    canvas = _Canvas(_supersampled(size, "RGBA", (0, 0, 0, 0)))

    edge = _mix(accent, (0, 0, 0), 0.18)
    mark = accent if _contrast(accent, main) >= 1.6 else soft_ink
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

    png = _encode_png(_clear_transparent(_downsample(canvas.image, size)), tolerance=48)
    label = _escape_attr(f"{name} — {issuer_name}")
    svg = (
        f'<svg xmlns="{NS_SVG}" xmlns:xlink="{NS_XLINK}" width="{BADGE_SIZE}" height="{BADGE_SIZE}"'
        f' viewBox="0 0 {BADGE_SIZE} {BADGE_SIZE}" role="img" aria-label="{label}">'
        f"<title>{_escape_text(name)}</title>{''.join(canvas.svg)}</svg>"
    )
    return png, PreparedSvg(_sanitise_svg(svg, "<generated badge>"))


def render_share_image(
    title: str, subtitle: str, badge: PreparedPng, primary: str, secondary: str
) -> bytes:
    """Open Graph share card (1200x627 PNG, LinkedIn's recommended size; standards.md §7.2): the
    badge on the left, the title (achievement) and subtitle (issuer) on the right, brand colours."""
    title, subtitle = _plain(title), _plain(subtitle)
    main = _parse_colour(primary)
    accent = _parse_colour(secondary)
    # a near-white card would melt into the white feed around it: darken it a touch
    background = _mix(main, (0, 0, 0), 0.06) if _luminance(main) > 0.8 else main
    ink = _text_colour(background)
    soft_ink = _mix(background, ink, 0.8)
    mark = accent if _contrast(accent, background) >= 1.6 else ink
    width, height = SHARE_SIZE
    band_top = height - 14
    canvas = _Canvas(_supersampled(SHARE_SIZE, "RGBA", (*background, 255)), record_svg=False)

    # quiet decoration: two large discs bleeding off the right edge, an accent band at the bottom
    canvas.circle(1130, 90, 260, fill=_mix(background, ink, 0.045))
    canvas.circle(1180, 600, 190, fill=_mix(background, ink, 0.035))
    canvas.rect(0, band_top, width, height, fill=accent)

    badge_size = 440
    badge_x, badge_y = 72, (band_top - badge_size) // 2
    halo = _mix(background, ink, 0.08)
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
    return _strip_chunks(buffer.getvalue())


# --------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------

CACHE_FORMAT = "1"


class ImageCache:
    """A content-addressed cache of generated bytes: a file per key, named by the SHA-256 of the key
    parts plus a version (this module's cache format, Pillow, zlib and the fonts found)."""

    def __init__(self, dir: Path) -> None:
        self.dir = Path(dir)
        self.version = (
            f"credsite.images/{CACHE_FORMAT};Pillow {PIL.__version__};"
            f"zlib {zlib.ZLIB_RUNTIME_VERSION};{font_fingerprint()}"
        )

    def path_for(self, key_parts: tuple[str | bytes, ...]) -> Path:
        digest = hashlib.sha256()
        for part in (self.version, *key_parts):
            raw = part.encode("utf-8") if isinstance(part, str) else bytes(part)
            digest.update(b"s" if isinstance(part, str) else b"b")
            digest.update(struct.pack(">Q", len(raw)))
            digest.update(raw)
        return self.dir / digest.hexdigest()

    def get_or_make(self, key_parts: tuple[str | bytes, ...], make: Callable[[], bytes]) -> bytes:
        target = self.path_for(key_parts)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            pass
        data = make()
        write_atomic(target, data)
        return data
