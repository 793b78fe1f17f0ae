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

import datetime as dt
import hashlib
import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from credsite.atomic import write_atomic
from credsite.build import BuildResult, build
from credsite.content import config as site_config
from credsite.content import endorsements as content_endorsements
from credsite.content import model
from credsite.errors import CredsiteError, Location
from credsite.issuing.endorsements import endorser_did, received_target, verify_received
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
    config = site_config.load(root)
    site = model.load(config)
    shown = str(file)
    raw = _read(file, "the endorsement")
    document = _json(raw, shown)
    did = endorser_did(document)
    if did is None:
        raise CredsiteError(
            "its issuer is not a did:web DID: credsite checks received endorsements against the "
            "endorser's did:web DID document",
            Location(shown),
        )
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
    folder = config.content_dir / content_endorsements.FOLDER / content_endorsements.RECEIVED
    issuer = checked.get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    endorser = name if isinstance(name, str) and name else did
    digest_of_id = hashlib.sha256(str(checked.get("id", raw)).encode()).hexdigest()[:8]
    readable = re.sub(r"[^a-z0-9-]+", "", slugify(endorser))[:60].strip("-")
    slug = slug or f"{readable or 'endorsement'}-{digest_of_id}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise CredsiteError(f"--as {slug!r}: use lower-case letters, digits and '-'")
    target_path = folder / f"{slug}.json"
    if target_path.exists() and target_path.read_bytes() != raw:
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
    folder.mkdir(parents=True, exist_ok=True)
    written = [target_path, folder / f"{slug}{content_endorsements.DID_SUFFIX}", *siblings]
    write_atomic(target_path, raw)
    for path in written[1:]:
        write_atomic(path, did_bytes)
    lock.save(config.lockfile_path)
    return Added(
        slug=slug,
        endorser=endorser,
        did=did,
        target=target[1],
        sha256=sha256,
        files=tuple(p.relative_to(root).as_posix() for p in written),
        changed_pin=previous is not None and previous.sha256 != sha256,
    )


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
    if not re.fullmatch(content_endorsements.ENDORSEMENT_ID, identifier) or "/" in identifier:
        raise CredsiteError(f"--id {identifier!r}: use letters, digits, '.', '_' and '-'")
    path = folder / f"{identifier}.yaml"
    if path.exists() or any(e.key == identifier for e in site.endorsements):
        raise CredsiteError(
            f"{path.relative_to(root)} exists already: choose another --id (or edit that file)"
        )
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
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"))
    try:
        result = build(root, **(build_options or {}))  # type: ignore[arg-type]
    except BaseException:
        path.unlink(missing_ok=True)  # nothing written: the build wrote nothing either
        raise
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    made = next(e for e in model.load(config).endorsements if e.key == identifier)
    token = lock.endorsements[made.lock_key].credential
    hosted = result.output_dir / urls.endorsement_path(token)
    output = output or Path(f"endorsement-{identifier}.json")
    shutil.copyfile(hosted, output)
    return Endorsement(
        yaml=path.relative_to(root).as_posix(),
        url=urls.url(urls.endorsement_path(token)),
        output=output,
        result=result,
    )


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
