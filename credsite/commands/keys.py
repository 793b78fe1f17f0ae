"""`credsite keys generate`: create signing keys, and rotate them on purpose;
`credsite keys compromised`: withdraw a key that others may have, at once.

Routine rotation keeps the old public key in the DID document, so credentials signed with it keep
verifying. A compromised key must go: the lockfile records it as compromised, so no build
publishes or signs with it again, and the next build signs every credential of the issuer again
with a new key, at the same addresses with the same dates and status entries.

Reads only site.yaml, the issuer file names and the lockfile, so a key can be made
before the rest of the content is valid.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from credsite.content import config as site_config
from credsite.content.config import SiteConfig
from credsite.errors import CredsiteError
from credsite.sitelock import site_lock
from credsite.state.keyfiles import (
    IssuerKey,
    env_name,
    find_key,
    is_demo_public_key,
    key_path,
    real_keys,
    write_key_file,
)
from credsite.state.lockfile import Lockfile
from credsite.vc.keys import SigningKey


def _issuers(config: SiteConfig, issuer: str | None) -> list[str]:
    """The issuer ids (file names) model.load reads: subfolders too, not drafts named _x or .x."""
    folder = config.content_dir / "issuers"
    known = sorted(
        p.stem
        for p in (folder.rglob("*") if folder.is_dir() else [])
        if p.is_file()
        and p.suffix.lower() in (".yaml", ".yml")
        and not p.name.startswith(("_", "."))
    )
    if issuer is not None and issuer not in known:
        raise CredsiteError(
            f"unknown issuer '{issuer}': the issuers are {', '.join(known) or 'none'}"
        )
    return known


def _current_key(
    config: SiteConfig, issuer: str, known: list[str], private: bool = False
) -> IssuerKey | None:
    """The issuer's own key (never the demo key); `private` checks the file's permissions."""
    return find_key(
        dataclasses.replace(config, demo_key=False),
        issuer,
        issuer == (config.primary_issuer or known[0]),
        private=private,
    )


def generate(root: Path, issuer: str | None, rotate: bool) -> list[str]:
    with site_lock(root):  # it writes keys/ and, rotating, the lockfile
        return _generate(root, issuer, rotate)


def _generate(root: Path, issuer: str | None, rotate: bool) -> list[str]:
    config = site_config.load(root)
    known = _issuers(config, issuer)
    targets = [issuer] if issuer else known
    if not targets:
        raise CredsiteError(f"no issuers in {config.content}/issuers/: add one first")
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    messages = []
    for name in targets:
        path = key_path(config, name)
        # a key being replaced is read even if others could read it too
        existing = _current_key(config, name, known, private=not rotate)
        recorded = real_keys(name, lock.issuer_keys(name))  # moving off the demo key is no rotation
        if existing is not None and not rotate:
            messages.append(
                f"{name}: already has a key ({existing.source}); "
                "use --rotate to replace it on purpose"
            )
            continue
        if recorded and not rotate:
            raise CredsiteError(
                f"issuer '{name}' already signed credentials with {recorded[-1]} (credsite.lock); "
                f"restore that key into {config.keys}/{name}.key or ${env_name(name)} instead. "
                "To replace it on purpose, run with --rotate."
            )
        key = SigningKey.generate()
        write_key_file(config, name, key)
        if rotate:
            lock.record_key(name, key.public_key_multibase)
            lock.save(config.lockfile_path)
        messages.append(
            f"{name}: wrote {path.relative_to(root) if path.is_relative_to(root) else path} "
            f"(public key {key.public_key_multibase}). Back it up; for CI store its last line "
            f"as the repository secret {env_name(name)}."
        )
        if rotate and recorded:
            messages.append(
                f"{name}: earlier keys stay in the DID document, so credentials "
                "already issued keep verifying; rebuild to re-sign with the new key."
            )
    return messages


def compromised(root: Path, issuer: str | None, public_key: str | None) -> list[str]:
    with site_lock(root):  # it writes keys/ and the lockfile
        return _compromised(root, issuer, public_key)


def _compromised(root: Path, issuer: str | None, public_key: str | None) -> list[str]:
    """Declare an issuer's key compromised; make a new key if it was the one in use.

    The key is the issuer's current key (keys/ISSUER.key or $CREDSITE_KEY_ISSUER), or the
    recorded public key `public_key` (one rotated out earlier). A new key is generated at once
    when the compromised key is the current one, so the issuer is never left without a key and
    the next build re-signs everything: one step, because a leak is urgent."""
    config = site_config.load(root)
    known = _issuers(config, issuer)
    if issuer is None:
        if len(known) != 1:
            raise CredsiteError(
                "name the issuer whose key is compromised: "
                + (f"the issuers are {', '.join(known)}" if known else "there are no issuers")
            )
        issuer = known[0]
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    recorded = real_keys(issuer, lock.issuer_keys(issuer))
    current = _current_key(config, issuer, known)
    if not recorded and current is None and config.demo_key:
        raise CredsiteError(
            f"issuer '{issuer}' signs only with credsite's public demo key (demo_key: true in "
            "site.yaml), which everyone has by design: there is no secret to withdraw. A real "
            "site removes demo_key and runs 'credsite keys generate'."
        )
    if public_key is not None:
        public_key = public_key.strip()
        if is_demo_public_key(issuer, public_key):
            raise CredsiteError(
                "that is credsite's public demo key: everyone has it by design. To stop using "
                f"it, remove 'demo_key: true' from site.yaml and run 'credsite keys generate "
                f"{issuer}'; the next build drops it from the DID document."
            )
        if public_key not in recorded:
            raise CredsiteError(
                f"issuer '{issuer}' never signed with {public_key} (credsite.lock records "
                f"{', '.join(recorded) or 'no key'})"
            )
        target = public_key
    elif current is not None:
        target = current.key.public_key_multibase
    else:
        raise CredsiteError(
            f"issuer '{issuer}' has no key in {config.keys}/{issuer}.key or ${env_name(issuer)}: "
            "name the compromised public key with --key "
            f"({', '.join(recorded) or 'credsite.lock records none'})"
        )
    if target not in recorded:
        raise CredsiteError(
            f"the key in {current.source if current else 'use'} ({target}) never signed anything "
            f"for issuer '{issuer}' (credsite.lock records {', '.join(recorded) or 'no key'}): "
            f"nothing to withdraw. To replace it, run 'credsite keys generate --rotate {issuer}'."
        )
    already = lock.compromised_keys(issuer).get(target)
    since = lock.record_compromised(issuer, target)
    what = (
        f"was already declared compromised on {since}"
        if already
        else (f"declared compromised in {config.lockfile} ({since})")
    )
    messages = [
        f"{issuer}: key {target} {what}. No build publishes it in the DID document or signs "
        "with it again."
    ]
    env_holds_it = current is not None and current.source.startswith("$")
    if current is None or current.key.public_key_multibase in lock.compromised_keys(issuer):
        key = SigningKey.generate()
        path = write_key_file(config, issuer, key)
        lock.record_key(issuer, key.public_key_multibase)
        shown = path.relative_to(root) if path.is_relative_to(root) else path
        messages.append(
            f"{issuer}: wrote a new key to {shown} (public key {key.public_key_multibase}). Back "
            f"it up; for CI replace the repository secret {env_name(issuer)} with its last line."
        )
        if env_holds_it:
            messages.append(
                f"{issuer}: ${env_name(issuer)} in this shell still holds the compromised key and "
                "would be used first: unset it (the build refuses to sign with it)."
            )
    lock.save(config.lockfile_path)
    messages += [
        f"Next: credsite build, publish at once, and commit {config.lockfile}. The build removes "
        f"the key from the DID document and signs every credential of '{issuer}' again with its "
        "current key, at the same addresses with the same dates and status entries, and its "
        "status lists too.",
        "What recipients' copies will do: every copy downloaded before now (the JSON file, a "
        "badge image with the credential baked in, a wallet entry) was signed with the "
        "compromised key and stops verifying as soon as the new DID document is published. Each "
        "credential page then asks visitors who downloaded it before today to download it again "
        "(same address). Anything signed with the compromised key, by you or by whoever has it, "
        "fails verification from then on.",
    ]
    return messages
