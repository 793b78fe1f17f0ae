"""An achievement's `alignments`: links to skills, occupations and credentials in the frameworks
people use, each read into an `Alignment` (what OB 3.0 calls an Alignment, §B.1.5).

Besides the plain form (``name``, ``url``, optional ``framework``, ``code``, ``description`` and
``type``), an alignment may name its target by the identifier its framework gives it, and credsite
writes the URL, code, framework name and ``targetType``:

| key | identifier | targetUrl | targetType |
|---|---|---|---|
| ``esco`` | an ESCO skill or occupation URI, or a skill's UUID or code | the ESCO concept URI (``http://data.europa.eu/esco/...``) | ``ext:ESCOSkill`` / ``ext:ESCOOccupation`` |
| ``onet`` | an O*NET-SOC occupation code, ``15-1252.00`` | ``https://www.onetonline.org/link/summary/CODE`` | ``ext:ONETOccupation`` |
| ``case`` | ``{url, code}`` of a CASE item (or its URL alone) | the item's URL | ``CFItem`` |
| ``ctdl`` | a Credential Engine CTID, ``ce-`` + UUID (or its registry URL) | ``https://credentialengineregistry.org/resources/CTID`` | ``CTDL`` |

``targetType`` is always a value the OB 3.0 JSON Schema accepts: one of its enumeration, or
``ext:`` + letters, digits, ``.``, ``-`` and ``_``. A malformed URI or code is an error at its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from credsite.content.fields import Languages, Reader, Translations
from credsite.content.yamlsource import Map
from credsite.errors import Location, Problems
from credsite.values import is_http_url

TARGET_TYPES = (
    "ceasn:Competency",
    "ceterms:Credential",
    "CFItem",
    "CFRubric",
    "CFRubricCriterion",
    "CFRubricCriterionLevel",
    "CTDL",
)
"""``AlignmentTargetType`` of the OB 3.0 JSON Schema (its enumeration)."""
EXTENSION = r"ext:[A-Za-z0-9._-]+"
"""An extension value of an OB 3.0 extensible enumeration."""

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ESCO_BASE = "http://data.europa.eu/esco/"
ESCO_URI = re.compile(r"https?://data\.europa\.eu/esco/(skill|occupation)/([0-9A-Za-z.-]+)")
ESCO_SKILL_CODE = r"[SKTL][0-9]+(?:\.[0-9]+)*"
"""A code of ESCO's skills hierarchy (``S1.2.3``, ``K0613``, ``T1.1``, ``L1``)."""
ONET_CODE = r"[0-9][0-9]-[0-9]{4}\.[0-9][0-9]"
ONET_URL = "https://www.onetonline.org/link/summary/"
CTID = rf"ce-{UUID}"
CTDL_URL = "https://credentialengineregistry.org/resources/"

FRAMEWORKS = {
    "esco": "ESCO",
    "onet": "O*NET-SOC",
    "case": None,
    "ctdl": "Credential Engine Registry",
}
"""The helper keys, and the framework name each writes unless the alignment gives its own."""
PLAIN_KEYS = ("name", "url", "framework", "code", "description", "type")
HELPER_KEYS = ("name", "framework", "description")


@dataclass(frozen=True)
class Alignment:
    """A link to a skill, competency, occupation or credential in a framework (OB 3.0 Alignment)."""

    name: str
    url: str
    framework: str | None = None
    code: str | None = None
    description: str | None = None
    target_type: str | None = None
    translations: Translations = field(default_factory=dict, compare=False)
    """Its name and description in the site's other languages (`fields.localized`)."""


def is_target_type(value: str) -> bool:
    return value in TARGET_TYPES or re.fullmatch(EXTENSION, value) is not None


