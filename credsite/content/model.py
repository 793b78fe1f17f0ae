"""content/ -> Site: issuers, achievements and awards, validated all at once.

Reads `content/issuers/*.yaml`, `content/achievements/*.yaml` and
`content/awards/*.yaml|*.csv|*.xlsx`, checks every field and cross-reference, and raises one
`ContentError` listing every problem with its ``path:line:col``. Any other file in `content/`
(but images, notes and drafts) gets a warning in `Site.warnings` naming it and what to do.
Nothing here knows about credentials, signing or HTML; the model is what both the OB 3.0 and
OB 2.0 outputs are built from.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from credsite.content import assessment, endorsements, spreadsheet, yamlsource
from credsite.content import pathways as pathway_rules
from credsite.content.assessment import AwardResult, ResultSpec
from credsite.content.config import PLACEHOLDER_URL, SLUG, VISIBILITIES, SiteConfig
from credsite.content.endorsements import Endorsement, Received
from credsite.content.fields import Languages, Reader, Translations
from credsite.content.fields import localized as localized
from credsite.content.frameworks import Alignment, read_alignment
from credsite.content.yamlsource import Map, Node, Seq
from credsite.errors import CredsiteError, Location, Problem, Problems
from credsite.values import LATEST, add_duration, is_http_url, parse_duration
from credsite.vc.identity import normalise_email

MAX_NAME = 200
"""The longest name of an issuer, achievement or recipient, in characters (badge art and share
cards fit it on three lines; a longer one is a paste gone wrong)."""
MAX_SLUG = 100
"""The longest file name (without .yaml) of an issuer or achievement: it becomes published file
names such as ob2/issuers/SLUG-revocations.json, which file systems limit to 255 bytes."""
MAX_VALID_FOR = {"year": 100, "month": 1200, "week": 5218, "day": 36525}
"""The longest 'valid_for': 100 years, in any unit."""
HEX_COLOUR = r"#[0-9a-fA-F]{6}"
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
AWARD_ID = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
STATUSES = ("active", "revoked", "suspended")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp")
# achievementType values from the OB 3.0 schema (enum), or "ext:..." for extensions.
ACHIEVEMENT_TYPES = [
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
]


@dataclass(frozen=True)
class ImageRef:
    """An image file in the site's content, and how to name it in messages."""

    path: Path = field(metadata={"fingerprint": False})
    """Where the site's folder is: fingerprints take `shown`, the path from it (as SiteConfig.root)."""
    shown: str
    location: Location


@dataclass(frozen=True)
class Issuer:
    slug: str
    name: str
    url: str
    email: str | None
    description: str
    image: ImageRef | None
    primary_colour: str
    secondary_colour: str
    linkedin_id: str | None
    location: Location
    publish_email: bool = False
    """Show `email` in the OB 2.0 issuer profile (OB 2.0 requires it); off for privacy."""
    translations: Translations = field(default_factory=dict, compare=False)
    """Language -> field -> text, for the site's other languages (`localized`)."""


@dataclass(frozen=True)
class Achievement:
    slug: str
    issuer: str
    name: str
    description: str
    criteria: str
    image: ImageRef | None
    achievement_type: str
    tags: tuple[str, ...]
    valid_for: tuple[int, str] | None
    alignments: tuple[Alignment, ...]
    location: Location
    results: tuple[ResultSpec, ...] = ()
    """What it assesses (OB 3.0 ResultDescriptions), in the order declared."""
    publish_results: bool = False
    """Put the declared results and each award's results into the credentials (personal data:
    off unless the achievement says so)."""
    translations: Translations = field(default_factory=dict, compare=False)
    """Language -> field -> text, for the site's other languages (`localized`)."""


@dataclass(frozen=True)
class Evidence:
    url: str | None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None


@dataclass(frozen=True)
class Award:
    key: str
    """The award's id: given as `id`, or '<achievement>/<email>'. Never published as such."""
    achievement: str
    name: str
    email: str
    issued: dt.datetime | None
    expires: dt.datetime | None
    narrative: str | None
    evidence: tuple[Evidence, ...]
    role: str | None
    fields: tuple[tuple[str, str], ...]
    status: str
    status_reason: str | None
    status_date: dt.datetime | None
    location: Location
    achievement_location: Location | None = None
    """Where the achievement is named (the award's own field, the cohort's, or a CSV cell)."""
    status_location: Location | None = None
    legacy_key: str | None = None
    """The id as credsite read it before it kept text as written (`id: 007` was 7), if it differs."""
    visibility: str = "unlisted"
    """`public`, `unlisted` or `private`: the award's own, else its cohort's, else the site's."""
    withdrawn: bool = False
    """Taken down at the recipient's request (`credsite withdraw`): its page is a stub, its JSON
    and baked images are not published, but it stays valid (its status bit is unchanged)."""
    results: tuple[AwardResult, ...] = ()
    """Its results for what the achievement assesses, checked against it, in declaration order."""
    language: str = ""
    """The recipient's language (`language: fr`), one of the site's; empty for the site's first.
    Its credential, page and emails are in that language."""

    @property
    def lock_key(self) -> str:
        """How the lockfile names this award: a digest, so no email reaches the lockfile."""
        return _digest(self.key)


TEXT_FIELDS = ("name", "description", "criteria")
"""The texts of an issuer, achievement or pathway that may be given per language (and, in an
achievement, the names of its results and rubric levels, the levels' descriptions, its
alignments' names and descriptions; a pathway's group names; site.yaml's title and
description): each read by `Reader.text`, shown through `localized`."""


def award_language(award: Award, config: SiteConfig) -> str:
    """The language of the award's credential, page and emails."""
    return award.language or config.language


