"""Endorsements written on this site, signed by their endorsers: OB 3.0 EndorsementCredentials.

Each endorsement in ``content/endorsements/`` becomes a credential of its endorser (an issuer of
this site with its own key and did:web DID document), never of the issuer it endorses:

* minted once in the lockfile like an award (`Lockfile.endorsement`: a random token, the first
  build's time, an index in the endorser's status list), so its URL, dates and status entry never
  change;
* hosted at ``endorsements/TOKEN.json`` with its detached eddsa-jcs-2022 proof beside it
  (``endorsements/TOKEN.jcs-proof.jsonld``, what pages check in the browser) and its own page;
* embedded, signed, in what it endorses (`embedded`): the Achievement (in ``achievements/SLUG.json``
  and in every credential of it), the issuer's Profile (``issuers/SLUG.json``), or one credential;
* withdrawn with ``status: withdrawn``: its bit in the endorser's revocation list is set (for
  good), and it is no longer embedded; its hosted copy and page stay, saying it was withdrawn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from credsite.content.endorsements import Endorsement, Received
from credsite.content.model import Issuer, Site
from credsite.errors import Location, Problems
from credsite.issuing.ob3 import CONTEXTS, profile
from credsite.issuing.sign import ProofCache, sign_job, verification_method
from credsite.issuing.status import Holder
from credsite.issuing.urls import Urls
from credsite.state.keyfiles import IssuerKey
from credsite.state.lockfile import AwardEntry, EndorsementEntry, Lockfile, PinEntry
from credsite.values import format_datetime, is_http_url, json_bytes, parse_datetime
from credsite.vc import did as vc_did
from credsite.vc import status as vc_status
from credsite.vc.verify import verify_credential

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Endorsed:
    """One endorsement written on this site, signed by its endorser."""

    endorsement: Endorsement
    entry: EndorsementEntry
    endorser: Issuer
    target_id: str
    """The id of what it endorses: an achievement's URL, an issuer's DID, a credential's URL."""
    target_name: str
    target_page: str
    """The site path of the endorsed thing's page, or (`target_external`) the URL elsewhere."""
    document: dict[str, Any]
    json_bytes: bytes
    detached_proof: dict[str, Any]
    valid_from: dt.datetime

    @property
    def state(self) -> str:
        return "withdrawn" if self.endorsement.withdrawn else "active"

    @property
    def token(self) -> str:
        return self.entry.credential

    @property
    def target_external(self) -> bool:
        """It endorses something on another site (`credsite endorse`): not embedded here."""
        return self.endorsement.target_kind == "url"

    is_received = False


def _target(
    endorsement: Endorsement, site: Site, urls: Urls, awards: dict[str, AwardEntry]
) -> tuple[str, str, str]:
    """(id, name, page path) of what `endorsement` endorses."""
    kind, target = endorsement.target_kind, endorsement.target
    if kind == "url":
        return target, target, target if is_http_url(target) else ""
    if kind == "achievement":
        achievement = site.achievements[target]
        return (
            urls.url(urls.achievement_path(target)),
            achievement.name,
            urls.achievement_path(target, "html"),
        )
    if kind == "issuer":
        return urls.did(target), site.issuers[target].name, urls.issuer_path(target, "html")
    award = next(a for a in site.awards if a.key == target)
    token = awards[award.key].credential
    name = f"a {site.achievements[award.achievement].name} credential"
    return urls.url(urls.credential_path(token)), name, urls.credential_path(token, "html")


def unsigned_endorsement(
    endorsement: Endorsement,
    entry: EndorsementEntry,
    endorser: Issuer,
    target: tuple[str, str, str],
    urls: Urls,
) -> dict[str, Any]:
    """The EndorsementCredential (OB 3.0 §B.1.11) before its proof."""
    minted = parse_datetime(entry.minted)
    assert minted is not None  # checked when the lockfile was read
    target_id, target_name, _ = target
    list_url = urls.url(urls.status_list_path(endorser.slug, entry.list, "revocation"))
    return {
        "@context": list(CONTEXTS),
        "id": urls.url(urls.endorsement_path(entry.credential)),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": endorsement.name
        or (
            f"Endorsement by {endorser.name}"
            if endorsement.target_kind == "url"  # something elsewhere: its name is not known here
            else f"{endorser.name} endorses {target_name}"
        ),
        "issuer": profile(endorser, urls),
        "validFrom": format_datetime(endorsement.issued or minted),
        "credentialSubject": {
            "id": target_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": endorsement.comment,
        },
        # One entry, revocation only: withdrawing is for good (the schema allows one object).
        "credentialStatus": vc_status.status_entry(list_url, entry.index, "revocation"),
    }


