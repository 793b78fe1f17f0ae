"""What an achievement assesses (`results:` of an achievement) and what each award achieved
(`results:` of an award, or ``result:<name>`` columns of a spreadsheet).

An achievement declares each result it assesses, which becomes an OB 3.0 ResultDescription
(§B.1.14): a grade scale (``allowed`` values, low to high, and a ``required`` one), a rubric
(``levels`` with ``points`` and a ``required_level``), a range (``min``, ``max``), or a status.
An award gives its result for each, which becomes an OB 3.0 Result (§B.1.13): a ``value``, the
achieved ``level`` or a ``status``. Every result is checked against its declaration, each problem at
its line (or cell): a value outside the allowed ones or the range, an unknown level, an unknown
result name.

Results are personal data, and a Data Integrity proof signs the credential as a whole (no
selective disclosure): whoever sees the credential sees every result in it. So an achievement
publishes its results only with ``publish_results: true``; otherwise they are checked and left out
of the credentials entirely (content/README.md says so).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from credsite.content.fields import Languages, Reader, Translations
from credsite.content.yamlsource import Map, Node
from credsite.errors import Location, Problems
from credsite.values import slugify

RESULT_TYPES = (
    "GradePointAverage",
    "LetterGrade",
    "Percent",
    "PerformanceLevel",
    "PredictedScore",
    "RawScore",
    "Result",
    "RubricCriterion",
    "RubricCriterionLevel",
    "RubricScore",
    "ScaledScore",
    "Status",
)
"""``ResultType`` of the OB 3.0 JSON Schema (its enumeration; ``ext:...`` extends it)."""
RESULT_STATUSES = (
    "Completed",
    "Enrolled",
    "Failed",
    "InProgress",
    "OnHold",
    "Provisional",
    "Withdrew",
)
"""``ResultStatusType`` of the OB 3.0 JSON Schema."""
EXTENSION = r"ext:[A-Za-z0-9._-]+"
NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
SPEC_KEYS = ("name", "type", "allowed", "required", "levels", "required_level", "min", "max")
LEVEL_KEYS = ("name", "points", "description")
RESULT_KEYS = ("value", "level", "status")


@dataclass(frozen=True)
class RubricLevel:
    """One level of a rubric (OB 3.0 RubricCriterionLevel)."""

    name: str
    slug: str
    points: str | None = None
    description: str | None = None
    translations: Translations = field(default_factory=dict, compare=False)
    """Its name and description in the site's other languages (`fields.localized`)."""


@dataclass(frozen=True)
class ResultSpec:
    """One result an achievement assesses (OB 3.0 ResultDescription)."""

    name: str
    slug: str
    result_type: str
    allowed: tuple[str, ...] = ()
    """Allowed values, low to high."""
    levels: tuple[RubricLevel, ...] = ()
    required_value: str | None = None
    required_level: str | None = None
    """The slug of the level required to pass."""
    value_min: str | None = None
    value_max: str | None = None
    translations: Translations = field(default_factory=dict, compare=False)
    """Its name in the site's other languages (`fields.localized`); its `slug`, which awards
    and ids use, is always the first language's name's."""

    def level(self, name: str) -> RubricLevel | None:
        key = fold(name)
        return next((level for level in self.levels if level.slug == key), None)


@dataclass(frozen=True)
class AwardResult:
    """One award's result for one declared result (OB 3.0 Result)."""

    name: str
    """The result's name as the award wrote it; `spec` once checked against the achievement."""
    location: Location
    value: str | None = None
    level: str | None = None
    """The name of the achieved level as written; the level's slug once checked."""
    status: str | None = None
    spec: str = ""
    """The slug of the ResultSpec it belongs to (set by `check_results`)."""
    value_location: Location | None = None
    level_location: Location | None = None
    status_location: Location | None = None


@dataclass
class Declared:
    """An achievement's declaration as read: its results and whether it publishes them."""

    specs: tuple[ResultSpec, ...] = ()
    publish: bool = False
    slugs: dict[str, ResultSpec] = field(default_factory=dict)


def fold(name: str) -> str:
    """Names that differ only in case, spaces, ``_`` or ``-`` are one name (as fields are)."""
    return slugify(name) or "result"


def _is_number(text: str | None) -> bool:
    return text is not None and re.fullmatch(NUMBER, text) is not None


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - NUMBER is checked first
        return Decimal(0)


# -- the declaration (achievement) ---------------------------------------------------------------


def read_specs(read: Reader, languages: Languages) -> tuple[ResultSpec, ...]:
    """The achievement's ``results:`` list; names (and levels' descriptions) may be given per
    language (`Reader.text`)."""
    seq = read.seq("results")
    if seq is None:
        return ()
    specs: list[ResultSpec] = []
    seen: dict[str, Location] = {}
    for item, location in zip(seq, seq.item_locations, strict=True):
        if not isinstance(item, Map):
            read.problems.add(
                location, "each result must be a mapping with a 'name' (and a 'type', ...)"
            )
            continue
        spec = _read_spec(Reader(item, read.problems, "result"), languages)
        if spec is None:
            continue
        if spec.slug in seen:
            read.problems.add(
                item.value_location("name"),
                f"result '{spec.name}' is declared twice (also at {seen[spec.slug]}): names that "
                "differ only in case, spaces, '_' or '-' are one result",
            )
            continue
        seen[spec.slug] = item.value_location("name")
        specs.append(spec)
    return tuple(specs)


