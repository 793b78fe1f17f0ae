"""`credsite keys generate`: create signing keys, and rotate them on purpose.

Reads only site.yaml, the issuer file names and the lockfile, so a key can be made
before the rest of the content is valid.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from credsite.content import config as site_config
from credsite.errors import CredsiteError
from credsite.sitelock import site_lock
from credsite.state.keyfiles import env_name, find_key, key_path, real_keys, write_key_file
from credsite.state.lockfile import Lockfile
from credsite.vc.keys import SigningKey


def generate(root: Path, issuer: str | None, rotate: bool) -> list[str]:
    with site_lock(root):  # it writes keys/ and, rotating, the lockfile
        return _generate(root, issuer, rotate)


def _generate(root: Path, issuer: str | None, rotate: bool) -> list[str]:
    config = site_config.load(root)
    # the issuer files model.load reads: subfolders too, but not drafts named _x or .x
    known = sorted(
        p.stem
        for p in (config.content_dir / "issuers").rglob("*")
        if p.is_file()
        and p.suffix.lower() in (".yaml", ".yml")
        and not p.name.startswith(("_", "."))
    )
    if issuer is not None and issuer not in known:
        raise CredsiteError(
            f"unknown issuer '{issuer}': the issuers are {', '.join(known) or 'none'}"
        )
    targets = [issuer] if issuer else known
    if not targets:
        raise CredsiteError(f"no issuers in {config.content}/issuers/: add one first")
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    messages = []
    for name in targets:
        path = key_path(config, name)
        existing = find_key(
            dataclasses.replace(config, demo_key=False),
            name,
            name == (config.primary_issuer or known[0]),
        )
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