def art_edition(site: Site, slug: str, language: str, *, share: bool = False) -> str:
    """Which drawing of achievement `slug`'s art the site shows in `language`: "" for the site's
    first language's (at ``images/achievements/SLUG.png``), or `language` for its own
    (``SLUG.LANG.png``), drawn only where what the art says differs: the achievement's name or
    its issuer's. `share`: of the share card (always drawn) rather than of the badge (drawn
    unless the achievement gives a raster image, which says the same in every language).

    A site in one language, and texts the same in every language, have one drawing each."""
    first = site.config.language
    achievement = site.achievements[slug]
    if language == first or not (share or _drawn(achievement)):
        return ""
    if _art_texts(site, achievement, language) == _art_texts(site, achievement, first):
        return ""
    return language


def _drawn(achievement: Achievement) -> bool:
    """Whether the achievement's badge PNG is drawn (no image, or an SVG one, which no
    rasteriser here turns into a PNG)."""
    return achievement.image is None or achievement.image.path.suffix.lower() == ".svg"


def _art_texts(site: Site, achievement: Achievement, language: str) -> tuple[str, str]:
    """What the drawn badge and share card of `achievement` say in `language`."""
    issuer = site.issuers[achievement.issuer]
    return localized(achievement, language).name, localized(issuer, language).name


def _languages(config: SiteConfig, warnings: Problems) -> Languages:
    return Languages(config.languages or (config.language,), warnings)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def keep_recorded_keys(awards: list[Award], recorded: Iterable[str]) -> list[Award]:
    """Awards whose id credsite once misread as a YAML number (`id: 007` as 7) keep that id.

    The lockfile then knows the award by the digest of the misread id: it keeps its credential
    (URL, salt, status index) instead of being issued again, unless another award now has that id.
    """
    known = set(recorded)
    keys = {a.key for a in awards}
    result = []
    for award in awards:
        old = award.legacy_key
        if old and old not in keys and award.lock_key not in known and _digest(old) in known:
            award = replace(award, key=old)
        result.append(award)
    return sorted(result, key=lambda a: a.key)


@dataclass
class Site:
    config: SiteConfig
    issuers: dict[str, Issuer] = field(default_factory=dict)
    achievements: dict[str, Achievement] = field(default_factory=dict)
    awards: list[Award] = field(default_factory=list)
    primary_issuer: str = ""
    pathways: dict[str, pathway_rules.Pathway] = field(default_factory=dict)
    """Achievements completed by holding others (content/pathways/): their completion rules."""
    endorsements: list[Endorsement] = field(default_factory=list)
    """Endorsements written on this site (content/endorsements/*.yaml), by id."""
    received: list[Received] = field(default_factory=list)
    """Endorsements signed elsewhere (content/endorsements/received/), checked when signing."""
    warnings: list[Problem] = field(default_factory=list)
    """Things read but perhaps not as meant, and files in content/ that credsite does not read."""


def load(config: SiteConfig, parsed: yamlsource.Parsed | None = None) -> Site:
    """Read and check the whole content folder; raise `ContentError` listing every problem.

    `parsed`: the award files parsed by earlier builds (`yamlsource.load`)."""
    problems = Problems()
    site = Site(config)
    content = config.content_dir
    if not content.is_dir():
        raise CredsiteError(f"content folder '{config.content}' does not exist")
    warnings = Problems()
    _unreadable(config, problems)
    issuer_files: dict[str, Path] = {}
    for path in _files(content / "issuers", (".yaml", ".yml")):
        if _unique_slug(path, issuer_files, "issuer", config, problems):
            issuer = _load_issuer(path, config, problems, warnings)
            if issuer:
                site.issuers[issuer.slug] = issuer
    achievement_files: dict[str, Path] = {}
    for path in _files(content / "achievements", (".yaml", ".yml")):
        if _unique_slug(path, achievement_files, "achievement", config, problems):
            achievement = _load_achievement(path, config, problems, warnings)
            if achievement:
                site.achievements[achievement.slug] = achievement
    for path in _files(content / "pathways", (".yaml", ".yml")):
        if _unique_slug(path, achievement_files, "achievement", config, problems):
            _load_pathway(path, site, config, problems, warnings)
    awards: list[Award] = []
    read = {*site_files(content / "issuers"), *site_files(content / "achievements")}
    read.update(site_files(content / "pathways"))
    failed_award_files: list[Path] = []
    for path in _files(content / "awards", AWARD_SUFFIXES):
        read.add(path)
        before = len(problems.items)
        if path.suffix.lower() in spreadsheet.SUFFIXES:
            awards.extend(_load_award_rows(path, config, problems, warnings))
        else:
            awards.extend(_load_award_file(path, config, problems, warnings, parsed))
        if len(problems.items) > before:
            failed_award_files.append(path)
    endorsement_folder = content / endorsements.FOLDER
    endorsement_files = _files(endorsement_folder, YAML_SUFFIXES)
    read.update(endorsement_files)
    shown = f"{config.content}/{endorsements.FOLDER}"
    site.endorsements = endorsements.load(endorsement_folder, shown, endorsement_files, problems)
    received = endorsement_folder / endorsements.RECEIVED
    read.update(endorsements.received_files(received))
    site.received = endorsements.load_received(
        received, f"{shown}/{endorsements.RECEIVED}", problems
    )
    warnings.extend(config.warnings)  # site.yaml's (a title missing a language)
    warnings.extend(_not_read(config, read))
    warnings.extend(_placeholders(config, awards))
    site.warnings = sorted(warnings.items, key=lambda p: (p.location or Location(""), p.message))
    if not site.issuers:
        problems.add(Location(f"{config.content}/issuers"), "no issuer: add an issuer YAML file")
    site.primary_issuer = _primary_issuer(site, problems)
    # An issuer or achievement whose file failed is reported there, not again by each reference.
    failed = (
        set(issuer_files) - set(site.issuers),
        set(achievement_files) - set(site.achievements),
    )
    _cross_check(site, awards, problems, failed)
    site.awards = sorted(awards, key=lambda a: a.key)
    site.endorsements = _check_endorsements(site, problems, failed_award_files)
    site.warnings = sorted(
        [*site.warnings, *_unpublished_results(site)],
        key=lambda p: (p.location or Location(""), p.message),
    )
    problems.raise_if_any()
    return site


