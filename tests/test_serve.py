"""`credsite serve`: live rebuilds on a free port, errors shown while the last good build is
served, nothing recorded or written in the site; and the signature cache a rebuild relies on."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AWARDS, SITE_YAML, build_site, run_cli, tree, write_files
from watchdog.events import FileClosedNoWriteEvent, FileModifiedEvent, FileMovedEvent

import credsite
from credsite import sitelock
from credsite.build import CACHE_DIR
from credsite.commands import serve
from credsite.errors import CredsiteError
from credsite.state.keyfiles import LINKS_SECRET_ENV, LINKS_SECRET_FILE

WAIT = 10.0
"""Upper bound for a rebuild to show (the usual is well under a second): a busy CI is slow."""
AWARDS_FILE = "content/awards/awards.yaml"
ADA_FIRST = AWARDS.replace(
    "  issued: 2026-03-01\n", "  issued: 2026-03-01\n  narrative: First version of the story.\n", 1
)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def epoch(server: serve.Server) -> dict:
    status, text = get(server.url + ".credsite/epoch")
    assert status == 200
    return json.loads(text)


def eventually(check: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def site_files(root: Path) -> dict[str, bytes]:
    """Everything in the site folder except the build cache (the one thing a build may write)
    and the lock file every command holds while it reads or writes the site."""
    return {
        k: v
        for k, v in tree(root).items()
        if not k.startswith(CACHE_DIR + "/") and k != sitelock.NAME
    }


def page_with(server: serve.Server, text: str) -> str:
    """The served credential page (site-relative path) that contains `text`."""
    assert server.current is not None
    for page in sorted((server.current / "credentials").glob("*.html")):
        if text in page.read_text(encoding="utf-8"):
            return page.relative_to(server.current).as_posix()
    raise AssertionError(f"no credential page shows {text!r}")


def test_no_op_rebuild_signs_nothing(make_site) -> None:
    root = make_site()
    first = build_site(root)
    assert first.signed == 3
    second = build_site(root)
    assert second.signed == 0
    assert second.credentials == 3


def test_edit_rebuilds_and_broken_edit_keeps_last_good_build(make_site, tmp_path: Path) -> None:
    root = make_site({AWARDS_FILE: ADA_FIRST})
    logged: list[tuple[str, str]] = []
    before = site_files(root)
    with serve.Server(root, port=0, log=lambda *m: logged.append(m)) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert epoch(server) == {"epoch": 1, "error": None}
        path = page_with(server, "First version of the story.")
        status, html = get(server.url + path)
        assert status == 200 and "First version of the story." in html
        assert serve.EPOCH_PATH in html  # the reload script is in every page
        assert server.current is not None and not server.current.is_relative_to(root)

        # An edit is served at the same address within a second or so. The new files are in
        # place a moment before the build returns and the epoch moves, so wait for both.
        write_files(root, {AWARDS_FILE: ADA_FIRST.replace("First", "Second")})
        assert eventually(
            lambda: epoch(server)["epoch"] >= 2 and "Second version" in get(server.url + path)[1]
        )
        good = epoch(server)
        assert good["epoch"] >= 2 and good["error"] is None

        # A broken edit: the error is reported (located), the last good build stays served.
        write_files(root, {AWARDS_FILE: ADA_FIRST.replace("2026-03-02", "2026-13-45")})
        assert eventually(lambda: epoch(server)["error"] is not None)
        state = epoch(server)
        assert state["epoch"] == good["epoch"]
        assert re.match(
            r"content/awards/awards\.yaml:\d+:\d+: 'issued' must be a date", state["error"]
        )
        status, html = get(server.url + path)
        assert status == 200 and "Second version" in html
        assert ("error", state["error"]) in logged

        # Fixed: a new good build, no error.
        write_files(root, {AWARDS_FILE: ADA_FIRST.replace("First", "Third")})
        assert eventually(
            lambda: epoch(server)["error"] is None and "Third version" in get(server.url + path)[1]
        )
        fixed = epoch(server)
        assert fixed["epoch"] > good["epoch"] and fixed["error"] is None
        temporary = server.current.parent
    assert not temporary.exists()  # stop() removes the temporary folder
    # Nothing recorded and nothing written in the site (no lockfile, no _site, no cache).
    assert not (root / "credsite.lock").exists()
    assert not (root / "_site").exists()
    for cache_file in ("proofs.json", "sites"):  # its caches are temporary too
        assert not (root / ".credsite-cache" / cache_file).exists()
    after = site_files(root)
    assert after.keys() == before.keys()


def test_a_rebuild_makes_only_what_the_edit_changed(make_site) -> None:
    """Every preview builds into the same folder with its own build cache: after an edit to one
    award's narrative, the rebuild signs that award's credential again and writes only its
    files (its JSON, proof, page, baked images and OB 2.0 copies); the rest is kept. The pages on disk are the
    site's own (the reload script is added as each page is served, with the build's number)."""
    root = make_site({AWARDS_FILE: ADA_FIRST})
    with serve.Server(root, port=0, log=lambda *m: None) as server:
        first = server.last_result
        assert first is not None and first.written == first.files
        path = page_with(server, "First version of the story.")
        assert server.current is not None
        on_disk = (server.current / path).read_text(encoding="utf-8")
        assert serve.EPOCH_PATH not in on_disk
        status, served = get(server.url + path)
        assert status == 200 and served == serve.with_reload(on_disk.encode(), 1).decode()
        builds = server.builds
        write_files(root, {AWARDS_FILE: ADA_FIRST.replace("First", "Second")})
        assert server.wait_for_build(WAIT, since=builds)
        second = server.last_result
        assert second is not None and second is not first and server.error is None
        assert second.files == first.files
        assert second.signed == 1
        assert 0 < second.written <= 8 < second.files
        status, served = get(server.url + path)
        assert "Second version of the story." in served
        assert f"var epoch = {epoch(server)['epoch']}," in served
        # a page missing for a moment (a rebuild swapping the folder): it still reloads itself
        (server.current / "404.html").unlink()
        status, served = get(server.url + "no/such/page.html")
        assert status == 404 and serve.EPOCH_PATH in served


def test_a_preview_keeps_its_private_credentials_from_one_rebuild_to_the_next(
    make_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site with a key of its own and no private-links secret here (CI keeps it): a preview
    encrypts private credentials with a throwaway secret, the same in every rebuild of the
    session, so an edit elsewhere keeps their files (and the preview links keep opening)."""
    monkeypatch.delenv(LINKS_SECRET_ENV, raising=False)
    private = ADA_FIRST.replace(
        "  email: grace.hopper@example.org\n",
        "  email: grace.hopper@example.org\n  visibility: private\n",
    )
    site_yaml = SITE_YAML.replace("demo_key: true\n", "") + "clr: true\n"
    root = make_site({"site.yaml": site_yaml, AWARDS_FILE: private})
    assert run_cli("keys", "generate", "-C", str(root)).exit_code == 0
    logged: list[tuple[str, str]] = []
    with serve.Server(root, port=0, log=lambda *m: logged.append(m)) as server:
        assert server.error is None and server.current is not None
        # what `credsite build` says it built, private credentials and records too
        assert any(
            text.startswith("Built 3 credentials (3 active; 1 private (encrypted)) and 2 learner "
                            "records, ")
            for _, text in logged
        ), logged  # fmt: skip
        sealed = {f: f.read_bytes() for f in server.current.rglob("*.enc")}
        assert sealed  # Grace's credential, encrypted with the preview's secret
        builds = server.builds
        write_files(root, {AWARDS_FILE: private.replace("First", "Second")})
        assert server.wait_for_build(WAIT, since=builds)
        assert server.last_result is not None and server.last_result.private == 1
        assert {f: f.read_bytes() for f in server.current.rglob("*.enc")} == sealed
    assert not (root / "keys" / LINKS_SECRET_FILE).exists()  # a preview never makes one


