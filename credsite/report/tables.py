"""The report's tables: one model for the HTML, the CSVs and the charts' data, and the public
report's small-count suppression.

Layer 1 (imports nothing from credsite). Every number the report shows is a cell of a `Table`;
charts are drawn from a table's cells after suppression, so a chart can never show more than its
table does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["text", "count", "number"]
"""`count`: a number of credentials or people (hidden when small in a public report);
`number`: any other number (achievements, skills), never hidden; `text`: anything else."""


@dataclass(frozen=True)
class Hidden:
    """A count the public report does not show: below the threshold, or hidden beside one."""

    text: str
    """What is shown instead: "<5" (fewer than five), or "≥5" (hidden so that a hidden count
    cannot be worked out from a total)."""


Cell = str | int | Hidden | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "text"
    token: bool = False
    """Long values without spaces (email addresses, file paths): may wrap at any character."""


@dataclass
class Table:
    id: str
    """The CSV file's name (without .csv) and the HTML element's id: lower-case, digits, '-'."""
    caption: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    partition: bool = False
    """Each credential is counted in exactly one row (the counts add up to a total shown
    elsewhere), so one hidden count needs a second one beside it."""
    order_by: str | None = None
    """The rows are ordered by this count column, largest first (then by the first column). A
    public report moves hidden counts last, so that the order does not tell them either."""
    shown_rows: int | None = None
    """The HTML shows at most this many rows (the CSV has them all)."""
    note: str = ""
    """A sentence under the table: how to read it."""
    hidden: bool = False
    """Set by `suppress` when some count is hidden."""

    def column(self, key: str) -> int:
        for i, column in enumerate(self.columns):
            if column.key == key:
                return i
        raise KeyError(key)

    def values(self, key: str) -> list[Cell]:
        i = self.column(key)
        return [row[i] for row in self.rows]


def text(cell: Cell) -> str:
    """How a cell is written in the HTML and the CSV."""
    if cell is None:
        return ""
    if isinstance(cell, Hidden):
        return cell.text
    return str(cell)


def number(cell: Cell) -> int | None:
    """A cell as a chart's value: hidden and empty cells have none (the chart leaves them out)."""
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else None


def suppress(table: Table, min_count: int) -> Table:
    """The table as the public report shows it: counts from 1 to `min_count - 1` hidden.

    Zero is shown (nobody is no one's personal data). In a `partition` table the hidden counts add
    up to a known number (the total, shown elsewhere, minus the shown rows), which can give one
    away: a single hidden count, or two hidden counts that add up to 2 (each is 1). So other
    counts are hidden too, the smallest first, shown as "≥N" (complementary suppression), until
    no hidden count can be worked out from that sum. A table with `order_by` is ordered again,
    its hidden counts last.
    """
    rows = [list(row) for row in table.rows]
    hidden = False
    for i, column in enumerate(table.columns):
        if column.kind != "count":
            continue
        small = [r for r, row in enumerate(rows) if _small(row[i], min_count)]
        values = {r: row[i] for r, row in enumerate(rows)}
        for r in small:
            rows[r][i] = Hidden(f"<{min_count}")
        hidden = hidden or bool(small)
        if not (table.partition and small):
            continue
        secondary: list[int] = []
        while not _protected([values[r] for r in small], [values[r] for r in secondary], min_count):
            others = [
                (value, r)
                for r, row in enumerate(rows)
                if isinstance(value := row[i], int) and value > 0
            ]
            if not others:
                break
            r = min(others)[1]
            rows[r][i] = Hidden(f"≥{min_count}")
            secondary.append(r)
    if table.order_by is not None:
        i = table.column(table.order_by)
        rows.sort(
            key=lambda row: (number(row[i]) is None, -(number(row[i]) or 0), text(row[0]).lower())
        )
    return replace(table, rows=rows, hidden=hidden)


def _protected(small: list[Cell], secondary: list[Cell], min_count: int) -> bool:
    """Whether none of the hidden counts follows from their sum and what each hiding says.

    A "<N" count lies in 1..N-1, a "≥N" count in N..infinity; each must keep at least two
    possible values given the others' ranges and the sum."""
    values = [v for v in small + secondary if isinstance(v, int)]
    total = sum(values)
    ranges = [(1, min_count - 1)] * len(small) + [(min_count, None)] * len(secondary)
    for k, (low, high) in enumerate(ranges):
        others = ranges[:k] + ranges[k + 1 :]
        others_low = sum(lo for lo, _ in others)
        highs = [hi for _, hi in others]
        least = low if None in highs else max(low, total - sum(h for h in highs if h is not None))
        most = total - others_low if high is None else min(high, total - others_low)
        if most <= least:
            return False
    return True


def _small(cell: Cell, min_count: int) -> bool:
    return isinstance(cell, int) and 0 < cell < min_count