YAML_SUFFIXES = (".yaml", ".yml")
AWARD_SUFFIXES = (*YAML_SUFFIXES, *spreadsheet.SUFFIXES)


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in suffixes
        and not p.name.startswith((".", "_", "~$"))  # drafts, hidden files, Office lock files
    )


_READ_FOLDERS = {
    "issuers": YAML_SUFFIXES,
    "achievements": YAML_SUFFIXES,
    "pathways": YAML_SUFFIXES,
    "awards": AWARD_SUFFIXES,
    endorsements.FOLDER: YAML_SUFFIXES,
}
"""The content folders `load` reads, and the files it reads in each (`_files`)."""


def _unreadable(config: SiteConfig, problems: Problems) -> None:
    """A problem for each entry of a folder `load` reads that is named like a file it reads but
    is not one: a folder so named, a broken symbolic link or a loop of them, a pipe. Skipped
    without a word, it would take what it held (awards, a pathway) off the site."""
    for folder, suffixes in _READ_FOLDERS.items():
        top = config.content_dir / folder
        try:
            found = sorted(top.rglob("*")) if top.is_dir() else []
        except OSError:
            found = []
        for path in found:
            if path.suffix.lower() not in suffixes or path.name.startswith((".", "_", "~$")):
                continue
            try:
                mode = path.stat().st_mode
            except (OSError, RuntimeError) as exc:
                errno_ = getattr(exc, "errno", None)
                what = (
                    "a loop of symbolic links" if errno_ == errno.ELOOP or isinstance(exc, RuntimeError)
                    else "a symbolic link to nothing" if path.is_symlink()
                    else f"unreadable: {getattr(exc, 'strerror', None) or exc}"
                )  # fmt: skip
            else:
                if stat.S_ISREG(mode):
                    continue
                what = "a folder" if stat.S_ISDIR(mode) else "not a file (a pipe or a device)"
            shown = f"{config.content}/{path.relative_to(config.content_dir).as_posix()}"
            problems.add(
                Location(shown),
                f"cannot read {path.name}: it is {what}. Put the file itself here, or rename "
                "it to start with '_' to leave it out",
            )


def site_files(folder: Path) -> list[Path]:
    """The issuer or achievement files of `folder` that `load` reads."""
    return _files(folder, YAML_SUFFIXES)


# What to do with a file credsite does not read, by where it is and what it is.
_SPREADSHEET_ADVICE = {
    ".tsv": "rename it to .csv (tab-separated files are read as CSV)",
    ".tab": "rename it to .csv (tab-separated files are read as CSV)",
    ".txt": "if it is a spreadsheet saved as text, rename it to .csv",
    ".xls": "an old Excel workbook: save it as an Excel Workbook (.xlsx) or as CSV UTF-8",
    ".xlsm": "save it as an Excel Workbook (.xlsx) or as CSV UTF-8 (macros are not run)",
    ".xlsb": "save it as an Excel Workbook (.xlsx) or as CSV UTF-8",
    ".xltx": "a template: save a workbook from it as .xlsx",
    ".numbers": "in Numbers, File > Export To > Excel (.xlsx) or CSV",
    ".ods": "in LibreOffice, File > Save As > Excel 2007-365 (.xlsx) or Text CSV",
    ".json": "awards are written in YAML (.yaml), CSV or .xlsx",
}
_ALWAYS_SKIPPED = ("thumbs.db", "desktop.ini")


def _not_read(config: SiteConfig, read: set[Path]) -> list[Problem]:
    """A warning for each file in content/ that credsite neither reads nor may publish.

    Left alone: images (published when a file names them), notes (``*.md``, README), drafts and
    hidden files (a name starting with ``_`` or ``.``), Office lock files (``~$``).
    """
    content = config.content_dir
    warnings = []
    for path in sorted(content.rglob("*")) if content.is_dir() else []:
        rel = path.relative_to(content)
        if (
            path in read
            or not path.is_file()
            or any(part.startswith(".") for part in rel.parts)
            or path.name.startswith(("_", "~$"))
            or path.name.lower() in _ALWAYS_SKIPPED
            or path.name.lower().startswith("readme")
            or path.suffix.lower() in (*IMAGE_SUFFIXES, ".md")
        ):
            continue
        top = rel.parts[0] if len(rel.parts) > 1 else ""
        suffix = path.suffix.lower()
        awards = f"{config.content}/awards/"
        if top == endorsements.FOLDER:
            advice = (
                "endorsements written on this site are YAML files (.yaml); one signed elsewhere "
                "is added with 'credsite endorsement add FILE', which checks it and stores it in "
                f"{endorsements.FOLDER}/{endorsements.RECEIVED}/"
            )
        elif top == "awards":
            advice = _SPREADSHEET_ADVICE.get(
                suffix, "award files must be YAML (.yaml), CSV (.csv) or Excel (.xlsx)"
            )
        elif suffix in (*spreadsheet.SUFFIXES, *_SPREADSHEET_ADVICE) and suffix not in (
            ".txt", ".json"
        ):  # fmt: skip
            advice = f"spreadsheets of awards are read only in {awards}: move it there"
        elif suffix in YAML_SUFFIXES:
            advice = (
                "YAML files are read only in issuers/, achievements/, pathways/, awards/ and "
                "endorsements/: move it into the folder for what it describes"
            )
        elif top in ("issuers", "achievements", "pathways"):
            advice = f"{top} are YAML files (.yaml)"
        else:
            advice = (
                "credsite reads YAML in issuers/, achievements/, pathways/, awards/ and "
                "endorsements/, "
                "spreadsheets in awards/, and the images those files name"
            )
        warnings.append(
            Problem(
                Location(_shown(path, config)),
                f"credsite does not read this file: {advice}. Or start its name with '_' to keep "
                "it here unread",
            )
        )
    return warnings


