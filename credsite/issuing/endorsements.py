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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from credsite.content.endorsements import Endorsement
from credsite.content.model import Issuer, Site
from credsite.issuing.ob3 import CONTEXTS, profile
from credsite.issuing.sign import ProofCache, sign_job, verification_method
from credsite.issuing.status import Holder
from credsite.issuing.urls import Urls
from credsite.state.keyfiles import IssuerKey
from credsite.state.lockfile import AwardEntry, EndorsementEntry
from credsite.values import format_datetime, json_bytes, parse_datetime
from credsite.vc import status as vc_status

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
    """The site path of the endorsed thing's page."""
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


def _target(
    endorsement: Endorsement, site: Site, urls: Urls, awards: dict[str, AwardEntry]
) -> tuple[str, str, str]:
    """(id, name, page path) of what `endorsement` endorses."""
    kind, target = endorsement.target_kind, endorsement.target
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
        "name": endorsement.name or f"{endorser.name} endorses {target_name}",
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
            _, (document, detached) = sign_job(
                (endorsement.key, doc, key.secret_multibase(), vm, entry.minted)
            )
            cache.put(doc, vm, entry.minted, {"proof": document["proof"], "detached": detached})
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


def embedded(endorsed: list[Endorsed]) -> dict[str, list[dict[str, Any]]]:
    """Target id -> the signed endorsements to embed in it (not the withdrawn ones), oldest first."""
    by_target: dict[str, list[Endorsed]] = {}
    for e in endorsed:
        if not e.endorsement.withdrawn:
            by_target.setdefault(e.target_id, []).append(e)
    return {
        target: [e.document for e in sorted(items, key=lambda e: (e.valid_from, e.document["id"]))]
        for target, items in by_target.items()
    }
