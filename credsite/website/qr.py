"""QR codes as PNG images in the page, and as inline SVG, with one fixed mask pattern: fast, and the
same drawing on every build.

A page shows its codes as small PNG images in the page itself (a ``data:`` URL): a code of a
credential URL is about 680 characters so, where its SVG drawing is 2,700 (each stroke of a path
is text), and a credential and its learner record carry three codes. The image has `SCALE` pixels
a module, shown with CSS ``image-rendering: pixelated``: crisp on screen, and a printer or PDF
viewer that smooths images anyway blurs only each module's edge. SVG is what the ``qr`` template
filter draws, and what themes written before the images show (``qr_svg``).

segno (the owner of QR codes here) tries all eight mask patterns of a code and keeps the one with
the fewest hard-to-scan features; that search is most of its time (about 10 ms a code), and a
credential page has two codes. Every mask gives a valid code that any reader decodes (ISO/IEC
18004:2015 7.8: the mask is written in the code's format information): the search only avoids
patterns such as large blocks of one colour, which short URLs at error correction level M do not
come near. So codes are drawn with `MASK` throughout.

A credential site draws thousands of codes of the same shape (URLs of one length), so a code in
byte mode, the mode of every URL (lower-case letters), is drawn by `_fast_matrix`: the modules that
do not depend on the data (finder, timing and alignment patterns, format and version information)
are laid out once per version and error level, and per code only the data and its Reed-Solomon
error correction are computed, then placed with one precomputed permutation. It draws exactly what
``segno.make(url, error="m", micro=False, mask=MASK)`` draws: the first code of each version and
level in a process is compared with segno's, and any difference (or any other content) uses segno.
"""

from __future__ import annotations

import base64
import functools
import itertools
import operator
import re
import struct
import zlib
from collections.abc import Callable

import segno
from markupsafe import Markup, escape

MASK = 2
"""The data mask pattern of every code (``column % 3 == 0``): of the eight, the one with the lowest
worst penalty (ISO/IEC 18004:2015 7.8.3) over sample credential URLs, and as good as any on
average."""
SCALE = 4
"""Pixels a module in a code's PNG image. `_png_data_url` writes a module as one hexadecimal digit
(four pixels at one bit each): another scale takes segno's slow path (`image_url`)."""
PNG_LEVEL = 6
"""zlib's level for the PNG images: level 9 takes twice as long for 1% fewer bytes."""
BORDER = 2
"""Light modules around a code in its image or drawing (its quiet zone). ISO/IEC 18004 asks for 4;
2 is what segno's SVG had on every page since the first, and readers decode them on the page's
light cards and paper."""
ERROR = "m"
"""Error correction level M (15% of the code may be damaged); raised to Q or H when the data fits
in the same version (segno's ``boost_error``)."""

