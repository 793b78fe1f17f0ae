"""The one build: gather and validate everything, then sign, then render, then write atomically.

The CLI and ``serve`` are thin callers of `build`. Until the very end nothing is written but the
staging folder beside the output folder, which the site is streamed to: a problem anywhere
(content, images, keys, templates, a --locked build that would mint, any warning with --strict)
raises before the lockfile or the output folder is touched, and the staging folder is removed.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from credsite import sitelock
from credsite.cache import digest, fingerprint
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError, Location, Problem, Problems, StrictError, report_order
from credsite.issuing import identity, ob2, ob3, status
from credsite.issuing.issued import Issued, award_dates
from credsite.issuing.sign import ProofCache, sign_credentials
from credsite.issuing.urls import SITE_MARKER, Urls, detached_proof_path
from credsite.media import artwork
from credsite.state.keyfiles import IssuerKey, load_keys, published_keys
from credsite.state.lockfile import AwardEntry, Clock, Lockfile, system_clock
from credsite.values import json_bytes, parse_datetime
from credsite.vc import did as vc_did
from credsite.vc.encoding import decode_multikey_secret
from credsite.website import hosting, output, pages, secrets

Progress = Callable[[str, int, int], None]
CACHE_DIR = ".credsite-cache"


@dataclass
class BuildResult:
    output_dir: Path
    files: int = 0
    bytes: int = 0
    credentials: int = 0
    states: dict[str, int] = field(default_factory=dict)
    signed: int = 0
    """Documents signed in this build (the rest came from the signature cache)."""
    minted: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """Located, each once, in the order they are printed (`credsite.errors.report_order`)."""
    seconds: float = 0.0
    demo_key: bool = False
    lockfile_written: bool = False
    written: int = 0
    """Files written in this build (the others were kept from the site in place)."""


P = ParamSpec("P")


def _locked(function: Callable[Concatenate[Path, P], BuildResult]) -> Callable[
    Concatenate[Path, P], BuildResult
]:
    """Run a build holding the site's lock: exclusive, or shared for a preview (`record=False`,
    which writes nothing in the site). An interrupted earlier build is completed first."""

    def locked(root: Path, /, *args: P.args, **options: P.kwargs) -> BuildResult:
        record = bool(options.get("record", True))
        with sitelock.site_lock(root, shared=not record):
            if record:
                _recover(root, options.get("output_dir"))  # type: ignore[arg-type]
            return function(root, *args, **options)

    functools.update_wrapper(locked, function)
    return locked


def _recover(root: Path, output_dir: str | None) -> None:
    """Put back a site an interrupted build left half-swapped; remove its leftovers."""
    try:
        config = site_config.load(root, output=output_dir, problems=Problems())
        output.check_target(config.output_dir, root, [config.content_dir, config.keys_dir])
    except CredsiteError:
        return  # the build reports it
    output.recover(config.output_dir, config.output)
    output.recover_record(config.lockfile_path)


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
) -> BuildResult:
    """Build the site in `root`; `record=False` (preview) never writes the lockfile.

    `strict` turns any warning into a `StrictError`, raised before anything is written.

    `new_site` declares a genuinely new start: the build may mint every credential although the
    site shows signs of having issued before (a previous output, git history, keys, the cache).
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    now = now or dt.datetime.now(dt.UTC)

    # 1. Read and check everything: site.yaml, content, lockfile, keys, images.
    config, site = _load_content(root, output_dir)
    output.check_target(
        config.output_dir,
        root,
        [config.content_dir, config.keys_dir, root / "themes", config.lockfile_path],
    )
    options: dict[str, Any] = {"locked": locked, "clock": clock}
    if rng is not None:
        options["rng"] = rng
    lock = Lockfile.load(config.lockfile_path, config.lockfile, **options)
    site.awards = model.keep_recorded_keys(site.awards, lock.awards)
    result = BuildResult(config.output_dir)
    result.warnings.extend(site.warnings)
    urls = Urls(config.url, site.primary_issuer)
    # Where earlier builds of this site are: its own output folder and cache, and those of this
    # build if it records (a preview's temporary folders hold only its own earlier previews).
    own_output = root / site_config.load(root).output if output_dir else config.output_dir
    outputs = [own_output, *([config.output_dir] if record else [])]
    identity.check_identity(config, site, lock, urls, outputs)
    cache = cache_dir or root / CACHE_DIR  # serve passes its own temporary folder
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
    prepared = artwork.prepare(site, cache / "images")
    report("content", 1, 1)

    # 2. Mint (lockfile entries) and sign every credential.
    entries = {a.key: lock.award(a.lock_key, a.key) for a in site.awards}
    fields = ob3.result_fields(site.awards)
    unsigned = {
        a.key: ob3.unsigned_credential(a, entries[a.key], site, urls, fields) for a in site.awards
    }
    proofs = ProofCache(cache / "proofs.json" if use_cache else None)
    signed, result.signed = sign_credentials(site, unsigned, entries, keys, urls, proofs, report)
    issued = _issued(site, entries, signed, now, result)
    del unsigned, signed  # kept as JSON bytes in `issued` from here: far less memory

    # 3. Every published file, streamed to the staging folder beside the output folder (an
    #    unchanged file is kept from the site in place, see website/output.py), then last checks.
    scanner = secrets.Scanner(_key_forms(keys))
    site_output = output.Output(
        config.output_dir,
        shown=config.output,
        # A preview (serve) builds into a new folder each time: nothing to keep from or for.
        manifest=_manifest(cache, config.output_dir) if use_cache and record else None,
        scan=scanner.scan,
    )
    try:
        _publish(site_output, config, site, issued, lock, keys, urls, prepared, result,
                 extra_head=extra_head, progress=report)  # fmt: skip

        # 4. Last checks, then write: the lockfile, then the site swapped in whole.
        sources = [config.content_dir, config.root / "themes", config.root / "site.yaml"]
        scanner.refuse(config.root, sources)
        orphans = len({e.award for e in lock.awards.values()} - {a.lock_key for a in site.awards})
        if orphans:
            result.warnings.append(
                Problem(
                    Location(config.lockfile),
                    f"{orphans} award(s) in {config.lockfile} are no longer in the content: "
                    "copies their recipients hold still verify. To withdraw a credential, revoke "
                    "it instead of deleting it.",
                )
            )
        result.warnings = report_order(result.warnings)
        if strict and result.warnings:
            raise StrictError(result.warnings)
        result.minted = list(lock.minted)
        records = {}
        if record and _changed(config.lockfile_path, text := lock.text().encode("utf-8")):
            records[config.lockfile_path] = text
        # The site, then the lockfile, then the swap: see website/output.py
        committed = output.commit(site_output, records, progress=report)
    except BaseException:
        site_output.abort()
        raise
    result.lockfile_written = bool(committed.written)
    result.warnings.extend(Problem(Location(config.output), w) for w in committed.warnings)
    proofs.save()
    result.files = site_output.files
    result.bytes = site_output.total_bytes()
    result.written = site_output.written
    result.seconds = time.perf_counter() - started
    report("write", 1, 1)
    return result


