"""Learner records: one signed CLR 2.0 ``ClrCredential`` per recipient (``clr: true``).

A record holds every credential of one recipient (one normalised email) exactly as published,
with its own proofs, the achievements they are for, and which of those achievements are part of
which pathway (CLR ``association``, ``isPartOf``: component -> pathway). It is issued by the
site's primary issuer at ``records/TOKEN.json``, TOKEN random and recorded once in credsite.lock
(``clr`` line, with the salt of the recipient's identity hash), so nobody finds a person's record
from one of their credentials.

Re-signed only when it changes. credsite.lock records a digest of each record (``clr-update``:
the document without ``validFrom`` and proof) and when it last changed, which is the record's
``validFrom`` and its proof's ``created``. An unchanged record is byte-identical at every build; a
changed one (a new award, a revocation, a re-signed credential) is signed again at the same URL,
and a ``--locked`` build refuses to record that change, as for a status list.

Which credentials: those whose award is active, expired ones included (a transcript keeps what
was earned); revoked and suspended ones are left out, so revoking a credential changes the record;
private and withdrawn ones too (a record is public: it must not disclose them).
A recipient with none has no record. Shapes: CLR 2.0 (contexts VC v2, CLR 2.0.1, OB 3.0.3, the
order the 1EdTech validator pins); ``partial`` is never written (the 2.0.1 context types it as
``xsd:boolean`` without defining ``xsd``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from credsite.cache import KeptMap, fingerprint, json_fingerprint
from credsite.cache import digest as digest_parts
from credsite.content.config import SiteConfig
from credsite.content.model import Site, award_language
from credsite.issuing.issued import Issued
from credsite.issuing.ob3 import OB_V3, VC_V2, profile
from credsite.issuing.sign import (
    PARALLEL_THRESHOLD,
    ProofCache,
    SignJob,
    sign_job,
    verification_method,
)
from credsite.issuing.urls import Urls
from credsite.pool import parallel_map
from credsite.spill import Spill, Spilled, hold, later
from credsite.state.keyfiles import IssuerKey
from credsite.state.lockfile import ClrEntry, Lockfile
from credsite.values import compact_json_bytes, json_bytes, parse_datetime
from credsite.vc.identity import identity_object

CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CONTEXTS = [VC_V2, CLR_V2, OB_V3]
TYPES = ["VerifiableCredential", "ClrCredential"]
PART_OF = "isPartOf"
"""CLR 2.0 AssociationType: "the source achievement is a part of the target achievement"."""
Progress = Callable[[str, int, int], None]
RECORD_NAME = "Learner record of %(recipient)s"
"""A record's signed `name`; `build_records` is given it per language (the theme's message
catalogs translate it: the build passes them in)."""


def recipient_key(email: str) -> str:
    """How credsite.lock names a recipient's record: a digest, so no email reaches the lockfile."""
    return hashlib.sha256(f"clr:{email}".encode()).hexdigest()[:24]


@dataclass
class Record:
    """One recipient's signed learner record.

    Its JSON is made when first asked for (`json_bytes`): a rebuild that keeps the record's
    files (by `inputs`) never writes the record out again. Once made it is held in the build's
    `Spill`, out of memory."""

    name: str
    entry: ClrEntry
    credentials: list[Issued]
    """The credentials it holds, in its order (oldest first)."""
    inputs: str
    """A fingerprint of everything the signed record is made from, its proofs included (as
    recorded when they were made, `build_records`): its JSON, page and baked images are kept from
    the site in place by it."""
    detached: Spilled
    """Its detached eddsa-jcs-2022 proof as published (``records/TOKEN.jcs-proof.jsonld``)."""
    made: Spilled | None = None
    """The signed record as published (``records/TOKEN.json``), once made."""
    make: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)
    spill: Spill | None = field(default=None, repr=False, compare=False)
    """Where its JSON is held once made (None: in memory)."""

    @property
    def token(self) -> str:
        return self.entry.credential

    @property
    def json_bytes(self) -> bytes:
        """The signed record as published (``records/TOKEN.json``)."""
        made = self.with_json().made
        assert made is not None
        return made.read()

    def with_json(self) -> Record:
        """This record, its JSON made now if it was not (the page of a record is sent to a
        worker process from the pool's own thread: made before, on the build's)."""
        make = self.make
        if make is not None:  # made at most twice were two threads to ask at once, never lost
            self.made, self.make = hold(make(), self.spill), None
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Sent to a worker process (its page) made, without the function that makes it and
        the build's temporary file (its JSON goes as bytes, `Spilled.__reduce__`)."""
        return {**self.__dict__, "made": self.with_json().made, "make": None, "spill": None}

    @property
    def document(self) -> dict[str, Any]:
        """The signed record, read from `json_bytes` each time it is asked for: a site of many
        thousands of recipients does not keep every record (and the credentials nested in it)
        in memory as objects."""
        document: dict[str, Any] = json.loads(self.json_bytes)
        return document


