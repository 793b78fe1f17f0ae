"""Tests for the image modules (credsite.openbadges, credsite.media): normalising and sanitising images, badge art, baking, extraction."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import time
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont, PngImagePlugin

from credsite.errors import CredsiteError
from credsite.media import art, raster
from credsite.media.art import render_badge, render_share_image
from credsite.media.raster import load_image, svg_from_png
from credsite.openbadges import image as image_format
from credsite.openbadges import svg as svg_format
from credsite.openbadges.image import ImageError, PreparedPng, PreparedSvg
from credsite.openbadges.png import bake_png, extract_png
from credsite.openbadges.svg import bake_svg, extract_svg

OB3 = "openbadgecredential"
OB2 = "openbadges"
SVG_NS = "http://www.w3.org/2000/svg"
TRICKY = '{"name": "Café 中文 ✓", "note": "a ]]> b ]]]]> c", "emoji": "🎓", "q": "\\"<&>"}'


# -- helpers ---------------------------------------------------------------------------------------


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Parse a PNG into (type, body) pairs, checking every CRC (independent of the module)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(ctype + body), ctype
        out.append((ctype, body))
        pos += 12 + length
        if ctype == b"IEND":
            break
    return out


def text_chunks(data: bytes, keyword: str) -> list[tuple[bytes, bytes]]:
    key = keyword.encode("latin-1") + b"\x00"
    return [
        (ctype, body)
        for ctype, body in chunks(data)
        if ctype in (b"iTXt", b"tEXt", b"zTXt") and body.startswith(key)
    ]


def raw_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_bytes(
    size: tuple[int, int] = (64, 48), mode: str = "RGBA", fmt: str = "PNG", **save
) -> bytes:
    image = Image.new(mode, size, (200, 40, 40) if mode == "RGB" else (200, 40, 40, 255))
    for x in range(size[0] // 2):
        for y in range(size[1]):
            image.putpixel((x, y), (20, 90, 200) if mode == "RGB" else (20, 90, 200, 255))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def prepared() -> PreparedPng:
    result = load_image(png_bytes(), "badge.png")
    assert isinstance(result, PreparedPng)
    return result


@pytest.fixture(scope="module")
def badge() -> tuple[PreparedPng, PreparedSvg]:
    return render_badge("Teamwork & <Leadership>", "Example Org", "#1f4e79", "#f2b134", None)


def credential_json(size: int = 3000) -> str:
    document = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Teamwork — équipe 中文",
        "description": "",
    }
    filler = size - len(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    document["description"] = "x" * max(0, filler)
    text = json.dumps(document, ensure_ascii=False)
    assert abs(len(text.encode("utf-8")) - size) < 8
    return text


# -- ImageError ------------------------------------------------------------------------------------


def test_image_error_carries_path_and_message() -> None:
    error = ImageError("content/img/a.png", "broken")
    assert isinstance(error, ValueError)
    assert isinstance(error, CredsiteError)
    assert [str(problem) for problem in error.problems] == ["content/img/a.png: broken"]
    assert str(ImageError(None, "no file")) == "no file"
    assert (error.path, error.message, str(error)) == (
        "content/img/a.png",
        "broken",
        "content/img/a.png: broken",
    )


# -- PNG baking ------------------------------------------------------------------------------------


def test_png_bake_extract_round_trip(prepared: PreparedPng) -> None:
    baked = bake_png(prepared, OB3, TRICKY)
    assert extract_png(baked) == TRICKY
    assert extract_png(baked, OB3) == TRICKY
    assert extract_png(baked, OB2) is None
    assert extract_png(prepared.data) is None
    # Pillow (an independent reader) sees the same text and accepts every CRC
    with Image.open(io.BytesIO(baked)) as image:
        image.verify()
    with Image.open(io.BytesIO(baked)) as image:
        assert image.text[OB3] == TRICKY


def test_itxt_chunk_layout_follows_spec(prepared: PreparedPng) -> None:
    baked = bake_png(prepared, OB3, TRICKY)
    [(ctype, body)] = text_chunks(baked, OB3)
    assert ctype == b"iTXt"
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated kw NUL
    assert body == OB3.encode() + b"\x00\x00\x00\x00\x00" + TRICKY.encode("utf-8")


def test_chunk_sits_right_after_ihdr_before_idat(prepared: PreparedPng) -> None:
    types = [ctype for ctype, _ in chunks(bake_png(prepared, OB3, "{}"))]
    assert types[0] == b"IHDR"
    assert types[1] == b"iTXt"
    assert types.index(b"iTXt") < types.index(b"IDAT")
    assert types[-1] == b"IEND"


def test_baking_twice_leaves_exactly_one_chunk(prepared: PreparedPng) -> None:
    once = bake_png(prepared, OB3, '{"v": 1}')
    twice = bake_png(once, OB3, '{"v": 2}')
    assert len(text_chunks(twice, OB3)) == 1
    assert extract_png(twice) == '{"v": 2}'
    assert len(twice) == len(once)  # the old chunk was removed, nothing else changed
    assert bake_png(twice, OB3, '{"v": 1}') == once


def test_both_keywords_coexist(prepared: PreparedPng) -> None:
    both = bake_png(bake_png(prepared, OB3, '{"ob": 3}'), OB2, '{"ob": 2}')
    assert extract_png(both, OB3) == '{"ob": 3}'
    assert extract_png(both, OB2) == '{"ob": 2}'
    rebaked = bake_png(both, OB3, '{"ob": 3, "again": true}')
    assert extract_png(rebaked, OB2) == '{"ob": 2}'
    assert extract_png(rebaked, OB3) == '{"ob": 3, "again": true}'
    assert len(text_chunks(rebaked, OB3)) == len(text_chunks(rebaked, OB2)) == 1


def test_baking_replaces_legacy_text_chunks_with_the_same_keyword() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text(OB2, "https://example.org/assertions/1")  # legacy tEXt hosted URL
    info.add_text(OB3, "old", zip=True)  # zTXt
    info.add_text("Comment", "keep me")
    raw = png_bytes(pnginfo=info)
    assert extract_png(raw, OB2) == "https://example.org/assertions/1"  # tEXt fallback
    baked = bake_png(bake_png(raw, OB2, '{"new": 2}'), OB3, '{"new": 3}')
    assert [c for c, _ in text_chunks(baked, OB2)] == [b"iTXt"]
    assert [c for c, _ in text_chunks(baked, OB3)] == [b"iTXt"]
    assert extract_png(baked, OB2) == '{"new": 2}'
    assert len(text_chunks(baked, "Comment")) == 1  # other chunks are copied byte for byte


def test_extract_reads_compressed_itxt() -> None:
    body = OB3.encode() + b"\x00\x01\x00\x00\x00" + zlib.compress(TRICKY.encode("utf-8"))
    raw = png_bytes()
    spliced = raw[:33] + raw_chunk(b"iTXt", body) + raw[33:]
    assert extract_png(spliced) == TRICKY


def test_bake_png_does_not_reencode(prepared: PreparedPng) -> None:
    baked = bake_png(prepared, OB3, "{}")
    without = b"".join(raw_chunk(c, b) for c, b in chunks(baked) if c != b"iTXt")
    assert b"\x89PNG\r\n\x1a\n" + without == prepared.data


def test_baked_png_size_for_a_3kb_credential(prepared: PreparedPng, badge) -> None:
    text = credential_json(3000)
    overhead = 12 + len(OB3) + 5  # length, type, CRC + iTXt header
    for png in (prepared, badge[0]):
        baked = bake_png(png, OB3, text)
        assert len(baked) == len(png.data) + len(text.encode("utf-8")) + overhead
        assert extract_png(baked) == text


def test_bad_keyword_is_refused(prepared: PreparedPng) -> None:
    for keyword in ("", "x" * 80, " lead", "double  space", "ключ"):
        with pytest.raises(ValueError):
            bake_png(prepared, keyword, "{}")


def test_bake_png_is_a_fast_splice(prepared: PreparedPng) -> None:
    text = credential_json(3000)
    start = time.perf_counter()
    for _ in range(1000):
        bake_png(prepared, OB3, text)
    assert time.perf_counter() - start < 1.0  # typically ~10 ms for all 1000


# -- corrupt and hostile rasters -------------------------------------------------------------------


def test_corrupt_png_bad_crc(prepared: PreparedPng) -> None:
    baked = bytearray(bake_png(prepared, OB3, "{}"))
    idat = baked.index(b"IDAT")
    baked[idat + 10] ^= 0xFF
    for call in (
        lambda: extract_png(bytes(baked), path="x.png"),
        lambda: bake_png(bytes(baked), OB3, "{}", path="x.png"),
        lambda: load_image(bytes(baked), "x.png"),
    ):
        with pytest.raises(ImageError) as info:
            call()
        assert "x.png" in str(info.value)
    with pytest.raises(ImageError, match="CRC"):
        extract_png(bytes(baked))


@pytest.mark.parametrize("cut", [20, 40, -30, -6])
def test_truncated_png(prepared: PreparedPng, cut: int) -> None:
    data = bake_png(prepared, OB3, "{}")[:cut]
    with pytest.raises(ImageError):
        extract_png(data)
    with pytest.raises(ImageError) as info:
        load_image(data, "content/truncated.png")
    assert "content/truncated.png" in str(info.value)


def test_non_image_bytes() -> None:
    for data in (b"hello world", b"%PDF-1.7 ...", b"\x00" * 100, b""):
        with pytest.raises(ImageError) as info:
            load_image(data, "notes.txt")
        assert str(info.value).startswith("notes.txt: ")
    with pytest.raises(ImageError):
        extract_png(b"GIF89a....")


def bomb_png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + raw_chunk(b"IHDR", ihdr)
        + raw_chunk(b"IDAT", idat)
        + raw_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(100_000, 100_000), (5000, 5000), (4097, 4096), (1, 20_000_000)])
def test_decompression_bomb_is_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ImageError) as info:
        load_image(bomb_png(*size), "content/bomb.png")
    assert "content/bomb.png" in str(info.value)


def test_too_many_bytes_is_refused() -> None:
    with pytest.raises(ImageError, match=r"limit is 40\.0 MiB"):
        load_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * raster.MAX_FILE_BYTES, "big.png")
    svg = f'<svg xmlns="{SVG_NS}"><!-- {"x" * image_format.MAX_BYTES} --></svg>'
    with pytest.raises(ImageError, match=r"limit is 10\.0 MiB for an SVG"):
        load_image(svg.encode(), "big.svg")


def jpeg_bytes(size: tuple[int, int], **save: object) -> bytes:
    """A JPEG photo: its left half red, its right half blue."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 90, 200), (size[0] // 2, 0, *size))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, **save)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A 48-megapixel photo, as a phone takes it (8000x6000), upside down by its EXIF."""
    exif = Image.Exif()
    exif[0x0112] = 3  # Orientation: rotated 180 degrees
    return jpeg_bytes((8000, 6000), exif=exif)


