"""credsite.notified: which recipients `credsite notify` has told, so none is told twice.

Committed beside credsite.lock and shaped like it: JSON Lines, one self-contained object per line,
sorted, with git's ``merge=union`` driver (`.gitattributes`), so two clones that each sent some
notices merge without a conflict, and duplicate lines are harmless. Append-only: a line is never
changed or removed.

No line holds an email address, a name or a credential token. A notice is recorded as

    sha256(salt, kind, token, normalised email, detail)

where `salt` is random and recorded in the file itself (the first ``salt`` line), `kind` is what
the recipient was told (``awarded``, ``expiring:30d``, ``revoked``; ``refused:awarded`` when their
mail server refused it for good) and `detail` pins what the
notice was about (for an expiry reminder, the expiry date, so a renewed credential is reminded
again). Hashing the address too means a corrected address is told, and the old one is not
counted as the new one. A union merge of two clones that each started a ledger can leave two
salt lines: a notice recorded under any of them counts, new ones use the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from credsite.atomic import write_atomic
from credsite.errors import ContentError, Problems
from credsite.state import jsonl
from credsite.values import format_datetime, parse_datetime
from credsite.vc.identity import normalise_email

FILE_NAME = "credsite.notified"
REFUSED = "refused:"
"""Prefix of the kind of a notice the recipient's mail server refused for good (a 5xx reply, a
bounce at its door: ``refused:awarded``), recorded so that the report can count bounces. It does
not count as told: the next run tries again."""
HEADER = (
    "# credsite.notified: who `credsite notify` has told what, as salted hashes (no addresses).\n"
    "# Commit it, so that no clone and no CI run tells anyone twice; never edit or delete lines.\n"
)


@dataclass(frozen=True)
class SaltLine:
    salt: str
    since: str


@dataclass(frozen=True)
class SentLine:
    key: str
    """``sha256$<hex>`` of the salt, kind, credential token, normalised address and detail."""
    kind: str
    """What the recipient was told: awarded, expiring:<window>, revoked; or refused:<kind>."""
    sent: str
    """When the mail server accepted the message (or when it was marked as sent)."""
    marked: bool = False
    """Recorded with `credsite notify --mark-sent`: told some other way, not by credsite."""


@dataclass
class Ledger:
    path: Path
    salts: list[SaltLine] = field(default_factory=list)
    sent: dict[str, SentLine] = field(default_factory=dict)

    # -- reading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, shown: str = FILE_NAME) -> Ledger:
        ledger = cls(path)
        if not path.exists():
            return ledger
        problems = Problems()
        for _number, entry in jsonl.entries(path, shown, "ledger", _parse, problems):
            ledger._add(entry)
        if problems:
            raise ContentError(problems.items)
        return ledger

    def _add(self, entry: SaltLine | SentLine) -> None:
        if isinstance(entry, SaltLine):
            if entry.salt not in {s.salt for s in self.salts}:
                self.salts.append(entry)
                self.salts.sort(key=lambda s: (s.since, s.salt))
            return
        known = self.sent.get(entry.key)
        if known is None or (known.sent, known.marked) > (entry.sent, entry.marked):
            self.sent[entry.key] = entry  # a merge can bring one notice twice: the first counts

    # -- asking and recording --------------------------------------------------------------------

    def told(self, kind: str, token: str, email: str, detail: str = "") -> SentLine | None:
        """The record of this notice under any salt the ledger holds, or None."""
        for salt in self.salts:
            found = self.sent.get(notice_key(salt.salt, kind, token, email, detail))
            if found is not None:
                return found
        return None

    def record(
        self,
        kind: str,
        token: str,
        email: str,
        detail: str = "",
        *,
        when: dt.datetime,
        marked: bool = False,
    ) -> SentLine:
        """Record one notice and write the file at once, atomically (fsync, then rename).

        Called right after the mail server accepts each message, so a run that is interrupted
        resumes after the last accepted one."""
        if not self.salts:
            self.salts.append(SaltLine(secrets.token_hex(16), format_datetime(when)))
        key = notice_key(self.salts[0].salt, kind, token, email, detail)
        entry = SentLine(key, kind, format_datetime(when), marked)
        self._add(entry)
        self.save()
        return entry

    # -- writing -------------------------------------------------------------------------------

    def lines(self) -> list[str]:
        """Salt lines first, then notices by time: a run's new lines come at the end."""
        salts = [_dump("salt", {"salt": s.salt, "since": s.since}) for s in self.salts]
        sent = sorted(self.sent.values(), key=lambda e: (e.sent, e.key))
        return salts + [_dump("sent", _fields(e)) for e in sent]

    def text(self) -> str:
        return HEADER + "".join(line + "\n" for line in self.lines())

    def save(self) -> None:
        write_atomic(self.path, self.text().encode("utf-8"))


def notice_key(salt: str, kind: str, token: str, email: str, detail: str = "") -> str:
    """``sha256$<hex>`` of one notice: no address, name or token can be read back from it."""
    text = "\n".join([salt, kind, token, normalise_email(email), detail])
    return "sha256$" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fields(entry: SentLine) -> dict[str, object]:
    fields: dict[str, object] = {"kind": entry.kind, "key": entry.key, "sent": entry.sent}
    if entry.marked:
        fields["marked"] = True
    return fields


def _dump(kind: str, fields: dict[str, object]) -> str:
    return jsonl.line({"type": kind, **fields})


def _parse(data: dict[str, object]) -> SaltLine | SentLine:
    kind = data.pop("type")
    if kind == "salt":
        salt, since = str(data["salt"]), str(data["since"])
        if not salt or parse_datetime(since) is None:
            raise ValueError("a salt line needs 'salt' and a time in 'since'")
        return SaltLine(salt, since)
    if kind == "sent":
        key, what, sent = str(data["key"]), str(data["kind"]), str(data["sent"])
        if not key.startswith("sha256$") or parse_datetime(sent) is None:
            raise ValueError("a sent line needs a 'key' (sha256$...) and a time in 'sent'")
        return SentLine(key, what, sent, data.get("marked") is True)
    raise ValueError(f"unknown line type {kind!r} (written by a newer credsite? upgrade it)")
