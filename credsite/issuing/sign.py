"""Sign every credential: Data Integrity proofs over the unsigned documents, in parallel, cached.

Every signed document (credential or status list) gets two proofs over the same unsecured
document, made with the same key, verification method and ``created``:

* ``HOSTED_SUITES``: the proof set inside the published document, ``"proof": [eddsa-rdfc-2022]``,
  the one proof every wallet and verifier parses (LearnCard's didkit refuses a whole proof set
  that contains an eddsa-jcs-2022 proof);
* a *detached* eddsa-jcs-2022 proof, published beside it (`urls.detached_proof_path`), which the
  credential page checks in the browser with no JSON-LD processor (docs/interop.md).

Ed25519 is deterministic (RFC 8032 §5.1.6), so the same document, key, verification method and
``created`` always give the same proofs: cached proofs are exactly what signing again would make,
and a no-op rebuild signs nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from credsite import __version__
from credsite.cache import KeptMap, digest
from credsite.content.model import Award, Site
from credsite.issuing.urls import Urls
from credsite.pool import parallel_map
from credsite.spill import Spill
from credsite.state.keyfiles import IssuerKey
from credsite.state.lockfile import AwardEntry
from credsite.values import compact_json_bytes, json_bytes
from credsite.vc import did as vc_did
from credsite.vc import proof as vc_proof
from credsite.vc.keys import SigningKey

Progress = Callable[[str, int, int], None]
PARALLEL_THRESHOLD = 48
"""Below this many documents to sign, one process signs them sooner than a pool starts."""

HOSTED_SUITES = (vc_proof.RDFC,)
"""The proof set inside every published document: an array of one (the OB 3.0 JSON Schema wants an
array), so wallets that know only eddsa-rdfc-2022 accept it."""
DETACHED_SUITE = vc_proof.JCS
"""The page's own check, published beside the document rather than in it."""

Document = dict[str, Any]
SignJob = tuple[str, Document, str, str, str]  # key, unsigned document, secret, vm, created
Signed = tuple[Document, Document]
"""A signed document (with its proof set) and its detached eddsa-jcs-2022 proof."""
Proofs = tuple[list[Document], Document]
"""An unsigned document's proof set and its detached proof (`sign_job`)."""


def verification_method(issuer: str, public_key_multibase: str, urls: Urls) -> str:
    """did:web DID URL whose fragment is the key itself (what the 1EdTech validator expects)."""
    return vc_did.verification_method_id(urls.did(issuer), public_key_multibase)


class ProofCache:
    """Proofs keyed by a digest of exactly what they sign, and by the credsite version so that a
    change in canonicalisation never reuses an old proof. Proofs are public: no secret here."""

    def __init__(self, path: Path | None) -> None:
        # "rdfc+detached-jcs": entries are {"proof": [...], "detached": {...}}; older caches held
        # the proof set [rdfc, jcs] and must never be reused.
        # "compact keys": keyed by the digest of the compact JSON (earlier: json.dumps's spacing)
        self.kept = KeptMap(
            path, f"credsite {__version__} compact keys, rdfc+detached-jcs", compact=True
        )

    @staticmethod
    def key(doc: Document | None, vm: str, created: str, content: str | None = None) -> str:
        """What the proofs of `doc` (signed by `vm` at `created`) are kept by (see `get`)."""
        if content is not None:
            return digest("content", content, vm, created)
        assert doc is not None
        return digest(compact_json_bytes([doc, vm, created], sort_keys=True))

    def get(
        self, doc: Document | None, vm: str, created: str, *, content: str | None = None
    ) -> Any:
        """The proofs of `doc` (signed by `vm` at `created`), or None. `content`: a digest the
        caller already took of everything `doc` holds but `created` (a learner record's
        `clr.digest`), so that the document is not written out again to find its proofs."""
        return self.kept.get(self.key(doc, vm, created, content))

    def found(self, key: str) -> dict[str, Any] | None:
        """The proof set and detached proof kept by `key`, or None."""
        cached = self.kept.get(key)
        if isinstance(cached, dict) and "proof" in cached and "detached" in cached:
            return cached
        return None

    def has(self, key: str) -> bool:
        """Whether a proof set and a detached proof are kept by `key` (kept on, as by `get`),
        told by how their JSON starts rather than parsed: a document found unchanged by what it
        is made from is not made again unless a file made from it is (`kept_proofs`)."""
        held = self.kept.held(key)
        return isinstance(held, bytes) and held.startswith(_PROOFS_START) and _DETACHED in held

    def kept_proofs(self, key: str) -> dict[str, Any]:
        """The proofs `has` found."""
        if (cached := self.found(key)) is None:
            raise RuntimeError(
                "credsite bug: proofs found in the cache are gone (delete the .credsite-cache "
                "folder and build again)"
            )
        return cached

    def detached_json(self, key: str) -> bytes:
        """The detached proof `has` found, as published: for a document found unchanged by what
        it is made from, whose detached proof's file is made again (`spill.later` checks it)."""
        return json_bytes(self.kept_proofs(key)["detached"])

    def put(
        self, doc: Document, vm: str, created: str, proof: Any, *, content: str | None = None
    ) -> None:
        self.keep(self.key(doc, vm, created, content), proof)

    def keep(self, key: str, proof: Any) -> None:
        """`put` by the `key` the caller already took."""
        self.kept.put(key, proof)

    def hold_in(self, spill: Spill) -> None:
        """Hold the proofs this build makes in `spill` until they are saved (`KeptMap.hold_in`)."""
        self.kept.hold_in(spill)

    def save(self) -> None:
        self.kept.save()