def test_large_phone_photo_is_downscaled(phone_photo: bytes, monkeypatch) -> None:
    decoded: list[tuple[int, int]] = []
    real_load = Image.Image.load

    def load(image: Image.Image):  # what the decoder is asked for
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(Image.Image, "load", load)
    start = time.perf_counter()
    result = load_image(phone_photo, "content/images/photo.jpg")
    assert time.perf_counter() - start < 5
    assert decoded and max(w * h for w, h in decoded) <= 2000 * 1500  # decoded at 1/4 scale
    assert isinstance(result, PreparedPng) and (result.width, result.height) == (512, 512)
    with Image.open(io.BytesIO(result.data)) as image:
        rgba = image.convert("RGBA")
    # 4:3 fitted into the square, turned upright (180 degrees): blue on the left, red on the right
    assert rgba.getpixel((256, 20))[3] == 0
    left, right = rgba.getpixel((60, 256)), rgba.getpixel((450, 256))
    assert left[2] > 150 and left[0] < 60, left
    assert right[0] > 150 and right[2] < 60, right
    assert load_image(phone_photo, "again.jpg") == result


def test_photo_within_the_old_limit_is_decoded_in_full(monkeypatch) -> None:
    """A JPEG up to 4096x4096 is read exactly as before: its badge keeps its bytes."""
    calls: list[object] = []
    monkeypatch.setattr(Image.Image, "draft", lambda self, *args: calls.append(args))
    load_image(jpeg_bytes((2000, 1500)), "photo.jpg")
    assert calls == []