def included(item: Issued) -> bool:
    """Whether a credential belongs in its recipient's record: not revoked, not suspended, and
    neither private (a record is published in clear: it would disclose it) nor withdrawn at the
    recipient's request."""
    return (
        item.award.status == "active"
        and item.award.visibility != "private"
        and not item.award.withdrawn
    )


def associations(site: Site, achievement_ids: list[str], urls: Urls) -> list[dict[str, Any]]:
    """CLR Associations among `achievement_ids`: each component of a pathway isPartOf it."""
    present = set(achievement_ids)
    found = []
    for slug, pathway in sorted(site.pathways.items()):
        target = urls.url(urls.achievement_path(slug))
        if target not in present:
            continue
        for component in pathway.component_slugs():
            source = urls.url(urls.achievement_path(component))
            if source in present:
                found.append(
                    {
                        "type": "Association",
                        "associationType": PART_OF,
                        "sourceId": source,
                        "targetId": target,
                    }
                )
    return sorted(found, key=lambda a: (a["targetId"], a["sourceId"]))


def record_language(items: list[Issued], config: SiteConfig) -> str:
    """The language of a learner record (its signed name and its page): its recipient's, the
    language of their awards when they all agree, else the site's first language."""
    found = {award_language(item.award, config) for item in items}
    return found.pop() if len(found) == 1 else config.language


def unsigned_record(
    name: str,
    email: str,
    entry: ClrEntry,
    items: list[Issued],
    site: Site,
    urls: Urls,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ClrCredential of one recipient, before proofs, with ``validFrom`` still None; its
    name in the record's language (`record_language`), `names`: language -> `RECORD_NAME` as
    the catalogs translate it."""
    title = (names or {}).get(record_language(items, site.config), RECORD_NAME)
    documents = [item.document for item in items]  # each parsed from its JSON bytes once
    achievements: dict[str, dict[str, Any]] = {}
    for document in documents:
        achievement = document["credentialSubject"]["achievement"]
        achievements.setdefault(achievement["id"], achievement)
    subject: dict[str, Any] = {
        "type": ["ClrSubject"],
        "identifier": [identity_object(email, entry.salt)],
        "verifiableCredential": documents,
        "achievement": list(achievements.values()),
    }
    if links := associations(site, list(achievements), urls):
        subject["association"] = links
    return {
        "@context": list(CONTEXTS),
        "id": urls.url(urls.record_path(entry.credential)),
        "type": list(TYPES),
        "name": title % {"recipient": name},
        "issuer": profile(site.issuers[site.primary_issuer], urls),
        "validFrom": None,
        "credentialSubject": subject,
    }


def _order(item: Issued, site: Site, urls: Urls) -> tuple[Any, ...]:
    """Oldest first; on one day, a pathway after the credentials that completed it, then by
    the credential's id (`unsigned_credential`'s, without reading the credential back)."""
    credential_id = urls.url(urls.credential_path(item.entry.credential))
    return (item.dates.valid_from, item.award.achievement in site.pathways, credential_id)


def digest(document: dict[str, Any]) -> str:
    """What a change of the record is judged by: everything but validFrom and the proof."""
    kept = {k: v for k, v in document.items() if k not in ("validFrom", "proof")}
    return hashlib.sha256(compact_json_bytes(kept, sort_keys=True)).hexdigest()


_ENTRY_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(ClrEntry)))
"""A record's lockfile entry, field by field (text each)."""


