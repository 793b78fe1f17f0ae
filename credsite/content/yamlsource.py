"""Read YAML into plain Python values that remember where each value came from.

PyYAML's composer gives every node a start mark; we keep it so validation can report
``path:line:col`` for any key or value (MkDocs only reports key names; credsite does better).
Only the safe YAML subset is accepted: no tags that construct Python objects.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import yaml

from credsite.errors import CredsiteError, Location


class Node:
    """Base for values that carry the place they were read from."""

    location: Location


class Map(dict[str, Any], Node):
    """A YAML mapping: a dict that also knows where each key sits.

    Values are what YAML 1.1 makes of them (``yes`` a boolean, ``0012`` the octal number 10,
    ``2026-03-01`` a date); `texts` keeps the source text of every plain scalar that YAML read as
    something other than text or null, so that text fields publish exactly what was written.
    """

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.key_locations: dict[str, Location] = {}
        self.value_locations: dict[str, Location] = {}
        self.texts: dict[str, str] = {}

    def text(self, key: str) -> Any:
        """The value as written: the source text of a number, boolean or date, else the value."""
        return self.texts.get(key, self.get(key))

    def key_location(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def value_location(self, key: str) -> Location:
        value = self.get(key)
        if isinstance(value, Node):
            return value.location
        return self.value_locations.get(key, self.key_location(key))


class Seq(list[Any], Node):
    """A YAML sequence that knows where each item sits."""

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.item_locations: list[Location] = []
        self.item_texts: dict[int, str] = {}
        """Source text of the plain scalar items YAML read as a number, boolean or date."""

    def text(self, index: int) -> Any:
        """Item `index` as written (see `Map.texts`)."""
        return self.item_texts.get(index, self[index])


def _location(path: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


# libyaml's composer when PyYAML was built with it (9x faster); marks carry line and column too.
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PARSER = f"PyYAML {yaml.__version__} {_COMPOSER.__name__}"
"""Which parser reads the files (the two composers differ on a few texts): what a file kept as
parsed (`load`) was parsed by."""
_SCALAR_LOADER = yaml.SafeLoader("")


def _scalar_value(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.tag == _TIMESTAMP and len(text) == 10 and text[4] == text[7] == "-":
        year, month, day = text[:4], text[5:7], text[8:]
        if text.isascii() and (year + month + day).isdigit():
            # A plain date, as most awards give one (YYYY-MM-DD): what SafeConstructor makes
            # of it, without its regular expression (a tenth of a large awards file's reading).
            try:
                return dt.date(int(year), int(month), int(day))
            except ValueError:
                return text  # 2026-13-01: as below
    if node.tag in _NUMBER_TAGS and (len(text) > MAX_NUMBER_TEXT or text.count(":") > 20):
        return text  # PyYAML builds a base-60 number in quadratic time: never a number anyway
    # SafeConstructor resolves the implicit tag (int, bool, date, timestamp, ...) for us.
    try:
        value = _SCALAR_LOADER.construct_object(node, deep=True)
    except (ValueError, AttributeError, KeyError, IndexError):
        # Looks like a date but is not one (2026-13-01, 2026-02-30), or an explicit tag on a
        # value that is not of its type (!!timestamp soon, !!bool maybe, !!int ""): keep the
        # text, so the field's own check reports it at its line and column, not a traceback.
        return text
    else:
        if type(value) is int and value.bit_length() > MAX_INT_BITS:
            return text  # 0xFFF...F: an integer Python will not write out in decimal
        return value
    finally:
        # The loader caches every node it constructs; scalars need no cache, and keeping one
        # would hold every node of every file parsed in this process.
        _SCALAR_LOADER.constructed_objects.clear()
        _SCALAR_LOADER.recursive_objects.clear()


def _convert(
    node: yaml.Node, path: str, location: Location | None = None, limits: _Limits | None = None
) -> Any:
    """`node` as Map, Seq and values; `location`: where it starts, if the caller has it.

    `limits`: checked here, node by node, when the file has no alias (`parse`): then each node is
    converted once, and the depth and count of values are the tree's own."""
    location = location or _location(path, node.start_mark)
    if limits is not None:
        limits.check(node, path)
    if isinstance(node, yaml.MappingNode):
        result = Map(location)
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE:
                raise CredsiteError(
                    "merge keys (<<) are not supported: write the values out, or give the "
                    "shared ones once at the top of a cohort file",
                    _location(path, key_node.start_mark),
                )
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SAFE_TAGS:
                raise CredsiteError("mapping keys must be plain text", location)
            key = key_node.value  # as written: a key `0012` or `yes` is that text
            key_loc = _location(path, key_node.start_mark)
            if key in result:
                raise CredsiteError(f"duplicate key '{key}'", key_loc)
            value_loc = _location(path, value_node.start_mark)
            result[key] = _convert(value_node, path, value_loc, limits and limits.deeper())
            result.key_locations[key] = key_loc
            result.value_locations[key] = value_loc
            if (text := _source_text(value_node, result[key])) is not None:
                result.texts[key] = text
        return result
    if isinstance(node, yaml.SequenceNode):
        seq = Seq(location)
        for item in node.value:
            item_loc = _location(path, item.start_mark)
            seq.append(_convert(item, path, item_loc, limits and limits.deeper()))
            seq.item_locations.append(item_loc)
            if (text := _source_text(item, seq[-1])) is not None:
                seq.item_texts[len(seq) - 1] = text
        return seq
    assert isinstance(node, yaml.ScalarNode)
    if node.tag == _STR:
        value: Any = node.value  # what SafeConstructor makes of a text, without its overhead
    elif node.tag not in _SAFE_TAGS:
        raise CredsiteError(f"unsupported YAML tag {node.tag}", location)
    else:
        value = _scalar_value(node)
    if isinstance(value, str) and (bad := UNPUBLISHABLE.search(value)):
        raise CredsiteError(
            f"character U+{ord(bad.group()):04X} cannot be published (a control character or "
            "a Unicode non-character, which XML and HTML do not carry): remove it",
            location,
        )
    return value


UNPUBLISHABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)
"""What no text field may hold: the control characters XML 1.0 cannot store unchanged (all but
tab and line feed) and the Unicode non-characters (U+FFFE, U+FFFF, U+FDD0..U+FDEF, ...). YAML
itself refuses them written as they are, but a double-quoted escape such as "\\uFFFE" gets
through."""


def _source_text(node: yaml.Node, value: Any) -> str | None:
    """The text of a plain scalar that YAML 1.1 read as a number, boolean or date, else None.

    ``0012345`` is the octal 5349, ``12:30`` the base-60 750, ``1.10`` the float 1.1, ``NO`` the
    boolean false: a text field must publish what the coordinator typed, not what YAML made of it.
    """
    if isinstance(node, yaml.ScalarNode) and value is not None and not isinstance(value, str):
        return str(node.value)
    return None


_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_SAFE_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    _TIMESTAMP,
}


MAX_NUMBER_TEXT = 5_000
"""The longest text read as a number (Python writes no integer of more than 4,300 digits)."""
MAX_INT_BITS = 4_000 * 3
"""The largest integer read as a number (about 3,600 digits): Python refuses to write one of more
than 4,300 digits in decimal (``sys.get_int_max_str_digits``), which a hexadecimal or base-60
number in YAML can reach in a few thousand characters; a larger one is kept as its text."""
MAX_FILE_BYTES = 10 * 1024 * 1024
"""The largest YAML (or CSV) file read: about 50,000 awards; split larger lists into files."""
MAX_VALUES = 1_000_000
"""The most values (scalars, mappings, lists) one file may hold once aliases are expanded: a
"billion laughs" alias bomb stops here, before anything is expanded."""
MAX_DEPTH = 50
"""The deepest nesting of mappings and lists (content needs about five levels)."""


