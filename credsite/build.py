"""The one build: gather and validate everything, then sign, then render, then write atomically.

The CLI and ``serve`` are thin callers of `build`. Until the very end nothing is written but the
staging folder beside the output folder, which the site is streamed to: a problem anywhere
(content, images, keys, templates, a --locked build that would mint, any warning with --strict)
raises before the lockfile or the output folder is touched, and the staging folder is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from credsite import pool, sitelock
from credsite.atomic import write_atomic
from credsite.cache import KeptMap, code_version, delta_of, digest, fingerprint, seed
from credsite.content import config as site_config
from credsite.content import model, yamlsource
from credsite.errors import CredsiteError, Location, Problem, Problems, StrictError, report_order
from credsite.issuing import clr, identity, ob2, ob3, pathways, private, status
from credsite.issuing.endorsements import (
    Endorsed,
    ReceivedEndorsement,
    check_received,
    embedded,
    holders,
    sign_endorsements,
)
from credsite.issuing.issued import Issued, award_dates, award_inputs
from credsite.issuing.sign import ProofCache, forget_signing_keys, sign_credentials
from credsite.issuing.urls import CREDENTIALS, SITE_MARKER, Urls, detached_proof_path
from credsite.media import artwork
from credsite.spill import Spill, Spilled, later
from credsite.state.keyfiles import (
    LINKS_SECRET_ENV,
    LINKS_SECRET_FILE,
    IssuerKey,
    links_secret,
    load_keys,
    published_keys,
)
from credsite.state.lockfile import AwardEntry, Clock, Lockfile, system_clock, text_digest
from credsite.values import json_bytes, parse_datetime
from credsite.vc import did as vc_did
from credsite.vc.encoding import decode_multikey_secret
from credsite.website import hosting, i18n, output, pages, render, secrets

Progress = Callable[[str, int, int], None]
CACHE_DIR = ".credsite-cache"
KNOWN_REPORTED = 500
"""Credentials found unchanged between two reports of progress (each report costs as much as
finding a few)."""
SAID = "said.json"
"""In the cache folder: the `once` warnings the last build said (only a cache: never output)."""
RECORD_CONTENTS = "records.json"
"""In the cache folder: each learner record's digest by what it is made from
(`clr.build_records`)."""
PROOFS = "proofs.json"
"""In the cache folder: the proofs signed, by a digest of what they sign (`ProofCache`)."""
IMAGES = "images"
"""In the cache folder: normalised images and drawn art (`artwork.prepare`)."""
CREDENTIAL_CONTENTS = "credentials.json"
"""In the cache folder: each credential's proofs (their `ProofCache.key`) and the digests of its
JSON and its detached proof, by what it is made from (`_signed_credentials`)."""
PARSED = "parsed.json"
"""In the cache folder: the award files as parsed, by their bytes (`yamlsource.load`)."""
LOCKFILE_WRITTEN = "lockfile.json"
"""In the cache folder: the digest of the lockfile as the last build wrote it or found it written
(`Lockfile.load`'s `written`), by the lockfile's name; kept for this credsite's code only."""
TEMPLATES = "templates"
"""In the cache folder: the theme's templates as compiled (`render.load_theme`)."""
SHAREABLE_CACHE = (PARSED, PROOFS, CREDENTIAL_CONTENTS, RECORD_CONTENTS, IMAGES, TEMPLATES,
                   LOCKFILE_WRITTEN)  # fmt: skip
"""The parts of a site's cache any build of the site may start from (a preview's too): each
entry is keyed by exactly what it was made from. The output manifest is not one of them: it
describes one output folder."""


@dataclass
class BuildResult:
    output_dir: Path
    files: int = 0
    bytes: int = 0
    credentials: int = 0
    states: dict[str, int] = field(default_factory=dict)
    signed: int = 0
    """Documents signed in this build (the rest came from the signature cache)."""
    records: int = 0
    """Learner records (CLR 2.0) published, with `clr: true`."""
    minted: list[str] = field(default_factory=list)
    pathway_awards: list[str] = field(default_factory=list)
    """The pathway awards made in this build: 'Name: Pathway (issued YYYY-MM-DD)'."""
    warnings: list[Problem] = field(default_factory=list)
    """Located, each once, in the order they are printed (`credsite.errors.report_order`)."""
    said_before: list[Problem] = field(default_factory=list)
    """Those of `warnings` marked `once` that an earlier build said already, word for word (as
    its cache remembers, in SAID): not printed again."""
    seconds: float = 0.0
    demo_key: bool = False
    private: int = 0
    """Credentials published encrypted (visibility: private)."""
    withdrawn: int = 0
    """Credentials withdrawn at their recipients' request (a notice is published instead)."""
    lockfile_written: bool = False
    written: int = 0
    """Files written in this build (the others were kept from the site in place)."""

    def what_was_built(self) -> str:
        """'26 credentials (24 active, 2 revoked; 3 private (encrypted)) and 16 learner
        records': the summary `build` prints and `serve` logs."""
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
        if self.private:
            states += f"; {self.private} private (encrypted)"
        if self.withdrawn:
            states += f"; {self.withdrawn} withdrawn (a notice only)"
        return f"{self.credentials} credentials ({states or 'none'})" + (
            f" and {self.records} learner records" if self.records else ""
        )


P = ParamSpec("P")


def _locked(function: Callable[Concatenate[Path, P], BuildResult]) -> Callable[
    Concatenate[Path, P], BuildResult
]:
    """Run a build holding the site's lock: exclusive, or shared for a preview (`record=False`,
    which writes neither the lockfile nor the site's output; serve gives it a cache folder of its
    own too), and one pool of worker processes (`pool.session`). An interrupted earlier build is
    completed first."""

    def locked(root: Path, /, *args: P.args, **options: P.kwargs) -> BuildResult:
        record = bool(options.get("record", True))
        # One pool of worker processes for the whole build (signing, learner records, pages).
        with sitelock.site_lock(root, shared=not record), pool.session(), _young_cycles_only():
            if record:
                _recover(root, options.get("output_dir"))  # type: ignore[arg-type]
            return function(root, *args, **options)

    functools.update_wrapper(locked, function)
    return locked


@contextlib.contextmanager
def _young_cycles_only() -> Iterator[None]:
    """Python's cycle collector without its full collections for the build, as it was after.

    A build holds hundreds of thousands of objects for its whole length (the site's manifest, its
    credentials) and makes almost no reference cycles among them: at 10,000 awards the full
    collections walked every object 11 times to free 16, a fifth of a rebuild that changes
    nothing. The collections of young objects go on: they free the cycles that rendering a page
    leaves (without them, 35 KiB per page rendered in this process)."""
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0], threshold[1], FULL_COLLECTIONS_NEVER)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


