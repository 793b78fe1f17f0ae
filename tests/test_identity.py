"""The site's identity survives mistakes: a changed url, a changed primary issuer, a renamed issuer
or a lost credsite.lock is refused (located, exit 1, nothing written); `credsite move` is the
deliberate way to a new address."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    ISSUER,
    MENTOR,
    NOW,
    SITE_DID,
    SITE_URL,
    SITE_YAML,
    TEAMWORK,
    build_site,
    copy_example,
    diff_trees,
    fixed_clock,
    output_of,
    run_cli,
    tree,
    write_files,
)

from credsite import build as build_module
from credsite.commands import verify as verifysite
from credsite.errors import CredsiteError
from credsite.state.lockfile import Lockfile

NEW_URL = "https://credentials.acme.example/"
NEW_DID = "did:web:credentials.acme.example"
NO_DEMO_SITE_YAML = SITE_YAML.replace("demo_key: true\n", "")
COMMENTED_SITE_YAML = f"""\
# The site's settings.
title: Test Credentials

# Where the site is published. Keep it!
url: {SITE_URL}   # the public address
demo_key: true
"""


def identity_lines(path: Path) -> list[dict]:
    return [
        json.loads(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(('{"type":"site"', '{"type":"issuer"'))
    ]


def without_identity(text: str) -> str:
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(('{"type":"site"', '{"type":"issuer"'))
    )


def snapshot(root: Path) -> tuple[dict[str, bytes], bytes | None]:
    lock = root / "credsite.lock"
    site = root / "_site"
    return (tree(site) if site.exists() else {}), (lock.read_bytes() if lock.exists() else None)


def refused(root: Path, *args: str) -> str:
    """Run `credsite build` expecting a refusal that writes nothing; its output."""
    before = snapshot(root)
    result = run_cli("build", "-C", str(root), *args)
    text = output_of(result)
    assert result.exit_code == 1, text
    assert "Traceback" not in text
    assert "nothing was written" in text
    assert snapshot(root) == before
    return " ".join(text.split())


# -- the identity is recorded ----------------------------------------------------------------------


TWO_ISSUERS = {
    "site.yaml": SITE_YAML + "primary_issuer: acme\n",
    "content/issuers/beta.yaml": ISSUER.replace("Acme", "Beta"),
    "content/achievements/teamwork.yaml": TEAMWORK + "issuer: acme\n",
    "content/achievements/mentor.yaml": MENTOR + "issuer: beta\n",
}


def test_first_build_records_the_url_and_each_issuers_did(make_site: Callable[..., Path]) -> None:
    root = make_site(TWO_ISSUERS)
    result = build_site(root)
    assert identity_lines(root / "credsite.lock") == [
        {"type": "site", "url": SITE_URL, "since": "2026-11-22T12:00:00Z"},
        {"type": "issuer", "issuer": "acme", "did": SITE_DID, "since": "2026-11-22T12:00:00Z"},
        {
            "type": "issuer",
            "issuer": "beta",
            "did": SITE_DID + ":issuers:beta",
            "since": "2026-11-22T12:00:00Z",
        },
    ]
    assert {"the site's url " + SITE_URL, "the DID of issuer 'beta'"} <= set(result.minted)
    again = build_site(root, clock=fixed_clock(NOW + dt.timedelta(days=3)))
    assert again.minted == [] and again.lockfile_written is False


# -- a changed identity is refused ----------------------------------------------------------------


def test_changed_url_is_a_located_refusal(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": COMMENTED_SITE_YAML})
    build_site(root)
    write_files(root, {"site.yaml": COMMENTED_SITE_YAML.replace(SITE_URL, NEW_URL)})
    text = refused(root)
    assert (
        f"error: site.yaml:5:6: 'url' was {SITE_URL} when this site's credentials were issued"
        in (text)
    )
    assert "re-issue all 3 credential(s) at new addresses" in text
    assert f"({NEW_DID} instead of {SITE_DID})" in text
    assert "every link already shared would break" in text
    assert "every credential recipients hold names the old DID" in text
    assert f"put back 'url: {SITE_URL}'" in text
    assert f"run 'credsite move {NEW_URL}'" in text
    # --locked and the preview refuse the same way
    with pytest.raises(CredsiteError, match="'url' was"):
        build_site(root, locked=True)
    with pytest.raises(CredsiteError, match="'url' was"):
        build_site(root, record=False, output_dir=str(root.parent / "preview"))
    # the old url back: builds, nothing changed
    before = snapshot(root)
    write_files(root, {"site.yaml": COMMENTED_SITE_YAML})
    build_site(root)
    assert snapshot(root) == before


def test_changed_primary_issuer_is_refused(make_site: Callable[..., Path]) -> None:
    root = make_site(TWO_ISSUERS)
    build_site(root)
    write_files(root, {"site.yaml": SITE_YAML + "primary_issuer: beta\n"})
    text = refused(root)
    assert "error: site.yaml:4:17: the primary issuer" in text
    assert f"'acme' issued as {SITE_DID} and would sign as {SITE_DID}:issuers:acme" in text
    assert "set 'primary_issuer: acme'" in text


def test_renamed_issuer_file_is_refused(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    write_files(root, {"content/issuers/acme.yaml": None, "content/issuers/acme-org.yaml": ISSUER})
    text = refused(root)
    assert "error: content/issuers/acme-org.yaml" in text
    assert f"issuer 'acme-org' would sign as {SITE_DID}, the DID issuer 'acme' issued" in text
    assert "Rename it back to acme.yaml" in text


# -- lockfiles from before the identity lines --------------------------------------------------------


def test_old_lockfile_is_upgraded_in_place_and_nothing_else_changes(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    build_site(root)
    lock = root / "credsite.lock"
    full = lock.read_text(encoding="utf-8")
    old = without_identity(full)
    assert old != full
    lock.write_text(old, encoding="utf-8")
    site_before = tree(root / "_site")
    later = NOW + dt.timedelta(days=40)
    result = build_site(root, clock=fixed_clock(later), seed=9)
    upgraded = lock.read_text(encoding="utf-8")
    assert without_identity(upgraded) == old  # every other line as it was
    assert [(e["type"], e["since"]) for e in identity_lines(lock)] == [
        ("site", "2027-01-01T12:00:00Z"),
        ("issuer", "2027-01-01T12:00:00Z"),
    ]
    assert result.lockfile_written and len(result.minted) == 2
    assert diff_trees(site_before, tree(root / "_site")) == []


def test_old_lockfile_under_locked_builds_records_nothing_and_warns(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    build_site(root)
    lock = root / "credsite.lock"
    lock.write_text(without_identity(lock.read_text(encoding="utf-8")), encoding="utf-8")
    before = snapshot(root)
    result = run_cli("build", "--locked", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 0, text
    assert "does not record the site's url and issuer DIDs yet" in text
    assert "build once without --locked and commit it" in text
    assert snapshot(root) == before


def test_old_lockfile_with_a_changed_url_is_caught_by_the_previous_output(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    build_site(root)
    lock = root / "credsite.lock"
    lock.write_text(without_identity(lock.read_text(encoding="utf-8")), encoding="utf-8")
    write_files(root, {"site.yaml": SITE_YAML.replace(SITE_URL, NEW_URL)})
    text = refused(root)
    assert f"error: site.yaml:2:6: 'url' was {SITE_URL}" in text


# -- a lost lockfile --------------------------------------------------------------------------------


def lose_lockfile(root: Path, *, output: bool, cache: bool, credentials: bool = True) -> None:
    (root / "credsite.lock").unlink()
    if not output:
        shutil.rmtree(root / "_site")
    elif not credentials:
        shutil.rmtree(root / "_site" / "credentials")
    if not cache:
        (root / build_module.CACHE_DIR / "proofs.json").unlink()


LOST = "error: credsite.lock: the lockfile is missing, but this site has issued credentials before"
CONSEQUENCE = (
    "Building now would mint all 3 credential(s) anew: new addresses (every link already shared "
    "breaks) and new status-list entries (a revoked credential its recipient still holds would "
    "verify as valid again)."
)


def test_lost_lockfile_with_the_previous_output_is_refused(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    lose_lockfile(root, output=True, cache=False)
    text = refused(root)
    assert LOST in text
    assert "- _site/ holds 3 signed credential(s) of an earlier build" in text
    assert "build cache" not in text and "git has" not in text
    assert CONSEQUENCE in text
    assert "Restore credsite.lock: copy it from a backup of this folder" in text
    assert "start afresh with 'credsite build --new-site'" in text


def test_lost_lockfile_with_the_build_cache_is_refused(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    lose_lockfile(root, output=False, cache=True)
    text = refused(root)
    assert LOST in text
    assert "- the build cache .credsite-cache/proofs.json holds 3 signature(s)" in text
    assert "_site/ holds" not in text


def test_lost_lockfile_with_a_published_key_is_refused(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    assert run_cli("keys", "generate", "-C", str(root)).exit_code == 0
    build_site(root)
    lose_lockfile(root, output=True, cache=False, credentials=False)
    text = refused(root)
    assert "- the key of issuer 'acme' (keys/acme.key) is published in _site/did.json" in text
    assert "_site/ holds" not in text and "build cache" not in text


def test_a_lost_lockfile_is_reported_before_a_missing_key(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": NO_DEMO_SITE_YAML})
    assert run_cli("keys", "generate", "-C", str(root)).exit_code == 0
    build_site(root)
    lose_lockfile(root, output=True, cache=True)
    (root / "keys" / "acme.key").unlink()
    text = refused(root)
    assert LOST in text and "has no signing key" not in text


def test_an_empty_lockfile_counts_as_lost(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    (root / "credsite.lock").write_text("# credsite.lock\n", encoding="utf-8")
    text = refused(root)
    assert "error: credsite.lock: the lockfile records no credential, but this site" in text


def git(root: Path, *args: str) -> str:
    run = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return run.stdout


def test_lost_lockfile_that_git_knows_is_refused_with_the_restore_command(
    make_site: Callable[..., Path],
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = make_site()
    git(root, "init", "-q")
    build_site(root)
    git(root, "add", "site.yaml", "content", "credsite.lock")
    git(root, "commit", "-qm", "issue")
    git(root, "rm", "-q", "credsite.lock")
    git(root, "commit", "-qm", "oops")
    commit = git(root, "log", "-1", "--format=%h", "HEAD~1").strip()
    assert not (root / "credsite.lock").exists()
    shutil.rmtree(root / "_site")
    (root / build_module.CACHE_DIR / "proofs.json").unlink()
    text = refused(root)
    assert f"- git has credsite.lock with 3 credential(s) (commit {commit}," in text
    assert f"Restore credsite.lock: 'git checkout {commit} -- credsite.lock'" in text
    git(root, "checkout", commit, "--", "credsite.lock")
    build_site(root)  # restored: builds the same credentials again
    assert len(Lockfile.load(root / "credsite.lock").awards) == 3


def test_a_git_repository_without_lockfile_history_is_no_sign(
    make_site: Callable[..., Path],
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = make_site()
    git(root, "init", "-q")
    git(root, "add", "site.yaml")
    git(root, "commit", "-qm", "start")
    build_site(root)  # a new site: nothing refused
    assert len(Lockfile.load(root / "credsite.lock").awards) == 3


def test_new_site_flag_is_a_declared_fresh_start(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    old_tokens = {e.credential for e in Lockfile.load(root / "credsite.lock").awards.values()}
    lose_lockfile(root, output=True, cache=True)
    result = run_cli("build", "--new-site", "-q", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    new_tokens = {e.credential for e in Lockfile.load(root / "credsite.lock").awards.values()}
    assert len(new_tokens) == 3 and not new_tokens & old_tokens
    # with a lockfile, --new-site changes nothing
    before = snapshot(root)
    assert run_cli("build", "--new-site", "-q", "-C", str(root)).exit_code == 0
    assert snapshot(root) == before


def test_a_preview_of_a_site_with_a_lost_lockfile_says_so(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """serve builds into temporary folders, but the site's own output shows the loss."""
    root = make_site()
    build_site(root)
    lose_lockfile(root, output=True, cache=False)
    with pytest.raises(CredsiteError, match="_site/ holds 3 signed credential"):
        build_site(
            root, record=False, output_dir=str(tmp_path / "preview"), cache_dir=tmp_path / "c"
        )
    # a new site's preview, rebuilt with its own cache, is fine
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("_site", ".credsite-cache"))
    for _ in range(2):
        build_site(fresh, record=False, output_dir=str(tmp_path / "p2"), cache_dir=tmp_path / "c2")
    assert not (fresh / "credsite.lock").exists()