def sof_patched(data: bytes, width: int, height: int) -> bytes:
    """`data` (a JPEG) claiming another size in its frame header."""
    at = data.index(b"\xff\xc0") + 5
    return data[:at] + struct.pack(">HH", height, width) + data[at + 4 :]


@pytest.mark.parametrize("size", [(60_000, 60_000), (16_385, 16_384)])
def test_jpeg_claiming_too_many_pixels_is_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ImageError, match=r"the limit for a JPEG is 268,435,456 pixels") as info:
        load_image(sof_patched(jpeg_bytes((16, 16)), *size), "content/huge.jpg")
    assert str(info.value).startswith("content/huge.jpg: ")


def test_small_jpeg_claiming_a_large_photo_costs_no_more_than_one() -> None:
    """The decoder fills what the data lacks; reduced, that is quick and small."""
    start = time.perf_counter()
    result = load_image(sof_patched(jpeg_bytes((64, 64)), 16_000, 16_000), "content/short.jpg")
    assert time.perf_counter() - start < 5
    assert isinstance(result, PreparedPng) and (result.width, result.height) == (512, 512)


@pytest.mark.parametrize("chunk", [b"iCCP", b"zTXt", b"iTXt"])
def test_png_chunk_zip_bomb_is_refused(chunk: bytes) -> None:
    bomb = zlib.compress(b"\x00" * (4 * 1024 * 1024), 9)  # 4 KiB that expand to 4 MiB
    head = {b"iCCP": b"icc\x00\x00", b"zTXt": b"k\x00\x00", b"iTXt": b"k\x00\x01\x00\x00\x00"}
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 6, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + raw_chunk(b"IHDR", ihdr)
        + raw_chunk(chunk, head[chunk] + bomb)
        + raw_chunk(b"IDAT", zlib.compress(b"\x00" * (16 * 65)))
        + raw_chunk(b"IEND", b"")
    )
    with pytest.raises(ImageError, match="zip bomb") as info:
        load_image(data, "content/bomb.png")
    assert str(info.value).startswith("content/bomb.png: not a valid PNG image")