FULL_COLLECTIONS_NEVER = 1 << 30
"""The third threshold of `gc.set_threshold` (young collections between full ones): never."""


def _recover(root: Path, output_dir: str | None) -> None:
    """Put back a site an interrupted build left half-swapped; remove its leftovers."""
    try:
        config = site_config.load(root, output=output_dir, problems=Problems())
        output.check_target(config.output_dir, root, [config.content_dir, config.keys_dir])
    except CredsiteError:
        return  # the build reports it
    output.recover(config.output_dir, config.output)
    output.recover_record(config.lockfile_path)
    for other in _other_outputs(root / CACHE_DIR, config.output_dir):
        # A build to another folder (``-o``) killed half-way: its leftovers (a staging folder
        # as large as the site) went only at that folder's next build. The site's lock is held.
        with contextlib.suppress(CredsiteError, OSError, ValueError):
            output.check_target(other, root, [config.content_dir, config.keys_dir])
            output.recover(other)


def _other_outputs(cache: Path, target: Path) -> list[Path]:
    """The output folders besides `target` that the site's manifests name and that hold a site
    credsite made, or whose site a killed build moved aside: a folder deleted since, whose name
    the user gave to folders of their own, is left alone."""
    return sorted(
        folder
        for _, folder in _named_outputs(cache)
        if folder is not None
        and folder.absolute() != target.absolute()
        and (_holds_site(folder) or _holds_site(folder.with_name(f"{folder.name}.previous")))
    )


def _named_outputs(cache: Path) -> list[tuple[Path, Path | None]]:
    """Each manifest in the cache, with the output folder its `FOLDER_SUFFIX` file names (None:
    it names none, or none that can be a path)."""
    try:
        manifests = [Path(e.path) for e in os.scandir(cache / MANIFESTS) if e.name.endswith(".json")]
    except OSError:
        return []
    named: list[tuple[Path, Path | None]] = []
    for manifest in manifests:
        try:
            where = manifest.with_suffix(FOLDER_SUFFIX).read_text(encoding="utf-8")
            named.append((manifest, cache.parent / where if "\0" not in where else None))
        except (OSError, UnicodeDecodeError):
            named.append((manifest, None))
    return named


def _holds_site(folder: Path) -> bool:
    """Whether `folder` holds a site credsite wrote (`output.OUTPUT_MARKER`)."""
    try:
        return (folder / output.OUTPUT_MARKER).is_file()
    except (OSError, ValueError):
        return False


