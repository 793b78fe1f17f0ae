"""The site's identity and history: refuse a build that would silently re-issue everything.

Two mistakes replace every credential recipients hold, and a build cannot tell them from intent:

* a changed ``url`` (or primary issuer) in site.yaml: every credential id and issuer DID derive
  from it, so every shared link breaks and every held copy names a DID the site no longer serves;
* a lost ``credsite.lock``: every award is minted anew at new URLs with new status indices, so a
  revoked credential its recipient still holds verifies as valid again.

`check_identity` compares site.yaml with the URL and DIDs the lockfile records (a real move is
`credsite move`). `check_history` runs when the lockfile records no credential but the content
has awards: it looks for signs that this site issued before (a previous output with credentials,
the lockfile in git's history, a key published in the previous output's DID document, signatures
in the build cache) and refuses unless the build is a declared new start (``--new-site``).
Reading only; nothing here writes.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credsite.cache import kept_entries
from credsite.content import yamlsource
from credsite.content.config import SiteConfig
from credsite.content.model import Site
from credsite.errors import ContentError, CredsiteError, Location, Problem
from credsite.issuing.urls import CREDENTIALS, Urls
from credsite.state.keyfiles import IssuerKey, find_key
from credsite.state.lockfile import Lockfile
from credsite.vc.did import did_web_from_url

GIT_TIMEOUT = 10.0
"""Seconds a git query may take before the signal is skipped."""
SAMPLE = 5
"""Credential files read to confirm that a previous output holds signed credentials."""
DID_FILES = ("did.json", ".well-known/did.json", "issuers/*/did.json")


def issuer_dids(site: Site, urls: Urls) -> dict[str, str]:
    return {slug: urls.did(slug) for slug in sorted(site.issuers)}


# -- the identity: url and DIDs ------------------------------------------------------------------


def check_identity(
    config: SiteConfig, site: Site, lock: Lockfile, urls: Urls, outputs: list[Path]
) -> None:
    """Refuse, located in site.yaml, a url or issuer DIDs other than those the lockfile records.

    A lockfile from before the url was recorded is compared with the url its credentials in a
    previous output (`outputs`) were published at, if there is one."""
    recorded = lock.site_url() or (previous_output_url(outputs, lock) if lock.awards else None)
    if recorded is not None and recorded != config.url:
        raise ContentError(
            [Problem(_site_yaml_location(config, "url"), _moved(recorded, config, lock))]
        )
    problems: list[Problem] = []
    dids = issuer_dids(site, urls)
    owners = {did: issuer for issuer, did in lock.recorded_issuers().items()}
    changed = {
        issuer: (lock.issuer_did(issuer), did)
        for issuer, did in dids.items()
        if lock.issuer_did(issuer) not in (None, did)
    }
    if changed:
        site_did = urls.did(site.primary_issuer)
        was_primary = owners.get(site_did)
        lines = "; ".join(
            f"'{i}' issued as {old} and would sign as {new}"
            for i, (old, new) in sorted(changed.items())
        )
        if was_primary and was_primary != site.primary_issuer:
            fix = (
                f"Keep '{was_primary}' as the primary issuer: set 'primary_issuer: {was_primary}' "
                f"(and keep its file in {config.content}/issuers/)"
            )
        else:
            fix = "Put back the primary_issuer the site was built with"
        problems.append(
            Problem(
                _site_yaml_location(config, "primary_issuer"),
                f"the primary issuer (the one whose DID is the site's own, {site_did}) changed, so "
                f"issuers would change DIDs: {lines} ({config.lockfile}). Every credential they issued, "
                "and every copy recipients hold, names the old DID. " + fix + ".",
            )
        )
    for issuer, did in dids.items():
        owner = owners.get(did)
        if issuer in changed or owner is None or owner == issuer or lock.issuer_did(issuer):
            continue
        problems.append(
            Problem(
                site.issuers[issuer].location,
                f"issuer '{issuer}' would sign as {did}, the DID issuer '{owner}' issued its "
                f"credentials under ({config.lockfile}): an issuer's id is its file name, so renaming "
                f"the file makes a new issuer. Rename it back to {owner}.yaml; a display name is "
                "its 'name'.",
            )
        )
    if problems:
        raise ContentError(problems)


def record_identity(lock: Lockfile, config: SiteConfig, site: Site, urls: Urls) -> list[str]:
    """Record what the lockfile does not know yet; what was missing (nothing recorded if --locked)."""
    return lock.record_identity(config.url, issuer_dids(site, urls))


def _moved(recorded: str, config: SiteConfig, lock: Lockfile) -> str:
    url = config.url
    old_did, new_did = did_web_from_url(recorded), did_web_from_url(url)
    count = f"all {len(lock.awards)} credential(s)" if lock.awards else "every credential"
    return (
        f"'url' was {recorded} when this site's credentials were issued ({config.lockfile}), now "
        f"{url}. Building would re-issue {count} at new addresses "
        f"under a new issuer DID ({new_did} instead of {old_did}): every link already shared "
        "would break, and every credential recipients hold names the old DID. To keep the site "
        f"where it is, put back 'url: {recorded}'. To move it on purpose (a new domain), run "
        f"'credsite move {url}': it records the move and says what recipients' copies will do."
    )


def _site_yaml_location(config: SiteConfig, key: str) -> Location:
    try:
        data = yamlsource.load(config.root / "site.yaml", "site.yaml")
    except CredsiteError:
        return Location("site.yaml")
    if isinstance(data, yamlsource.Map) and key in data:
        return data.value_location(key)
    return Location("site.yaml")


def previous_output_url(folders: list[Path], lock: Lockfile) -> str | None:
    """The base URL a lockfile without identity lines was last built at, from its credentials.

    Only for lockfiles written before the url was recorded: a url changed since then is caught
    on the build that records it."""
    tokens = sorted(entry.credential for entry in lock.awards.values())[:SAMPLE]
    for folder in folders:
        for token in tokens:
            suffix = Urls.credential_path(token)
            document = _read_json(folder / suffix)
            identifier = document.get("id") if isinstance(document, dict) else None
            if isinstance(identifier, str) and identifier.endswith("/" + suffix):
                return identifier[: -len(suffix)]
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


# -- the history: has this site issued before? -----------------------------------------------------


@dataclass(frozen=True)
class Sign:
    """One sign that the site issued credentials before, and how to restore from it."""

    text: str
    restore: str | None = None


def check_history(
    config: SiteConfig,
    site: Site,
    lock: Lockfile,
    *,
    outputs: list[Path],
    caches: list[Path],
) -> None:
    """Refuse to mint every credential anew when the lockfile is lost but the site issued before.

    Runs before the keys are checked, so that a lost lockfile is what the user hears about."""
    if lock.awards or not site.awards:
        return
    keys: dict[str, IssuerKey] = {}
    for issuer in site.issuers:
        try:
            found = find_key(config, issuer, issuer == site.primary_issuer)
        except CredsiteError:
            continue  # an unreadable key file is reported when the keys are loaded
        if found is not None:
            keys[issuer] = found
    signs = history_signs(config, keys, outputs=outputs, caches=caches)
    if not signs:
        return
    restore = next((s.restore for s in signs if s.restore), None)
    how = f"'{restore}', or copy it" if restore else "copy it"
    shown = config.lockfile
    raise CredsiteError(
        f"the lockfile {'records no credential' if config.lockfile_path.exists() else 'is missing'}, but this "
        "site has issued credentials before:\n"
        + "".join(f"  - {s.text}\n" for s in signs)
        + f"Building now would mint all {len(site.awards)} credential(s) anew: new addresses (every "
        "link already shared breaks) and new status-list entries (a revoked credential its "
        f"recipient still holds would verify as valid again). Restore {shown}: {how} from a "
        "backup of this folder or from the commit your last deploy was built from. Only if "
        "nothing from this site was ever published, start afresh with 'credsite build --new-site'.",
        Location(shown),
    )


def history_signs(
    config: SiteConfig, keys: dict[str, IssuerKey], *, outputs: list[Path], caches: list[Path]
) -> list[Sign]:
    signs: list[Sign] = []
    seen: set[Path] = set()
    for folder in outputs:
        if folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        shown = _shown(folder, config.root)
        count = _credentials_in(folder)
        if count:
            signs.append(Sign(f"{shown}/ holds {count} signed credential(s) of an earlier build"))
        published = _published_keys(folder)
        for issuer, key in sorted(keys.items()):
            if not key.demo and key.key.public_key_multibase in published:
                signs.append(
                    Sign(
                        f"the key of issuer '{issuer}' ({key.source}) is published in "
                        f"{shown}/{published[key.key.public_key_multibase]}"
                    )
                )
    git = _git_lockfile(config)
    if git:
        signs.append(git)
    for cache in dict.fromkeys(p.resolve() for p in caches):
        count = kept_entries(cache / "proofs.json")
        if count:
            signs.append(
                Sign(
                    f"the build cache {_shown(cache, config.root)}/proofs.json holds {count} "
                    "signature(s) of earlier builds"
                )
            )
    return signs


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _credentials_in(folder: Path) -> int:
    """How many signed credentials a previous output publishes (0 if it is not a credsite site)."""
    try:
        files = sorted((folder / CREDENTIALS).glob("*.json"))
    except OSError:
        return 0
    for path in files[:SAMPLE]:
        document = _read_json(path)
        if isinstance(document, dict) and "proof" in document and "credentialSubject" in document:
            return len(files)
    return 0


def _published_keys(folder: Path) -> dict[str, str]:
    """Public key -> the DID document (site-relative path) that publishes it."""
    found: dict[str, str] = {}
    for pattern in DID_FILES:
        for path in sorted(folder.glob(pattern)):
            document = _read_json(path)
            methods = document.get("verificationMethod") if isinstance(document, dict) else None
            for method in methods if isinstance(methods, list) else []:
                key = method.get("publicKeyMultibase") if isinstance(method, dict) else None
                if isinstance(key, str):
                    found.setdefault(key, path.relative_to(folder).as_posix())
    return found


def _git(root: Path, *args: str) -> str | None:
    """Output of a git command in `root`; None if git is missing, fails or is not a repository."""
    try:
        run = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            env=_git_env(),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if run.returncode != 0:
        return None
    return run.stdout.decode("utf-8", "replace")


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["LC_ALL"] = "C"
    return env


def _git_lockfile(config: SiteConfig) -> Sign | None:
    """The last version of the lockfile git has, if it records credentials."""
    relative = config.lockfile
    found = _git(config.root, "log", "-1", "--format=%h %cs", "--diff-filter=AMR", "--", relative)
    if not found or not found.strip():
        return None
    commit, _, date = found.strip().partition(" ")
    text = _git(config.root, "show", f"{commit}:./{relative}")
    if text is None or '"type":"award"' not in text:
        return None
    count = text.count('"type":"award"')
    return Sign(
        f"git has {relative} with {count} credential(s) (commit {commit}, {date})",
        f"git checkout {commit} -- {relative}",
    )
