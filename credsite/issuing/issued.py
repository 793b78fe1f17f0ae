"""What an award becomes once issued: its dates and, after signing, the `Issued` record.

Pages, images and the OB 2.0 output are all made from `Issued` records (one model, many outputs).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

from credsite.cache import digest, fingerprint
from credsite.content.model import Achievement, Award
from credsite.spill import Spilled
from credsite.state.lockfile import AwardEntry
from credsite.values import add_duration, parse_datetime


@dataclass(frozen=True)
class Dates:
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    created: dt.datetime


def award_dates(award: Award, achievement: Achievement, entry: AwardEntry) -> Dates:
    minted = parse_datetime(entry.minted)
    assert minted is not None  # checked when the lockfile was read
    valid_from = award.issued or minted
    valid_until = award.expires
    if valid_until is None and achievement.valid_for is not None:
        valid_until = add_duration(valid_from, achievement.valid_for)
    return Dates(valid_from, valid_until, minted)


def award_inputs(award: Award, entry: AwardEntry) -> str:
    """A fingerprint of an award's content and lockfile entry: taken once, for its credential
    (what the build keeps it by) and for everything made from it (`Issued.inputs`)."""
    return fingerprint(award, entry)


@dataclass
class Issued:
    """One award after signing."""

    award: Award
    entry: AwardEntry
    signed_json: Spilled
    """The signed credential as published (``credentials/TOKEN.json``): see `json_bytes`."""
    dates: Dates
    state: str  # active | revoked | suspended | expired
    detached: Spilled
    """The credential's detached eddsa-jcs-2022 proof as published
    (``credentials/TOKEN.jcs-proof.jsonld``), held as its signed JSON is."""
    award_inputs: str
    """`award_inputs` of its award and lockfile entry."""

    @functools.cached_property
    def inputs(self) -> str:
        """A fingerprint of the award as issued (its content, lockfile entry, dates and state):
        with `json_bytes`, what its page and its recipient's learner record are made from."""
        dates = self.dates
        until = dates.valid_until.isoformat() if dates.valid_until is not None else ""
        # the strings themselves (`award_inputs` holds the code's version): a third of the time
        return digest(self.award_inputs, dates.valid_from.isoformat(), until,
                      dates.created.isoformat(), self.state)  # fmt: skip

    @property
    def json_bytes(self) -> bytes:
        """The signed credential as published, read back from where the build holds it."""
        return self.signed_json.read()

    @property
    def json_digest(self) -> str:
        """SHA-256 hex of `json_bytes`, taken when it was made: what files made from it are kept
        by, without reading it back."""
        return self.signed_json.digest

    @property
    def document(self) -> dict[str, Any]:
        """The signed credential, read from `json_bytes` each time it is asked for: a site of many
        thousands of credentials does not keep them all in memory as objects."""
        document: dict[str, Any] = json.loads(self.json_bytes)
        return document
