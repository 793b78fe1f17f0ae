"""The ``credsite`` command: thin callers of build, verify and friends.

Owns click and rich. A `CredsiteError` is printed as located problems with exit
status 1 and no traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from credsite import __version__
from credsite.errors import CredsiteError, Problem, StrictError

if TYPE_CHECKING:
    from credsite.build import BuildResult

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

LABELS = {"error": "[bold red]error:[/]", "warning": "[yellow]warning:[/]"}


def _written(result: BuildResult) -> str:
    """'all written', '12 written, the others unchanged' or 'none written: unchanged'."""
    if result.written == result.files:
        return "all written"
    if not result.written:
        return "none written: unchanged"
    return f"{result.written} written, the others unchanged"


def print_problem(label: str, problem: Problem | str) -> None:
    """``error: path:line:col: message`` (or ``warning: ...``) on stderr, the text unstyled and
    its control characters shown as escapes: a message may quote what the user typed (an id
    holding ESC [31m recoloured the terminal)."""
    err.print(LABELS[label], escape(str(problem).translate(_SHOWN_CONTROLS)), emoji=False)


_SHOWN_CONTROLS = {
    code: f"\\x{code:02x}"
    for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))
    if chr(code) not in "\t\n"
}
"""The control characters a message cannot print as they are (lines and tabs it may hold)."""


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except CredsiteError as exc:
        for problem in exc.problems:
            print_problem(exc.label, problem)
        count = len(exc.problems)
        if isinstance(exc, StrictError):
            err.print(
                f"{count} warning{'s' if count != 1 else ''} and --strict; nothing was written."
            )
        else:
            err.print(f"{count} problem{'s' if count != 1 else ''}; nothing was written.")
        sys.exit(exc.exit_code)


def find_site(start: Path) -> Path | None:
    """The nearest folder holding site.yaml: `start` or one above it, as git finds .git."""
    start = start.absolute()
    for folder in (start, *start.parents):
        if (folder / "site.yaml").is_file():
            return folder
    return None


def _site_folder(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    """-C DIR as given; otherwise the current folder, or the nearest one above it with site.yaml."""
    if value is not None:
        return value
    here = Path.cwd()
    if (here / "site.yaml").is_file():
        return Path(".")
    found = find_site(here)
    if found is None:
        with user_errors():
            raise CredsiteError(
                f"no site.yaml in {here} or any folder above it: run credsite in a site folder "
                "(or name one with -C DIR), or create one with 'credsite init DIR'"
            )
    ctx.meta["credsite.site_above"] = True
    return found


site_option = click.option(
    "-C",
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    callback=_site_folder,
    help="The site folder (the one holding site.yaml). Default: the current folder, or the "
    "nearest folder above it that holds site.yaml.",
)

COMMAND_ORDER = (
    "init", "serve", "build", "verify", "list", "roster", "notify", "report", "revoke", "suspend",
    "reinstate", "withdraw", "restore", "endorse", "endorsement", "keys", "extract", "move",
    "upgrade",
)  # fmt: skip
"""The order `credsite --help` lists commands in: the order a coordinator meets them."""


class _Commands(click.Group):
    """A group that lists its commands in working order, each with its whole first sentence.

    click sorts commands by name and cuts their summaries to the terminal's width.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        known = [name for name in COMMAND_ORDER if name in self.commands]
        return known + sorted(name for name in self.commands if name not in COMMAND_ORDER)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)
@click.version_option(__version__, prog_name="credsite")
def cli() -> None:
    """Build a static site of signed Open Badges credentials from YAML.

    \b
    Typical use, in a site folder:
        credsite build            sign every credential and write the site to _site/
        credsite verify _site     check every credential there, offline
    """


