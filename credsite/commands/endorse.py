"""Endorsements across sites: receive one signed elsewhere, or sign one for another site.

``credsite endorsement add FILE`` checks an EndorsementCredential made by any Open Badges 3.0 tool
(another credsite's ``credsite endorse`` among them) for something of this site: it gets the
endorser's did:web DID document once (fetched with the user's consent, ``--fetch`` or a prompt,
or given as a file), verifies the signature with it, records the document's SHA-256 in the
lockfile (a ``pin`` line) and stores both under ``content/endorsements/received/``. Builds stay
offline: they check every received endorsement against the stored document and its pin.

``credsite endorse TARGET`` signs, with this site's issuer key, an endorsement of something on
another site (an achievement's URL, an issuer's DID, a credential's URL): it writes
``content/endorsements/<id>.yaml``, builds (so the endorsement is minted in the lockfile, signed,
published at ``endorsements/TOKEN.json`` and can be withdrawn later through the issuer's status
list) and copies the signed JSON to a file to send to that site.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from credsite.atomic import unwritable, write_atomic
from credsite.build import BuildResult, build
from credsite.content import config as site_config
from credsite.content import endorsements as content_endorsements
from credsite.content import model
from credsite.errors import CredsiteError, Location
from credsite.issuing.endorsements import (
    endorser_did,
    received_target,
    shown_id,
    shown_issuer,
    stored_key,
    verify_received,
)
from credsite.issuing.urls import Urls
from credsite.sitelock import site_lock
from credsite.state.lockfile import Lockfile
from credsite.values import is_http_url, slugify
from credsite.vc import did as vc_did

MAX_BYTES = 1024 * 1024
FETCH_TIMEOUT = 20.0
Fetcher = Callable[[str], bytes]
Confirm = Callable[[str], bool]


def fetch_url(url: str) -> bytes:
    """GET an https URL (a DID document): at most 1 MiB, 20 s. The only network access credsite
    makes outside `credsite init`/`upgrade`, and only with the user's consent."""
    if not url.startswith("https://"):
        raise CredsiteError(f"refusing to fetch {url}: did:web documents are served over https")
    request = urllib.request.Request(
        url, headers={"Accept": "application/did+json, application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CredsiteError(f"could not fetch {url}: {exc}") from None
    if len(data) > MAX_BYTES:
        raise CredsiteError(f"{url} is larger than 1 MiB: not a DID document")
    return data


@dataclass(frozen=True)
class Added:
    slug: str
    endorser: str
    did: str
    target: str
    sha256: str
    files: tuple[str, ...]
    changed_pin: bool


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CredsiteError(f"{path}: {what} is larger than 1 MiB")
        return path.read_bytes()
    except OSError as exc:
        raise CredsiteError(f"{path}: cannot read {what}: {exc.strerror}") from None


def _json(data: bytes, shown: str) -> object:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CredsiteError(f"not a JSON document: {exc}", Location(shown)) from None


def add(
    root: Path,
    file: Path,
    *,
    fetch: bool = False,
    did_document: Path | None = None,
    slug: str | None = None,
    confirm: Confirm | None = None,
    fetcher: Fetcher | None = None,
    now: dt.datetime | None = None,
) -> Added:
    """Check and store an endorsement received from elsewhere; pin its endorser's DID document.

    `fetcher` gets a URL's bytes (default `fetch_url`, looked up when called: tests replace it
    with a map of URLs, never the network)."""
    with site_lock(root):
        return _add(root, file, fetch, did_document, slug, confirm, fetcher or fetch_url, now)


def _add(
    root: Path,
    file: Path,
    fetch: bool,
    did_document: Path | None,
    slug: str | None,
    confirm: Confirm | None,
    fetcher: Fetcher,
    now: dt.datetime | None,
) -> Added:
    now = now or dt.datetime.now(dt.UTC)
    if slug is not None:
        _check_name("--as", slug, "content/endorsements/received/NAME.json")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
            raise CredsiteError(f"--as {slug!r}: use lower-case letters, digits and '-'")
    config = site_config.load(root)
    site = model.load(config)
    shown = str(file)
    raw = _read(file, "the endorsement")
    document = _json(raw, shown)
    did = endorser_did(document)
    if did is None or not isinstance(document, dict):
        raise CredsiteError(
            f"its issuer is not a did:web DID of a site{shown_issuer(document)}: credsite checks "
            "received endorsements against the endorser's did:web DID document",
            Location(shown),
        )
    folder = config.content_dir / content_endorsements.FOLDER / content_endorsements.RECEIVED
    slug = slug or _default_slug(document, did, raw)
    _refuse_stored(site.received, folder, document, raw, slug, shown)
    url = vc_did.did_document_url(did)
    if did_document is not None:
        did_bytes = _read(did_document, "the DID document")
        did_shown = str(did_document)
    elif fetch or (
        confirm is not None
        and confirm(f"Fetch {url} (the endorser's DID document) once to check the signature?")
    ):
        did_bytes = fetcher(url)
        did_shown = url
    else:
        raise CredsiteError(
            f"to check the signature credsite needs the endorser's DID document, {url}: run "
            "again with --fetch to fetch it once (it is then pinned and builds stay offline), "
            "or give it with --did-document FILE",
            Location(shown),
        )
    pinned = _json(did_bytes, did_shown)
    problems, checked = verify_received(document, pinned, now)
    if problems:
        raise CredsiteError(
            "this endorsement does not check, nothing was added: " + "; ".join(problems),
            Location(shown),
        )
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    urls = Urls(config.url, site.primary_issuer, config.languages)
    subject_id = checked["credentialSubject"]["id"]
    target = received_target(subject_id, site, urls, lock.award_entries(site.awards, mint=False))
    if target is None:
        raise CredsiteError(
            f"it endorses {subject_id}, which is no achievement, issuer or credential of this "
            f"site ({config.url})",
            Location(shown),
        )
    endorser = _endorser_name(checked, did)
    target_path = folder / f"{slug}.json"
    if target_path.exists() and not _same_bytes(target_path, raw):
        raise CredsiteError(
            f"{target_path.relative_to(root)} holds another endorsement: choose a name with --as",
        )
    sha256 = hashlib.sha256(did_bytes).hexdigest()
    # Other endorsements of the same endorser are checked with the DID document as pinned: a new
    # one (a key added or rotated) must still verify them, and is stored beside each.
    siblings = []
    for other in site.received:
        if other.slug != slug and endorser_did(other.document) == did:
            found, _ = verify_received(other.document, pinned, now)
            if found:
                raise CredsiteError(
                    f"the DID document of {did} as it is now no longer verifies "
                    f"{other.shown}: {'; '.join(found)}. Nothing was added.",
                    Location(shown),
                )
            siblings.append(folder / f"{other.slug}{content_endorsements.DID_SUFFIX}")
    previous = lock.pinned(did)
    lock.record_pin(did, sha256)
    written = [target_path, folder / f"{slug}{content_endorsements.DID_SUFFIX}", *siblings]
    try:
        _write_all(
            {
                target_path: raw,
                **{path: did_bytes for path in written[1:]},
                config.lockfile_path: lock.data(),  # last: it pins what is stored
            }
        )
    except _NotWritten as exc:
        raise CredsiteError(
            f"cannot write {_relative(exc.path, root)}: {exc.reason}. Nothing was added"
        ) from None
    return Added(
        slug=slug,
        endorser=endorser,
        did=did,
        target=target[1],
        sha256=sha256,
        files=tuple(p.relative_to(root).as_posix() for p in written),
        changed_pin=previous is not None and previous.sha256 != sha256,
    )


class _NotWritten(Exception):
    """A file `_write_all` could not write (those before it were put back)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _write_all(files: dict[Path, bytes], mode: int | None = None) -> None:
    """Write `files` in order, each atomically (a new one with `mode`, else 0600; one there keeps
    its own); if one cannot be written, put back those written before it and the folders made
    for them (nothing changed), and raise `_NotWritten`."""
    folder = next(iter(files)).parent
    missing = [f for f in (folder, *folder.parents) if not f.exists()]  # deepest first
    kept: dict[Path, bytes | None] = {}  # what each file written held before
    current = folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for current, data in files.items():
            kept[current] = current.read_bytes() if current.is_file() else None
            if kept[current] != data:
                write_atomic(current, data, mode if kept[current] is None else None)
    except OSError as exc:
        for path, old in kept.items():
            with contextlib.suppress(OSError):
                if old is None:
                    path.unlink(missing_ok=True)
                elif old != files[path]:
                    write_atomic(path, old)
        for made in missing:
            with contextlib.suppress(OSError):
                made.rmdir()
        raise _NotWritten(current, exc.strerror or str(exc)) from None


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _check_name(option: str, name: str, where: str) -> None:
    """Refuse a name given for a file (`--as`, `--id`) longer than an issuer's or an
    achievement's may be (`model.MAX_SLUG`), as the file system would."""
    if len(name) > model.MAX_SLUG:
        raise CredsiteError(
            f"{option} {name[:20]!r}... is {len(name)} characters long: at most "
            f"{model.MAX_SLUG} are allowed (it becomes the file name {where})"
        )


def _endorser_name(document: dict[str, object], did: str) -> str:
    issuer = document.get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    return name if isinstance(name, str) and name else did


def _default_slug(document: dict[str, object], did: str, raw: bytes) -> str:
    """ENDORSER-DIGEST: the endorser's name and 8 hex digits of the endorsement's id."""
    digest_of_id = hashlib.sha256(str(document.get("id", raw)).encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9-]+", "", slugify(_endorser_name(document, did)))[:60]
    return f"{readable.strip('-') or 'endorsement'}-{digest_of_id}"


def _refuse_stored(
    received: list[content_endorsements.Received],
    folder: Path,
    document: dict[str, object],
    raw: bytes,
    slug: str,
    shown: str,
) -> None:
    """Refuse an endorsement the site holds already: one with the same ``id`` (or, without one,
    the same JSON) in content/endorsements/received/. Adding the very file again under its own
    name is no copy: it checks it again against the DID document given (a new pin)."""
    key = stored_key(document)
    for other in received:
        if stored_key(other.document) != key:
            continue
        if other.slug == slug and _same_bytes(folder / f"{slug}.json", raw):
            continue
        raise CredsiteError(
            f"this endorsement{shown_id(document)} is in the site already: {other.shown} holds "
            "it. Nothing was added",
            Location(shown),
        )


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


# -- endorsing something on another site --------------------------------------------------------------


@dataclass(frozen=True)
class Endorsement:
    """What `endorse` made: the content file, the hosted URL and the file to send."""

    yaml: str
    url: str
    output: Path
    result: BuildResult


def _yaml_text(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (a JSON string is a YAML string)."""
    return json.dumps(value, ensure_ascii=False)


def endorse(
    root: Path,
    target: str,
    comment: str,
    *,
    endorser: str | None = None,
    name: str | None = None,
    identifier: str | None = None,
    issued: dt.date | None = None,
    output: Path | None = None,
    build_options: dict[str, object] | None = None,
) -> Endorsement:
    """Sign, as this site's issuer, an endorsement of `target` on another site."""
    with site_lock(root):  # re-entrant: the build takes it too
        return _endorse(
            root, target, comment, endorser, name, identifier, issued, output, build_options or {}
        )


def _endorse(
    root: Path,
    target: str,
    comment: str,
    endorser: str | None,
    name: str | None,
    identifier: str | None,
    issued: dt.date | None,
    output: Path | None,
    build_options: dict[str, object],
) -> Endorsement:
    config = site_config.load(root)
    site = model.load(config)
    endorser = endorser or site.primary_issuer
    if endorser not in site.issuers:
        raise CredsiteError(f"unknown issuer '{endorser}': the endorser is an issuer of this site")
    urls = Urls(config.url, site.primary_issuer, config.languages)
    target = target.strip()
    if not (is_http_url(target) or re.fullmatch(r"did:[a-z0-9]+:\S+", target)):
        raise CredsiteError(
            f"{target!r}: give the id of what you endorse on the other site: an achievement's "
            "or credential's https URL (its JSON), or an issuer's DID"
        )
    own = {urls.did(slug) for slug in site.issuers}
    if target.startswith(config.url) or target in own:
        raise CredsiteError(
            f"{target} is on this site: write content/endorsements/NAME.yaml with "
            "'target: {achievement: ...}', '{issuer: ...}' or '{award: ...}' instead "
            "(content/README.md)"
        )
    if not comment.strip():
        raise CredsiteError("--comment is empty: say what you endorse and why")
    folder = config.content_dir / content_endorsements.FOLDER
    identifier = identifier or "endorses-" + (slugify(target.split("://", 1)[-1])[:80] or "target")
    _check_name("--id", identifier, "content/endorsements/ID.yaml")
    if not re.fullmatch(content_endorsements.ENDORSEMENT_ID, identifier) or "/" in identifier:
        raise CredsiteError(f"--id {identifier!r}: use letters, digits, '.', '_' and '-'")
    path = folder / f"{identifier}.yaml"
    if path.exists() or any(e.key == identifier for e in site.endorsements):
        raise CredsiteError(
            f"{path.relative_to(root)} exists already: choose another --id (or edit that file)"
        )
    output = output or Path(f"endorsement-{identifier}.json")
    _check_output(output, root, config)  # before anything is written
    day = issued or dt.date.today()
    lines = [
        "# Made by `credsite endorse`: an endorsement of something on another site, signed with",
        f"# the key of issuer '{endorser}'. Withdraw it with 'status: withdrawn' (content/README.md).",
        f"endorser: {endorser}",
        "target:",
        f"  url: {_yaml_text(target)}",
        f"comment: {_yaml_text(comment.strip())}",
        f"issued: {day.isoformat()}",
    ]
    if name:
        lines.append(f"name: {_yaml_text(name)}")
    lock_before = _bytes_or_none(config.lockfile_path)
    try:
        _write_all({path: ("\n".join(lines) + "\n").encode("utf-8")})
    except _NotWritten as exc:
        raise CredsiteError(f"cannot write {_relative(exc.path, root)}: {exc.reason}") from None
    try:
        result = build(root, **build_options)  # type: ignore[arg-type]
    except BaseException:
        path.unlink(missing_ok=True)  # nothing written: the build wrote nothing either
        raise
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    made = next(e for e in model.load(config).endorsements if e.key == identifier)
    token = lock.endorsements[made.lock_key].credential
    hosted = result.output_dir / urls.endorsement_path(token)
    try:
        _write_all({output: hosted.read_bytes()}, _new_file_mode())  # as `cp` would
    except (_NotWritten, OSError) as exc:
        # Take the endorsement back: its file and the lockfile as they were, the site built again
        # without it (the same files as before: the lockfile fixes every token and date).
        reason = exc.reason if isinstance(exc, _NotWritten) else exc.strerror
        undone = _take_back(root, path, config, lock_before, build_options)
        raise CredsiteError(
            f"-o {output}: cannot write it: {reason}. The endorsement is not made ({undone})"
        ) from None
    return Endorsement(
        yaml=path.relative_to(root).as_posix(),
        url=urls.url(urls.endorsement_path(token)),
        output=output,
        result=result,
    )


def _take_back(
    root: Path,
    path: Path,
    config: site_config.SiteConfig,
    lock_before: bytes | None,
    build_options: dict[str, object],
) -> str:
    """Undo `endorse` after its build: the endorsement's file removed, the lockfile as it was,
    the site built again without it (the same files as before: the lockfile fixes every token
    and date). What was done, to say."""
    shown = _relative(path, root)
    try:
        path.unlink(missing_ok=True)
        if lock_before is None:
            config.lockfile_path.unlink(missing_ok=True)
        else:
            write_atomic(config.lockfile_path, lock_before)
    except OSError as exc:
        return (
            f"but {shown} and {config.lockfile} could not be put back: {exc.strerror}; delete "
            f"{shown}, restore {config.lockfile} from git and run 'credsite build'"
        )
    try:
        build(root, **build_options)  # type: ignore[arg-type]
    except (CredsiteError, OSError):
        return (
            f"{shown} removed, {config.lockfile} put back; {config.output}/ holds it until the "
            "next 'credsite build'"
        )
    return f"{shown} removed, {config.lockfile} put back, the site built again without it"


def _new_file_mode() -> int:
    """0666 less the process's umask: the mode `open` gives a new file."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _bytes_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredsiteError(f"{path}: cannot read it: {exc.strerror}") from None


def _check_output(output: Path, root: Path, config: site_config.SiteConfig) -> None:
    """Refuse an -o that cannot be written, before anything is: a folder, a device (anything but
    a regular file), a file of the site, a path through a file, a folder that cannot be written."""
    shown = f"-o {output}"
    if problem := unwritable(output, "the endorsement"):
        raise CredsiteError(f"{shown}: {problem}")
    resolved = output.resolve()
    for file in (config.lockfile_path, root / "site.yaml"):
        if resolved == file.resolve():
            raise CredsiteError(f"{shown} is the site's {file.name}: give another file")
    for folder in (config.content_dir, config.output_dir, config.keys_dir, root / "themes"):
        if folder.resolve() in resolved.parents:
            raise CredsiteError(
                f"{shown} is in the site's {_relative(folder, root)}/, which credsite writes "
                "or reads: give a file outside it"
            )
    existing = next(p for p in output.absolute().parents if p.is_dir())  # `unwritable` checked
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CredsiteError(f"{shown}: cannot write in {existing}: permission denied")


def describe_added(added: Added) -> list[str]:
    lines = [
        f"Added: {added.endorser} endorses {added.target} "
        f"(content/endorsements/received/{added.slug}.json).",
        f"Pinned the DID document of {added.did} in credsite.lock (SHA-256 {added.sha256}).",
    ]
    if added.changed_pin:
        lines.append(
            "Its DID document changed since it was last pinned: the new one still verifies every "
            "endorsement received from it, and is stored beside each."
        )
    lines.append(
        "Builds check it offline against that document. Run 'credsite build' to embed it, and "
        "commit the files and credsite.lock."
    )
    return lines
