"""`credsite verify` and `credsite extract` given files they cannot use: a device, a FIFO, a huge
or random file, an empty path, a bad key. Each is a one-line message and exit status 1 (2 for a
usage error), never a traceback, a hang or a read without end.

A device is made in tmp_path (never the real /dev); a test that needs one is skipped where
mknod is not allowed. A command that could hang or read forever runs in a fresh interpreter with
a time limit and a memory limit.
"""

from __future__ import annotations

import base64
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import memory_device, output_of, run_cli, run_fresh

from credsite.commands import verify as verifysite
from credsite.errors import CredsiteError
from credsite.openbadges.image import MAX_BYTES

NOT_A_FILE = "not a file: credsite {} reads only regular files"


def zero_device(path: Path) -> Path:
    return memory_device(path, "zero")


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _limited() -> None:
    one_gib = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (one_gib, one_gib))


def run_limited(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m credsite ARGS`` with 1 GiB of memory, failing the test if it does not end."""
    try:
        return run_fresh(*args, timeout=timeout, preexec_fn=_limited)
    except subprocess.TimeoutExpired:
        pytest.fail(f"credsite {' '.join(args)} did not end within {timeout} s")


def _special(kind: str, tmp_path: Path) -> Path:
    if kind == "fifo":
        return fifo(tmp_path / "badge.png")
    if kind == "zero device":
        return zero_device(tmp_path / "badge.png")
    target = fifo(tmp_path / "pipe")
    (tmp_path / "badge.png").symlink_to(target)
    return tmp_path / "badge.png"


WHAT = {"fifo": "a FIFO (named pipe)", "zero device": "a character device"}


@pytest.mark.parametrize("kind", ["fifo", "zero device", "symlink to a fifo"])
@pytest.mark.parametrize(
    "command", [("verify", "--site", "{site}"), ("verify",), ("extract",)], ids=" ".join
)
def test_a_device_or_fifo_is_refused_not_read(
    example_output: Path, tmp_path: Path, kind: str, command: tuple[str, ...]
) -> None:
    path = _special(kind, tmp_path)
    args = [a.format(site=example_output) for a in command]
    result = run_limited(*args, str(path))
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "Traceback" not in text and "MemoryError" not in text
    name = "extract" if command[0] == "extract" else "verify"
    what = WHAT.get(kind, WHAT["fifo"])
    assert f"error: {path}: is {what}, {NOT_A_FILE.format(name)}" in result.stderr, text


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_when_read(
    example_output: Path, tmp_path: Path
) -> None:
    """The check that counts is `fstat` on the opened file: with the early check out of the way
    (as if the file was swapped after it), a FIFO is still refused, without waiting for it."""
    path = fifo(tmp_path / "swapped.json")
    with pytest.raises(CredsiteError, match=r"is a FIFO \(named pipe\), not a file"):
        verifysite.read_file(path)
    script = (
        "import sys; from credsite.commands import verify; from credsite.cli import main\n"
        "verify.check_regular = lambda *args: None\n"
        "sys.argv = ['credsite', *sys.argv[1:]]; main()\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", script, "verify", "--site", str(example_output), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            preexec_fn=_limited,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("verify waited for a writer on the FIFO")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{path}: is a FIFO (named pipe), not a file" in result.stdout


def test_no_more_than_the_limit_is_read_whatever_the_size_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that says it is empty (st_size 0, as a device does) is read up to the limit."""
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES * 3)
    real_fstat = os.fstat
    reads: list[int] = []
    real_read = os.read

    def fstat(fd: int) -> os.stat_result:
        found = real_fstat(fd)
        return os.stat_result((found.st_mode, *found[1:6], 0, *found[7:]))

    def read(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        reads.append(len(data))
        return data

    with monkeypatch.context() as patch:
        patch.setattr(os, "fstat", fstat)
        patch.setattr(os, "read", read)
        with pytest.raises(CredsiteError, match="larger than the 10 MiB credsite verify reads"):
            verifysite.read_file(big)
    assert sum(reads) == MAX_BYTES + 1


def test_an_empty_path_is_a_usage_error() -> None:
    result = run_cli("verify", "")
    assert result.exit_code == 2
    assert "Invalid value for PATH: is empty" in result.stderr
    assert "no published document" not in output_of(result)


def test_a_credential_of_another_site_is_explained_in_words(
    example_output: Path, tmp_path: Path
) -> None:
    source = sorted((example_output / "credentials").glob("*.json"))[0]
    base = verifysite.base_url_of(example_output)
    other = "https://other.example.org/"
    moved = source.read_text(encoding="utf-8").replace(base, other)
    (tmp_path / "other.json").write_text(moved, encoding="utf-8")
    result = run_cli("verify", "--site", str(example_output), str(tmp_path / "other.json"))
    text = output_of(result)
    assert result.exit_code == 1, text
    assert "KeyError" not in text and "NotInSite" not in text and "'https://" not in text
    assert f"it is outside the site at {base} (built in {example_output})" in text
    assert "credsite verify fetches nothing from the network" in text


def test_a_bad_key_is_the_message(example_output: Path, tmp_path: Path) -> None:
    result = run_cli("verify", str(example_output), "--key", "garbage")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: --key: not a valid key: the key is 5 bytes, not 32: was the link copied in full?"
    ), result.stderr
    assert "cannot find the built site" not in result.stderr

    key = base64.urlsafe_b64encode(bytes(32)).decode("ascii").rstrip("=")
    result = run_cli("verify", str(example_output), "--key", key)
    assert result.exit_code == 1
    assert f"error: {example_output}: is a folder: --key opens one private credential" in (
        result.stderr
    )
    lone = tmp_path / "lone.json.enc"
    lone.write_bytes(b"x")
    result = run_cli("verify", "--site", str(example_output), str(lone), "--key", key)
    assert result.exit_code == 1, output_of(result)
    assert f"error: {lone}: not in the built site {example_output}" in result.stderr