@cli.command()
@site_option
@click.option("-o", "--output", help="Write the site here instead of site.yaml's 'output'.")
@click.option(
    "--locked", is_flag=True, help="Refuse to record anything new in credsite.lock (for CI)."
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on any warning: exit 1 and write nothing (for CI).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("--no-cache", is_flag=True, help="Sign everything again, ignoring the cache.")
@click.option(
    "--new-site",
    is_flag=True,
    help="A genuinely new start: mint every credential although credsite.lock is missing and "
    "the site shows signs of having issued before. Never for a site that was published.",
)
def build(
    site_dir: Path,
    output: str | None,
    locked: bool,
    strict: bool,
    quiet: bool,
    no_cache: bool,
    new_site: bool,
) -> None:
    """Sign every credential and write the static site.

    Nothing is written unless the whole site builds: on any problem the previous output and
    credsite.lock are left exactly as they were. Warnings are printed once each, located like
    errors (a note that stays true until the site changes only when it is new); with --strict any
    warning is a problem too. The output folder is replaced only if credsite made it or it is
    empty. A build refuses a url other than the one
    credsite.lock records (see 'credsite move'), and refuses to mint every credential anew when
    credsite.lock is lost but the site issued before (restore it; see --new-site).
    """
    from credsite.build import build as run_build

    if output and click.get_current_context().meta.get("credsite.site_above"):
        output = str(Path.cwd() / output)  # a path typed in a subfolder is relative to it
    with user_errors(), _progress(quiet) as progress:
        result = run_build(
            site_dir,
            output_dir=output,
            locked=locked,
            strict=strict,
            progress=progress,
            use_cache=not no_cache,
            new_site=new_site,
        )
    for warning in result.warnings:
        if warning not in result.said_before:
            print_problem("warning", warning)
    from credsite.commands import vendor

    if drift := vendor.drift(site_dir):
        err.print("[yellow]warning:[/]", escape(drift), emoji=False)
    if result.demo_key and not quiet:
        err.print(
            "[yellow]warning:[/] signed with credsite's PUBLIC demo key (demo_key: true): "
            "fine for an example, worthless for real credentials.",
            emoji=False,
        )
    if quiet:
        return
    out.print(
        f"Built {result.what_was_built()} into {result.output_dir}: {result.files} files "
        f"({_written(result)}), {result.bytes / 1024:.0f} KiB, "
        f"{result.signed} signed, in {result.seconds:.1f} s."
    )
    if result.pathway_awards:
        out.print(f"New pathway awards: {len(result.pathway_awards)}")
        for line in result.pathway_awards:
            out.print(f"  {escape(line)}", emoji=False)
    if result.minted:
        out.print(
            f"Recorded in credsite.lock: {len(result.minted)} new entr"
            f"{'y' if len(result.minted) == 1 else 'ies'}; commit it."
        )


STAGES = {
    "content": "Reading the content",
    "sign": "Signing",
    "images": "Baking images",
    "ob2": "OB 2.0 images",
    "pages": "Pages",
    "stage": "Keeping unchanged files",
    "write": "Writing",
    "verify": "Verifying",
}
"""How each stage a command reports is shown (a stage not named here is shown as it is)."""


class _Rate(ProgressColumn):
    """Items per second, once there is a rate to show."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A bar per stage of long work, with counts and rates, on stderr when it is a terminal."""
    if quiet or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


@cli.command()
@click.argument("path")
@click.option(
    "--site",
    "site",
    type=click.Path(file_okay=False, path_type=Path),
    help="The built site a single file belongs to (found automatically when inside it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option(
    "--key",
    help="The key of a private credential (the part of its link after '#', or the whole link).",
)
def verify(path: str, site: Path | None, as_json: bool, key: str | None) -> None:
    """Verify a built site, a credential JSON or a baked badge image.

    A private credential: its full link (…/TOKEN.html#KEY, with --site FOLDER, default _site),
    or one of its .enc files with --key.

    Checks every proof, the issuer's DID document, the status list (itself signed) and the
    validity dates, offline. Exit status 1 if anything fails; revoked, suspended and expired
    credentials are reported as such. OB 2.0 hosted assertions (ob2/assertions/*.json) and their
    baked images are checked too: the hosted copy, badge class, issuer, scope and revocation.
    """
    from credsite.commands import verify as verifysite
    from credsite.website.output import unfinished_change

    if not path:
        raise click.BadParameter(
            "is empty: give a built site folder, a credential file or a link", param_hint="PATH"
        )
    with user_errors(), _progress(as_json) as progress:
        if "://" in path or key is not None or path.endswith(".enc"):
            results = verifysite.verify_private(path, key, site or _default_site(path))
        elif not Path(path).exists():
            raise click.BadParameter(f"{path} does not exist", param_hint="PATH")
        elif Path(path).is_dir():
            results = verifysite.verify_site(Path(path), progress=progress)
            if journal := unfinished_change(Path(path)):
                err.print(
                    "[yellow]warning:[/]",
                    escape(
                        f"{journal}: a build was stopped while it moved new files into {path}, "
                        "so some of its files are new and some old: run credsite build, which "
                        "puts the old ones back first"
                    ),
                    emoji=False,
                )
        else:
            results = [verifysite.verify_path(Path(path), site=site)]
    failed = [r for r in results if r.report.status == "failed"]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "path": r.path,
                        "status": r.report.status,
                        "checks": [c.__dict__ for c in r.report.checks],
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    else:
        for r in results:
            colour = {"verified": "green", "failed": "red"}.get(r.report.status, "yellow")
            out.print(f"[{colour}]{r.report.status:>9}[/] {r.path}", emoji=False)
            for check in r.report.checks:
                if not check.ok:
                    out.print(f"           - {check.name}: {check.message}", emoji=False)
        counts: dict[str, int] = {}
        for r in results:
            counts[r.report.status] = counts.get(r.report.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        out.print(f"{len(results)} checked: {summary}")
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def extract(image: Path) -> None:
    """Print the credential JSON baked into a PNG or SVG badge image."""
    from credsite.commands import verify as verifysite

    with user_errors():
        click.echo(verifysite.extract(image))


@cli.group(cls=_Commands)
def keys() -> None:
    """Manage the issuers' signing keys (in keys/, never published)."""


@keys.command("generate")
@site_option
@click.argument("issuer", required=False)
@click.option(
    "--rotate",
    is_flag=True,
    help="Replace an existing key on purpose; old credentials keep verifying.",
)
def keys_generate(site_dir: Path, issuer: str | None, rotate: bool) -> None:
    """Create a signing key for an issuer, or each issuer without one.

    An Ed25519 key in keys/ISSUER.key; with no ISSUER, for every issuer that has none.
    """
    from credsite.commands import keys as keytool

    with user_errors():
        for line in keytool.generate(site_dir, issuer, rotate):
            out.print(line, emoji=False)


@keys.command("compromised")
@site_option
@click.argument("issuer", required=False)
@click.option(
    "--key",
    "public_key",
    metavar="PUBLIC_KEY",
    help="The compromised public key (z6Mk...), if it is not the issuer's current key "
    "(one rotated out earlier).",
)
def keys_compromised(site_dir: Path, issuer: str | None, public_key: str | None) -> None:
    """Withdraw a leaked or stolen signing key at once.

    ISSUER is needed when the site has several issuers. Records the key as compromised in credsite.lock, so no build publishes it in the DID
    document or signs with it again, and writes a new key to keys/ISSUER.key if the compromised
    one was in use. The next build signs every credential of the issuer again with the new key, at
    the same addresses with the same dates and status entries. Copies recipients downloaded before
    stop verifying; credential pages ask them to download a fresh copy. For a routine change of
    key that keeps old copies verifying, use 'credsite keys generate --rotate'.
    """
    from credsite.commands import keys as keytool

    with user_errors():
        lines = keytool.compromised(site_dir, issuer, public_key)
    for line in lines:
        out.print(line, markup=False, emoji=False)


@cli.command()
@site_option
@click.argument("new_url", metavar="NEW_URL")
def move(site_dir: Path, new_url: str) -> None:
    """Move the site to a new address (a new domain) on purpose.

    Sets 'url' in site.yaml (comments and layout kept) and records the move in credsite.lock, so
    the next build re-issues every credential at NEW_URL under the new issuer DID, with the same
    tokens, dates and status entries. Prints what recipients' copies will and will not do: copies
    they hold name the old DID and keep verifying only while the old address serves its
    did.json and status lists.
    """
    from credsite.commands import move as mover

    with user_errors():
        moved = mover.move(site_dir, new_url)
    for line in mover.explain(moved):
        out.print(line, markup=False, emoji=False)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--title",
    default="Your Organisation - Credentials",
    show_default=True,
    help="The site's name, shown on every page (changeable in site.yaml).",
)
@click.option(
    "--url",
    default="https://your-org.github.io/credentials/",
    show_default=True,
    help="The https:// address the site will be published at (changeable in site.yaml).",
)
@click.option(
    "--issuer", default="your-org", show_default=True, help="Id (file name) of the sample issuer."
)
def init(directory: Path, title: str, url: str, issuer: str) -> None:
    """Create a new site in DIRECTORY that builds as it is.

    DIRECTORY must be new or empty. Writes site.yaml, a sample issuer, achievement and awards, a signing key in keys/ (never
    committed), .gitignore, .gitattributes, a README and a GitHub Actions workflow that publishes
    the site with GitHub Pages, and .credsite/: this credsite's wheel and every dependency pinned
    by sha256, which is what the workflow installs (pinning asks PyPI; offline, run 'credsite
    upgrade' later).
    """
    from credsite.commands import init as scaffold

    with user_errors():
        created = scaffold.init(directory, title=title, url=url, issuer=issuer)
    for line in scaffold.next_steps(created):
        out.print(line, markup=False, emoji=False)
    for warning in scaffold.warnings(created):
        err.print("[yellow]warning:[/]", escape(warning), emoji=False)


@cli.command()
@site_option
@click.option(
    "--workflow",
    is_flag=True,
    help="Also replace .github/workflows/credsite.yml with the one this credsite writes.",
)
def upgrade(site_dir: Path, workflow: bool) -> None:
    """Move the site to the credsite installed here, on purpose.

    Vendors this credsite's wheel into .credsite/ and pins every dependency at the version
    installed here, by sha256 (this needs PyPI, once), and writes the Python version the
    workflow uses; then prints what changed. The workflow installs exactly that, so CI builds
    what your computer builds. Commit .credsite/ afterwards.
    """
    from credsite.commands import vendor

    with user_errors():
        result = vendor.upgrade(site_dir, workflow=workflow)
    if result.lines:
        for line in result.lines:
            out.print(line, markup=False, emoji=False)
        out.print(
            f"Wrote {', '.join(result.written)}: commit them; the next push builds with them.",
            markup=False,
            emoji=False,
        )
    else:
        out.print(
            f"Nothing to change: the site is pinned to this credsite ({__version__}), this "
            "Python and these dependency versions.",
            markup=False,
            emoji=False,
        )
    if result.workflow_differs:
        err.print(
            f"[yellow]warning:[/] {vendor.WORKFLOW} differs from the one this credsite writes "
            "(edited by hand, or written by another version): `credsite upgrade --workflow` "
            "replaces it (git keeps the old one).",
            emoji=False,
        )


@cli.command()
@site_option
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to serve on; 0 picks a free one.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to serve on (127.0.0.1: this computer alone; another is warned about)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
def serve(site_dir: Path, port: int, host: str, open_browser: bool) -> None:
    """Preview the site, rebuilt and reloaded on every change.

    Builds into a temporary folder (never the site's output folder) and records nothing in
    credsite.lock. A change that breaks the build shows its errors here and on the page, which
    keeps showing the last good build. Ctrl-C stops.
    """
    from credsite.commands import serve as preview

    def log(level: str, message: str) -> None:
        if level == "info":
            out.print(message, markup=False, emoji=False)
        else:
            print_problem("error" if level == "error" else "warning", message)

    def ready(server: Any) -> None:
        if open_browser:
            import webbrowser

            webbrowser.open(server.url)

    with user_errors():
        preview.serve(
            site_dir,
            host=host,
            port=port,
            log=log,
            on_ready=ready,
            progress=lambda: _progress(False),
        )


AWARD_STATES = ("active", "revoked", "suspended", "expired", "unissued")


def award_filters(command: Callable[..., Any]) -> Callable[..., Any]:
    """--achievement, --status and --file, shared by 'list' and 'roster'."""
    for option in reversed(
        [
            click.option(
                "--achievement",
                metavar="ID",
                help="Only awards of this achievement (its file name).",
            ),
            click.option(
                "--status",
                type=click.Choice(AWARD_STATES),
                help="Only awards in this state today ('unissued': not built yet).",
            ),
            click.option(
                "--file",
                "award_file",
                metavar="FILE",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Only the awards of this award file, e.g. content/awards/spring-2026.csv.",
            ),
        ]
    ):
        command = option(command)
    return command


def _echo_data(text: str) -> None:
    """What '-' asks for on standard output (roster --export -, report -o -). A write that fails
    (a full disk) is a message; a reader that stopped (| head) ends the command quietly."""
    try:
        click.echo(text, nl=False)
        sys.stdout.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            # nothing more can reach it: keep Python's exit from complaining about the pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:
        print_problem("error", f"cannot write to standard output: {exc.strerror or exc}")
        sys.exit(1)


def _print_warnings(warnings: list[Any]) -> None:
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {escape(str(warning))}", emoji=False)


@cli.command("list")
@site_option
@award_filters
def list_awards(
    site_dir: Path, achievement: str | None, status: str | None, award_file: Path | None
) -> None:
    """List who got which award: status, dates, page address.

    Reads the content and credsite.lock; builds, records and writes nothing. An award that has
    not been built yet is 'not yet issued': its addresses exist after the next build. Email
    addresses are shown: this is for you, not for publishing.
    """
    from rich.table import Table

    from credsite.commands import roster as awards

    with user_errors():
        found = awards.entries(site_dir, achievement=achievement, status=status, file=award_file)
    _print_warnings(found.warnings)
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("Recipient", "Email", "Achievement", "Status", "Issued", "Expires", "Page"):
        table.add_column(column, overflow="fold")
    for e in found.entries:
        table.add_row(
            e.award.name,
            e.award.email,
            e.achievement.slug,
            e.status,
            awards.date_text(e.issued) or "at first build",
            awards.date_text(e.expires),
            e.page_url or "",
        )
    if found.entries and out.is_terminal:
        out.print(table, markup=False, emoji=False)
    elif found.entries:  # piped: one line per award, however long, without trailing blanks
        buffer = io.StringIO()
        wide = Console(file=buffer, width=100_000, highlight=False, color_system=None)
        wide.print(table, markup=False, emoji=False, crop=False)
        click.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))
    counts: dict[str, int] = {}
    for e in found.entries:
        counts[e.status] = counts.get(e.status, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    total = len(found.entries)
    out.print(f"{total} award{'s' if total != 1 else ''}" + (f": {summary}." if total else "."))


@cli.command()
@site_option
@click.option(
    "--export",
    "target",
    required=True,
    metavar="FILE.csv",
    type=click.Path(path_type=Path, allow_dash=True),
    help="Write the roster to this CSV file ('-' prints it). Never inside the output folder or "
    "content/.",
)
@award_filters
def roster(
    site_dir: Path,
    target: Path,
    achievement: str | None,
    status: str | None,
    award_file: Path | None,
) -> None:
    """Export who got which link as a CSV file for a mail merge.

    Columns: recipient, email, achievement, achievement_id, page_url, json_url, linkedin_url (the
    "Add to profile" link), status, issued, expires. UTF-8 with a byte order mark, as Excel and
    Word read it. Reads the content and credsite.lock without building; an award not built yet is
    'not yet issued' and has no links until the next build. The roster holds email addresses:
    it is refused inside the output folder (published) and content/, and a file git would commit
    gets a warning.
    """
    from credsite.commands import roster as awards

    with user_errors():
        found = awards.entries(site_dir, achievement=achievement, status=status, file=award_file)
        if str(target) == "-":
            _print_warnings(found.warnings)
            _echo_data(awards.csv_bytes(found.entries).decode("utf-8-sig"))
            return
        warnings = awards.export(found, target)
    _print_warnings([*found.warnings, *warnings])
    total = len(found.entries)
    out.print(
        f"Wrote {total} award{'s' if total != 1 else ''} to {target}. It holds recipients' email "
        "addresses: keep it private.",
        markup=False,
        emoji=False,
    )


def _interactive() -> bool:
    """Whether a person can answer a question on stdin (not CI, not a pipe)."""
    return sys.stdin.isatty()


@cli.command()
@site_option
@click.option(
    "--send/--dry-run",
    default=False,
    help="--dry-run (the default) writes one .eml file per message into the outbox for review "
    "and sends nothing; --send sends them, after asking for confirmation.",
)
@click.option("--yes", is_flag=True, help="Send without asking (for scripts and CI).")
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where --dry-run writes its .eml files. Default: .credsite-outbox/ in the site folder.",
)
@click.option(
    "--expiring-within",
    metavar="WINDOW",
    help="Remind holders whose credentials expire within WINDOW (30d, 6w, 2m, 1y), once per "
    "credential and window, instead of announcing new credentials.",
)
@click.option(
    "--revoked",
    is_flag=True,
    help="Tell recipients of revoked credentials (once), instead of announcing new ones.",
)
@click.option(
    "--mark-sent",
    is_flag=True,
    help="Record these messages as sent without sending them (recipients you told another way).",
)
@click.option("--achievement", metavar="ID", help="Only awards of this achievement.")
@click.option(
    "--file",
    "award_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Only the awards of this award file.",
)
def notify(
    site_dir: Path,
    send: bool,
    yes: bool,
    outbox: Path | None,
    expiring_within: str | None,
    revoked: bool,
    mark_sent: bool,
    achievement: str | None,
    award_file: Path | None,
) -> None:
    """Email recipients their credentials, once each.

    One message per recipient not told yet: their name, the achievement, their page, the
    LinkedIn and wallet links, and the baked badge attached. Reads the built site (run
    'credsite build' first) and credsite.notified, the ledger of who was told what (salted hashes, no addresses): commit it, so that no clone or CI run tells
    anyone twice. Without --send, writes the messages to .credsite-outbox/ for review and sends
    nothing. The mail server is site.yaml's 'smtp:' section; the password comes only from the
    environment variable CREDSITE_SMTP_PASSWORD. See docs/notify.md.
    """
    from credsite.commands import notify as notifier
    from credsite.sitelock import site_lock

    if send and mark_sent:
        with user_errors():
            raise CredsiteError("--send and --mark-sent: choose one")
    with contextlib.ExitStack() as stack:
        if send or mark_sent:  # one sender at a time: the second then plans from the new ledger
            with user_errors():
                stack.enter_context(site_lock(site_dir))
        _notify(notifier, site_dir, send, yes, outbox, expiring_within, revoked, mark_sent,
                achievement, award_file)  # fmt: skip


