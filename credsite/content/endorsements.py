"""Endorsements written on this site: ``content/endorsements/*.yaml``, one per file.

An endorsement is another organisation's signed statement about an achievement, an issuer or one
recipient's credential (OB 3.0 EndorsementCredential, §B.1.11). When that organisation is on this
site (an issuer with its own key and did:web DID document), its endorsement is written here:

```yaml
endorser: harbour-polytechnic        # the endorsing issuer (content/issuers/SLUG.yaml)
target:                              # what it endorses: exactly one of
  achievement: faculty-coordinator   #   an achievement (its file name)
  # issuer: northbridge              #   an issuer (its file name)
  # award: faculty-coordinator/a@example.org   # one award (its id)
comment: |                           # Markdown: what the endorser says
  ...
issued: 2026-09-01                   # optional; else when it is first built
status: withdrawn                    # optional: active (the default) or withdrawn
```

This module reads and checks each file on its own; `model` checks what it names (the endorser, the
target) against the rest of the site. The file name (without ``.yaml``) is the endorsement's id
unless it gives an ``id``: the lockfile knows it by that id, so renaming a file without keeping its
id issues a new endorsement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from credsite.content import yamlsource
from credsite.content.fields import Reader
from credsite.content.yamlsource import Map
from credsite.errors import CredsiteError, Location, Problems
from credsite.values import is_http_url

FOLDER = "endorsements"
"""Under the content folder."""
TARGETS = ("achievement", "issuer", "award", "url")
"""What an endorsement may name: this site's achievement, issuer or award, or (``url``) the id of
something on another site (an achievement's URL, an issuer's DID, a credential's URL): such an
endorsement is hosted here and sent to that site (`credsite endorse`)."""
RECEIVED = "received"
"""content/endorsements/received/: endorsements signed elsewhere (`credsite endorsement add`),
each ``SLUG.json`` as received with its endorser's DID document ``SLUG.did.json`` beside it."""
DID_SUFFIX = ".did.json"
MAX_RECEIVED_BYTES = 1024 * 1024
STATUSES = ("active", "withdrawn")
FIELDS = (
    "id",
    "endorser",
    "target",
    "comment",
    "name",
    "issued",
    "status",
    "status_reason",
    "status_date",
)
ENDORSEMENT_ID = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
MAX_COMMENT = 10_000


@dataclass(frozen=True)
class Endorsement:
    """One endorsement written on this site, as read (its names not yet checked)."""

    key: str
    """Its id: ``id``, or the file's path under content/endorsements/ without ``.yaml``."""
    endorser: str
    target_kind: str
    """``achievement``, ``issuer`` or ``award``."""
    target: str
    """The achievement's or issuer's slug, or the award's id."""
    comment: str
    name: str | None
    issued: dt.datetime | None
    status: str
    status_reason: str | None
    status_date: dt.datetime | None
    location: Location
    endorser_location: Location
    target_location: Location
    status_location: Location | None = None

    @property
    def lock_key(self) -> str:
        """How the lockfile names it: a digest, as for awards (whose ids hold emails)."""
        return hashlib.sha256(f"endorsement\0{self.key}".encode()).hexdigest()[:24]

    @property
    def withdrawn(self) -> bool:
        return self.status == "withdrawn"


def load(folder: Path, shown: str, files: list[Path], problems: Problems) -> list[Endorsement]:
    """Each file of `files` (YAML under `folder`, shown as `shown`/...) read into an Endorsement."""
    endorsements = []
    for path in files:
        display = f"{shown}/{path.relative_to(folder).as_posix()}"
        try:
            data = yamlsource.load(path, display)
        except CredsiteError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(data, Map):
            problems.add(
                Location(display, 1, 1),
                "an endorsement file is a mapping: 'endorser', 'target', 'comment', ...",
            )
            continue
        key = path.relative_to(folder).with_suffix("").as_posix()
        if not _is_text(key):  # its id is published and recorded: it must be text
            problems.add(
                Location(display.encode("utf-8", "replace").decode("utf-8")),
                "this file's name is not UTF-8 text (it was saved under another encoding): "
                "rename it, with letters, digits and '-'",
            )
            continue
        endorsement = _read(data, key, problems)
        if endorsement is not None:
            endorsements.append(endorsement)
    return endorsements


def _is_text(name: str) -> bool:
    """Whether a file name Python read from the disk is UTF-8 (else it holds the lone
    surrogates of ``surrogateescape``, which no JSON or lockfile line can carry)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read(data: Map, key: str, problems: Problems) -> Endorsement | None:
    read = Reader(data, problems, "endorsement")
    read.check_keys(FIELDS, required=["endorser", "target", "comment"])
    endorser = read.str("endorser")
    comment = read.str("comment", max_length=MAX_COMMENT)
    target = _target(read)
    status = read.str("status", "active")
    if status not in STATUSES:
        read.error("status", f"'status' must be 'active' or 'withdrawn', got {status!r}")
        status = "active"
    if status == "active" and ("status_reason" in data or "status_date" in data):
        read.error(
            "status_reason" if "status_reason" in data else "status_date",
            "'status_reason' and 'status_date' need 'status: withdrawn'",
        )
    explicit = read.str("id", None, pattern=ENDORSEMENT_ID)
    if endorser is None or comment is None or target is None:
        return None
    kind, name, target_location = target
    return Endorsement(
        key=explicit or key,
        endorser=endorser,
        target_kind=kind,
        target=name,
        comment=comment,
        name=read.str("name", max_length=200),
        issued=read.date("issued"),
        status=status,
        status_reason=read.str("status_reason"),
        status_date=read.date("status_date"),
        location=data.location,
        endorser_location=read.loc("endorser"),
        target_location=target_location,
        status_location=read.loc("status") if "status" in data else None,
    )


def _target(read: Reader) -> tuple[str, str, Location] | None:
    """(kind, name, where the name is written) of the endorsement's `target`."""
    target = read.map("target")
    if target is None:
        return None  # missing or not a mapping: reported by check_keys or read.map
    given = [kind for kind in TARGETS if kind in target]
    tread = Reader(target, read.problems, "target")
    tread.check_keys(TARGETS)
    if len(given) != 1:
        read.error(
            "target",
            "'target' names exactly one of 'achievement', 'issuer' or 'award' (an award by its "
            "id: 'ACHIEVEMENT/EMAIL' or its own 'id')",
        )
        return None
    kind = given[0]
    value = tread.str(kind)
    if value is None:
        return None
    if kind == "url":
        if not (is_http_url(value) or re.fullmatch(r"did:[a-z0-9]+:\S+", value)):
            tread.error(
                kind,
                "'url' is the id of what is endorsed on another site: an http(s) URL (an "
                f"achievement, a credential) or a DID (an issuer), got {value!r}",
            )
            return None
    elif kind != "award" and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
        tread.error(
            kind, f"'{kind}' is the {kind}'s file name (lower-case, digits, '-'), got {value!r}"
        )
        return None
    return kind, value, tread.loc(kind)


@dataclass(frozen=True)
class Received:
    """An endorsement signed elsewhere, as stored by `credsite endorsement add` (not yet checked:
    `credsite.issuing.endorsements.check_received` verifies it, offline)."""

    slug: str
    shown: str
    """The endorsement file as messages name it."""
    document: object
    """Its parsed JSON, exactly as received."""
    did_shown: str
    did_bytes: bytes | None
    """The endorser's DID document as stored (None if the file is missing)."""

    @property
    def location(self) -> Location:
        return Location(self.shown)


def received_files(folder: Path) -> list[Path]:
    """Every received endorsement (``*.json`` but not ``*.did.json``) and DID document in
    `folder` (content/endorsements/received/), sorted; drafts (``_``, ``.``) left out."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix == ".json" and not p.name.startswith(("_", "."))
    )


def load_received(folder: Path, shown: str, problems: Problems) -> list[Received]:
    """Each received endorsement and its DID document's bytes; unreadable JSON is a problem."""
    found = []
    for path in received_files(folder):
        if path.name.endswith(DID_SUFFIX):
            continue
        display = f"{shown}/{path.name}"
        slug = path.name[: -len(".json")]
        did_path = folder / (slug + DID_SUFFIX)
        try:
            if path.stat().st_size > MAX_RECEIVED_BYTES:
                problems.add(Location(display), "a received endorsement is at most 1 MiB")
                continue
            document = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.add(Location(display), f"cannot read the endorsement: {exc}")
            continue
        try:
            did_bytes = did_path.read_bytes() if did_path.is_file() else None
        except OSError as exc:
            problems.add(Location(f"{shown}/{did_path.name}"), f"cannot read it: {exc.strerror}")
            continue
        found.append(Received(slug, display, document, f"{shown}/{did_path.name}", did_bytes))
    return found
