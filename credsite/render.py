"""HTML pages from Jinja2 themes, with autoescape and sanitised Markdown.

Layer 11. A site's own ``themes/<theme>/templates/`` overrides the built-in default theme template
by template. Every template gets `site`, `root` (relative path to the site root, so pages work on
GitHub Pages project sites and on localhost) and `page`; docs/themes.md lists the rest.
Markdown from content (criteria, narratives) is rendered, then cleaned with nh3 so no script,
style or event handler reaches a page. QR codes (segno) are drawn here too, as inline SVG.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markdown as md
import nh3
import segno
from markupsafe import Markup, escape

from credsite.atomic import write_atomic
from credsite.config import SiteConfig
from credsite.errors import CredsiteError, Location

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
    packaged = Path(__file__).parent / "_themes" / "default"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "themes" / "default"


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


QR_PARALLEL_THRESHOLD = 48
"""Draw QR codes in worker processes when at least this many are missing from the cache."""


def _qr_drawing(url: str) -> str:
    """The bare SVG of a QR code for `url` (error correction M, the mask segno finds best)."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")


def _labelled(svg: str, url: str, label: str | None) -> Markup:
    name = label or f"QR code linking to {url}"
    return Markup(
        svg.replace(
            "<svg ",
            f'<svg role="img" aria-label="{escape(name)}" focusable="false" '
            'shape-rendering="crispEdges" ',
            1,
        )
    )


def qr_svg(url: str, label: str | None = None) -> Markup:
    """An inline SVG QR code for `url`, drawn at build time.

    The SVG is an image with a text alternative (`role="img"`, `aria-label`); pages also print
    the URL beside it (WCAG 1.1.1), since a QR code alone helps no one who cannot scan it.
    """
    return _labelled(_qr_drawing(url), url, label)


class QrCodes:
    """QR codes for many URLs: drawn once, in parallel when there are many, and kept across builds.

    segno spends most of its time choosing the best mask (about 10 ms a code), and a credential's
    page URL never changes, so the drawings are cached in `cache_file` by URL and segno version.
    The cache holds nothing secret and is only a cache: unreadable or unwritable is fine.
    """

    def __init__(self, cache_file: Path | None) -> None:
        self.cache_file = cache_file
        self.cached: dict[str, str] = {}
        self.used: dict[str, str] = {}
        if cache_file is not None:
            try:
                data = json.loads(cache_file.read_text(encoding="utf-8"))
                if data.get("segno") == segno.__version__:
                    self.cached = dict(data.get("codes", {}))
            except (OSError, ValueError, AttributeError, TypeError):
                pass

    def prepare(self, urls: list[str]) -> None:
        """Draw every code not in the cache yet."""
        missing = sorted({u for u in urls if u not in self.cached and u not in self.used})
        for url in urls:
            if url in self.cached:
                self.used[url] = self.cached[url]
        if len(missing) >= QR_PARALLEL_THRESHOLD and (os.cpu_count() or 1) > 1:
            workers = min(os.cpu_count() or 1, 8)
            # forkserver, as build.py: safe when the build runs on a thread (serve).
            context = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                drawn = pool.map(
                    _qr_drawing, missing, chunksize=max(1, len(missing) // (workers * 4))
                )
                self.used.update(zip(missing, drawn, strict=True))
        else:
            self.used.update((u, _qr_drawing(u)) for u in missing)

    def svg(self, url: str, label: str | None = None) -> Markup:
        if url not in self.used:
            self.prepare([url])
        return _labelled(self.used[url], url, label)

    def save(self) -> None:
        """Keep only the codes this build used, so the cache never grows without bound."""
        if self.cache_file is None or self.used == self.cached:
            return
        data = {"segno": segno.__version__, "codes": dict(sorted(self.used.items()))}
        with contextlib.suppress(OSError):  # only a cache: a read-only checkout still builds
            write_atomic(self.cache_file, json.dumps(data, separators=(",", ":")).encode("utf-8"))


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
    env.filters["markdown"] = lambda text: jinja2.filters.Markup(markdown_html(text))
    env.filters["date"] = human_date
    env.filters["isodate"] = iso_date
    env.filters["qr"] = qr_svg
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
