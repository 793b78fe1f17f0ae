"""The one build: gather and validate everything, then sign, then render, then write atomically.

Layer 15. The CLI and ``serve`` are thin callers of `build`. Until the very end nothing is written:
a problem anywhere (content, images, keys, templates, a --locked build that would mint) raises
before the lockfile or the output folder is touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credsite import __version__, artwork, model, ob2, output, pages
from credsite import config as site_config
from credsite import credentials as creds
from credsite.atomic import write_atomic
from credsite.errors import CredsiteError, Problems
from credsite.lockfile import AwardEntry, Clock, Lockfile, system_clock
from credsite.signing import IssuerKey, load_keys, published_keys
from credsite.vc import did as vc_did
from credsite.vc import proof as vc_proof
from credsite.vc.encoding import decode_multikey_secret
from credsite.vc.keys import SigningKey
from credsite.vc.status import Bitstring

Progress = Callable[[str, int, int], None]
CACHE_DIR = ".credsite-cache"
PARALLEL_THRESHOLD = 48


@dataclass
class Issued:
    """One award after signing: what pages, images and the OB 2.0 output are made from."""

    award: model.Award
    entry: AwardEntry
    document: dict[str, Any]
    json_bytes: bytes
    dates: creds.Dates
    state: str  # active | revoked | suspended | expired


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
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    demo_key: bool = False
    lockfile_written: bool = False
    site_output: output.Output | None = None


def build(
    root: Path,
    *,
    output_dir: str | None = None,
    locked: bool = False,
    record: bool = True,
    clock: Clock = system_clock,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    extra_head: str = "",
) -> BuildResult:
    """Build the site in `root`; `record=False` (preview) never writes the lockfile."""
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    config_problems = Problems()
    config = site_config.load(root, output=output_dir, problems=config_problems)
    try:
        site = model.load(config)
    except CredsiteError as exc:  # report site.yaml's problems and the content's together
        config_problems.extend(exc.problems)
    config_problems.raise_if_any()
    output.check_target(
        config.output_dir,
        root,
        [config.content_dir, config.keys_dir, root / "themes", config.lockfile_path],
    )
    options: dict[str, Any] = {"locked": locked, "clock": clock}
    if rng is not None:
        options["rng"] = rng
    lock = Lockfile.load(config.lockfile_path, config.lockfile, **options)
    result = BuildResult(config.output_dir)
    now = now or dt.datetime.now(dt.UTC)
    urls = creds.Urls(config, site.primary_issuer)
    _check_statuses(site)

    keys = load_keys(config, sorted(site.issuers), site.primary_issuer, lock)
    result.demo_key = any(k.demo for k in keys.values())
    cache = cache_dir or root / CACHE_DIR  # serve passes its own temporary folder
    prepared = artwork.prepare(site, cache / "images")
    report("content", 1, 1)

    entries = {a.key: lock.award(a.lock_key, a.key) for a in site.awards}
    unsigned = {
        a.key: creds.unsigned_credential(a, entries[a.key], site, urls) for a in site.awards
    }
    proof_cache = ProofCache(cache / "proofs.json") if use_cache else None  # saved at the end
    signed, result.signed = _sign_all(site, unsigned, entries, keys, urls, proof_cache, report)

    issued: list[Issued] = []
    date_problems = Problems()
    for award in site.awards:
        achievement = site.achievements[award.achievement]
        dates = creds.award_dates(award, achievement, entries[award.key])
        if dates.valid_until is not None and dates.valid_until <= dates.valid_from:
            date_problems.add(
                award.location,
                "the award expires before it is issued: give it an 'issued' date before 'expires'",
            )
        state = award.status
        if state == "active" and dates.valid_until is not None and dates.valid_until <= now:
            state = "expired"
        doc = signed[award.key]
        issued.append(Issued(award, entries[award.key], doc, output.json_bytes(doc), dates, state))
        result.states[state] = result.states.get(state, 0) + 1
        if dates.valid_from > now:
            result.warnings.append(
                f"{award.location}: issued date is in the future; verifiers "
                "will report the credential as not yet valid"
            )
    date_problems.raise_if_any()
    result.credentials = len(issued)

    site_output = output.Output()
    _status_lists(site, issued, lock, keys, urls, site_output)
    for issuer in sorted(site.issuers):
        doc = vc_did.did_document(urls.did(issuer), published_keys(issuer, lock, keys[issuer]))
        site_output.add_json(urls.did_path(issuer), doc)
    site_output.add(".nojekyll", b"")
    for issuer in site.issuers.values():
        site_output.add_json(urls.issuer_path(issuer.slug), creds.published_profile(issuer, urls))
    for achievement in site.achievements.values():
        issuer = site.issuers[achievement.issuer]
        site_output.add_json(
            urls.achievement_path(achievement.slug),
            creds.published_achievement(achievement, issuer, urls, config.language),
        )
    for item in issued:
        site_output.add(urls.credential_path(item.entry.credential), item.json_bytes)
    artwork.publish(
        site_output,
        prepared,
        [(i.entry.credential, i.json_bytes) for i in issued],
        urls,
        {i.entry.credential: i.award.achievement for i in issued},
    )
    if config.ob2:
        result.warnings.extend(ob2.publish(site_output, site, issued, urls, prepared))
    pages.add_pages(
        site,
        issued,
        urls,
        site_output,
        demo_key=result.demo_key,
        extra_head=extra_head,
        qr_cache=cache / "qr-codes.json" if use_cache else None,
    )
    report("render", 1, 1)

    _refuse_secrets(site_output, keys)
    orphans = len({e.award for e in lock.awards.values()} - {a.lock_key for a in site.awards})
    if orphans:
        result.warnings.append(
            f"{orphans} award(s) in {config.lockfile} are no longer in the content: copies their "
            "recipients hold still verify. To withdraw a credential, revoke it instead of deleting it."
        )
    result.minted = list(lock.minted)
    if record:
        result.lockfile_written = lock.save(config.lockfile_path)
    output.commit(site_output, config.output_dir)
    if proof_cache is not None:
        proof_cache.save()
    result.files = len(site_output.files)
    result.bytes = site_output.total_bytes()
    result.site_output = site_output
    result.seconds = time.perf_counter() - started
    report("write", 1, 1)
    return result


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


# -- signing ---------------------------------------------------------------------------------------


def _sign_all(
    site: model.Site,
    unsigned: dict[str, dict[str, Any]],
    entries: dict[str, AwardEntry],
    keys: dict[str, IssuerKey],
    urls: creds.Urls,
    cache: ProofCache | None,
    report: Progress,
) -> tuple[dict[str, dict[str, Any]], int]:
    """Sign every credential, reusing proofs from the cache when nothing they cover changed."""
    jobs: list[tuple[str, dict[str, Any], str, str, str]] = []
    signed: dict[str, dict[str, Any]] = {}
    for award in site.awards:
        issuer = site.achievements[award.achievement].issuer
        key = keys[issuer].key
        vm = creds.verification_method(issuer, key.public_key_multibase, urls)
        created = entries[award.key].minted
        doc = unsigned[award.key]
        cached = cache.get(doc, vm, created) if cache else None
        if cached is not None:
            signed[award.key] = {**doc, "proof": cached}
        else:
            jobs.append((award.key, doc, key.secret_multibase(), vm, created))
    total = len(site.awards)
    report("sign", total - len(jobs), total)
    if len(jobs) >= PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
        workers = min(os.cpu_count() or 1, 8)
        chunk = max(1, len(jobs) // (workers * 4))
        # forkserver: safe when build() runs on a thread (serve), unlike a plain fork.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for done, (award_key, doc) in enumerate(pool.map(_sign_job, jobs, chunksize=chunk), 1):
                signed[award_key] = doc
                report("sign", total - len(jobs) + done, total)
    else:
        for done, job in enumerate(jobs, 1):
            award_key, doc = _sign_job(job)
            signed[award_key] = doc
            report("sign", total - len(jobs) + done, total)
    if cache is not None:
        for award_key, _doc, _seed, vm, created in jobs:
            cache.put(unsigned[award_key], vm, created, signed[award_key]["proof"])
    return signed, len(jobs)


def _sign_job(job: tuple[str, dict[str, Any], str, str, str]) -> tuple[str, dict[str, Any]]:
    award_key, doc, secret, vm, created = job
    return award_key, vc_proof.add_proofs(
        doc, SigningKey.from_secret_multibase(secret), vm, created
    )


class ProofCache:
    """Proofs keyed by a digest of exactly what they sign, so a no-op rebuild signs nothing.

    Proofs are public (they are published); the cache holds no secret. Keyed also by the
    credsite version so a change in canonicalisation never reuses an old proof.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}
        self.used: dict[str, Any] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == __version__:
                self.entries = data.get("proofs", {})
        except (OSError, ValueError, AttributeError):
            pass  # no cache yet, or an unreadable one: it is only a cache

    @staticmethod
    def _key(doc: dict[str, Any], vm: str, created: str) -> str:
        text = json.dumps([doc, vm, created], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, doc: dict[str, Any], vm: str, created: str) -> Any:
        key = self._key(doc, vm, created)
        proof = self.entries.get(key)
        if proof is not None:
            self.used[key] = proof
        return proof

    def put(self, doc: dict[str, Any], vm: str, created: str, proof: Any) -> None:
        self.used[self._key(doc, vm, created)] = proof

    def save(self) -> None:
        """Keep only what this build used, so the cache never grows without bound."""
        data = {"version": __version__, "proofs": dict(sorted(self.used.items()))}
        text = json.dumps(data, separators=(",", ":"))
        with contextlib.suppress(OSError):  # a read-only checkout still builds
            write_atomic(self.path, text.encode("utf-8"))


