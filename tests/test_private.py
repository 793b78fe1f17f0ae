"""`visibility: private`: published encrypted, opened with the key in the link's #fragment.

The example site has one private award (Joost van Dam, content/awards/contributors-and-mentors.yaml).
The browser side (the shell page decrypts, shows and verifies) is tests/browser/run.mjs.
"""

from __future__ import annotations

import email
import email.policy
import os
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import build_site, copy_example, run_cli, tree, write_files

from credsite.commands import roster, verify
from credsite.content import config as site_config
from credsite.content import model
from credsite.errors import CredsiteError
from credsite.issuing import private
from credsite.state import keyfiles
from credsite.state.lockfile import Lockfile

NAME = "Joost van Dam"


@pytest.fixture(scope="module")
def award(example_site: Path) -> model.Award:
    (found,) = [a for a in model.load(site_config.load(example_site)).awards if a.name == NAME]
    assert found.visibility == "private"
    return found


@pytest.fixture(scope="module")
def token(example_site: Path, award: model.Award) -> str:
    return Lockfile.load(example_site / "credsite.lock").awards[award.lock_key].credential


@pytest.fixture(scope="module")
def link(example_site: Path, award: model.Award) -> str:
    (entry,) = [e for e in roster.entries(example_site).entries if e.award.key == award.key]
    assert entry.page_url is not None and "#" in entry.page_url
    assert entry.linkedin_url is None  # a LinkedIn profile would publish the key
    return entry.page_url


def test_hosted_files_hold_no_recipient_data_in_clear(
    example_output: Path, award: model.Award, token: str, link: str
) -> None:
    files = tree(example_output)
    published = sorted(n for n in files if token in n)
    assert published == [
        f"credentials/{token}.html",
        *(f"credentials/{token}.{s}.enc" for s in ("html", "jcs-proof.jsonld", "json", "png", "svg")),
    ]  # fmt: skip
    # (its fields, "Spring 2026", are other recipients' too)
    needles = [award.name, award.email, award.email.split("@")[0], "mentored 2 incoming"]
    needles += [n.lower() for n in needles] + [n.upper() for n in needles]
    for name, data in files.items():
        for needle in needles:
            assert needle.encode() not in data, (needle, name)
    # nor the key, nor the site's secret, in any form a link or a file would hold it
    key = private.key_from_fragment(link)
    secret = keyfiles.links_secret(site_config.load(example_output.parent), create=False)
    assert secret is not None
    for data in files.values():
        for needle in (key, secret.secret, private.fragment(key).encode(), key.hex().encode()):
            assert needle not in data
    assert token in link and link.endswith("#" + private.fragment(key))


def test_shell_page_names_nobody(example_output: Path, token: str) -> None:
    shell = (example_output / f"credentials/{token}.html").read_text()
    assert "Private credential" in shell and "static/private.js" in shell
    assert "Peer Mentor" not in shell.split("<main", 1)[1]


def test_the_blobs_open_with_the_link_key_only(
    example_output: Path, award: model.Award, token: str, link: str
) -> None:
    name = f"credentials/{token}.json"
    blob = (example_output / (name + ".enc")).read_bytes()
    opened = private.decrypt(private.key_from_fragment(link), name, blob)
    assert award.name.encode() in opened
    with pytest.raises(private.PrivateError, match="does not open"):
        private.decrypt(os.urandom(32), name, blob)
    with pytest.raises(private.PrivateError, match="does not open"):  # served at another path
        private.decrypt(private.key_from_fragment(link), f"credentials/{token}.svg", blob)
    with pytest.raises(private.PrivateError, match="not 32"):
        private.key_from_fragment(link[:-5])


def test_encryption_is_deterministic_and_never_reuses_a_nonce() -> None:
    secret = os.urandom(32)
    one = private.encrypt(secret, "tok", "credentials/tok.json", b"version 1")
    assert one == private.encrypt(secret, "tok", "credentials/tok.json", b"version 1")
    two = private.encrypt(secret, "tok", "credentials/tok.json", b"version 2")
    nonce = slice(len(private.MAGIC), len(private.MAGIC) + 12)
    assert one[nonce] != two[nonce]  # a re-signed credential: same key, new nonce
    key = private.credential_key(secret, "tok")
    assert private.decrypt(key, "credentials/tok.json", two) == b"version 2"
    assert private.credential_key(secret, "other") != key