def _check_shape(root: yaml.Node, path: str, root_depth: int = 0) -> None:
    """Refuse alias bombs, recursive aliases and deep nesting before expanding anything
    (`root_depth`: how deep `root` sits in its file, as `parse`'s `depth`).

    The composer shares an anchored node between its aliases, so the expanded size of every node
    is computed once (linear in the written file) and checked against the limits.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, height) once expanded

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        known = sizes.get(id(node))
        if known is not None:
            if known[0] < 0:
                raise CredsiteError(
                    "this value contains an alias to itself (a recursive YAML alias)",
                    _location(path, node.start_mark),
                )
            return known
        if depth > MAX_DEPTH:
            raise CredsiteError(
                f"values are nested more than {MAX_DEPTH} levels deep",
                _location(path, node.start_mark),
            )
        sizes[id(node)] = (-1, 0)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        values, height = 1, 0
        for child in children:
            child_values, child_height = measure(child, depth + 1)
            values += child_values
            height = max(height, child_height + 1)
        if root_depth + height > MAX_DEPTH:
            raise CredsiteError(
                f"values are nested more than {MAX_DEPTH} levels deep once aliases are expanded",
                _location(path, node.start_mark),
            )
        if values > MAX_VALUES:
            raise CredsiteError(
                f"this value holds more than {MAX_VALUES:,} values once its aliases (*name) are "
                "expanded: is it an alias bomb?",
                _location(path, node.start_mark),
            )
        sizes[id(node)] = (values, height)
        return values, height

    measure(root, root_depth)


def parse(text: str, path: str, depth: int = 0) -> Any:
    """Parse one YAML document; syntax errors become a located `CredsiteError`. `depth`: how
    deep its root sits in a file it is part of (`_Pieces`), for `MAX_DEPTH`."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except RecursionError:  # the pure-Python composer on very deep nesting
        raise CredsiteError(
            f"values are nested more than {MAX_DEPTH} levels deep", Location(path)
        ) from None
    except yaml.reader.ReaderError as exc:
        at = exc.position  # LibYAML counts bytes of the UTF-8 text; PyYAML's own reader characters
        if _COMPOSER is not yaml.SafeLoader:
            at = len(text.encode("utf-8", "surrogatepass")[:at].decode("utf-8", "ignore"))
        before = _lines(text[:at])
        line, column = len(before), len(before[-1]) + 1
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a character"
        raise CredsiteError(
            f"{character} is not allowed in YAML (a control character or non-character)",
            Location(path, line, column),
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, path) from None
    except yaml.YAMLError as exc:
        raise CredsiteError(f"YAML syntax error: {exc}", Location(path)) from None
    if node is None:
        return None
    if "*" in text:  # an alias (``*name``) may be there: measure what it expands to first
        _check_shape(node, path, depth)
        return _convert(node, path)
    return _convert(node, path, limits=_Limits(depth, [MAX_VALUES]))


class _Limits:
    """`MAX_DEPTH` and `MAX_VALUES` checked while a file without aliases is converted: the same
    limits as `_check_shape`, without a walk of its own (a tenth of reading a large awards
    file). `left` is shared by every node of the file."""

    __slots__ = ("depth", "left")

    def __init__(self, depth: int, left: list[int]) -> None:
        self.depth, self.left = depth, left

    def deeper(self) -> _Limits:
        return _Limits(self.depth + 1, self.left)

    def check(self, node: yaml.Node, path: str) -> None:
        if self.depth > MAX_DEPTH:
            raise CredsiteError(
                f"values are nested more than {MAX_DEPTH} levels deep",
                _location(path, node.start_mark),
            )
        self.left[0] -= 1 + (len(node.value) if isinstance(node, yaml.MappingNode) else 0)  # keys
        if self.left[0] < 0:
            raise CredsiteError(
                f"this file holds more than {MAX_VALUES:,} values: split it into several files",
                _location(path, node.start_mark),
            )


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, path: str) -> CredsiteError:
    """A YAML syntax error where the mistake is: an unclosed quote where it opens.

    PyYAML reports an unclosed quote at the end of the file ("found unexpected end of stream"),
    or, when a later quote closes it, at the first line it cannot read after that quote.
    """
    quoted = _quoted_before(text, exc.problem_mark)
    if quoted is not None:
        start, end = quoted
        quote = _character_at(text, start) or '"'
        if start.line < end.line:
            return CredsiteError(
                f"YAML syntax error: this {quote} is not closed on its line, so the value runs "
                f"on to line {end.line + 1}, where the next {quote} ends it and what follows "
                f"cannot be read: close the value with {quote} on this line",
                _location(path, start),
            )
        other = "'" if quote == '"' else '"'
        inside = '\\"' if quote == '"' else "''"
        return CredsiteError(
            f"YAML syntax error: this value ends at the {quote} in column {end.column}, before "
            f"the rest of it: to write {quote} inside a value, quote it with {other} instead, "
            f"or write {quote} as {inside}",
            _location(path, start),
        )
    if (
        exc.context == "while scanning a quoted scalar"
        and exc.context_mark is not None
        and "end of stream" in (exc.problem or "")
    ):
        quote = _character_at(text, exc.context_mark) or '"'
        return CredsiteError(
            f"YAML syntax error: this {quote} is never closed: end the value with {quote}",
            _location(path, exc.context_mark),
        )
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or "invalid YAML"
    if exc.context:
        message = f"{message} ({exc.context})"
    return CredsiteError(f"YAML syntax error: {message}", _location(path, mark))