@_locked
def build(
    root: Path,
    *,
    output_dir: str | None = None,
    locked: bool = False,
    strict: bool = False,
    record: bool = True,
    clock: Clock = system_clock,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    extra_head: str = "",
    new_site: bool = False,
    preview_secret: bytes | None = None,
) -> BuildResult:
    """Build the site in `root`; `record=False` (preview) never writes the lockfile.

    `strict` turns any warning into a `StrictError`, raised before anything is written.

    `new_site` declares a genuinely new start: the build may mint every credential although the
    site shows signs of having issued before (a previous output, git history, keys, the cache).

    `preview_secret`: the private-links secret a preview uses where the site has none here (serve
    keeps one per session, so that a rebuild keeps the pages and links it made); None: a new one.
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    now = now or dt.datetime.now(dt.UTC)

    # 1. Read and check everything: site.yaml, content, lockfile, keys, images.
    cache = cache_dir or root / CACHE_DIR  # serve passes its own temporary folder
    parsed = KeptMap(cache / PARSED if use_cache else None,
                     f"{yamlsource.PARSER} {code_version()}", compact=True)  # fmt: skip
    config, site = _load_content(root, output_dir, parsed)
    parsed.save()  # now: true of those bytes whatever becomes of this build, and out of memory
    del parsed
    output.check_target(
        config.output_dir,
        root,
        [config.content_dir, config.keys_dir, root / "themes", config.lockfile_path],
    )
    _check_replaceable(config)
    options: dict[str, Any] = {"locked": locked, "clock": clock}
    if rng is not None:
        options["rng"] = rng
    lock_written = KeptMap(cache / LOCKFILE_WRITTEN if use_cache else None, code_version())
    lock = Lockfile.load(config.lockfile_path, config.lockfile,
                         written=lock_written.get(config.lockfile), **options)  # fmt: skip
    site.awards = model.keep_recorded_keys(site.awards, lock.awards)
    recorded_before = dict(lock.awards)  # published by earlier builds (`_bake_in_browser`)
    result = BuildResult(config.output_dir)
    result.warnings.extend(site.warnings)
    urls = Urls(config.url, site.primary_issuer, config.languages)
    # Where earlier builds of this site are: its own output folder and cache, and those of this
    # build if it records (a preview's temporary folders hold only its own earlier previews).
    own_output = root / site_config.load(root).output if output_dir else config.output_dir
    outputs = [own_output, *([config.output_dir] if record else [])]
    identity.check_identity(config, site, lock, urls, outputs)
    if not new_site:
        identity.check_history(
            config,
            site,
            lock,
            outputs=outputs,
            caches=[root / CACHE_DIR, *([cache] if record else [])],
        )
    _check_statuses(site)
    keys = load_keys(config, sorted(site.issuers), site.primary_issuer, lock)
    result.demo_key = any(k.demo for k in keys.values())
    if identity.record_identity(lock, config, site, urls) and locked:
        result.warnings.append(
            Problem(
                Location(config.lockfile),
                "it does not record the site's url and issuer DIDs yet (it was written by an "
                "earlier credsite): build once without --locked and commit it, so that a changed "
                "url is caught before it re-issues every credential.",
            )
        )
    theme = render.load_theme(config, cache / TEMPLATES)  # once: captions, catalogs' warnings, pages
    result.warnings.extend(pages.missing_catalogs(config, theme))
    sealed = _links_secret(config, site, locked=locked, record=record, result=result,
                           preview_secret=preview_secret)  # fmt: skip
    prepared = artwork.prepare(site, cache / IMAGES)
    report("content", 1, 1)

    # 2. Pathway awards (worked out from the others, minted like any award), then mint (lockfile
    # entries) and sign every credential.
    completed = pathways.award_pathways(site, lock, urls, locked=locked)
    site.awards = completed.awards
    result.warnings.extend(completed.warnings)
    result.pathway_awards = [
        f"{a.name}: {site.achievements[a.achievement].name}"
        + (f" (issued {a.issued:%Y-%m-%d})" if a.issued else "")
        for a in completed.new
    ]
    result.warnings.extend(
        _bake_in_browser(config, site, lock, recorded_before, own_output, record=record)
    )  # before anything is signed: a --locked build refuses here
    entries = lock.award_entries(site.awards)
    endorsement_entries = {
        e.key: lock.endorsement(e.lock_key, e.key) for e in site.endorsements
    }
    proofs = ProofCache(cache / PROOFS if use_cache else None)
    # Endorsements first: they are embedded, signed, in what they endorse.
    endorsed, signed_endorsements = sign_endorsements(
        site, endorsement_entries, entries, keys, urls, proofs
    )
    received = check_received(site, lock, urls, entries, now)  # offline, pinned DID documents
    endorsing = embedded(endorsed, received)
    fields = ob3.result_fields(site.awards)
    captions = pages.captions(config, theme)
    unsigned_of = functools.partial(ob3.unsigned_credential, site=site, urls=urls, fields=fields,
                                    endorsements=endorsing, captions=captions)  # fmt: skip
    # Each credential by what it is made from: the award and its lockfile entry, and what every
    # credential is made from (`_credential_inputs`).
    made_from = {a.key: award_inputs(a, entries[a.key]) for a in site.awards}
    known = KeptMap(cache / CREDENTIAL_CONTENTS if use_cache else None, "2", compact=True)
    with Spill(config.output_dir.parent) as spill:  # closed however the build ends
        proofs.hold_in(spill)
        known.hold_in(spill)
        signed, result.signed = _signed_credentials(
            site, entries, keys, urls, proofs, report, spill, unsigned_of,
            known=known, made_from=made_from,
            every_credential=_credential_inputs(site, urls, keys, fields, endorsing, captions),
        )  # fmt: skip
        result.signed += signed_endorsements
        issued = _issued(site, entries, signed, made_from, now, result)
        del signed, made_from
        record_contents = KeptMap(cache / RECORD_CONTENTS if use_cache else None, "2",
                                   compact=True)  # fmt: skip
        record_contents.hold_in(spill)
        learner_records, records_signed = clr.build_records(
            site, issued, lock, keys, urls, proofs, report, pages.record_names(config, theme),
            contents=record_contents, spill=spill,
        )  # fmt: skip
        result.signed += records_signed
        result.records = len(learner_records)
        forget_signing_keys()  # every document that signs with them is signed

        # 3. Every published file, streamed to the staging folder beside the output folder (an
        #    unchanged file is kept from the site in place, see website/output.py), then last checks.
        #    A private credential's files are encrypted as they are added (`_seal`).
        scanner = secrets.Scanner(_key_forms(keys, sealed if not result.demo_key else None))
        site_output = output.Output(
            config.output_dir,
            shown=config.output,
            # One per output folder, in the build's cache (a preview's: serve's own temporary one).
            manifest=_manifest(cache, config.output_dir) if use_cache else None,
            scan=scanner.scan,
            seal=_seal(issued, urls, sealed) if sealed is not None else None,
        )
        site_output.manifest.hold_in(spill)  # a record per file: 13 per award
        try:
            _publish(site_output, config, site, issued, learner_records, lock, keys, urls, prepared,
                     result, cache=cache, extra_head=extra_head, sealed=sealed, progress=report,
                     fields=fields, endorsed=endorsed, received=received,
                     endorsing=endorsing, captions=captions, theme=theme)  # fmt: skip
            report("render", 1, 1)

            # 4. Last checks, then write: the lockfile, then the site (swapped in, or a small change
            #    moved in).
            sources = [config.content_dir, config.root / "themes", config.root / "site.yaml"]
            scanner.refuse(config.root, sources)
            if orphans := _orphans(site, lock, outputs, config.lockfile):
                result.warnings.append(orphans)
            result.warnings = report_order(result.warnings)
            if strict and result.warnings:
                raise StrictError(result.warnings)
            said = KeptMap(cache / SAID, "1")
            for warning in result.warnings:
                if warning.once and not said.get(str(warning)):
                    said.put(str(warning), True)
                elif warning.once:
                    result.said_before.append(warning)
            result.minted = list(lock.minted)
            lock_text = lock.data() if record else None
            records = {}
            if lock_text is not None and _changed(config.lockfile_path, lock_text):
                records[config.lockfile_path] = lock_text
            # The site staged, then the lockfile, then the swap or the moves: see website/output.py
            _check_replaceable(config)  # again: a file may have been put there while this build ran
            committed = output.commit(site_output, records, progress=report)
        except BaseException:
            site_output.abort()
            raise
        result.lockfile_written = bool(committed.written)
        result.warnings.extend(Problem(Location(config.output), w) for w in committed.warnings)
        proofs.save()
        known.save()
        record_contents.save()
        said.save()
        if lock_text is not None:  # what the lockfile now holds
            lock_written.put(config.lockfile, text_digest(lock_text))
            lock_written.save()
        if record and use_cache:
            _forget_other_outputs(cache, config.output_dir)
        result.files = site_output.files
        result.bytes = site_output.total_bytes()
        result.written = site_output.written
        result.seconds = time.perf_counter() - started
        report("write", 1, 1)
        return result


def _signed_credentials(
    site: model.Site,
    entries: dict[str, AwardEntry],
    keys: dict[str, IssuerKey],
    urls: Urls,
    proofs: ProofCache,
    report: Progress,
    spill: Spill,
    unsigned_of: Callable[..., dict[str, Any]],
    *,
    known: KeptMap,
    made_from: dict[str, str],
    every_credential: str,
) -> tuple[dict[str, tuple[Spilled, Spilled]], int]:
    """Every award's signed credential and its detached proof, held by `spill` (never every
    credential in memory at once: each is made as the workers ask for more, and held by
    `spill` once signed), and how many were signed now.

    `known`: by what each credential is made from (`every_credential` and its award's
    `made_from`), the `ProofCache.key` of its proofs and the digests of its JSON and detached
    proof. A credential an earlier build recorded there, its proofs still cached, is not made
    at all unless a file made from it must be (`later`)."""
    signed: dict[str, tuple[Spilled, Spilled]] = {}
    shared: dict[tuple[str, str], ob3.SharedParts] = {}  # each achievement's, per language
    made_now: dict[str, str] = {}  # of those made now: what `known` records them by
    total = len(site.awards)

    def to_sign() -> Iterator[tuple[model.Award, dict[str, Any]]]:
        for a in site.awards:
            made_of = digest(every_credential, made_from[a.key])
            if (kept := known.texts(made_of, 3)) is not None and proofs.has(kept[0]):
                proof_key, json_digest, detached_digest = kept
                again = functools.partial(_credential_again, unsigned_of, a, entries[a.key],
                                          proofs, proof_key)  # fmt: skip
                detached = functools.partial(proofs.detached_json, proof_key)
                signed[a.key] = (later(json_digest, again, spill),
                                 later(detached_digest, detached, spill))  # fmt: skip
                if len(signed) % KNOWN_REPORTED == 0:
                    report("sign", len(signed), total)
                continue
            made_now[a.key] = made_of
            yield a, unsigned_of(a, entries[a.key], shared=shared)

    def keep(key: str, document: tuple[dict[str, Any], dict[str, Any]], proof_key: str) -> None:
        held = spill.put(json_bytes(document[0])), spill.put(json_bytes(document[1]))
        known.put(made_now.pop(key), [proof_key, held[0].digest, held[1].digest])
        signed[key] = held
        report("sign", len(signed), total)

    report("sign", 0, total)
    count = sign_credentials(site, to_sign(), entries, keys, urls, proofs, keep)
    report("sign", len(signed), total)
    return signed, count


def _credential_inputs(
    site: model.Site,
    urls: Urls,
    keys: dict[str, IssuerKey],
    fields: dict[str, tuple[str, ...]],
    endorsing: dict[str, list[dict[str, Any]]],
    captions: dict[str, str],
) -> str:
    """A fingerprint of what every credential is made from besides its own award and lockfile
    entry: all that `ob3.unsigned_credential` is given, and the key each issuer signs with."""
    signers = {slug: keys[slug].key.public_key_multibase for slug in sorted(keys)}
    return fingerprint(
        "credential", site.config, site.issuers, site.achievements, site.pathways, urls.base,
        urls.primary_issuer, urls.languages, fields, endorsing, captions, signers,
    )  # fmt: skip


def _credential_again(
    unsigned_of: Callable[..., dict[str, Any]],
    award: model.Award,
    entry: AwardEntry,
    proofs: ProofCache,
    proof_key: str,
) -> bytes:
    """A credential found unchanged by what it is made from, written out again (`later` checks
    that it is the very JSON the earlier build made)."""
    return json_bytes({**unsigned_of(award, entry), "proof": proofs.kept_proofs(proof_key)["proof"]})


def _json_of(document: clr.Record | Issued) -> Callable[[], bytes]:
    """A signed document's JSON, made or read back only if it is asked for (a baked image made
    again)."""
    return lambda: document.json_bytes


def _detached(sink: pages.PagesInProgress, path: str, proof: Spilled, *made_from: str) -> None:
    """The detached proof of the document at `path` (its published bytes), kept by what it is
    made from rather than scanned and hashed again: two of a site's thirteen files per award."""
    inputs = digest(DETACHED, proof.digest, *made_from)
    _kept_or_made(sink, detached_proof_path(path), inputs, proof.read)


