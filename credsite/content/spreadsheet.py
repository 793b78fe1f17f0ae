"""Awards from a spreadsheet: ``content/awards/*.csv`` and ``*.xlsx``, one award per row.

Each row becomes a located mapping, which
`model` checks with `read_award` exactly like an award written in YAML, so a CSV and a YAML file accept the same
values and report the same mistakes. A problem points at its cell. In a CSV file as
``file.csv:ROW:COLUMN``: ROW is the spreadsheet's row number (the header is row 1, a cell with a
line break still counts as one row) and COLUMN the 1-based column number, as a spreadsheet program
shows them. In a workbook as ``file.xlsx:Sheet1!B7``.

Columns: ``name``, ``email`` and ``achievement`` are required; ``id``, ``issued``, ``expires``,
``narrative``, ``evidence`` (URLs separated by spaces or line breaks), ``role``, ``status``,
``status_reason``, ``status_date`` and ``withdrawn`` (true/false) are the award's own fields; a
``result:<name>`` column is the row's result for the achievement's declared result <name>; every
other column is a
per-recipient field (`Award.fields`), left out for a row whose cell is empty. Column names are
case-insensitive; spaces and hyphens in them count as ``_`` (``Status reason`` = ``status_reason``).

A workbook (``.xlsx``, read with openpyxl, this module being its one owner) is read from its first
visible sheet; another visible sheet that holds anything gets a warning, hidden sheets are left
alone. Every cell is read as the text it shows: a number as Excel displays it in the common formats
(``12345``, not ``12345.0``; ``00123`` in a zero-padded format), a date as ISO text
(``2026-03-01``), TRUE/FALSE. A formula is read by its saved result.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from warnings import catch_warnings, simplefilter

from credsite.content.yamlsource import MAX_FILE_BYTES, UNPUBLISHABLE, Map, Seq
from credsite.errors import CredsiteError, Location, Problems, column_letters

REQUIRED = ("name", "email", "achievement")
# The award fields a column may name (model.AWARD_FIELDS without the two that take structure);
# listed here so that this module stays below model (docs/architecture.md).
AWARD_COLUMNS = (
    "id", "achievement", "name", "email", "issued", "expires", "narrative", "role", "status",
    "status_reason", "status_date", "withdrawn", "visibility", "language",
)  # fmt: skip
DELIMITERS = ",;\t"
RESULT_PREFIX = "result:"
"""A ``result:<name>`` column holds each row's result for the achievement's declared result
<name> (its value, achieved level or status: content/README.md)."""


Row = tuple[Map, tuple[str, ...]]
"""One row as a located mapping, and the required cells it lacks (already reported)."""


SUFFIXES = (".csv", ".xlsx")
"""The spreadsheets `load_rows` reads."""

Cell = Callable[[int, int], Location]
"""(row number, 0-based column index) -> where that cell is, as messages show it."""


def load_rows(
    path: Path, shown: str, problems: Problems, warnings: Problems | None = None
) -> list[Row]:
    """Every award row of one CSV file or workbook; problems are added to `problems`, never raised.

    `warnings` receives what is read but may not be what the user meant (a workbook's other sheets).
    """
    if path.suffix.lower() == ".xlsx":
        table = _workbook_rows(
            path, shown, problems, warnings if warnings is not None else Problems()
        )
    else:
        table = _csv_rows(path, shown, problems)
    if table is None:
        return []
    rows, cell = table
    if not rows or not any(cell_text.strip() for cell_text in rows[0]):
        if any(any(cell_text.strip() for cell_text in row) for row in rows):
            problems.add(cell(1, 0), "the first row must name the columns")
        return []
    columns = _columns(rows[0], cell, problems)
    if columns is None:
        return []
    result = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell_text.strip() for cell_text in row):
            continue  # an empty row: spreadsheets often end with a few
        result.append(_read_row(row, number, columns, cell, problems))
    return result


def _csv_rows(path: Path, shown: str, problems: Problems) -> tuple[list[list[str]], Cell] | None:
    text = _read_text(path, shown, problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        problems.add(Location(shown, reader.line_num), f"not a valid CSV file: {exc}")
        return None
    if rows and _quote_left_open(text):
        problems.add(
            Location(shown, len(rows), len(rows[-1])),
            'the quote (") that opens this cell is never closed, so the rest of the file is '
            'read into it: close it with ", or write a quote inside a quoted cell as ""',
        )
        return None
    return rows, lambda number, index: Location(shown, number, index + 1)


def _quote_left_open(text: str) -> bool:
    """Whether a quoted cell runs to the end of the file (which `csv.reader` reads into it
    without a word: a missing closing quote took every row after it)."""
    strict = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        for _ in strict:
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


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


def _columns(header: list[str], cell: Cell, problems: Problems) -> dict[int, str] | None:
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
                cell(1, index),
                f"column '{raw.strip()}' appears twice (also column {_column_name(cell, seen[name])})",
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
                cell(1, 0),
                f"missing column '{name}': the first row must name the columns, and "
                f"'name', 'email' and 'achievement' are required{hint}",
            )
            ok = False
    return columns if ok else None


def _column_name(cell: Cell, index: int) -> str:
    """How a column is named in messages: its number in a CSV file, its letter in a workbook."""
    return column_letters(index + 1) if cell(1, index).sheet else str(index + 1)


def _read_row(
    row: list[str], number: int, columns: dict[int, str], at: Cell, problems: Problems
) -> Row:
    def cell(index: int) -> Location:
        return at(number, index)

    by_name = {name: index for index, name in columns.items()}
    item = Map(cell(by_name["achievement"]))
    fields: Map | None = None
    results: Map | None = None
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
        elif name.startswith(RESULT_PREFIX) and name[len(RESULT_PREFIX) :].strip("_"):
            if results is None:
                results = Map(cell(index))
                _put(item, "results", results, cell(index))
            _put(results, name[len(RESULT_PREFIX) :].strip("_"), value, cell(index))
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


# -- workbooks (.xlsx) ----------------------------------------------------------------------------

_RESAVE = "open it in Excel or LibreOffice and save it as an Excel Workbook (.xlsx)"

_UNREADABLE = (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, SyntaxError)
"""What openpyxl and its XML parser raise for a workbook they cannot read, when it is opened or
when a sheet is read (lazily, row by row): not a zip (an encrypted workbook is one), a part
missing, XML cut short (ElementTree's ParseError is a SyntaxError), a value, coordinate, row
number, shared-string or style index openpyxl cannot parse or find."""

_LAST_ROW = 1_048_576  # Excel's; openpyxl would fill any gap up to a row number with empty rows


def _unreadable(problems: Problems, where: Location, exc: Exception, advice: str = "") -> None:
    detail = f" ({exc})" if str(exc) else ""
    problems.add(where, f"cannot read this workbook{detail}: {_RESAVE}{advice}, or as CSV UTF-8")


def _open_workbook(path: Path, shown: str, problems: Problems, *, data_only: bool) -> Any:
    """The workbook read-only (streamed), or None with a problem; the caller closes it."""
    import openpyxl  # this module owns openpyxl; imported only for a site that has a workbook

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except OSError as exc:
        problems.add(Location(shown), f"cannot read file: {exc.strerror or exc}")
    except _UNREADABLE as exc:
        _unreadable(problems, Location(shown), exc, " (without a password)")
    return None


def _sheet_rows(sheet: Any) -> Iterator[list[Any]]:
    """A read-only sheet's rows from row 1, a row the file leaves out as an empty one, each as its
    cells (openpyxl's `ReadOnlyCell`, `EMPTY_CELL` where the row has none).

    What openpyxl's own `iter_rows` does, but for what it passes over silently: a row numbered 0
    or not after the row before it (which it drops), cells not in column order (it drops those
    right of the row's last cell in the file), a row number beyond Excel's last row (it would
    yield empty rows up to it). Each raises ValueError here, and the XML is read as the rows are: every
    exception of `_UNREADABLE` may come from iterating.
    """
    from openpyxl.cell.read_only import EMPTY_CELL, ReadOnlyCell

    book = sheet.parent
    try:  # openpyxl's own parts (3.1): another version may name them otherwise
        from openpyxl.worksheet._reader import WorkSheetParser

        options = {
            "data_only": book.data_only,
            "epoch": book.epoch,
            "date_formats": book._date_formats,
            "timedelta_formats": book._timedelta_formats,
        }
        source, shared = sheet._get_source, sheet._shared_strings
    except (ImportError, AttributeError):
        sheet.reset_dimensions()  # some programs record a wrong size; read what is there
        yield from (list(row) for row in sheet.iter_rows())
        return
    with source() as opened:  # as ReadOnlyWorksheet._cells_by_row reads it
        parser = WorkSheetParser(opened, shared, **options)
        previous = 0
        for number, cells in parser.parse():
            if not previous < number <= _LAST_ROW:
                where = f"after row {previous}" if previous else "as the first row"
                raise ValueError(f"a row numbered {number} {where}")
            yield from ([] for _ in range(previous + 1, number))
            previous = number
            row: list[Any] = []
            for cell in cells:
                column = cell["column"]
                if column <= len(row):
                    raise ValueError(f"cell {column_letters(column)}{number} is not after "
                                     f"column {column_letters(len(row))} of its row")  # fmt: skip
                row += [EMPTY_CELL] * (column - 1 - len(row))
                row.append(ReadOnlyCell(sheet, **cell))
            yield row


def _workbook_rows(
    path: Path, shown: str, problems: Problems, warnings: Problems
) -> tuple[list[list[str]], Cell] | None:
    """The first visible sheet's rows as the text each cell shows; other sheets are warned about."""
    with catch_warnings():
        # openpyxl warns about what it does not keep (credsite reads cells only), and about a
        # date out of range, which it reads as the error #VALUE!, reported at its cell below
        simplefilter("ignore")
        read = _read_first_sheet(path, shown, problems, warnings)
        if read is None:
            return None
        title, raw = read
        formulas = {
            (number, index)
            for number, row in enumerate(raw, start=1)
            for index, (_, data_type, _) in enumerate(row)
            if data_type == "f"
        }
        saved = _saved_results(path, shown, title, formulas, problems) if formulas else {}
    if saved is None:
        return None

    def at(number: int, index: int) -> Location:
        return Location(shown, number, index + 1, sheet=title)

    rows = []
    for number, row in enumerate(raw, start=1):
        texts = []
        for index, (value, data_type, number_format) in enumerate(row):
            if (number, index) in formulas:
                value = saved.get((number, index))
                if value is None:
                    problems.add(at(number, index), "this formula has no saved result: open the "
                                 "workbook in Excel or LibreOffice and save it again")  # fmt: skip
                    texts.append("")
                    continue
                data_type = "e" if isinstance(value, str) and value in _ERRORS else "n"
            if data_type == "e" or (isinstance(value, str) and value in _ERRORS):
                problems.add(at(number, index), f"this cell shows the error {value}: "
                             "correct it, or empty the cell")  # fmt: skip
                texts.append("")
                continue
            if isinstance(value, float) and not math.isfinite(value):  # 1e999 in the file
                problems.add(at(number, index), "this cell holds a number too large to read: "
                             "correct it, or empty the cell")  # fmt: skip
                texts.append("")
                continue
            texts.append(cell_text(value, number_format))
        rows.append(texts)
    return rows, at


def _read_first_sheet(
    path: Path, shown: str, problems: Problems, warnings: Problems
) -> tuple[str, list[list[tuple[Any, str, str | None]]]] | None:
    """The first visible sheet's title and cells as (value, data type, number format)."""
    book = _open_workbook(path, shown, problems, data_only=False)
    if book is None:
        return None
    where = Location(shown)
    try:
        visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
        if not visible:
            problems.add(Location(shown), "this workbook has no visible sheet to read")
            return None
        sheet = visible[0]
        for other in visible[1:]:
            where = Location(shown, sheet=other.title)
            if _has_values(other):
                warnings.add(
                    Location(shown, sheet=other.title),
                    f"this sheet is not read: credsite reads only a workbook's first sheet "
                    f"('{sheet.title}'). Move its awards there, or into a workbook of their own",
                )
        where = Location(shown, sheet=sheet.title)
        raw = [
            [(cell.value, cell.data_type, cell.number_format) for cell in row]
            for row in _sheet_rows(sheet)
        ]
        return sheet.title, raw
    except _UNREADABLE as exc:
        _unreadable(problems, where, exc)
        return None
    finally:
        book.close()


_ERRORS = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)


def _has_values(sheet: Any) -> bool:
    """Whether a sheet that is not read holds anything (it is warned about); one that cannot be
    read counts as holding something, and is only warned about: it is not the awards' sheet."""
    try:
        return any(
            cell.value is not None and str(cell.value).strip() for row in _sheet_rows(sheet)
            for cell in row
        )  # fmt: skip
    except _UNREADABLE:
        return True


def _saved_results(
    path: Path, shown: str, title: str, wanted: set[tuple[int, int]], problems: Problems
) -> dict[tuple[int, int], Any] | None:
    """The results the spreadsheet program saved for the formula cells `wanted`; None when the
    workbook cannot be read a second time (a problem is added)."""
    book = _open_workbook(path, shown, problems, data_only=True)
    if book is None:
        return None
    try:
        return {
            (number, index): cell.value
            for number, row in enumerate(_sheet_rows(book[title]), start=1)
            for index, cell in enumerate(row)
            if (number, index) in wanted
        }
    except _UNREADABLE as exc:
        _unreadable(problems, Location(shown, sheet=title), exc)
        return None
    finally:
        book.close()


# A number format made of digits only: 0, 00000, #,##0, 0.00, 0%, 0.0% (the first section of
# "positive;negative;zero"). Anything else (currency, fractions, text around it) reads as General.
_DIGITS_FORMAT = re.compile(r"(?P<int>[#,]*0*)(?:\.(?P<dec>0+))?(?P<pct>%)?")


def cell_text(value: Any, number_format: str | None = None) -> str:
    """A workbook cell as the text it shows: ``12345`` not ``12345.0``, dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return _number_text(value, number_format or "General")
    return str(value)


def _number_text(value: float, number_format: str) -> str:
    section = number_format.split(";")[0].strip()
    match = _DIGITS_FORMAT.fullmatch(section)
    if match and ("0" in section or "#" in section):
        decimals = len(match["dec"] or "")
        amount = value * 100 if match["pct"] else value
        if "," in match["int"]:
            text = f"{amount:,.{decimals}f}"
        else:
            digits = match["int"].count("0")  # at least this many, zero-padded: 00123
            width = digits + (decimals + 1 if decimals else 0) + (amount < 0)
            text = f"{amount:0{width}.{decimals}f}" if digits else f"{amount:.{decimals}f}"
        return text + ("%" if match["pct"] else "")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return f"{value:.15g}"  # Excel keeps 15 significant digits


# -- editing one row's cells (credsite revoke / suspend / reinstate) ------------------------------


def set_cells(path: Path, where: Location, values: dict[str, Any]) -> bytes:
    """The spreadsheet at `path` with cells of the row at `where` set, as new file content.

    `values` maps column names to text (or a date), None to empty the cell; a column the file
    lacks is added after the last one (only when there is something to write in it). Every other
    byte of a CSV file stays as it was: quoting, line endings, byte order mark, column order, the
    other rows. A workbook is rewritten by openpyxl only when nothing else in it changes (see
    `_workbook_edit`). Raises `CredsiteError`, located, when the edit cannot be made safely.
    """
    if path.suffix.lower() == ".xlsx":
        return _workbook_edit(path, where, values)
    return _csv_edit(path, where, values)


def _by_hand(where: Location, values: dict[str, Any], why: str) -> CredsiteError:
    names = ", ".join(name for name in values)
    return CredsiteError(
        f"{why}: set the {names} cells of row {where.line} by hand (nothing was changed)",
        Location(where.path, where.line, where.column, where.sheet),
    )


def _cell_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


# CSV: a scanner that keeps the span of every field, so a cell can be replaced in place.


def _scan(text: str, delimiter: str) -> list[tuple[list[tuple[int, int]], int]]:
    """Each record as (the spans of its fields, where its content ends), as `csv.reader` splits."""
    records = []
    i, n = 0, len(text)
    while i < n:
        fields = []
        while True:
            start = i
            if i < n and text[i] == '"':
                i += 1
                while i < n:
                    if text[i] == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            i += 2
                            continue
                        i += 1
                        break
                    i += 1
            while i < n and text[i] not in (delimiter, "\r", "\n"):
                i += 1
            fields.append((start, i))
            if i < n and text[i] == delimiter:
                i += 1
                continue
            break
        end = i
        i += 2 if text.startswith("\r\n", i) else 1
        records.append((fields, end))
    return records


def _quoted(value: str, delimiter: str, always: bool) -> str:
    if always or any(c in value for c in (delimiter, '"', "\r", "\n")) or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


_BOMS = (
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (b"", "utf-8"),
)


def _csv_records(text: str) -> list[list[str]]:
    """The records `load_rows` reads, an empty line as one empty cell."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    return [row or [""] for row in reader]


def _csv_edit(path: Path, where: Location, values: dict[str, Any]) -> bytes:
    raw = path.read_bytes()
    bom, encoding = next((b, e) for b, e in _BOMS if raw.startswith(b))
    try:
        text = raw[len(bom) :].decode(encoding)
    except UnicodeDecodeError:
        raise _by_hand(where, values, "this file is not UTF-8 text") from None
    delimiter = _delimiter(text)
    records = _scan(text, delimiter)
    try:
        rows = _csv_records(text)
    except csv.Error:
        raise _by_hand(where, values, "this file is not valid CSV") from None
    fields = [[_unquote(text[a:b]) for a, b in spans] for spans, _ in records]
    if fields != rows or not 1 < where.line <= len(records):
        raise _by_hand(where, values, "credsite could not map this file's cells safely")
    header_spans, header_end = records[0]
    columns = {_normalise(name): index for index, name in enumerate(rows[0]) if name.strip()}
    quote_all = all(text[a:b].startswith('"') for a, b in header_spans)
    # (start, end, order, text): applied from the end of the file back, so that spans stay valid;
    # at one position the cells appended to the row go after the text of its last cell
    edits: list[tuple[int, int, int, str]] = []
    added = [n for n, v in values.items() if n not in columns and v not in (None, "")]
    if added:
        edits.append((header_end, header_end, 0,
                      "".join(delimiter + _quoted(n, delimiter, quote_all) for n in added)))  # fmt: skip
        columns |= {name: len(rows[0]) + k for k, name in enumerate(added)}
        if any(cell.strip() for row in rows for cell in row[len(rows[0]) :]):
            raise _by_hand(where, values, "some rows have cells beyond the last named column")
    spans, end = records[where.line - 1]
    expected = [list(row) for row in rows]
    expected[0] += added
    row = expected[where.line - 1]
    appended: dict[int, str] = {}
    for name, value in values.items():
        if name not in columns:
            continue  # nothing to write, and no column to empty
        index, cell = columns[name], "" if value is None else _cell_value(value)
        row.extend([""] * (index + 1 - len(row)))
        row[index] = cell
        if index < len(spans):
            start, stop = spans[index]
            keep_quotes = text[start:stop].startswith('"')
            edits.append((start, stop, 0, _quoted(cell, delimiter, keep_quotes or quote_all)))
        else:
            appended[index] = _quoted(cell, delimiter, quote_all) if cell else ""
    if appended:
        edits.append((end, end, 1, "".join(delimiter + appended.get(i, "")
                                        for i in range(len(spans), max(appended) + 1))))  # fmt: skip
    for start, stop, _, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[stop:]
    if _csv_records(text) != expected:
        raise _by_hand(where, values, "credsite could not edit this file safely")
    return bom + text.encode(encoding)


def _unquote(field: str) -> str:
    if not field.startswith('"'):
        return field
    close = field.rfind('"')
    inner, rest = (field[1:close], field[close + 1 :]) if close > 0 else (field[1:], "")
    return inner.replace('""', '"') + rest


# Workbooks: openpyxl rewrites the whole file, so it edits only a workbook it reads completely.

_KEPT_PARTS = re.compile(
    r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(core|app|custom)\.xml"
    r"|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels|xl/styles\.xml|xl/sharedStrings\.xml"
    r"|xl/theme/theme\d+\.xml|xl/worksheets/sheet\d+\.xml|xl/worksheets/_rels/sheet\d+\.xml\.rels"
    r"|xl/tables/table\d+\.xml"
)
"""The parts of an .xlsx package openpyxl reads and writes back; anything else it would drop
(pictures, charts, comments, pivot tables, macros, printer settings, sensitivity labels ...)."""


def _workbook_edit(path: Path, where: Location, values: dict[str, Any]) -> bytes:
    import warnings

    import openpyxl

    original = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(original)) as package:
            parts = package.namelist()
    except zipfile.BadZipFile:
        raise _by_hand(where, values, "this workbook cannot be read") from None
    dropped = sorted(p for p in parts if not p.endswith("/") and not _KEPT_PARTS.fullmatch(p))
    if dropped:
        shown = ", ".join(dropped[:3]) + (", ..." if len(dropped) > 3 else "")
        raise _by_hand(where, values, f"editing this workbook with openpyxl would lose what it "
                       f"does not keep ({shown})")  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            book = openpyxl.load_workbook(io.BytesIO(original), rich_text=True)
        except _UNREADABLE:  # every sheet, hidden ones too, which a build does not read
            raise _by_hand(where, values, "this workbook cannot be read") from None
    if caught:  # openpyxl says what it cannot keep ("... extension is not supported ...")
        raise _by_hand(where, values, f"openpyxl would change this workbook: {caught[0].message}")
    if any(
        cell.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row
    ):
        raise _by_hand(where, values, "this workbook has formulas, whose saved results openpyxl "
                       "would drop")  # fmt: skip
    if where.sheet not in book.sheetnames:
        raise _by_hand(where, values, f"there is no sheet '{where.sheet}' any more")
    sheet = book[where.sheet]
    header = [cell_text(c.value) for c in sheet[1]] if sheet.max_row else []
    while header and not header[-1].strip():
        header.pop()
    columns = {_normalise(name): index for index, name in enumerate(header) if name.strip()}
    changed = set()
    for name, value in values.items():
        if name not in columns:
            if value in (None, ""):
                continue
            columns[name] = len(header)
            header.append(name)
            sheet.cell(row=1, column=columns[name] + 1, value=name)
            changed.add((1, columns[name] + 1))
        cell = sheet.cell(row=where.line, column=columns[name] + 1)
        cell.value = None if value in (None, "") else value
        changed.add((where.line, columns[name] + 1))
    out = io.BytesIO()
    book.save(out)
    skip = (where.sheet, changed)
    if _contents(original, skip) != _contents(out.getvalue(), skip):
        raise _by_hand(where, values, "openpyxl would change other cells of this workbook")
    return out.getvalue()


def _contents(data: bytes, skip: tuple[str, set[tuple[int, int]]]) -> Any:
    """What a workbook holds, but the cells `skip` names: sheets, values, formats, merges."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), rich_text=True)
    return [
        (
            ws.title,
            ws.sheet_state,
            sorted(str(r) for r in ws.merged_cells.ranges),
            {
                (cell.row, cell.column): (str(cell.value), cell.number_format)
                for row in ws.iter_rows()
                for cell in row
                if cell.value is not None
                and not (ws.title == skip[0] and (cell.row, cell.column) in skip[1])
            },
        )
        for ws in book.worksheets
    ] + [sorted(book.defined_names)]