_KEY_OR_ITEM = re.compile(r"\s*(?:-\s|[^\s#'\"][^:#]*:(?:\s|$))")
"""A line that starts a key (``email: ...``) or a list item (``- ...``)."""


def _quoted_before(text: str, problem: yaml.Mark | None) -> tuple[yaml.Mark, yaml.Mark] | None:
    """(start, end) of the quoted value a syntax error at `problem` comes from, if any:

    * one that ran over lines holding keys or list items and ended on the line where parsing
      failed (its opening quote was meant to be closed on its own line);
    * one directly followed, on its line, by more text where parsing failed (a quote inside a
      value quoted with the same quote: ``"He said "hi""``).
    """
    if problem is None:
        return None
    lines = _lines(text)
    try:
        for token in yaml.scan(text, Loader=_COMPOSER):
            start, end = token.start_mark, token.end_mark
            if start.line > problem.line:
                break
            if (
                not isinstance(token, yaml.ScalarToken)
                or token.style not in ('"', "'")
                or end.line != problem.line
            ):
                continue
            if start.line < end.line and any(
                _KEY_OR_ITEM.match(line) for line in lines[start.line + 1 : end.line + 1]
            ):
                return start, end
            rest = lines[end.line][end.column :] if end.line < len(lines) else ""
            if start.line == end.line and rest[:1].isalnum() and end.column <= problem.column:
                return start, end
    except yaml.YAMLError:
        pass
    return None


def _lines(text: str) -> list[str]:
    """`text`'s lines as YAML counts them (CR LF, CR, LF, NEL, LINE and PARAGRAPH SEPARATOR)."""
    return _LINE_BREAK.split(text)


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _character_at(text: str, mark: yaml.Mark) -> str | None:
    lines = _lines(text)
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return None


class Parsed(Protocol):
    """Files parsed by earlier builds (a `credsite.cache.KeptMap`), for `load`."""

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