def _notify(
    notifier: Any,
    site_dir: Path,
    send: bool,
    yes: bool,
    outbox: Path | None,
    expiring_within: str | None,
    revoked: bool,
    mark_sent: bool,
    achievement: str | None,
    award_file: Path | None,
) -> None:
    with user_errors():
        found = notifier.plan(
            site_dir,
            expiring_within=expiring_within,
            revoked=revoked,
            achievement=achievement,
            file=award_file,
        )
    _print_warnings(found.warnings)
    count = len(found.notices)
    skipped = f" ({found.told} told before, in {notifier.LEDGER_FILE})" if found.told else ""
    if not count:
        out.print(f"Nothing to send{skipped}.", markup=False, emoji=False)
        return
    messages = f"{count} message{'s' if count != 1 else ''}"
    if not send and not mark_sent:
        with user_errors():
            folder = notifier.outbox_folder(found.config, outbox)
            _, warnings = notifier.write_outbox(found, folder)
        _print_warnings(warnings)
        out.print(
            f"Dry run: wrote {messages} to {folder}{skipped}; nothing was sent. Review them, "
            "then send with 'credsite notify --send'.",
            markup=False,
            emoji=False,
        )
        return
    action = "Record" if mark_sent else "Send"
    question = (
        f"Record {messages} as sent, without sending them?"
        if mark_sent
        else f"Send {messages} through {found.smtp.host}:{found.smtp.port} as "
        f"{found.smtp.from_address}?"
    )
    if not yes:
        if not _interactive():
            with user_errors():
                raise CredsiteError(
                    f"{action.lower()}ing {messages} needs a confirmation and there is no "
                    "terminal to ask on: add --yes"
                )
        if not click.confirm(question, default=False, err=True):
            out.print("Nothing was sent.", markup=False, emoji=False)
            return
    if mark_sent:
        with user_errors():
            recorded = notifier.mark_sent(found)
        out.print(
            f"Recorded {recorded} message(s) as sent in {notifier.LEDGER_FILE}; commit it.",
            markup=False,
            emoji=False,
        )
        return

    def progress(notice: Any, outcome: Any) -> None:
        if outcome.sent:
            out.print(f"sent: {notice.where} ({notice.kind})", markup=False, emoji=False)

    with user_errors():
        sender = notifier.sender_for(found)
        result = notifier.send(found, sender, progress=progress)
    for failure in result.failed:
        print_problem("error", Problem(failure.notice.entry.award.location, str(failure)))
    if result.stopped:
        print_problem(
            "error",
            f"stopped with {result.unsent} message(s) not sent: {result.stopped}. Run "
            "'credsite notify --send' again to send the rest",
        )
    out.print(
        f"Sent {len(result.sent)} of {messages}{skipped}"
        + (f"; {len(result.failed)} failed" if result.failed else "")
        + (f". Recorded in {notifier.LEDGER_FILE}: commit it." if result.sent else "."),
        markup=False,
        emoji=False,
    )
    if result.failed or result.stopped:
        sys.exit(1)


