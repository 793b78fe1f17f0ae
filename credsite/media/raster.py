"""Raster images as users give them: sniff, decode safely, normalise to a deterministic PNG.

Pillow is owned by the media package (this module and `media.art`). Every image is checked
(size, pixels, decompression bombs) before it is decoded, converted to sRGB RGBA, fitted to a
square badge and written without metadata.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from typing import cast

from PIL import Image, ImageChops, ImageFile, ImageOps, JpegImagePlugin

from credsite.openbadges.image import (
    MAX_BYTES,
    NS_XLINK,
    ImageError,
    PreparedPng,
    PreparedSvg,
)
from credsite.openbadges.png import PNG_SIGNATURE, iter_chunks, strip_chunks
from credsite.openbadges.svg import decode_svg, sanitise_svg

MAX_PIXELS = 4096 * 4096
"""The most pixels decoded into memory: a PNG, GIF or WebP as declared, a JPEG once reduced."""
MAX_PHOTO_PIXELS = 16384 * 16384
"""The most pixels a JPEG may declare (268 megapixels: a 200 MP phone photo fits). One larger than
`MAX_PIXELS` is decoded at 1/2, 1/4 or 1/8 of its size (the JPEG decoder's own scaling, Pillow's
`draft`), so no more than `MAX_PIXELS` are ever in memory."""
MAX_FILE_BYTES = 40 * 1024 * 1024
"""The largest raster image file read (a 48 MP phone photo is 10 to 25 MiB); an SVG may have at
most `MAX_BYTES` (10 MiB)."""
BADGE_SIZE = 512

# Pillow's own decompression-bomb guard: a warning above this many pixels (made an error below),
# DecompressionBombError above twice as many, checked from the header before anything is decoded
# (for WebP before its decoder is made). A JPEG is opened past it and checked by `MAX_PHOTO_PIXELS`.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False


def encode_png(image: Image.Image, tolerance: int = 0) -> PreparedPng:
    """Encode as a metadata-free PNG; a palette PNG when that changes no channel by more than
    ``tolerance`` (0: only when lossless), RGBA otherwise."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")  # opaque: no alpha channel needed
    buffer = io.BytesIO()
    _palettise(image, tolerance).save(buffer, "PNG", optimize=True)
    return PreparedPng(strip_chunks(buffer.getvalue()), image.width, image.height)


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
        needle = bytes(cast("tuple[int, ...]", colour))  # RGBA: (r, g, b, a)
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
    extrema = cast("tuple[tuple[int, int], ...]", difference.getextrema())  # RGBA: one per band
    if max(high for _, high in extrema) > tolerance:
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
    Pillow under pixel and size limits (a large JPEG photo is decoded at a reduced scale),
    turned upright (EXIF), converted to sRGB RGBA, fitted into a transparent 512x512 square and
    re-encoded as a PNG without metadata. SVG is parsed and refused if it declares entities, has
    scripts, event handlers, foreignObject or references to anything but same-document fragments
    and data:image/(png|jpeg|gif) URIs (a DOCTYPE that only names a DTD is dropped); it is
    re-serialised deterministically and any existing ``openbadges:`` element is dropped.
    """
    data = bytes(data)
    check_size(len(data), path)
    if not data:
        raise ImageError(path, "image file is empty")
    kind = _sniff(data)
    if kind is None:
        raise ImageError(path, "not a supported image (expected PNG, JPEG, GIF, WebP or SVG)")
    if kind == "SVGZ":
        raise ImageError(path, "compressed SVG (.svgz) is not supported; save it as plain SVG")
    if kind == "SVG":
        if len(data) > MAX_BYTES:
            raise ImageError(
                path, f"SVG is {_mib(len(data))}; the limit is {_mib(MAX_BYTES)} for an SVG"
            )
        return PreparedSvg(sanitise_svg(decode_svg(data, path), path))
    if kind == "PNG":
        for _ in iter_chunks(data, path):  # framing, every CRC, IHDR first, IEND present
            pass
    return encode_png(fit_square(_decode_raster(data, kind, path), BADGE_SIZE))


def check_size(size: int, path: str) -> None:
    """Refuse an image file from its size in bytes (call it before reading the file)."""
    if size > MAX_FILE_BYTES:
        raise ImageError(
            path,
            f"image is {_mib(size)}; the limit is {_mib(MAX_FILE_BYTES)} (a photo: save a "
            "smaller copy, a badge needs only 512x512 pixels)",
        )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _decode_raster(data: bytes, kind: str, path: str) -> Image.Image:
    label = "WebP" if kind == "WEBP" else kind
    try:
        with warnings.catch_warnings():
            # Pillow checks the size an image declares when it opens it, before decoding: its
            # warning is `_check_dimensions`'s limit (which says what to do), its error twice that.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open(data, kind) as probe:
                _check_dimensions(probe.size, kind, path)
                probe.verify()
            image = _open(data, kind)
            _check_dimensions(image.size, kind, path)
            if image.width * image.height > MAX_PIXELS:  # a large JPEG photo
                image.draft(None, _draft_size(image.size))
                _check_dimensions(image.size, "decoded", path)
            image.seek(0)  # first frame of an animation
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            path,
            f"image too large (a decompression bomb?): {exc} A badge needs only 512x512 pixels: "
            "scale it down, or save a photo as JPEG",
        ) from None
    except Exception as exc:  # Pillow raises many types for bad input
        if "decompressed data too large" in str(exc).lower():  # a zip bomb in a PNG chunk
            raise ImageError(
                path,
                f"not a valid {label} image: compressed data in it expands to more than "
                "Pillow reads (a zip bomb?)",
            ) from None
        raise ImageError(path, f"not a valid {label} image: {exc}") from None
    return _to_srgb_rgba(image)


def _open(data: bytes, kind: str) -> Image.Image:
    """Open (read the header of) an image sniffed as `kind`.

    A JPEG is opened without `Image.open`'s bomb guard, which would refuse a 48 MP photo from its
    size alone: `_check_dimensions` bounds what it declares and `Image.draft` what is decoded."""
    if kind == "JPEG":
        return JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    return Image.open(io.BytesIO(data), formats=[kind])


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size to ask the JPEG decoder for: twice the badge's on the longer side, so that it
    scales down (by 2, 4 or 8) no further than the badge still has detail to show."""
    width, height = size
    scale = 2 * BADGE_SIZE / max(width, height)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _check_dimensions(size: tuple[int, int], kind: str, path: str) -> None:
    """`kind`: "JPEG" (decoded reduced if need be), "decoded" (a JPEG, reduced), or another."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(path, f"image has no pixels ({width}x{height})")
    if kind == "JPEG":
        if width * height > MAX_PHOTO_PIXELS:
            raise ImageError(
                path,
                f"image is {width}x{height} pixels; the limit for a JPEG is "
                f"{MAX_PHOTO_PIXELS:,} pixels (16384x16384)",
            )
    elif width * height > MAX_PIXELS:
        if kind == "decoded":
            raise ImageError(
                path,
                f"image is too long and thin to read: even reduced it is {width}x{height} pixels "
                f"(the limit is {MAX_PIXELS:,}, 4096x4096); crop it",
            )
        raise ImageError(
            path,
            f"image is {width}x{height} pixels; the limit is {MAX_PIXELS:,} pixels (4096x4096) "
            "for a PNG, GIF or WebP: scale it down (a badge needs only 512x512), or save a photo "
            "as JPEG, which is read at a reduced scale",
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


def fit_square(image: Image.Image, size: int) -> Image.Image:
    """Scale (up or down, keeping the aspect) to fit ``size`` and centre on a transparent square."""
    width, height = image.size
    scale = size / max(width, height)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new != image.size:
        # premultiplied alpha avoids dark fringes around transparent areas
        image = image.convert("RGBa").resize(new, Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(image, ((size - new[0]) // 2, (size - new[1]) // 2))
    return clear_transparent(canvas)


def clear_transparent(image: Image.Image) -> Image.Image:
    """Zero the colour of fully transparent pixels (smaller, deterministic PNGs)."""
    alpha = image.getchannel("A")
    mask = alpha.point(lambda value: 255 if value else 0)
    clean = Image.new("RGBA", image.size, (0, 0, 0, 0))
    clean.paste(image, (0, 0), mask)
    return clean


def svg_from_png(png: PreparedPng) -> PreparedSvg:
    """An SVG showing the PNG as a ``data:`` URI ``<image>`` (achievements with only a raster)."""
    encoded = base64.b64encode(png.data).decode("ascii")
    w, h = png.width, png.height
    return PreparedSvg(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="{NS_XLINK}" width="{w}" height="{h}"'
        f' viewBox="0 0 {w} {h}"><image width="{w}" height="{h}"'
        f' xlink:href="data:image/png;base64,{encoded}"/></svg>'
    )
