"""credsite.lock: the issuance state that cannot be recomputed, recorded once and committed.

Credential URLs are random (not guessable from the recipient or a counter), status-list
indices are random (Bitstring Status List §5 "SHOULD assign indexes randomly"), recipient salts
are random, and issue times are when the award was first built: none can be derived from the
content, so all are recorded here the first time and read back on every later build. That is what
makes rebuilds byte-identical.

The file is JSON Lines, one self-contained object per line, sorted. `.gitattributes` gives it
git's built-in ``merge=union`` driver, so two branches that each issued awards merge without a
conflict; `load` then reconciles what a union merge can leave behind (identical duplicate lines,
stale status-list lines) and reports what needs a human (one award issued twice with different
ids, one status index given to two awards). Entries are never deleted, so an index is never reused,
not after revocation, not after an award is deleted from the content.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from credsite.atomic import write_atomic
from credsite.errors import ContentError, CredsiteError, Location, Problems
from credsite.state import jsonl
from credsite.values import format_datetime, parse_datetime, read_cache_json
from credsite.vc.status import MIN_ENTRIES

HEADER = (
    "# credsite.lock: issuance state credsite cannot recompute (credential ids, status indices,\n"
    "# salts, issue times). Commit it; never edit or delete lines: recipients hold what it records.\n"
)
LIST_SIZE = MIN_ENTRIES  # Bitstring Status List minimum; one index per award in every list
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Keyed(Protocol):
    """An award as the lockfile knows it (`credsite.content.model.Award`)."""

    @property
    def key(self) -> str: ...

    @property
    def lock_key(self) -> str: ...


class LockedError(CredsiteError):
    """--locked build that would have to record new state."""


@dataclass(frozen=True)
class AwardEntry:
    award: str
    """Digest of the award's id (`model.Award.lock_key`)."""
    credential: str
    """Random token that names the credential's files: credentials/<token>.json."""
    minted: str
    """When the award was first built: proof `created`, and `validFrom` if the award gives no date."""
    salt: str
    """Salt of the recipient's identity hash (OB 3.0 IdentityObject, OB 2.0 recipient)."""
    list: int
    index: int


@dataclass(frozen=True)
class EndorsementEntry:
    """An endorsement written on this site (content/endorsements/): minted once, like an award."""

    endorsement: str
    """Digest of the endorsement's id (`Endorsement.lock_key`)."""
    credential: str
    """Random token that names its files: endorsements/<token>.json."""
    minted: str
    """When it was first built: proof `created`, and `validFrom` if it gives no `issued` date."""
    list: int
    index: int
    """Its entry in the endorser's status list (set when it is withdrawn): from the same pool as
    the awards' indices, so no index of a list number is ever given twice."""


@dataclass(frozen=True)
class PinEntry:
    """The DID document of an endorser outside the site, pinned by `credsite endorsement add`:
    the build checks received endorsements against this document, offline."""

    did: str
    sha256: str
    """Hex SHA-256 of the document's bytes as stored under content/endorsements/received/."""
    pinned: str
    """When it was fetched (or given) and checked; the newest pin of a DID counts."""


@dataclass(frozen=True)
class KeyEntry:
    issuer: str
    publicKeyMultibase: str
    added: str


@dataclass(frozen=True)
class ListEntry:
    issuer: str
    list: int
    purpose: str
    set: tuple[int, ...] | None = None
    """The indices set in the list. Kept so that a revocation outlives the award's deletion from
    the content, and so that a list keeps its dates until its bits change."""
    updated: str = ""
    bits: str | None = None
    """sha256 of the bitstring: the form of lockfiles written before `set`; upgraded on build."""


@dataclass(frozen=True)
class SiteEntry:
    url: str
    """The site's base URL (site.yaml `url`): every credential id and issuer DID derives from it."""
    since: str
    """When credsite first built the site at this URL (or moved it there)."""
    previous: str | None = None
    """The URL the site moved from (`credsite move`); None on the first record."""


@dataclass(frozen=True)
class IssuerEntry:
    issuer: str
    did: str
    """The issuer's did:web DID: the `issuer.id` of every credential it signs."""
    since: str
    previous: str | None = None
    """The DID it had before a move; None on the first record."""


