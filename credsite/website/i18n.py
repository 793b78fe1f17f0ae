"""The theme's own words in the page's language: gettext catalogs, and dates, with Babel.

A theme keeps its catalogs as source files, ``locale/LANG/LC_MESSAGES/messages.po`` beside its
``templates/`` (and ``messages.pot``, the template every translation starts from: docs/themes.md
"Languages"). They are compiled here, in memory, at build time: no binary ``.mo`` is committed. A
site's own theme's catalog wins message by message over the built-in one. A language without a
catalog shows the words as written in the templates (English), and the build warns once.

Only this module imports Babel (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from credsite.errors import ContentError, Location, Problems

DOMAIN = "messages"
LOCALE_FOLDER = "locale"
SOURCE_LANGUAGE = "en"
"""The language the templates are written in (msgids are English)."""
ENGLISH_DATE = "d MMMM y"
"""English dates as the theme always wrote them: 22 November 2026."""


def catalog_path(theme_dir: Path, language: str) -> Path:
    """``THEME/locale/LANG/LC_MESSAGES/messages.po`` (LANG as gettext writes it: pt_BR)."""
    return theme_dir / LOCALE_FOLDER / gettext_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


def gettext_name(language: str) -> str:
    """A BCP 47 tag as gettext names its folder: pt-BR -> pt_BR, zh-Hant -> zh_Hant."""
    return language.replace("-", "_")


def candidates(language: str) -> list[str]:
    """The tag, then shorter ones: zh-Hant-TW, zh-Hant, zh."""
    parts = language.split("-")
    return ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]


@functools.lru_cache(maxsize=64)
def _mo_bytes(path: Path, mtime: float) -> bytes:
    """One .po file compiled in memory (cached by file and modification time). A translation
    whose placeholders are not its message's (``%(nom)s`` for ``%(recipient)s``) is a located
    error here, not a failure in the middle of rendering a page (Babel's catalog checks)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    problems = Problems()
    for message, errors in catalog.check():
        for error in errors:
            problems.add(
                Location(_shown(path), message.lineno or 1, 1),
                f"the translation of {message.id!r} does not fit it: {error}",
            )
    if problems:
        raise ContentError(problems.items)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _shown(path: Path) -> str:
    """`path` as messages show it: relative to the folder credsite runs in, where it is under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _compiled(path: Path) -> Translations:
    return Translations(io.BytesIO(_mo_bytes(path, path.stat().st_mtime)), domain=DOMAIN)


def find_catalog(theme_dirs: Iterable[Path], language: str) -> list[Path]:
    """The .po files for `language` (or its base language) in the themes, the site's first."""
    found = []
    for theme_dir in theme_dirs:
        for tag in candidates(language):
            path = catalog_path(theme_dir, tag)
            if path.is_file():
                found.append(path)
                break
    return found


def translations(theme_dirs: Iterable[Path], language: str) -> NullTranslations:
    """The theme's words in `language`: the site theme's catalog over the built-in one's; the
    words as written (English) where neither has the language."""
    paths = find_catalog(list(theme_dirs), language)
    if not paths:
        return NullTranslations()
    merged = _compiled(paths[-1])  # the built-in theme's, then the site's on top
    for path in reversed(paths[:-1]):
        merged.merge(_compiled(path))
    return merged


def has_catalog(theme_dirs: Iterable[Path], language: str) -> bool:
    return language.split("-")[0] == SOURCE_LANGUAGE or bool(
        find_catalog(list(theme_dirs), language)
    )


def is_known(language: str) -> bool:
    """Whether CLDR (Babel's data) knows `language` or the language it narrows (``pt-BR``: pt):
    ``fx``, a typo, is not a language."""
    try:
        Locale.parse(gettext_name(candidates(language)[-1]))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _locale(language: str) -> Locale:
    for tag in candidates(language):
        try:
            return Locale.parse(gettext_name(tag))
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(SOURCE_LANGUAGE)


def date_text(value: dt.datetime | dt.date | None, language: str) -> str:
    """A date for people, in `language` (Babel's long form; English keeps 22 November 2026)."""
    if value is None:
        return ""
    return _day_text(dt.date(day=value.day, month=value.month, year=value.year), language)


@functools.lru_cache(maxsize=4096)
def _day_text(day: dt.date, language: str) -> str:
    """`date_text` of a day, remembered: Babel's `format_date` took a twelfth of the time a
    credential page takes to render, and a site's credentials share a few issue dates."""
    locale = _locale(language)
    if locale.language == SOURCE_LANGUAGE:
        return format_date(day, ENGLISH_DATE, locale=locale)
    return format_date(day, "long", locale=locale)


def date_form(language: str) -> dict[str, object]:
    """How `date_text` writes a date in `language`, for verify.js to write signed dates the same
    way: the CLDR pattern, the month names it uses, the era (AD) name."""
    locale = _locale(language)
    if locale.language == SOURCE_LANGUAGE:
        pattern = ENGLISH_DATE
    else:
        pattern = locale.date_formats["long"].pattern
    context = "stand-alone" if "L" in pattern else "format"
    width = "wide" if "MMMM" in pattern or "LLLL" in pattern else "abbreviated"
    months = locale.months[context][width]
    return {
        "pattern": pattern,
        "months": [months[n] for n in range(1, 13)],
        "era": locale.eras["abbreviated"][1],
    }


def language_name(language: str) -> str:
    """The language's own name for itself, as a language switch shows it: Français, ไทย."""
    locale = _locale(language)
    name = locale.get_display_name(locale) or language
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class CatalogCheck:
    """What a catalog lacks against the template (messages.pot)."""

    language: str
    untranslated: tuple[str, ...]
    obsolete: tuple[str, ...]
    plurals: tuple[str, ...] = ()
    """What is wrong with its plural forms: a Plural-Forms header other than CLDR's rule for
    the language (as Babel writes it), or a message with another number of forms."""


def check_catalog(pot: Path, po: Path, language: str) -> CatalogCheck:
    """Every msgid of `pot` translated in `po` (not fuzzy), nothing `po` has that `pot` lacks,
    and the language's plural forms: its header's rule and as many forms in each message."""
    with pot.open("rb") as handle:
        template = read_po(handle)
    with po.open("rb") as handle:
        catalog = read_po(handle)
    wanted = {m.id for m in template if m.id}
    untranslated = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        strings = (
            list(found.string) if found is not None and isinstance(found.string, tuple)
            else [found.string] if found is not None else []
        )  # fmt: skip
        if found is None or found.fuzzy or not all(strings):
            untranslated.append(str(message.id))
    obsolete = [str(m.id) for m in catalog if m.id and m.id not in wanted]
    plurals = []
    rule = get_plural(gettext_name(language))
    expected = str(rule)
    header = dict(catalog.mime_headers).get("Plural-Forms", "")
    if header.strip().rstrip(";") != expected.rstrip(";"):
        plurals.append(f"Plural-Forms is {header!r}, CLDR's rule for {language} is {expected!r}")
    plurals += [
        f"{message.id[0]!r} has {len(message.string)} forms"
        for message in catalog
        if message.id
        and isinstance(message.string, tuple)
        and len(message.string) != rule.num_plurals
    ]
    return CatalogCheck(language, tuple(untranslated), tuple(obsolete), tuple(plurals))