def _read_spec(read: Reader, languages: Languages) -> ResultSpec | None:
    read.check_keys(SPEC_KEYS, required=["name"])
    translations: Translations = {}
    name = read.text("name", languages, translations, None, max_length=200)
    levels = _read_levels(read, languages)
    default_type = "RubricCriterionLevel" if levels else "Result"
    result_type = read.str("type", default_type)
    if result_type not in RESULT_TYPES and not re.fullmatch(EXTENSION, result_type):
        read.error(
            "type",
            f"unknown result type '{result_type}': use one of {', '.join(RESULT_TYPES)}, or "
            "'ext:YourType'",
        )
    allowed = tuple(read.list_of_str("allowed"))
    if len(set(allowed)) != len(allowed):
        read.error("allowed", "'allowed' lists a value twice")
    value_min, value_max = read.str("min"), read.str("max")
    for key, text in (("min", value_min), ("max", value_max)):
        if text is not None and not _is_number(text):
            read.error(key, f"'{key}' must be a number, got {text!r}")
    if _is_number(value_min) and _is_number(value_max):
        assert value_min is not None and value_max is not None
        if _number(value_min) > _number(value_max):
            read.error("max", f"'max' ({value_max}) is below 'min' ({value_min})")
    if levels and (allowed or value_min is not None or value_max is not None):
        read.error(
            "levels", "a result has either 'levels' (a rubric) or 'allowed'/'min'/'max' values"
        )
    if result_type == "RubricCriterionLevel" and not levels:
        read.error("type", "a RubricCriterionLevel result needs 'levels'")
    if result_type == "Status" and (levels or allowed):
        read.error("type", "a Status result takes its status only: no 'levels' or 'allowed'")
    required_level = None
    if (level_name := read.str("required_level")) is not None:
        key = fold(level_name)
        if not any(level.slug == key for level in levels):
            read.error(
                "required_level",
                f"'required_level' must be one of the levels ({_names(levels)}), "
                f"got {level_name!r}",
            )
        else:
            required_level = key
    required_value = read.str("required")
    if required_value is not None:
        problem = _value_problem(required_value, allowed, value_min, value_max)
        if problem:
            read.error("required", f"'required' {problem}")
        elif levels:
            read.error("required", "a rubric says what it requires with 'required_level'")
    if name is None:
        return None
    # A declaration with a mistake is reported above (the build stops) and still used for the
    # awards' results, so that they are not all reported as results of an unknown name.
    return ResultSpec(
        name=name,
        slug=fold(name),
        result_type=result_type,
        allowed=allowed,
        levels=levels,
        required_value=required_value,
        required_level=required_level,
        value_min=value_min,
        value_max=value_max,
        translations=translations,
    )


def _read_levels(read: Reader, languages: Languages) -> tuple[RubricLevel, ...]:
    seq = read.seq("levels")
    if seq is None:
        return ()
    levels: list[RubricLevel] = []
    for index, (item, location) in enumerate(zip(seq, seq.item_locations, strict=True)):
        if not isinstance(item, Map):
            text = "" if isinstance(item, Node) or item is None else str(seq.text(index)).strip()
            if not text:
                read.problems.add(location, "each level is a name, or a mapping with 'name'")
                continue
            item = Map(location)  # `- Proficient`: a level with a name only
            item["name"] = text
            item.key_locations["name"] = location
            item.value_locations["name"] = location
        lread = Reader(item, read.problems, "level")
        lread.check_keys(LEVEL_KEYS, required=["name"])
        translations: Translations = {}
        name = lread.text("name", languages, translations, None, max_length=200)
        points = lread.str("points")
        if points is not None and not _is_number(points):
            lread.error("points", f"'points' must be a number, got {points!r}")
            continue
        if name is None:
            continue
        slug = fold(name)
        if any(level.slug == slug for level in levels):
            lread.error("name", f"level '{name}' is listed twice")
            continue
        description = lread.text("description", languages, translations, None)
        levels.append(RubricLevel(name, slug, points, description, translations))
    return tuple(levels)


def _names(levels: tuple[RubricLevel, ...]) -> str:
    return ", ".join(repr(level.name) for level in levels)


