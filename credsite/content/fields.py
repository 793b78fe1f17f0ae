"""Typed reads of located YAML mappings that record a problem instead of raising.

`config` and `model` describe their fields with these helpers so
every problem in every file is collected and reported at once, each at its line and column.
"""

from __future__ import annotations

import builtins
import dataclasses
import difflib
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from credsite.content.yamlsource import Map, Node, Seq
from credsite.errors import Location, Problems
from credsite.values import EARLIEST, LATEST, has_bad_port, is_http_url, parse_datetime

DATE_RANGE = f"{EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}"

MISSING: Any = object()

Translations = dict[str, dict[str, str]]
"""Language -> field -> text: a thing's texts in the site's other languages (`localized`)."""


@dataclasses.dataclass(frozen=True)
class Languages:
    """What `Reader.text` needs to read a text given per language: the site's languages (the
    first is the one every missing translation falls back to) and where to warn of one missing."""

    codes: tuple[str, ...]
    warnings: Problems


Localizable = TypeVar("Localizable")
"""A dataclass with a `translations` field (`Translations`), holding perhaps others."""


def localized(thing: Localizable, language: str) -> Localizable:
    """`thing` with its texts in `language`, and so are the things it holds (an achievement's
    results and their levels, its alignments, a pathway's nested groups); a text not given in
    `language` stays in the site's first. `thing` itself when nothing changes."""
    texts: dict[str, Any] = dict(getattr(thing, "translations", {}).get(language, {}))
    for item in dataclasses.fields(thing):  # type: ignore[arg-type]
        value = getattr(thing, item.name)
        if _localizable(value):
            if (shown := localized(value, language)) is not value:
                texts[item.name] = shown
        elif isinstance(value, tuple) and any(_localizable(part) for part in value):
            parts = tuple(localized(p, language) if _localizable(p) else p for p in value)
            if any(new is not old for new, old in zip(parts, value, strict=True)):
                texts[item.name] = parts
    return dataclasses.replace(thing, **texts) if texts else thing  # type: ignore[type-var]


def _localizable(value: Any) -> bool:
    return (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and hasattr(value, "translations")
    )


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

    def text(
        self,
        key: builtins.str,
        languages: Languages,
        translations: Translations,
        default: Any = "",
        max_length: int | None = None,
    ) -> Any:
        """A text given once (the same in every language) or per language (`name: {en: .., fr:
        ..}`): returns the site's first language's text and records the others in
        `translations`. A language the site does not publish is an error; one it publishes but
        the map leaves out is a warning (its pages and credentials use the first language's
        text). The one reading of every text that may be given per language."""
        value = self.data.get(key)
        if not isinstance(value, Map):
            return self.str(key, default, max_length=max_length)
        codes = languages.codes
        texts = Reader(value, self.problems, f"'{key}'")
        for lang in value:
            if lang not in codes:
                self.problems.add(
                    value.key_location(lang),
                    f"'{key}' is given in '{lang}', which is not one of the site's languages "
                    f"({', '.join(codes)}): add it to 'languages' in site.yaml, or remove it",
                )
        first = codes[0]
        if value.get(first) is None:  # left out, or given empty (`en: ~`, `en:`)
            self.problems.add(
                value.value_location(first) if first in value else self.loc(key),
                f"'{key}' needs a text in '{first}', the site's first language (the one every "
                "missing translation falls back to)",
            )
            return default
        result = texts.str(first, default, max_length=max_length)
        for lang in codes[1:]:
            if value.get(lang) is not None:
                text = texts.str(lang, None, max_length=max_length)
                if text is not None:
                    translations.setdefault(lang, {})[key] = text
            else:
                languages.warnings.add(
                    self.loc(key),
                    f"'{key}' has no '{lang}' text: the '{lang}' pages and credentials show the "
                    f"'{first}' one",
                )
        return result

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
        if has_bad_port(text):
            self.error(key, f"'{key}' has a port that is not a number from 1 to 65535: {text!r}")
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