# -- credsite move ----------------------------------------------------------------------------------


def test_move_changes_the_url_records_the_move_and_keeps_what_recipients_hold(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_site({"site.yaml": COMMENTED_SITE_YAML})
    build_site(root)
    old_site = tmp_path / "old-site"
    shutil.copytree(root / "_site", old_site)
    lock_before = Lockfile.load(root / "credsite.lock")

    result = run_cli("move", NEW_URL, "-C", str(root))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 0, text
    assert (root / "site.yaml").read_text() == COMMENTED_SITE_YAML.replace(SITE_URL, NEW_URL)
    assert f"Moved the site from {SITE_URL} to {NEW_URL}" in text
    assert f"issuer 'acme': {SITE_DID} -> {NEW_DID}" in text
    assert f"They keep verifying only while {SITE_URL} still serves its did.json and status" in text
    assert "Do not redirect the old did.json or status lists to the new site" in text
    assert "Recipients should download their credential again from the new site" in text
    assert "_site/ still holds the site as published at" in text
    lock = Lockfile.load(root / "credsite.lock")
    assert lock.site_url() == NEW_URL and lock.site_urls() == [SITE_URL, NEW_URL]
    assert lock.issuer_did("acme") == NEW_DID
    assert lock.awards == lock_before.awards  # tokens, indices, times, salts: all kept
    moved = [e for e in identity_lines(root / "credsite.lock") if e.get("previous")]
    assert [(e["type"], e["previous"]) for e in moved] == [("site", SITE_URL), ("issuer", SITE_DID)]

    build_site(root)
    out = root / "_site"
    for name in sorted((old_site / "credentials").glob("*.json")):
        old = json.loads(name.read_text())
        new = json.loads((out / "credentials" / name.name).read_text())
        assert old["id"] == SITE_URL + f"credentials/{name.name}"
        assert new["id"] == NEW_URL + f"credentials/{name.name}"
        assert new["issuer"]["id"] == NEW_DID
        assert new["validFrom"] == old["validFrom"]
        assert new.get("validUntil") == old.get("validUntil")
        assert (
            new["credentialStatus"]["statusListIndex"] == old["credentialStatus"]["statusListIndex"]
        )
        assert new["credentialStatus"]["statusListCredential"] == NEW_URL + "status/1.json"
        # a copy held from before verifies against the old site, as long as it is served
        assert verifysite.verify_path(name, now=NOW, site=old_site).report.status == "verified"
    assert {r.report.status for r in verifysite.verify_site(out, now=NOW)} == {"verified"}
    # and the next build is a no-op
    before = snapshot(root)
    build_site(root, clock=fixed_clock(NOW + dt.timedelta(days=1)))
    assert snapshot(root) == before


def test_move_after_a_refused_build_records_the_url_already_in_site_yaml(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    build_site(root)
    write_files(root, {"site.yaml": SITE_YAML.replace(SITE_URL, NEW_URL)})
    refused(root)
    result = run_cli("move", NEW_URL, "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "site.yaml's url and" not in output_of(result)  # it was already there
    build_site(root)
    assert Lockfile.load(root / "credsite.lock").site_url() == NEW_URL


def test_move_back_and_forth_within_a_second(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    for url in (NEW_URL, SITE_URL, NEW_URL, SITE_URL):
        assert run_cli("move", url, "-C", str(root)).exit_code == 0
    lock = Lockfile.load(root / "credsite.lock")
    assert lock.site_url() == SITE_URL and lock.issuer_did("acme") == SITE_DID
    build_site(root)


def test_move_of_a_site_that_issued_nothing_only_edits_site_yaml(
    make_site: Callable[..., Path],
) -> None:
    root = make_site()
    result = run_cli("move", NEW_URL, "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "Nothing was issued yet" in output_of(result)
    assert not (root / "credsite.lock").exists()
    assert f"url: {NEW_URL}" in (root / "site.yaml").read_text()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://credentials.acme.example/", "'url' must be https"),
        ("https://192.0.2.1/", "did:web does not allow IP addresses"),
        ("not a url", "must be an http(s) URL"),
        (SITE_URL, f"the site is already at {SITE_URL}"),
        ("https://credentials.acme.example/../", "must not have '.' or '..' in its path"),
        (f"https://{'a' * 300}.example/", "must have a host name of at most 253 characters"),
        (f"https://{'a' * 64}.example/", "at most 63 characters between the dots of its host"),
        ("https://ü.example/", "write it in its xn-- form, xn--tda.example"),
    ],
)
def test_move_refuses_a_bad_url(make_site: Callable[..., Path], url: str, message: str) -> None:
    root = make_site()
    build_site(root)
    site_yaml = (root / "site.yaml").read_bytes()
    lock = (root / "credsite.lock").read_bytes()
    result = run_cli("move", url, "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1 and message in text and "Traceback" not in text
    assert (root / "site.yaml").read_bytes() == site_yaml
    assert (root / "credsite.lock").read_bytes() == lock


def test_move_outside_a_site(tmp_path: Path) -> None:
    result = run_cli("move", NEW_URL, "-C", str(tmp_path))
    assert result.exit_code == 1 and "no site.yaml" in output_of(result)


def test_move_warns_of_each_received_endorsement_of_the_old_address(tmp_path: Path) -> None:
    """The example holds an endorsement signed elsewhere of its achievement at its url: after a
    move the build refused it ("which is no achievement ... of this site") and move said nothing."""
    root = copy_example(tmp_path / "example")
    received = root / "content/endorsements/received"
    old = "https://northbridge-alliance.github.io/credentials/"
    result = run_cli("move", NEW_URL, "-C", str(root))
    text = " ".join(output_of(result).split())
    assert result.exit_code == 0, text
    assert "Traceback" not in text
    assert (
        "warning: content/endorsements/received/coastal-skills-council-exchange.json: it "
        f"endorses {old}achievements/exchange-participant.json, at the old address, which "
        f"becomes {NEW_URL}achievements/exchange-participant.json: builds will refuse this "
        "endorsement" in text
    )
    assert (
        f"Ask its endorser (Coastal Skills Council) to endorse {NEW_URL}achievements/"
        "exchange-participant.json and add that with 'credsite endorsement add FILE'" in text
    )
    assert text.count("warning:") == 1  # its DID document is not an endorsement
    assert Lockfile.load(root / "credsite.lock").site_url() == NEW_URL
    # as the warning says: without it, the moved site builds
    for path in received.glob("coastal-skills-council-exchange*.json"):
        path.rename(tmp_path / path.name)
    build_site(root)
