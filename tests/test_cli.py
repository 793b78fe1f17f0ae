"""The ``credsite`` command: help texts, build output, verify and extract."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from conftest import REPO, output_of, run_cli

from credsite import __version__
from credsite.cli import cli


def all_commands(
    group: click.Group = cli, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield prefix, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


COMMANDS = list(all_commands())


def test_the_expected_commands_exist() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {
        "",
        "build",
        "verify",
        "extract",
        "keys",
        "keys generate",
        "keys compromised",
        "move",
    } <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "credsite" for p, _ in COMMANDS]
)
def test_every_command_has_help(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"'credsite {' '.join(path)}' has no docstring"
    assert command.get_short_help_str().strip()
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"option {param.opts} of {path} has no help"
    result = run_cli(*path, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
    first_line = command.help.strip().splitlines()[0]
    assert first_line[:40] in " ".join(result.output.split())


def test_python_dash_m_credsite_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "credsite", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: credsite" in result.stdout
    for name in ("build", "verify", "keys"):
        assert name in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("biuld")
    assert result.exit_code == 2
    assert "No such command 'biuld'" in output_of(result)


def test_build_reports_what_it_did(make_site: Callable[..., Path]) -> None:
    root = make_site()
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert "Built 3 credentials (3 active) into" in result.stdout
    assert "3 signed" in result.stdout and "(all written)" in result.stdout
    # 3 awards + key + list + the site's url + the issuer's DID
    assert "Recorded in credsite.lock: 7 new entries; commit it." in result.stdout
    assert "PUBLIC demo key" in result.stderr
    again = run_cli("build", "-C", str(root))
    assert again.exit_code == 0
    assert "0 signed" in again.stdout and "Recorded" not in again.stdout
    assert "(none written: unchanged)" in again.stdout
    quiet = run_cli("build", "-q", "-C", str(root))
    assert quiet.exit_code == 0 and quiet.stdout == "" and "demo key" not in quiet.stderr


def test_build_into_another_folder(make_site: Callable[..., Path], tmp_path: Path) -> None:
    root = make_site()
    target = tmp_path / "public"
    result = run_cli("build", "-q", "-C", str(root), "-o", str(target))
    assert result.exit_code == 0, output_of(result)
    assert (target / "did.json").is_file() and not (root / "_site").exists()


def test_build_outside_a_site(tmp_path: Path) -> None:
    result = run_cli("build", "-C", str(tmp_path))
    assert result.exit_code == 1
    assert "no site.yaml in" in result.stderr
    assert "Traceback" not in output_of(result)


# -- verify ----------------------------------------------------------------------------------------


def test_verify_site_reports_revoked_and_expired(example_output: Path) -> None:
    result = run_cli("verify", str(example_output))
    text = result.stdout
    assert result.exit_code == 0, text
    lines = [
        line.split()
        for line in text.splitlines()
        if line.strip().endswith((".json", ".png", ".svg"))
    ]
    statuses = {parts[1]: parts[0] for parts in lines if parts[1].startswith("credentials/")}
    assert len(statuses) == 72  # JSON, PNG and SVG of 24 credentials (2 of them pathways)
    counts = {s: list(statuses.values()).count(s) for s in set(statuses.values())}
    assert counts == {"verified": 66, "revoked": 3, "expired": 3}
    assert "failed" not in text


def test_verify_json_output(example_output: Path) -> None:
    credential = sorted((example_output / "credentials").glob("*.json"))[0]
    result = run_cli("verify", "--json", str(credential))
    assert result.exit_code == 0
    (report,) = json.loads(result.stdout)
    assert report["path"] == str(credential)
    assert report["status"] in ("verified", "revoked", "expired")
    assert all(check["ok"] for check in report["checks"]) or report["status"] != "verified"
    assert {"name", "ok", "message"} <= set(report["checks"][0])


def test_verify_tampered_credential(example_output: Path, tmp_path: Path) -> None:
    source = next(
        p
        for p in sorted((example_output / "credentials").glob("*.json"))
        if "Amara Nwosu" in p.read_text(encoding="utf-8")
    )
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["credentialSubject"]["name"] = "Mallory Forger"
    tampered = tmp_path / source.name
    tampered.write_text(json.dumps(doc, indent=2), encoding="utf-8")

    result = run_cli("verify", str(tampered), "--site", str(example_output))
    text = output_of(result)
    assert result.exit_code == 1
    assert "Traceback" not in text
    first = text.splitlines()[0].split()
    assert first == ["failed", str(tampered)]
    problems = [line.strip() for line in text.splitlines() if line.strip().startswith("- ")]
    assert problems, text
    assert any("proof" in line.lower() for line in problems), problems
    assert "1 checked: 1 failed" in text

    untouched = run_cli("verify", str(source))  # found its site folder by itself
    assert untouched.exit_code == 0, output_of(untouched)
    assert output_of(untouched).split()[0] == "verified"


def test_verify_a_file_without_its_site(example_output: Path, tmp_path: Path) -> None:
    lone = tmp_path / "lone.json"
    shutil.copy(sorted((example_output / "credentials").glob("*.json"))[0], lone)
    result = run_cli("verify", str(lone))
    assert result.exit_code == 1
    assert "cannot find the built site it belongs to; pass --site FOLDER" in result.stderr
    assert "Traceback" not in output_of(result)


def test_verify_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    (tmp_path / "credentials").mkdir()
    result = run_cli("verify", str(tmp_path))
    assert result.exit_code == 1
    assert "is this a folder built by credsite?" in result.stderr


def test_extract_prints_the_hosted_credential(example_output: Path) -> None:
    png = sorted((example_output / "credentials").glob("*.png"))[0]
    result = run_cli("extract", str(png))
    assert result.exit_code == 0
    hosted = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == hosted


def test_extract_from_a_plain_image(example_output: Path) -> None:
    plain = example_output / "images" / "issuers" / "northbridge.png"
    result = run_cli("extract", str(plain))
    assert result.exit_code == 1
    assert "no Open Badges 3.0 credential is baked into this image" in result.stderr
    assert "Traceback" not in output_of(result)


# -- where I am: site.yaml found upward, commands in working order ---------------------------------


def test_help_lists_commands_in_working_order() -> None:
    from credsite.cli import COMMAND_ORDER

    result = run_cli("--help")
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:", 1)[1]
    names = [line.split()[0] for line in listed.splitlines() if line[:3].strip() and line[2] != " "]
    known = [n for n in COMMAND_ORDER if n in cli.commands]
    assert names == known + sorted(set(cli.commands) - set(COMMAND_ORDER))  # others come last
    working_order = ["init", "serve", "build", "verify", "list", "roster", "revoke", "suspend",
                     "reinstate", "keys", "extract"]  # fmt: skip
    assert [n for n in names if n in working_order] == working_order


def _first_sentence(help_text: str) -> str:
    words = " ".join(help_text.split("\n\n")[0].split())
    return words[: words.index(". ") + 1] if ". " in words else words


@pytest.mark.parametrize("group", [(), ("keys",)], ids=["credsite", "keys"])
def test_help_summaries_are_whole_sentences(group: tuple[str, ...]) -> None:
    command = cli if not group else cli.commands[group[0]]
    assert isinstance(command, click.Group)
    result = run_cli(*group, "--help")
    listed = " ".join(result.stdout.split("Commands:", 1)[1].split())
    for name, sub in command.commands.items():
        assert f"{name} {_first_sentence(sub.help or '')}" in listed
    assert "..." not in listed
    # one line each in an 80-column terminal (where click formats to 78 columns)
    narrow = command.get_help(click.Context(command, info_name="credsite", terminal_width=78))
    rows = narrow.split("Commands:", 1)[1].strip("\n").splitlines()
    assert len(rows) == len(command.commands), rows


def test_every_site_command_looks_for_site_yaml_upward() -> None:
    from credsite.cli import _site_folder

    with_site = sorted(
        " ".join(path)
        for path, command in COMMANDS
        if any(p.name == "site_dir" for p in command.params)
    )
    assert {"build", "serve", "revoke", "suspend", "reinstate", "keys generate"} <= set(with_site)
    for path, command in COMMANDS:
        for param in command.params:
            if param.name == "site_dir":
                assert param.callback is _site_folder, path


def test_build_from_a_subfolder_finds_the_site(make_site: Callable[..., Path]) -> None:
    root = make_site()
    inside = root / "notes" / "2026"
    inside.mkdir(parents=True)
    result = run_cli("build", "-q", cwd=inside)
    assert result.exit_code == 0, output_of(result)
    assert (root / "_site" / "did.json").is_file() and not (inside / "_site").exists()
    # a relative -o is relative to where it is typed, as for any command
    again = run_cli("build", "-q", "-o", "public", cwd=inside)
    assert again.exit_code == 0, output_of(again)
    assert (inside / "public" / "did.json").is_file()


def test_revoke_from_a_subfolder(make_site: Callable[..., Path]) -> None:
    root = make_site()
    assert run_cli("build", "-q", "-C", str(root)).exit_code == 0
    result = run_cli("revoke", "teamwork/ada.lovelace@example.org", "--reason", "Test",
                     cwd=root / "content")  # fmt: skip
    assert result.exit_code == 0, output_of(result)
    assert "status: revoked" in (root / "content" / "awards" / "awards.yaml").read_text()


def test_no_site_yaml_here_or_above(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    result = run_cli("build", cwd=tmp_path / "a" / "b")
    assert result.exit_code == 1
    assert f"no site.yaml in {tmp_path / 'a' / 'b'} or any folder above it" in result.stderr
    assert "Traceback" not in output_of(result)


def test_what_the_user_typed_is_shown_without_its_control_characters(make_site) -> None:
    """An id holding ESC [31m recoloured the terminal when its error quoted it."""
    root = make_site()
    result = run_cli("revoke", "-C", str(root), "nobody\x1b[31m\x01")
    text = output_of(result)
    assert result.exit_code == 1, text
    assert "\x1b" not in text and "\x01" not in text
    assert "nobody\\x1b[31m\\x01" in text
