"""Verify one credential the way a relying party would, and say why it passes or fails.

Combines the spec checks a verifier runs: the VC 2.0 data model basics
(https://www.w3.org/TR/vc-data-model-2.0/#verification), every Data Integrity proof
(https://www.w3.org/TR/vc-data-integrity/#verify-proof) with its key resolved through did:web and
authorised for ``assertionMethod`` by a controller equal to the issuer
(https://w3c-ccg.github.io/did-method-web/#read-resolve), the validity period, and each
Bitstring Status List entry, whose list credential must itself verify
(https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm).

Used by ``credsite verify`` and by tests on the built site. Input documents may be anything:
problems become failed checks, never exceptions; only misuse (a naive ``now``) raises.
All network access goes through the ``fetch`` callable, so a build can verify against its own
output folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .did import did_document_url
from .encoding import decode_multikey_public
from .jsonld import JsonLdError, check_terms_defined
from .proof import DATETIME_STAMP, verify_proof
from .status import MIN_ENTRIES, StatusListError, decode_for_verification

Fetch = Callable[[str], dict[str, Any]]
"""Gives the JSON at a URL; raises when it cannot (`NotFetched` with a sentence saying why)."""


class NotFetched(LookupError):
    """What a `Fetch` raises for a URL it has nothing at: ``str()`` is a sentence, shown as it is
    (another exception is shown with its type's name)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

VerifyCache = dict[str | tuple[str, str, str | None], Any]
"""Kept across calls: DID document URL -> ``(document or None, error)``, and
``("status", list URL, issuer id)`` -> the verified status list credential or None."""

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
OB_TYPES = ("OpenBadgeCredential", "AchievementCredential", "EndorsementCredential")

VERIFIED = "verified"
REVOKED = "revoked"
SUSPENDED = "suspended"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
FAILED = "failed"
# Highest first: one failed check outweighs everything, then revocation, ...
PRECEDENCE = (FAILED, REVOKED, SUSPENDED, EXPIRED, NOT_YET_VALID)


@dataclass
class Check:
    """One verification step: its name, whether it passed, and a human-readable reason."""

    name: str
    ok: bool
    message: str


@dataclass
class Report:
    """All checks run on one credential and the overall status."""

    id: str
    checks: list[Check]
    status: str

    @property
    def ok(self) -> bool:
        return self.status == VERIFIED


@dataclass
class CheckRun:
    """Accumulates checks and the outcomes they imply (also used for OB 2.0 assertions)."""

    checks: list[Check] = field(default_factory=list)
    outcomes: set[str] = field(default_factory=set)

    def add(self, name: str, ok: bool, message: str, outcome: str | None = None) -> bool:
        self.checks.append(Check(name, ok, message))
        if outcome is not None:
            self.outcomes.add(outcome)
        elif not ok:
            self.outcomes.add(FAILED)
        return ok

    def status(self) -> str:
        return next((s for s in PRECEDENCE if s in self.outcomes), VERIFIED)

    def report(self, document_id: str) -> Report:
        return Report(document_id, self.checks, self.status())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str) or not DATETIME_STAMP.match(value):
        raise ValueError(f"{value!r} is not a dateTimeStamp (a timezone is required)")
    date, sep, rest = value.partition(".")
    if sep:  # Python accepts at most 6 fractional digits
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = date + "." + rest[: min(digits, 6)] + rest[digits:]
    return datetime.fromisoformat(value)


def _issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def _fetch(fetch: Fetch, url: str) -> tuple[dict[str, Any] | None, str]:
    try:
        result = fetch(url)
    except NotFetched as exc:
        return None, f"cannot fetch {url}: {exc}"
    except Exception as exc:  # fetch is caller-supplied: any failure is "not found"
        return None, f"cannot fetch {url}: {type(exc).__name__}: {exc}"
    if not isinstance(result, dict):
        return None, f"{url} is not a JSON object"
    return result, ""


def _vm_matches(entry: Any, did: str, vm: str) -> bool:
    ref = entry.get("id") if isinstance(entry, dict) else entry
    return isinstance(ref, str) and (ref == vm or (ref.startswith("#") and did + ref == vm))


