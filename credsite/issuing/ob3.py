"""Model + lockfile -> unsigned Open Badges 3.0 documents.

Pure functions: the same award, lock entry and settings always give the same dict, so
the same signature (Ed25519 is deterministic, RFC 8032 §5.1.6). Shapes follow the OB 3.0 JSON
Schema's strict plain-JSON form (arrays for 0..* properties, embedded issuer Profile, Image
objects); see https://www.imsglobal.org/spec/ob/v3p0/ §B.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from credsite.content.assessment import AwardResult, ResultSpec
from credsite.content.frameworks import Alignment
from credsite.content.model import (
    Achievement,
    Award,
    Evidence,
    Issuer,
    Site,
    art_edition,
    award_language,
    localized,
)
from credsite.issuing.issued import award_dates
from credsite.issuing.status import status_entries
from credsite.issuing.urls import Urls
from credsite.state.lockfile import AwardEntry
from credsite.values import format_datetime, slugify
from credsite.vc.identity import identity_object

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = [VC_V2, OB_V3]
FIELD_FRAGMENT = "#field-"
"""A per-recipient field's ResultDescription id: the achievement id + ``#field-<slug of its name>``."""
RESULT_TYPE = "Result"
"""The generic OB 3.0 ResultType (the schema's enum), for a field's free-text value."""
RESULT_FRAGMENT = "#result-"
"""A declared result's ResultDescription id: the achievement id + ``#result-<slug of its name>``."""
LEVEL_INFIX = "-level-"
CAPTION = "{achievement} badge, issued by {issuer}"
"""The badge image's caption in an Achievement; `captions` gives it per language (the theme's
message catalogs translate it: the build passes them in)."""


def related_editions(slug: str, language: str, urls: Urls) -> list[dict[str, Any]]:
    """OB 3.0 Related entries (§B.1.17) for the achievement's editions in the site's other
    languages: their ids and `inLanguage`, in the order site.yaml lists the languages."""
    return [
        {
            "id": urls.url(urls.achievement_edition_path(slug, other)),
            "type": ["Related"],
            "inLanguage": other,
        }
        for other in urls.languages
        if other != language
    ]


def field_label(name: str) -> str:
    """A per-recipient field name as a label: ``academic_year`` -> ``Academic year``."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def result_fields(awards: Iterable[Award]) -> dict[str, tuple[str, ...]]:
    """Achievement slug -> the names of the per-recipient fields its awards use, sorted."""
    names: dict[str, set[str]] = {}
    for award in awards:
        names.setdefault(award.achievement, set()).update(name for name, _ in award.fields)
    return {slug: tuple(sorted(found)) for slug, found in names.items()}


def result_description_id(achievement_id: str, name: str) -> str:
    return achievement_id + FIELD_FRAGMENT + (slugify(name) or "value")


def result_descriptions(achievement_id: str, names: Sequence[str]) -> list[dict[str, Any]]:
    """One OB 3.0 ResultDescription (§B.1.14) per field, sorted by name; names with the same
    slug are one field (the first name, in sorted order, gives its label)."""
    labels: dict[str, str] = {}
    for name in sorted(names):
        labels.setdefault(result_description_id(achievement_id, name), field_label(name))
    return [
        {"id": rid, "type": ["ResultDescription"], "name": label, "resultType": RESULT_TYPE}
        for rid, label in sorted(labels.items(), key=lambda item: (item[1], item[0]))
    ]


def results(achievement_id: str, fields: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """An award's per-recipient fields as OB 3.0 Results (§B.1.13), in the order they were written;
    `value` is the text exactly as typed."""
    return [
        {
            "type": ["Result"],
            "resultDescription": result_description_id(achievement_id, name),
            "value": value,
        }
        for name, value in fields
    ]


def declared_result_id(achievement_id: str, slug: str) -> str:
    """A declared result's ResultDescription id: the achievement id + ``#result-<slug>``."""
    return achievement_id + RESULT_FRAGMENT + slug


def level_id(achievement_id: str, result_slug: str, level_slug: str) -> str:
    """A rubric level's id: its result's id + ``-level-<slug>``."""
    return declared_result_id(achievement_id, result_slug) + LEVEL_INFIX + level_slug