@cli.command()
@site_option
@click.option(
    "-o",
    "--output",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path, allow_dash=True),
    help="The HTML file to write ('-' prints it) [default: credsite-report.html in the site "
    "folder, credsite-report-public.html with --public]. Never inside the output folder.",
)
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every table as a CSV file into this folder (new, empty, or written by an "
    "earlier report, whose files are replaced).",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Only credentials issued on this day (YYYY-MM-DD) or later.",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Only credentials issued on this day (YYYY-MM-DD) or earlier.",
)
@click.option("--achievement", metavar="SLUG", help="Only this achievement's awards.")
@click.option(
    "--public",
    is_flag=True,
    help="Aggregates only, for publishing: no names, no email addresses, no data-quality lists, "
    "small counts hidden.",
)
@click.option(
    "--min-count",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="With --public: counts below this are shown as '<N' (1 hides nothing).",
)
def report(
    site_dir: Path,
    html_path: Path | None,
    csv_dir: Path | None,
    since: Any,
    until: Any,
    achievement: str | None,
    public: bool,
    min_count: int,
) -> None:
    """Write a programme report: a self-contained HTML file, and CSVs.

    Counts credentials issued per month, achievement, issuer and award file; status and what
    expires in the next 30 and 90 days; alignment coverage per framework; and data quality
    (awards without narrative or evidence, achievements without image or criteria,
    near-duplicate email addresses). Reads the content and credsite.lock only: never builds,
    never writes credsite.lock. The private report names recipients; --public writes one that
    can be published. The page opens from the file system and loads nothing from the network.
    """
    from credsite.report import facts, page

    source = click.get_current_context().get_parameter_source("min_count")
    if source is click.core.ParameterSource.COMMANDLINE and not public:
        raise click.UsageError("--min-count applies to --public reports only")
    if since and until and since > until:
        raise click.UsageError("--since is after --until")
    name = "credsite-report-public.html" if public else "credsite-report.html"
    options = facts.Options(
        since=since.date() if since else None,
        until=until.date() if until else None,
        achievement=achievement,
        public=public,
        min_count=min_count,
    )
    printed = html_path is not None and str(html_path) == "-"  # as 'roster --export -'
    with user_errors():
        written = page.write(
            site_dir, options, None if printed else html_path or site_dir / name, csv_dir
        )
    if written.html is None and written.report is not None:
        _echo_data(page.html(written.report))
    else:
        out.print(f"Wrote {written.html}", markup=False, emoji=False)
    if written.csvs:
        (err if printed else out).print(
            f"Wrote {len(written.csvs)} CSV files into {csv_dir}", markup=False, emoji=False
        )
    if not public:
        err.print(
            "[yellow]note:[/] this report names recipients and their email addresses: keep it "
            "private (do not publish or commit it); --public writes one without them.",
            emoji=False,
        )