def _value_problem(
    value: str, allowed: tuple[str, ...], value_min: str | None, value_max: str | None
) -> str | None:
    """Why `value` is not a value of the declaration, or None."""
    if allowed and value not in allowed:
        close = difflib.get_close_matches(value, list(allowed), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"must be one of {', '.join(repr(v) for v in allowed)}, got {value!r}{hint}"
    if value_min is not None or value_max is not None:
        if not _is_number(value):
            return f"must be a number, got {value!r}"
        number = _number(value)
        if value_min is not None and _is_number(value_min) and number < _number(value_min):
            return f"must be at least {value_min}, got {value}"
        if value_max is not None and _is_number(value_max) and number > _number(value_max):
            return f"must be at most {value_max}, got {value}"
    return None


# -- what an award achieved ------------------------------------------------------------------------


def read_award_results(read: Reader | None) -> dict[str, AwardResult]:
    """An award's (or a cohort's) ``results:`` mapping, by folded name; values not yet checked."""
    if read is None:
        return {}
    results = read.map("results")
    if results is None:
        return {}
    found: dict[str, AwardResult] = {}
    for key in results:
        name = str(key).strip()
        location = results.key_location(key)
        value = results[key]
        if isinstance(value, Map):
            rread = Reader(value, read.problems, f"result '{name}'")
            rread.check_keys(RESULT_KEYS)
            if not any(k in value for k in RESULT_KEYS):
                read.problems.add(
                    location, f"result '{name}' needs a 'value', a 'level' or a 'status'"
                )
                continue
            result = AwardResult(
                name,
                location,
                value=rread.str("value"),
                level=rread.str("level"),
                status=rread.str("status"),
                value_location=rread.loc("value") if "value" in value else None,
                level_location=rread.loc("level") if "level" in value else None,
                status_location=rread.loc("status") if "status" in value else None,
            )
        elif isinstance(value, Node) or value is None:
            read.problems.add(
                results.value_location(key),
                f"result '{name}' must be a single value, or a mapping of 'value', 'level' and "
                "'status'",
            )
            continue
        else:
            text = str(results.text(key)).strip()
            if not text:
                read.problems.add(results.value_location(key), f"result '{name}' is empty")
                continue
            # which of value, level or status it is depends on the declaration: see check_results
            result = AwardResult(
                name, location, value=text, value_location=results.value_location(key)
            )
        found[fold(name)] = result
    return found


def check_results(
    results: tuple[AwardResult, ...],
    specs: tuple[ResultSpec, ...],
    achievement: str,
    problems: Problems,
) -> tuple[AwardResult, ...]:
    """An award's results checked against its achievement's declaration, in declaration order.

    A single value given for a rubric is the achieved level's name; for a Status result, the
    status."""
    by_slug = {spec.slug: spec for spec in specs}
    checked: dict[str, AwardResult] = {}
    for result in results:
        spec = by_slug.get(fold(result.name))
        if spec is None:
            if not specs:
                problems.add(
                    result.location,
                    f"achievement '{achievement}' declares no results: add 'results:' to it, or "
                    "give this as one of the award's 'fields'",
                )
            else:
                names = {s.slug: s.name for s in specs}
                close = difflib.get_close_matches(fold(result.name), list(names), n=1, cutoff=0.6)
                hint = f" (did you mean '{names[close[0]]}'?)" if close else ""
                problems.add(
                    result.location,
                    f"unknown result '{result.name}' of achievement '{achievement}'{hint}: it "
                    f"declares {', '.join(repr(s.name) for s in specs)}",
                )
            continue
        value, level, status = result.value, result.level, result.status
        value_at = result.value_location or result.location
        level_at = result.level_location or result.location
        status_at = result.status_location or result.location
        single = (
            result.level is None and result.status is None and result.value_location is not None
        )
        if single and spec.levels and result.value is not None:
            value, level, level_at = None, result.value, value_at
        elif single and spec.result_type == "Status":
            value, status, status_at = None, result.value, value_at
        ok = True
        if value is not None and (
            problem := _value_problem(value, spec.allowed, spec.value_min, spec.value_max)
        ):
            problems.add(value_at, f"result '{spec.name}' {problem}")
            ok = False
        level_slug = None
        if level is not None:
            found = spec.level(level)
            if found is None:
                where = (
                    f"the levels of '{spec.name}' are {_names(spec.levels)}"
                    if spec.levels
                    else f"'{spec.name}' has no levels"
                )
                problems.add(level_at, f"unknown level {level!r}: {where}")
                ok = False
            else:
                level_slug = found.slug
        if status is not None and status not in RESULT_STATUSES:
            close = difflib.get_close_matches(status, list(RESULT_STATUSES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.add(
                status_at,
                f"result status must be one of {', '.join(RESULT_STATUSES)}, got {status!r}{hint}",
            )
            ok = False
        if spec.result_type == "Status" and status is None and ok:
            problems.add(
                result.location,
                f"result '{spec.name}' is a Status: give one of {', '.join(RESULT_STATUSES)}",
            )
            ok = False
        if ok:
            checked[spec.slug] = AwardResult(
                spec.name,
                result.location,
                value=value,
                level=level_slug,
                status=status,
                spec=spec.slug,
            )
    return tuple(checked[spec.slug] for spec in specs if spec.slug in checked)


def merge(defaults: dict[str, AwardResult], own: dict[str, AwardResult]) -> tuple[AwardResult, ...]:
    """A cohort's results and an award's own (which win), in the order written."""
    return tuple({**defaults, **own}.values())