@dataclass(frozen=True)
class CompromisedEntry:
    issuer: str
    publicKeyMultibase: str
    since: str
    """When the key was declared compromised: from then on it is in no DID document, and every
    credential of the issuer is signed with a current key."""


@dataclass(frozen=True)
class ClrEntry:
    """A recipient's learner record (CLR 2.0, `clr: true`): what never changes."""

    recipient: str
    """Digest of the recipient's normalised email (`credsite.issuing.clr.recipient_key`)."""
    credential: str
    """Random token that names the record's files: records/<token>.json."""
    minted: str
    salt: str
    """Salt of the recipient's identity hash in the record."""


@dataclass(frozen=True)
class ClrUpdate:
    """When a learner record last changed: its `validFrom` and proof `created`."""

    recipient: str
    digest: str
    """sha256 of the record as signed, without `validFrom` and proof: a new one means a change."""
    updated: str


@dataclass(frozen=True)
class BakeInBrowserEntry:
    """site.yaml `bake_in_browser` as of `since`, recorded when a build changes it (the newest
    line counts; none: off, as every site was before the switch). While it is on the site
    publishes no baked image of its own per credential: its pages bake them in the browser. So
    when it goes on, every credential issued before was published with baked images at their own
    addresses, which it takes down: the build that records the line says how many, and a --locked
    build refuses to (a CI build from a fresh checkout has no output folder to look at). Lines are
    added, never removed, so a union merge keeps each branch's and the newest wins."""

    on: bool
    since: str


Identity = SiteEntry | IssuerEntry
Entry = (
    AwardEntry | KeyEntry | ListEntry | SiteEntry | IssuerEntry | CompromisedEntry | ClrEntry
    | ClrUpdate | EndorsementEntry | PinEntry | BakeInBrowserEntry
)  # fmt: skip
KINDS: dict[str, type] = {
    "site": SiteEntry,
    "issuer": IssuerEntry,
    "bake-in-browser": BakeInBrowserEntry,
    "key": KeyEntry,
    "compromised": CompromisedEntry,
    "list": ListEntry,
    "award": AwardEntry,
    "clr": ClrEntry,
    "clr-update": ClrUpdate,
    "endorsement": EndorsementEntry,
    "pin": PinEntry,
}
"""Line types, in the order the file lists them."""
_KIND_NAMES = {cls: name for name, cls in KINDS.items()}
_FIELD_NAMES = {cls: tuple(f.name for f in fields(cls)) for cls in KINDS.values()}


