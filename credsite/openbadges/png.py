"""PNG chunks: bake a credential into a prepared PNG and extract it again, by splicing bytes.

* OB 3.0 (``ob_v3p0/docformat.md`` "Baked Badge"): one uncompressed ``iTXt`` chunk with keyword
  ``openbadgecredential`` holding the credential JSON (or compact JWS), the keyword at most once.
* OB 2.0 (``ob_v2p0/baking/index.md``): ``iTXt`` keyword ``openbadges``. A PNG may carry both.
* ``iTXt`` layout (PNG specification, https://www.w3.org/TR/PNG/#11iTXt): keyword (Latin-1, 1-79
  bytes), NUL, compression flag 0, compression method 0, language tag, NUL, translated keyword,
  NUL, UTF-8 text; CRC-32 over chunk type and data.

No Pillow here: baking thousands of credentials costs thousands of splices, not encodes, and
`credsite verify` reads baked images without the authoring stack.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from credsite.openbadges.image import KEYWORD_OB3, MAX_BYTES, ImageError, PreparedPng

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


def iter_chunks(
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
    for ctype, start, end in iter_chunks(data, path, check_crc=check):
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
    return read_texts(io.BytesIO(data), (keyword,), path=path)[keyword]


def read_texts(
    stream: BinaryIO, keywords: Iterable[str], *, path: str | None = None
) -> dict[str, str | None]:
    """`extract_png` for several keywords at once, reading the PNG from `stream` chunk by chunk.

    Only the text chunks asked for are kept (each at most `MAX_BYTES`); every other chunk is read
    in blocks just to check its CRC, so memory stays small whatever the file's size.
    """
    wanted = {_check_keyword(k): k for k in keywords}
    found: dict[bytes, tuple[bytes, bytes]] = {}
    for ctype, pos, length in _stream_chunks(stream, path):
        if ctype not in (b"iTXt", b"tEXt"):
            _skip(stream, ctype, length, pos, path)
            continue
        body = _read_body(stream, ctype, length, pos, path)
        nul = body.find(b"\x00", 0, 80)
        name = body if nul < 0 else body[:nul]
        if name in wanted and (
            name not in found or (found[name][0] == b"tEXt" and ctype == b"iTXt")
        ):
            found[name] = (ctype, body[len(name) + 1 :])
    texts: dict[str, str | None] = {}
    for raw, keyword in wanted.items():
        if raw not in found:
            texts[keyword] = None
        elif found[raw][0] == b"tEXt":
            texts[keyword] = found[raw][1].decode("latin-1")
        else:
            texts[keyword] = _itxt_text(found[raw][1], keyword, path)
    return texts


_BLOCK = 1 << 16


def _stream_chunks(stream: BinaryIO, path: str | None) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, position, length)`` per chunk, the stream at the chunk's data: the caller
    reads or skips the data and the CRC (`_read_body`, `_skip`). Checks as `iter_chunks` does."""
    if stream.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        raise ImageError(path, "not a PNG file (bad signature)")
    pos = len(PNG_SIGNATURE)
    first = True
    while True:
        header = stream.read(8)
        if len(header) < 8:
            raise ImageError(path, f"truncated PNG: chunk header at byte {pos} runs past the end")
        (length,) = struct.unpack(">I", header[:4])
        ctype = header[4:]
        if length > 0x7FFFFFFF or not _CHUNK_TYPE_RE.fullmatch(ctype):
            raise ImageError(path, f"corrupt PNG: bad chunk header at byte {pos}")
        if first:
            if ctype != b"IHDR" or length != 13:
                raise ImageError(path, "corrupt PNG: the first chunk is not IHDR")
            first = False
        yield ctype, pos, length
        if ctype == b"IEND":
            return
        pos += 12 + length


def _read_body(stream: BinaryIO, ctype: bytes, length: int, pos: int, path: str | None) -> bytes:
    if length > MAX_BYTES:
        raise ImageError(
            path, f"PNG text chunk at byte {pos} is larger than {MAX_BYTES // (1024 * 1024)} MiB"
        )
    body = stream.read(length)
    crc = zlib.crc32(body, zlib.crc32(ctype))
    _check_crc(ctype, pos, path, len(body) == length, crc, stream.read(4))
    return body


def _skip(stream: BinaryIO, ctype: bytes, length: int, pos: int, path: str | None) -> None:
    """Read past a chunk's data in blocks, checking its CRC."""
    crc, left = zlib.crc32(ctype), length
    while left:
        block = stream.read(min(left, _BLOCK))
        if not block:
            break
        crc = zlib.crc32(block, crc)
        left -= len(block)
    _check_crc(ctype, pos, path, left == 0, crc, stream.read(4))


def _check_crc(
    ctype: bytes, pos: int, path: str | None, complete: bool, computed: int, stored: bytes
) -> None:
    name = ctype.decode("ascii")
    if not complete or len(stored) < 4:
        raise ImageError(path, f"truncated PNG: chunk {name} at byte {pos} runs past the end")
    if struct.unpack(">I", stored)[0] != computed:
        raise ImageError(path, f"corrupt PNG: CRC mismatch in chunk {name} at byte {pos}")


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


def strip_chunks(data: bytes) -> bytes:
    """Keep only the chunks needed to display the image (drops text, time, gamma, ICC, EXIF ...)."""
    return PNG_SIGNATURE + b"".join(
        data[start:end]
        for ctype, start, end in iter_chunks(data, None, check_crc=False)
        if ctype in _KEEP_CHUNKS
    )