# ISO/IEC 18004:2015 Table 9, by error level, then by version (1..40; index 0 unused):
# error correction codewords per block, and blocks.
_EC_PER_BLOCK = {
    "L": (0, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28,
          28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "M": (0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26,
          28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28),
    "Q": (0, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28,
          30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
    "H": (0, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30,
          24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30),
}  # fmt: skip
_BLOCKS = {
    "L": (0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12,
          12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25),
    "M": (0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20,
          21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    "Q": (0, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27,
          29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    "H": (0, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30,
          32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
}  # fmt: skip
_FORMAT_LEVEL = {"L": 1, "M": 0, "Q": 3, "H": 2}
_BOOST = {"L": ("M", "Q", "H"), "M": ("Q", "H"), "Q": ("H",), "H": ()}
_ALPHANUMERIC = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_MASKS: dict[int, Callable[[int, int], bool]] = {
    0: lambda r, c: (r + c) % 2 == 0,
    1: lambda r, c: r % 2 == 0,
    2: lambda r, c: c % 3 == 0,
    3: lambda r, c: (r + c) % 3 == 0,
    4: lambda r, c: (r // 2 + c // 3) % 2 == 0,
    5: lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    6: lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    7: lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
}


def drawing(url: str) -> str:
    """The bare SVG of a QR code for `url` (error correction M, mask `MASK`)."""
    matrix = _fast_matrix(url)
    if matrix is None:
        code = segno.make(url, error=ERROR, micro=False, mask=MASK)
        return code.svg_inline(scale=1, border=BORDER, omitsize=True, dark="#000", light="#fff")
    return _svg(matrix)


def image_url(url: str) -> str:
    """A ``data:`` URL of the PNG image of `url`'s code: segno's ``png_data_uri(scale=SCALE,
    border=BORDER, compresslevel=PNG_LEVEL)`` of ``segno.make(url, error="m", micro=False,
    mask=MASK)``."""
    matrix = _fast_matrix(url) if SCALE == 4 else None
    if matrix is None:
        code = segno.make(url, error=ERROR, micro=False, mask=MASK)
        return code.png_data_uri(scale=SCALE, border=BORDER, compresslevel=PNG_LEVEL)
    return _png_data_url(matrix)


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


def qr_image(url: str, label: str) -> Markup:
    """A QR code for `url` as an ``<img>`` in the page, with `label` as its text alternative
    (pages also print the URL beside it, WCAG 1.1.1: a code alone helps no one who cannot scan
    it). Its size in pixels is the image's; a theme's CSS sets the size shown."""
    source = image_url(url)
    pixels = _image_size(source)
    return Markup(
        f'<img class="qr" src="{source}" alt="{escape(label)}" width="{pixels}" '
        f'height="{pixels}">'
    )


def _image_size(data_url: str) -> int:
    """The width of the PNG image in `data_url` (IHDR, the bytes after the signature)."""
    head = base64.b64decode(data_url.partition(",")[2][:32])
    return int.from_bytes(head[16:20], "big")


class QrCodes:
    """QR codes for a build's pages (two on a credential page, one on a learner record's)."""

    def __init__(self, svg: bool = True) -> None:
        self.svg = svg
        """Whether pages also get each code as SVG (``qr_svg``, ``wallet_qr_svg``): only a theme
        written before the codes were images shows them, and drawing both costs a third more."""

    def codes(self, name: str, url: str | None, label: str) -> dict[str, Markup | None]:
        """A page's code of `url` under its names in docs/themes.md: ``<name>_image``, an
        ``<img>``, and ``<name>_svg`` if `svg`; None where the page has no code (`url` None)."""
        names = [f"{name}_image", *([f"{name}_svg"] if self.svg else [])]
        if url is None:
            return dict.fromkeys(names)
        codes: dict[str, Markup | None] = {names[0]: qr_image(url, label)}
        if self.svg:
            codes[names[1]] = qr_svg(url, label)
        return codes


# -- the fast path ---------------------------------------------------------------------------------

Matrix = list[bytes]
"""Rows of modules, ``b"1"`` dark and ``b"0"`` light."""


def _fast_matrix(url: str) -> Matrix | None:
    """The modules of `url`'s code, as segno draws it with `MASK`; None where segno must draw."""
    try:
        data = url.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not data or all(b in _ALPHANUMERIC for b in data):
        return None  # numeric or alphanumeric mode: segno's
    found = _version(len(data))
    if found is None:
        return None
    version, level = found
    shape = _shape(version, level)
    if shape is None:
        return None
    matrix = _place(shape, _codewords(data, version, level))
    if not shape.checked:
        expected = segno.make(url, error=ERROR, micro=False, mask=MASK).matrix
        shape.checked = True
        if [bytes(b"01"[m & 1] for m in row) for row in expected] != matrix:
            _SHAPES[(version, level)] = None  # never again in this process: segno draws
            return None
    return matrix


def _data_codewords(version: int, level: str) -> int:
    return _raw_modules(version) // 8 - _EC_PER_BLOCK[level][version] * _BLOCKS[level][version]


def _raw_modules(version: int) -> int:
    """Modules left for data and error correction once every function pattern is drawn."""
    modules = (16 * version + 128) * version + 64
    if version >= 2:
        alignments = version // 7 + 2
        modules -= (25 * alignments - 10) * alignments - 55
        if version >= 7:
            modules -= 36
    return modules


@functools.cache
def _version(length: int) -> tuple[int, str] | None:
    """The smallest version holding `length` bytes at level M, and the level raised as far as it
    goes in that version; None if no version holds them."""
    for version in range(1, 41):
        needed = 4 + (8 if version < 10 else 16) + 8 * length
        if _data_codewords(version, ERROR.upper()) * 8 >= needed:
            level = ERROR.upper()
            for higher in _BOOST[level]:
                if _data_codewords(version, higher) * 8 < needed:
                    break
                level = higher
            return version, level
    return None


def _codewords(data: bytes, version: int, level: str) -> bytes:
    """The final message: data codewords in blocks, each with its Reed-Solomon codewords,
    interleaved (ISO/IEC 18004:2015 7.4 to 7.6)."""
    capacity = _data_codewords(version, level)
    count_bits = 8 if version < 10 else 16
    value = (((0b0100 << count_bits) | len(data)) << 8 * len(data)) | int.from_bytes(data, "big")
    bits = 4 + count_bits + 8 * len(data)
    terminator = min(capacity * 8 - bits, 4)
    bits += terminator
    padding = 8 - bits % 8  # as segno pads: a whole zero byte when already on a byte boundary
    value <<= terminator + padding
    bits += padding
    message = value.to_bytes(bits // 8, "big")[:capacity]
    pads = capacity - len(message)
    message += (b"\xec\x11" * (pads // 2 + 1))[:pads]
    blocks = _BLOCKS[level][version]
    ec_length = _EC_PER_BLOCK[level][version]
    total = _raw_modules(version) // 8
    short = total // blocks - ec_length  # data codewords in a short block
    longs = total % blocks  # the last blocks hold one more
    generator = _generator(ec_length)
    data_blocks, ec_blocks = [], []
    start = 0
    for index in range(blocks):
        size = short + (1 if index >= blocks - longs else 0)
        block = message[start : start + size]
        start += size
        data_blocks.append(block)
        ec_blocks.append(_reed_solomon(block, ec_length, generator))
    # Interleaved: the i-th codeword of each block in turn, then the last of the long blocks
    # (one more each), then the error correction codewords the same way.
    columns = zip(*data_blocks, strict=False)  # as far as the short blocks go
    tails = bytes(block[short] for block in data_blocks[blocks - longs :])
    return (
        bytes(itertools.chain.from_iterable(columns))
        + tails
        + bytes(itertools.chain.from_iterable(zip(*ec_blocks, strict=True)))
    )


_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _i in range(255):
    _EXP[_i] = _value
    _LOG[_value] = _i
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _multiply(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@functools.cache
def _generator(degree: int) -> tuple[int, ...]:
    """For each byte value f, the remainder register's update ``f * g(x)`` as one integer (the
    generator's coefficients after the leading 1, times f, big-endian)."""
    poly = [1]
    for i in range(degree):
        poly = [
            (poly[j] if j < len(poly) else 0) ^ (_multiply(poly[j - 1], _EXP[i]) if j else 0)
            for j in range(len(poly) + 1)
        ]
    coefficients = poly[1:]
    return tuple(
        int.from_bytes(bytes(_multiply(c, f) for c in coefficients), "big") for f in range(256)
    )


def _reed_solomon(block: bytes, degree: int, generator: tuple[int, ...]) -> bytes:
    register = 0
    top = 8 * (degree - 1)
    mask = (1 << 8 * degree) - 1
    for byte in block:
        factor = byte ^ (register >> top)
        register = ((register << 8) & mask) ^ generator[factor]
    return register.to_bytes(degree, "big")


class _Shape:
    """What every code of one version and level shares: the permutation that places the masked
    message bits (and two constants, light and dark) into the rows, and the mask itself."""

    def __init__(self, size: int, gather: Callable[[bytes], tuple[int, ...]], mask: int, bits: int):
        self.size = size
        self.gather = gather
        self.mask = mask
        self.bits = bits
        self.checked = False


_SHAPES: dict[tuple[int, str], _Shape | None] = {}


def _shape(version: int, level: str) -> _Shape | None:
    key = (version, level)
    if key not in _SHAPES:
        _SHAPES[key] = _make_shape(version, level)
    return _SHAPES[key]


def _make_shape(version: int, level: str) -> _Shape:
    size = 4 * version + 17
    module: list[list[int]] = [[0] * size for _ in range(size)]  # 0 light, 1 dark
    function = [[False] * size for _ in range(size)]

    def put(row: int, column: int, dark: bool) -> None:
        module[row][column] = int(dark)
        function[row][column] = True

    for i in range(size):  # timing patterns
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for row, column in ((3, 3), (3, size - 4), (size - 4, 3)):  # finders with their separators
        for dr in range(-4, 5):
            for dc in range(-4, 5):
                r, c = row + dr, column + dc
                if 0 <= r < size and 0 <= c < size:
                    put(r, c, max(abs(dr), abs(dc)) not in (2, 4))
    positions = _alignment_positions(version, size)
    last = len(positions) - 1
    for i, row in enumerate(positions):
        for j, column in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    put(row + dr, column + dc, max(abs(dr), abs(dc)) != 1)
    data = _FORMAT_LEVEL[level] << 3 | MASK
    remainder = data
    for _ in range(10):
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
    format_bits = (data << 10 | remainder) ^ 0x5412

    def bit(value: int, i: int) -> bool:
        return (value >> i) & 1 != 0

    for i in range(6):
        put(i, 8, bit(format_bits, i))
    put(7, 8, bit(format_bits, 6))
    put(8, 8, bit(format_bits, 7))
    put(8, 7, bit(format_bits, 8))
    for i in range(9, 15):
        put(8, 14 - i, bit(format_bits, i))
    for i in range(8):
        put(8, size - 1 - i, bit(format_bits, i))
    for i in range(8, 15):
        put(size - 15 + i, 8, bit(format_bits, i))
    put(size - 8, 8, True)  # the dark module
    if version >= 7:
        remainder = version
        for _ in range(12):
            remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
        version_bits = version << 12 | remainder
        for i in range(18):
            a, b = size - 11 + i % 3, i // 3
            put(b, a, bit(version_bits, i))
            put(a, b, bit(version_bits, i))
    # The data modules in placement order: two-module columns from the right, up then down.
    order: list[tuple[int, int]] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = (right + 1) & 2 == 0
        for vertical in range(size):
            row = size - 1 - vertical if upward else vertical
            for column in (right, right - 1):
                if not function[row][column]:
                    order.append((row, column))
        right -= 2
    bits = len(order)
    light, dark = bits, bits + 1  # the two constants appended to the message bits
    source = [[dark if module[r][c] else light for c in range(size)] for r in range(size)]
    mask = 0
    masked = _MASKS[MASK]
    for index, (row, column) in enumerate(order):
        source[row][column] = index
        mask = mask << 1 | masked(row, column)
    flat = [i for row_sources in source for i in row_sources]
    return _Shape(size, operator.itemgetter(*flat), mask, bits)


def _alignment_positions(version: int, size: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    step = (version * 8 + count * 3 + 5) // (count * 4 - 4) * 2
    return [6, *reversed([size - 7 - i * step for i in range(count - 1)])]


def _place(shape: _Shape, codewords: bytes) -> Matrix:
    """Rows of the code: the message bits (remainder bits 0), masked, in their places."""
    extra = shape.bits - 8 * len(codewords)  # remainder bits
    value = (int.from_bytes(codewords, "big") << extra) ^ shape.mask
    text = format(value, f"0{shape.bits}b").encode("ascii") + b"01"
    modules = bytes(shape.gather(text))
    size = shape.size
    return [modules[r * size : (r + 1) * size] for r in range(size)]


_FIRST_RUN = re.compile(rb"(0*)1+")
"""A row's light modules up to its first dark run, and that run (None: a row all light)."""
_NEXT_RUN = re.compile(rb"0+1+")
"""Each later run of a row with the light modules before it."""
_NEXT_MOVES: dict[bytes, str] = {}
"""The stroke of a later run by its match: its move from the end of the last, its length."""


def _next_move(run: bytes) -> str:
    gap = run.index(b"1")
    move = _NEXT_MOVES[run] = f"m{gap} 0h{len(run) - gap}"
    return move


def _svg(matrix: Matrix, border: int = BORDER) -> str:
    """segno's ``svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")``, made
    from the rows: one path of horizontal strokes, each move relative to the end of the last.

    Only a row's first stroke depends on the rows above it; the later ones, a move along the
    row and a length, are looked up by their modules (`_NEXT_MOVES`): a Python statement per
    stroke took a seventh of the time it takes to render a credential page."""
    size = len(matrix)
    width = size + 2 * border
    parts: list[str] = []
    x_end, row_end = 0, -1
    moves = _NEXT_MOVES
    for row, line in enumerate(matrix):
        first = _FIRST_RUN.match(line)
        if first is None:
            continue
        x1, x2 = first.end(1), first.end()
        if row_end < 0:
            parts.append(f"M{border + x1} {border + row}.5h{x2 - x1}")
        else:
            parts.append(f"m{border + x1 - x_end} {row - row_end}h{x2 - x1}")
        parts += [moves.get(run) or _next_move(run) for run in _NEXT_RUN.findall(line, x2)]
        x_end, row_end = border + len(line.rstrip(b"0")), row
    return (
        f'<svg viewBox="0 0 {width} {width}" class="segno"><path fill="#fff" '
        f'd="M0 0h{width}v{width}h-{width}z"/><path class="qrline" stroke="#000" '
        f'd="{"".join(parts)}"/></svg>'
    )


_NIBBLES = bytes.maketrans(b"01p", b"f00")
"""A module of the PNG image, `SCALE` (4) pixels wide, as a hexadecimal digit: light (0) is four
white pixels (PNG greyscale at one bit: 1 is white), dark (1) four black; "p" pads a row."""


@functools.cache
def _png_frame(size: int, border: int) -> tuple[bytes, bytes, bytes, bytes]:
    """What every PNG image of a code of `size` modules shares: the signature and header chunk,
    the light rows above and below (each a scanline), the rows that repeat a row (PNG's "Up"
    filter, all zero), and what pads a row to whole bytes."""
    width = (size + 2 * border) * SCALE
    row_bytes = -(-width // 8)
    ihdr = struct.pack(">2I5B", width, width, 1, 0, 0, 0, 0)
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
    padding = b"p" * (row_bytes * 2 - size - 2 * border)
    white = bytes.fromhex((b"0" * (size + 2 * border) + padding).translate(_NIBBLES).decode())
    repeat = (b"\2" + bytes(row_bytes)) * (SCALE - 1)
    return head, (b"\0" + white) * border * SCALE, repeat, padding


def _png_chunk(name: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + name + data + struct.pack(">I", zlib.crc32(name + data))


def _png_data_url(matrix: Matrix, border: int = BORDER) -> str:
    """segno's ``png_data_uri(scale=SCALE, border=border, compresslevel=PNG_LEVEL)`` (its
    ``write_png``: greyscale, one bit a pixel, a scanline a row, each row repeated with the "Up"
    filter), made from the rows at C speed: segno builds each scanline a pixel at a time, five
    times as long as the rest of the code. At `SCALE` 4 a module is a hexadecimal digit."""
    size = len(matrix)
    head, light_rows, repeat, padding = _png_frame(size, border)
    light = b"0" * border
    rows = bytes.fromhex(
        (light + (light + padding + light).join(matrix) + light + padding)
        .translate(_NIBBLES)
        .decode("ascii")
    )
    row_bytes = len(rows) // size
    lines = [light_rows]
    for start in range(0, len(rows), row_bytes):
        lines += (b"\0", rows[start : start + row_bytes], repeat)
    lines.append(light_rows)
    idat = zlib.compress(b"".join(lines), PNG_LEVEL)
    png = head + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