def _publish(
    site_output: output.Output,
    config: site_config.SiteConfig,
    site: model.Site,
    issued: list[Issued],
    lock: Lockfile,
    keys: dict[str, IssuerKey],
    urls: Urls,
    prepared: artwork.Prepared,
    result: BuildResult,
    *,
    extra_head: str,
    progress: Progress,
) -> None:
    """Add every file of the site to `site_output`."""
    result_fields = ob3.result_fields(site.awards)
    for path, document in status.signed_lists(site, issued, lock, keys, urls).items():
        site_output.add_json(path, document)
    issuer: str | model.Issuer  # a slug in the first loop below, then an Issuer
    for issuer in sorted(site.issuers):
        doc = vc_did.did_document(urls.did(issuer), published_keys(issuer, lock, keys[issuer]))
        site_output.add_json(urls.did_path(issuer), doc)
    site_output.add(SITE_MARKER, b"")
    if config.headers:
        site_output.add(hosting.HEADERS_PATH, hosting.headers_file(config.url))
    for issuer in site.issuers.values():
        site_output.add_json(urls.issuer_path(issuer.slug), ob3.published_profile(issuer, urls))
    for achievement in site.achievements.values():
        issuer = site.issuers[achievement.issuer]
        site_output.add_json(
            urls.achievement_path(achievement.slug),
            ob3.published_achievement(
                achievement, issuer, urls, config.language, result_fields.get(achievement.slug, ())
            ),
        )
    for item in issued:
        path = urls.credential_path(item.entry.credential)
        site_output.add(path, item.json_bytes)
        site_output.add_json(detached_proof_path(path), item.detached_proof)
    artwork.publish(
        site_output,
        prepared,
        [(i.entry.credential, i.json_bytes) for i in issued],
        urls,
        {i.entry.credential: i.award.achievement for i in issued},
        progress=_steps(progress, "images", len(issued)),
    )
    if config.ob2:
        ob2_files, ob2_warnings = ob2.files(site, issued, urls)
        for path, data in ob2_files.items():
            site_output.add(path, data)
        if config.ob2_baked:
            assertions = [
                (
                    i.entry.credential,
                    i.award.achievement,
                    ob2_files[ob2.assertion_path(i.entry.credential)],
                )
                for i in issued
            ]
            artwork.publish_ob2(
                site_output, prepared, assertions, urls, progress=_steps(progress, "ob2", len(issued))
            )
        result.warnings.extend(ob2_warnings)
    pages.add_pages(
        site,
        issued,
        urls,
        site_output,
        demo_key=result.demo_key,
        extra_head=extra_head,
        keys_withdrawn=_keys_withdrawn(site, lock),
        inputs=fingerprint(_published_keys(keys)),
        progress=_steps(progress, "pages", len(issued)),
    )