def declared_descriptions(achievement_id: str, specs: Sequence[ResultSpec]) -> list[dict[str, Any]]:
    """The achievement's declared results as OB 3.0 ResultDescriptions (§B.1.14), in order: grade
    scales (`allowedValue`, low to high; `requiredValue`), rubrics (`rubricCriterionLevel` with
    `points`; `requiredLevel`), ranges (`valueMin`, `valueMax`)."""
    described = []
    for spec in specs:
        doc: dict[str, Any] = {
            "id": declared_result_id(achievement_id, spec.slug),
            "type": ["ResultDescription"],
            "name": spec.name,
            "resultType": spec.result_type,
        }
        if spec.allowed:
            doc["allowedValue"] = list(spec.allowed)
        if spec.required_value is not None:
            doc["requiredValue"] = spec.required_value
        if spec.levels:
            doc["rubricCriterionLevel"] = [
                {
                    "id": level_id(achievement_id, spec.slug, level.slug),
                    "type": ["RubricCriterionLevel"],
                    "name": level.name,
                    **({"description": level.description} if level.description else {}),
                    **({"points": level.points} if level.points is not None else {}),
                }
                for level in spec.levels
            ]
        if spec.required_level is not None:
            doc["requiredLevel"] = level_id(achievement_id, spec.slug, spec.required_level)
        if spec.value_min is not None:
            doc["valueMin"] = spec.value_min
        if spec.value_max is not None:
            doc["valueMax"] = spec.value_max
        described.append(doc)
    return described


def declared_results(achievement_id: str, results: Sequence[AwardResult]) -> list[dict[str, Any]]:
    """An award's checked results as OB 3.0 Results (§B.1.13): `value`, `achievedLevel` (the id of
    the rubric level), `status`."""
    docs = []
    for result in results:
        doc: dict[str, Any] = {
            "type": ["Result"],
            "resultDescription": declared_result_id(achievement_id, result.spec),
        }
        if result.level is not None:
            doc["achievedLevel"] = level_id(achievement_id, result.spec, result.level)
        if result.value is not None:
            doc["value"] = result.value
        if result.status is not None:
            doc["status"] = result.status
        docs.append(doc)
    return docs


def profile(issuer: Issuer, urls: Urls) -> dict[str, Any]:
    """The issuer as an embedded OB 3.0 Profile whose id is its did:web DID (OB 3.0 §B.2.7)."""
    doc: dict[str, Any] = {
        "id": urls.did(issuer.slug),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.description:
        doc["description"] = issuer.description
    if issuer.image is not None:
        doc["image"] = {"id": urls.url(urls.issuer_image_path(issuer.slug)), "type": "Image"}
    return doc


def achievement_doc(
    achievement: Achievement,
    issuer: Issuer,
    urls: Urls,
    language: str,
    field_names: Sequence[str] = (),
    endorsements: Sequence[dict[str, Any]] = (),
    caption: str = CAPTION,
    art: str = "",
) -> dict[str, Any]:
    """OB 3.0 Achievement (§B.1.1); criteria narrative is Markdown, description plain text.

    The edition in `language` (`achievement` and `issuer` are `model.localized` to it by the
    caller): on a site with several languages its id is that edition's and `related` names the
    others; `caption` (with ``{achievement}`` and ``{issuer}``) is its image's caption; `art`
    the edition of its badge image (`model.art_edition`: "" for the first language's).

    `field_names`: the per-recipient fields its awards use, each declared as a ResultDescription
    (`result_fields`), so that every credential of the achievement embeds the same Achievement.
    `endorsements`: the signed EndorsementCredentials of it (`issuing.endorsements.embedded`).
    """
    achievement_id = urls.url(urls.achievement_edition_path(achievement.slug, language))
    doc: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": achievement.name,
        "description": achievement.description,
        "criteria": {
            "id": urls.url(urls.achievement_page_path(achievement.slug, language)),
            "narrative": achievement.criteria,
        },
        "image": {
            "id": urls.url(urls.achievement_image_path(achievement.slug, "png", art)),
            "type": "Image",
            "caption": caption.format(achievement=achievement.name, issuer=issuer.name),
        },
        "achievementType": achievement.achievement_type,
        "inLanguage": language,
    }
    if related := related_editions(achievement.slug, language, urls):
        doc["related"] = related
    if achievement.tags:
        doc["tag"] = list(achievement.tags)
    if achievement.alignments:
        doc["alignment"] = [alignment_doc(a) for a in achievement.alignments]
    described = result_descriptions(achievement_id, field_names) if field_names else []
    if achievement.publish_results:
        described += declared_descriptions(achievement_id, achievement.results)
    if described:
        doc["resultDescription"] = described
    if endorsements:
        doc["endorsement"] = list(endorsements)
    return doc


def alignment_doc(alignment: Alignment) -> dict[str, Any]:
    """OB 3.0 Alignment (§B.1.5); OB 2.0 uses the same fields without `type` and `targetType`."""
    doc = {"type": ["Alignment"], "targetName": alignment.name, "targetUrl": alignment.url}
    for key, value in (
        ("targetFramework", alignment.framework),
        ("targetCode", alignment.code),
        ("targetDescription", alignment.description),
        ("targetType", alignment.target_type),
    ):
        if value:
            doc[key] = value
    return doc