# -- status lists ----------------------------------------------------------------------------------


STATUS_OF_PURPOSE = {"revocation": "revoked", "suspension": "suspended"}


def _status_lists(
    site: model.Site,
    issued: list[Issued],
    lock: Lockfile,
    keys: dict[str, IssuerKey],
    urls: creds.Urls,
    site_output: output.Output,
) -> None:
    """One signed list per issuer, list number and purpose; its dates move only with its bits.

    Every list ever recorded is published, even when no award in the content uses it any more,
    and a revocation stays set after its award is deleted: recipients' copies point at it.
    """
    by_list: dict[tuple[str, int], list[Issued]] = {}
    for item in issued:
        issuer = site.achievements[item.award.achievement].issuer
        by_list.setdefault((issuer, item.entry.list), []).append(item)
    for issuer, number, _purpose in lock.recorded_lists():
        if issuer in site.issuers:
            by_list.setdefault((issuer, number), [])
    problems = Problems()
    for (issuer, number), items in sorted(by_list.items()):
        for purpose in creds.purposes(site.config):
            status = STATUS_OF_PURPOSE[purpose]
            indices = {item.entry.index for item in items if item.award.status == status}
            if purpose == "revocation":
                revoked_before = lock.recorded_indices(issuer, number, purpose)
                for item in items:
                    if item.entry.index in revoked_before and item.award.status != status:
                        problems.add(
                            item.award.status_location or item.award.location,
                            "this award was revoked (credsite.lock records it) and revocation is "
                            "permanent: set 'status: revoked' again. If the revocation was never "
                            "published, restore credsite.lock from git instead.",
                        )
                indices |= revoked_before
            bits = Bitstring()
            for index in indices:
                bits.set(index, True)
            digest = hashlib.sha256(bits.to_bytes()).hexdigest()
            updated = lock.list_updated(issuer, number, purpose, frozenset(indices), digest)
            unsigned = creds.status_list(issuer, number, purpose, bits, updated, urls)
            key = keys[issuer].key
            vm = creds.verification_method(issuer, key.public_key_multibase, urls)
            doc = vc_proof.add_proofs(unsigned, key, vm, updated)
            site_output.add_json(urls.status_list_path(issuer, number, purpose), doc)
    problems.raise_if_any()


def _refuse_secrets(site_output: output.Output, keys: dict[str, IssuerKey]) -> None:
    """Last guard: no byte sequence of any private key may appear in a published file."""
    needles: list[bytes] = []
    for issuer_key in keys.values():
        if issuer_key.demo:
            continue  # the demo key is public by design
        secret = issuer_key.key.secret_multibase()
        seed = decode_multikey_secret(secret)
        needles += [seed, seed.hex().encode(), secret.encode()]
    for path, data in site_output.files.items():
        for needle in needles:
            if needle in data:
                raise RuntimeError(f"bug: secret key material would be published in {path}")