def test_the_reload_script_goes_at_the_end_of_the_head() -> None:
    page = b"<!doctype html><html><head><title>t</title></head><body>b</body></html>"
    script = serve.reload_script(7).encode()
    assert serve.with_reload(page, 7) == page.replace(b"</head>", script + b"</head>")
    upper = page.replace(b"</head>", b"</HEAD>")
    assert serve.with_reload(upper, 7) == upper.replace(b"</HEAD>", script + b"</HEAD>")
    # no head (a theme's own page): at the end, never before the doctype (quirks mode)
    assert serve.with_reload(b"<p>x</p>", 7) == b"<p>x</p>" + script


def test_lockfile_is_never_written(make_site, tmp_path: Path) -> None:
    root = make_site()
    build_site(root, output_dir=str(tmp_path / "published"))
    lock = root / "credsite.lock"
    recorded = lock.read_bytes()
    mtime = lock.stat().st_mtime_ns
    with serve.Server(root, port=0, log=lambda *m: None) as server:
        builds = server.builds
        more = "- achievement: mentor\n  name: New Person\n  email: new.person@example.org\n"
        write_files(root, {"content/awards/more.yaml": more})
        assert server.wait_for_build(WAIT, since=builds)
        assert eventually(lambda: getattr(server.last_result, "credentials", 0) == 4)
        assert server.last_result is not None
        assert server.last_result.minted  # minted in memory for the preview only
        assert not server.last_result.lockfile_written
    assert lock.read_bytes() == recorded and lock.stat().st_mtime_ns == mtime
    assert not (root / "_site").exists()