def _default_site(path: str) -> Path | None:
    """For a private credential's link: ./_site when it is a built site (else --site is asked)."""
    if "://" not in path:
        return None
    default = Path("_site")
    return default if (default / "credentials").is_dir() else None


def _change_status(site_dir: Path, credential: str, status: str, reason: str | None) -> None:
    import datetime as dt

    from credsite.commands import status as edit

    with user_errors():
        change = edit.set_status(site_dir, credential, status, reason, dt.date.today())
    out.print(
        f"{change.shown}: {change.key} is now {change.new_status} (was {change.old_status}). "
        "Rebuild and publish to let verifiers see it; the credential files do not change.",
        emoji=False,
    )
    if status == "revoked" and not reason:
        err.print("[yellow]warning:[/] no --reason given; recipients and verifiers see none.")


credential_argument = click.argument("credential")


@cli.command()
@site_option
@credential_argument
@click.option("--reason", help="Why, shown on the page unless status.publish_reasons is false.")
def revoke(site_dir: Path, credential: str, reason: str | None) -> None:
    """Revoke an award for good (by award id, credential URL, token).

    CREDENTIAL is the award's id, its credential URL or token. Edits the award's YAML (comments and layout kept) or its spreadsheet row (the status cells,
    added if missing), and flips its bit in the signed status list at the next build. Revocation
    cannot be undone; see 'suspend' for a pause.
    """
    _change_status(site_dir, credential, "revoked", reason)