def test_random_bytes_are_named_for_what_they_are_not(example_output: Path, tmp_path: Path) -> None:
    noise = bytes(range(255))[::-1] * 8  # 0xfe 0xfd ...: neither PNG, UTF-8, JSON nor XML
    png, data, svg = tmp_path / "noise.png", tmp_path / "noise.json", tmp_path / "noise.svg"
    for path in (png, data, svg):
        path.write_bytes(noise)
    (tmp_path / "broken.json").write_text('{"id": 1\n', encoding="utf-8")
    site = str(example_output)

    def verified(path: Path) -> str:
        result = run_cli("verify", "--site", site, str(path))
        assert result.exit_code == 1 and "Traceback" not in output_of(result)
        return result.stdout

    assert f"read: {png}: not a PNG image: it does not start with the PNG signature" in verified(
        png
    )
    assert f"read: {data}: not JSON: not UTF-8 text (byte 0 is 0xfe)" in verified(data)
    assert f"read: {tmp_path / 'broken.json'}:2:1: not JSON: Expecting ',' delimiter" in (
        verified(tmp_path / "broken.json")
    )
    assert "SVG text is not valid" in verified(svg)  # an .svg: that is its problem

    result = run_cli("extract", str(png))
    assert result.exit_code == 1
    assert f"error: {png}: not a PNG image" in result.stderr
    result = run_cli("extract", str(data))
    assert result.exit_code == 1
    assert f"error: {data}: neither a PNG nor an SVG image" in result.stderr
    assert "SVG text" not in result.stderr


def test_extract_names_itself_when_a_file_is_too_large(tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)
    result = run_cli("extract", str(huge))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {huge}: 10,485,761 bytes is larger than the 10 MiB credsite extract reads"
    ), result.stderr


def test_json_nested_too_deep_is_a_failed_read(example_output: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000, encoding="utf-8")
    result = run_cli("verify", "--site", str(example_output), str(deep))
    assert result.exit_code == 1
    assert f"read: {deep}: not JSON: maximum recursion depth exceeded" in result.stdout
    assert "Traceback" not in output_of(result)
