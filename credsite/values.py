"""Plain value forms shared by reading, issuing and verifying: URLs, dateTimeStamps, durations.

One third-party import, orjson (`json_bytes`, `compact_json_bytes`): `credsite verify` uses these
without the authoring stack.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import orjson


def is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not _NOT_IN_A_URL.search(text)
        and not has_bad_port(text)
    )


_NOT_IN_A_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
"""A space of any kind (a tab, a no-break space, U+2028) or a control character: no URL holds
one as it is (RFC 3986 §2, RFC 3987 §2.2), and JSON-LD refused a credential's id made with one
(a traceback), where the URL was read without a word."""


def has_bad_port(text: str) -> bool:
    """Whether the URL `text` gives a port that is not a number from 1 to 65535."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False  # not a URL at all: said otherwise
    try:
        return parts.port == 0
    except ValueError:  # out of range, or not a number
        return True


EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
"""The dates a site may give (issued, expires, status_date, and an expiry computed from
'valid_for'): from 1900, before which no award of a living person was issued and a year such as
0026 is a typo for 2026, to 9999, the last year a dateTimeStamp writes with four digits."""


def parse_datetime(value: Any) -> dt.datetime | None:
    """YAML dates and date-times (and their text forms) as aware UTC datetimes.

    A bare date means midnight UTC; a date-time must carry a time zone (VC 2.0 §4.9 dateTimeStamp).
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            # PyYAML drops the zone only for naive input, which VC 2.0 does not allow.
            return None
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:  # 9999-12-31T23:00:00-05:00 is in the year 10000 in UTC
            return None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, str):
        return _parse_datetime_text(value)
    return None


@functools.lru_cache(maxsize=4096)
def _parse_datetime_text(value: str) -> dt.datetime | None:
    """`parse_datetime` of a text, remembered: the lockfile's 30,000 lines at 10,000 awards hold
    few distinct times (a build mints all it mints at one time: 8 on the bench's site)."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return parse_datetime(dt.date.fromisoformat(text))
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parse_datetime(parsed)


def format_datetime(value: dt.datetime) -> str:
    """XML Schema dateTimeStamp in UTC with a ``Z``, seconds precision, the year in four digits.

    Not strftime: its ``%Y`` writes the year 1 as '1' on glibc, which is no dateTimeStamp.
    """
    v = value.astimezone(dt.UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}Z"
    )


_DURATION = re.compile(r"(?P<n>[0-9]+)\s*(?P<unit>years?|months?|weeks?|days?)", re.ASCII)


def parse_duration(text: str) -> tuple[int, str] | None:
    """'2 years', '18 months', '6 weeks', '90 days' -> (n, unit)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        return None
    digits = match["n"].lstrip("0") or "0"
    amount = int(digits) if len(digits) <= 9 else 10**9  # huge: the caller's limit refuses it
    return amount, match["unit"].rstrip("s")


def add_duration(start: dt.datetime, amount: tuple[int, str]) -> dt.datetime:
    """`start` plus an amount of days, weeks, months or years (31 March + 1 month = 30 April).

    Raises OverflowError when the result falls outside the years 1..9999 Python can represent.
    """
    n, unit = amount
    try:
        if unit == "day":
            return start + dt.timedelta(days=n)
        if unit == "week":
            return start + dt.timedelta(weeks=n)
    except OverflowError:
        raise OverflowError("date out of range") from None
    months = n * 12 if unit == "year" else n
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError("date out of range")
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def json_bytes(document: Any) -> bytes:
    """How every published JSON file is written: compact (no space, no indentation), keys in
    the order they were built, UTF-8, and a line break.

    Exactly ``json.dumps(document, ensure_ascii=False, separators=(",", ":"))`` and a line break,
    as `compact_json_bytes` writes it. Compact rather than indented: indentation was a fifth of
    a credential's file and a quarter of a learner record's (which nests its credentials), bytes
    every credential of a site carries to its host (GitHub Pages holds 1 GB), while wallets,
    verifiers and the pages read the JSON, not its layout, and browsers lay it out to be read.
    The signatures are unaffected: eddsa-rdfc-2022 signs the canonical RDF and eddsa-jcs-2022
    the canonical JSON, neither the file's spacing."""
    return _compact(document, newline=True)


_ORJSON_COMPACT = (
    orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS
)
"""orjson's options: a dataclass, a date or a subclass (a StrEnum) raises (no ``default``)
instead of being written, and goes to json.dumps."""


def _maybe_otherwise(data: bytes) -> bool:
    """Whether orjson may have written `data` otherwise than json.dumps (see `_compact`):
    ``null``, ``0.0000`` or ``e-`` between digits anywhere. Substring searches, and for the
    last a pattern that starts with its literal ``e-`` (which the regular expression engine
    looks for as fast as `bytes.find`): a pattern starting with a digit class cost as much as
    writing the credential, and URLs hold many an ``e-`` (``northbridge-alliance``)."""
    if b"null" in data or b"0.0000" in data:
        return True
    for found in _EXPONENT.finditer(data):
        at = found.start()
        if at > 0 and 0x30 <= data[at - 1] <= 0x39:
            return True
    return False