def test_large_png_says_what_to_do() -> None:
    with pytest.raises(ImageError, match="save a photo as JPEG"):
        load_image(bomb_png(5000, 5000), "content/big.png")


# -- raster normalisation --------------------------------------------------------------------------


def test_jpeg_normalises_to_png() -> None:
    result = load_image(png_bytes((300, 150), "RGB", "JPEG", quality=90), "photo.jpg")
    assert isinstance(result, PreparedPng)
    assert (result.width, result.height) == (512, 512)
    assert result.data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.format == "PNG" and image.size == (512, 512)
        rgba = image.convert("RGBA")
    # 2:1 picture fitted into the square: transparent bands above and below, opaque middle
    assert rgba.getpixel((256, 10))[3] == 0
    assert rgba.getpixel((256, 500))[3] == 0
    assert rgba.getpixel((100, 256))[3] == 255
    assert rgba.getpixel((100, 256))[2] > 150  # the blue half stays on the left


def test_normalised_png_has_no_metadata_chunks() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    info.add_itxt(OB3, '{"stale": true}')
    raw = png_bytes(pnginfo=info, dpi=(300, 300))
    result = load_image(raw, "meta.png")
    assert isinstance(result, PreparedPng)
    types = {ctype for ctype, _ in chunks(result.data)}
    assert types <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    assert extract_png(result.data) is None


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (200, 100), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    result = load_image(buffer.getvalue(), "rotated.jpg")
    assert isinstance(result, PreparedPng)
    with Image.open(io.BytesIO(result.data)) as opened:
        rgba = opened.convert("RGBA")
    assert rgba.getpixel((10, 256))[3] == 0  # now portrait: transparent at the sides
    assert rgba.getpixel((256, 10))[3] == 255


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_other_raster_formats_are_accepted(fmt: str) -> None:
    mode = "RGB" if fmt == "GIF" else "RGBA"
    result = load_image(png_bytes((40, 40), mode, fmt), f"a.{fmt.lower()}")
    assert isinstance(result, PreparedPng)
    assert (result.width, result.height) == (512, 512)


def test_load_image_is_deterministic() -> None:
    raw = png_bytes((123, 77), "RGB", "JPEG")
    first, second = load_image(raw, "a.jpg"), load_image(raw, "b.jpg")
    assert first == second


# -- SVG sanitising --------------------------------------------------------------------------------

