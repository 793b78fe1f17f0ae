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

    Zero is shown (nobody is no one's personal data). In a `partition` table a hidden count could
    be worked out as the total (shown elsewhere) minus the other rows; when exactly one count of a
    count column is hidden, the smallest other non-zero count of that column is hidden too
    (complementary suppression), shown as "≥N". A table with `order_by` is ordered again, its
    hidden counts last.
    """
    rows = [list(row) for row in table.rows]
    hidden = False
    for i, column in enumerate(table.columns):
        if column.kind != "count":
            continue
        small = [r for r, row in enumerate(rows) if _small(row[i], min_count)]
        for r in small:
            rows[r][i] = Hidden(f"<{min_count}")
        hidden = hidden or bool(small)
        if table.partition and len(small) == 1:
            others = [
                (value, r)
                for r, row in enumerate(rows)
                if isinstance(value := row[i], int) and value > 0
            ]
            if others:
                rows[min(others)[1]][i] = Hidden(f"≥{min_count}")
    if table.order_by is not None:
        i = table.column(table.order_by)
        rows.sort(
            key=lambda row: (number(row[i]) is None, -(number(row[i]) or 0), text(row[0]).lower())
        )
    return replace(table, rows=rows, hidden=hidden)


def _small(cell: Cell, min_count: int) -> bool:
    return isinstance(cell, int) and 0 < cell < min_count
