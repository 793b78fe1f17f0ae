"""Verify a built site, one credential file, a learner record, or a baked image, offline.

Maps the site's own URLs to files in a built folder so DID documents and status lists
are read from what will be published; nothing is fetched from the network.

A learner record (CLR 2.0 ``ClrCredential``, ``records/``) is checked as a credential (its own
proof, issuer key and dates), then every credential nested in it in full (proofs, key, dates,
status), each of which must also be the one the site publishes at its id.

Every file is read through `read_file`: only a regular file (a symlink is followed), checked on
the opened descriptor, and never more than `MAX_BYTES` (10 MiB) of it, so a device, a FIFO or a
huge file is a message, never a hang (a credential is a few KiB, a baked badge well under a MiB).
A PNG is then read chunk by chunk, so only the text chunks that carry credentials are decoded.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credsite.atomic import file_kind
from credsite.errors import CredsiteError, Location
from credsite.issuing import private
from credsite.issuing.urls import (
    CREDENTIALS,
    DETACHED_PROOF_SUFFIX,
    ENDORSEMENTS,
    OB2_ASSERTIONS,
    RECORDS,
    SITE_MARKER,
    STATUS,
)
from credsite.openbadges import ob2, png, svg
from credsite.openbadges.image import KEYWORD_CLR, KEYWORD_OB3, MAX_BYTES, ImageError
from credsite.openbadges.png import PNG_SIGNATURE
from credsite.vc.proof import JCS, RDFC, verify_proof
from credsite.vc.verify import (
    EXPIRED,
    FAILED,
    NOT_YET_VALID,
    PRECEDENCE,
    VERIFIED,
    Check,
    NotFetched,
    Report,
    VerifyCache,
    resolve_key,
    verify_credential,
)

CLR_TYPE = "ClrCredential"


@dataclass(frozen=True)
class Verified:
    path: str
    report: Report


class SiteFiles:
    """Fetch for `verify_credential`: URLs under the site's base URL read from the built folder."""

    def __init__(self, folder: Path, base_url: str) -> None:
        self.folder = folder
        self.base_url = base_url
        self.cache: VerifyCache = {}
        """Shared by every verification of one run: each DID document and list is checked once."""
        self.opened: dict[str, Any] = {}
        """URL -> document decrypted from the site's private files (`verify_private`)."""

    def __call__(self, url: str) -> Any:
        if url in self.opened:
            return self.opened[url]
        if not url.startswith(self.base_url):
            raise NotInSite(
                f"it is outside the site at {self.base_url} (built in {self.folder}), and "
                "credsite verify fetches nothing from the network"
            )
        relative = url[len(self.base_url) :].split("#", 1)[0]
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
            raise NotInSite(f"the built site {self.folder} has no file {relative}")
        try:
            data = read_file(path)
        except CredsiteError as exc:  # callers take a KeyError for "cannot fetch it"
            raise NotInSite(str(exc)) from None
        return json.loads(data.decode("utf-8"))


class NotInSite(NotFetched, KeyError):
    """A URL `SiteFiles` cannot serve (a KeyError to who looks it up as in a mapping)."""


def check_regular(path: Path, command: str = "credsite verify") -> None:
    """Refuse, before opening it, a path that is not a regular file (a symlink is followed)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise CredsiteError(exc.strerror or str(exc), Location(str(path))) from None
    kind = file_kind(mode)
    if kind is not None:
        raise CredsiteError(
            f"is {kind}, not a file: {command} reads only regular files", Location(str(path))
        )


def read_file(path: Path, command: str = "credsite verify") -> bytes:
    """The bytes of a file a user named, for `command` (as messages name it).

    Only a regular file is read (a symlink is followed): a folder, FIFO, device or socket is
    refused from `fstat` on the opened descriptor, so a file swapped after a check cannot slip
    through. Opened non-blocking, so a FIFO with no writer does not hang the open. At most
    `MAX_BYTES` + 1 bytes are read: more is refused, whatever the file's size says."""
    shown = Location(str(path))
    limit = f"the {MAX_BYTES // (1024 * 1024)} MiB {command} reads"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise CredsiteError(exc.strerror or str(exc), shown) from None
    try:
        status = os.fstat(descriptor)
        kind = file_kind(status.st_mode)
        if kind is not None:
            raise CredsiteError(f"is {kind}, not a file: {command} reads only regular files", shown)
        if status.st_size > MAX_BYTES:
            raise CredsiteError(f"{status.st_size:,} bytes is larger than {limit}", shown)
        chunks = []
        left = MAX_BYTES + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise CredsiteError(exc.strerror or str(exc), shown) from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise CredsiteError(f"is larger than {limit} (it grew while it was read)", shown)
    return data


