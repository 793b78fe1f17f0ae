"""`credsite move NEW_URL`: move the site to a new address on purpose (a new custom domain).

Every credential id, status-list URL and issuer DID derives from site.yaml's ``url``, so a build
refuses a url other than the one credsite.lock records. This command is the deliberate way:
it sets ``url`` in site.yaml (comments and layout kept, with the edit helper of
`credsite.commands.status`), records the move in credsite.lock as new lines (the old URL and DIDs
stay on record), and says what recipients' copies will and will not do afterwards. The next build
re-signs every credential at the new address, with the same tokens, dates and status indices.
An endorsement received from another site (content/endorsements/received/) names what it endorses
by its id at the old address, under its endorser's signature: the build no longer finds it there,
so `move` warns of each (`_stale`), saying what the endorser must endorse instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from credsite.commands.status import edit_yaml
from credsite.content import config as site_config
from credsite.content import endorsements
from credsite.errors import CredsiteError, Location, Problems
from credsite.issuing.identity import previous_output_url
from credsite.issuing.urls import Urls
from credsite.sitelock import site_lock
from credsite.state.lockfile import Lockfile
from credsite.vc.did import did_web_from_url


@dataclass(frozen=True)
class Moved:
    """What `move` did, for the CLI to explain."""

    old: str
    new: str
    site_yaml_changed: bool
    recorded: bool
    """Whether credsite.lock recorded the move (False when nothing was issued yet)."""
    credentials: int
    dids: dict[str, tuple[str, str]] = field(default_factory=dict)
    """issuer -> (old DID, new DID)."""
    example_list: str = ""
    """A status-list URL of the old site, for the explanation."""
    output: str | None = None
    """The output folder, if it holds the site built at the old address."""
    stale: tuple[str, ...] = ()
    """A warning for each received endorsement of something at the old address (`_stale`)."""


def move(root: Path, new_url: str) -> Moved:
    with site_lock(root):  # it writes site.yaml and the lockfile
        return _move(root, new_url)


def _move(root: Path, new_url: str) -> Moved:
    """Point the site at `new_url`: site.yaml's url, and the move recorded in credsite.lock."""
    config = site_config.load(root)
    url = site_config.check_site_url(new_url)
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    issued = bool(lock.awards or lock.sites)
    old = lock.site_url() or previous_output_url([config.output_dir], lock) or config.url
    if old == url:
        if config.url == url:
            raise CredsiteError(f"the site is already at {url} (site.yaml and {config.lockfile})")
        # site.yaml was edited by hand: put back the url the credentials were issued at
        _set_url(config, url)
        return Moved(old, url, True, False, len(lock.awards))
    dids = {issuer: (did, _moved_did(issuer, did, old, url)) for issuer, did in
            lock.recorded_issuers().items()}  # fmt: skip
    stale = _stale(config, [old, config.url], url)
    site_yaml_changed = config.url != url
    if site_yaml_changed:
        _set_url(config, url)
    if issued:
        lock.record_identity(old, {})  # a lockfile from before the url was recorded: the old one
        lock.record_move(url, {issuer: new for issuer, (_, new) in dids.items()})
        lock.save(config.lockfile_path)
    primary = next((i for i, (did, _) in dids.items() if did == did_web_from_url(old)), "_")
    example = Urls(old, primary).url(Urls(old, primary).status_list_path(primary, 1, "revocation"))
    return Moved(
        old,
        url,
        site_yaml_changed,
        issued,
        len(lock.awards),
        dids,
        example,
        config.output if config.output_dir.is_dir() else None,
        stale,
    )


def _set_url(config: site_config.SiteConfig, url: str) -> None:
    edit_yaml(
        config.root / "site.yaml",
        "site.yaml",
        lambda data: (),
        {"url": url},
        f"set 'url: {url}' by hand, then run this command again",
    )


def _moved_did(issuer: str, did: str, old: str, new: str) -> str:
    """The DID the issuer has at the new URL (the site's own, or issuers/SLUG/ under it)."""
    if did == did_web_from_url(old):
        return did_web_from_url(new)
    if did == did_web_from_url(old + f"issuers/{issuer}/"):
        return did_web_from_url(new + f"issuers/{issuer}/")
    raise CredsiteError(
        f"issuer '{issuer}' is recorded with the DID {did}, which is not under the site's url "
        f"{old}: the lockfile is inconsistent; restore it from git",
        Location("credsite.lock"),
    )