def sign_endorsements(
    site: Site,
    entries: dict[str, EndorsementEntry],
    awards: dict[str, AwardEntry],
    keys: dict[str, IssuerKey],
    urls: Urls,
    cache: ProofCache,
) -> tuple[list[Endorsed], int]:
    """Every endorsement of the site signed by its endorser's key (`created` = its minting time),
    and how many were signed now rather than taken from the cache."""
    signed: list[Endorsed] = []
    count = 0
    for endorsement in site.endorsements:
        entry = entries[endorsement.key]
        endorser = site.issuers[endorsement.endorser]
        key = keys[endorser.slug].key
        vm = verification_method(endorser.slug, key.public_key_multibase, urls)
        target = _target(endorsement, site, urls, awards)
        doc = unsigned_endorsement(endorsement, entry, endorser, target, urls)
        cached = cache.get(doc, vm, entry.minted)
        if isinstance(cached, dict) and "proof" in cached and "detached" in cached:
            document, detached = {**doc, "proof": cached["proof"]}, cached["detached"]
        else:
            _, (proof_set, detached) = sign_job(
                (endorsement.key, doc, key.secret_multibase(), vm, entry.minted)
            )
            document = {**doc, "proof": proof_set}
            cache.put(doc, vm, entry.minted, {"proof": proof_set, "detached": detached})
            count += 1
        valid_from = parse_datetime(doc["validFrom"])
        assert valid_from is not None
        signed.append(
            Endorsed(
                endorsement=endorsement,
                entry=entry,
                endorser=endorser,
                target_id=target[0],
                target_name=target[1],
                target_page=target[2],
                document=document,
                json_bytes=json_bytes(document),
                detached_proof=detached,
                valid_from=valid_from,
            )
        )
    return signed, count


def holders(endorsed: list[Endorsed]) -> list[Holder]:
    """Their entries in the endorsers' status lists (a withdrawn endorsement's bit is set)."""
    return [
        Holder(
            e.endorser.slug,
            e.entry.list,
            e.entry.index,
            "revoked" if e.endorsement.withdrawn else "active",
            e.endorsement.status_location or e.endorsement.location,
        )
        for e in endorsed
    ]


def embedded(
    endorsed: list[Endorsed], received: Sequence[ReceivedEndorsement] = ()
) -> dict[str, list[dict[str, Any]]]:
    """Target id -> the signed endorsements to embed in it, oldest first: those written here (not
    the withdrawn ones, nor those of something on another site) and those received."""
    by_target: dict[str, list[tuple[dt.datetime, str, dict[str, Any]]]] = {}
    for e in endorsed:
        if not e.endorsement.withdrawn and not e.target_external:
            by_target.setdefault(e.target_id, []).append(
                (e.valid_from, e.document["id"], e.document)
            )
    for r in received:
        by_target.setdefault(r.target_id, []).append((r.valid_from, r.document_id, r.document))
    return {
        target: [doc for _, _, doc in sorted(items, key=lambda item: item[:2])]
        for target, items in by_target.items()
    }


# -- endorsements received from elsewhere ------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEndorsement:
    """An endorsement signed elsewhere (`credsite endorsement add`), checked offline against the
    endorser's DID document as pinned in the lockfile."""

    received: Received
    document: dict[str, Any]
    endorser_name: str
    endorser_did: str
    target_id: str
    target_name: str
    target_page: str
    valid_from: dt.datetime
    pin: PinEntry

    is_received = True
    state = "active"
    target_external = False

    @property
    def document_id(self) -> str:
        value = self.document.get("id")
        return value if isinstance(value, str) else ""

    @property
    def comment(self) -> str | None:
        subject = self.document.get("credentialSubject")
        comment = subject.get("endorsementComment") if isinstance(subject, dict) else None
        return comment if isinstance(comment, str) else None

    @property
    def pinned_on(self) -> dt.datetime | None:
        return parse_datetime(self.pin.pinned)


