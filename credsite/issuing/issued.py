"""What an award becomes once issued: its dates and, after signing, the `Issued` record.

Pages, images and the OB 2.0 output are all made from `Issued` records (one model, many outputs).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

from credsite.cache import fingerprint
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


@dataclass
class Issued:
    """One award after signing."""

    award: Award
    entry: AwardEntry
    signed_json: Spilled
    """The signed credential as published (``credentials/TOKEN.json``): see `json_bytes`."""
    dates: Dates
    state: str  # active | revoked | suspended | expired
    detached_json: bytes = b""
    """The credential's detached eddsa-jcs-2022 proof as published
    (``credentials/TOKEN.jcs-proof.jsonld``): bytes, a third of its size as Python objects."""

    @functools.cached_property
    def inputs(self) -> str:
        """A fingerprint of the award as issued (its content, lockfile entry, dates and state):
        with `json_bytes`, what its page and its recipient's learner record are made from."""
        return fingerprint(self.award, self.entry, self.dates, self.state)

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