@cli.command()
@site_option
@credential_argument
@click.option("--reason", help="Why, shown on the page unless status.publish_reasons is false.")
def suspend(site_dir: Path, credential: str, reason: str | None) -> None:
    """Suspend an award until it is reinstated (if suspension is on).

    Needs 'status: {suspension: true}' in site.yaml.
    """
    _change_status(site_dir, credential, "suspended", reason)


@cli.command()
@site_option
@credential_argument
def reinstate(site_dir: Path, credential: str) -> None:
    """Lift a suspension (a revocation is permanent)."""
    _change_status(site_dir, credential, "active", None)


@cli.command()
@site_option
@credential_argument
@click.option("--undo", is_flag=True, help="Publish the credential again (same as 'restore').")
def withdraw(site_dir: Path, credential: str, undo: bool) -> None:
    """Take a credential down at its recipient's request (reversible).

    CREDENTIAL is the award's id, its credential URL or token. Sets 'withdrawn: true' on the
    award (YAML, comments and layout kept, or its spreadsheet row). At the next build its page
    becomes a "withdrawn at the recipient's request" notice and its JSON and baked images are no
    longer published; it is not revoked: copies the recipient holds keep verifying.
    """
    _withdraw(site_dir, credential, not undo)


@cli.command()
@site_option
@credential_argument
def restore(site_dir: Path, credential: str) -> None:
    """Publish a withdrawn credential again (undoes 'withdraw')."""
    _withdraw(site_dir, credential, False)


