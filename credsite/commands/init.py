"""`credsite init DIR`: a new site that builds as it is, with a GitHub Pages workflow.

Copies the template files in ``credsite/commands/scaffold/`` (a sample issuer, achievement and
awards, commented site.yaml, READMEs, .gitignore, .gitattributes, the GitHub Actions workflow),
filling in a few names, vendors the running credsite into ``.credsite/`` with its dependencies
pinned by hash (`credsite.commands.vendor`: what the workflow installs), then creates the issuer's
signing key in ``keys/`` (git-ignored). Every option is checked first, and the site is written
into a folder of its own that is put in place only once it loads (`_staging`): a failed init
leaves nothing behind.

Template files are stored without their leading dot (``dot-gitignore`` -> ``.gitignore``,
``dot-github/`` -> ``.github/``) so they do not act as this repository's own git or GitHub
settings. ``__ISSUER__`` in a file name, and the ``__NAME__`` placeholders below in file contents,
are replaced.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from credsite import __version__
from credsite.commands import vendor
from credsite.content import config as site_config
from credsite.content.config import SLUG
from credsite.content.model import MAX_SLUG
from credsite.content.yamlsource import UNPUBLISHABLE
from credsite.errors import CredsiteError
from credsite.state.keyfiles import env_name, write_key_file
from credsite.vc.keys import SigningKey

DEFAULT_TITLE = "Your Organisation - Credentials"
DEFAULT_URL = site_config.PLACEHOLDER_URL
"""A real https address, so a new site builds at once; the README says to change it first, and
every build warns until it is changed."""
DEFAULT_ISSUER = "your-org"
DEFAULT_ISSUER_NAME = "Your Organisation"
KEPT_IN_TARGET = {".git"}
"""What may already be in the target folder: a clone of a new, empty repository."""


@dataclass(frozen=True)
class Created:
    root: Path
    files: list[str]
    """Every file written, relative to `root` (POSIX), the key file included."""
    issuer: str
    key_path: Path
    public_key: str
    secret_name: str
    """The repository secret the workflow reads the key from: CREDSITE_KEY_<ISSUER>."""
    wheel: vendor.Wheel
    """The running credsite, vendored into .credsite/."""
    pins: tuple[vendor.Pin, ...] | None
    pin_problem: str | None = None
    """Why .credsite/requirements.txt could not be written (pins is None), e.g. offline."""
    url: str = DEFAULT_URL
    """The site's url as site.yaml now gives it (the placeholder unless --url gave one)."""


def init(
    target: Path,
    *,
    title: str = DEFAULT_TITLE,
    url: str = DEFAULT_URL,
    issuer: str = DEFAULT_ISSUER,
    hashes: vendor.Hashes | None = None,
) -> Created:
    """Create a site in `target` (a new or empty folder); refuse to touch anything there.

    Pinning the dependencies needs the package index (`hashes`, PyPI by default); without it the
    site is still created, without ``.credsite/requirements.txt`` (`Created.pin_problem` says
    why, and `credsite upgrade` writes it later)."""
    url = _check_url(url)
    _check_issuer(issuer)
    title = " ".join(title.split())
    if not title:
        raise CredsiteError("the site title must not be empty")
    if bad := UNPUBLISHABLE.search(title):
        raise CredsiteError(
            f"the site title must not hold the character U+{ord(bad.group()):04X} (a control "
            "character or a Unicode non-character, which XML and HTML do not carry): remove it"
        )
    _check_target(target)
    wheel = vendor.running_wheel()
    pins: tuple[vendor.Pin, ...] | None = None
    pin_problem = None
    try:
        pins = vendor.pin_dependencies(wheel, hashes=hashes)
    except vendor.PinError as exc:
        pin_problem = str(exc)
    values = {
        "__TITLE_YAML__": json.dumps(title, ensure_ascii=False),  # a double-quoted YAML string
        "__TITLE__": title,
        "__URL_YAML__": json.dumps(url),
        "__URL__": url,
        "__ISSUER_ENV__": env_name(issuer),
        "__ISSUER_NAME__": DEFAULT_ISSUER_NAME,
        "__ISSUER__": issuer,
        "__VERSION__": __version__,
    }
    with _staging(target) as staging:  # put in place only once all is written and checked
        written = []
        for relative, template in _templates():
            path = staging / _fill(relative, values)
            path.parent.mkdir(parents=True, exist_ok=True)
            text = template.read_bytes().decode("utf-8")
            if relative == vendor.WORKFLOW:
                text = vendor.render_workflow(text, [env_name(issuer)], "_site")
            path.write_bytes(_fill(text, values).encode("utf-8"))
            written.append(path.relative_to(staging).as_posix())
        written += vendor.write(staging, wheel, pins)
        config = site_config.load(staging)  # the site must be valid as created
        key = SigningKey.generate()
        key_file = write_key_file(config, issuer, key).relative_to(staging)
        written.append(key_file.as_posix())
    key_path = target / key_file
    return Created(
        root=target,
        files=sorted(written),
        issuer=issuer,
        key_path=key_path,
        public_key=key.public_key_multibase,
        secret_name=env_name(issuer),
        wheel=wheel,
        pins=pins,
        pin_problem=pin_problem,
        url=url,
    )


