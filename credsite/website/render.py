"""HTML pages from Jinja2 themes, with autoescape and sanitised Markdown.

A site's own ``themes/<theme>/templates/`` overrides the built-in default theme template
by template. Every template gets `site`, `root` (relative path to the site root, so pages work on
GitHub Pages project sites and on localhost) and `page`; docs/themes.md lists the rest.
Markdown from content (criteria, narratives) is rendered, then cleaned with nh3 so no script,
style or event handler reaches a page. QR codes (segno) are drawn here too, as inline SVG.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markdown as md
import nh3
from markupsafe import Markup

from credsite.content.config import SiteConfig
from credsite.errors import CredsiteError, Location
from credsite.website import qr

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def builtin_theme_dir() -> Path:
    """The default theme: packaged beside the code in a wheel, at the repo root when editable."""
    package = Path(__file__).parents[1]
    packaged = package / "_themes" / "default"
    if packaged.is_dir():
        return packaged
    return package.parent / "themes" / "default"


# One converter, reset per call: building a Markdown instance costs more than converting.
_MARKDOWN = md.Markdown(extensions=["sane_lists"], output_format="html")


@functools.lru_cache(maxsize=4096)
def markdown_html(text: str | None) -> str:
    """Markdown to HTML, sanitised: links get rel=noopener, no raw HTML survives nh3."""
    if not text:
        return ""
    html = _MARKDOWN.reset().convert(text)
    return nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


def human_date(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value.strftime('%B %Y')}"


def iso_date(value: dt.datetime | None) -> str:
    """``2026-07-10``: for ``<time datetime>``."""
    return "" if value is None else value.strftime("%Y-%m-%d")


@dataclass
class Theme:
    """The Jinja2 environment for one site's theme."""

    env: jinja2.Environment
    static_dirs: list[Path]


def load_theme(config: SiteConfig) -> Theme:
    dirs: list[Path] = []
    static: list[Path] = []
    site_theme = config.root / "themes" / config.theme
    builtin = builtin_theme_dir()
    for theme_dir in dict.fromkeys([site_theme, builtin]):
        if (theme_dir / "templates").is_dir():
            dirs.append(theme_dir / "templates")
        if (theme_dir / "static").is_dir():
            static.append(theme_dir / "static")
    if config.theme != "default" and not site_theme.is_dir():
        raise CredsiteError(
            f"theme '{config.theme}' not found: expected themes/{config.theme}/",
            Location("site.yaml"),
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = lambda text: Markup(markdown_html(text))
    env.filters["date"] = human_date
    env.filters["isodate"] = iso_date
    env.filters["qr"] = qr.qr_svg
    return Theme(env, static)


def render(theme: Theme, template: str, path: str, context: dict[str, Any]) -> str:
    """Render one page; template mistakes become located errors, not tracebacks."""
    depth = path.count("/")
    full = {"root": "../" * depth, "page_path": path, **context}
    try:
        return theme.env.get_template(template).render(full)
    except jinja2.TemplateSyntaxError as exc:
        raise CredsiteError(
            f"template error: {exc.message}", Location(exc.filename or template, exc.lineno or 0)
        ) from None
    except jinja2.UndefinedError as exc:
        raise CredsiteError(
            f"template error in {template} rendering {path}: {exc.message}"
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise CredsiteError(f"template not found: {exc.name}") from None


def static_files(theme: Theme) -> dict[str, bytes]:
    """Theme static files under static/, the site's own theme winning over the default."""
    files: dict[str, bytes] = {}
    for folder in reversed(theme.static_dirs):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files["static/" + path.relative_to(folder).as_posix()] = path.read_bytes()
    return files
