"""Keys in real life: a compromised key is withdrawn at once and everything re-signed at the same
addresses; key files must be private, readable and text (located errors, nothing written)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    NOW,
    REPO,
    SITE_URL,
    SITE_YAML,
    build_site,
    output_of,
    run_cli,
    tree,
)

from credsite.commands import verify as verifysite
from credsite.content import config
from credsite.errors import CredsiteError
from credsite.state import keyfiles
from credsite.state.lockfile import Lockfile
from credsite.vc import proof as vc_proof
from credsite.vc.keys import SigningKey

NO_DEMO_SITE_YAML = SITE_YAML.replace("demo_key: true\n", "")
KEY_FILE = "keys/acme.key"


@pytest.fixture
def keyed_site(make_site: Callable[..., Path]) -> Path:
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    result = run_cli("keys", "generate", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    build_site(root)
    return root


def did_keys(site: Path) -> list[str]:
    doc = json.loads((site / "did.json").read_text(encoding="utf-8"))
    return [vm["publicKeyMultibase"] for vm in doc["verificationMethod"]]


def signing_keys(document: dict) -> set[str]:
    return {p["verificationMethod"].split("#")[1] for p in document["proof"]}


def snapshot(root: Path) -> tuple[dict[str, bytes], bytes]:
    return tree(root / "_site"), (root / "credsite.lock").read_bytes()


def interop(site: Path) -> subprocess.CompletedProcess[str] | None:
    """The independent Digital Bazaar verifier on a folder, or None if it is not installed."""
    node = shutil.which("node")
    if node is None or not (REPO / "interop" / "node_modules").is_dir():
        return None
    return subprocess.run(
        [node, str(REPO / "interop" / "verify.mjs"), str(site), SITE_URL],
        capture_output=True,
        text=True,
        timeout=180,
    )


# -- credsite keys compromised ------------------------------------------------------------------------


def test_a_compromised_key_is_withdrawn_and_every_credential_signed_again(
    keyed_site: Path, tmp_path: Path
) -> None:
    out = keyed_site / "_site"
    old_key = did_keys(out)
    assert len(old_key) == 1
    held = tmp_path / "held"  # what recipients downloaded before
    shutil.copytree(out, held)
    old_lists = {p.name: json.loads(p.read_text()) for p in (out / "status").glob("*.json")}

    result = run_cli("keys", "compromised", "-C", str(keyed_site))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 0, text
    assert f"acme: key {old_key[0]} declared compromised in credsite.lock" in text
    assert "wrote a new key to keys/acme.key" in text
    assert "replace the repository secret CREDSITE_KEY_ACME" in text
    assert "stops verifying as soon as the new DID document is published" in text
    assert "download it again" in text
    key_file = keyed_site / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    new_key = keyfiles.find_key(config.load(keyed_site), "acme", True)
    assert new_key is not None and new_key.key.public_key_multibase != old_key[0]
    lock = Lockfile.load(keyed_site / "credsite.lock")
    assert list(lock.compromised_keys("acme")) == old_key
    assert lock.issuer_keys("acme") == [old_key[0], new_key.key.public_key_multibase]

    later = NOW + dt.timedelta(days=3)
    build_site(keyed_site, now=later)
    # the old key is gone from the DID document, and only the new one signs
    assert did_keys(out) == [new_key.key.public_key_multibase]
    assert old_key[0] not in (out / "did.json").read_text()
    for path in sorted((held / "credentials").glob("*.json")):
        before = json.loads(path.read_text())
        after = json.loads((out / "credentials" / path.name).read_text())
        assert signing_keys(before) == set(old_key)
        assert signing_keys(after) == {new_key.key.public_key_multibase}
        for field in ("id", "validFrom", "validUntil", "credentialStatus", "credentialSubject"):
            assert after.get(field) == before.get(field), field
        assert [p["created"] for p in after["proof"]] == [p["created"] for p in before["proof"]]
        # the copy the recipient holds no longer verifies: its key is not in the DID document
        report = verifysite.verify_path(path, now=later, site=out).report
        assert report.status == "failed"
        assert any("is not listed in the DID document" in c.message for c in report.checks)
        # the page says to download it again
        page = (out / "credentials" / path.name.replace(".json", ".html")).read_text()
        assert "notice-download-again" in page and "Download it again" in page
    for name, before in old_lists.items():
        after = json.loads((out / "status" / name).read_text())
        assert signing_keys(after) == {new_key.key.public_key_multibase}
        assert after["credentialSubject"] == before["credentialSubject"]
    assert {r.report.status for r in verifysite.verify_site(out, now=later)} == {"verified"}
    # the held baked images fail too
    for image in sorted((held / "credentials").glob("*.png")):
        assert verifysite.verify_path(image, now=later, site=out).report.status == "failed"

    # independently: the hosted site verifies, the held copies do not
    hosted = interop(out)
    if hosted is not None:
        assert hosted.returncode == 0, hosted.stdout + hosted.stderr
        assert "interop: 9 passed, 0 failed" in hosted.stdout
        mixed = tmp_path / "mixed"
        shutil.copytree(out, mixed)
        for path in (mixed / "credentials").glob("*"):
            if path.suffix in (".png", ".svg"):
                path.unlink()
        for path in (held / "credentials").glob("*.json"):
            shutil.copy(path, mixed / "credentials" / path.name)
        run = interop(mixed)
        assert run is not None and run.returncode == 1
        assert "interop: 0 passed, 3 failed" in run.stdout
        failures = [ln for ln in run.stdout.splitlines() if ln.startswith("FAIL credentials/")]
        assert len(failures) == 3
        assert all("not in DID document" in ln for ln in failures)


def test_a_credential_forged_with_the_compromised_key_fails(
    keyed_site: Path, tmp_path: Path
) -> None:
    stolen = keyfiles.find_key(config.load(keyed_site), "acme", True)
    assert stolen is not None
    out = keyed_site / "_site"
    genuine = json.loads(next((out / "credentials").glob("*.json")).read_text())
    assert run_cli("keys", "compromised", "acme", "-C", str(keyed_site)).exit_code == 0
    build_site(keyed_site)
    forged = {k: v for k, v in genuine.items() if k != "proof"}
    forged["credentialSubject"] = {**forged["credentialSubject"], "name": "Mallory"}
    vm = genuine["proof"][0]["verificationMethod"]
    signed = vc_proof.add_proofs(forged, stolen.key, vm, genuine["proof"][0]["created"])
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(signed), encoding="utf-8")
    assert verifysite.verify_path(path, now=NOW, site=out).report.status == "failed"
    # before the compromise was declared, the same forgery verified: that is what it fixes
    assert stolen.key.public_key_multibase not in did_keys(out)


def test_a_compromised_key_from_the_environment_is_refused_until_replaced(
    keyed_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = keyed_site / KEY_FILE
    secret = key_file.read_text().strip().splitlines()[-1]
    key_file.unlink()
    monkeypatch.setenv("CREDSITE_KEY_ACME", secret)
    result = run_cli("keys", "compromised", "-C", str(keyed_site))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 0, text
    assert "$CREDSITE_KEY_ACME in this shell still holds the compromised key" in text
    assert key_file.is_file()
    before = snapshot(keyed_site)
    build = run_cli("build", "-C", str(keyed_site))
    message = " ".join(output_of(build).split())
    assert build.exit_code == 1
    assert "was declared compromised on" in message and "never signs again" in message
    assert "Unset $CREDSITE_KEY_ACME or replace it" in message
    assert snapshot(keyed_site) == before
    monkeypatch.delenv("CREDSITE_KEY_ACME")
    build_site(keyed_site)


def test_a_key_rotated_out_earlier_can_be_declared_compromised(keyed_site: Path) -> None:
    first = did_keys(keyed_site / "_site")[0]
    assert run_cli("keys", "generate", "--rotate", "acme", "-C", str(keyed_site)).exit_code == 0
    build_site(keyed_site)
    current = did_keys(keyed_site / "_site")[1]
    key_text = (keyed_site / KEY_FILE).read_bytes()
    result = run_cli("keys", "compromised", "--key", first, "-C", str(keyed_site))
    assert result.exit_code == 0, output_of(result)
    assert "wrote a new key" not in output_of(result)  # the current key is not compromised
    assert (keyed_site / KEY_FILE).read_bytes() == key_text
    build_site(keyed_site)
    assert did_keys(keyed_site / "_site") == [current]
    # declaring it twice changes nothing
    lock = (keyed_site / "credsite.lock").read_bytes()
    again = run_cli("keys", "compromised", "--key", first, "-C", str(keyed_site))
    assert again.exit_code == 0 and "was already declared compromised" in output_of(again)
    assert (keyed_site / "credsite.lock").read_bytes() == lock


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["acne"], "unknown issuer 'acne': the issuers are acme"),
        (["--key", SigningKey.from_seed(bytes(32)).public_key_multibase], "never signed with"),
        (
            ["--key", keyfiles.demo_key("acme").public_key_multibase],
            "credsite's public demo key: everyone has it by design",
        ),
    ],
    ids=["unknown-issuer", "unrecorded-key", "demo-key"],
)
def test_keys_compromised_refuses_wrong_input(keyed_site: Path, args: list[str], message: str):
    before = snapshot(keyed_site), (keyed_site / KEY_FILE).read_bytes()
    result = run_cli("keys", "compromised", *args, "-C", str(keyed_site))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 1 and message in text and "Traceback" not in text
    assert (snapshot(keyed_site), (keyed_site / KEY_FILE).read_bytes()) == before


def test_keys_compromised_on_a_demo_key_site(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    result = run_cli("keys", "compromised", "-C", str(root))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 1
    assert "signs only with credsite's public demo key" in text
    assert "there is no secret to withdraw" in text


def test_keys_compromised_needs_a_key_that_signed_something(make_site: Callable[..., Path]):
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    assert run_cli("keys", "generate", "-C", str(root)).exit_code == 0
    result = run_cli("keys", "compromised", "-C", str(root))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 1
    assert "never signed anything for issuer 'acme'" in text
    assert "credsite keys generate --rotate acme" in text
    assert not (root / "credsite.lock").exists()


def test_keys_compromised_names_the_issuer_when_there_are_several(
    make_site: Callable[..., Path],
) -> None:
    root = make_site({"content/issuers/beta.yaml": "name: Beta\nurl: https://beta.example\n"})
    result = run_cli("keys", "compromised", "-C", str(root))
    assert result.exit_code == 1
    assert "name the issuer whose key is compromised: the issuers are acme, beta" in (
        output_of(result)
    )


def test_pages_of_an_issuer_without_a_compromised_key_have_no_notice(keyed_site: Path) -> None:
    for page in (keyed_site / "_site" / "credentials").glob("*.html"):
        assert "notice-download-again" not in page.read_text()


# -- key files --------------------------------------------------------------------------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


@posix_only
@pytest.mark.parametrize(
    ("mode", "who"),
    [
        (0o644, "readable by group and others"),
        (0o640, "readable by group"),
        (0o604, "readable by others"),
        (0o620, "writable by group"),
    ],
)
def test_a_key_file_others_can_access_is_refused(keyed_site: Path, mode: int, who: str) -> None:
    (keyed_site / KEY_FILE).chmod(mode)
    before = snapshot(keyed_site)
    result = run_cli("build", "-C", str(keyed_site))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 1 and "Traceback" not in text
    assert f"error: {KEY_FILE}: the key file is {who} (mode {mode:04o})" in text
    assert f"Make it private with 'chmod 600 {KEY_FILE}'" in text
    assert snapshot(keyed_site) == before
    # `keys generate` says the same; the fix works
    generate = run_cli("keys", "generate", "-C", str(keyed_site))
    assert generate.exit_code == 1 and f"chmod 600 {KEY_FILE}" in output_of(generate)
    (keyed_site / KEY_FILE).chmod(0o600)
    assert run_cli("build", "-q", "-C", str(keyed_site)).exit_code == 0


@posix_only
def test_rotating_an_exposed_key_file_replaces_it(keyed_site: Path) -> None:
    (keyed_site / KEY_FILE).chmod(0o644)
    result = run_cli("keys", "generate", "--rotate", "-C", str(keyed_site))
    assert result.exit_code == 0, output_of(result)
    assert stat.S_IMODE((keyed_site / KEY_FILE).stat().st_mode) == 0o600


def test_an_unreadable_key_file_is_a_located_error(
    keyed_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "acme.key":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)  # chmod 000 does not stop root
    before = snapshot(keyed_site)
    result = run_cli("build", "-C", str(keyed_site))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert f"error: {KEY_FILE}: cannot read the key file: Permission denied" in text
    assert snapshot(keyed_site) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00z\x003\x00u\x002\x00", "the key file is not UTF-8 text"),
        (b"# nothing here\n", "expected one secret key line (z3u2...)"),
        (b"z3u2notakey\n", "not an Ed25519 secret key in multibase form"),
    ],
    ids=["utf-16", "empty", "garbage"],
)
def test_a_broken_key_file_is_a_located_error(keyed_site: Path, data: bytes, message: str):
    path = keyed_site / KEY_FILE
    path.write_bytes(data)
    path.chmod(0o600)
    before = snapshot(keyed_site)
    result = run_cli("build", "-C", str(keyed_site))
    text = output_of(result)
    assert result.exit_code == 1 and "Traceback" not in text
    assert f"error: {KEY_FILE}: {message}" in text
    assert snapshot(keyed_site) == before
    with pytest.raises(CredsiteError) as info:
        keyfiles.find_key(config.load(keyed_site), "acme", True)
    assert info.value.problems[0].location is not None
    assert info.value.problems[0].location.path == KEY_FILE


def test_a_key_file_with_a_bom_still_reads(keyed_site: Path) -> None:
    path = keyed_site / KEY_FILE
    key = SigningKey.from_secret_multibase(path.read_text().strip().splitlines()[-1])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    path.chmod(0o600)
    found = keyfiles.find_key(config.load(keyed_site), "acme", True)
    assert found is not None and found.key.public_key_multibase == key.public_key_multibase


def test_scaffold_readme_advises_the_compromise_command() -> None:
    text = (REPO / "credsite" / "commands" / "scaffold" / "README.md").read_text()
    assert "credsite keys compromised" in text
    assert "--rotate __ISSUER__` and update" not in text