def test_broken_site_starts_and_shows_the_problem(make_site) -> None:
    root = make_site({AWARDS_FILE: AWARDS.replace("teamwork", "temwork", 1)})
    with serve.Server(root, port=0, log=lambda *m: None) as server:
        assert server.current is None
        status, html = get(server.url)
        assert status == 503
        assert "content/awards/awards.yaml:1:" in html and "unknown achievement" in html
        assert serve.EPOCH_PATH in html  # reloads itself once the site builds
        write_files(root, {AWARDS_FILE: AWARDS})
        assert eventually(lambda: get(server.url)[0] == 200)
        assert epoch(server)["error"] is None
        assert get(server.url + "no/such/page.html")[0] == 404


def test_which_changes_rebuild(make_site) -> None:
    root = make_site().resolve()
    server = serve.Server(root, port=0)
    server._observer = object()  # let _update_watches compute what is watched without a thread

    def modified(rel: str) -> bool:
        return server.relevant(FileModifiedEvent(str(root / rel)))

    assert modified("site.yaml")
    assert modified("content/awards/awards.yaml")
    assert modified("content/images/logo.png")
    assert modified("themes/default/templates/base.html")
    assert modified("credsite.lock")  # a `credsite build` in another terminal
    assert not modified(".credsite-cache/proofs.json")
    assert not modified("_site/index.html")
    assert not modified("_site.staging/index.html")
    assert not modified("README.md")
    for temp in ("awards.yaml~", ".awards.yaml.swp", "#awards.yaml#", ".#awards.yaml", "4913"):
        assert not modified(f"content/awards/{temp}"), temp
    assert not server.relevant(FileClosedNoWriteEvent(str(root / "content/awards/awards.yaml")))
    # Editors that save by renaming a temporary file over the original.
    assert server.relevant(
        FileMovedEvent(str(root / "content/awards/.awards.yaml.tmp"), str(root / AWARDS_FILE))
    )


