"""Bitstring Status Lists: one signed list per issuer, list number and purpose.

https://www.w3.org/TR/vc-bitstring-status-list/ . A list's dates move only when its bits do
(the lockfile records each list's set indices), so an unchanged list is byte-identical across
builds; every list ever recorded is published, and a revocation stays set after its award is
deleted, because recipients' copies still point at it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from credsite.content.config import SiteConfig
from credsite.content.model import Site
from credsite.errors import Location, Problems
from credsite.issuing.issued import Issued
from credsite.issuing.sign import sign_document
from credsite.issuing.urls import Urls, detached_proof_path
from credsite.state.keyfiles import IssuerKey
from credsite.state.lockfile import AwardEntry, Lockfile
from credsite.vc import status as vc_status
from credsite.vc.status import Bitstring

STATUS_OF_PURPOSE = {"revocation": "revoked", "suspension": "suspended"}
"""The award status a set bit means, per ``statusPurpose`` (BSL §2.1)."""


def purposes(config: SiteConfig) -> tuple[str, ...]:
    return ("revocation", "suspension") if config.status.suspension else ("revocation",)


def status_entries(issuer: str, entry: AwardEntry, urls: Urls, config: SiteConfig) -> Any:
    """One BitstringStatusListEntry (revocation), or two when suspension is switched on."""
    entries = [
        vc_status.status_entry(
            urls.url(urls.status_list_path(issuer, entry.list, purpose)), entry.index, purpose
        )
        for purpose in purposes(config)
    ]
    return entries[0] if len(entries) == 1 else entries


def status_list(
    issuer: str, number: int, purpose: str, bits: Bitstring, updated: str, urls: Urls
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential (BSL §2.2) for one issuer's list."""
    return vc_status.status_list_credential(
        urls.url(urls.status_list_path(issuer, number, purpose)),
        urls.did(issuer),
        purpose,
        bits,
        updated,
    )


@dataclass(frozen=True)
class Holder:
    """What holds an entry of a status list: an award's credential, or an endorsement."""

    issuer: str
    list: int
    index: int
    status: str
    """``active``, ``revoked`` (an endorsement: withdrawn) or ``suspended``."""
    location: Location


def award_holders(site: Site, issued: list[Issued]) -> list[Holder]:
    return [
        Holder(
            site.achievements[item.award.achievement].issuer,
            item.entry.list,
            item.entry.index,
            item.award.status,
            item.award.status_location or item.award.location,
        )
        for item in issued
    ]


PERMANENT = {
    False: "this award was revoked (credsite.lock records it) and revocation is permanent: set "
    "'status: revoked' again. If the revocation was never published, restore credsite.lock from "
    "git instead.",
    True: "this endorsement was withdrawn (credsite.lock records it) and withdrawal is permanent: "
    "set 'status: withdrawn' again. If the withdrawal was never published, restore "
    "credsite.lock from git instead.",
}


def signed_lists(
    site: Site,
    issued: list[Issued],
    lock: Lockfile,
    keys: dict[str, IssuerKey],
    urls: Urls,
    endorsements: Sequence[Holder] = (),
) -> dict[str, dict[str, Any]]:
    """Every status list to publish, signed, by site path, each followed by its detached
    eddsa-jcs-2022 proof (``status/N.jcs-proof.jsonld``, what the credential page checks).

    `endorsements`: the entries of endorsements written on this site, in their endorsers' lists
    (withdrawn ones are ``revoked``)."""
    by_list: dict[tuple[str, int], list[tuple[Holder, bool]]] = {}
    for holder, is_endorsement in [
        *((h, False) for h in award_holders(site, issued)),
        *((h, True) for h in endorsements),
    ]:
        by_list.setdefault((holder.issuer, holder.list), []).append((holder, is_endorsement))
    for issuer, number, _purpose in lock.recorded_lists():
        if issuer in site.issuers:
            by_list.setdefault((issuer, number), [])
    problems = Problems()
    published: dict[str, dict[str, Any]] = {}
    for (issuer, number), items in sorted(by_list.items()):
        for purpose in purposes(site.config):
            status = STATUS_OF_PURPOSE[purpose]
            indices = {holder.index for holder, _ in items if holder.status == status}
            if purpose == "revocation":
                revoked_before = lock.recorded_indices(issuer, number, purpose)
                for holder, is_endorsement in items:
                    if holder.index in revoked_before and holder.status != status:
                        problems.add(holder.location, PERMANENT[is_endorsement])
                indices |= revoked_before
            bits = Bitstring()
            for index in indices:
                bits.set(index, True)
            digest = hashlib.sha256(bits.to_bytes()).hexdigest()
            updated = lock.list_updated(issuer, number, purpose, frozenset(indices), digest)
            unsigned = status_list(issuer, number, purpose, bits, updated, urls)
            path = urls.status_list_path(issuer, number, purpose)
            signed, detached = sign_document(unsigned, issuer, keys[issuer], urls, updated)
            published[path] = signed
            published[detached_proof_path(path)] = detached
    problems.raise_if_any()
    return published