def base_url_of(folder: Path) -> str:
    """A built site's base URL, read from a published document whose id is <base><its own path>
    (a credential, else a status list, achievement or issuer profile)."""
    folders = (CREDENTIALS, STATUS, "achievements", "issuers")
    for pattern in (f"{folder}/*.json" for folder in folders):
        for path in sorted(folder.glob(pattern)):
            try:
                document_id = json.loads(read_file(path).decode("utf-8")).get("id", "")
            except (OSError, ValueError, AttributeError, CredsiteError):
                continue
            suffix = path.relative_to(folder).as_posix()
            if isinstance(document_id, str) and document_id.endswith(suffix):
                return document_id[: -len(suffix)]
    raise CredsiteError(
        f"{folder}: no published document whose id ends with its own path; "
        "is this a folder built by credsite?"
    )


def find_site_folder(path: Path) -> Path | None:
    for parent in [path.parent, *path.parents]:
        if (parent / SITE_MARKER).exists() and (parent / CREDENTIALS).is_dir():
            return parent
    return None


def verify_site(
    folder: Path,
    now: dt.datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Verified]:
    """Every credential JSON and baked image in a built site, every endorsement signed on it
    (``endorsements/*.json``, with its detached proof and its endorser's status list), then the
    detached proof of every other signed document (the status lists).
    `progress("verify", files done, files)`."""
    now = now or dt.datetime.now(dt.UTC)
    base = base_url_of(folder)
    fetch = SiteFiles(folder, base)
    results = []
    ob2_folder = folder / OB2_ASSERTIONS  # OB 2.0 hosted assertions and baked copies
    ob2_paths = sorted(ob2_folder.iterdir()) if ob2_folder.is_dir() else []
    records = folder / RECORDS  # learner records (CLR 2.0) and their baked copies
    record_paths = sorted(records.iterdir()) if records.is_dir() else []
    endorsement_folder = folder / ENDORSEMENTS
    endorsements = [
        p for p in sorted(endorsement_folder.iterdir()) if p.suffix == ".json"
    ] if endorsement_folder.is_dir() else []  # fmt: skip
    paths = [
        path
        for path in [
            *sorted((folder / CREDENTIALS).iterdir()), *record_paths, *endorsements, *ob2_paths
        ]
        if path.suffix in (".json", ".png", ".svg")
    ]
    checked_with = (CREDENTIALS + "/", RECORDS + "/", ENDORSEMENTS + "/")
    proofs = [
        path
        for path in sorted(folder.rglob("*" + DETACHED_PROOF_SUFFIX))
        if not path.relative_to(folder).as_posix().startswith(checked_with)
    ]  # a credential's, record's or endorsement's detached proof is checked with it
    total = len(paths) + len(proofs)
    every = max(1, total // 200)
    for done, path in enumerate(paths, 1):
        results.append(
            Verified(path.relative_to(folder).as_posix(), _verify_path(path, fetch, now, folder))
        )
        if progress is not None and (done % every == 0 or done == total):
            progress("verify", done, total)
    for done, proof_path in enumerate(proofs, len(paths) + 1):
        relative = proof_path.relative_to(folder).as_posix()
        results.append(Verified(relative, _verify_detached_only(proof_path, fetch)))
        if progress is not None and (done % every == 0 or done == total):
            progress("verify", done, total)
    return results


def verify_path(path: Path, now: dt.datetime | None = None, site: Path | None = None) -> Verified:
    """One credential file (.json) or baked image (.png, .svg), resolved against its site folder."""
    now = now or dt.datetime.now(dt.UTC)
    check_regular(path)  # a device or FIFO is a message, before its site is looked for
    folder = site or find_site_folder(path.resolve())
    if folder is None:
        raise CredsiteError(f"{path}: cannot find the built site it belongs to; pass --site FOLDER")
    fetch = SiteFiles(folder, base_url_of(folder))
    return Verified(str(path), _verify_path(path, fetch, now, folder))


def extract(path: Path) -> str:
    """The credential JSON baked into a PNG or SVG image (or else its OB 2.0 assertion)."""
    return _baked_text(path, read_file(path, "credsite extract"))


def _baked_text(path: Path, data: bytes) -> str:
    """The credential baked into image bytes read from `path` (or else its OB 2.0 assertion):
    a PNG from its signature, an SVG from its name or its first character ('<')."""
    shown = Location(str(path))
    suffix = path.suffix.lower()
    try:
        if data.startswith(PNG_SIGNATURE):
            texts = png.read_texts(io.BytesIO(data), (KEYWORD_OB3, KEYWORD_CLR, ob2.PNG_KEYWORD))
            text = texts[KEYWORD_OB3] or texts[KEYWORD_CLR] or texts[ob2.PNG_KEYWORD]
        elif suffix == ".png":
            raise CredsiteError("not a PNG image: it does not start with the PNG signature", shown)
        elif suffix != ".svg" and not _looks_like_xml(data):
            raise CredsiteError("neither a PNG nor an SVG image", shown)
        else:
            text = svg.extract_svg(data, 3)
            if text is None:
                text = svg.extract_svg(data, "clr")  # a learner record (records/*.svg)
            if text is None:
                text = ob2.extract(data)  # an OB 2.0 assertion (ob2/assertions/*.svg)
    except ImageError as exc:
        raise CredsiteError(exc.message, shown) from None
    if text is None:
        raise CredsiteError(
            "no Open Badges 3.0 credential is baked into this image, "
            "nor a CLR 2.0 learner record or an OB 2.0 assertion",
            shown,
        )
    return text


def _looks_like_xml(data: bytes) -> bool:
    """Whether `data` starts as XML text does: '<' after a byte order mark and white space."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        return True
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _json_document(path: Path, data: bytes) -> tuple[str, Any]:
    """The text of a .json file and the document it holds; not JSON is a located error."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CredsiteError(
            f"not JSON: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})",
            Location(str(path)),
        ) from None
    return text, _parse(path, text, "not JSON")