def exact(data: bytes) -> bytes:
    """`data` in memory of its own size. orjson leaves the room it wrote into with what it
    returns (at least 4 KiB, and up to twice the length): a large site holds every credential's
    and record's JSON at once, so without this a third to a half of them was room never used."""
    return bytes(memoryview(data))


_EXPONENT = re.compile(rb"e-[0-9]")
"""How orjson and json.dumps both write a negative exponent: ``e-`` and its first digit."""


def compact_json_bytes(value: Any, *, sort_keys: bool = False) -> bytes:
    """Exactly ``json.dumps(value, ensure_ascii=False, separators=(",", ":"),
    sort_keys=sort_keys)`` in UTF-8: what digests and cache keys are taken of (a learner record's
    digest is recorded in the lockfile, so these bytes must never change), and the published
    JSON (`json_bytes`). Keys sorted by their UTF-8 bytes, which is the order of their code
    points."""
    return _compact(value, sort_keys=sort_keys)


def _compact(value: Any, *, sort_keys: bool = False, newline: bool = False) -> bytes:
    """`compact_json_bytes`, and a line break if asked. orjson writes it (several times faster
    than the standard library) for plain JSON data: str keys; str, int up to 64 bits, float,
    bool, None, list, tuple, dict, none of them a subclass. A dataclass, a date or a subclass
    raises there and goes to ``json.dumps``; a plain Enum or a UUID orjson writes as its value,
    where json.dumps raises (credsite's documents hold neither). orjson spells a float below
    1e-4 differently (``1e-7``, ``0.00001``; Python ``1e-07``, ``1e-05``), so output that may hold
    one (``e-`` after a digit, or ``0.0000``, even inside a string) is written by json.dumps
    too, and so is output holding ``null`` anywhere: orjson writes NaN and the infinities as
    ``null`` where json.dumps writes ``NaN`` and ``Infinity``."""
    options = _ORJSON_COMPACT | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        data = orjson.dumps(value, option=options | (orjson.OPT_APPEND_NEWLINE if newline else 0))
    except (TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
        data = None
    if data is not None and not _maybe_otherwise(data):
        return exact(data)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return (text + "\n" if newline else text).encode("utf-8")


def read_json(text: str) -> Any:
    """Exactly ``json.loads(text)``, read by orjson where it reads the same (the lockfile's
    30,000 lines at 10,000 awards: 0.09 s by the standard library, 0.03 s by orjson). What orjson
    refuses (NaN, a lone surrogate, 1e400) and what it reads otherwise (an integer past 64 bits,
    which it makes a float: only where 19 digits follow each other) the standard library reads,
    with its own messages."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _LONG_NUMBER.search(text) else value


_LONG_NUMBER = re.compile("[0-9]{19}")


def read_cache_json(data: bytes) -> Any:
    """What `cache_json_bytes` wrote, read back by orjson (three times as fast as the standard
    library on the manifest of a large site). Only for credsite's own cache files: orjson reads an
    integer past 64 bits as a float, and a cache holds none. Raises ValueError if unreadable."""
    return orjson.loads(data)


def cache_json_bytes(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact JSON for what only credsite reads back: cache files and the values fingerprints
    are taken of (never published, signed or recorded). orjson as it is, without
    `compact_json_bytes`'s search for what json.dumps would spell otherwise: a fingerprint's
    values hold many nulls, each of which sent the whole value to json.dumps."""
    options = _ORJSON_COMPACT | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return exact(orjson.dumps(value, option=options))  # a cache holds many: no spare room
    except (TypeError, RecursionError):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        return text.encode("utf-8")




def slugify(text: str, *, ascii_only: bool = True) -> str:
    """Lower-case words joined by ``-``: ``"Nguyễn Thị Lan"`` -> ``"nguyen-thi-lan"``.

    Accents are dropped (NFKD). A letter or digit with no ASCII form is percent-encoded (UTF-8),
    so a name in another script still gives a usable, distinct slug for a URL, or with
    ``ascii_only=False`` kept as it is (file names). ``""`` when the text has no letter or digit.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    words: list[str] = []
    word = ""
    latin = False  # the last letter kept was ASCII: a combining mark after it is an accent
    for char in decomposed:
        mark = unicodedata.category(char).startswith("M")
        if mark and latin:
            continue
        if char.isascii() and char.isalnum():
            word += char
            latin = True
        elif char.isalnum() or (mark and word):
            word += char
            latin = False
        else:
            if word:
                words.append(word)
            word = ""
            latin = False
    if word:
        words.append(word)
    slug = unicodedata.normalize("NFC", "-".join(words))
    if ascii_only:
        slug = "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode()) for c in slug)
    return slug


def script_json(value: object) -> str:
    """Compact JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` (a text could
    hold ``</script>`` or ``<!--``), each written as its ``\\u`` escape."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
