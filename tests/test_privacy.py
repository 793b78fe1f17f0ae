"""What must never be published: recipients' email addresses and any byte of a private key."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from conftest import NOW, SITE_YAML, all_awards, build_site, output_of, run_cli, tree

from credsite.commands import verify as verifysite
from credsite.content import config, model
from credsite.state.lockfile import Lockfile
from credsite.vc.encoding import decode_multikey_secret

EMAIL_LIKE = re.compile(
    rb"[A-Za-z0-9._%+-]+(?:@|%40|&#64;|&#x40;)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)
TOKEN = re.compile(r"[a-z2-7]{26}")


def published(folder: Path) -> dict[str, bytes]:
    """Every output file, plus the credential text baked into each PNG and SVG (the PNG's text
    chunk may be compressed, so a plain byte search could miss what it holds)."""
    files = tree(folder)
    for name in list(files):
        if name.startswith("credentials/") and name.endswith((".png", ".svg")):
            files[name + "#baked"] = verifysite.extract(folder / name).encode("utf-8")
    return files


@pytest.fixture(scope="module")
def example_model(example_site: Path) -> model.Site:
    return model.load(config.load(example_site))


@pytest.fixture(scope="module")
def example_files(example_output: Path) -> dict[str, bytes]:
    return published(example_output)


def email_variants(email: str) -> list[bytes]:
    local, domain = email.split("@")
    return [
        email.encode(),
        email.upper().encode(),
        quote(email).encode(),
        quote_plus(email).encode(),
        quote(email, safe="").encode(),
        f"{local}&#64;{domain}".encode(),
        f"{local}&#x40;{domain}".encode(),
        f"mailto:{email}".encode(),
    ]


def test_no_recipient_email_is_published(example_model: model.Site, example_files) -> None:
    emails = sorted({a.email for a in example_model.awards})
    assert len(emails) == 19
    for name, data in example_files.items():
        lower = data.lower()
        for email in emails:
            for variant in email_variants(email):
                assert variant.lower() not in lower, f"{email} in {name}"


def test_no_recipient_address_in_any_form(example_model: model.Site, example_files) -> None:
    """Stronger: the only email-like strings anywhere are addresses of issuers."""
    recipients = {a.email for a in example_model.awards}
    issuers = {i.email for i in example_model.issuers.values() if i.email}
    found: dict[str, set[str]] = {}
    for name, data in example_files.items():
        for match in EMAIL_LIKE.findall(data):
            text = match.decode()
            for sep in ("%40", "&#64;", "&#x40;"):
                text = text.replace(sep, "@")
            found.setdefault(text.lower(), set()).add(name)
    assert not (set(found) & recipients)
    assert set(found) <= issuers, found
    # and no recipient's local part next to any '@' (a changed domain is still their address)
    locals_ = {e.split("@")[0] for e in recipients}
    assert not {f.split("@")[0] for f in found} & locals_


def test_recipients_are_only_hashed(example_model: model.Site, example_output: Path) -> None:
    lock = Lockfile.load(example_output.parent / "credsite.lock")
    for award in example_model.awards:
        if award.withdrawn or award.visibility == "private":
            continue  # no JSON in clear: tests/test_withdraw.py, tests/test_private.py
        entry = lock.awards[award.lock_key]
        doc = (example_output / "credentials" / f"{entry.credential}.json").read_text()
        identity_hash = "sha256$" + hashlib.sha256((award.email + entry.salt).encode()).hexdigest()
        assert identity_hash in doc
        unsalted = hashlib.sha256(award.email.encode()).hexdigest()
        assert unsalted not in doc


def test_lockfile_and_cache_hold_no_email(example_model: model.Site, example_site: Path) -> None:
    files = {"credsite.lock": (example_site / "credsite.lock").read_bytes()}
    files.update(tree(example_site / ".credsite-cache"))
    for award in example_model.awards:
        for name, data in files.items():
            assert award.email.encode() not in data.lower(), name
            assert award.key.encode() not in data, name


def test_credential_names_are_random_tokens(
    example_model: model.Site, example_site: Path, example_output: Path
) -> None:
    lock = Lockfile.load(example_site / "credsite.lock")
    stems = {p.name.split(".", 1)[0] for p in (example_output / "credentials").iterdir()}
    awards = all_awards(example_site)  # the content's and the pathway awards
    assert len(stems) == len(awards) == 26  # 17 + 2 (privacy) + 5 (pathway components) awards, 2 pathway awards
    assert all(TOKEN.fullmatch(s) for s in stems), stems
    assert stems == {lock.awards[a.lock_key].credential for a in awards}
    for award in awards:
        token = lock.awards[award.lock_key].credential
        # not a digest of what identifies the recipient
        for source in (award.email, award.key, award.name, award.lock_key):
            digest = hashlib.sha256(source.encode()).digest()[:16]
            assert token != base64.b32encode(digest).decode().rstrip("=").lower()
            assert token not in hashlib.sha256(source.encode()).hexdigest()
        words = re.findall(r"[a-z]{4,}", (award.name + " " + award.email).lower())
        assert not [w for w in words if w in token]


def test_every_page_asks_not_to_be_indexed(example_output: Path) -> None:
    pages = sorted(example_output.rglob("*.html"))
    assert len(pages) > 17
    for path in pages:
        assert b'<meta name="robots" content="noindex' in path.read_bytes(), path


def test_noindex_can_be_switched_off(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML + "noindex: false\n"})
    build_site(root)
    for path in (root / "_site").rglob("*.html"):
        assert b'name="robots"' not in path.read_bytes(), path


def test_recipients_not_listed_unless_opted_in(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    for name in ("index.html", "achievements/teamwork.html", "issuers/acme.html"):
        assert b"Ada Lovelace" not in (root / "_site" / name).read_bytes(), name
    opted_in = make_site({"site.yaml": SITE_YAML + "list_recipients: true\n"}, name="opted-in")
    build_site(opted_in)
    assert b"Ada Lovelace" in (opted_in / "_site/achievements/teamwork.html").read_bytes()


def test_no_private_key_byte_is_published(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": SITE_YAML.replace("demo_key: true\n", "")})
    result = run_cli("keys", "generate", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    build_site(root)
    secret = (root / "keys/acme.key").read_text().strip().splitlines()[-1]
    seed = decode_multikey_secret(secret)
    assert len(seed) == 32
    needles = {
        "seed bytes": seed,
        "seed hex": seed.hex().encode(),
        "seed HEX": seed.hex().upper().encode(),
        "seed base64": base64.b64encode(seed).rstrip(b"="),
        "seed base64url": base64.urlsafe_b64encode(seed).rstrip(b"="),
        "secret multibase": secret.encode(),
    }
    files = published(root / "_site")
    assert len(files) > 20
    files["credsite.lock"] = (root / "credsite.lock").read_bytes()
    files.update({f".credsite-cache/{k}": v for k, v in tree(root / ".credsite-cache").items()})
    for name, data in files.items():
        for what, needle in needles.items():
            assert needle not in data, f"{what} in {name}"
    # the search is not vacuous: the key file itself holds the secret
    assert needles["secret multibase"] in (root / "keys/acme.key").read_bytes()
    assert {r.report.status for r in verifysite.verify_site(root / "_site", now=NOW)} == {
        "verified"
    }