def _unique_slug(
    path: Path, seen: dict[str, Path], what: str, config: SiteConfig, problems: Problems
) -> bool:
    """Two files whose names give one id (a.yaml and a.yml, or a.yaml in two folders): an error
    naming both, instead of one silently replacing the other."""
    first = seen.setdefault(path.stem, path)
    if first == path:
        return True
    problems.add(
        Location(_shown(path, config)),
        f"{what} '{path.stem}' is also defined by {_shown(first, config)}: the file name is the "
        f"{what}'s id, so rename or remove one of them",
    )
    return False


def _shown(path: Path, config: SiteConfig) -> str:
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return str(path)


def _read_yaml_map(
    path: Path, config: SiteConfig, problems: Problems, what: str, warnings: Problems
) -> Map | None:
    shown = _shown(path, config)
    try:
        data = yamlsource.load(path, shown)
    except CredsiteError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(data, Map):
        problems.add(Location(shown, 1, 1), f"{what} file must be a mapping of fields")
        return None
    warnings.extend(_sample_texts(data))
    return data


# -- what `credsite init` writes for the coordinator to replace ---------------------------------------

SAMPLE_AWARDS = {
    ("Ada Example", "ada@example.org"),
    ("Grace Example", "grace@example.org"),
    ("Alan Example", "alan@example.org"),
}
"""(name, email) of the sample awards in credsite/commands/scaffold/content/awards/."""
SAMPLE_ISSUER_URL = "https://example.org"
SAMPLE_ISSUER_EMAIL = "badges@example.org"
_SAMPLE_TEXT = re.compile(r"\bReplace this\b")


def _sample_texts(data: Map | Seq) -> list[Problem]:
    """A warning for each text of a YAML file that still says "Replace this ..."."""
    found = []
    # Each value's place is looked up only for a text that says it (a cohort of 10,000 awards
    # has 50,000 values, and none does).
    places: Callable[[Any], Location] = (
        data.value_location if isinstance(data, Map) else data.item_locations.__getitem__
    )
    for key, value in data.items() if isinstance(data, Map) else enumerate(data):
        if isinstance(value, (Map, Seq)):
            found += _sample_texts(value)
        elif isinstance(value, str) and _SAMPLE_TEXT.search(value):
            message = "sample text from `credsite init` ('Replace this ...'): write your own"
            found.append(Problem(places(key), message))
    return found


def _placeholders(config: SiteConfig, awards: list[Award]) -> list[Problem]:
    """The site's url and the sample awards, as `credsite init` wrote them."""
    found = []
    if config.url == PLACEHOLDER_URL:
        found.append(
            Problem(
                config.locations.get("url", Location("site.yaml")),
                f"'url' is still the placeholder {PLACEHOLDER_URL} that `credsite init` wrote: "
                "set it to the address the site will be published at (for GitHub Pages "
                "https://ORGANISATION.github.io/REPOSITORY/); every credential's id and the "
                "issuer's identity are built from it",
            )
        )
    for award in awards:
        if (award.name, award.email) in SAMPLE_AWARDS:
            found.append(
                Problem(
                    award.location,
                    f"sample award from `credsite init` ({award.name}, {award.email}): replace "
                    "it with your own awards or delete it before you publish",
                )
            )
    return found


def _slug(path: Path, config: SiteConfig, problems: Problems) -> str | None:
    slug = path.stem
    if len(slug) > MAX_SLUG:
        problems.add(
            Location(_shown(path, config)),
            f"file name '{path.name}' is {len(slug)} characters long before '{path.suffix}': "
            f"at most {MAX_SLUG} are allowed (it becomes the id in URLs and file names)",
        )
        return None
    if not re.fullmatch(SLUG, slug):
        problems.add(
            Location(_shown(path, config)),
            f"file name '{path.name}' must be lower-case letters, digits and '-' "
            "(it becomes the id in URLs)",
        )
        return None
    return slug


def _image(read: Reader, key: str, config: SiteConfig) -> ImageRef | None:
    name = read.str(key)
    if name is None:
        return None
    if is_http_url(name):
        read.error(key, f"'{key}' must be a file in the site's content folder, not a URL")
        return None
    try:
        path = (config.content_dir / name).resolve()
        found = path.is_file()
    except (OSError, RuntimeError):  # a name too long for the system, a loop of symlinks
        read.error(key, f"image file not found: {config.content}/{name}")
        return None
    if not path.is_relative_to(config.root.resolve()):
        read.error(key, f"'{key}' must be inside the site folder")
        return None
    if not found:
        hint = _close_image(config.content_dir, name)
        read.error(key, f"image file not found: {config.content}/{name}{hint}")
        return None
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        read.error(key, f"'{key}' must be a PNG, JPEG, GIF, WebP or SVG file")
        return None
    return ImageRef(path, f"{config.content}/{name}", read.loc(key))


IMAGES_LOOKED_AT = 2_000
"""The most image files `_close_image` compares a missing one with."""


