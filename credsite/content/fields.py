"""Typed reads of located YAML mappings that record a problem instead of raising.

`config` and `model` describe their fields with these helpers so
every problem in every file is collected and reported at once, each at its line and column.
"""

from __future__ import annotations

import builtins
import difflib
import re
from collections.abc import Iterable
from typing import Any

from credsite.content.yamlsource import Map, Node, Seq
from credsite.errors import Location, Problems
from credsite.values import EARLIEST, LATEST, is_http_url, parse_datetime

DATE_RANGE = f"{EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}"

MISSING: Any = object()


class Reader:
    """Reads fields of one mapping, collecting problems into a shared `Problems`."""

    def __init__(self, data: Map, problems: Problems, what: str) -> None:
        self.data = data
        self.problems = problems
        self.what = what

    def check_keys(self, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
        """Unknown keys are errors (with a did-you-mean hint); so are missing required keys."""
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.problems.add(
                    self.data.key_location(key), f"unknown field '{key}' in {self.what}{hint}"
                )
        for key in required:
            if key not in self.data:
                self.problems.add(self.data.location, f"{self.what} needs '{key}'")
            elif self.data[key] is None:
                self.empty(key)

    def empty(self, key: str) -> None:
        """A required field given as null (``name: ~``, ``name: null`` or nothing after it)."""
        self.error(key, f"'{key}' is empty: {self.what} needs '{key}'")

    def loc(self, key: str) -> Location:
        return self.data.value_location(key)

    def error(self, key: str, message: str) -> None:
        self.problems.add(self.loc(key), message)

    def str(
        self,
        key: str,
        default: Any = None,
        *,
        pattern: str | None = None,
        max_length: int | None = None,
    ) -> Any:
        """A text field, exactly as written (YAML's numbers, booleans and dates as their text)."""
        value = self.data.text(key) if key in self.data else MISSING
        if value is MISSING or value is None:
            return default
        if isinstance(value, Node):
            self.error(key, f"'{key}' must be text")
            return default
        text = str(value).strip()
        if not text:
            self.error(key, f"'{key}' must not be empty")
            return default
        if max_length is not None and len(text) > max_length:
            self.error(
                key, f"'{key}' is {len(text)} characters long: at most {max_length} are allowed"
            )
            return default
        if pattern and not re.fullmatch(pattern, text):
            self.error(key, f"'{key}' is not valid: {text!r}")
            return default
        return text

    def bool(self, key: builtins.str, default: bool) -> bool:
        value = self.data.get(key, MISSING)
        if value is MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"'{key}' must be true or false")
            return default
        return value

    def url(self, key: builtins.str, default: Any = None) -> Any:
        text = self.str(key)
        if text is None:
            return default
        if not is_http_url(text):
            self.error(key, f"'{key}' must be an http(s) URL, got {text!r}")
            return default
        return text

    def date(self, key: builtins.str, default: Any = None) -> Any:
        """A date or a date-time with a time zone, returned as an aware UTC datetime."""
        value = self.data.get(key, MISSING)
        if value is MISSING or value is None:
            return default
        parsed = parse_datetime(value)
        if parsed is None:
            self.error(
                key,
                f"'{key}' must be a date like 2026-03-01 or a date-time with a time zone "
                f"like 2026-03-01T09:00:00Z, got {self.data.text(key)!r}",
            )
            return default
        if not EARLIEST <= parsed <= LATEST:
            self.error(key, f"'{key}' must be between {DATE_RANGE}, got {self.data.text(key)}")
            return default
        return parsed

    def list_of_str(self, key: builtins.str) -> list[builtins.str]:
        value = self.data.get(key, MISSING)
        if value is MISSING or value is None:
            return []
        if not isinstance(value, Node):
            text = str(self.data.text(key)).strip()
            return [text] if text else []
        if not isinstance(value, Seq) or any(isinstance(v, Node) or v is None for v in value):
            self.error(key, f"'{key}' must be a list of text items")
            return []
        texts = (str(value.text(i)).strip() for i in range(len(value)))
        return [text for text in texts if text]

    def map(self, key: builtins.str) -> Map | None:
        value = self.data.get(key, MISSING)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, Map):
            self.error(key, f"'{key}' must be a mapping of fields")
            return None
        return value

    def seq(self, key: builtins.str) -> Seq | None:
        value = self.data.get(key, MISSING)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, Seq):
            self.error(key, f"'{key}' must be a list")
            return None
        return value