DETACHED = "detached proof"
"""What a detached proof's inputs start with (`_detached`): no other file's inputs are equal."""


def _kept_or_made(sink: pages.PagesInProgress, path: str, inputs: str,
                  made: Callable[[], bytes]) -> None:  # fmt: skip
    """The file the site in place has at `path` if it was made from the same `inputs`, else
    `made()`, added now."""
    if not sink.keep(path, inputs):
        sink.add(path, made(), inputs=inputs)


def _publish(
    site_output: output.Output,
    config: site_config.SiteConfig,
    site: model.Site,
    issued: list[Issued],
    learner_records: list[clr.Record],
    lock: Lockfile,
    keys: dict[str, IssuerKey],
    urls: Urls,
    prepared: artwork.Prepared,
    result: BuildResult,
    *,
    cache: Path,
    extra_head: str,
    sealed: bytes | None,
    progress: Progress,
    fields: dict[str, tuple[str, ...]],
    endorsed: list[Endorsed],
    received: list[ReceivedEndorsement],
    endorsing: dict[str, list[dict[str, Any]]],
    captions: dict[str, str],
    theme: render.Theme,
) -> None:
    """Add every file of the site to `site_output`: the credential and learner-record pages are
    started first (rendered by worker processes on a large site), and added as they are made
    while the rest is written and baked (`pages.PagesInProgress`)."""
    # A withdrawn award (taken down at its recipient's request) is signed and keeps its status
    # entry, but neither its JSON, its detached proof nor its baked images are published: its
    # page is a notice (website.pages).
    published = [i for i in issued if not i.award.withdrawn]
    result.withdrawn = len(issued) - len(published)
    result.private = sum(1 for i in published if i.award.visibility == "private")
    # Before any page is rendered: a status change the lists refuse is the user's to mend.
    lists = status.signed_lists(site, issued, lock, keys, urls, holders(endorsed))
    # What besides its own inputs decides whether a file is scanned again for key material.
    keys_inputs = fingerprint(_published_keys(keys), digest("links", sealed) if sealed else "")
    sink = pages.start_pages(
        site,
        theme,
        issued,
        urls,
        site_output,
        demo_key=result.demo_key,
        extra_head=extra_head,
        keys_withdrawn=_keys_withdrawn(site, lock),
        inputs=keys_inputs,
        progress=_steps(progress, "pages", len(issued)),
        records=learner_records,
        endorsed=endorsed,
        received=received,
    )
    with contextlib.closing(sink):  # no more pages are rendered if publishing fails
        for path, document in lists.items():
            sink.add_json(path, document)
        issuer: str | model.Issuer  # a slug in the first loop below, then an Issuer
        for issuer in sorted(site.issuers):
            doc = vc_did.did_document(urls.did(issuer), published_keys(issuer, lock, keys[issuer]))
            sink.add_json(urls.did_path(issuer), doc)
        sink.add(SITE_MARKER, b"")
        if config.headers:
            sink.add(hosting.HEADERS_PATH, hosting.headers_file(config.url))
        sink.add(output.OUTPUT_MARKER, output.OUTPUT_MARKER_TEXT)
        for issuer in site.issuers.values():
            sink.add_json(
                urls.issuer_path(issuer.slug),
                ob3.published_profile(issuer, urls, endorsing.get(urls.did(issuer.slug), ())),
            )
        for achievement in site.achievements.values():
            # One Achievement per language (OB 3.0 `inLanguage`), linked by `related`.
            endorsing_it = endorsing.get(urls.url(urls.achievement_path(achievement.slug)), ())
            for language in config.languages:
                sink.add_json(
                    urls.achievement_edition_path(achievement.slug, language),
                    ob3.published_achievement(
                        model.localized(achievement, language),
                        model.localized(site.issuers[achievement.issuer], language),
                        urls,
                        language,
                        fields.get(achievement.slug, ()),
                        endorsing_it,
                        captions.get(language, ob3.CAPTION),
                        model.art_edition(site, achievement.slug, language),
                    ),
                )
        for one in endorsed:  # each signed document with its detached proof
            path = urls.endorsement_path(one.token)
            sink.add(path, one.json_bytes)
            sink.add_json(detached_proof_path(path), one.detached_proof)
        # Kept by what each is made from (and the keys: scanned again under new ones), not
        # read back from the spill or written out again.
        for item in published:
            path = urls.credential_path(item.entry.credential)
            _kept_or_made(sink, path, digest(item.json_digest, keys_inputs), _json_of(item))
            _detached(sink, path, item.detached, item.json_digest, keys_inputs)
        for record in learner_records:
            path = urls.record_path(record.token)
            _kept_or_made(sink, path, digest(record.inputs, keys_inputs), _json_of(record))
            _detached(sink, path, record.detached, record.inputs, keys_inputs)
        # Baked at build time, or in the browser by the pages (then only the badges are added).
        baked = [] if config.bake_in_browser else published
        artwork.publish(
            sink,
            prepared,
            [(i.entry.credential, i.json_digest, _json_of(i)) for i in baked],
            urls,
            # each credential baked into the badge of its recipient's language
            {i.entry.credential: artwork.badge_key(site, i.award) for i in baked},
            progress=_steps(progress, "images", 0 if config.bake_in_browser else len(published)),
            in_browser=config.bake_in_browser,  # else by the pages' links
        )
        artwork.publish_records(
            sink,
            artwork.record_badges(
                site, prepared, cache / IMAGES, pages.record_badge_words(config, theme)
            ),
            [
                (r.token, r.inputs, _json_of(r), clr.record_language(r.credentials, config))
                for r in ([] if config.bake_in_browser else learner_records)
            ],
            urls,
            in_browser=config.bake_in_browser,
        )
        if config.ob2:
            # A private or withdrawn award has no OB 2.0 output: OB 2.0 verifies by fetching an
            # assertion hosted in clear, which holds the narrative and evidence.
            ob2_issued = [i for i in published if i.award.visibility != "private"]
            ob2_files, ob2_warnings = ob2.files(site, ob2_issued, urls)
            for path, data in ob2_files.items():
                sink.add(path, data)
            # Each hosted assertion kept by what it is made from: not made again.
            inputs = digest(ob2.assertion_inputs(site, urls), keys_inputs)
            assertions: list[tuple[str, str, str, Callable[[], bytes]]] = []
            for item in ob2_issued:
                made_from = digest(inputs, item.inputs)
                make = functools.partial(ob2.assertion_json, item, site, urls)
                _kept_or_made(sink, ob2.assertion_path(item.entry.credential), made_from, make)
                assertions.append((item.entry.credential, item.award.achievement, made_from, make))
            if config.hosts_ob2_images:
                artwork.publish_ob2(
                    sink, prepared, assertions, urls, progress=_steps(progress, "ob2", len(ob2_issued))
                )
            result.warnings.extend(ob2_warnings)
        sink.finish()