def _close_image(content: Path, name: str) -> str:
    """`` (did you mean 'images/logo.png'?)``: the image file in the content folder whose path
    is closest to `name` (a typo, a wrong case or extension), or ""."""
    import difflib

    found: list[str] = []
    with contextlib.suppress(OSError):
        for path in content.rglob("*"):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
                found.append(path.relative_to(content).as_posix())
                if len(found) >= IMAGES_LOOKED_AT:
                    break
    close = difflib.get_close_matches(name, found, n=1, cutoff=0.6)
    if not close:  # the file name alone, wherever it is (a wrong folder)
        by_name = {Path(f).name.lower(): f for f in reversed(found)}
        close = [by_name[n] for n in difflib.get_close_matches(Path(name).name.lower(), by_name, n=1)]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _load_issuer(
    path: Path, config: SiteConfig, problems: Problems, warnings: Problems
) -> Issuer | None:
    data = _read_yaml_map(path, config, problems, "issuer", warnings)
    slug = _slug(path, config, problems)
    if data is None or slug is None:
        return None
    read = Reader(data, problems, "issuer")
    read.check_keys(
        ["name", "url", "email", "description", "image", "colors", "linkedin_id", "publish_email"],
        required=["name", "url"],
    )
    translations: Translations = {}
    publish_email = read.bool("publish_email", False)
    if publish_email and data.get("email") is None:
        read.error("publish_email", "'publish_email: true' needs the issuer's 'email'")
    if str(data.get("url", "")).rstrip("/") == SAMPLE_ISSUER_URL:
        warnings.add(
            read.loc("url"),
            f"the issuer's 'url' is still {SAMPLE_ISSUER_URL}, the sample `credsite init` wrote: "
            "set it to your organisation's website",
        )
    if publish_email and data.get("email") == SAMPLE_ISSUER_EMAIL:
        warnings.add(
            read.loc("email"),
            f"the issuer's 'email' is still {SAMPLE_ISSUER_EMAIL}, the sample `credsite init` "
            "wrote, and 'publish_email: true' publishes it: set your organisation's address",
        )
    languages = _languages(config, warnings)
    primary, secondary = "#1f4e79", "#f2b705"
    colours = read.map("colors")
    if colours is not None:
        cread = Reader(colours, problems, "colors")
        cread.check_keys(["primary", "secondary"])
        primary = cread.str("primary", primary, pattern=HEX_COLOUR)
        secondary = cread.str("secondary", secondary, pattern=HEX_COLOUR)
    return Issuer(
        slug=slug,
        name=read.text("name", languages, translations, max_length=MAX_NAME),
        url=read.url("url", ""),
        email=read.str("email", None, pattern=EMAIL),
        description=read.text("description", languages, translations),
        image=_image(read, "image", config),
        primary_colour=primary.lower(),
        secondary_colour=secondary.lower(),
        linkedin_id=read.str("linkedin_id", None, pattern=r"[0-9]+"),
        location=data.location,
        publish_email=publish_email,
        translations=translations,
    )


def _load_pathway(
    path: Path, site: Site, config: SiteConfig, problems: Problems, warnings: Problems
) -> None:
    """A pathway file: the fields of an achievement, plus its completion rules."""
    data = _read_yaml_map(path, config, problems, "pathway", warnings)
    if data is None:
        return
    achievement = _load_achievement(path, config, problems, warnings, pathway_rules.KEYS, data)
    rules = pathway_rules.read_rules(path.stem, data, problems, _languages(config, warnings))
    if achievement is not None and rules is not None:
        site.achievements[achievement.slug] = achievement
        site.pathways[achievement.slug] = rules


def _load_achievement(
    path: Path,
    config: SiteConfig,
    problems: Problems,
    warnings: Problems,
    extra_keys: tuple[str, ...] = (),
    data: Map | None = None,
) -> Achievement | None:
    if data is None:
        data = _read_yaml_map(path, config, problems, "achievement", warnings)
    slug = _slug(path, config, problems)
    if data is None or slug is None:
        return None
    read = Reader(data, problems, "achievement")
    read.check_keys(
        [
            "issuer",
            "name",
            "description",
            "criteria",
            "image",
            "type",
            "tags",
            "valid_for",
            "alignments",
            *extra_keys,
            "results",
            "publish_results",
        ],
        required=["name", "description", "criteria"],
    )
    achievement_type = read.str("type", "Badge")
    if achievement_type not in ACHIEVEMENT_TYPES and not re.fullmatch(
        r"ext:[A-Za-z0-9._-]+", achievement_type
    ):
        read.error(
            "type",
            f"unknown achievement type '{achievement_type}': use one of "
            f"{', '.join(ACHIEVEMENT_TYPES)}, or 'ext:YourType'",
        )
    valid_for = None
    if (text := read.str("valid_for")) is not None:
        valid_for = parse_duration(text)
        if valid_for is None:
            read.error(
                "valid_for",
                f"'valid_for' must be like '2 years', '18 months' or '90 days', got {text!r}",
            )
        elif valid_for[0] > MAX_VALID_FOR[valid_for[1]] or valid_for[0] < 1:
            read.error(
                "valid_for",
                f"'valid_for' must be between 1 day and 100 years, got {text!r}",
            )
            valid_for = None
    languages = _languages(config, warnings)
    alignments = []
    for item, loc in _items(read, "alignments"):
        if alignment := read_alignment(item, loc, problems, languages):
            alignments.append(alignment)
    issuer = read.str("issuer", "", pattern=SLUG)
    translations: Translations = {}
    return Achievement(
        slug=slug,
        issuer=issuer,
        name=read.text("name", languages, translations, max_length=MAX_NAME),
        description=read.text("description", languages, translations),
        criteria=read.text("criteria", languages, translations),
        image=_image(read, "image", config),
        achievement_type=achievement_type,
        tags=tuple(read.list_of_str("tags")),
        valid_for=valid_for,
        alignments=tuple(alignments),
        location=read.loc("issuer") if "issuer" in data else data.location,
        results=assessment.read_specs(read, languages),
        publish_results=read.bool("publish_results", False),
        translations=translations,
    )


def _items(read: Reader, key: str) -> list[tuple[Any, Location]]:
    seq = read.seq(key)
    if seq is None:
        return []
    return list(zip(seq, seq.item_locations, strict=True))


AWARD_FIELDS = [
    "id",
    "achievement",
    "name",
    "email",
    "issued",
    "expires",
    "narrative",
    "evidence",
    "role",
    "fields",
    "status",
    "status_reason",
    "status_date",
    "withdrawn",
    "visibility",
    "results",
    "language",
]
COHORT_DEFAULTS = [
    "achievement", "issued", "expires", "role", "fields", "visibility", "results", "language"
]  # fmt: skip