def resolve_key(
    verification_method: Any,
    issuer_id: str | None,
    fetch: Fetch,
    cache: VerifyCache | None = None,
) -> tuple[bytes | None, str]:
    """The Ed25519 public key behind ``verification_method``, if ``issuer_id`` controls it.

    did:web: the DID document must have ``id`` == the DID, list the method (type ``Multikey``,
    controller == issuer) and authorise it in ``assertionMethod``. did:key: the key is the DID.
    Returns ``(None, reason)`` on any failure.
    """
    if not isinstance(verification_method, str):
        return None, "proof has no verificationMethod"
    vm = verification_method
    did, _, fragment = vm.partition("#")
    if did.startswith("did:key:"):
        try:
            key = decode_multikey_public(did[len("did:key:") :])
        except ValueError as exc:
            return None, f"bad did:key {did}: {exc}"
        if did != issuer_id:
            return None, f"key controller {did} is not the issuer {issuer_id}"
        return key, f"did:key {did}"
    if not did.startswith("did:web:"):
        return None, f"unsupported verificationMethod {vm!r} (did:web or did:key expected)"
    if not fragment:
        return None, f"verificationMethod {vm!r} has no #fragment"
    try:
        url = did_document_url(did)
    except ValueError as exc:
        return None, str(exc)
    if cache is not None and url in cache:
        doc, error = cache[url]
    else:
        doc, error = _fetch(fetch, url)
        if cache is not None:
            cache[url] = (doc, error)
    if doc is None:
        return None, f"DID document: {error}"
    if doc.get("id") != did:
        return None, f"DID document at {url} has id {doc.get('id')!r}, not {did}"
    methods = [m for m in _as_list(doc.get("verificationMethod")) if _vm_matches(m, did, vm)]
    if not methods or not isinstance(methods[0], dict):
        return None, f"{vm} is not listed in the DID document's verificationMethod"
    method = methods[0]
    if method.get("type") != "Multikey":
        return None, f"{vm} has type {method.get('type')!r}, not 'Multikey'"
    if not any(_vm_matches(m, did, vm) for m in _as_list(doc.get("assertionMethod"))):
        return None, f"{vm} is not authorised for assertionMethod"
    controller = method.get("controller")
    if controller != issuer_id:
        return None, f"key controller {controller!r} is not the issuer {issuer_id!r}"
    try:
        key = decode_multikey_public(method.get("publicKeyMultibase", ""))
    except (ValueError, TypeError) as exc:
        return None, f"{vm}: publicKeyMultibase: {exc}"
    return key, f"key {vm} from {url}"


def _check_proofs(
    run: CheckRun,
    label: str,
    document: dict[str, Any],
    issuer_id: str | None,
    fetch: Fetch,
    cache: VerifyCache,
) -> bool:
    """Verify every proof of ``document``; True if there is at least one and all verify."""
    proofs = _as_list(document.get("proof"))
    if not proofs:
        return run.add(f"{label}proof", False, "no proof")
    all_ok = True
    for i, proof in enumerate(proofs):
        suite = proof.get("cryptosuite") if isinstance(proof, dict) else None
        name = f"{label}proof[{i}] {suite or '?'}"
        if not isinstance(proof, dict):
            all_ok = run.add(name, False, "proof is not a JSON object") and all_ok
            continue
        key, how = resolve_key(proof.get("verificationMethod"), issuer_id, fetch, cache)
        if key is None:
            all_ok = run.add(name, False, how) and all_ok
            continue
        ok, reason = verify_proof(document, proof, key)
        all_ok = run.add(name, ok, f"{reason} ({how})" if ok else reason) and all_ok
    return all_ok