def issuer_id(document: Any) -> object:
    """An endorsement's ``issuer``: its ``id`` if it is an object, else itself (None if none)."""
    issuer = document.get("issuer") if isinstance(document, dict) else None
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def endorser_did(document: Any) -> str | None:
    """The did:web DID of an endorsement's issuer, if it has one that names a site
    (`is_site_did`)."""
    did = issuer_id(document)
    return did if isinstance(did, str) and is_site_did(did) else None


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?:%3[Aa][0-9]{{1,5}})?")


def is_site_did(did: str) -> bool:
    """Whether `did` is the did:web DID of a site: ``did:web:HOST`` (a host name, maybe a
    ``%3A`` port) and path segments, none empty, ``.`` or ``..``, with no ``/``, ``?`` or ``#``:
    a DID whose document is at an https URL of that host (`did.did_document_url`)."""
    try:
        vc_did.did_document_url(did)
    except ValueError:
        return False
    host, *segments = did[len("did:web:") :].split(":")
    return bool(_HOST.fullmatch(host)) and not any(s in (".", "..") for s in segments)


def stored_key(document: Any) -> str:
    """What tells received endorsements apart: the ``id`` (a JSON string, as any id), or the
    whole document as canonical JSON if it has none."""
    value = document.get("id") if isinstance(document, dict) else None
    if value is not None:
        return "id " + json.dumps(value, sort_keys=True)
    return "document " + json.dumps(document, sort_keys=True)


def shown_id(document: Any) -> str:
    """`` (id 'https://...')`` as a message shows an endorsement's id, or nothing."""
    value = document.get("id") if isinstance(document, dict) else None
    if not isinstance(value, str):
        return ""
    return f" (id {value!r})" if len(value) <= 200 else f" (id {value[:200]!r}...)"


def verify_received(
    document: Any, did_document: Any, now: dt.datetime
) -> tuple[list[str], dict[str, Any]]:
    """Why `document` is not a valid EndorsementCredential of the endorser whose DID document is
    `did_document` (nothing fetched: its status list, elsewhere, is not checked), and the
    document; an empty list when it is."""
    if not isinstance(document, dict):
        return ["it is not a JSON object"], {}
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "EndorsementCredential" not in types or "VerifiableCredential" not in types:
        return ["it is not an EndorsementCredential (its 'type' lacks it)"], document
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("id"), str):
        return ["its credentialSubject names nothing it endorses (no 'id')"], document
    did = endorser_did(document)
    if did is None:
        return [
            f"its issuer is not a did:web DID of a site{shown_issuer(document)}: credsite pins "
            "the endorser's did:web DID document and checks received endorsements against it"
        ], document
    if not isinstance(did_document, dict) or did_document.get("id") != did:
        found = did_document.get("id") if isinstance(did_document, dict) else None
        return [f"the DID document is for {found!r}, not for its issuer {did}"], document
    url = vc_did.did_document_url(did)
    report = verify_credential(document, lambda u: _pinned(u, url, did_document), now, status=False)
    problems = [f"{c.name}: {c.message}" for c in report.checks if not c.ok]
    if not problems and report.status != "verified":
        problems = [report.status]
    return problems, document


def shown_issuer(document: Any) -> str:
    """`` ('did:...')``: the issuer's id as a message shows it (quoted, its first 200 characters),
    or nothing if it has none."""
    value = issuer_id(document)
    if not isinstance(value, str):
        return ""
    return f" ({value!r})" if len(value) <= 200 else f" ({value[:200]!r}...)"


def _pinned(url: str, pinned_url: str, did_document: dict[str, Any]) -> dict[str, Any]:
    if url != pinned_url:
        raise KeyError(f"{url}: not fetched (offline; only the pinned DID document is known)")
    return did_document