@dataclass(frozen=True)
class SharedParts:
    """What every credential of one achievement in one language embeds alike: worked out once
    per build (`unsigned_credential`'s `shared`), and never changed once made, since every such
    credential holds these very objects until it is written."""

    achievement: Achievement
    issuer: Issuer
    achievement_json: dict[str, Any]
    issuer_json: dict[str, Any]


def unsigned_credential(
    award: Award,
    entry: AwardEntry,
    site: Site,
    urls: Urls,
    fields: dict[str, tuple[str, ...]] | None = None,
    endorsements: dict[str, list[dict[str, Any]]] | None = None,
    captions: dict[str, str] | None = None,
    shared: dict[tuple[str, str], SharedParts] | None = None,
) -> dict[str, Any]:
    """The OpenBadgeCredential for one award, before proofs (OB 3.0 §B.1.3).

    In the recipient's language (`model.award_language`): its `name`, issuer Profile and
    embedded Achievement (that language's edition) are. `captions`: language -> image caption
    (`CAPTION` where not given).

    Per-recipient fields become `result` values, each pointing at its ResultDescription in the
    embedded achievement. `fields` is `result_fields(site.awards)`, computed once by the caller
    (computed here when not given). `endorsements`: target id -> the signed endorsements to embed
    (of the achievement, in it; of this credential, in the credential's own `endorsement`).
    `shared`: (achievement, language) -> its `SharedParts`, filled as they are first made (a
    caller making many credentials passes one dict for all of them).
    """
    language = award_language(award, site.config)
    if fields is None:
        fields = result_fields(site.awards)
    endorsements = endorsements or {}
    parts = (shared or {}).get((award.achievement, language))
    if parts is None:
        achievement = localized(site.achievements[award.achievement], language)
        issuer = localized(site.issuers[achievement.issuer], language)
        achievement_json = achievement_doc(
            achievement,
            issuer,
            urls,
            language,
            fields.get(achievement.slug, ()),
            endorsements.get(urls.url(urls.achievement_path(achievement.slug)), ()),
            (captions or {}).get(language, CAPTION),
            art_edition(site, achievement.slug, language),
        )
        parts = SharedParts(achievement, issuer, achievement_json, profile(issuer, urls))
        if shared is not None:
            shared[(award.achievement, language)] = parts
    achievement, issuer, achievement_json = parts.achievement, parts.issuer, parts.achievement_json
    dates = award_dates(award, achievement, entry)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "name": award.name,
        "identifier": [identity_object(award.email, entry.salt)],
        "achievement": achievement_json,
    }
    if award.narrative:
        subject["narrative"] = award.narrative
    if award.role:
        subject["role"] = award.role
    # fields first, so that result i of a credential without declared results is field i
    achieved = results(achievement_json["id"], award.fields)
    if achievement.publish_results:
        achieved += declared_results(achievement_json["id"], award.results)
    if achieved:
        subject["result"] = achieved
    doc: dict[str, Any] = {
        "@context": list(CONTEXTS),
        "id": urls.url(urls.credential_path(entry.credential)),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": parts.issuer_json,
        "validFrom": format_datetime(dates.valid_from),
    }
    if dates.valid_until is not None:
        doc["validUntil"] = format_datetime(dates.valid_until)
    doc["credentialSubject"] = subject
    if award.evidence:
        doc["evidence"] = [_evidence(e) for e in award.evidence]
    if own := endorsements.get(doc["id"]):
        doc["endorsement"] = list(own)
    doc["credentialStatus"] = status_entries(issuer.slug, entry, urls, site.config)
    return doc


def _evidence(evidence: Evidence) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": ["Evidence"]}
    if evidence.url:
        doc["id"] = evidence.url
    for key in ("name", "description", "narrative"):
        if getattr(evidence, key):
            doc[key] = getattr(evidence, key)
    return doc


def published_achievement(
    achievement: Achievement,
    issuer: Issuer,
    urls: Urls,
    language: str,
    field_names: Sequence[str] = (),
    endorsements: Sequence[dict[str, Any]] = (),
    caption: str = CAPTION,
    art: str = "",
) -> dict[str, Any]:
    """The achievements/<slug>.json file (another language's: ``SLUG.LANG.json``): the
    Achievement edition, its creator and its contexts."""
    doc = achievement_doc(
        achievement, issuer, urls, language, field_names, endorsements, caption, art
    )
    return {"@context": list(CONTEXTS), **doc, "creator": profile(issuer, urls)}


def published_profile(
    issuer: Issuer, urls: Urls, endorsements: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """The issuers/<slug>.json file: the issuer Profile with its contexts, and the signed
    endorsements of the issuer (only here: the Profile embedded in each credential as its
    `issuer` carries none, which would re-sign and enlarge every credential of the issuer)."""
    doc = {"@context": list(CONTEXTS), **profile(issuer, urls)}
    if endorsements:
        doc["endorsement"] = list(endorsements)
    return doc