def _stale(config: site_config.SiteConfig, olds: list[str], new: str) -> tuple[str, ...]:
    """A warning for each endorsement received from another site (content/endorsements/received/)
    of an achievement, credential or issuer at an old address of this site: the build matches
    what it endorses by its id, which the move changes, so it refuses it until the endorser
    signs one for the new id (the old one's signature covers the old id: it cannot be edited)."""
    folder = config.content_dir / endorsements.FOLDER / endorsements.RECEIVED
    shown = f"{config.content}/{endorsements.FOLDER}/{endorsements.RECEIVED}"
    renamed: list[tuple[str, str]] = []  # (old id or prefix, new): URLs, the DIDs and below
    for old in dict.fromkeys(olds):
        if old != new:
            old_did, new_did = did_web_from_url(old), did_web_from_url(new)
            renamed += [(old, new), (old_did, new_did), (old_did + ":", new_did + ":")]
    warnings = []
    for received in endorsements.load_received(folder, shown, Problems()):  # unreadable: build's
        document = received.document if isinstance(received.document, dict) else {}
        subject = document.get("credentialSubject")
        target = subject.get("id") if isinstance(subject, dict) else None
        if not isinstance(target, str):
            continue
        moved_to = next(
            (after + target[len(before) :] for before, after in renamed
             if target == before or (before.endswith(("/", ":")) and target.startswith(before))),
            None,
        )  # fmt: skip
        if moved_to is None:
            continue
        issuer = document.get("issuer")
        name = issuer.get("name") if isinstance(issuer, dict) else None
        label = " ".join(name.split())[:100] if isinstance(name, str) else ""
        endorser = f"its endorser ({label})" if label else "its endorser"
        warnings.append(
            f"{received.shown}: it endorses {target}, at the old address, which becomes "
            f"{moved_to}: builds will refuse this endorsement (its endorser's signature covers "
            f"the old id). Ask {endorser} to endorse {moved_to} and add that with 'credsite "
            f"endorsement add FILE'; until then, move {received.slug}.json and "
            f"{received.slug}{endorsements.DID_SUFFIX} out of {shown}/ for the site to build"
        )
    return tuple(warnings)


def explain(moved: Moved) -> list[str]:
    """What to tell the user: what changed, what to do next, what recipients' copies will do."""
    lines = [f"warning: {warning}" for warning in moved.stale]
    if not moved.recorded:
        if moved.old == moved.new:
            return [
                f"site.yaml: url set back to {moved.new}, the address this site's credentials "
                "were issued at. Nothing else changed."
            ]
        return [
            *lines,
            f"site.yaml: url is now {moved.new} (was {moved.old}). Nothing was issued yet, so "
            "nothing else changes: the first build issues every credential there.",
        ]
    lines.append(
        f"Moved the site from {moved.old} to {moved.new}: "
        + ("site.yaml's url and " if moved.site_yaml_changed else "")
        + "credsite.lock updated (the old address stays on record)."
    )
    for issuer, (old_did, new_did) in sorted(moved.dids.items()):
        lines.append(f"  issuer '{issuer}': {old_did} -> {new_did}")
    if moved.output:
        lines.append(
            f"Before you build: {moved.output}/ still holds the site as published at {moved.old}. "
            "Keep a copy of it to go on serving there (see below)."
        )
    lines += [
        f"Next: credsite build, publish the new site at {moved.new}, and commit site.yaml and "
        "credsite.lock.",
        "",
        "What recipients' copies will do:",
        f"  - The new site re-issues all {moved.credentials} credential(s) with the same tokens, "
        f"dates and status entries, but with ids, issuer DIDs and status lists under "
        f"{moved.new}: new copies, signed again. Recipients should download their credential "
        "again from the new site.",
        "  - Copies recipients already hold (JSON files, badge images, wallet entries) name the "
        "old issuer DID and the old status lists"
        + (f" (such as {moved.example_list})" if moved.example_list else "")
        + f". They keep verifying only while {moved.old} still serves its did.json and status "
        "lists exactly as they are now: keep the old site online (at least those files).",
        "  - Do not redirect the old did.json or status lists to the new site: the new ones name "
        "the new DID, so verifiers would reject the old copies. Redirecting the old pages "
        "(credentials/*.html) to the new address is fine and keeps links already shared working.",
        "  - A revocation made after the move is published only in the new site's status lists: "
        "copies from before the move check the old lists and will not see it.",
        f"If nothing was ever published at {moved.old}, none of this matters.",
    ]
    return lines