def _steps(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    """`progress` for one stage of `total` items, called about 200 times at most."""
    every = max(1, total // 200)

    def step(done: int) -> None:
        if done == total or done % every == 0:
            progress(stage, done, total)

    progress(stage, 0, total)
    return step


def _manifest(cache: Path, target: Path) -> Path:
    """The cache file describing the site in place in `target` (one per output folder)."""
    return cache / "sites" / f"{digest(str(target.absolute()))[:24]}.json"


def _published_keys(keys: dict[str, IssuerKey]) -> list[tuple[str, str]]:
    """The keys whose every form is refused in a published file: a file kept from an earlier
    build was scanned for the same keys (a new key, and every page is made and scanned again)."""
    return sorted((issuer, k.key.public_key_multibase) for issuer, k in keys.items() if not k.demo)


def _keys_withdrawn(site: model.Site, lock: Lockfile) -> dict[str, dt.datetime]:
    """Issuer -> when it last withdrew a compromised key (copies signed before then fail)."""
    withdrawn: dict[str, dt.datetime] = {}
    for issuer in site.issuers:
        times = [parse_datetime(t) for t in lock.compromised_keys(issuer).values()]
        if known := [t for t in times if t is not None]:
            withdrawn[issuer] = max(known)
    return withdrawn


def _changed(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() != data
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise CredsiteError(f"cannot read {path.name}: {exc.strerror}") from None


def _load_content(root: Path, output_dir: str | None) -> tuple[site_config.SiteConfig, model.Site]:
    """site.yaml and the content, with the problems of both reported together."""
    problems = Problems()
    config = site_config.load(root, output=output_dir, problems=problems)
    site = None
    try:
        site = model.load(config)
    except CredsiteError as exc:
        problems.extend(exc.problems)
    problems.raise_if_any()
    assert site is not None
    return config, site


def _issued(
    site: model.Site,
    entries: dict[str, AwardEntry],
    signed: dict[str, tuple[dict[str, Any], dict[str, Any]]],
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
        doc, detached = signed[award.key]
        issued.append(
            Issued(award, entries[award.key], json_bytes(doc), dates, state, detached)
        )
        result.states[state] = result.states.get(state, 0) + 1
        if dates.valid_from > now:
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


def _key_forms(keys: dict[str, IssuerKey]) -> list[secrets.Form]:
    """Every form of every private key, which no published file may hold."""
    forms = []
    for issuer, issuer_key in sorted(keys.items()):
        if issuer_key.demo:
            continue  # the demo key is public by design
        seed = decode_multikey_secret(issuer_key.key.secret_multibase())
        forms += secrets.key_forms(issuer, seed, issuer_key.key.public_key)
    return forms