def load(path: Path, display: str | None = None, parsed: Parsed | None = None) -> Any:
    """Read and parse a YAML file; `display` is the path shown in messages.

    `parsed`: where a file is found by its bytes once it has been parsed without a problem
    (`_Freeze`): a file of 10,000 awards is read back in a third of the time it takes to parse."""
    shown = display or str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CredsiteError(
                f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: split it into "
                "several files",
                Location(shown),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise CredsiteError(f"cannot read file: {exc.strerror}", Location(shown)) from None
    text = decode(data, shown)
    if parsed is None:
        return parse(text, shown)
    # A long list is kept by the file's path, item by item (`_Pieces`); any other file by its bytes.
    as_list = "list " + _sha(f"{len(shown)}:{shown}")
    with contextlib.suppress(ValueError, TypeError, IndexError, KeyError, AttributeError):
        if (kept := parsed.get(as_list)) is not None and (read := _Pieces.read(kept, text, shown)):
            value, entry = read
            if entry is not None and entry is not kept:
                parsed.put(as_list, entry)
            return value
    key = hashlib.sha256(b"%d:%s%s" % (len(shown), shown.encode("utf-8"), data)).hexdigest()
    with contextlib.suppress(ValueError, TypeError, IndexError, KeyError):  # not `_Freeze`'s
        if (kept := parsed.get(key)) is not None:
            return _Thaw(text, shown).value(kept)
    value = parse(text, shown)
    # not kept: a text JSON cannot hold (a lone surrogate in a key), or an email not as written
    with contextlib.suppress(TypeError, ValueError, _NotKept):
        freeze = _Freeze(text)
        if (entry := _Pieces.kept(text, value, freeze)) is not None:
            parsed.put(as_list, entry)
        else:
            parsed.put(key, freeze.value(value))
    return value


class _NotKept(Exception):
    """A file `_Freeze` would have to write an email of into the cache (which holds none)."""


class _Freeze:
    """What `parse` made of `text`, as JSON data `_Thaw` makes it again from, every location and
    source text included. Each text written as it is (plain or quoted without escapes) is kept as
    where it is in the file; one that is not (a block scalar, an escape, a folded line) is kept
    itself, unless it holds an ``@``: the cache holds no email (test_privacy), so such a file is
    parsed on every build.

    A mapping is ``["m", line, column, key, key line, key column, value line, value column,
    text, value, ...]``, a list ``["s", line, column, item line, item column, text, item, ...]``,
    a text ``[offset, length]`` in `text` (or itself where it is not written as it is, unless it
    holds an ``@``: the file is then not kept, nor is one with an ``@`` in a key), a number or
    date ``[kind, its text]``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *itertools.accumulate(len(line) + 1 for line in text.split("\n"))]
        """Where each line of `text` starts (line 1 at 0)."""

    def value(self, value: Any, where: Location | None = None) -> Any:
        if isinstance(value, Map):
            frozen: list[Any] = ["m", value.location.line, value.location.column]
            for key, item in value.items():
                if "@" in key:
                    raise _NotKept
                at, there = value.key_locations[key], value.value_locations[key]
                frozen += (key, at.line, at.column, there.line, there.column,
                           value.texts.get(key), self.value(item, there))  # fmt: skip
            return frozen
        if isinstance(value, Seq):
            frozen = ["s", value.location.line, value.location.column]
            for index, item in enumerate(value):
                there = value.item_locations[index]
                frozen += (there.line, there.column, value.item_texts.get(index),
                           self.value(item, there))  # fmt: skip
            return frozen
        kind = type(value)
        if kind is str:
            return self.text_of(value, where)
        if kind is bool or value is None:
            return value
        if kind in _SCALAR_KINDS:
            return [_SCALAR_KINDS[kind], repr(value) if kind is float else str(value)]
        raise TypeError(f"cannot keep a {kind.__name__}")

    def text_of(self, value: str, where: Location | None) -> Any:
        if where is not None and 0 < where.line < len(self.starts):
            start = self.starts[where.line - 1] + where.column - 1
            for offset in (start, start + 1):  # plain, or in quotes
                if self.text.startswith(value, offset):
                    return [offset, len(value)]
        if "@" in value:
            raise _NotKept
        return value


_SCALAR_KINDS = {int: "i", float: "f", dt.datetime: "t", dt.date: "d"}
_THAW: dict[str, Callable[[str], Any]] = {
    "i": int,
    "f": float,
    "t": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
}


class _Thaw:
    """What `_Freeze` was given, made again from its JSON data and the file's `text` (ValueError,
    TypeError, IndexError or KeyError where the data is not `_Freeze`'s: parsed again).
    `lines` and `offset`: how far the frozen part has moved in the file since (`_Pieces`)."""

    def __init__(self, text: str, path: str, lines: int = 0, offset: int = 0) -> None:
        self.text, self.path = text, path
        self.lines, self.offset = lines, offset

    def value(self, frozen: Any) -> Any:
        if type(frozen) is not list:
            return frozen
        path, lines = self.path, self.lines
        tag = frozen[0]
        if tag == "m":
            result = Map(Location(path, frozen[1] + lines, frozen[2]))
            keys, values, texts = result.key_locations, result.value_locations, result.texts
            for at in range(3, len(frozen), 7):
                key, line, column, value_line, value_column, text, item = frozen[at : at + 7]
                result[key] = self.value(item)
                keys[key] = Location(path, line + lines, column)
                values[key] = Location(path, value_line + lines, value_column)
                if text is not None:
                    texts[key] = text
            return result
        if tag == "s":
            seq = Seq(Location(path, frozen[1] + lines, frozen[2]))
            for at in range(3, len(frozen), 4):
                line, column, text, item = frozen[at : at + 4]
                if text is not None:
                    seq.item_texts[len(seq)] = text
                seq.append(self.value(item))
                seq.item_locations.append(Location(path, line + lines, column))
            return seq
        kind, text = frozen
        if type(kind) is int:  # where the text is in the file
            kind += self.offset
            if kind < 0 or text < 0 or kind + text > len(self.text):
                raise ValueError("not in the file")
            return self.text[kind : kind + text]
        return _THAW[kind](text)


class _Pieces:
    """A file that is one long list (a cohort's awards), kept item by item, so that a file with
    a few items changed, added or removed is read again in part: the unchanged items are made
    again from the cache (`_Thaw`, moved to where they are now), the changed ones parsed alone.

    Kept only where the file is what comes before the list (its head: the same bytes, or the
    whole file is parsed) and then the list to its end, each item starting on the line of its
    ``-``, and every line that starts with a ``-`` at the list's indentation an item's. A new
    text is cut at those lines; each run of pieces not kept as they are (by SHA-256) is parsed
    alone and must give one item per piece, each starting on its piece's first line. That is
    what parsing the whole file gives, because each piece starts where the one before left the
    parser (outside any quote, bracket or block text): a kept item did in the file it came from,
    and a piece parsed alone that did not (a quote left open, a bracket, a key after the list)
    is an error there or gives another count of items. What reaches across items is looked for
    in the whole text instead, and the whole file is parsed where any may be there: a line that
    ends the document or starts another, an anchor, an explicit key
    (`_anchor_or_explicit_key`), a directive in the head, a line break or byte order mark YAML
    counts otherwise (`_unusual_text`). So is it on any error, too many changes (`MAX_PARSED`)
    or too many values (`MAX_VALUES`), and its errors are reported as without the cache.

    The cache entry: ``["p", SHA-256 of the text, SHA-256 of the head, the items' indentation,
    the list's depth, the head frozen (the list empty), the head's values, piece, ...]``, a
    piece ``[SHA-256, offset, line, frozen at offset, frozen at line, item line, item column,
    item text, values, frozen item]``: where it is in the text, and where it was in the text it
    was frozen from (`_Freeze`'s offsets and lines are that text's)."""

    MAX_PARSED = 64
    """Runs of changed items parsed alone at most; more, and the whole file is parsed."""

    @staticmethod
    def item_lines(indent: int) -> re.Pattern[str]:
        return re.compile(rf"^ {{{indent}}}-(?: |$)", re.MULTILINE)

    @staticmethod
    def kept(text: str, value: Any, freeze: _Freeze) -> list[Any] | None:
        """The entry of `text` as parsed to `value`, or None where it is not a long list."""
        if isinstance(value, Seq):
            items, depth = value, 0
        elif isinstance(value, Map) and value and isinstance(last := list(value.values())[-1], Seq):
            items, depth = last, 1
        else:
            return None
        if len(items) < 2 or _unusual_text(text) or _anchor_or_explicit_key(text, 0):
            return None
        starts = []
        indent = None
        for at in items.item_locations:
            start = freeze.starts[at.line - 1]
            dash = re.fullmatch(r"( *)- +", text[start : start + at.column - 1])
            if dash is None or indent not in (None, len(dash.group(1))):
                return None
            indent = len(dash.group(1))
            starts.append(start)
        assert indent is not None
        if [m.start() for m in _Pieces.item_lines(indent).finditer(text, starts[0])] != starts:
            return None
        if re.search("^%", text[: starts[0]], re.MULTILINE):
            return None  # a directive (%TAG) the items would not be parsed with, alone
        frozen = freeze.value(value)
        list_frozen = frozen if depth == 0 else frozen[-1]
        head = frozen[:3] if depth == 0 else [*frozen[:-1], list_frozen[:3]]
        pieces = []
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else len(text)
            line, column, item_text, item = list_frozen[3 + 4 * index : 7 + 4 * index]
            pieces.append([_sha(text[start:end]), start, line, start, line,
                           line, column, item_text, _values(items[index]), item])  # fmt: skip
        # the list itself, and for a mapping: itself, its keys and the values before the list's
        head_values = 1 if depth == 0 else 2 + len(value) + sum(map(_values, list(value.values())[:-1]))
        return ["p", _sha(text), _sha(text[: starts[0]]), indent, depth, head, head_values,
                *pieces]  # fmt: skip

    @staticmethod
    def read(entry: list[Any], text: str, path: str) -> tuple[Any, list[Any] | None] | None:
        """`text` made from `entry` and what changed parsed alone, and the entry to keep for it
        (None: keep none); None where the whole file must be parsed."""
        tag, whole, head_sha, indent, depth, head, head_values, *pieces = entry
        if tag != "p" or not pieces:
            raise ValueError("not a kept list")
        if whole == _sha(text):  # unchanged
            return _Pieces.made(text, path, head, depth, [(p, None) for p in pieces]), entry
        if _unusual_text(text):
            return None
        first = pieces[0][1]
        if _sha(text[:first]) != head_sha or _DOCUMENT_MARKER.search(text, first - 1):
            return None  # the head changed, or a document ends or starts in the list
        if _anchor_or_explicit_key(text, first):
            return None
        starts = [m.start() for m in _Pieces.item_lines(indent).finditer(text, first)]
        if not starts or starts[0] != first:
            return None
        known = {piece[0]: piece for piece in reversed(pieces)}
        ends = [*starts[1:], len(text)]
        line = text.count("\n", 0, first) + 1
        placed: list[_Placed] = []
        runs: list[list[int]] = []  # changed pieces, each run of them parsed at once
        lines_at = []
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            lines_at.append(line)
            piece = known.get(sha := _sha(text[start:end]))
            if piece is not None:
                placed.append(([sha, start, line, *piece[3:]], None))  # moved here
            else:
                placed.append(([], None))
                if runs and runs[-1][-1] == index - 1:
                    runs[-1].append(index)
                else:
                    runs.append([index])
            line += text.count("\n", start, end)
        if len(runs) > _Pieces.MAX_PARSED:
            return None
        freeze: _Freeze | None = None
        for run in runs:
            start, end = starts[run[0]], ends[run[-1]]
            try:
                parsed = parse(text[start:end], path, depth)
            except CredsiteError:
                return None
            if not isinstance(parsed, Seq) or len(parsed) != len(run):
                return None
            _moved(parsed, lines_at[run[0]] - 1)  # to its lines in the file
            freeze = freeze or _Freeze(text)
            dash = " " * indent + "-"
            for at, index in enumerate(run):
                item, where = parsed[at], parsed.item_locations[at]
                before = text[starts[index] : starts[index] + where.column - 1]
                if where.line != lines_at[index] or before.rstrip(" ") != dash:
                    return None  # not an item per piece, each on its dash's line (as `kept`)
                try:
                    frozen = freeze.value(item, where)
                except (TypeError, ValueError, _NotKept):
                    frozen = None
                start, line = starts[index], lines_at[index]
                piece = [_sha(text[start : ends[index]]), start, line, start, line,
                         where.line, where.column, parsed.item_texts.get(at), _values(item),
                         frozen]  # fmt: skip
                placed[index] = (piece, item)
        if head_values + sum(piece[_VALUES] for piece, _ in placed) > MAX_VALUES:
            return None
        value = _Pieces.made(text, path, head, depth, placed)
        kept = None
        if all(piece[-1] is not None for piece, _ in placed):
            kept = ["p", _sha(text), head_sha, indent, depth, head, head_values,
                    *(piece for piece, _ in placed)]  # fmt: skip
        return value, kept

    @staticmethod
    def made(text: str, path: str, head: list[Any], depth: int, placed: list[_Placed]) -> Any:
        """The file's value: its head, then each piece's item where it is now."""
        value = _Thaw(text, path).value(head)
        items = value if depth == 0 else list(value.values())[-1]
        for piece, parsed in placed:
            _, start, line, frozen_start, frozen_line, at, column, item_text, _, frozen = piece
            lines = line - frozen_line
            if item_text is not None:
                items.item_texts[len(items)] = item_text
            if parsed is None:
                parsed = _Thaw(text, path, lines, start - frozen_start).value(frozen)
            items.append(parsed)
            items.item_locations.append(Location(path, at + lines, column))
        return value


_DOCUMENT_MARKER = re.compile(r"\n(?:---|\.\.\.)")
"""A line that may end the document or start another (a piece parsed alone would not see that
the rest of the list is in another document)."""


def _unusual_text(text: str) -> bool:
    """Whether `text` has a line break YAML 1.1 counts and a split at ``\\n`` does not (a
    carriage return alone, NEL, LINE or PARAGRAPH SEPARATOR: line numbers would differ), or a
    byte order mark after its start (which YAML skips, but counts in columns)."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text or "\ufeff" in text:
        return True
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _moved(value: Any, lines: int) -> None:
    """Move every location in `value` (made by `parse` from a piece of a file) down `lines`."""
    if isinstance(value, Map):
        value.location = _down(value.location, lines)
        for key in value:
            value.key_locations[key] = _down(value.key_locations[key], lines)
            value.value_locations[key] = _down(value.value_locations[key], lines)
            _moved(value[key], lines)
    elif isinstance(value, Seq):
        value.location = _down(value.location, lines)
        value.item_locations[:] = [_down(at, lines) for at in value.item_locations]
        for item in value:
            _moved(item, lines)


def _down(location: Location, lines: int) -> Location:
    return Location(location.path, location.line + lines, location.column)


def _anchor_or_explicit_key(text: str, start: int) -> bool:
    """Whether `text` from `start` may hold an anchor (``&name``: items that share values,
    define the same anchor twice, an error, or hold an alias to an anchor since removed) or an
    explicit key (``? key``: with no value, the null's place is where the next token starts, in
    the next piece): such a list is not read apart. An ``&`` or ``?`` after a letter or digit
    (``R&D``, ``Why?``) is neither; any other (``Q &A``, ``? ``) is taken for one."""
    for mark, space_after in (("&", False), ("?", True)):
        at = text.find(mark, start)
        while at >= 0:
            after = text[at + 1 : at + 2]
            if (at == 0 or not text[at - 1].isalnum()) and (
                (after in ("", " ", "\t", "\n", "\r")) == space_after
            ):
                return True
            at = text.find(mark, at + 1)
    return False


_Placed = tuple[list[Any], Any]
"""A piece of a kept list where it is now, and its item if it was parsed now (else None: made
from the piece's frozen item)."""
_VALUES = 8
"""Where a piece holds how many values its item counts for."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _values(value: Any) -> int:
    """How many values `value` counts for in `MAX_VALUES` (as `_Limits` counts them)."""
    if isinstance(value, Map):
        return 1 + len(value) + sum(_values(item) for item in value.values())
    if isinstance(value, Seq):
        return 1 + sum(_values(item) for item in value)
    return 1


def decode(data: bytes, shown: str) -> str:
    """UTF-8 text (with or without a BOM); elsewise a `CredsiteError` at the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        before = data[data.rfind(b"\n", 0, start) + 1 : start]
        column = len(before.decode("utf-8", "replace")) + 1
        raise CredsiteError(
            f"file is not UTF-8 text: byte 0x{data[start]:02X} cannot be read (save the file "
            "as UTF-8 in your editor)",
            Location(shown, line, column),
        ) from None
