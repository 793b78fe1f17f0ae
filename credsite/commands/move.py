"""`credsite move NEW_URL`: move the site to a new address on purpose (a new custom domain).

Every credential id, status-list URL and issuer DID derives from site.yaml's ``url``, so a build
refuses a url other than the one credsite.lock records. This command is the deliberate way:
it sets ``url`` in site.yaml (comments and layout kept, with the edit helper of
`credsite.commands.status`), records the move in credsite.lock as new lines (the old URL and DIDs
stay on record), and says what recipients' copies will and will not do afterwards. The next build
re-signs every credential at the new address, with the same tokens, dates and status indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from credsite.commands.status import edit_yaml
from credsite.content import config as site_config
from credsite.errors import CredsiteError, Location
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


def explain(moved: Moved) -> list[str]:
    """What to tell the user: what changed, what to do next, what recipients' copies will do."""
    lines: list[str] = []
    if not moved.recorded:
        if moved.old == moved.new:
            return [
                f"site.yaml: url set back to {moved.new}, the address this site's credentials "
                "were issued at. Nothing else changed."
            ]
        return [
            f"site.yaml: url is now {moved.new} (was {moved.old}). Nothing was issued yet, so "
            "nothing else changes: the first build issues every credential there."
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