def _load_award_file(
    path: Path,
    config: SiteConfig,
    problems: Problems,
    warnings: Problems,
    parsed: yamlsource.Parsed | None = None,
) -> list[Award]:
    """One award (a mapping), a list of awards, or a cohort: shared fields plus `awards:`."""
    shown = _shown(path, config)
    try:
        data = yamlsource.load(path, shown, parsed)
    except CredsiteError as exc:
        problems.extend(exc.problems)
        return []
    if data is None:
        return []
    if isinstance(data, (Map, Seq)):
        warnings.extend(_sample_texts(data))
    defaults: Map | None = None
    entries: list[tuple[Any, Location]]
    if isinstance(data, Seq):
        entries = list(zip(data, data.item_locations, strict=True))
    elif isinstance(data, Map) and "awards" in data:
        read = Reader(data, problems, "cohort")
        read.check_keys(["awards", *COHORT_DEFAULTS], required=["awards"])
        defaults = data
        entries = _items(read, "awards")
    elif isinstance(data, Map):
        entries = [(data, data.location)]
    else:
        problems.add(
            Location(shown, 1, 1),
            "an awards file holds an award, a list of awards, or a cohort with 'awards:'",
        )
        return []
    awards = []
    for item, loc in entries:
        if not isinstance(item, Map):
            problems.add(loc, "each award must be a mapping of fields")
            continue
        award = read_award(item, defaults, problems, config.visibility, config.languages)
        if award:
            awards.append(award)
    return awards


def _load_award_rows(
    path: Path, config: SiteConfig, problems: Problems, warnings: Problems
) -> list[Award]:
    """A spreadsheet of awards: each row is read exactly like an award written in YAML."""
    awards = []
    for item, missing in spreadsheet.load_rows(path, _shown(path, config), problems, warnings):
        if not missing:
            if award := read_award(item, None, problems, config.visibility, config.languages):
                awards.append(award)
            continue
        # Check the rest of the row without repeating "award needs ..." for the empty cells
        # already reported, and without an award that would fail the cross checks.
        scratch = Problems()
        read_award(item, None, scratch)
        problems.extend(p for p in scratch.items if not p.message.startswith("award needs '"))
    return awards


def read_award(
    item: Map,
    defaults: Map | None,
    problems: Problems,
    default_visibility: str = "unlisted",
    languages: tuple[str, ...] = (),
) -> Award | None:
    """Check one award mapping; cohort `defaults` fill fields the award leaves out, and
    `default_visibility` (the site's) the visibility neither gives. `languages`: the site's (the
    first is the default; an award's `language` must be one of them)."""
    read = Reader(item, problems, "award")
    read.check_keys(AWARD_FIELDS)
    dread = Reader(defaults, problems, "cohort") if defaults is not None else None

    def pick(key: str) -> Reader | None:
        if key in item:
            return read
        if dread is not None and key in dread.data:
            return dread
        return None

    for key in ("achievement", "name", "email"):
        if (source := pick(key)) is None:
            problems.add(item.location, f"award needs '{key}'")
        elif source.data[key] is None:
            source.empty(key)
    # Not checked against SLUG here: an achievement given by its display name ('Data Champion')
    # is reported by `_cross_check` as unknown, with the file name it probably means.
    achievement = (pick("achievement") or read).str("achievement", "")
    email = read.str("email", "", pattern=EMAIL)
    issued = (pick("issued") or read).date("issued")
    expires = (pick("expires") or read).date("expires")
    if issued and expires and expires <= issued:
        read.error("expires" if "expires" in item else "issued", "'expires' must be after 'issued'")
    status = read.str("status", "active")
    if status not in STATUSES:
        read.error("status", f"'status' must be one of {', '.join(STATUSES)}, got {status!r}")
        status = "active"
    if status == "active" and ("status_reason" in item or "status_date" in item):
        read.error(
            "status_reason" if "status_reason" in item else "status_date",
            "'status_reason' and 'status_date' need 'status: revoked' or 'suspended'",
        )
    withdrawn = _withdrawn(read)
    fields_map = {**_fields(dread, problems), **_fields(read, problems)}
    if len(fields_map) > MAX_FIELDS:  # each within it, but not with its cohort's
        problems.add(
            read.loc("fields"),
            f"an award has at most {MAX_FIELDS} fields, this one {len(fields_map)} with its "
            "cohort's",
        )
        fields_map = {}
    explicit_id = read.str("id", None, pattern=AWARD_ID)
    key = explicit_id or f"{achievement}/{normalise_email(email)}"
    legacy_key = None
    if explicit_id and not isinstance(item["id"], (str, bool)):
        legacy_key = str(item["id"]).strip()  # how YAML 1.1 read it: `007` as 7
        if legacy_key == key or not re.fullmatch(AWARD_ID, legacy_key):
            legacy_key = None
    return Award(
        key=key,
        achievement=achievement,
        name=read.str("name", "", max_length=MAX_NAME),
        email=normalise_email(email),
        issued=issued,
        expires=expires,
        narrative=read.str("narrative"),
        evidence=tuple(_evidence(read, problems)),
        role=(pick("role") or read).str("role"),
        fields=tuple(fields_map.items()),
        status=status,
        status_reason=read.str("status_reason"),
        status_date=read.date("status_date"),
        location=item.location,
        achievement_location=(pick("achievement") or read).loc("achievement"),
        status_location=read.loc("status") if "status" in item else None,
        legacy_key=legacy_key,
        withdrawn=withdrawn,
        visibility=_award_visibility(pick("visibility"), default_visibility),
        language=_award_language(pick("language"), languages),
        results=assessment.merge(
            assessment.read_award_results(dread), assessment.read_award_results(read)
        ),
    )