def test_verify_the_full_link(example_output: Path, token: str, link: str) -> None:
    results = verify.verify_private(link, None, example_output)
    assert [(r.path, r.report.status) for r in results] == [
        (f"credentials/{token}.{s}.enc", "verified") for s in ("json", "png", "svg")
    ]
    result = run_cli("verify", link, "--site", str(example_output))
    assert result.exit_code == 0, result.output
    local = example_output / f"credentials/{token}.png.enc"
    fragment = link.split("#")[1]
    assert run_cli("verify", str(local), "--key", fragment).exit_code == 0
    with pytest.raises(CredsiteError, match="no key"):
        verify.verify_private(link.split("#")[0], None, example_output)
    with pytest.raises(CredsiteError, match="does not open with this key"):
        verify.verify_private(link.split("#")[0] + "#" + "A" * 43, None, example_output)


def test_the_site_check_and_rebuilds(example_site: Path, example_output: Path, tmp_path) -> None:
    assert {r.report.status for r in verify.verify_site(example_output)} <= {
        "verified", "revoked", "expired"
    }  # fmt: skip
    again = tmp_path / "again"
    build_site(example_site, output_dir=str(again), record=False)
    assert tree(again) == tree(example_output)  # byte-identical: keys and nonces derived


SITE = "title: T\nurl: https://example.github.io/creds/\nob2: false\n"
FILES = {
    "content/issuers/x.yaml": "name: X Academy\nurl: https://x.example.org\n",
    "content/achievements/a.yaml": "name: Alpha\ndescription: First.\ncriteria: Do it.\n",
    "content/awards/one.yaml": "achievement: a\nname: Ada\nemail: ada@example.org\n"
    "visibility: private\n",
}


def test_a_real_site_creates_its_secret_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(tmp_path, {"site.yaml": SITE, **FILES})
    run_cli("keys", "generate", "-C", str(tmp_path))
    result = build_site(tmp_path)
    path = tmp_path / "keys" / keyfiles.LINKS_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert any("private-links secret" in w.message for w in result.warnings)
    first = tree(tmp_path / "_site")
    assert not any(b"Ada" in d for d in first.values())
    build_site(tmp_path)
    assert tree(tmp_path / "_site") == first
    secret = path.read_text()
    path.unlink()
    with pytest.raises(CredsiteError, match="private-links secret"):
        build_site(tmp_path, locked=True)
    # CI: the workflow passes the repository secret; one that is not set arrives empty
    monkeypatch.setenv(keyfiles.LINKS_SECRET_ENV, "")
    with pytest.raises(CredsiteError, match="private-links secret"):
        build_site(tmp_path, locked=True)
    monkeypatch.setenv(keyfiles.LINKS_SECRET_ENV, secret.splitlines()[-1])
    build_site(tmp_path, locked=True)
    assert tree(tmp_path / "_site") == first and not path.exists()


def test_notify_carries_the_full_link_and_skips_the_withdrawn(tmp_path: Path, link: str) -> None:
    root = copy_example(tmp_path / "example")
    with (root / "site.yaml").open("a", encoding="utf-8") as stream:
        stream.write("smtp:\n  host: smtp.example.org\n  from: Creds <creds@example.org>\n")
    build_site(root)
    result = run_cli("notify", "-C", str(root))
    assert result.exit_code == 0, result.output
    messages = [p.read_bytes() for p in sorted((root / ".credsite-outbox").glob("*.eml"))]
    (joost,) = [m for m in messages if NAME.encode() in m]
    message = email.message_from_bytes(joost, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert link in text and "It is private" in text
    (badge,) = [part for part in message.iter_attachments()]
    assert badge.get_content().startswith(b"\x89PNG")  # the decrypted baked badge
    assert not [m for m in messages if b"Mei Tanaka" in m]  # withdrawn: not told


def test_the_links_secret_is_never_published(tmp_path: Path) -> None:
    write_files(tmp_path, {"site.yaml": SITE, **FILES})
    run_cli("keys", "generate", "-C", str(tmp_path))
    build_site(tmp_path)
    line = (tmp_path / "keys" / keyfiles.LINKS_SECRET_FILE).read_text().splitlines()[-1]
    write_files(tmp_path, {"content/achievements/a.yaml":
                           f"name: Alpha\ndescription: First {line}.\ncriteria: Do it.\n"})  # fmt: skip
    with pytest.raises(CredsiteError, match="private-links secret") as raised:
        build_site(tmp_path)
    assert "content/achievements/a.yaml:2:" in str(raised.value.problems[0])
