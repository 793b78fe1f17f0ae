"""Verify a built site, one credential file, or a baked image, offline.

Maps the site's own URLs to files in a built folder so DID documents and status lists
are read from what will be published; nothing is fetched from the network.

No file larger than `MAX_BYTES` (10 MiB) is read: it is refused from its size before reading (a
credential is a few KiB, a baked badge well under a MiB). A PNG is read as a stream of chunks, so
only the text chunks that carry credentials are held in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credsite.errors import CredsiteError
from credsite.issuing.urls import (
    CREDENTIALS,
    DETACHED_PROOF_SUFFIX,
    OB2_ASSERTIONS,
    SITE_MARKER,
    STATUS,
)
from credsite.openbadges import ob2, png, svg
from credsite.openbadges.image import KEYWORD_OB3, MAX_BYTES, ImageError
from credsite.openbadges.png import PNG_SIGNATURE
from credsite.vc.proof import JCS, RDFC, verify_proof
from credsite.vc.verify import Check, Report, VerifyCache, resolve_key, verify_credential


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

    def __call__(self, url: str) -> Any:
        if not url.startswith(self.base_url):
            raise KeyError(f"{url} is not part of the site at {self.base_url}")
        relative = url[len(self.base_url) :].split("#", 1)[0]
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
            raise KeyError(f"{url} is not in the built site ({relative} missing)")
        return json.loads(read_limited(path).decode("utf-8"))


def read_limited(path: Path) -> bytes:
    """The file's bytes, unless it is larger than `MAX_BYTES` (checked before reading)."""
    check_size(path)
    return path.read_bytes()


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CredsiteError(
            f"{path}: {size:,} bytes is larger than the {MAX_BYTES // (1024 * 1024)} MiB "
            "credsite verify reads"
        )


def base_url_of(folder: Path) -> str:
    """A built site's base URL, read from a published document whose id is <base><its own path>
    (a credential, else a status list, achievement or issuer profile)."""
    folders = (CREDENTIALS, STATUS, "achievements", "issuers")
    for pattern in (f"{folder}/*.json" for folder in folders):
        for path in sorted(folder.glob(pattern)):
            try:
                document_id = json.loads(read_limited(path).decode("utf-8")).get("id", "")
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
    """Every credential JSON and baked image in a built site, then the detached proof of every
    other signed document (the status lists). `progress("verify", files done, files)`."""
    now = now or dt.datetime.now(dt.UTC)
    base = base_url_of(folder)
    fetch = SiteFiles(folder, base)
    results = []
    ob2_folder = folder / OB2_ASSERTIONS  # OB 2.0 hosted assertions and baked copies
    ob2_paths = sorted(ob2_folder.iterdir()) if ob2_folder.is_dir() else []
    paths = [
        path
        for path in [*sorted((folder / CREDENTIALS).iterdir()), *ob2_paths]
        if path.suffix in (".json", ".png", ".svg")
    ]
    proofs = [
        path
        for path in sorted(folder.rglob("*" + DETACHED_PROOF_SUFFIX))
        if not path.relative_to(folder).as_posix().startswith(CREDENTIALS + "/")
    ]  # a credential's detached proof is checked with the credential
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
    folder = site or find_site_folder(path.resolve())
    if folder is None:
        raise CredsiteError(f"{path}: cannot find the built site it belongs to; pass --site FOLDER")
    fetch = SiteFiles(folder, base_url_of(folder))
    return Verified(str(path), _verify_path(path, fetch, now, folder))


def extract(path: Path) -> str:
    """The credential JSON baked into a PNG or SVG image (or else its OB 2.0 assertion)."""
    try:
        check_size(path)
        with path.open("rb") as stream:
            if stream.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE:
                stream.seek(0)
                texts = png.read_texts(stream, (KEYWORD_OB3, ob2.PNG_KEYWORD))
                text = texts[KEYWORD_OB3] or texts[ob2.PNG_KEYWORD]
            else:
                stream.seek(0)
                data = stream.read()
                text = svg.extract_svg(data, 3)
                if text is None:
                    text = ob2.extract(data)  # an OB 2.0 assertion (ob2/assertions/*.svg)
    except OSError as exc:
        raise CredsiteError(f"{path}: {exc.strerror}") from None
    except ImageError as exc:
        raise CredsiteError(f"{path}: {exc.message}") from None
    if text is None:
        raise CredsiteError(
            f"{path}: no Open Badges 3.0 credential is baked into this image, "
            "nor an OB 2.0 assertion"
        )
    return text


def _verify_path(path: Path, fetch: SiteFiles, now: dt.datetime, folder: Path) -> Report:
    try:
        check_size(path)
    except (OSError, CredsiteError) as exc:
        return Report(str(path), [Check("read", False, str(exc))], "failed")
    ob2_report = ob2.verify_file(path, fetch, now)  # None unless the file holds OB 2.0
    if ob2_report is not None:
        return ob2_report
    try:
        text = read_limited(path).decode("utf-8") if path.suffix == ".json" else extract(path)
        document = json.loads(text)
    except (OSError, ValueError, CredsiteError) as exc:
        return Report(str(path), [Check("read", False, str(exc))], "failed")
    report = verify_credential(document, fetch, now, fetch.cache)
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


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
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