def next_steps(created: Created) -> list[str]:
    """What to tell the user after `init`."""
    key = created.key_path.relative_to(created.root).as_posix()
    pinned = (
        f"{len(created.pins)} dependencies pinned by hash in {vendor.REQUIREMENTS}"
        if created.pins is not None
        else f"no {vendor.REQUIREMENTS} yet (see the warning below)"
    )
    lines = [
        f"Created a credentials site in {created.root} ({len(created.files)} files), with a "
        f"sample issuer, achievement and three awards, and a signing key in {key} (secret, "
        "git-ignored: back it up).",
        f"The workflow installs credsite {created.wheel.version} from "
        f"{vendor.FOLDER}/{created.wheel.filename} ({created.wheel.origin}), {pinned}: commit "
        f"{vendor.FOLDER}/; `credsite upgrade` moves the site to a newer credsite.",
        "Next:",
        f"  cd {created.root}",
        "  credsite serve         preview at http://127.0.0.1:8000/, reloading as you edit",
        *(
            ["  edit site.yaml         set 'url' to where the site will be published, first of all"]
            if created.url == DEFAULT_URL
            else []
        ),
        "  edit content/          replace the samples (content/README.md explains every field)",
        "  credsite build         sign and write _site/; commit everything, credsite.lock too",
        f"On GitHub: Settings > Pages > Source 'GitHub Actions', and a repository secret "
        f"{created.secret_name} holding the last line of {key}. README.md walks through it.",
    ]
    return lines


def warnings(created: Created) -> list[str]:
    """What `init` could not do (the site works locally; the workflow needs it before a push)."""
    if created.pin_problem is None:
        return []
    return [
        f"{vendor.REQUIREMENTS} was not written, so the workflow cannot install credsite yet: "
        f"run `credsite upgrade` in {created.root} when online, before you push.\n"
        f"{created.pin_problem}"
    ]


def _templates() -> list[tuple[str, Traversable]]:
    """(target path, template file) for every file of the template folder."""
    found: list[tuple[str, Traversable]] = []

    def walk(folder: Traversable, prefix: PurePosixPath) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            name = "." + entry.name[4:] if entry.name.startswith("dot-") else entry.name
            if entry.name == "__pycache__":
                continue
            if entry.is_dir():
                walk(entry, prefix / name)
            else:
                found.append(((prefix / name).as_posix(), entry))

    walk(resources.files("credsite.commands") / "scaffold", PurePosixPath())
    return found


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise CredsiteError(
            f"--url must be the https:// address the site will be published at, got {url!r}"
        )
    try:
        site_config.check_site_url(url)  # what site.yaml's url must be: refused before writing
    except CredsiteError as exc:
        raise CredsiteError(f"--url {url}: {exc.problems[0].message}") from None
    return url if url.endswith("/") else url + "/"


def _check_issuer(issuer: str) -> None:
    """The issuer id as the build takes an issuer's file name (`model.MAX_SLUG`, `SLUG`)."""
    if len(issuer) > MAX_SLUG:
        raise CredsiteError(
            f"issuer id {issuer[:20] + '...'!r} is {len(issuer)} characters long: at most "
            f"{MAX_SLUG} are allowed (it becomes the id in URLs and file names)"
        )
    if not re.fullmatch(SLUG, issuer):
        raise CredsiteError(
            f"issuer id {issuer!r} must be lower-case letters, digits and '-' (it becomes part "
            "of web addresses)"
        )


def _check_target(target: Path) -> None:
    if os.path.lexists(target) and not os.path.isdir(target):
        raise CredsiteError(f"{target} exists and is not a folder")
    if os.path.isdir(target):
        try:
            present = sorted(p.name for p in target.iterdir() if p.name not in KEPT_IN_TARGET)
        except OSError as exc:
            raise CredsiteError(f"cannot read {target}: {exc.strerror or exc}") from None
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            raise CredsiteError(
                f"{target} is not empty ({shown}): credsite init creates a new site in a new or "
                "empty folder and never overwrites files. Choose another folder."
            )
    elif not os.path.isdir(above := _nearest_existing(target)):
        raise CredsiteError(f"cannot create {target}: {above} is not a folder")


def _nearest_existing(target: Path) -> Path:
    """What exists nearest above `target`: where a new target folder is made."""
    above = target.absolute().parent
    while not os.path.lexists(above) and above != above.parent:
        above = above.parent
    return above


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A new folder to write the site into, put in place when the block ends: renamed to
    `target` (a new folder), or its files moved into `target` (an empty folder, a fresh clone).
    On any failure it is removed with all it holds and what was put in place is taken back, so
    a failed init leaves nothing behind (and `init` can be run again)."""
    into = os.path.isdir(target)
    home = target if into else _nearest_existing(target)
    staging = home / f".credsite-init-{secrets.token_hex(6)}"
    try:
        staging.mkdir()  # the usual permissions (umask), which the renamed folder keeps
    except OSError as exc:
        raise CredsiteError(f"cannot create {target}: {exc.strerror or exc}") from None
    placed: list[tuple[Path, Path]] = []
    made: list[Path] = []
    try:
        try:
            yield staging
            if into:
                for entry in sorted(staging.iterdir()):
                    if os.path.lexists(target / entry.name):
                        raise CredsiteError(f"{target / entry.name} appeared meanwhile: not replaced")
                    entry.rename(target / entry.name)
                    placed.append((target / entry.name, entry))
                staging.rmdir()
            else:
                for folder in reversed(target.absolute().parents):
                    if not os.path.lexists(folder):
                        folder.mkdir()
                        made.append(folder)
                staging.rename(target)
        except OSError as exc:
            raise CredsiteError(
                f"cannot create the site in {target}: {exc.strerror or exc}"
            ) from None
    except BaseException:
        with suppress(OSError):
            for now, before in reversed(placed):
                now.rename(before)
            for folder in reversed(made):
                folder.rmdir()
        shutil.rmtree(staging, ignore_errors=True)
        raise
