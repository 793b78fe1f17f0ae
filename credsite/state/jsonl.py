"""Reading the append-only record files a site commits: the lockfile and the notification ledger.

Each is one JSON value per line, merged by git with ``merge=union`` (see the site's
``.gitattributes``): blank lines and ``#`` comments are skipped, and a merge conflict marker left by
a merge without the union driver is a located problem, as is a line that does not parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from credsite.errors import CredsiteError, Location, Problems
from credsite.values import compact_json_bytes, read_json

Entry = TypeVar("Entry")


def entries(
    path: Path, shown: str, what: str, parse: Callable[[Any], Entry], problems: Problems
) -> Iterator[tuple[int, Entry]]:
    """(line number, `parse` of its JSON) for each line of `path`, which must exist; `what` names
    the file in messages ("lockfile", "ledger"). A line that cannot be read is added to
    `problems` and skipped; a file that cannot be read at all is a `CredsiteError`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CredsiteError(f"cannot read the {what}: {exc}", Location(shown)) from None
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            problems.add(
                Location(shown, number, 1),
                f"merge conflict marker: keep the lines of both sides (the {what} is merged "
                "with merge=union, see .gitattributes)",
            )
            continue
        try:
            value = read_json(text)
            if "\\u" in text:  # an escape may spell half a UTF-16 pair alone, which UTF-8 cannot
                line(value)  # the line written again, as the file's writer writes it
            entry = parse(value)
        except UnicodeEncodeError:
            problems.add(
                Location(shown, number, 1),
                f"unreadable {what} line: half of a UTF-16 surrogate pair alone (such as "
                "\\ud800) is no character",
            )
            continue
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.add(Location(shown, number, 1), f"unreadable {what} line: {exc}")
            continue
        yield number, entry


def line(value: Any) -> str:
    """`value` as one line of such a file: compact JSON, with the characters that `entries`
    (`str.splitlines`) would take for line breaks written as escapes (JSON writes NEL, U+2028 and
    U+2029 as they are, and a line holding one was read as two, neither of them JSON)."""
    text = compact_json_bytes(value).decode("utf-8")
    if _LINE_BREAKS.search(text):
        text = _LINE_BREAKS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    return text


_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
"""The characters `str.splitlines` breaks at that JSON leaves as they are (the others it
escapes: the control characters below U+0020)."""