def _parse(path: Path, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CredsiteError(
            f"{what}: {exc.msg}", Location(str(path), exc.lineno, exc.colno)
        ) from None
    except (ValueError, RecursionError) as exc:
        raise CredsiteError(f"{what}: {exc}", Location(str(path))) from None


def _ob2_report(path: Path, data: bytes, fetch: SiteFiles, now: dt.datetime) -> Report | None:
    """`ob2.verify_file` on bytes already read: the OB 2.0 report of an assertion (.json) or
    baked image, or None if the file holds no OB 2.0 assertion (or an OB 3.0 credential too)."""
    try:
        if path.suffix != ".json" and data.startswith(PNG_SIGNATURE):
            texts = png.read_texts(io.BytesIO(data), (KEYWORD_OB3, ob2.PNG_KEYWORD))
            if texts[KEYWORD_OB3] is not None:
                return None
            text = texts[ob2.PNG_KEYWORD]
        elif path.suffix == ".json":
            document = json.loads(data.decode("utf-8"))
            return ob2.verify_assertion(document, fetch, now) if ob2.is_ob2(document) else None
        else:
            if svg.extract_svg(data, 3) is not None:
                return None
            text = ob2.extract(data)
    except (ValueError, RecursionError):  # an ImageError is a ValueError
        return None  # the OB 3.0 path reports it
    if text is None:
        return None
    return ob2.verify_baked(text, fetch, now)


def _verify_path(path: Path, fetch: SiteFiles, now: dt.datetime, folder: Path) -> Report:
    try:
        data = read_file(path)
    except CredsiteError as exc:
        return Report(str(path), [Check("read", False, str(exc))], "failed")
    ob2_report = _ob2_report(path, data, fetch, now)  # None unless the file holds OB 2.0
    if ob2_report is not None:
        return ob2_report
    try:
        if path.suffix == ".json":
            text, document = _json_document(path, data)
        else:
            text = _baked_text(path, data)
            document = _parse(path, text, "the baked credential is not JSON")
    except (ValueError, CredsiteError) as exc:
        return Report(str(path), [Check("read", False, str(exc))], "failed")
    report = verify_credential(document, fetch, now, fetch.cache)
    if isinstance(document, dict) and CLR_TYPE in _types(document):
        nested_checks(document, fetch, now, report)
    if path.suffix != ".json":
        _compare_with_hosted(document, text, fetch, report)
    else:
        proof_path = path.with_name(path.name[: -len(".json")] + DETACHED_PROOF_SUFFIX)
        if proof_path.is_file():
            checks = detached_proof_checks(document, _read_json(proof_path), fetch)
            report.checks.extend(checks)
            if not all(check.ok for check in checks):
                report.status = "failed"
    return report


def _types(document: dict[str, Any]) -> list[Any]:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def nested_checks(
    document: dict[str, Any], fetch: SiteFiles, now: dt.datetime, report: Report
) -> None:
    """A learner record's credentials: each verified in full (proofs, key, dates, status) and
    compared with the copy the site publishes at its id. The record fails if any fails, and is
    reported revoked or suspended when one of its credentials is; one that expired is part of
    the record (a transcript keeps what was earned) and is only reported."""
    subject = document.get("credentialSubject")
    nested = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    items = nested if isinstance(nested, list) else ([] if nested is None else [nested])
    if not items:
        report.checks.append(Check("credentials", False, "the learner record holds no credential"))
        report.status = FAILED
        return
    statuses = [report.status]
    for number, credential in enumerate(items, 1):
        sub = verify_credential(credential, fetch, now, fetch.cache)
        name = f"credential {number}"
        if isinstance(credential, dict):
            subject_of = credential.get("credentialSubject")
            achievement = subject_of.get("achievement") if isinstance(subject_of, dict) else None
            title = achievement.get("name") if isinstance(achievement, dict) else None
            if isinstance(title, str):
                name += f" ({title})"
        failed = [c for c in sub.checks if not c.ok]
        detail = f"{sub.id}: {sub.status}"
        if sub.status == FAILED and failed:
            detail += f" ({failed[0].name}: {failed[0].message})"
        report.checks.append(Check(name, sub.status != FAILED, detail))
        statuses.append(VERIFIED if sub.status in (EXPIRED, NOT_YET_VALID) else sub.status)
        try:
            hosted = fetch(sub.id) if sub.id else None
        except (KeyError, OSError, ValueError):
            hosted = None
        same = hosted is not None and hosted == credential
        report.checks.append(
            Check(
                f"{name} published",
                same,
                f"the site publishes it at {sub.id}"
                if same
                else f"it is not the credential the site publishes at {sub.id or '(no id)'}",
            )
        )
        if not same:
            statuses.append(FAILED)
    report.status = next((s for s in PRECEDENCE if s in statuses), VERIFIED)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(read_file(path).decode("utf-8"))
    except (ValueError, RecursionError, CredsiteError) as exc:
        return exc


def _verify_detached_only(proof_path: Path, fetch: SiteFiles) -> Report:
    """A signed document other than a credential (a status list) and its detached proof."""
    document_path = proof_path.with_name(proof_path.name[: -len(DETACHED_PROOF_SUFFIX)] + ".json")
    document = _read_json(document_path)
    if not isinstance(document, dict):
        problem = f"{document_path.name}: {document}" if document else "not a JSON object"
        return Report(str(proof_path), [Check("read", False, problem)], "failed")
    checks = detached_proof_checks(document, _read_json(proof_path), fetch)
    status = "verified" if all(check.ok for check in checks) else "failed"
    return Report(str(document.get("id", document_path)), checks, status)


def detached_proof_checks(document: Any, proof: Any, fetch: SiteFiles) -> list[Check]:
    """What the credential page checks (docs/interop.md "The page's own check"): the detached
    eddsa-jcs-2022 proof signs `document` without its proof set, with a key the issuer's DID
    document authorises, and every proof inside `document` names that same key."""
    name = f"detached {JCS} proof"
    if isinstance(proof, Exception):
        return [Check(name, False, f"cannot read it: {proof}")]
    if not isinstance(proof, dict) or proof.get("cryptosuite") != JCS:
        return [Check(name, False, f"not a {JCS} proof object")]
    vm = proof.get("verificationMethod")
    hosted = document.get("proof", [])
    hosted = hosted if isinstance(hosted, list) else [hosted]
    same_key = any(isinstance(p, dict) and p.get("cryptosuite") == RDFC for p in hosted) and all(
        isinstance(p, dict) and p.get("verificationMethod") == vm for p in hosted
    )
    checks = [
        Check(
            "detached proof key",
            same_key,
            f"the document's {RDFC} proof names the same key, {vm}"
            if same_key
            else f"the document's proof set does not name the detached proof's key {vm}",
        )
    ]
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    key, how = resolve_key(
        vm, issuer_id if isinstance(issuer_id, str) else None, fetch, fetch.cache
    )
    if key is None:
        return [*checks, Check(name, False, how)]
    ok, reason = verify_proof(document, proof, key)
    return [*checks, Check(name, ok, f"{reason} ({how})" if ok else reason)]


def _compare_with_hosted(document: Any, text: str, fetch: SiteFiles, report: Report) -> None:
    """A baked credential must be byte-identical to the hosted one (issue 4)."""
    credential_id = document.get("id") if isinstance(document, dict) else None
    try:
        hosted = fetch(credential_id) if isinstance(credential_id, str) else None
    except KeyError:
        hosted = None
    if hosted is None and isinstance(credential_id, str) and _withdrawn(credential_id, fetch):
        report.checks.append(
            Check(
                "baked copy matches hosted credential",
                True,
                "not compared: the site no longer hosts it (withdrawn at the recipient's "
                "request, not revoked); the copy stands on its proofs and status",
            )
        )
        return
    same = hosted is not None and hosted == document
    report.checks.append(
        Check(
            "baked copy matches hosted credential",
            same,
            "identical" if same else "differs from the hosted credential",
        )
    )
    if not same:
        report.status = "failed"


WITHDRAWN_MARKER = b'data-credsite-withdrawn="true"'
"""In the notice a withdrawn credential's page becomes (themes/default/templates/withdrawn.html)."""


def _withdrawn(credential_id: str, fetch: SiteFiles) -> bool:
    """Whether the site publishes the withdrawn notice in place of this credential."""
    if not credential_id.startswith(fetch.base_url) or not credential_id.endswith(".json"):
        return False
    relative = credential_id[len(fetch.base_url) : -len(".json")] + ".html"
    path = (fetch.folder / relative).resolve()
    if not path.is_relative_to(fetch.folder.resolve()) or not path.is_file():
        return False
    try:
        return WITHDRAWN_MARKER in read_file(path)
    except (OSError, CredsiteError):
        return False


# -- private credentials (visibility: private) ----------------------------------------------------


def verify_private(
    target: str, key: str | None, site: Path | None, now: dt.datetime | None = None
) -> list[Verified]:
    """A private credential, opened with its key: `target` is its full link (…/TOKEN.html#KEY,
    read from the built folder `site`) or one of its files in a built folder (with `key`, the
    link's fragment or the whole link). Checks its JSON as any credential, its detached proof,
    and that each baked image holds that same credential."""
    now = now or dt.datetime.now(dt.UTC)
    if key is not None:  # checked first: a bad key is the message, whatever the target
        _secret(key, "--key: ")
    if "://" in target:
        if site is None:
            raise CredsiteError(
                "a link is checked against the built site: pass --site FOLDER (e.g. _site)"
            )
        folder = site
        base = base_url_of(folder)
        link, _, fragment_text = target.partition("#")
        if key is None and not fragment_text:
            raise CredsiteError(
                "this link has no key (the part after '#'): a private credential opens only "
                "with its full link, or give --key"
            )
        path_in_site = link.split("?", 1)[0]
        if path_in_site.startswith(base):
            path_in_site = path_in_site[len(base) :]
        else:  # the same path served from elsewhere (a preview): match from credentials/
            marker = "/" + CREDENTIALS + "/"
            if marker not in path_in_site:
                raise CredsiteError(f"{link} is not a credential address of the site at {base}")
            path_in_site = CREDENTIALS + "/" + path_in_site.rsplit(marker, 1)[1]
        key_text = key if key is not None else fragment_text
    else:
        file = Path(target)
        if file.is_dir():
            raise CredsiteError(
                "is a folder: --key opens one private credential: give its link or one of its "
                f"files ({CREDENTIALS}/TOKEN.json{private.SUFFIX})",
                Location(target),
            )
        found = site or find_site_folder(file.resolve())
        if found is None:
            raise CredsiteError(f"{target}: cannot find the built site it belongs to; pass --site")
        folder = found
        if key is None:
            raise CredsiteError(f"{target}: a private credential's file opens only with --key")
        base = base_url_of(folder)
        if not file.resolve().is_relative_to(folder.resolve()):
            raise CredsiteError(
                f"not in the built site {folder}: a private credential's files are read where "
                "the site publishes them",
                Location(target),
            )
        path_in_site = file.resolve().relative_to(folder.resolve()).as_posix()
        key_text = key
    stem = path_in_site.removesuffix(private.SUFFIX)
    for suffix in (DETACHED_PROOF_SUFFIX, ".json", ".html", ".png", ".svg"):
        stem = stem.removesuffix(suffix)
    secret = _secret(key_text)
    fetch = SiteFiles(folder, base)

    def opened(name: str) -> bytes | None:
        blob_path = folder / (name + private.SUFFIX)
        if not blob_path.is_file():
            return None
        try:
            return private.decrypt(secret, name, read_file(blob_path))
        except private.PrivateError as exc:
            raise CredsiteError(str(exc)) from None

    json_name = stem + ".json"
    data = opened(json_name)
    if data is None:
        raise CredsiteError(f"{json_name}{private.SUFFIX} is not in {folder}: not a private "
                            "credential of this site")  # fmt: skip
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise CredsiteError(f"{json_name}: not JSON ({exc})") from None
    fetch.opened[base + json_name] = document
    report = verify_credential(document, fetch, now, fetch.cache)
    proof_data = opened(stem + DETACHED_PROOF_SUFFIX)
    if proof_data is not None:
        checks = detached_proof_checks(document, json.loads(proof_data.decode("utf-8")), fetch)
        report.checks.extend(checks)
        if not all(check.ok for check in checks):
            report.status = "failed"
    results = [Verified(json_name + private.SUFFIX, report)]
    for suffix in (".png", ".svg"):
        image = opened(stem + suffix)
        if image is None:
            continue
        text = _extract_bytes(image, suffix)
        baked = json.loads(text)
        image_report = verify_credential(baked, fetch, now, fetch.cache)
        _compare_with_hosted(baked, text, fetch, image_report)
        results.append(Verified(stem + suffix + private.SUFFIX, image_report))
    return results


def _secret(key_text: str, prefix: str = "") -> bytes:
    """The key of a private credential, from a link's fragment (or the whole link)."""
    try:
        return private.key_from_fragment(key_text)
    except private.PrivateError as exc:
        raise CredsiteError(f"{prefix}not a valid key: {exc}") from None


def _extract_bytes(data: bytes, suffix: str) -> str:
    """The credential baked into an image given as bytes (a decrypted private image)."""
    try:
        if suffix == ".png":
            text = png.read_texts(io.BytesIO(data), (KEYWORD_OB3,))[KEYWORD_OB3]
        else:
            text = svg.extract_svg(data, 3)
    except ImageError as exc:
        raise CredsiteError(exc.message) from None
    if text is None:
        raise CredsiteError(f"no Open Badges 3.0 credential is baked into this {suffix} image")
    return text