def _withdraw(site_dir: Path, credential: str, withdrawn: bool) -> None:
    from credsite.commands import status as edit

    with user_errors():
        change = edit.set_withdrawn(site_dir, credential, withdrawn)
    if withdrawn:
        message = (
            f"{change.shown}: {change.key} is now withdrawn. Rebuild and publish: its page "
            "becomes a notice, its JSON and images are taken down; it is not revoked "
            f"(status stays {change.status}), so copies its recipient holds keep verifying."
        )
    else:
        message = (
            f"{change.shown}: {change.key} is published again. Rebuild and publish to put its "
            "page, JSON and images back at the same addresses."
        )
    out.print(message, emoji=False, markup=False)
@cli.group(cls=_Commands)
def endorsement() -> None:
    """Add endorsements signed on other sites to this one."""


@endorsement.command("add")
@site_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--fetch",
    is_flag=True,
    help="Fetch the endorser's did:web DID document once, without asking (it is then pinned in "
    "credsite.lock; builds never fetch it).",
)
@click.option(
    "--did-document",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The endorser's DID document as a file, instead of fetching it.",
)
@click.option("--as", "slug", metavar="NAME", help="The file name to store it under.")
def endorsement_add(
    site_dir: Path, file: Path, fetch: bool, did_document: Path | None, slug: str | None
) -> None:
    """Check a signed endorsement from elsewhere and add it to the site.

    FILE is an Open Badges 3.0 EndorsementCredential (JSON, from any OB 3.0 tool) of one of this
    site's achievements, issuers or credentials, signed under the endorser's did:web. credsite
    gets the endorser's DID document once (with --fetch, or after asking; or --did-document),
    verifies the signature and dates with it, records its SHA-256 in credsite.lock and stores
    both files in content/endorsements/received/. Builds check it offline against that pinned
    document and embed it in what it endorses.
    """
    from credsite.commands import endorse as endorsing

    def ask(question: str) -> bool:
        try:
            return click.confirm(question, default=False, err=True)
        except click.Abort:
            return False

    with user_errors():
        added = endorsing.add(
            site_dir, file, fetch=fetch, did_document=did_document, slug=slug, confirm=ask
        )
    for line in endorsing.describe_added(added):
        out.print(line, markup=False, emoji=False)


