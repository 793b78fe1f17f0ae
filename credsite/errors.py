"""Errors a user can act on, each pointing at a place in their files.

Imports nothing from credsite. A `CredsiteError` is shown without a traceback and exits
with status 1; any other exception is a bug in credsite and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file; line and column are 1-based, 0 when unknown.

    In a workbook (`sheet` given), line and column are the cell's row and column, shown as a
    spreadsheet names them: ``awards.xlsx:Sheet1!B7``.
    """

    path: str
    line: int = 0
    column: int = 0
    sheet: str = ""

    def __init__(self, path: str, line: int = 0, column: int = 0, sheet: str = "") -> None:
        # The fields set in the instance's dict at once, not by a frozen class's object.__setattr__
        # each: 0.35 µs in place of 0.7, and a rebuild of 10,000 awards makes 120,000 locations.
        fields = self.__dict__
        fields["path"], fields["line"], fields["column"], fields["sheet"] = path, line, column, sheet

    def __str__(self) -> str:
        if self.sheet:
            name = self.sheet
            if not name.replace("_", "").isalnum():
                name = "'" + name.replace("'", "''") + "'"  # as Excel quotes it: 'Spring 2026'!B7
            if self.line and self.column:
                return f"{self.path}:{name}!{column_letters(self.column)}{self.line}"
            return f"{self.path}:{name}"
        if self.line and self.column:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


def column_letters(column: int) -> str:
    """A spreadsheet's name of a 1-based column number: 1 -> A, 27 -> AA."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, printed as ``path:line:col: message``."""

    location: Location | None
    message: str
    once: bool = field(default=False, compare=False)
    """A warning that stays true until the site changes (what OB 2.0 cannot carry): a build says
    it when it is new or its text changed, not every time (`--strict` still counts it)."""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


def report_order(problems: Iterable[Problem]) -> list[Problem]:
    """Each distinct problem once, by place then message: the order they are printed in.

    One mistake can be seen from several places (a cohort's shared field, once per award), and
    one warning can be raised more than once: each is reported once.
    """
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.location or Location(""), p.message))


class CredsiteError(Exception):
    """Base of every error the user can fix; the CLI prints it and exits 1."""

    exit_code = 1
    label = "error"
    """How the CLI labels each of `problems`."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = [Problem(location, message)]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as it is (its class, problems and every other attribute), not rebuilt from
        `args`, which no subclass takes as it is: raised in a pool's worker (a theme's page, a
        document signed), it reaches the command as raised, not as the pool broken."""
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(kind: type[CredsiteError], args: tuple[Any, ...], state: dict[str, Any]) -> CredsiteError:
    """A `CredsiteError` unpickled (`CredsiteError.__reduce__`)."""
    error = kind.__new__(kind, *args)
    error.__dict__.update(state)
    return error


class ContentError(CredsiteError):
    """Several problems found while reading the site, reported together."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = report_order(problems)
        Exception.__init__(self, f"{len(self.problems)} problem(s)")


class StrictError(CredsiteError):
    """``credsite build --strict`` found warnings: each is reported, and nothing is written."""

    label = "warning"

    def __init__(self, warnings: Iterable[Problem]) -> None:
        self.problems = report_order(warnings)
        Exception.__init__(self, f"{len(self.problems)} warning(s) with --strict")


class Problems:
    """Collects problems so a whole site is checked before anything is reported."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, location: Location | None, message: str) -> None:
        self.items.append(Problem(location, message))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ContentError(self.items)
