"""Finding each issuer's signing key, and refusing to sign with the wrong one.

A key comes from the environment (CI secrets) or from ``keys/<issuer>.key`` (git-ignored,
mode 0600), or, for examples only, from credsite's public demo key. The lockfile records every
public key a site has signed with, so a missing or different key is an error that says what to do
rather than a silently re-keyed site whose published credentials stop verifying.

A key file must be private to its owner, as ssh requires of its keys: one that group or others can
read (or write) is refused with the ``chmod`` that fixes it. A key the lockfile records as
compromised (`credsite keys compromised`) is never published in a DID document and never signs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from credsite.atomic import write_atomic
from credsite.content.config import SiteConfig
from credsite.errors import CredsiteError, Location
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
    anyone could forge credentials that verify as this issuer. Never a compromised key."""
    recorded = lock.issuer_keys(issuer)
    kept = recorded if current.demo else real_keys(issuer, recorded)
    compromised = lock.compromised_keys(issuer)
    return [k for k in kept if k not in compromised]


def find_key(
    config: SiteConfig, issuer: str, primary: bool, *, private: bool = True
) -> IssuerKey | None:
    """The issuer's key: from the environment, keys/<issuer>.key or the demo key, in that order.

    `private=False` skips the file-permission check (for replacing a key that is being retired)."""
    names = [env_name(issuer)] + (["CREDSITE_SIGNING_KEY"] if primary else [])
    for name in names:
        if value := os.environ.get(name, "").strip():
            return IssuerKey(_parse_key(value, f"${name}"), f"${name}")
    path = key_path(config, issuer)
    if path.is_file():
        shown = f"{config.keys}/{issuer}.key"
        return IssuerKey(_parse_key(read_key_file(path, shown, private), shown), shown)
    if config.demo_key:
        return IssuerKey(demo_key(issuer), "demo key", demo=True)
    return None


def read_key_file(path: Path, shown: str, private: bool = True) -> str:
    """A key file's text: refused, with the fix, when others may read it, unreadable or not text."""
    where = Location(shown)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise CredsiteError(f"cannot read the key file: {exc.strerror}", where) from None
    if private and os.name == "posix" and mode & 0o077:
        raise CredsiteError(
            f"the key file is {_who(mode)} (mode {mode:04o}): anyone with that access can sign "
            f"credentials as this issuer. Make it private with 'chmod 600 {shown}', and if "
            "others may have copied it, run 'credsite keys compromised'.",
            where,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CredsiteError(
            f"cannot read the key file: {exc.strerror}. It must be readable by you "
            f"(chmod 600 {shown}).",
            where,
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CredsiteError(
            "the key file is not UTF-8 text: it must hold one secret key line (z3u2...), as "
            "'credsite keys generate' writes it. Restore it from your backup.",
            where,
        ) from None


def _who(mode: int) -> str:
    readers = [who for who, bits in (("group", 0o070), ("others", 0o007)) if mode & bits]
    access = "readable" if mode & 0o044 else "writable"
    if mode & 0o044 and mode & 0o022:
        access = "readable and writable"
    return f"{access} by {' and '.join(readers)}"


def _parse_key(text: str, shown: str) -> SigningKey:
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    where = None if shown.startswith("$") else Location(shown)
    prefix = f"{shown}: " if where is None else ""
    if len(lines) != 1:
        raise CredsiteError(f"{prefix}expected one secret key line (z3u2...)", where)
    try:
        return SigningKey.from_secret_multibase(lines[0])
    except ValueError:
        raise CredsiteError(f"{prefix}not an Ed25519 secret key in multibase form", where) from None


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
        compromised = lock.compromised_keys(issuer)
        usable = [k for k in real if k not in compromised]
        if found is None:
            if usable:
                problems.append(
                    f"issuer '{issuer}': the lockfile records that its credentials were signed with "
                    f"{usable[-1]}, but {config.keys}/{issuer}.key is missing and "
                    f"${env_name(issuer)} is not set (or empty). Restore the key from your backup or CI "
                    "secret; do not generate a new one, or every published credential breaks."
                )
            elif real:
                problems.append(
                    f"issuer '{issuer}': every key it signed with was declared compromised and "
                    f"there is no new one: run 'credsite keys generate --rotate {issuer}'."
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
        if public in compromised:
            problems.append(
                f"issuer '{issuer}': the key in {found.source} ({public}) was declared "
                f"compromised on {compromised[public]} (credsite.lock) and never signs again. "
                + (
                    f"Unset ${env_name(issuer)} or replace it (the repository secret too) with the "
                    f"new key's last line from {config.keys}/{issuer}.key."
                    if found.source.startswith("$")
                    else f"Put the new key into {found.source} (run 'credsite keys compromised "
                    f"{issuer}' if there is none)."
                )
            )
            continue
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
                f"records ({', '.join(usable) or 'only compromised keys'}). Restore the recorded "
                f"key, or to change keys on purpose run 'credsite keys generate --rotate {issuer}'."
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


# -- the private-links secret (visibility: private) -----------------------------------------------

LINKS_SECRET_FILE = "private-links.secret"
LINKS_SECRET_ENV = "CREDSITE_PRIVATE_LINKS_SECRET"
DEMO_LINKS_LABEL = (
    b"credsite public demo private-links secret - anyone can open private credentials with it"
)


@dataclass(frozen=True)
class LinksSecret:
    """The site's secret from which each private credential's key is derived (issuing.private)."""

    secret: bytes
    source: str
    demo: bool = False
    created: bool = False
    """Written by this call (a first private award): back it up like a signing key."""


def links_secret(config: SiteConfig, *, create: bool) -> LinksSecret | None:
    """The secret from $CREDSITE_PRIVATE_LINKS_SECRET or keys/private-links.secret (base64url of
    32 bytes), else the public demo secret on a demo-key site, else a new one written to
    keys/ (mode 0600) when `create`, else None."""
    # (a workflow passes an unset repository secret as an empty string)
    text = os.environ.get(LINKS_SECRET_ENV, "").strip() or None
    shown = "$" + LINKS_SECRET_ENV
    path = config.keys_dir / LINKS_SECRET_FILE
    if text is None and path.is_file():
        shown = f"{config.keys}/{LINKS_SECRET_FILE}"
        text = read_key_file(path, shown)
    if text is not None:
        return LinksSecret(_parse_links_secret(text, shown), shown)
    if config.demo_key:
        return LinksSecret(hashlib.sha256(DEMO_LINKS_LABEL).digest(), "demo secret", demo=True)
    if not create:
        return None
    secret = os.urandom(32)
    encoded = base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")
    config.keys_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(
        path,
        (
            "# credsite private-links secret: every private credential's key (the #part of its\n"
            "# link) is derived from it. Never publish or commit it; back it up: without it the\n"
            "# links already sent stop opening at the next build.\n" + encoded + "\n"
        ).encode("ascii"),
        mode=0o600,
    )
    return LinksSecret(secret, f"{config.keys}/{LINKS_SECRET_FILE}", created=True)


def _parse_links_secret(text: str, shown: str) -> bytes:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    where = None if shown.startswith("$") else Location(shown)
    try:
        if len(lines) != 1:
            raise ValueError
        secret = base64.urlsafe_b64decode(lines[0] + "=" * (-len(lines[0]) % 4))
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 32:
        raise CredsiteError(
            f"{'' if where else shown + ': '}expected one line: 32 random bytes in base64url",
            where,
        )
    return secret
