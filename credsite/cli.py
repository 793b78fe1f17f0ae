"""The ``credsite`` command: thin callers of build, verify and friends.

Owns click and rich. A `CredsiteError` is printed as located problems with exit
status 1 and no traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from credsite import __version__
from credsite.errors import CredsiteError, Problem, StrictError

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

LABELS = {"error": "[bold red]error:[/]", "warning": "[yellow]warning:[/]"}


def print_problem(label: str, problem: Problem | str) -> None:
    """``error: path:line:col: message`` (or ``warning: ...``) on stderr, the text unstyled."""
    err.print(LABELS[label], escape(str(problem)), emoji=False)


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


site_option = click.option(
    "-C",
    "--site",
    "site_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The site folder (the one holding site.yaml).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    errors; with --strict any warning is a problem too. A build refuses a url other than the one
    credsite.lock records (see 'credsite move'), and refuses to mint every credential anew when
    credsite.lock is lost but the site issued before (restore it; see --new-site).
    """
    from credsite.build import build as run_build

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
        print_problem("warning", warning)
    if result.demo_key and not quiet:
        err.print(
            "[yellow]warning:[/] signed with credsite's PUBLIC demo key (demo_key: true): "
            "fine for an example, worthless for real credentials.",
            emoji=False,
        )
    if quiet:
        return
    states = ", ".join(f"{n} {state}" for state, n in sorted(result.states.items()))
    out.print(
        f"Built {result.credentials} credentials ({states or 'none'}) into "
        f"{result.output_dir}: {result.files} files, {result.bytes / 1024:.0f} KiB, "
        f"{result.signed} signed, in {result.seconds:.1f} s."
    )
    if result.minted:
        out.print(
            f"Recorded in credsite.lock: {len(result.minted)} new entr"
            f"{'y' if len(result.minted) == 1 else 'ies'}; commit it."
        )


@contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if quiet or not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--site",
    "site",
    type=click.Path(file_okay=False, path_type=Path),
    help="The built site a single file belongs to (found automatically when inside it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
def verify(path: Path, site: Path | None, as_json: bool) -> None:
    """Verify a built site folder, one credential JSON, or a baked PNG/SVG image.

    Checks every proof, the issuer's DID document, the status list (itself signed) and the
    validity dates, offline. Exit status 1 if anything fails; revoked, suspended and expired
    credentials are reported as such. OB 2.0 hosted assertions (ob2/assertions/*.json) and their
    baked images are checked too: the hosted copy, badge class, issuer, scope and revocation.
    """
    from credsite.commands import verify as verifysite

    with user_errors():
        if path.is_dir():
            results = verifysite.verify_site(path)
        else:
            results = [verifysite.verify_path(path, site=site)]
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


@cli.group()
def keys() -> None:
    """Manage the issuers' signing keys (kept in keys/, never published)."""


@keys.command("generate")
@site_option
@click.argument("issuer", required=False)
@click.option(
    "--rotate",
    is_flag=True,
    help="Replace an existing key on purpose; old credentials keep verifying.",
)
def keys_generate(site_dir: Path, issuer: str | None, rotate: bool) -> None:
    """Create an Ed25519 signing key for an issuer (all issuers without one if none is named)."""
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
    """Withdraw a leaked or stolen signing key at once (ISSUER: needed if there are several).

    Records the key as compromised in credsite.lock, so no build publishes it in the DID
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
    """Move the site to a new address on purpose, e.g. a new custom domain.

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
    """Create a new site in DIRECTORY (new or empty) that builds as it is.

    Writes site.yaml, a sample issuer, achievement and awards, a signing key in keys/ (never
    committed), .gitignore, .gitattributes, a README and a GitHub Actions workflow that publishes
    the site with GitHub Pages.
    """
    from credsite.commands import init as scaffold

    with user_errors():
        created = scaffold.init(directory, title=title, url=url, issuer=issuer)
    for line in scaffold.next_steps(created):
        out.print(line, markup=False, emoji=False)


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
    "--host", default="127.0.0.1", show_default=True, help="Address to serve on (this computer)."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site in a web browser.")
def serve(site_dir: Path, port: int, host: str, open_browser: bool) -> None:
    """Preview the site, rebuilding it and reloading the page on every change.

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
        preview.serve(site_dir, host=host, port=port, log=log, on_ready=ready)


@cli.command()
@site_option
@click.option(
    "-o",
    "--output",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write [default: credsite-report.html in the site folder, "
    "credsite-report-public.html with --public]. Never inside the output folder.",
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
    """Write a programme report: one self-contained HTML file (and CSVs).

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
    with user_errors():
        written = page.write(site_dir, options, html_path or site_dir / name, csv_dir)
    out.print(f"Wrote {written.html}", markup=False, emoji=False)
    if written.csvs:
        out.print(
            f"Wrote {len(written.csvs)} CSV files into {csv_dir}", markup=False, emoji=False
        )
    if not public:
        err.print(
            "[yellow]note:[/] this report names recipients and their email addresses: keep it "
            "private (do not publish or commit it); --public writes one without them.",
            emoji=False,
        )


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
    """Revoke an award for good (CREDENTIAL: award id, credential URL or token).

    Edits the award's YAML (comments and layout kept) and flips its bit in the signed status
    list at the next build. Revocation cannot be undone; see 'suspend' for a pause.
    """
    _change_status(site_dir, credential, "revoked", reason)


@cli.command()
@site_option
@credential_argument
@click.option("--reason", help="Why, shown on the page unless status.publish_reasons is false.")
def suspend(site_dir: Path, credential: str, reason: str | None) -> None:
    """Suspend an award until it is reinstated (needs status: {suspension: true})."""
    _change_status(site_dir, credential, "suspended", reason)


@cli.command()
@site_option
@credential_argument
def reinstate(site_dir: Path, credential: str) -> None:
    """Lift a suspension (a revocation is permanent)."""
    _change_status(site_dir, credential, "active", None)


def main() -> None:
    cli(prog_name="credsite")
