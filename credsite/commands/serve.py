"""`credsite serve`: build into a temporary folder, serve it on localhost, rebuild on every change.

Owns watchdog. The preview is the real `build.build` (there is no second build path),
called with ``record=False`` so the lockfile is never written, and with an output folder and a
build cache inside a temporary folder, so nothing in the site folder is written.
Each rebuild holds the site's lock shared (`credsite.sitelock`, taken by `build.build` itself):
previews never wait for each other, and never read the site while a build or a revoke changes it.

Awards not yet in the lockfile get a credential token, salt and status index in memory only; a
random source seeded once per session and a clock fixed at its start keep those stable from one
rebuild to the next, so a preview page of a new award keeps its address while you edit it. They
change when ``credsite build`` records the award for real.

Every preview builds into the same folder with a build cache of its own, so a rebuild after an
edit makes, signs and writes only what the edit changed, as ``credsite build`` does: on a site of
thousands of awards, seconds rather than a whole build. The preview starts from the site's last build
(`build.seed_preview`: its output folder and the shareable part of its cache, hard-linked): the
first preview after a build makes, signs and draws only what differs from it.

How the page reloads (MkDocs' livereload idea, without a websocket): the server adds a small
script to every page as it serves it (the built pages are the site's own, the same from one
build to the next); the script polls ``/.credsite/epoch``, answered by the server itself (it is
not a file in the output). The answer is the number of the last good build and the text of the
last build's errors, if any. A number other than the one the page was served with reloads the
page; errors are shown over the page, which stays the last good build.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.server
import io
import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from credsite import build as build_module
from credsite.content import config as site_config
from credsite.errors import CredsiteError
from credsite.sitelock import site_lock
from credsite.state.lockfile import system_clock

EPOCH_PATH = "/.credsite/epoch"
DEBOUNCE = 0.2
"""Seconds without a change before a rebuild: editors save in bursts (temp file, rename, chmod)."""

# What a change event is about, by file name: editors' swap, backup and lock files never
# trigger a rebuild (Zola's `is_temp_file`), nor do the atomic-write temp files of credsite.
_TEMP_SUFFIXES = (
    "~",
    ".swp",
    ".swo",
    ".swx",
    ".swpx",
    ".tmp",
    ".temp",
    ".bak",
    ".part",
    ".crdownload",
)
_TEMP_NAMES = ("4913", ".DS_Store", "Thumbs.db")
_WATCHED_TYPES = ("created", "modified", "deleted", "moved")
"""Not 'opened' or 'closed_no_write': the build reads every file, which must not rebuild again."""

SESSION_PREFIX = "credsite-serve-"
"""The temporary folders of previews: ``$TMPDIR/credsite-serve-XXXXXXXX``."""
SESSION_FILE = ".session"
"""In a preview's temporary folder: locked (`fcntl.flock`) by its serve for as long as it runs.
The kernel lets go of the lock when the process ends, even on kill -9, so the next serve can
tell the folders of previews that were killed (their lock free) and remove them."""


_SESSION_NAMES = (SESSION_FILE, f"{SESSION_FILE}.starting")


def session_folder(tmp: Path | None = None) -> tuple[Path, int]:
    """A new temporary folder for a preview and its `SESSION_FILE`, open and locked; the folders
    killed previews left in `tmp` (the system's temporary folder) are removed first."""
    tmp = Path(tmp or tempfile.gettempdir())
    remove_abandoned(tmp)
    folder = Path(tempfile.mkdtemp(prefix=SESSION_PREFIX, dir=tmp))
    # Locked before it has its name: another serve never finds it there unlocked.
    starting = folder / f"{SESSION_FILE}.starting"
    fd = os.open(starting, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(starting, folder / SESSION_FILE)
    except OSError:
        os.close(fd)
        remove_session(folder)
        raise
    return folder, fd


def remove_session(folder: Path) -> None:
    """Remove a preview's folder, its session file last: a removal cut short (the process
    killed) leaves a folder the next serve still knows for a preview's and removes."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name in _SESSION_NAMES:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(tmp: Path) -> list[Path]:
    """Remove the preview folders in `tmp` whose serve is no longer running: this user's
    folders whose `SESSION_FILE` nobody holds locked. A folder without one (from a credsite
    before it, or another program's) is left alone. Returns those removed."""
    removed: list[Path] = []
    try:
        candidates = sorted(tmp.glob(SESSION_PREFIX + "*"))
    except OSError:
        return removed
    for folder in candidates:
        try:
            info = os.lstat(folder)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        for name in _SESSION_NAMES:  # its session file, or the one it was starting with
            try:
                fd = os.open(folder / name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                break  # its serve is running (or starting)
            else:
                remove_session(folder)
                removed.append(folder)
                break
            finally:
                os.close(fd)
    return removed


Log = Callable[[str, str], None]
"""log(level, message); level is 'info', 'warning' or 'error'."""


def is_temp_file(name: str) -> bool:
    return (
        name.endswith(_TEMP_SUFFIXES)
        or name in _TEMP_NAMES
        or name.startswith((".#", "~$"))
        or (name.startswith("#") and name.endswith("#"))
        or (name.startswith(".") and name.endswith((".tmp", ".swp")))
    )


def _stderr_log(level: str, message: str) -> None:
    import sys

    print(f"{level}: {message}" if level != "info" else message, file=sys.stderr)


class Server:
    """A preview server: `start()`, then `url`; `stop()` ends it and removes its folder.

    Usable from tests: `wait_for_build(timeout, since=builds)` waits for the next rebuild, and
    `epoch` / `error` say what the browser's script would see.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        delay: float = DEBOUNCE,
        log: Log = _stderr_log,
        build_options: dict[str, Any] | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.host = host
        self.port = port
        self.delay = delay
        self.log = log
        self.build_options = build_options or {}
        self.epoch = 0
        """Number of the last good build (0: none yet)."""
        self.error: str | None = None
        """The located problems of the last build, if it failed."""
        self.builds = 0
        """Builds finished, good or not."""
        self.current: Path | None = None
        """The folder being served: the output of the last good build (every build writes
        the same folder, each file kept, moved in or swapped in as `credsite build` does)."""
        self.last_result: build_module.BuildResult | None = None
        self._cond = threading.Condition()
        self._pending = False
        self._last_change = 0.0
        self._stopping = False
        self._seed = secrets.randbits(64)
        self._preview_secret = secrets.token_bytes(32)
        """The private-links secret of the session's previews where the site has none here: the
        same in every rebuild, so that a rebuild keeps the pages it made and a private
        credential's preview link keeps opening."""
        started = system_clock()
        self._clock = lambda: started
        self._tmp: Path | None = None
        self._session: int | None = None
        """The open `SESSION_FILE` of `_tmp`, locked for as long as this preview runs."""
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._observer: Any = None
        self._watches: dict[Path, Any] = {}
        self._folders, self._root_names = self._watched()
        self._threads: list[threading.Thread] = []

    # -- life cycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host = str(self._httpd.server_address[0])
        if host in ("0.0.0.0", "::"):  # every address: this computer opens it at its own
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{self._httpd.server_address[1]}/"

    def start(self, progress: build_module.Progress | None = None) -> None:
        """Build once (reporting to `progress`), then serve and watch. A broken site still starts
        (its page shows why)."""
        if not (self.root / "site.yaml").is_file():
            site_config.load(self.root)  # raises the usual "no site.yaml ... credsite init" error
        self._tmp, self._session = session_folder()
        try:
            self._httpd = _bind(self, self.host, self.port)
            with site_lock(self.root, shared=True):  # not while a build changes them
                build_module.seed_preview(self.root, self._tmp / "site", self._tmp / "cache")
            self._build_once(progress)
            self._observer = Observer()
            self._observer.daemon = True
            self._update_watches()
            self._observer.start()
            httpd = self._httpd
            for target, name in (
                (lambda: httpd.serve_forever(poll_interval=0.1), "http"),
                (self._loop, "builder"),
            ):
                thread = threading.Thread(target=target, name=f"credsite-serve-{name}", daemon=True)
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                self._observer.join(timeout=5)
        if self._httpd is not None:
            if self._threads:
                self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=30)  # a build in progress finishes first
        self._threads = []
        if self._tmp is not None:
            remove_session(self._tmp)
            self._tmp = None
        if self._session is not None:
            os.close(self._session)  # its lock with it
            self._session = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_build(self, timeout: float, since: int | None = None) -> bool:
        """Wait until a build after the `since`-th has finished and no change is pending.

        `since` defaults to the builds finished at the call. True if one finished in time.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            since = self.builds if since is None else since
            while self.builds <= since or self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def changed(self) -> None:
        """Note a change: the builder rebuilds once `delay` passes with no further change."""
        with self._cond:
            self._pending = True
            self._last_change = time.monotonic()
            self._cond.notify_all()

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {"epoch": self.epoch, "error": self.error}

    # -- building ------------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping:
                    if not self._pending:
                        self._cond.wait()
                        continue
                    remaining = self._last_change + self.delay - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._stopping:
                    return
                self._pending = False
            self._build_once()
            self._update_watches()

    def _build_once(self, progress: build_module.Progress | None = None) -> None:
        assert self._tmp is not None
        target = self._tmp / "site"
        try:
            result = build_module.build(
                self.root,
                **{
                    "clock": self._clock,
                    **self.build_options,
                    "output_dir": str(target),
                    "cache_dir": self._tmp / "cache",
                    "record": False,
                    "preview_secret": self._preview_secret,
                    "locked": False,
                    "rng": random.Random(self._seed),
                    "strict": False,  # a preview shows warnings; it never fails on them
                    "progress": progress,
                },
            )
        except CredsiteError as exc:
            self._failed("\n".join(str(p) for p in exc.problems), len(exc.problems))
            return
        except Exception:
            self._failed(
                "credsite crashed (this is a bug in credsite):\n" + traceback.format_exc(), 1
            )
            return
        for warning in result.warnings:
            if warning not in result.said_before:  # said by an earlier preview, unchanged
                self.log("warning", str(warning))
        self.log(
            "info",
            f"Built {result.what_was_built()}, {result.signed} signed, in {result.seconds:.1f} s.",
        )
        with self._cond:
            self.current = target
            self.epoch += 1
            self.error = None
            self.last_result = result
            self.builds += 1
            self._cond.notify_all()

    def _failed(self, text: str, count: int) -> None:
        for line in text.splitlines():
            self.log("error", line)
        kept = "still serving the last good build" if self.current else "nothing to serve yet"
        self.log(
            "info",
            f"{count} problem{'s' if count != 1 else ''}; {kept}. Fix and save to rebuild.",
        )
        with self._cond:
            self.error = text
            self.builds += 1
            self._cond.notify_all()

    # -- watching ------------------------------------------------------------------------------

    def _watched(self) -> tuple[list[Path], set[str]]:
        """Folders watched recursively, and the names that matter directly in the site folder."""
        try:
            config = site_config.load(self.root)
        except CredsiteError:  # a broken site.yaml: watch the usual places until it is fixed
            folders = [self.root / "content", self.root / "themes", self.root / "keys"]
            return folders, {"site.yaml", "credsite.lock", "content", "themes", "keys"}
        folders = [config.content_dir, self.root / "themes", config.keys_dir]
        names = {"site.yaml"}
        names |= {p.relative_to(self.root).parts[0] for p in folders if p.is_relative_to(self.root)}
        if config.lockfile_path.parent.resolve() == self.root:
            names.add(config.lockfile_path.name)  # `credsite build` run in another terminal
        return [f.resolve() for f in folders], names

    def _update_watches(self) -> None:
        if self._observer is None:
            return
        self._folders, self._root_names = self._watched()
        wanted = {self.root: False} | {
            f: True for f in self._folders if f.is_dir() and f != self.root
        }
        handler = _Handler(self)
        for path in list(self._watches):
            if path not in wanted:
                with contextlib.suppress(Exception):
                    self._observer.unschedule(self._watches.pop(path))
        for path, recursive in wanted.items():
            if path not in self._watches:
                with contextlib.suppress(OSError):
                    self._watches[path] = self._observer.schedule(
                        handler, str(path), recursive=recursive
                    )

    def relevant(self, event: FileSystemEvent) -> bool:
        """Whether a file event should rebuild the site."""
        if event.event_type not in _WATCHED_TYPES:
            return False
        if event.is_directory and event.event_type == "modified":
            return False  # a file inside changed: that file's own event counts
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        return any(self._relevant_path(Path(_text(p))) for p in paths if p)

    def _relevant_path(self, path: Path) -> bool:
        if is_temp_file(path.name):
            return False
        if path.parent == self.root:
            return path.name in self._root_names
        return any(path.is_relative_to(folder) for folder in self._folders)


def _text(path: str | bytes) -> str:
    return path.decode("utf-8", "replace") if isinstance(path, bytes) else path


class _Handler(FileSystemEventHandler):
    def __init__(self, server: Server) -> None:
        self.server = server

    def on_any_event(self, event: FileSystemEvent) -> None:
        if self.server.relevant(event):
            self.server.changed()


# -- HTTP --------------------------------------------------------------------------------------


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait for a browser's open connection on stop
    preview: Server


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


def _bind(preview: Server, host: str, port: int) -> _HTTPServer:
    try:
        httpd = (_HTTPServer6 if ":" in host else _HTTPServer)((host, port), _RequestHandler)
    except OSError as exc:
        hint = ": try another port, or --port 0 for any free one" if port else ""
        raise CredsiteError(f"cannot serve on {host}:{port}: {exc.strerror}{hint}") from None
    httpd.preview = preview
    if not _loopback(str(httpd.server_address[0])):
        preview.log(
            "warning",
            f"serving on {host or 'every address'}, not on this computer alone: anyone who can "
            "reach it can open the preview, its credentials and learner records (give no "
            "--host to serve on 127.0.0.1)",
        )
    return httpd


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.partition("%")[0]).is_loopback
    except ValueError:
        return False


class _RequestHandler(http.server.SimpleHTTPRequestHandler):
    server: _HTTPServer

    def __init__(self, request: Any, client_address: Any, server: _HTTPServer) -> None:
        # None until the first good build
        folder = server.preview.current or server.preview.root / "nonexistent"
        super().__init__(request, client_address, server, directory=str(folder))

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == EPOCH_PATH:
            self._send(200, "application/json", json.dumps(self.server.preview.status()))
            return
        if self.server.preview.current is None:
            self._send(503, "text/html; charset=utf-8", _waiting_page(self.server.preview))
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        if self.server.preview.current is None:
            self.send_error(503)
            return
        super().do_HEAD()

    def send_head(self) -> Any:
        """A page (``.html``, or a folder's ``index.html``) with the reload script added, as
        `_RequestHandler.do_GET` sends it; anything else as the standard handler does."""
        found = self.translate_path(self.path)
        if os.path.isdir(found) and self.path.split("?", 1)[0].endswith("/"):
            found = os.path.join(found, "index.html")
        if not found.endswith(".html") or not os.path.isfile(found):
            return super().send_head()
        try:
            data = with_reload(Path(found).read_bytes(), self.server.preview.epoch)
        except OSError:  # replaced by a rebuild a moment ago
            self.send_error(404)
            return None
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(found))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.server.preview.current and self.server.preview.current / "404.html"
        if code == 404 and page and self.command == "GET":
            try:  # none, or replaced by a rebuild a moment ago: a page that reloads all the same
                data = page.read_bytes()
            except OSError:
                data = b"<!doctype html><title>Not found</title><p>Not found.</p>"
            self._send(404, self.guess_type(str(page)), with_reload(data, self.server.preview.epoch))
            return
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _send(self, code: int, content_type: str, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the page polls several times a second: no request log


def _waiting_page(preview: Server) -> str:
    import html

    error = preview.error or "Building..."
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>credsite preview</title>"
        f"{reload_script(preview.epoch)}</head><body><h1>credsite preview</h1>"
        "<p>The site has not built yet:</p>"
        f"<pre>{html.escape(error)}</pre></body></html>"
    )


def reload_script(epoch: int) -> str:
    """What `serve` adds to every page's head as it serves it: poll the epoch, reload, show
    errors."""
    return _SCRIPT.replace("EPOCH", str(int(epoch))).replace("URL", EPOCH_PATH)


def with_reload(page: bytes, epoch: int) -> bytes:
    """`page` with `reload_script` at the end of its head (at the end of the page, if a theme's
    page has no ``</head>``: the script waits for the page either way)."""
    script = reload_script(epoch).encode("utf-8")
    head_end = page.lower().find(b"</head>")
    if head_end < 0:
        return page + script
    return page[:head_end] + script + page[head_end:]


_SCRIPT = """<script>
(function () {
  var epoch = EPOCH, box = null;
  function show(error) {
    if (!error) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "credsite-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0 0 auto 0;max-height:70vh;overflow:auto;" +
        "z-index:2147483647;margin:0;padding:1em 1.5em;background:#fff0f0;color:#600;" +
        "border-bottom:4px solid #c00;font:14px/1.4 ui-monospace,monospace;white-space:pre-wrap";
      (document.body || document.documentElement).appendChild(box);
    }
    box.textContent = "credsite: the last change does not build; this is the last good " +
      "build. Fix and save to rebuild.\\n\\n" + error;
  }
  function poll() {
    fetch("URL", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.epoch !== epoch) { location.reload(); return; }
      show(s.error);
      setTimeout(poll, 300);
    }, function () { setTimeout(poll, 1000); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", poll);
  } else { poll(); }
})();
</script>"""


def serve(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log: Log = _stderr_log,
    on_ready: Callable[[Server], None] | None = None,
    progress: Callable[[], AbstractContextManager[build_module.Progress | None]] | None = None,
) -> None:
    """Run a preview server until Ctrl-C (or SIGTERM), then remove its temporary folder.

    `progress` opens what the first build (the long one) reports its progress to."""
    server = Server(root, host=host, port=port, log=log)
    log("info", f"Building a preview of {server.root} ...")
    if progress is None:
        server.start()
    else:
        with progress() as report:
            server.start(report)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        log("info", f"Serving {server.root} at {server.url} (preview only: nothing is recorded).")
        log("info", "Watching for changes; press Ctrl-C to stop.")
        if on_ready is not None:
            on_ready(server)
        stop = threading.Event()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        log("info", "Stopping.")
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