def _bake_in_browser(
    config: site_config.SiteConfig,
    site: model.Site,
    lock: Lockfile,
    recorded_before: dict[str, AwardEntry],
    own_output: Path,
    *,
    record: bool,
) -> list[Problem]:
    """Record ``bake_in_browser`` in the lockfile as this build has it, and say what turning it
    on takes down: the baked images (TOKEN.png, .svg) published at their own addresses, links to
    which recipients may have shared. Turned on now: every credential the lockfile recorded
    before (not withdrawn) was published with them; a --locked build refuses, whatever its output
    folder holds (a CI build from a fresh checkout has none). On already: those the site in
    place still has (a merge of a branch that issued while it was off); the lockfile cannot
    tell."""
    if not config.bake_in_browser:
        lock.record_bake_in_browser(False, "", config.locations.get("bake_in_browser"))
        return []
    turned_on = not lock.bakes_in_browser()
    in_place = set() if turned_on else _baked_in_place(own_output)  # usually none: said already
    taken_down = sum(
        1
        for a in site.awards
        if not a.withdrawn
        and (entry := recorded_before.get(a.lock_key)) is not None
        and (turned_on or entry.credential in in_place)
    ) if turned_on or in_place else 0  # fmt: skip
    where = config.locations.get("bake_in_browser", Location("site.yaml"))
    also = [
        *(["their OB 2.0 assertions"] if config.ob2 and config.ob2_baked else []),
        *(["the learner records"] if config.clr else []),
    ]
    what = (
        f"{taken_down:,} credential(s) were published with baked images (TOKEN.png, .svg) at their "
        f"own addresses{', as were those of ' + ' and '.join(also) if also else ''}"
    )
    lock.record_bake_in_browser(True, f": {what}, which building takes down" if taken_down else "",
                                where)  # fmt: skip
    if not taken_down:
        return []
    return [
        Problem(
            where,
            f"bake_in_browser: {what}; {'this build takes' if record else 'building takes'} them "
            "down, so links to them that were shared stop working (each page's download links "
            "bake the same files in the browser). To publish them again, set 'bake_in_browser: "
            "false' and build.",
        )
    ]