class Target(NamedTuple):
    """What a received endorsement endorses on this site."""

    id: str
    name: str
    page: str
    """Its page's site path."""
    kind: str
    """``achievement``, ``issuer`` or ``credential``."""
    achievement: str | None
    """The achievement's slug (of the credential's achievement for a credential)."""


def received_target(
    target_id: str, site: Site, urls: Urls, awards: dict[str, AwardEntry]
) -> Target | None:
    """This site's achievement, issuer or credential with `target_id`, if any."""
    for slug, achievement in site.achievements.items():
        if urls.url(urls.achievement_path(slug)) == target_id:
            page = urls.achievement_path(slug, "html")
            return Target(target_id, achievement.name, page, "achievement", slug)
    for slug, issuer in site.issuers.items():
        if urls.did(slug) == target_id:
            return Target(target_id, issuer.name, urls.issuer_path(slug, "html"), "issuer", None)
    for award in site.awards:
        entry = awards.get(award.key)
        if entry is not None and urls.url(urls.credential_path(entry.credential)) == target_id:
            name = f"a {site.achievements[award.achievement].name} credential"
            page = urls.credential_path(entry.credential, "html")
            return Target(target_id, name, page, "credential", award.achievement)
    return None


def check_received(
    site: Site, lock: Lockfile, urls: Urls, awards: dict[str, AwardEntry], now: dt.datetime
) -> list[ReceivedEndorsement]:
    """Every received endorsement checked, offline: its DID document is the one the lockfile
    pins (SHA-256), its signature verifies with it, it is valid now, and it endorses something of
    this site. Any failure is a located error (the build stops)."""
    problems = Problems()
    checked = []
    stored: dict[str, Received] = {}  # each endorsement's id (or JSON) -> the file holding it
    for received in site.received:
        where = received.location
        same = stored.setdefault(stored_key(received.document), received)
        if same is not received:
            problems.add(
                where,
                f"the same endorsement as {same.shown}{shown_id(received.document)}: it would be "
                "embedded twice; delete this file and its .did.json",
            )
            continue
        did = endorser_did(received.document)
        pin = lock.pinned(did) if did else None
        if did is not None and pin is None:
            problems.add(
                where,
                f"the DID document of its endorser {did} is not pinned in credsite.lock: add "
                "received endorsements with 'credsite endorsement add FILE'",
            )
            continue
        if did is not None and received.did_bytes is None:
            problems.add(
                Location(received.did_shown),
                f"missing: the DID document of {did} that credsite.lock pins; add the "
                "endorsement again with 'credsite endorsement add'",
            )
            continue
        did_document: Any = None
        if received.did_bytes is not None and pin is not None:
            if hashlib.sha256(received.did_bytes).hexdigest() != pin.sha256:
                problems.add(
                    Location(received.did_shown),
                    f"this is not the DID document of {did} that credsite.lock pinned on "
                    f"{pin.pinned} (SHA-256 {pin.sha256[:16]}...): it was changed. Restore it "
                    "from git, or check the endorsement again with 'credsite endorsement add'",
                )
                continue
            try:
                did_document = json.loads(received.did_bytes.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                problems.add(Location(received.did_shown), f"not a JSON document: {exc}")
                continue
        found, document = verify_received(received.document, did_document, now)
        if found:
            problems.add(where, "this endorsement does not check: " + "; ".join(found))
            continue
        subject_id = document["credentialSubject"]["id"]
        target = received_target(subject_id, site, urls, awards)
        if target is None:
            problems.add(
                where,
                f"it endorses {subject_id}, which is no achievement, issuer or credential of "
                "this site",
            )
            continue
        assert did is not None and pin is not None
        valid_from = parse_datetime(document.get("validFrom")) or now
        issuer = document.get("issuer")
        name = issuer.get("name") if isinstance(issuer, dict) else None
        checked.append(
            ReceivedEndorsement(
                received=received,
                document=document,
                endorser_name=name if isinstance(name, str) and name else did,
                endorser_did=did,
                target_id=target[0],
                target_name=target[1],
                target_page=target[2],
                valid_from=valid_from,
                pin=pin,
            )
        )
    problems.raise_if_any()
    return checked