@cli.command()
@site_option
@click.argument("target")
@click.option("--comment", required=True, help="What you say about it (Markdown).")
@click.option(
    "--endorser", metavar="ISSUER", help="The issuer that endorses (default: the primary issuer)."
)
@click.option("--name", help="The endorsement's title (default: 'ISSUER endorses TARGET').")
@click.option("--id", "identifier", help="Its id and file name in content/endorsements/.")
@click.option(
    "--issued",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Its date, YYYY-MM-DD (default: today).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signed JSON to send (default: endorsement-ID.json here).",
)
def endorse(
    site_dir: Path,
    target: str,
    comment: str,
    endorser: str | None,
    name: str | None,
    identifier: str | None,
    issued: Any,
    output: Path | None,
) -> None:
    """Sign an endorsement of something on another site.

    TARGET is the id of what you endorse there: an achievement's or credential's URL (its JSON),
    or an issuer's DID. Writes content/endorsements/ID.yaml, builds the site (so the endorsement
    is signed with your issuer's key, recorded in credsite.lock, published at
    endorsements/TOKEN.json and can be withdrawn through your status list) and writes the signed
    JSON to send; the other site adds it with 'credsite endorsement add FILE'.
    """
    from credsite.commands import endorse as endorsing

    with user_errors():
        made = endorsing.endorse(
            site_dir,
            target,
            comment,
            endorser=endorser,
            name=name,
            identifier=identifier,
            issued=issued.date() if issued is not None else None,
            output=output,
        )
    out.print(
        f"Signed: {made.yaml}, published at {made.url} once you publish the site.\n"
        f"Send {made.output} to the site you endorse: it adds it with "
        "'credsite endorsement add FILE'. Commit the YAML file and credsite.lock.",
        markup=False,
        emoji=False,
    )


def main() -> None:
    cli(prog_name="credsite")