def _award_visibility(read: Reader | None, default: str) -> str:
    """The award's `visibility`, or its cohort's (`read` is whichever gives it), or `default`."""
    if read is None:
        return default
    value = read.str("visibility", default)
    if value not in VISIBILITIES:
        read.error("visibility", f"'visibility' must be one of {', '.join(VISIBILITIES)}, "
                   f"got {value!r}")  # fmt: skip
        return default
    return str(value)


def _award_language(read: Reader | None, languages: tuple[str, ...]) -> str:
    """The award's `language` (or its cohort's), one of the site's; "" for the site's first."""
    if read is None:
        return ""
    value = read.str("language", None)
    if value is None:
        return ""
    if languages and value not in languages:
        read.error(
            "language",
            f"unknown language '{value}': the site's languages are {', '.join(languages)} "
            "(site.yaml 'languages')",
        )
        return ""
    return "" if languages and value == languages[0] else str(value)


def _withdrawn(read: Reader) -> bool:
    """`withdrawn: true` (YAML) or a spreadsheet cell reading true/false (or empty)."""
    value = read.data.get("withdrawn")
    if isinstance(value, str) and value.strip().lower() in ("true", "false", ""):
        return value.strip().lower() == "true"
    return read.bool("withdrawn", False)


MAX_FIELDS = 250
"""The most per-recipient fields an award may give: each is a value of the signed credential,
and JSON-LD expansion (pyld, signing each new shape of credential) compares a property's
values with each other, so a thousand fields took 20 seconds to sign."""


def _fields(read: Reader | None, problems: Problems) -> dict[str, str]:
    if read is None:
        return {}
    fields = read.map("fields")
    if fields is None:
        return {}
    if len(fields) > MAX_FIELDS:
        problems.add(
            fields.location,
            f"an award has at most {MAX_FIELDS} fields, this one {len(fields)}: put a long list "
            "(a transcript's grades, say) in its narrative or evidence",
        )
        return {}
    result = {}
    for key, value in fields.items():
        if isinstance(value, Node) or value is None:
            problems.add(fields.value_location(key), f"field '{key}' must be a single value")
            continue
        result[str(key)] = str(fields.text(key)).strip()  # as written: `0012` stays 0012
    return result


def _evidence(read: Reader, problems: Problems) -> list[Evidence]:
    result = []
    for item, loc in _items(read, "evidence"):
        if isinstance(item, str):
            if not is_http_url(item.strip()):
                problems.add(loc, f"evidence must be an http(s) URL, got {item!r}")
                continue
            result.append(Evidence(item.strip()))
        elif isinstance(item, Map):
            eread = Reader(item, problems, "evidence")
            eread.check_keys(["url", "name", "description", "narrative"])
            if not any(k in item for k in ("url", "narrative")):
                problems.add(loc, "evidence needs a 'url' or a 'narrative'")
                continue
            result.append(
                Evidence(
                    eread.url("url"),
                    eread.str("name"),
                    eread.str("description"),
                    eread.str("narrative"),
                )
            )
        else:
            problems.add(loc, "evidence items must be URLs or mappings with 'url'")
    return result


def _primary_issuer(site: Site, problems: Problems) -> str:
    chosen = site.config.primary_issuer
    if chosen:
        if chosen not in site.issuers:
            problems.add(
                Location("site.yaml"),
                f"primary_issuer '{chosen}' is not an issuer in {site.config.content}/issuers/",
            )
        return chosen
    if len(site.issuers) > 1:
        problems.add(
            Location("site.yaml"),
            "several issuers: set 'primary_issuer' in site.yaml "
            "to the one whose DID is the site's own did:web",
        )
    return next(iter(sorted(site.issuers)), "")


def _cross_check(
    site: Site, awards: list[Award], problems: Problems, failed: tuple[set[str], set[str]]
) -> None:
    """References between files; `failed` (issuer ids, achievement ids) are those whose file is
    there but could not be read, already reported: references to them are not."""
    failed_issuers, failed_achievements = failed
    for slug, achievement in list(site.achievements.items()):
        if not achievement.issuer:
            if len(site.issuers) == 1:
                site.achievements[slug] = replace(achievement, issuer=next(iter(site.issuers)))
            elif site.issuers:
                problems.add(
                    achievement.location,
                    f"achievement '{slug}' needs 'issuer' (the site has several issuers)",
                )
        elif achievement.issuer not in site.issuers and achievement.issuer not in failed_issuers:
            problems.add(achievement.location, _unknown("issuer", achievement.issuer, site.issuers))
    pathway_rules.check(
        site.pathways,
        lambda slug: (
            None if slug in site.achievements else unknown_achievement(slug, site.achievements)
        ),
        problems,
    )
    seen: dict[str, Award] = {}
    for number, award in enumerate(awards):
        if award.achievement in site.achievements and (award.results or award.fields):
            awards[number] = award = _check_results(
                award, site.achievements[award.achievement], problems
            )
        if award.achievement in failed_achievements:
            pass
        elif award.achievement and award.achievement not in site.achievements:
            problems.add(
                award.achievement_location or award.location,
                unknown_achievement(award.achievement, site.achievements),
            )
        elif award.achievement and award.issued and award.expires is None:
            _check_expiry(award, site.achievements[award.achievement], problems)
        if award.key in seen:
            first = seen[award.key]
            problems.add(
                award.location,
                f"duplicate award: same id as the award at "
                f"{first.location} (give one of them a distinct 'id')",
            )
        else:
            seen[award.key] = award


def _in_failed_file(email: str, failed_award_files: list[Path]) -> bool:
    """Whether `email` is written in one of the awards files that had a problem (as text: in a
    spreadsheet's compressed cells it is not found, and the award is reported unknown too)."""
    wanted = email.casefold()
    for path in failed_award_files:
        try:
            if wanted and wanted in path.read_text("utf-8", errors="replace").casefold():
                return True
        except OSError:
            continue
    return False