@dataclass
class Lockfile:
    awards: dict[str, AwardEntry] = field(default_factory=dict)
    endorsements: dict[str, EndorsementEntry] = field(default_factory=dict)
    pins: list[PinEntry] = field(default_factory=list)
    keys: list[KeyEntry] = field(default_factory=list)
    lists: dict[tuple[str, int, str], list[ListEntry]] = field(default_factory=dict)
    sites: list[SiteEntry] = field(default_factory=list)
    issuers: list[IssuerEntry] = field(default_factory=list)
    compromised: list[CompromisedEntry] = field(default_factory=list)
    clrs: dict[str, ClrEntry] = field(default_factory=dict)
    clr_updates: dict[str, list[ClrUpdate]] = field(default_factory=dict)
    baking: list[BakeInBrowserEntry] = field(default_factory=list)
    locked: bool = False
    clock: Clock = system_clock
    rng: random.Random = field(default_factory=secrets.SystemRandom)
    minted: list[str] = field(default_factory=list)
    """Human descriptions of what this build recorded that was not there before."""
    _used: dict[int, set[int]] = field(default_factory=dict)
    _as_written: dict[int, tuple[Entry, str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Each entry read from a file this credsite wrote (`load`'s `written`), by its id, with its
    line: `lines` writes it so again rather than write it out."""

    # -- reading -------------------------------------------------------------------------------

    @classmethod
    def load(
        cls, path: Path, shown: str = "credsite.lock", *, written: str | None = None,
        **options: object,
    ) -> Lockfile:
        """The lockfile at `path`. `written`: the SHA-256 of the text a build of this credsite
        last wrote there or found there as it would write it (`text`); a file of those bytes is
        read without checking each line again (`_read_as_written`)."""
        lock = cls(**options)  # type: ignore[arg-type]
        if not path.exists():
            return lock
        problems = Problems()
        numbered: Iterable[tuple[int, Entry]]
        if (as_written := _read_as_written(path, written)) is not None:
            numbered = [(number, entry) for number, entry, _line in as_written]
            lock._as_written = {id(e): (e, line) for _number, e, line in as_written}
        else:
            numbered = jsonl.entries(path, shown, "lockfile", _parse, problems)
        award_lines: dict[str, int] = {}
        clr_lines: dict[str, int] = {}
        identity_lines: dict[Identity, int] = {}

        def once(table: dict[str, Any], lines: dict[str, int], key: str, entry: object,
                 number: int, what: str, made: str, published: str) -> None:  # fmt: skip
            """Record `entry` under `key` in `table` unless a line recorded it otherwise: a line
            each build writes once, which two branches may have written differently."""
            known = table.get(key)
            if known is not None and known != entry:
                problems.add(
                    Location(shown, number, 1),
                    f"{what} was recorded twice with different values (see line {lines[key]}): "
                    f"probably {made} on two branches; keep the line of the {published} already "
                    "published",
                )
                return
            table[key] = entry
            lines[key] = number

        for number, entry in numbered:
            if isinstance(entry, PinEntry):
                if entry not in lock.pins:
                    lock.pins.append(entry)
            elif isinstance(entry, EndorsementEntry):
                once(lock.endorsements, award_lines, entry.endorsement, entry, number,
                     f"endorsement {entry.endorsement}", "built", "endorsement")  # fmt: skip
            elif isinstance(entry, AwardEntry):
                once(lock.awards, award_lines, entry.award, entry, number,
                     f"award {entry.award}", "issued", "credential")  # fmt: skip
            elif isinstance(entry, KeyEntry):
                if entry not in lock.keys:
                    lock.keys.append(entry)
            elif isinstance(entry, SiteEntry):
                if entry not in lock.sites:
                    lock.sites.append(entry)
                    identity_lines[entry] = number
            elif isinstance(entry, IssuerEntry):
                if entry not in lock.issuers:
                    lock.issuers.append(entry)
                    identity_lines[entry] = number
            elif isinstance(entry, CompromisedEntry):
                lock._add_compromised(entry)
            elif isinstance(entry, ClrEntry):
                once(lock.clrs, clr_lines, entry.recipient, entry, number,
                     f"learner record {entry.recipient}", "made", "record")  # fmt: skip
            elif isinstance(entry, ClrUpdate):
                updates = lock.clr_updates.setdefault(entry.recipient, [])
                if entry not in updates:
                    updates.append(entry)
            elif isinstance(entry, BakeInBrowserEntry):
                if entry not in lock.baking:
                    lock.baking.append(entry)
            elif entry not in lock.lists.setdefault((entry.issuer, entry.list, entry.purpose), []):
                lock.lists[(entry.issuer, entry.list, entry.purpose)].append(entry)
        owners: dict[tuple[int, int], str] = {}
        holders: list[tuple[str, int, int]] = [
            *((e.award, e.list, e.index) for e in lock.awards.values()),
            *((e.endorsement, e.list, e.index) for e in lock.endorsements.values()),
        ]
        for name, list_number, index in holders:
            slot = (list_number, index)
            if slot in owners:
                problems.add(
                    Location(shown, award_lines[name], 1),
                    f"status index {index} of list {list_number} is recorded for two "
                    f"awards or endorsements ({owners[slot]} and {name})",
                )
            owners[slot] = name
            lock._used.setdefault(list_number, set()).add(index)
        groups: list[tuple[str, list[Identity], Callable[[Any], str]]] = [
            ("the site's url", list(lock.sites), lambda e: e.url)
        ]
        for issuer in sorted({e.issuer for e in lock.issuers}):
            of_issuer = [e for e in lock.issuers if e.issuer == issuer]
            groups.append((f"the DID of issuer '{issuer}'", list(of_issuer), lambda e: e.did))
        for what, entries, value in groups:
            if entries and _newest(entries, value) is None:
                latest = max(_time(e.since) for e in entries)
                tied = [e for e in entries if _time(e.since) == latest]
                values = sorted({value(e) for e in tied})
                numbers = sorted(identity_lines[e] for e in tied)
                problems.add(
                    Location(shown, numbers[0], 1),
                    f"{what} is recorded as {' and '.join(values)} at the same time (lines "
                    f"{', '.join(map(str, numbers))}): probably moved on two branches; keep the "
                    "lines of the one the site is published at",
                )
        if problems:
            raise ContentError(problems.items)
        return lock

    # -- recording -----------------------------------------------------------------------------

    def award_entries(self, awards: Iterable[Keyed], *, mint: bool = True) -> dict[str, AwardEntry]:
        """Award key -> its recorded entry, for `awards` (content's Award); each new one recorded
        now with `mint`, else left out (what the report and `credsite endorse` see)."""
        if mint:
            return {a.key: self.award(a.lock_key, a.key) for a in awards}
        return {a.key: entry for a in awards if (entry := self.awards.get(a.lock_key)) is not None}

    def award(self, lock_key: str, description: str) -> AwardEntry:
        """The award's recorded state, recording it now if this is its first build."""
        entry = self.awards.get(lock_key)
        if entry is not None:
            return entry
        self._refuse_if_locked(f"new award {description}")
        list_number, index = self._free_index()
        token = base64.b32encode(self.rng.randbytes(16)).decode("ascii").rstrip("=").lower()
        entry = AwardEntry(
            award=lock_key,
            credential=token,
            minted=format_datetime(self.clock()),
            salt=self.rng.randbytes(16).hex(),
            list=list_number,
            index=index,
        )
        self.awards[lock_key] = entry
        self._used.setdefault(list_number, set()).add(index)
        self.minted.append(f"award {description}")
        return entry

    def clr(self, recipient: str, description: str) -> ClrEntry:
        """A recipient's learner record (token, salt), recorded now if this is its first build."""
        entry = self.clrs.get(recipient)
        if entry is not None:
            return entry
        self._refuse_if_locked(f"a learner record for {description}")
        token = base64.b32encode(self.rng.randbytes(16)).decode("ascii").rstrip("=").lower()
        entry = ClrEntry(
            recipient, token, format_datetime(self.clock()), self.rng.randbytes(16).hex()
        )
        self.clrs[recipient] = entry
        self.minted.append(f"learner record of {description}")
        return entry

    def clr_recorded(self, recipient: str, digest: str) -> str | None:
        """When the learner record became what `digest` describes, if the lockfile says so."""
        for entry in self.clr_updates.get(recipient, []):
            if entry.digest == digest:
                return entry.updated
        return None

    def clr_updated(self, recipient: str, digest: str, description: str) -> str:
        """When the learner record last changed: recorded now if `digest` is new (a changed
        record is signed again, with this time as its validFrom; its URL stays)."""
        for entry in self.clr_updates.get(recipient, []):
            if entry.digest == digest:
                self.clr_updates[recipient] = [entry]  # one line again after a union merge
                return entry.updated
        self._refuse_if_locked(f"the new state of the learner record of {description}")
        entry = ClrUpdate(recipient, digest, format_datetime(self.clock()))
        self.clr_updates[recipient] = [entry]
        self.minted.append(f"learner record of {description} changed")
        return entry.updated
    def endorsement(self, lock_key: str, description: str) -> EndorsementEntry:
        """The endorsement's recorded state, recording it now if this is its first build."""
        entry = self.endorsements.get(lock_key)
        if entry is not None:
            return entry
        self._refuse_if_locked(f"new endorsement {description}")
        list_number, index = self._free_index()
        token = base64.b32encode(self.rng.randbytes(16)).decode("ascii").rstrip("=").lower()
        entry = EndorsementEntry(
            endorsement=lock_key,
            credential=token,
            minted=format_datetime(self.clock()),
            list=list_number,
            index=index,
        )
        self.endorsements[lock_key] = entry
        self._used.setdefault(list_number, set()).add(index)
        self.minted.append(f"endorsement {description}")
        return entry

    def pinned(self, did: str) -> PinEntry | None:
        """The newest pin of an outside endorser's DID document, if any."""
        pins = [p for p in self.pins if p.did == did]
        return max(pins, key=lambda p: (_time(p.pinned), p.sha256)) if pins else None

    def record_pin(self, did: str, sha256: str) -> PinEntry:
        """Pin a DID document (once per content: the same digest again changes nothing)."""
        current = self.pinned(did)
        if current is not None and current.sha256 == sha256:
            return current
        self._refuse_if_locked(f"the DID document of {did}")
        entry = PinEntry(did, sha256, format_datetime(self.clock()))
        self.pins.append(entry)
        self.minted.append(f"the DID document of {did}")
        return entry

    def recorded_indices(self, issuer: str, list_number: int, purpose: str) -> frozenset[int]:
        """Every index any record of the list has set (after a union merge: of both branches)."""
        entries = self.lists.get((issuer, list_number, purpose), [])
        return frozenset(i for entry in entries for i in entry.set or ())

    def recorded_lists(self) -> list[tuple[str, int, str]]:
        return sorted(self.lists)

    def list_updated(
        self, issuer: str, list_number: int, purpose: str, indices: frozenset[int], digest: str
    ) -> str:
        """When the list's bits last changed: recorded now if they differ from every record."""
        key = (issuer, list_number, purpose)
        ordered = tuple(sorted(indices))
        for entry in self.lists.get(key, []):
            if entry.set == ordered or (entry.set is None and entry.bits == digest):
                # one line again (a union merge can leave several), in the current form
                self.lists[key] = [ListEntry(issuer, list_number, purpose, ordered, entry.updated)]
                return entry.updated
        what = f"status list {list_number} ({purpose}) of issuer '{issuer}'"
        self._refuse_if_locked(f"the new state of {what}")
        entry = ListEntry(issuer, list_number, purpose, ordered, format_datetime(self.clock()))
        self.lists[key] = [entry]
        self.minted.append(what)
        return entry.updated

    def issuer_keys(self, issuer: str) -> list[str]:
        return [k.publicKeyMultibase for k in self.keys if k.issuer == issuer]

    def record_key(self, issuer: str, public_key_multibase: str) -> None:
        if public_key_multibase in self.issuer_keys(issuer):
            return
        self._refuse_if_locked(f"signing key of issuer '{issuer}'")
        self.keys.append(KeyEntry(issuer, public_key_multibase, format_datetime(self.clock())))
        self.minted.append(f"key of issuer '{issuer}'")

    # -- the site's identity ---------------------------------------------------------------------

    def site_url(self) -> str | None:
        """The URL the site was last built at (after `credsite move`: the new one), if recorded."""
        entry = _newest(self.sites, lambda e: e.url)
        return entry.url if entry else None

    def site_urls(self) -> list[str]:
        """Every URL the site has had, oldest first."""
        ordered = sorted(self.sites, key=lambda e: (_time(e.since), e.previous is not None))
        return list(dict.fromkeys(e.url for e in ordered))

    def issuer_did(self, issuer: str) -> str | None:
        """The DID the issuer's credentials were last signed under, if recorded."""
        entry = _newest([e for e in self.issuers if e.issuer == issuer], lambda e: e.did)
        return entry.did if entry else None

    def recorded_issuers(self) -> dict[str, str]:
        """Issuer -> its current recorded DID."""
        found = {e.issuer: self.issuer_did(e.issuer) for e in self.issuers}
        return {issuer: did for issuer, did in sorted(found.items()) if did}

    def record_identity(self, url: str, dids: dict[str, str]) -> list[str]:
        """Record the site's URL and issuers' DIDs where nothing is recorded yet.

        The caller has checked that what is recorded agrees. Returns what was missing; under
        --locked nothing is recorded (a lockfile from before these lines still builds in CI)."""
        missing: list[str] = []
        if self.site_url() is None:
            missing.append(f"the site's url {url}")
        missing += [
            f"the DID of issuer '{issuer}'"
            for issuer, did in sorted(dids.items())
            if self.issuer_did(issuer) is None
        ]
        if not missing or self.locked:
            return missing
        since = format_datetime(self.clock())
        if self.site_url() is None:
            self.sites.append(SiteEntry(url, since))
        for issuer, did in sorted(dids.items()):
            if self.issuer_did(issuer) is None:
                self.issuers.append(IssuerEntry(issuer, did, since))
        self.minted.extend(missing)
        return missing

    def record_move(self, url: str, dids: dict[str, str]) -> None:
        """`credsite move`: the site's new URL and its issuers' new DIDs, as new lines."""
        previous = self.site_url()
        self._refuse_if_locked(f"the move to {url}")
        # strictly after every identity line, so that the newest line is the current one even
        # for two moves within a second (A -> B -> A)
        since = self._since_after([*self.sites, *self.issuers])
        if previous != url:
            self.sites.append(SiteEntry(url, since, previous))
            self.minted.append(f"the site's url {url}")
        for issuer, did in sorted(dids.items()):
            old = self.issuer_did(issuer)
            if old != did:
                self.issuers.append(IssuerEntry(issuer, did, since, old))
                self.minted.append(f"the DID of issuer '{issuer}'")

    def bakes_in_browser(self) -> bool:
        """`bake_in_browser` as last recorded (the newest line; two of the same moment from two
        branches that disagree: off, so that turning it on is said again)."""
        if not self.baking:
            return False
        latest = max(_time(e.since) for e in self.baking)
        return all(e.on for e in self.baking if _time(e.since) == latest)

    def record_bake_in_browser(self, on: bool, why: str, where: Location | None = None) -> bool:
        """Record `bake_in_browser` as the build about to publish the site has it (a new line
        after the others); True if it changed. Under --locked a change is refused at `where`
        (`why`: what the message adds)."""
        if on == self.bakes_in_browser():
            return False
        if self.locked:
            raise LockedError(
                f"--locked: bake_in_browser is {'on' if on else 'off'} in site.yaml, and "
                f"credsite.lock records it {'off' if on else 'on'}{why}. Build without --locked "
                "(locally) and commit credsite.lock.",
                where,
            )
        self.baking.append(BakeInBrowserEntry(on, self._since_after(self.baking)))
        self.minted.append(f"bake_in_browser: {'true' if on else 'false'}")
        return True

    def _since_after(self, entries: Iterable[Identity | BakeInBrowserEntry]) -> str:
        """Now, or a second after the newest of `entries` if that is not earlier: a line added
        is the newest of its kind even within a second, as "the newest counts" needs."""
        now = self.clock()
        latest = max((_time(e.since) for e in entries), default=None)
        if latest is not None and now <= latest:
            now = latest + dt.timedelta(seconds=1)
        return format_datetime(now)

    # -- compromised keys --------------------------------------------------------------------------

    def compromised_keys(self, issuer: str) -> dict[str, str]:
        """The issuer's keys declared compromised: public key -> when."""
        return {c.publicKeyMultibase: c.since for c in self.compromised if c.issuer == issuer}

    def _add_compromised(self, entry: CompromisedEntry) -> None:
        """One line per key: if a merge brought two, the earlier declaration counts."""
        for i, known in enumerate(self.compromised):
            if (known.issuer, known.publicKeyMultibase) == (entry.issuer, entry.publicKeyMultibase):
                if _time(entry.since) < _time(known.since):
                    self.compromised[i] = entry
                return
        self.compromised.append(entry)

    def record_compromised(self, issuer: str, public_key_multibase: str) -> str:
        """Declare a key compromised (once); returns when it was declared."""
        known = self.compromised_keys(issuer).get(public_key_multibase)
        if known is not None:
            return known
        self._refuse_if_locked(f"the compromised key of issuer '{issuer}'")
        entry = CompromisedEntry(issuer, public_key_multibase, format_datetime(self.clock()))
        self.compromised.append(entry)
        self.minted.append(f"compromised key of issuer '{issuer}'")
        return entry.since

    def _free_index(self) -> tuple[int, int]:
        """A random unused index of the newest list, or of a new list when that one is full.

        Rejection sampling: cheap while the list has room, and still only ~LIST_SIZE tries for
        the very last free index.
        """
        current = max(self._used, default=1)
        used = self._used.setdefault(current, set())
        if len(used) >= LIST_SIZE:
            current += 1
            used = self._used.setdefault(current, set())
        while True:
            index = self.rng.randrange(LIST_SIZE)
            if index not in used:
                return current, index

    def _refuse_if_locked(self, what: str) -> None:
        if self.locked:
            raise LockedError(
                f"--locked: the lockfile has no record of {what}. Build without --locked "
                "(locally) and commit credsite.lock, so that CI never mints credentials itself."
            )

    # -- writing -------------------------------------------------------------------------------

    def lines(self) -> list[str]:
        entries: Iterable[Entry] = [
            *sorted(self.sites, key=lambda e: (e.since, e.url, e.previous or "")),
            *sorted(self.issuers, key=lambda e: (e.issuer, e.since, e.did, e.previous or "")),
            *sorted(self.baking, key=lambda e: (e.since, e.on)),
            *sorted(self.keys, key=lambda k: (k.issuer, k.added, k.publicKeyMultibase)),
            *sorted(self.compromised, key=lambda c: (c.issuer, c.since, c.publicKeyMultibase)),
            *sorted(
                (e for es in self.lists.values() for e in es),
                key=lambda e: (e.issuer, e.list, e.purpose),
            ),
            *sorted(self.awards.values(), key=lambda e: e.award),
            *sorted(self.clrs.values(), key=lambda e: e.recipient),
            *sorted(
                (e for es in self.clr_updates.values() for e in es),
                key=lambda e: (e.recipient, e.updated, e.digest),
            ),
            *sorted(self.endorsements.values(), key=lambda e: e.endorsement),
            *sorted(self.pins, key=lambda p: (p.did, p.pinned, p.sha256)),
        ]
        as_written = self._as_written
        return [
            kept[1] if (kept := as_written.get(id(e))) is not None and kept[0] is e else _dump(e)
            for e in entries
        ]

    def text(self) -> str:
        # One string made of the lines as they are (not a copy of each with its line break):
        # a large site's lockfile is 16 MB at 30,000 awards, made at the build's busiest moment.
        return "\n".join([HEADER.removesuffix("\n"), *self.lines(), ""])

    def data(self) -> bytes:
        """`text` in UTF-8, as the file holds it (the text itself let go of as soon as it is
        encoded)."""
        return self.text().encode("utf-8")

    def save(self, path: Path) -> bool:
        """Write atomically if anything changed; True if the file was written."""
        text = self.text()
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return False
        write_atomic(path, text.encode("utf-8"))
        return True


def _time(text: str) -> dt.datetime:
    parsed = parse_datetime(text)
    assert parsed is not None, text  # checked when the line was read
    return parsed


def _newest(entries: list[Any], value: Callable[[Any], str]) -> Any:
    """The entry recorded last; at the same time, the one that a move line supersedes loses.

    None when there are none, or when two different values were recorded at the same moment
    and neither moved from the other (two branches moved the site differently)."""
    if not entries:
        return None
    latest = max(_time(e.since) for e in entries)
    top = [e for e in entries if _time(e.since) == latest]
    if len({value(e) for e in top}) == 1:
        return top[0]
    superseded = {e.previous for e in top}
    left = {value(e): e for e in top if value(e) not in superseded}
    return next(iter(left.values())) if len(left) == 1 else None


def text_digest(data: bytes) -> str:
    """What `load` knows a lockfile's bytes by (`written`): their SHA-256."""
    return hashlib.sha256(data).hexdigest()


def _read_as_written(path: Path, written: str | None) -> list[tuple[int, Entry, str]] | None:
    """(line number, entry, line) for each line of the lockfile at `path` if its bytes are those
    a build of this credsite wrote (their digest is `written`, `text_digest`), else None.

    Each line is `_dump` of an entry that `_parse` accepted or the build made, so it is read by
    orjson without `_parse`'s checks, a third of the time at 10,000 awards (orjson reads such a
    line as the standard library does: `_parse` takes no number past 64 bits, `jsonl.entries` no
    lone surrogate); `_dump` of its entry gives the line again. None too where a line does not
    read: the file is then read and checked line by line, which says why."""
    if written is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # `jsonl.entries` says why
    if text_digest(raw) != written:
        return None
    read = []
    try:
        for number, line in enumerate(raw.split(b"\n"), 1):
            if not line or line.startswith(b"#"):
                continue
            data = read_cache_json(line)
            read.append((number, _entry(KINDS[data.pop("type")], data), line.decode("utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return read


def _dump(entry: Entry) -> str:
    kind = _KIND_NAMES[type(entry)]
    # Each entry's fields are strings, numbers and a tuple of numbers: read as they are (asdict
    # copies them deeply, which took half of writing a lockfile of 10,000 awards).
    values = {k: v for k in _FIELD_NAMES[type(entry)] if (v := getattr(entry, k)) is not None}
    return jsonl.line({"type": kind, **values})


_VALUE_KINDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "bool": ("true or false", lambda v: type(v) is bool),
    "str": ("text", lambda v: isinstance(v, str)),
    "str | None": ("text", lambda v: v is None or isinstance(v, str)),
    "int": ("a whole number from 0", lambda v: type(v) is int and v >= 0),
    "tuple[int, ...] | None": (
        "a list of whole numbers from 0",
        lambda v: v is None or (isinstance(v, list) and all(type(i) is int and i >= 0 for i in v)),
    ),
}
"""What each field type of a line (its annotation, as written) must hold: name, check."""
_FIELD_KINDS = {
    cls: {f.name: _VALUE_KINDS[str(f.type)] for f in fields(cls)} for cls in KINDS.values()
}
_REQUIRED = {
    cls: [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    for cls in KINDS.values()
}


def _parse(data: Any) -> Entry:
    """A line's entry; ValueError saying what is wrong with it, in the file's own words."""
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object ({...})")
    kind = data.pop("type", None)
    if kind not in KINDS:
        raise ValueError(f"unknown line type {kind!r} (written by a newer credsite? upgrade it)")
    cls = KINDS[kind]
    if missing := [name for name in _REQUIRED[cls] if name not in data]:
        raise ValueError(f"a line of type '{kind}' needs {', '.join(repr(m) for m in missing)}")
    for name, value in data.items():
        if name not in _FIELD_KINDS[cls]:
            raise ValueError(
                f"unknown field {name!r} in a line of type '{kind}' (written by a newer "
                "credsite? upgrade it)"
            )
        what, check = _FIELD_KINDS[cls][name]
        if not check(value):
            raise ValueError(f"'{name}' must be {what}, got {json.dumps(value)[:80]}")
    for name in ("index", "set"):  # a status list's places: 0 to LIST_SIZE - 1
        places = data.get(name)
        if (isinstance(places, int) and places >= LIST_SIZE) or (
            isinstance(places, list) and any(i >= LIST_SIZE for i in places)
        ):
            raise ValueError(
                f"'{name}' must be below {LIST_SIZE} (a status list's size), got "
                f"{json.dumps(places)[:80]}"
            )
    if isinstance(number := data.get("list"), int) and number >= 2**63:
        # orjson (`_read_as_written`) reads a number past 64 bits as a float: none in the file
        raise ValueError(f"'list' must be below 2^63, got {number}")
    entry = _entry(cls, data)
    for name in ("minted", "added", "updated", "since", "pinned"):
        if hasattr(entry, name) and parse_datetime(getattr(entry, name)) is None:
            raise ValueError(f"bad time in '{name}'")
    if isinstance(entry, ListEntry) and entry.purpose not in LIST_PURPOSES:
        raise ValueError(f"'purpose' must be {' or '.join(LIST_PURPOSES)}, got {entry.purpose!r}")
    if isinstance(entry, PinEntry) and not re.fullmatch("[0-9a-f]{64}", entry.sha256):
        raise ValueError(f"'sha256' must be 64 hexadecimal digits, got {entry.sha256[:80]!r}")
    return entry


def _entry(cls: type[Entry], data: dict[str, Any]) -> Entry:
    """The entry of kind `cls` with the fields `data` (a list's `set` a tuple, as JSON has none):
    for `_parse` once it has checked them, and for `_read_as_written`."""
    if cls is ListEntry and data.get("set") is not None:
        data["set"] = tuple(data["set"])
    return cls(**data)


LIST_PURPOSES = ("revocation", "suspension")
"""The status lists a site keeps (`credsite.issuing.status`)."""