def read_alignment(
    item: Any, location: Location, problems: Problems, languages: Languages
) -> Alignment | None:
    """One item of `alignments`, in the plain or a helper form; problems are located. Its
    `name` and `description` may be given per language (`Reader.text`)."""
    if not isinstance(item, Map):
        problems.add(
            location,
            "each alignment must be a mapping: 'name' and 'url', or 'name' and one of "
            + ", ".join(f"'{key}'" for key in FRAMEWORKS),
        )
        return None
    helpers = [key for key in FRAMEWORKS if key in item]
    read = Reader(item, problems, "alignment")
    translations: Translations = {}
    if len(helpers) > 1 or (helpers and "url" in item):
        given = [*helpers, *(["url"] if "url" in item else [])]
        problems.add(
            item.key_location(given[1]),
            f"an alignment names its target once: {' or '.join(repr(k) for k in given)}, not both",
        )
        return None
    if not helpers:
        read.check_keys(PLAIN_KEYS, required=["name", "url"])
        name = read.text("name", languages, translations, None)
        url = read.url("url")
        target_type = read.str("type")
        if target_type is not None and not is_target_type(target_type):
            read.error("type", _bad_type(target_type))
            return None
        if not (name and url):
            return None
        description = read.text("description", languages, translations, None)
        return Alignment(name, url, read.str("framework"), read.str("code"), description,
                         target_type, translations)  # fmt: skip
    key = helpers[0]
    extra = ("code",) if key == "case" else ()
    read.check_keys([key, *HELPER_KEYS, *extra], required=["name"])
    target = {"esco": _esco, "onet": _onet, "case": _case, "ctdl": _ctdl}[key](read)
    name = read.text("name", languages, translations, None)
    description = read.text("description", languages, translations, None)
    if target is None or name is None:
        return None
    url, code, target_type = target
    framework = read.str("framework", FRAMEWORKS[key])
    return Alignment(name, url, framework, code, description, target_type, translations)


def _bad_type(value: str) -> str:
    return (
        f"unknown alignment type {value!r}: use one of {', '.join(TARGET_TYPES)}, "
        "or 'ext:YourType' (letters, digits, '.', '-' and '_')"
    )


Target = tuple[str, str | None, str]
"""targetUrl, targetCode, targetType."""


def _esco(read: Reader) -> Target | None:
    text = read.str("esco")
    if text is None:
        return None
    if match := ESCO_URI.fullmatch(text):
        kind, code = match[1], match[2]
        valid = re.fullmatch(UUID, code) or (
            kind == "skill" and re.fullmatch(ESCO_SKILL_CODE, code)
        )
        if valid:
            # ESCO's concept URIs are http: the form every ESCO tool and dataset uses
            return f"{ESCO_BASE}{kind}/{code}", code, f"ext:ESCO{kind.capitalize()}"
    elif re.fullmatch(UUID, text) or re.fullmatch(ESCO_SKILL_CODE, text):
        return f"{ESCO_BASE}skill/{text}", text, "ext:ESCOSkill"
    read.error(
        "esco",
        f"'esco' must be an ESCO skill or occupation URI such as "
        f"{ESCO_BASE}skill/b363bb5f-2c79-40af-94da-33e06f9dee9f, or a skill's UUID or code "
        f"(lower-case hex), got {text!r}",
    )
    return None


def _onet(read: Reader) -> Target | None:
    text = read.str("onet")
    if text is None:
        return None
    if not re.fullmatch(ONET_CODE, text):
        read.error(
            "onet",
            f"'onet' must be an O*NET-SOC occupation code like 15-1252.00 (NN-NNNN.NN), "
            f"got {text!r}",
        )
        return None
    return ONET_URL + text, text, "ext:ONETOccupation"


def _case(read: Reader) -> Target | None:
    value = read.data.get("case")
    if isinstance(value, Map):
        cread = Reader(value, read.problems, "case alignment")
        cread.check_keys(["url", "code"], required=["url"])
        url, code = cread.url("url"), cread.str("code")
    else:
        url, code = read.url("case"), read.str("code")
    if url is None:
        return None
    return url, code, "CFItem"


def _ctdl(read: Reader) -> Target | None:
    text = read.str("ctdl")
    if text is None:
        return None
    ctid = text
    if is_http_url(text):
        found = re.search(r"ce-[0-9A-Fa-f-]{36}(?![0-9A-Za-z-])", text)
        ctid = found.group() if found else ""
    if not re.fullmatch(CTID, ctid):
        read.error(
            "ctdl",
            "'ctdl' must be a Credential Engine CTID, 'ce-' and a lower-case UUID such as "
            f"ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d (or a registry URL holding one), got {text!r}",
        )
        return None
    return CTDL_URL + ctid, ctid, "CTDL"