def _baked_in_place(folder: Path) -> set[str]:
    """The tokens of the credentials whose baked PNG (or its encrypted copy) the site in place in
    `folder` has."""
    suffixes = (".png", f".png{private.SUFFIX}")
    try:
        return {
            entry.name.split(".", 1)[0]
            for entry in os.scandir(folder / CREDENTIALS)
            if entry.name.endswith(suffixes)
        }
    except OSError:
        return set()


def _steps(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    """`progress` for one stage of `total` items, called about 200 times at most."""
    every = max(1, total // 200)

    def step(done: int) -> None:
        if done == total or done % every == 0:
            progress(stage, done, total)

    progress(stage, 0, total)
    return step


def _manifest(cache: Path, target: Path) -> Path:
    """The cache file describing the site in place in `target` (one per output folder), named by
    its path from the site's folder where it is inside it: a site moved whole keeps it (the
    manifest still checks each file's inode and mtime). Beside it, `FOLDER_SUFFIX` names the
    folder (`_forget_other_outputs`)."""
    where = _where(cache, target)
    return cache / MANIFESTS / f"{digest(where.as_posix())[:24]}.json"


MANIFESTS = "sites"
"""In the cache folder: the manifest of each output folder built (`_manifest`)."""
FOLDER_SUFFIX = ".folder"
"""Beside a manifest: the output folder it describes, as `_where` gives it (UTF-8 text)."""


def _where(cache: Path, target: Path) -> Path:
    """`target` from the site's folder where it is inside it, else its absolute path."""
    where, site = target.absolute(), cache.parent.absolute()
    return where.relative_to(site) if where.is_relative_to(site) else where


def _forget_other_outputs(cache: Path, target: Path) -> None:
    """Name `target` beside its manifest, and remove the manifests of output folders that no
    longer hold a site (moved, deleted, an ``-o`` folder once tried): each is as large as the
    site's file list (about 1.9 KB per award), and nothing else would ever remove it. Only a
    cache: a manifest removed wrongly costs its folder's next build the time to write every
    file again, and one written by an earlier credsite, which names no folder, is of no use to
    this one (its code is in every fingerprint)."""
    own = _manifest(cache, target)
    named, name = own.with_suffix(FOLDER_SUFFIX), _where(cache, target).as_posix().encode("utf-8")
    with contextlib.suppress(OSError):
        if not named.is_file() or named.read_bytes() != name:
            write_atomic(named, name)
    for manifest, where in _named_outputs(cache):
        if manifest != own and not (where is not None and _holds_site(where)):
            for stale in (manifest, manifest.with_suffix(FOLDER_SUFFIX), delta_of(manifest)):
                with contextlib.suppress(OSError):
                    stale.unlink()


def seed_preview(root: Path, output_dir: Path, cache_dir: Path) -> None:
    """Start a preview (`credsite serve`, building into `output_dir` with the cache `cache_dir`)
    from the site's last build, so that its first build makes, signs and draws only what differs
    from it: the shareable part of the site's cache (`SHAREABLE_CACHE`), and its output folder
    and that folder's manifest, each file a hard link (where the file system allows it; else the
    preview makes every page). Nothing of the site is written: a build replaces a file of its
    output or cache, never writes into one."""
    site_cache = root / CACHE_DIR
    seed(site_cache, cache_dir, SHAREABLE_CACHE)
    try:
        config = site_config.load(root, problems=Problems())
    except CredsiteError:
        return  # the preview's build reports it
    where = _manifest(site_cache, config.output_dir)
    manifest = KeptMap(where, output.MANIFEST_VERSION, compact=True).loaded_entries()
    if not manifest or None in manifest.values():
        return  # no build yet, or a manifest of another credsite: the preview makes everything
    if output.link_site(config.output_dir, output_dir, list(manifest)):
        preview = KeptMap(_manifest(cache_dir, output_dir), output.MANIFEST_VERSION, compact=True)
        for path, record in manifest.items():
            preview.put_json(path, record)  # hard links: the same inodes and times
        preview.save()


def _published_keys(keys: dict[str, IssuerKey]) -> list[tuple[str, str]]:
    """The keys whose every form is refused in a published file: a file kept from an earlier
    build was scanned for the same keys (a new key, and every page is made and scanned again)."""
    return sorted((issuer, k.key.public_key_multibase) for issuer, k in keys.items() if not k.demo)


ORPHANS_NAMED = 10
"""How many awards the "no longer in the content" warning names."""


def _orphans(
    site: model.Site, lock: Lockfile, outputs: list[Path], lockfile: str
) -> Problem | None:
    """The awards the lockfile records and the content no longer has, named: the credential's
    file and, from the previous output, its recipient and achievement (the lockfile itself knows
    an award only by a digest of its id)."""
    current = {a.lock_key for a in site.awards}
    gone = sorted(
        (e for e in lock.awards.values() if e.award not in current),
        key=lambda e: (e.minted, e.credential),
    )
    if not gone:
        return None
    named = []
    for entry in gone[:ORPHANS_NAMED]:
        path = Urls.credential_path(entry.credential)
        who = _published_subject(path, outputs)
        named.append(f"{path} ({who})" if who else path)
    if len(gone) > ORPHANS_NAMED:
        named.append(f"and {len(gone) - ORPHANS_NAMED} more")
    return Problem(
        Location(lockfile),
        f"{len(gone)} award(s) in {lockfile} are no longer in the content: {', '.join(named)}. "
        "Copies their recipients hold still verify. To withdraw a credential, revoke it instead "
        "of deleting it. If you changed an award's email or id, set its 'id' to the old one "
        "(ACHIEVEMENT/OLD-EMAIL if it had none) and it keeps its credential.",
    )


def _published_subject(path: str, outputs: list[Path]) -> str:
    """The recipient and achievement of the credential at `path` as a previous build published
    it, or "" if no output holds it (read only if it is small, as a credential is)."""
    for folder in outputs:
        file = folder / path
        try:
            if file.stat().st_size > 1024 * 1024:
                continue
            subject = json.loads(file.read_bytes()).get("credentialSubject", {})
            name = subject.get("name")
            achievement = str(subject.get("achievement", {}).get("id", ""))
        except (OSError, ValueError, AttributeError):
            continue
        slug = achievement.rsplit("/", 1)[-1].removesuffix(".json")
        parts = [str(name)] if isinstance(name, str) and name else []
        if slug:
            parts.append(f"achievement {slug}")
        return ", ".join(parts)
    return ""


def _check_replaceable(config: site_config.SiteConfig) -> None:
    """The output folder is one credsite made (or empty): never delete a user's files."""
    where = config.locations.get("output", Location("site.yaml"))
    output.check_replaceable(config.output_dir, where, config.output)


def _links_secret(
    config: site_config.SiteConfig,
    site: model.Site,
    *,
    locked: bool,
    record: bool,
    result: BuildResult,
    preview_secret: bytes | None = None,
) -> bytes | None:
    """The private-links secret, if any award is private (a new one is written to keys/ by the
    first build that needs it; a preview without one uses a throwaway secret: `preview_secret`,
    or a new one)."""
    private = [a for a in site.awards if a.visibility == "private" and not a.withdrawn]
    if not private:
        return None
    found = links_secret(config, create=record and not locked)
    if found is None and not record:
        return preview_secret or os.urandom(32)  # a preview's links open only in the preview
    if found is None:
        raise CredsiteError(
            f"{len(private)} award(s) are private, and neither ${LINKS_SECRET_ENV} nor "
            f"{config.keys}/{LINKS_SECRET_FILE} holds the site's private-links secret: every "
            "private credential's link key is derived from it. Restore the file from your "
            "backup, or set the CI secret (a --locked build never creates one).",
            private[0].location,
        )
    if found.created:
        result.warnings.append(
            Problem(
                Location(found.source),
                "created the site's private-links secret for its private awards: back it up and "
                "never commit or publish it; without it the links already sent stop opening. "
                f"In CI, give it as the secret {LINKS_SECRET_ENV}.",
            )
        )
    return found.secret


def _seal(issued: list[Issued], urls: Urls, secret: bytes) -> output.Seal:
    """Each private credential's files, encrypted as they are added (issuing.private): its JSON,
    detached proof, baked images and rendered page become NAME.enc; its page is the shell (pages),
    the page itself being rendered to NAME.enc in clear and encrypted under NAME."""
    paths: dict[str, tuple[str, str]] = {}
    for item in issued:
        if item.award.visibility != "private" or item.award.withdrawn:
            continue
        token = item.entry.credential
        json_path = urls.credential_path(token)
        names = [json_path, detached_proof_path(json_path)]
        names += [urls.credential_path(token, suffix) for suffix in ("png", "svg")]
        paths.update((name, (token, name)) for name in names)
        page = urls.credential_path(token, "html")
        paths[page + private.SUFFIX] = (token, page)  # rendered there in clear

    def encrypt(token: str, name: str, plaintext: bytes) -> bytes:
        return private.encrypt(secret, token, name, plaintext)

    return output.Seal(paths, encrypt, digest("private-links secret", secret), private.SUFFIX)


def _keys_withdrawn(site: model.Site, lock: Lockfile) -> dict[str, dt.datetime]:
    """Issuer -> when it last withdrew a compromised key (copies signed before then fail)."""
    withdrawn: dict[str, dt.datetime] = {}
    for issuer in site.issuers:
        times = [parse_datetime(t) for t in lock.compromised_keys(issuer).values()]
        if known := [t for t in times if t is not None]:
            withdrawn[issuer] = max(known)
    return withdrawn


def _changed(path: Path, data: bytes) -> bool:
    """Whether the file at `path` holds other bytes than `data`: compared a piece at a time, not
    read whole beside them (a large site's lockfile, at the end of its build)."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size != len(data):
                return True
            view = memoryview(data)
            for start in range(0, len(data), _COMPARED):
                piece = view[start : start + _COMPARED]
                if file.read(len(piece)) != piece:
                    return True
            return bool(file.read(1))  # grown since
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise CredsiteError(f"cannot read {path.name}: {exc.strerror}") from None


_COMPARED = 1 << 20
"""Bytes of a file `_changed` reads at a time."""


def _load_content(
    root: Path, output_dir: str | None, parsed: KeptMap | None = None
) -> tuple[site_config.SiteConfig, model.Site]:
    """site.yaml and the content, with the problems of both reported together; `parsed`: the
    award files parsed by earlier builds (`model.load`)."""
    problems = Problems()
    config = site_config.load(root, output=output_dir, problems=problems)
    unknown = [language for language in config.languages if not i18n.is_known(language)]
    for language in unknown:
        problems.add(
            config.locations.get("languages") or config.locations.get("language"),
            f"unknown language '{language}': give a BCP 47 language tag (en, fr, es, th, "
            "pt-BR, ...)",
        )
    if unknown:  # not also at every text and award given in the language meant
        problems.raise_if_any()
    site = None
    try:
        site = model.load(config, parsed)
    except CredsiteError as exc:
        problems.extend(exc.problems)
    problems.raise_if_any()
    assert site is not None
    return config, site


def _issued(
    site: model.Site,
    entries: dict[str, AwardEntry],
    signed: dict[str, tuple[Spilled, Spilled]],
    made_from: dict[str, str],
    now: dt.datetime,
    result: BuildResult,
) -> list[Issued]:
    """The signed awards with their dates and current state (active, revoked, expired ...)."""
    issued: list[Issued] = []
    problems = Problems()
    for award in site.awards:
        achievement = site.achievements[award.achievement]
        dates = award_dates(award, achievement, entries[award.key])
        if dates.valid_until is not None and dates.valid_until <= dates.valid_from:
            problems.add(
                award.location,
                "the award expires before it is issued: give it an 'issued' date before 'expires'",
            )
        state = award.status
        if state == "active" and dates.valid_until is not None and dates.valid_until <= now:
            state = "expired"
        signed_json, detached = signed[award.key]
        entry = entries[award.key]
        issued.append(
            Issued(award, entry, signed_json, dates, state, detached, made_from[award.key])
        )
        result.states[state] = result.states.get(state, 0) + 1
        # Only a date the award gives: one from the mint time (a moment ago, truncated to the
        # second) is not in the future, however the second ticked over while this build ran.
        if award.issued is not None and dates.valid_from > now:
            result.warnings.append(
                Problem(
                    award.location,
                    "issued date is in the future; verifiers will report the credential as "
                    "not yet valid",
                )
            )
    problems.raise_if_any()
    result.credentials = len(issued)
    return issued


def _check_statuses(site: model.Site) -> None:
    problems = Problems()
    if not site.config.status.suspension:
        for award in site.awards:
            if award.status == "suspended":
                problems.add(
                    award.status_location or award.location,
                    "suspension is off for this site: set "
                    "'status: {suspension: true}' in site.yaml (adds a second status entry "
                    "to every credential, see the README), or revoke instead",
                )
    problems.raise_if_any()


def _key_forms(
    keys: dict[str, IssuerKey], links_secret: bytes | None = None
) -> list[secrets.Form]:
    """Every form of every private key, and of the private-links secret, which no published file
    may hold."""
    forms = []
    if links_secret is not None:
        forms += secrets.key_forms(secrets.LINKS_SECRET, links_secret, b"")
    for issuer, issuer_key in sorted(keys.items()):
        if issuer_key.demo:
            continue  # the demo key is public by design
        seed = decode_multikey_secret(issuer_key.key.secret_multibase())
        forms += secrets.key_forms(issuer, seed, issuer_key.key.public_key)
    return forms