def _check_endorsements(
    site: Site, problems: Problems, failed_award_files: list[Path]
) -> list[Endorsement]:
    """Each endorsement's endorser and target exist, and no organisation endorses itself or what
    it awards; an award named by 'ACHIEVEMENT/EMAIL' is found whatever the email's case.
    An award not found whose email is in an awards file that had a problem may be one that
    problem left out: the problem is reported there, not again here."""
    awards = {a.key: a for a in site.awards}
    checked: dict[str, Endorsement] = {}
    for endorsement in sorted(site.endorsements, key=lambda e: e.key):
        if endorsement.key in checked:
            problems.add(
                endorsement.location,
                f"endorsement '{endorsement.key}' is also defined at "
                f"{checked[endorsement.key].location}: give one of them another 'id'",
            )
            continue
        ok = True
        if endorsement.endorser not in site.issuers:
            problems.add(
                endorsement.endorser_location,
                _unknown("issuer", endorsement.endorser, site.issuers)
                + ": an endorser on this site is an issuer (content/issuers/SLUG.yaml) with its "
                "own signing key",
            )
            ok = False
        kind, target = endorsement.target_kind, endorsement.target
        owner = None
        if kind == "url":
            pass  # something on another site: credsite endorse
        elif kind == "achievement":
            if target in site.achievements:
                owner = site.achievements[target].issuer
            else:
                problems.add(
                    endorsement.target_location, unknown_achievement(target, site.achievements)
                )
                ok = False
        elif kind == "issuer":
            if target in site.issuers:
                owner = target
            else:
                problems.add(endorsement.target_location, _unknown("issuer", target, site.issuers))
                ok = False
        else:
            achievement, _, email = target.rpartition("/")
            award = awards.get(target) or awards.get(f"{achievement}/{normalise_email(email)}")
            if award is None:
                if not _in_failed_file(email, failed_award_files):
                    problems.add(
                        endorsement.target_location,
                        f"unknown award '{target}': an award is named by its id, "
                        "'ACHIEVEMENT/EMAIL' or the 'id' it gives",
                    )
                ok = False
            elif award.achievement not in site.achievements:
                ok = False  # the award's unknown achievement is reported at the award
            else:
                owner = site.achievements[award.achievement].issuer
                endorsement = replace(endorsement, target=award.key)
        if ok and owner == endorsement.endorser:
            problems.add(
                endorsement.endorser_location,
                f"issuer '{owner}' cannot endorse its own {kind}: an endorsement comes from "
                "another organisation",
            )
            ok = False
        checked[endorsement.key] = endorsement
    return list(checked.values())


def _unpublished_results(site: Site) -> list[Problem]:
    """One warning per achievement whose awards give results it does not publish."""
    counts: dict[str, int] = {}
    for award in site.awards:
        if award.results and award.achievement in site.achievements:
            counts[award.achievement] = counts.get(award.achievement, 0) + 1
    warnings = []
    for slug, count in sorted(counts.items()):
        achievement = site.achievements[slug]
        if not achievement.publish_results:
            warnings.append(
                Problem(
                    achievement.location,
                    f"{count} award(s) of achievement '{slug}' give results, which are checked but "
                    "not published: results are personal data, so an achievement publishes them "
                    "only with 'publish_results: true' (content/README.md)",
                )
            )
    return warnings


def _check_results(award: Award, achievement: Achievement, problems: Problems) -> Award:
    """The award's results checked against what its achievement declares; a field may not
    share a declared result's name (it would read as that result on the page)."""
    declared = {spec.slug: spec for spec in achievement.results}
    for name, _ in award.fields:
        if assessment.fold(name) in declared:
            problems.add(
                award.location,
                f"field '{name}' has the name of a result achievement '{achievement.slug}' "
                "declares: give it under 'results:' instead",
            )
    if not award.results:
        return award
    checked = assessment.check_results(
        award.results, achievement.results, achievement.slug, problems
    )
    return replace(award, results=checked)


def unknown_achievement(name: str, achievements: dict[str, Achievement]) -> str:
    """'unknown achievement ...' with the achievement probably meant: by id, or by display name.

    Awards name an achievement by its file name ('data-champion'); people often write the name
    they see on the badge ('Data Champion') instead.
    """
    import difflib

    def fold(text: str) -> str:
        return " ".join(re.split(r"[\s_-]+", text.casefold())).strip()

    by_name = {fold(a.name): a for a in sorted(achievements.values(), key=lambda a: a.slug)}
    match = by_name.get(fold(name))
    if match is None and not re.fullmatch(SLUG, name):
        close = difflib.get_close_matches(fold(name), list(by_name), n=1)
        match = by_name[close[0]] if close else None
    if match is None:
        message = _unknown("achievement", name, achievements)
        if re.fullmatch(SLUG, name) or not achievements or "did you mean" in message:
            return message
        return (
            f"{message}: an award names its achievement by the achievement's file name, "
            f"such as '{min(achievements)}'"
        )
    return (
        f"unknown achievement '{name}': did you mean '{match.slug}' (named '{match.name}')? "
        "An award names its achievement by the achievement's file name"
    )


def _check_expiry(award: Award, achievement: Achievement, problems: Problems) -> None:
    """An expiry computed from the achievement's 'valid_for' must be a date a site may give."""
    if achievement.valid_for is None or award.issued is None:
        return
    try:
        ends = add_duration(award.issued, achievement.valid_for)
    except OverflowError:
        ends = None
    if ends is None or ends > LATEST:
        amount, unit = achievement.valid_for
        problems.add(
            award.location,
            f"the award would expire after {LATEST:%Y-%m-%d}: issued "
            f"{award.issued:%Y-%m-%d} plus the {amount} {unit}(s) of 'valid_for' of achievement "
            f"'{achievement.slug}'; give it an earlier 'issued' date or its own 'expires'",
        )


def _unknown(what: str, name: str, known: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{name}'{hint}"
