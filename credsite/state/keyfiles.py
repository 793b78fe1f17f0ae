"""Finding each issuer's signing key, and refusing to sign with the wrong one.

A key comes from the environment (CI secrets) or from ``keys/<issuer>.key`` (git-ignored,
mode 0600), or, for examples only, from credsite's public demo key. The lockfile records every
public key a site has signed with, so a missing or different key is an error that says what to do
rather than a silently re-keyed site whose published credentials stop verifying.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from credsite.atomic import write_atomic
from credsite.content.config import SiteConfig
from credsite.errors import CredsiteError
from credsite.state.lockfile import Lockfile
from credsite.vc.keys import SigningKey

DEMO_SEED_LABEL = (
    b"credsite public demo key - anyone can sign with it; never use it for real credentials"
)


@dataclass(frozen=True)
class IssuerKey:
    key: SigningKey
    source: str
    """Where it came from, for messages: 'keys/x.key', '$CREDSITE_KEY_X' or 'demo key'."""
    demo: bool = False


def env_name(issuer: str) -> str:
    return "CREDSITE_KEY_" + issuer.upper().replace("-", "_")


def key_path(config: SiteConfig, issuer: str) -> Path:
    return config.keys_dir / f"{issuer}.key"


def demo_key(issuer: str) -> SigningKey:
    """A deterministic, published key: lets a fresh clone build the example with no key step."""
    return SigningKey.from_seed(hashlib.sha256(DEMO_SEED_LABEL + b"\0" + issuer.encode()).digest())


def is_demo_public_key(issuer: str, public_key_multibase: str) -> bool:
    return public_key_multibase == demo_key(issuer).public_key_multibase


def real_keys(issuer: str, recorded: list[str]) -> list[str]:
    """Recorded public keys other than the demo key (which proves nothing, so is never kept)."""
    return [k for k in recorded if not is_demo_public_key(issuer, k)]


def published_keys(issuer: str, lock: Lockfile, current: IssuerKey) -> list[str]:
    """The keys the DID document lists: every real key ever used, so older credentials keep
    verifying, but never the public demo key once the issuer signs with a real one; otherwise
    anyone could forge credentials that verify as this issuer."""
    recorded = lock.issuer_keys(issuer)
    return recorded if current.demo else real_keys(issuer, recorded)


def find_key(config: SiteConfig, issuer: str, primary: bool) -> IssuerKey | None:
    names = [env_name(issuer)] + (["CREDSITE_SIGNING_KEY"] if primary else [])
    for name in names:
        if value := os.environ.get(name, "").strip():
            return IssuerKey(_parse_key(value, f"${name}"), f"${name}")
    path = key_path(config, issuer)
    if path.is_file():
        shown = f"{config.keys}/{issuer}.key"
        return IssuerKey(_parse_key(path.read_text(encoding="utf-8"), shown), shown)
    if config.demo_key:
        return IssuerKey(demo_key(issuer), "demo key", demo=True)
    return None


def _parse_key(text: str, shown: str) -> SigningKey:
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    if len(lines) != 1:
        raise CredsiteError(f"{shown}: expected one secret key line (z3u2...)")
    try:
        return SigningKey.from_secret_multibase(lines[0])
    except ValueError:
        raise CredsiteError(f"{shown}: not an Ed25519 secret key in multibase form") from None


def load_keys(
    config: SiteConfig, issuers: list[str], primary: str, lock: Lockfile
) -> dict[str, IssuerKey]:
    """The key of every issuer, checked against the keys the lockfile says were used before."""
    keys: dict[str, IssuerKey] = {}
    problems: list[str] = []
    for issuer in issuers:
        found = find_key(config, issuer, issuer == primary)
        recorded = lock.issuer_keys(issuer)
        real = real_keys(issuer, recorded)
        if found is None:
            if real:
                problems.append(
                    f"issuer '{issuer}': the lockfile records that its credentials were signed with "
                    f"{real[-1]}, but {config.keys}/{issuer}.key is missing and "
                    f"${env_name(issuer)} is not set. Restore the key from your backup or CI "
                    "secret; do not generate a new one, or every published credential breaks."
                )
            elif recorded:
                problems.append(
                    f"issuer '{issuer}' was signed so far with credsite's public demo key "
                    "(demo_key is off now): run 'credsite keys generate' to make a real key. The "
                    "next build re-signs every credential with it, and drops the demo key from the "
                    "DID document."
                )
            else:
                problems.append(
                    f"issuer '{issuer}' has no signing key: run 'credsite keys generate' "
                    f"(it writes {config.keys}/{issuer}.key), or set ${env_name(issuer)}"
                )
            continue
        public = found.key.public_key_multibase
        if found.demo and real:
            problems.append(
                f"issuer '{issuer}' signs with a real key ({real[-1]}): refusing credsite's public "
                f"demo key. Remove 'demo_key: true' from site.yaml and restore "
                f"{config.keys}/{issuer}.key."
            )
            continue
        if real and public not in real:
            problems.append(
                f"issuer '{issuer}': the key in {found.source} ({public}) is not one the lockfile "
                f"records ({', '.join(real)}). Restore the recorded key, or to change keys on "
                f"purpose run 'credsite keys generate --rotate {issuer}'."
            )
            continue
        keys[issuer] = found
        lock.record_key(issuer, public)
    if problems:
        raise CredsiteError("\n".join(problems))
    return keys


def write_key_file(config: SiteConfig, issuer: str, key: SigningKey) -> Path:
    """keys/<issuer>.key, readable by the owner only."""
    path = key_path(config, issuer)
    text = (
        f"# credsite signing key of issuer '{issuer}' (public key {key.public_key_multibase}).\n"
        "# SECRET: never commit, publish or share it. Back it up; for CI store it as the\n"
        f"# repository secret {env_name(issuer)}.\n{key.secret_multibase()}\n"
    )
    config.keys_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("ascii"), mode=stat.S_IRUSR | stat.S_IWUSR)
    return path
