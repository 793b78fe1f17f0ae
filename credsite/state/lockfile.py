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
import json
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from credsite.atomic import write_atomic
from credsite.errors import ContentError, CredsiteError, Location, Problems
from credsite.values import format_datetime, parse_datetime
from credsite.vc.status import MIN_ENTRIES

HEADER = (
    "# credsite.lock: issuance state credsite cannot recompute (credential ids, status indices,\n"
    "# salts, issue times). Commit it; never edit or delete lines: recipients hold what it records.\n"
)
LIST_SIZE = MIN_ENTRIES  # Bitstring Status List minimum; one index per award in every list
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


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


@dataclass
class Lockfile:
    awards: dict[str, AwardEntry] = field(default_factory=dict)
    keys: list[KeyEntry] = field(default_factory=list)
    lists: dict[tuple[str, int, str], list[ListEntry]] = field(default_factory=dict)
    locked: bool = False
    clock: Clock = system_clock
    rng: random.Random = field(default_factory=secrets.SystemRandom)
    minted: list[str] = field(default_factory=list)
    """Human descriptions of what this build recorded that was not there before."""
    _used: dict[int, set[int]] = field(default_factory=dict)

    # -- reading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, shown: str = "credsite.lock", **options: object) -> Lockfile:
        lock = cls(**options)  # type: ignore[arg-type]
        if not path.exists():
            return lock
        problems = Problems()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CredsiteError(f"cannot read the lockfile: {exc}", Location(shown)) from None
        award_lines: dict[str, int] = {}
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            where = Location(shown, number, 1)
            if text.startswith(("<<<<<<<", "=======", ">>>>>>>")):
                problems.add(
                    where,
                    "merge conflict marker: keep the lines of both sides "
                    "(the lockfile is merged with merge=union, see .gitattributes)",
                )
                continue
            try:
                entry = _parse(json.loads(text))
            except (ValueError, TypeError, KeyError) as exc:
                problems.add(where, f"unreadable lockfile line: {exc}")
                continue
            if isinstance(entry, AwardEntry):
                known = lock.awards.get(entry.award)
                if known is not None and known != entry:
                    problems.add(
                        where,
                        f"award {entry.award} was recorded twice with different "
                        f"values (see line {award_lines[entry.award]}): probably issued on "
                        "two branches; keep the line of the credential already published",
                    )
                    continue
                lock.awards[entry.award] = entry
                award_lines[entry.award] = number
            elif isinstance(entry, KeyEntry):
                if entry not in lock.keys:
                    lock.keys.append(entry)
            elif entry not in lock.lists.setdefault((entry.issuer, entry.list, entry.purpose), []):
                lock.lists[(entry.issuer, entry.list, entry.purpose)].append(entry)
        owners: dict[tuple[int, int], str] = {}
        for entry in lock.awards.values():
            slot = (entry.list, entry.index)
            if slot in owners:
                problems.add(
                    Location(shown, award_lines[entry.award], 1),
                    f"status index {entry.index} of list {entry.list} is recorded for two "
                    f"awards ({owners[slot]} and {entry.award})",
                )
            owners[slot] = entry.award
            lock._used.setdefault(entry.list, set()).add(entry.index)
        if problems:
            raise ContentError(problems.items)
        return lock

    # -- recording -----------------------------------------------------------------------------

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
        entries: Iterable[AwardEntry | KeyEntry | ListEntry] = [
            *sorted(self.keys, key=lambda k: (k.issuer, k.added, k.publicKeyMultibase)),
            *sorted(
                (e for es in self.lists.values() for e in es),
                key=lambda e: (e.issuer, e.list, e.purpose),
            ),
            *sorted(self.awards.values(), key=lambda e: e.award),
        ]
        return [_dump(e) for e in entries]

    def text(self) -> str:
        return HEADER + "".join(line + "\n" for line in self.lines())

    def save(self, path: Path) -> bool:
        """Write atomically if anything changed; True if the file was written."""
        text = self.text()
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return False
        write_atomic(path, text.encode("utf-8"))
        return True


def _dump(entry: AwardEntry | KeyEntry | ListEntry) -> str:
    kind = {AwardEntry: "award", KeyEntry: "key", ListEntry: "list"}[type(entry)]
    fields = {k: v for k, v in asdict(entry).items() if v is not None}
    return json.dumps({"type": kind, **fields}, ensure_ascii=False, separators=(",", ":"))


def _parse(data: dict[str, Any]) -> AwardEntry | KeyEntry | ListEntry:
    kind = data.pop("type")
    classes: dict[str, type[AwardEntry | KeyEntry | ListEntry]] = {
        "award": AwardEntry,
        "key": KeyEntry,
        "list": ListEntry,
    }
    cls = classes[kind]
    if cls is ListEntry and data.get("set") is not None:
        data["set"] = tuple(int(i) for i in data["set"])
    entry = cls(**data)
    for name in ("minted", "added", "updated"):
        if hasattr(entry, name) and parse_datetime(getattr(entry, name)) is None:
            raise ValueError(f"bad time in '{name}'")
    return entry