def _check_dates(
    run: CheckRun,
    label: str,
    document: dict[str, Any],
    now: datetime,
    required: bool,
    expiry_outcome: str | None = EXPIRED,
    early_outcome: str | None = NOT_YET_VALID,
) -> None:
    start = end = None
    if "validFrom" in document:
        try:
            start = _parse_time(document["validFrom"])
        except ValueError as exc:
            run.add(f"{label}validFrom", False, str(exc))
        else:
            if now < start:
                run.add(
                    f"{label}validFrom",
                    False,
                    f"not valid before {document['validFrom']}",
                    early_outcome,
                )
            else:
                run.add(f"{label}validFrom", True, f"valid from {document['validFrom']}")
    elif required:
        run.add(f"{label}validFrom", False, "validFrom is required")
    if "validUntil" in document:
        try:
            end = _parse_time(document["validUntil"])
        except ValueError as exc:
            run.add(f"{label}validUntil", False, str(exc))
        else:
            if start is not None and start > end:
                run.add(f"{label}validUntil", False, "validUntil is before validFrom")
            elif now >= end:
                run.add(
                    f"{label}validUntil",
                    False,
                    f"expired at {document['validUntil']}",
                    expiry_outcome,
                )
            else:
                run.add(f"{label}validUntil", True, f"valid until {document['validUntil']}")


def _check_status_entry(
    run: CheckRun,
    name: str,
    entry: Any,
    issuer_id: str | None,
    fetch: Fetch,
    now: datetime,
    cache: VerifyCache,
) -> None:
    if not isinstance(entry, dict):
        run.add(name, False, "credentialStatus entry is not a JSON object")
        return
    if entry.get("type") != "BitstringStatusListEntry":
        run.add(name, False, f"unsupported credentialStatus type {entry.get('type')!r}")
        return
    purpose: Any = entry.get("statusPurpose")  # any JSON value
    outcome = {"revocation": REVOKED, "suspension": SUSPENDED}.get(purpose)
    if outcome is None:
        run.add(name, True, f"statusPurpose {purpose!r} is not checked")
        return
    raw_index = entry.get("statusListIndex")
    if isinstance(raw_index, str) and raw_index.isascii() and raw_index.isdigit():
        index = int(raw_index)
    else:
        run.add(name, False, f"statusListIndex {raw_index!r} is not a base-10 string")
        return
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        run.add(name, False, "statusListCredential is missing")
        return
    size = entry.get("statusSize", 1)
    if size != 1:
        run.add(name, False, f"statusSize {size!r} is not supported")
        return
    key = ("status", url, issuer_id)  # a list is only good for the issuer it was checked for
    if key not in cache:
        cache[key] = _load_status_list(run, url, issuer_id, fetch, now, cache)
    list_credential = cache[key]
    if list_credential is None:
        run.add(name, False, f"status list {url} could not be verified")
        return
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("type") not in (
        "BitstringStatusList",
        ["BitstringStatusList"],
    ):
        run.add(name, False, f"{url}: credentialSubject is not a BitstringStatusList")
        return
    if purpose not in _as_list(subject.get("statusPurpose")):
        run.add(
            name,
            False,
            f"{url} has statusPurpose {subject.get('statusPurpose')!r}, not {purpose!r}",
        )
        return
    try:
        bits = decode_for_verification(subject.get("encodedList"))
    except StatusListError as exc:
        run.add(name, False, f"{url}: {exc}")
        return
    if index >= bits.size:
        run.add(name, False, f"statusListIndex {index} is outside the {bits.size}-entry list")
        return
    if bits.get(index):
        run.add(name, False, f"{purpose}: bit {index} of {url} is set", outcome)
    else:
        run.add(
            name,
            True,
            f"not {'revoked' if outcome == REVOKED else 'suspended'} "
            f"(bit {index} of {url}, {bits.size} >= {MIN_ENTRIES} entries)",
        )