CLEAN_SVG = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 100 100"
     inkscape:version="1.3">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>
    <style>.a {{ fill: url(#g); }}</style></defs>
  <circle id="c" cx="50" cy="50" r="40" fill="url(#g)" style="stroke: url('#g')"/>
  <use xlink:href="#c"/><use href="#c"/>
  <image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>
  <text x="50" y="50">Caf&#233; &lt;script&gt; &amp; 中文</text>
</svg>
"""


def load_svg(text: str | bytes, path: str = "content/badge.svg") -> PreparedSvg:
    result = load_image(text.encode("utf-8") if isinstance(text, str) else text, path)
    assert isinstance(result, PreparedSvg)
    return result


def test_clean_svg_is_kept_and_reserialised_deterministically() -> None:
    svg = load_svg(CLEAN_SVG)
    assert svg.data.startswith(f'<svg xmlns="{SVG_NS}"')
    root = ET.fromstring(svg.data)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.find(f"{{{SVG_NS}}}text").text == "Café <script> & 中文"
    assert "<script" not in svg.data
    assert load_svg(CLEAN_SVG) == svg
    assert load_svg(svg.data) == svg  # idempotent
    assert 'inkscape:version="1.3"' in svg.data


def test_svg_without_namespace_is_put_in_the_svg_namespace() -> None:
    svg = load_svg('<svg viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    assert ET.fromstring(svg.data).find(f"{{{SVG_NS}}}rect") is not None


HOSTILE_SVGS = {
    "script": f'<svg xmlns="{SVG_NS}"><script>alert(1)</script></svg>',
    "namespaced script": f'<s:svg xmlns:s="{SVG_NS}"><s:script>alert(1)</s:script></s:svg>',
    "onload": f'<svg xmlns="{SVG_NS}" onload="alert(1)"/>',
    "onclick child": f'<svg xmlns="{SVG_NS}"><rect ONCLICK="alert(1)"/></svg>',
    "foreignObject": f'<svg xmlns="{SVG_NS}"><foreignObject><div/></foreignObject></svg>',
    "xhtml": f'<svg xmlns="{SVG_NS}"><h:b xmlns:h="http://www.w3.org/1999/xhtml"/></svg>',
    "external href": f'<svg xmlns="{SVG_NS}"><image href="https://evil.example/x.png"/></svg>',
    "external xlink": (
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<use xlink:href="other.svg#a"/></svg>'
    ),
    "javascript href": f'<svg xmlns="{SVG_NS}"><a href="javascript:alert(1)"><rect/></a></svg>',
    "svg data uri": f'<svg xmlns="{SVG_NS}"><image href="data:image/svg+xml,%3Csvg/%3E"/></svg>',
    "css url": f'<svg xmlns="{SVG_NS}"><rect style="fill: url(https://evil.example/a)"/></svg>',
    "attribute url": f'<svg xmlns="{SVG_NS}"><rect filter="url(http://x/f.svg#f)"/></svg>',
    "style import": f'<svg xmlns="{SVG_NS}"><style>@import "https://x/a.css";</style></svg>',
    "css escape": f'<svg xmlns="{SVG_NS}"><style>a {{ b: \\75rl(x) }}</style></svg>',
    "animated href": (
        f'<svg xmlns="{SVG_NS}"><a><set attributeName="href" to="javascript:alert(1)"/></a></svg>'
    ),
    "doctype subset": f'<!DOCTYPE svg [<!ATTLIST svg x CDATA "1">]><svg xmlns="{SVG_NS}"/>',
    "empty subset": f'<!DOCTYPE svg PUBLIC "a" "b" []><svg xmlns="{SVG_NS}"/>',
    "illustrator cs entities": (
        '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n'
        '\t<!ENTITY ns_extend "http://ns.adobe.com/Extensibility/1.0/">\n]>\n'
        f'<svg xmlns="{SVG_NS}" xmlns:x="&ns_extend;"/>'
    ),
    "second doctype": f'<!DOCTYPE svg><!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="{SVG_NS}"/>',
    "doctype after root": f'<svg xmlns="{SVG_NS}"><!DOCTYPE svg></svg>',
    "undefined entity": f'<!DOCTYPE svg SYSTEM "x.dtd"><svg xmlns="{SVG_NS}">&nbsp;</svg>',
    "entity": (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        f'<svg xmlns="{SVG_NS}"><text>&b;</text></svg>'
    ),
    "external entity": (
        '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<svg xmlns="{SVG_NS}"><text>&x;</text></svg>'
    ),
    "not svg": "<html><body/></html>",
    "not xml": f'<svg xmlns="{SVG_NS}"><g></svg>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SVGS))
def test_hostile_svg_is_refused_with_path(name: str) -> None:
    with pytest.raises(ImageError) as info:
        load_image(HOSTILE_SVGS[name].encode("utf-8"), "content/images/evil.svg")
    assert info.value.path == "content/images/evil.svg"
    assert str(info.value).startswith("content/images/evil.svg: ")


ILLUSTRATOR_SVG = f"""<?xml version="1.0" encoding="utf-8"?>
<!-- Generator: Adobe Illustrator 28.0.0, SVG Export Plug-In . SVG Version: 6.00 Build 0)  -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg version="1.1" id="Layer_1" xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" x="0px"
\t y="0px" viewBox="0 0 100 100" style="enable-background:new 0 0 100 100;" xml:space="preserve">
<style type="text/css">
\t.st0{{fill:#1F4E79;}}
</style>
<circle class="st0" cx="50" cy="50" r="40"/>
</svg>
"""


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n  '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">',
        "<!DOCTYPE svg>",
        "<!DOCTYPE svg SYSTEM 'http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd' >",
    ],
)
def test_svg_with_a_harmless_doctype_is_accepted_without_it(doctype: str) -> None:
    svg = load_svg(ILLUSTRATOR_SVG.replace(ILLUSTRATOR_SVG.splitlines()[2], doctype))
    assert "DOCTYPE" not in svg.data.upper() and "svg11.dtd" not in svg.data
    assert ET.fromstring(svg.data).find(f"{{{SVG_NS}}}circle").get("class") == "st0"
    assert load_svg(svg.data) == svg
    assert svg == load_svg(ILLUSTRATOR_SVG.replace(ILLUSTRATOR_SVG.splitlines()[2], ""))


def test_svg_doctype_is_dropped_keeping_line_numbers() -> None:
    broken = f'<!DOCTYPE svg PUBLIC "a"\n "b">\n<svg xmlns="{SVG_NS}">\n<g></svg>'
    with pytest.raises(ImageError, match=r"line 4, column 6"):
        load_svg(broken)


def test_svg_entities_are_refused_with_what_to_do() -> None:
    with pytest.raises(ImageError) as info:
        load_svg(HOSTILE_SVGS["illustrator cs entities"], "content/images/logo.svg")
    assert str(info.value).startswith("content/images/logo.svg: SVG declares an ENTITY")
    assert "Export As > SVG" in str(info.value)


def test_extracting_from_an_svg_with_a_doctype_stays_strict() -> None:
    baked = bake_svg(load_svg(CLEAN_SVG), '{"a": 1}')
    assert extract_svg(baked) == '{"a": 1}'
    with pytest.raises(ImageError, match="DOCTYPE"):
        extract_svg("<!DOCTYPE svg>" + baked)


def test_existing_openbadges_elements_are_dropped() -> None:
    baked3 = bake_svg(load_svg(CLEAN_SVG), '{"old": 3}')
    cleaned = load_svg(baked3)
    assert "openbadges" not in cleaned.data
    assert extract_svg(cleaned.data) is None
    legacy = (
        f'<svg xmlns="{SVG_NS}" xmlns:openbadges="http://openbadges.org"><g>'
        '<openbadges:assertion verify="https://x/a.json"><![CDATA[{}]]></openbadges:assertion>'
        "</g></svg>"
    )
    assert "openbadges" not in load_svg(legacy).data


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["rect", "g", "text", "circle", "path", "title"]),
            st.sampled_from(["id", "class", "fill", "d", "onload", "onmouseover", "href", "x"]),
            st.text(max_size=20).filter(lambda s: all(c >= " " for c in s)),
        ),
        max_size=8,
    )
)
def test_sanitised_svg_never_has_scripts_or_handlers(parts: list[tuple[str, str, str]]) -> None:
    body = "".join(
        f'<{tag} {attr}="{svg_format.escape_attr(value)}">{svg_format.escape_text(value)}</{tag}>'
        for tag, attr, value in parts
    )
    try:
        svg = load_svg(f'<svg xmlns="{SVG_NS}">{body}</svg>')
    except ImageError:
        return
    assert "<script" not in svg.data.lower()
    for element in ET.fromstring(svg.data).iter():
        assert not any(name.lower().startswith("on") for name in element.attrib)


# -- SVG baking ------------------------------------------------------------------------------------


def test_svg_bake_extract_round_trip_v3() -> None:
    svg = load_svg(CLEAN_SVG)
    baked = bake_svg(svg, TRICKY)
    assert extract_svg(baked) == TRICKY
    assert extract_svg(baked.encode("utf-8")) == TRICKY
    assert extract_svg(baked, version=2) is None
    root = ET.fromstring(baked)
    first = root[0]
    assert first.tag == "{https://purl.imsglobal.org/ob/v3p0}credential"  # directly after <svg>
    assert first.text == TRICKY
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked[: baked.index(">")]
    assert "]]]]><![CDATA[>" in baked  # the "]]>" inside the JSON was split
    assert extract_svg(svg.data) is None


def test_svg_rebake_replaces_the_element() -> None:
    svg = load_svg(CLEAN_SVG)
    once = bake_svg(svg, '{"v": "1 </openbadges:credential> ]]>"}')
    twice = bake_svg(once, '{"v": 2}')
    assert twice.count("<openbadges:credential") == 1
    assert twice.count("xmlns:openbadges") == 1
    assert extract_svg(twice) == '{"v": 2}'
    assert twice == bake_svg(svg, '{"v": 2}')


def test_svg_bake_v2_assertion() -> None:
    svg = load_svg(CLEAN_SVG)
    url = "https://org.github.io/repo/ob2/assertions/9f0c.json?a=1&b=2"
    baked = bake_svg(svg, '{"type": "Assertion"}', version=2, verify=url)
    root = ET.fromstring(baked)
    assert root[0].tag == "{http://openbadges.org}assertion"
    assert root[0].get("verify") == url
    assert extract_svg(baked, version=2) == '{"type": "Assertion"}'
    assert extract_svg(baked, version=3) is None
    hosted_only = bake_svg(svg, "", version=2, verify=url)
    assert extract_svg(hosted_only, version=2) == url
    switched = bake_svg(baked, "{}")  # an SVG carries one openbadges element only
    assert "openbadges.org" not in switched
    assert extract_svg(switched) == "{}"
    with pytest.raises(ValueError):
        bake_svg(svg, "{}", version=2)
    with pytest.raises(ValueError):
        bake_svg(svg, "{}", version=4)


def test_svg_bake_vc_jwt_uses_verify_attribute() -> None:
    jws = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2ln"
    baked = bake_svg(load_svg(CLEAN_SVG), "", verify=jws)
    assert f'<openbadges:credential verify="{jws}"/>' in baked
    assert extract_svg(baked) == jws


def test_svg_bake_self_closing_root_and_foreign_text() -> None:
    empty = bake_svg(f'<svg xmlns="{SVG_NS}"/>', "{}")
    assert extract_svg(empty) == "{}"
    assert ET.fromstring(empty).tag == f"{{{SVG_NS}}}svg"
    # SVG text not produced by load_image (prolog, comments) still bakes correctly
    foreign = bake_svg(CLEAN_SVG, TRICKY)
    assert extract_svg(foreign) == TRICKY
    assert ET.fromstring(foreign)[0].tag == "{https://purl.imsglobal.org/ob/v3p0}credential"


def test_svg_bake_with_openbadges_mentioned_in_text() -> None:
    source = (
        f'<svg xmlns="{SVG_NS}"><text> openbadges:x="1" &lt;openbadges:credential&gt;</text>'
        "<g/>  tail</svg>"
    )
    for svg in (source, load_svg(source)):
        baked = bake_svg(bake_svg(svg, '{"a": 1}'), TRICKY)
        assert extract_svg(baked) == TRICKY
        text = ET.fromstring(baked).find(f"{{{SVG_NS}}}text")
        assert text is not None and text.text == ' openbadges:x="1" <openbadges:credential>'


def test_dropping_a_baked_element_keeps_surrounding_text() -> None:
    baked = bake_svg(load_svg(f'<svg xmlns="{SVG_NS}">\n  <rect/>\n</svg>'), "{}")
    assert load_svg(baked).data == f'<svg xmlns="{SVG_NS}">\n  <rect/>\n</svg>'


def test_svg_bake_refuses_text_xml_cannot_hold() -> None:
    for text in ('{"a": "\x00"}', '{"a": 1}\r\n', "\x1b", "\ud800"):
        with pytest.raises(ImageError):
            bake_svg(load_svg(CLEAN_SVG), text)


def test_svg_from_png(prepared: PreparedPng) -> None:
    svg = svg_from_png(prepared)
    assert "data:image/png;base64," in svg.data
    assert load_svg(svg.data) == svg  # passes the sanitiser unchanged
    assert extract_svg(bake_svg(svg, TRICKY)) == TRICKY


# -- round-trip properties -------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_png_round_trip_property(text: str) -> None:
    png = PreparedPng(bomb_png(1, 1), 1, 1)
    assert extract_png(bake_png(png, OB3, text)) == text


XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r\ufffe\uffff"
        + "".join(chr(c) for c in range(32) if chr(c) not in "\t\n"),
    ),
    max_size=500,
)


@settings(max_examples=200, deadline=None)
@given(XML_TEXT)
def test_svg_round_trip_property(text: str) -> None:
    svg = PreparedSvg(f'<svg xmlns="{SVG_NS}" viewBox="0 0 1 1"><rect/></svg>')
    baked = bake_svg(svg, text)
    assert extract_svg(baked) == (text or "")


# -- generated art ---------------------------------------------------------------------------------


def test_render_badge(badge: tuple[PreparedPng, PreparedSvg]) -> None:
    png, svg = badge
    assert (png.width, png.height) == (512, 512)
    assert len(png.data) < 48 * 1024
    with Image.open(io.BytesIO(png.data)) as image:
        assert image.size == (512, 512)
        rgba = image.convert("RGBA")
    assert rgba.getpixel((2, 2))[3] == 0  # round: transparent corners
    assert rgba.getpixel((256, 30)) == (242, 177, 52, 255)  # the ring in the secondary colour
    assert rgba.getpixel((70, 256))[:3] == (31, 78, 121)  # primary exactly (palette kept exact)
    assert {ctype for ctype, _ in chunks(png.data)} <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    root = ET.fromstring(svg.data)
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{SVG_NS}}}text")]
    assert "Teamwork &" in " ".join(texts) and "<Leadership>" in " ".join(texts)
    assert "EXAMPLE ORG" in texts
    assert load_svg(svg.data) == svg  # our own SVG passes the sanitiser unchanged


def test_render_badge_is_deterministic(badge: tuple[PreparedPng, PreparedSvg]) -> None:
    again = render_badge("Teamwork & <Leadership>", "Example Org", "#1f4e79", "#f2b134", None)
    assert again == badge
    other = render_badge("Teamwork & <Leadership>", "Example Org", "#1f4e79", "#f2b135", None)
    assert other[0] != badge[0]


@pytest.mark.parametrize(
    ("name", "issuer", "primary", "secondary"),
    [
        ("A", "B", "#fff", "#000"),
        (
            "Supercalifragilisticexpialidocious-Internationalisation-Expert",
            "X" * 120,
            "#f4f1de",
            "#e07a5f",
        ),
        (
            "Certified Kubernetes Application Developer Level Three",
            "ACME Cloud Academy",
            "#0b6e4f",
            "#c9e4ca",
        ),
        ("Café 中文 Ünïcödé", "Université de Montréal", "#9d0208", "#ffba08"),
        ("Tab\tand\x00control\x1b chars\r\n", " ", "#123", "#abc"),
    ],
)
def test_render_badge_handles_awkward_text(
    name: str, issuer: str, primary: str, secondary: str
) -> None:
    png, svg = render_badge(name, issuer, primary, secondary, None)
    assert (png.width, png.height) == (512, 512) and len(png.data) < 48 * 1024
    assert ET.fromstring(svg.data) is not None


BUNDLED_FONTS = Path(art.__file__).parent / "fonts"


def test_fonts_are_bundled_and_cover_european_scripts_not_cjk() -> None:
    for bold in (True, False):
        face = art._face("Café Жук Ω", bold)
        assert Path(face).parent == BUNDLED_FONTS and Path(face).is_file()
        assert art._covers(face, "Café Ж Ω ő ş ğ")
        assert not art._covers(face, "中文")  # drawn as the missing-glyph box, on every machine
        assert art._face("中文", bold) == face  # never an installed fallback font
    assert (BUNDLED_FONTS / "LICENSE").read_text().startswith("Fonts are (c) Bitstream")
    # fonts/README.md names each file's source, version and sha256
    rows = re.findall(r"\| `(\S+\.ttf)` \| DejaVu Sans[^|]*2\.37 \| `([0-9a-f]{64})` \|",
                      (BUNDLED_FONTS / "README.md").read_text())  # fmt: skip
    assert sorted(rows) == sorted(
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in BUNDLED_FONTS.glob("*.ttf")
    )
    assert len(rows) == 2
    assert "DejaVuSans.ttf" in art.font_fingerprint() in art.cache_version()


def test_drawn_art_ignores_the_machines_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Badge and share card bytes are the same with every system font folder hidden: the art
    reads only credsite's bundled fonts, so a laptop and the CI runner draw the same pixels."""
    args = ("Café 中文 Ünïcödé Leadership", "Université de Montréal", "#9d0208", "#ffba08")
    badge = render_badge(*args, None)
    share = render_share_image(args[0], args[1], badge[0], args[2], args[3])

    real_truetype = ImageFont.truetype
    opened: list[Path] = []

    def bundled_only(font=None, *a, **k):  # type: ignore[no-untyped-def]
        path = Path(os.fsdecode(font)).resolve()
        if path.parent != BUNDLED_FONTS.resolve():
            raise OSError(f"system font {path} read while drawing")
        opened.append(path)
        return real_truetype(font, *a, **k)

    def hidden(path) -> bool:  # type: ignore[no-untyped-def]
        return not str(path).startswith(("/usr/share/fonts", "/usr/local/share/fonts", "/Library"))

    real_isfile, real_exists = os.path.isfile, os.path.exists
    monkeypatch.setattr(os.path, "isfile", lambda p: hidden(p) and real_isfile(p))
    monkeypatch.setattr(os.path, "exists", lambda p: hidden(p) and real_exists(p))
    monkeypatch.setattr(ImageFont, "truetype", bundled_only)
    monkeypatch.setattr(ImageFont, "load_default", lambda *a, **k: pytest.fail("default font"))
    art._font.cache_clear()
    art._glyph.cache_clear()
    try:
        assert render_badge(*args, None) == badge
        assert render_share_image(args[0], args[1], badge[0], args[2], args[3]) == share
    finally:
        art._font.cache_clear()
        art._glyph.cache_clear()
    assert {p.name for p in opened} == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}


def test_render_badge_with_logo(prepared: PreparedPng) -> None:
    png, svg = render_badge(
        "Fire Safety Officer", "City Fire Brigade", "#9d0208", "#ffba08", prepared
    )
    assert len(png.data) < 48 * 1024
    assert "data:image/png;base64," in svg.data
    assert load_svg(svg.data) == svg


def test_render_badge_rejects_bad_colours() -> None:
    with pytest.raises(ImageError):
        render_badge("A", "B", "red", "#000", None)


def test_render_share_image(badge: tuple[PreparedPng, PreparedSvg]) -> None:
    args = ("Teamwork & Leadership", "Example Org", badge[0], "#1f4e79", "#f2b134")
    data = render_share_image(*args)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 627)
    assert render_share_image(*args) == data
    assert {ctype for ctype, _ in chunks(data)} <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


# -- images as they come, in a build ---------------------------------------------------------------


def test_site_with_a_phone_photo_and_an_illustrator_svg_builds(
    make_site, phone_photo: bytes
) -> None:
    from conftest import MENTOR, TEAMWORK, build_site

    root = make_site(
        {
            "content/images/photo.jpg": phone_photo,
            "content/images/logo.svg": ILLUSTRATOR_SVG,
            "content/achievements/teamwork.yaml": TEAMWORK + "image: images/photo.jpg\n",
            "content/achievements/mentor.yaml": MENTOR + "image: images/logo.svg\n",
        }
    )
    build_site(root)
    with Image.open(root / "_site/images/achievements/teamwork.png") as image:
        assert image.size == (512, 512)
    svg = (root / "_site/images/achievements/mentor.svg").read_text(encoding="utf-8")
    assert "DOCTYPE" not in svg and "st0" in svg


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("huge.png", bomb_png(100_000, 100_000), "a decompression bomb?"),
        ("entities.svg", HOSTILE_SVGS["illustrator cs entities"].encode(), "declares an ENTITY"),
    ],
    ids=["png-100000x100000", "svg-entities"],
)
def test_hostile_image_stops_the_build_at_its_line(
    make_site, name: str, data: bytes, message: str
) -> None:
    import subprocess
    import sys

    from conftest import TEAMWORK

    root = make_site(
        {
            f"content/images/{name}": data,
            "content/achievements/teamwork.yaml": TEAMWORK + f"image: images/{name}\n",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "credsite", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert f"error: content/achievements/teamwork.yaml:4:8: content/images/{name}: " in (
        result.stderr
    )
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()
