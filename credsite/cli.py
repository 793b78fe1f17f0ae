"""The ``credsite`` command: thin callers of build, verify and friends.

Layer 13. Owns click and rich. A `CredsiteError` is printed as located problems with exit
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
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from credsite import __version__
from credsite.errors import CredsiteError

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except CredsiteError as exc:
        for problem in exc.problems:
            err.print(f"[bold red]error:[/] {problem}", markup=True, emoji=False)
        count = len(exc.problems)
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
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("--no-cache", is_flag=True, help="Sign everything again, ignoring the cache.")
def build(site_dir: Path, output: str | None, locked: bool, quiet: bool, no_cache: bool) -> None:
    """Sign every credential and write the static site.

    Nothing is written unless the whole site builds: on any problem the previous output and
    credsite.lock are left exactly as they were.
    """
    from credsite.build import build as run_build

    with user_errors(), _progress(quiet) as progress:
        result = run_build(
            site_dir, output_dir=output, locked=locked, progress=progress, use_cache=not no_cache
        )
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}", emoji=False)
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
    credentials are reported as such.
    """
    from credsite import verifysite

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
    from credsite import verifysite

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
    from credsite import keytool

    with user_errors():
        for line in keytool.generate(site_dir, issuer, rotate):
            out.print(line, emoji=False)


def main() -> None:
    cli(prog_name="credsite")