def _load_status_list(
    run: CheckRun, url: str, issuer_id: str | None, fetch: Fetch, now: datetime, cache: VerifyCache
) -> dict[str, Any] | None:
    """Fetch and fully verify a status list credential; its checks join the report."""
    label = f"status list {url}: "
    doc, error = _fetch(fetch, url)
    if doc is None:
        run.add(f"{label}fetch", False, error)
        return None
    start = len(run.checks)
    contexts = _as_list(doc.get("@context"))
    run.add(
        f"{label}context",
        bool(contexts) and contexts[0] == VC_V2_CONTEXT,
        "first @context is the VC 2.0 context"
        if contexts[:1] == [VC_V2_CONTEXT]
        else f"first @context must be {VC_V2_CONTEXT}",
    )
    types = _as_list(doc.get("type"))
    run.add(
        f"{label}type",
        "BitstringStatusListCredential" in types and "VerifiableCredential" in types,
        f"type is {types!r}",
    )
    list_issuer = _issuer_id(doc)
    run.add(
        f"{label}issuer",
        list_issuer is not None and list_issuer == issuer_id,
        f"list issuer {list_issuer!r} {'is' if list_issuer == issuer_id else 'is not'} "
        f"the credential issuer {issuer_id!r}",
    )
    _check_proofs(run, label, doc, list_issuer, fetch, cache)
    # An expired or not-yet-valid list cannot be trusted to say anything: that is a failure.
    _check_dates(run, label, doc, now, required=False, expiry_outcome=FAILED, early_outcome=FAILED)
    if any(not c.ok for c in run.checks[start:]):
        return None
    return doc


def verify_credential(
    document: dict[str, Any],
    fetch: Fetch,
    now: datetime,
    cache: VerifyCache | None = None,
    *,
    status: bool = True,
) -> Report:
    """Run every check on ``document`` and summarise: verified, revoked, suspended, expired,
    not-yet-valid or failed (in that precedence, reversed).

    Pass one `cache` dict to several calls (a whole site) to fetch and verify each DID document
    and status list once; a status list is cached per issuer it was checked for. ``status=False``
    leaves out the status entries (each gets a passing check saying it was not checked): for a
    credential checked offline against a pinned DID document, whose status list is elsewhere.
    """
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")
    run = CheckRun()
    if not isinstance(document, dict):
        run.add("document", False, "credential is not a JSON object")
        return Report("", run.checks, run.status())
    raw_id = document.get("id")
    doc_id = raw_id if isinstance(raw_id, str) else ""
    try:
        _verify(run, document, fetch, now, {} if cache is None else cache, status)
    except Exception as exc:  # safety net: bad input must not escape as an exception
        run.add("internal", False, f"verification aborted: {type(exc).__name__}: {exc}")
    return Report(doc_id, run.checks, run.status())


def _verify(
    run: CheckRun,
    document: dict[str, Any],
    fetch: Fetch,
    now: datetime,
    cache: VerifyCache,
    status: bool = True,
) -> None:
    contexts = _as_list(document.get("@context"))
    types = _as_list(document.get("type"))
    if contexts[:1] != [VC_V2_CONTEXT]:
        run.add("context", False, f"first @context must be {VC_V2_CONTEXT}")
    elif any(t in types for t in OB_TYPES) and not (
        len(contexts) > 1
        and isinstance(contexts[1], str)
        and contexts[1].startswith(OB_CONTEXT_PREFIX)
    ):
        run.add("context", False, "second @context must be the Open Badges 3.0 context")
    else:
        run.add("context", True, "@context order is correct")
    run.add("type", "VerifiableCredential" in types, f"type is {types!r}")
    try:  # what safe-mode JSON-LD verifiers (jsonld.js) would refuse, whatever the cryptosuite
        check_terms_defined({k: v for k, v in document.items() if k != "proof"})
    except JsonLdError as exc:
        run.add("terms", False, str(exc))
    else:
        run.add("terms", True, "every term is defined by the @context")
    issuer_id = _issuer_id(document)
    run.add(
        "issuer",
        issuer_id is not None,
        f"issuer is {issuer_id}" if issuer_id else "issuer has no id",
    )
    _check_proofs(run, "", document, issuer_id, fetch, cache)
    _check_dates(run, "", document, now, required=any(t in types for t in OB_TYPES))
    for i, entry in enumerate(_as_list(document.get("credentialStatus"))):
        purpose = entry.get("statusPurpose") if isinstance(entry, dict) else None
        if not status:
            run.add(f"credentialStatus[{i}] {purpose or '?'}", True, "not checked (offline)")
            continue
        _check_status_entry(
            run, f"credentialStatus[{i}] {purpose or '?'}", entry, issuer_id, fetch, now, cache
        )