def build_records(
    site: Site,
    issued: list[Issued],
    lock: Lockfile,
    keys: dict[str, IssuerKey],
    urls: Urls,
    cache: ProofCache,
    report: Progress,
    names: dict[str, str] | None = None,
    contents: KeptMap | None = None,
    spill: Spill | None = None,
) -> tuple[list[Record], int]:
    """Every recipient's record, signed (cached like credentials), and how many were signed now.
    `names`: language -> the record's name (`RECORD_NAME` translated).

    `contents`: by a fingerprint of what each record is made from (its recipient, lockfile
    entry, credentials as issued and published, and the site's settings, issuers, achievements
    and pathways), its `digest`, a `json_fingerprint` of its proofs and the digest of its
    detached proof's JSON. A record whose inputs an earlier build saw, whose digest the lockfile
    holds and whose proofs are cached is not written out at all, nor is its detached proof,
    unless a file of it must be made again (`Record.json_bytes`, which checks the digest; the
    detached proof, `later`). `spill`: where each record's JSON is held once made (None: in
    memory)."""
    if not site.config.clr:
        return [], 0
    by_email: dict[str, list[Issued]] = {}
    for item in issued:
        if included(item):
            by_email.setdefault(item.award.email, []).append(item)
    issuer = site.primary_issuer
    key = keys[issuer].key
    vm = verification_method(issuer, key.public_key_multibase, urls)
    secret = key.secret_multibase()  # each job carries it: encoded once
    site_inputs = fingerprint(
        site.config, issuer, site.issuers, site.achievements, site.pathways,
        urls.base, urls.primary_issuer, urls.languages, names or {},
    )  # fmt: skip
    made: dict[str, Record | None] = {}
    """Every record, in the order of the recipients' emails (None: not signed yet)."""
    pending: dict[str, tuple[str, ClrEntry, list[Issued], dict[str, Any], str, str]] = {}
    """The records being signed, by recipient: a few chunks of them at a time (`to_sign`)."""
    signed_now = 0
    done = 0
    total = len(by_email)

    def signed(name: str, entry: ClrEntry, items: list[Issued], inputs: str, content: str,
               created: str, proofs: dict[str, Any], made: bytes) -> Record:  # fmt: skip
        """A record made (and signed) now, recorded in `contents` with its proofs' fingerprint
        and its detached proof's digest."""
        proofs_made = json_fingerprint([proofs["proof"], proofs["detached"]])
        detached = hold(json_bytes(proofs["detached"]), spill)
        if contents is not None:
            contents.put(inputs, [content, proofs_made, detached.digest])
        # `inputs` holds the code's version: the strings themselves suffice here
        return Record(name, entry, items, digest_parts(inputs, created, proofs_made), detached,
                      hold(made, spill))  # fmt: skip

    def to_sign() -> Iterator[SignJob]:
        """Each record to sign, made as the workers ask for more (`parallel_map`): the others
        (kept, or their proofs cached) are done here, in the recipients' order."""
        nonlocal done
        for email in sorted(by_email):
            items = by_email[email]
            if len(items) > 1:
                items.sort(key=lambda i: _order(i, site, urls))
            name = items[-1].award.name
            recipient = recipient_key(email)
            entry = lock.clr(recipient, name)
            # `site_inputs` holds the code's version: the strings themselves suffice here
            made_from = [part for item in items for part in (item.inputs, item.json_digest)]
            inputs = digest_parts(site_inputs, name, email, *_ENTRY_FIELDS(entry), *made_from)
            known = contents.texts(inputs, 3) if contents is not None else None
            if known is not None:
                content, proofs_made, detached_digest = known
                created = lock.clr_recorded(recipient, content)
                proof_key = cache.key(None, vm, created, content) if created else ""
                if created and cache.has(proof_key):
                    lock.clr_updated(recipient, content, name)  # as below: one line after a merge
                    unsigned = functools.partial(
                        unsigned_record, name, email, entry, items, site, urls, names
                    )
                    made[recipient] = Record(
                        name, entry, items, digest_parts(inputs, created, proofs_made),
                        later(detached_digest, functools.partial(cache.detached_json, proof_key),
                              spill),
                        make=functools.partial(_record_bytes, unsigned, created, cache, proof_key,
                                               content),
                        spill=spill,
                    )  # fmt: skip
                    done += 1
                    continue
            doc = unsigned_record(name, email, entry, items, site, urls, names)
            content = digest(doc)
            doc["validFrom"] = lock.clr_updated(recipient, content, name)
            created = doc["validFrom"]
            cached = cache.found(cache.key(doc, vm, created, content))
            if cached is not None:
                made[recipient] = signed(name, entry, items, inputs, content, created, cached,
                                         json_bytes({**doc, "proof": cached["proof"]}))  # fmt: skip
                done += 1
                continue
            made[recipient] = None
            pending[recipient] = (name, entry, items, doc, content, inputs)
            yield (recipient, doc, secret, vm, created)

    for recipient, (proof_set, detached) in parallel_map(
        sign_job, to_sign(), threshold=PARALLEL_THRESHOLD
    ):
        name, entry, items, doc, content, inputs = pending.pop(recipient)
        proofs = {"proof": proof_set, "detached": detached}
        cache.put(doc, vm, doc["validFrom"], proofs, content=content)
        made[recipient] = signed(name, entry, items, inputs, content, doc["validFrom"], proofs,
                                 json_bytes({**doc, "proof": proof_set}))  # fmt: skip
        signed_now += 1
        done += 1
        report("records", done, total)
    report("records", done, total)
    records = [record for record in made.values() if record is not None]
    return records, signed_now


def _record_bytes(
    unsigned: Callable[[], dict[str, Any]], created: str, cache: ProofCache, proof_key: str,
    content: str,
) -> bytes:  # fmt: skip
    """A record found unchanged by its inputs, written out: it must have the digest the earlier
    build recorded for those inputs (else credsite judged a change by too few inputs: a bug)."""
    doc = unsigned()
    if digest(doc) != content:
        raise RuntimeError(
            "credsite bug: a learner record changed although what it is made from did not "
            "(delete the .credsite-cache folder and build again)"
        )
    doc["validFrom"] = created
    return json_bytes({**doc, "proof": cache.kept_proofs(proof_key)["proof"]})


def updated(record: Record) -> Any:
    """When the record last changed (its validFrom), as a datetime."""
    return parse_datetime(record.document["validFrom"])
