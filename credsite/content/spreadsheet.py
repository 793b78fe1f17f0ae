"""Awards from a spreadsheet: ``content/awards/*.csv``, one award per row.

Each row becomes a located mapping, which
`model` checks with `read_award` exactly like an award written in YAML, so a CSV and a YAML file accept the same
values and report the same mistakes. A problem points at its cell as ``file.csv:ROW:COLUMN``: ROW
is the spreadsheet's row number (the header is row 1, a cell with a line break still counts as
one row) and COLUMN the 1-based column number, as a spreadsheet program shows them.

Columns: ``name``, ``email`` and ``achievement`` are required; ``id``, ``issued``, ``expires``,
``narrative``, ``evidence`` (URLs separated by spaces or line breaks), ``role``, ``status``,
``status_reason`` and ``status_date`` are the award's own fields; every other column is a
per-recipient field (`Award.fields`), left out for a row whose cell is empty. Column names are
case-insensitive; spaces and hyphens in them count as ``_`` (``Status reason`` = ``status_reason``).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from pathlib import Path

from credsite.content.yamlsource import MAX_FILE_BYTES, UNPUBLISHABLE, Map, Seq
from credsite.errors import Location, Problems

REQUIRED = ("name", "email", "achievement")
# The award fields a column may name (model.AWARD_FIELDS without the two that take structure);
# listed here so that this module stays below model (docs/architecture.md).
AWARD_COLUMNS = (
    "id", "achievement", "name", "email", "issued", "expires", "narrative", "role", "status",
    "status_reason", "status_date",
)  # fmt: skip
DELIMITERS = ",;\t"


Row = tuple[Map, tuple[str, ...]]
"""One row as a located mapping, and the required cells it lacks (already reported)."""


def load_rows(path: Path, shown: str, problems: Problems) -> list[Row]:
    """Every award row of one CSV file; problems are added to `problems`, never raised."""
    text = _read_text(path, shown, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        problems.add(Location(shown, reader.line_num), f"not a valid CSV file: {exc}")
        return []
    if not rows or not any(cell.strip() for cell in rows[0]):
        if any(any(cell.strip() for cell in row) for row in rows):
            problems.add(Location(shown, 1, 1), "the first row must name the columns")
        return []
    columns = _columns(rows[0], shown, problems)
    if columns is None:
        return []
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # an empty row: spreadsheets often end with a few
        result.append(_read_row(row, number, columns, shown, problems))
    return result


def _read_text(path: Path, shown: str, problems: Problems) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.add(
                Location(shown),
                f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: split it into "
                "several files",
            )
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.add(Location(shown), f"cannot read file: {exc.strerror}")
        return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # Excel's "Unicode text" export
    else:
        encoding = "utf-8-sig"  # with or without the BOM Excel's "CSV UTF-8" writes
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(
            Location(shown, line),
            "file is not UTF-8 text: save the spreadsheet as 'CSV UTF-8' (Excel) or "
            "'Text CSV' with character set Unicode (UTF-8) (LibreOffice)",
        )
        return None


def _delimiter(text: str) -> str:
    """Comma, or the semicolon / tab some spreadsheet exports use, judged by the header row."""
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)  # ties (none at all) keep the comma


def _normalise(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _columns(header: list[str], shown: str, problems: Problems) -> dict[int, str] | None:
    """Column index (0-based) -> normalised name; None if the file cannot be read further."""
    columns: dict[int, str] = {}
    seen: dict[str, int] = {}
    ok = True
    for index, raw in enumerate(header):
        name = _normalise(raw)
        if not name:
            continue  # a column without a name may only hold empty cells (checked per row)
        if name in seen:
            problems.add(
                Location(shown, 1, index + 1),
                f"column '{raw.strip()}' appears twice (also column {seen[name] + 1})",
            )
            ok = False
            continue
        seen[name] = index
        columns[index] = name
    for name in REQUIRED:
        if name not in seen:
            close = difflib.get_close_matches(name, list(seen), n=1, cutoff=0.7)
            hint = f" (is '{close[0]}' meant to be '{name}'?)" if close else ""
            problems.add(
                Location(shown, 1, 1),
                f"missing column '{name}': the first row must name the columns, and "
                f"'name', 'email' and 'achievement' are required{hint}",
            )
            ok = False
    return columns if ok else None


def _read_row(
    row: list[str], number: int, columns: dict[int, str], shown: str, problems: Problems
) -> Row:
    def cell(index: int) -> Location:
        return Location(shown, number, index + 1)

    by_name = {name: index for index, name in columns.items()}
    item = Map(cell(by_name["achievement"]))
    fields: Map | None = None
    missing = []
    for index, raw in enumerate(row):
        value = raw.replace("\r\n", "\n").replace("\r", "\n").strip()  # line breaks as in YAML
        name = columns.get(index)
        if name is None:
            if value:
                problems.add(
                    cell(index),
                    "this cell has no column name: add one in the first row, or empty the cell",
                )
            continue
        if not value:
            continue
        if bad := UNPUBLISHABLE.search(value):
            problems.add(
                cell(index),
                f"character U+{ord(bad.group()):04X} cannot be published (a control character "
                "or a Unicode non-character): remove it",
            )
            continue
        if name == "evidence":
            seq = Seq(cell(index))
            for url in value.split():
                seq.append(url)
                seq.item_locations.append(cell(index))
            _put(item, name, seq, cell(index))
        elif name in AWARD_COLUMNS:
            _put(item, name, value, cell(index))
        else:
            if fields is None:
                fields = Map(cell(index))
                _put(item, "fields", fields, cell(index))
            _put(fields, name, value, cell(index))
    for name in REQUIRED:
        if name not in item:
            index = by_name[name]
            problems.add(cell(index), f"empty '{name}' cell: every award needs a {name}")
            missing.append(name)
    return item, tuple(missing)


def _put(target: Map, key: str, value: object, location: Location) -> None:
    target[key] = value
    target.key_locations[key] = location
    target.value_locations[key] = location