def test_busy_port_is_a_user_error(make_site) -> None:
    root = make_site()
    with serve.Server(root, port=0, log=lambda *m: None) as first:
        port = int(first.url.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(CredsiteError, match=f"cannot serve on 127.0.0.1:{port}"):
            serve.Server(root, port=port, log=lambda *m: None).start()


def test_serving_beyond_this_computer_is_said(make_site) -> None:
    """--host 0.0.0.0 (or '') lets anyone who reaches the machine open the preview."""
    root = make_site()
    for host, warned in (("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True), ("", True)):
        logged: list[tuple[str, str]] = []
        with serve.Server(root, host=host, port=0, log=lambda *m, into=logged: into.append(m)) as s:
            assert s.url.startswith("http://127.0.0.1:")  # an address this computer opens
        said = [m for level, m in logged if level == "warning" and "not on this computer" in m]
        assert bool(said) is warned, (host, logged)


def test_not_a_site(tmp_path: Path) -> None:
    with pytest.raises(CredsiteError, match=r"no site\.yaml"):
        serve.Server(tmp_path, port=0).start()


def cli_serve(root: Path, env: dict[str, str] | None = None, **options: Any) -> Any:
    """`credsite serve --port 0` on `root` in a process of its own (stdout piped, as text);
    `env`: variables to set besides this one's."""
    return subprocess.Popen(
        [sys.executable, "-m", "credsite", "serve", "--port", "0", "-C", str(root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(credsite.__file__).parents[1]), **(env or {})},
        **options,
    )


def test_cli_serve_prints_the_url_and_stops_on_ctrl_c(make_site) -> None:
    root = make_site()
    process = cli_serve(
        root,
        stderr=subprocess.PIPE,
        # Ctrl-C as in a terminal, even when these tests run in the background (`pytest &`),
        # where the shell has the processes it starts ignore SIGINT and they would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = None
        assert process.stdout is not None
        for line in process.stdout:
            if match := re.search(r"http://127\.0\.0\.1:\d+/", line):
                url = match.group(0)
                break
        assert url, process.stderr.read() if process.stderr else ""
        assert get(url)[0] == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_a_killed_previews_folder_is_removed_by_the_next(tmp_path: Path) -> None:
    """Only this user's preview folders whose serve is gone: a running preview's folder (its
    session file locked), one being started and a folder without a session file stay."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    running, running_fd = serve.session_folder(tmp)
    killed, killed_fd = serve.session_folder(tmp)
    (killed / "site").mkdir()
    (killed / "site" / "index.html").write_text("old", encoding="utf-8")
    os.close(killed_fd)  # what the kernel does when its process is killed
    starting = tmp / f"{serve.SESSION_PREFIX}starting"  # locked as session_folder locks it
    starting.mkdir()
    starting_fd = os.open(starting / f"{serve.SESSION_FILE}.starting", os.O_RDWR | os.O_CREAT)
    fcntl.flock(starting_fd, fcntl.LOCK_EX)
    killed_starting = tmp / f"{serve.SESSION_PREFIX}killed-starting"  # its lock gone with it
    killed_starting.mkdir()
    (killed_starting / f"{serve.SESSION_FILE}.starting").write_text("", encoding="utf-8")
    (killed_starting / "site").mkdir()
    older = tmp / f"{serve.SESSION_PREFIX}older"  # a credsite before session files
    older.mkdir()
    (tmp / f"{serve.SESSION_PREFIX}file").write_text("not a folder", encoding="utf-8")
    mine, mine_fd = serve.session_folder(tmp)
    try:
        assert not killed.exists() and not killed_starting.exists()
        assert running.is_dir() and starting.is_dir() and older.is_dir() and mine.is_dir()
        assert (tmp / f"{serve.SESSION_PREFIX}file").is_file()
        assert serve.remove_abandoned(tmp) == []  # every session left is held
    finally:
        os.close(running_fd)
        os.close(mine_fd)
        os.close(starting_fd)
    assert sorted(serve.remove_abandoned(tmp)) == sorted([running, mine, starting])


def test_serve_killed_with_kill_9_leaves_nothing_after_the_next_serve(
    make_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = cli_serve(root, stderr=subprocess.DEVNULL, env={"TMPDIR": str(tmp)})
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "http://127.0.0.1:" in line:
                break
        (left,) = tmp.glob(f"{serve.SESSION_PREFIX}*")
        assert (left / "site" / "index.html").is_file()
    finally:
        process.kill()
        process.wait()
    assert left.is_dir()  # kill -9: nothing could clean up
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    with serve.Server(root, port=0):
        assert not left.exists()
        (mine,) = tmp.glob(f"{serve.SESSION_PREFIX}*")
    assert not mine.exists()


def files_with_times(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_preview_starts_from_the_sites_last_build_and_never_writes_it(
    make_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its first build after `credsite build` makes, signs and draws nothing (its output folder
    and cache start as hard links to the site's); an edit then makes only what it changed, in
    the preview alone: the site's output and cache are left as they were, byte for byte."""
    from credsite.website import render

    root = make_site()
    assert build_site(root).signed == 3
    site_cache, site_output = root / CACHE_DIR, root / "_site"
    before = files_with_times(site_cache), files_with_times(site_output)
    assert any(name.startswith("images/") for name in before[0])
    rendered: list[str] = []
    render_page = render.render

    def counted(theme: Any, template: str, path: str, context: Any) -> str:
        rendered.append(path)
        return render_page(theme, template, path, context)

    monkeypatch.setattr(render, "render", counted)
    with serve.Server(root, port=0, log=lambda *m: None) as server:
        first = server.last_result
        assert first is not None and server.error is None
        assert first.signed == 0 and first.written == 0 and first.files == len(before[1])
        # not even made again to the same bytes: its own output folder is not what a page says
        assert rendered and not any(p.startswith("credentials/") for p in rendered), rendered
        assert server._tmp is not None
        preview_images = {p.name for p in (server._tmp / "cache" / "images").iterdir()}
        assert preview_images == {p.name for p in (site_cache / "images").iterdir()}  # none new
        builds = server.builds
        write_files(root, {AWARDS_FILE: AWARDS.replace("Ada", "Adah", 1)})
        assert server.wait_for_build(WAIT, since=builds)
        second = server.last_result
        assert second is not None and second.signed == 1 and 0 < second.written < second.files
        page_with(server, "Adah Lovelace")  # the edit is in the preview
    assert (files_with_times(site_cache), files_with_times(site_output)) == before


def test_a_preview_on_another_file_system_makes_every_file(
    make_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hard link can be made: the preview builds its own site whole, as before."""
    from credsite.website import output

    def cross_device(*args: object, **options: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    root = make_site()
    build_site(root)
    before = files_with_times(root / "_site")
    monkeypatch.setattr(output, "_hard_link", cross_device)
    monkeypatch.setattr(os, "link", cross_device)  # the cache is copied instead
    with serve.Server(root, port=0, log=lambda *m: None) as server:
        first = server.last_result
        assert first is not None and server.error is None and first.signed == 0
        assert first.written == first.files == len(before)
        assert server._tmp is not None
        copied = list((server._tmp / "cache" / "images").iterdir())
        assert copied and all(p.stat().st_nlink == 1 for p in copied)
    assert files_with_times(root / "_site") == before