def sign_credentials(
    site: Site,
    unsigned: Iterable[tuple[Award, Document]],
    entries: dict[str, AwardEntry],
    keys: dict[str, IssuerKey],
    urls: Urls,
    cache: ProofCache,
    signed: Callable[[str, Signed, str], None],
) -> int:
    """Each award's credential signed by its issuer's key (`created` = the minting time), with
    its detached proof; how many were signed now rather than taken from the cache.

    `signed(award key, (signed document, detached proof), proof key)` is called for each as it
    is signed, or found in `cache` (`ProofCache.key`): in no set order. `unsigned` is taken as
    the workers ask for more (`parallel_map`): given as a generator, never every document is
    in memory at once, and the next are made while the first are signed."""
    signers: dict[str, tuple[str, str]] = {}
    pending: dict[str, tuple[Document, str]] = {}
    """The documents being signed, by award, with their proof keys: a few chunks at a time."""

    def to_sign() -> Iterator[SignJob]:
        for award, doc in unsigned:
            issuer = site.achievements[award.achievement].issuer
            if issuer not in signers:  # each job carries its key's secret: encoded once an issuer
                key = keys[issuer].key
                vm = verification_method(issuer, key.public_key_multibase, urls)
                signers[issuer] = (key.secret_multibase(), vm)
            secret, vm = signers[issuer]
            created = entries[award.key].minted
            proof_key = cache.key(doc, vm, created)
            cached = cache.found(proof_key)
            if cached is not None:
                signed(award.key, ({**doc, "proof": cached["proof"]}, cached["detached"]), proof_key)
                continue
            pending[award.key] = (doc, proof_key)
            yield (award.key, doc, secret, vm, created)

    count = 0
    for award_key, (proof_set, detached) in parallel_map(
        sign_job, to_sign(), threshold=PARALLEL_THRESHOLD
    ):
        doc, proof_key = pending.pop(award_key)
        cache.keep(proof_key, {"proof": proof_set, "detached": detached})
        signed(award_key, ({**doc, "proof": proof_set}, detached), proof_key)
        count += 1
    return count


_PROOFS_START = b'{"proof":['
_DETACHED = b'],"detached":{'
"""How the JSON of a proof cache entry starts, and what follows its proof set (`has`)."""


def sign_job(job: SignJob) -> tuple[str, Proofs]:
    """One document's proofs (not the document: a worker process sends back only what it
    made); a module-level function so worker processes can run it."""
    award_key, doc, secret, vm, created = job
    return award_key, _proofs(doc, _signing_key(secret), vm, created)


@functools.lru_cache(maxsize=16)
def _signing_key(secret: str) -> SigningKey:
    """The key a job names by its secret, decoded once per process (a site has few keys; each
    decoding took 44 µs, as long as a third of the detached proof). `forget_signing_keys` empties
    it once a build's documents are signed: a worker process ends with its build, the build's
    own process (``credsite serve``) need not keep them."""
    return SigningKey.from_secret_multibase(secret)


def forget_signing_keys() -> None:
    _signing_key.cache_clear()


def _proofs(doc: Document, key: SigningKey, vm: str, created: str) -> Proofs:
    """The proof set of an unsigned document (one proof per hosted suite) and its detached
    proof: what every signed document of the site is given."""
    proof_set = [vc_proof.create_proof(doc, key, vm, created, suite) for suite in HOSTED_SUITES]
    return proof_set, vc_proof.create_proof(doc, key, vm, created, DETACHED_SUITE)


def sign_document(doc: Document, issuer: str, key: IssuerKey, urls: Urls, created: str) -> Signed:
    """One document (a status list) signed by an issuer's current key, and its detached proof."""
    vm = verification_method(issuer, key.key.public_key_multibase, urls)
    proof_set, detached = _proofs(doc, key.key, vm, created)
    return {**doc, "proof": proof_set}, detached
