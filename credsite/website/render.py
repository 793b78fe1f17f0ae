"""HTML pages from Jinja2 themes, with autoescape and sanitised Markdown.

A site's own ``themes/<theme>/templates/`` overrides the built-in default theme template
by template. Every template gets `site`, `root` (relative path to the site root, so pages work on
GitHub Pages project sites and on localhost) and `page`; docs/themes.md lists the rest.
Markdown from content (criteria, narratives) is rendered, then cleaned with nh3 so no script,
style or event handler reaches a page. Pages leave out their templates' indentation
(`unindented`); the `qr` filter draws an inline SVG QR code (`website.qr`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any, Literal

import jinja2
import jinja2.ext
import markdown as md
import nh3
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from credsite.cache import FileCache, code_version, digest
from credsite.content.config import SiteConfig, text_direction
from credsite.errors import CredsiteError, Location, Problem
from credsite.website import i18n, qr

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


_PLAIN_SENTENCE = re.compile(r"[^\W\d_](?:[^\W_]|[ ,.;:'?!%/()\"«»‘’“”-])*")
"""A line that Markdown and the sanitiser give back as it is, in a paragraph: it starts with a
letter (not a list's number, a heading's #, a quote's >, an indented code block) and holds only
letters, digits, spaces and punctuation that marks nothing up (no ``*_`[]<>&\\``, no line
break, no tab). Most narratives are one; each page's would otherwise be converted."""


@functools.lru_cache(maxsize=4096)
def markdown_html(text: str | None) -> str:
    """Markdown to HTML, sanitised: links get rel=noopener, no raw HTML survives nh3."""
    if not text:
        return ""
    if _PLAIN_SENTENCE.fullmatch(text):
        return f"<p>{text}</p>"  # what `converted_markdown` makes of it, 30 times as fast
    return converted_markdown(text)


def converted_markdown(text: str) -> str:
    """Markdown to HTML through Python-Markdown and nh3, whatever the text."""
    html = _MARKDOWN.reset().convert(text)
    return nh3.clean(html, tags=_ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")


def human_date(value: dt.datetime | None, language: str = i18n.SOURCE_LANGUAGE) -> str:
    """A date for people in `language`: 22 November 2026, 22 novembre 2026."""
    return i18n.date_text(value, language)


@jinja2.pass_context
def _date_filter(context: Any, value: dt.datetime | None) -> str:
    """``{{ when | date }}`` in the page's language (its `language` variable)."""
    site = context.get("site")
    language = context.get("language") or (site.language if site else i18n.SOURCE_LANGUAGE)
    return human_date(value, language)


def iso_date(value: dt.datetime | None) -> str:
    """``2026-07-10``: for ``<time datetime>``."""
    return "" if value is None else value.strftime("%Y-%m-%d")


BUILTIN_SHOWN = "themes/default/templates"
"""How messages name the built-in theme's templates, wherever credsite is installed."""


class Words:
    """The theme's words in one language: `gettext` for code, and the callables that
    ``{% trans %}`` and ``_()`` call in templates (Jinja2's i18n extension, new style: the
    translation is autoescaped and ``%(name)s`` filled in from keyword arguments; without any,
    ``_("100%")`` is given as it is, and a ``{% trans %}`` block's ``%%`` as ``%``,
    `_Messages`)."""

    def __init__(self, language: str, translations: Any) -> None:
        self.language = language
        self.translations = translations
        self.direction = text_direction(language)

    def gettext(self, message: str, **variables: Any) -> str:
        text = str(self.translations.gettext(message))
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: Any) -> str:
        text = str(self.translations.ngettext(singular, plural, n))
        return text % {"num": n, **variables}

    def callables(self) -> dict[str, Any]:
        translations = self.translations

        @jinja2.pass_context
        def gettext(context: Any, message: str, **variables: Any) -> str:
            text: str = translations.gettext(message)
            if context.eval_ctx.autoescape:
                text = Markup(text)
            return text % variables if variables else text

        @jinja2.pass_context
        def ngettext(
            context: Any, singular: str, plural: str, n: int, **variables: Any
        ) -> str:
            text: str = translations.ngettext(singular, plural, n)
            if context.eval_ctx.autoescape:
                text = Markup(text)
            return text % {"num": n, **variables}

        @jinja2.pass_context
        def pgettext(context: Any, message_context: str, message: str, **variables: Any) -> str:
            text: str = translations.pgettext(message_context, message)
            if context.eval_ctx.autoescape:
                text = Markup(text)
            return text % variables if variables else text

        return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "_": gettext}


class _Messages(jinja2.ext.InternationalizationExtension):
    """Jinja2's i18n extension, with the ``%%`` of a ``{% trans %}`` block without variables
    given as ``%``. Its text writes each ``%`` as ``%%`` (``{% trans %}50% done{% endtrans %}``
    is the message ``50%% done``, as Babel extracts it and translators keep it), which newstyle
    gettext without variables gave as it is: "50%% done" on the page. Only ``%%`` is replaced,
    not %-formatted: a translation that writes one ``%`` shows as written."""

    def _make_node(self, *args: Any, **options: Any) -> nodes.Output:
        output = super()._make_node(*args, **options)
        call = output.nodes[0]
        if (
            isinstance(call, nodes.Call)
            and isinstance(call.node, nodes.Name)
            and call.node.name in ("gettext", "pgettext")
            and not call.kwargs
        ):
            percent_signs: list[nodes.Expr] = [nodes.Const("%%"), nodes.Const("%")]
            output.nodes[0] = nodes.Filter(call, "replace", percent_signs, [], None, None,
                                           lineno=call.lineno)  # fmt: skip
        return output


_MESSAGE_FUNCTIONS = ("gettext", "_")
"""What a template calls to translate a message: ``_("...")``, and the ``gettext("...")`` that
Jinja2's i18n extension makes a ``{% trans %}`` block into."""


_TRANSLATED = "_credsite_translated"
"""The filter a message translated as its template was compiled is given to (`_translated`)."""


@jinja2.pass_context
def _translated(context: Any, text: str) -> str:
    """A message's translation, found as the template was compiled (`_FixedMessages`), given
    as `Words.callables`' gettext gives it: marked safe where autoescaping is on where the page
    is rendered. A filter that takes the context, so never a constant of the template: a
    constant joined with ``~`` is a plain string (its HTML then escaped), and a macro's or
    block's autoescaping is that of where it is called."""
    return Markup(text) if context.eval_ctx.autoescape else text


def _translation(text: str, lineno: int) -> nodes.Filter:
    return nodes.Filter(nodes.Const(text), _TRANSLATED, [], [], None, None, lineno=lineno)


def _translated_text(node: nodes.Node) -> str | None:
    """The text of a `_translation` node, or None."""
    if isinstance(node, nodes.Filter) and node.name == _TRANSLATED:
        assert isinstance(node.node, nodes.Const)
        return str(node.node.value)
    return None


def _only_arguments(node: nodes.Call | nodes.Filter) -> bool:
    """Whether a call or filter is given its positional arguments alone (no keyword, no
    ``*args`` or ``**kwargs``)."""
    return not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None


class _FixedMessages(NodeTransformer):
    """A template's messages given as they are, each replaced by its translation (see
    `_Environment`): ``_("Issued")``, and a ``{% trans %}`` block without variables (with its
    ``%%`` replaced, `_Messages`)."""

    def __init__(self, translations: Any) -> None:
        self.translations = translations

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)
        callee, args = node.node, node.args
        if (
            isinstance(callee, nodes.Name)
            and callee.name in _MESSAGE_FUNCTIONS
            and len(args) == 1
            and isinstance(args[0], nodes.Const)
            and isinstance(args[0].value, str)
            and _only_arguments(node)
        ):
            return _translation(str(self.translations.gettext(args[0].value)), node.lineno or 0)
        return node

    def visit_Filter(self, node: nodes.Filter) -> nodes.Node:
        self.generic_visit(node)
        text = _translated_text(node.node) if node.node is not None else None
        if (
            text is not None
            and node.name == "replace"
            and [getattr(a, "value", None) for a in node.args] == ["%%", "%"]  # Const's value
            and _only_arguments(node)
        ):  # what the filter gives a Markup or a string of the text: the text with % for %%
            return _translation(text.replace("%%", "%"), node.lineno or 0)
        return node


_REBINDING = re.compile(
    r"(?<![\w.])(?:_|gettext)(?=\s*(?:=(?!=)|,|\)|\s+in\b))"  # set, with, for, a parameter
    r"|\b(?:as|macro|set|import)\s+(?:_|gettext)\b"  # import ... as, a macro, {% set %}
    r"|\bimport\s[^%]*?\b(?:_|gettext)\b"  # from ... import gettext
)
"""Where a template may give ``_`` or ``gettext`` a meaning of its own: ``{% set _ = ... %}``,
``{% for _ in ... %}``, ``{% macro _(...) %}``, a macro's or call block's parameter, an import.
Looked for in the text of every template of a theme (it may be rebound in one and used in
another: an include, a parent): more than that (``{% if _ in x %}``) only turns the fixed
messages off."""


class _Environment(jinja2.Environment):
    """A theme's Jinja2 environment. With `translations` (one language's), each message a
    template gives as it is (`_FixedMessages`) is translated as the template is compiled: about
    45 a credential page, each otherwise a context call and a catalog look-up at every page.
    Calls with variables, plurals and contexts run as the page is rendered, as they do without
    `translations`."""

    translations: Any = None
    """The catalog of the language the templates are compiled for, or None (messages looked up
    as each page is rendered)."""
    compiled_as: str = ""
    """What else than their source the templates as compiled depend on: the language and its
    catalogs' bytes (`Theme.environment`); how they are kept (`_CompiledTemplates`)."""

    def compile(  # type: ignore[override]  # Jinja2 compiles templates with raw=False only
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: Literal[False] = False,
        defer_init: bool = False,
    ) -> CodeType:
        if isinstance(source, str) and self.translations is not None:
            tree = self.parse(source, name, filename)  # a syntax error: raised as compile does
            try:
                return super().compile(
                    _FixedMessages(self.translations).visit(tree), name, filename, raw,
                    defer_init,
                )  # fmt: skip
            except jinja2.TemplateSyntaxError:
                pass  # raised again below, with the template's source, as for any template
        return super().compile(source, name, filename, raw, defer_init)

    def settings(self) -> str:
        """What of this environment, besides `compiled_as`, its compiled templates depend on:
        an overlay may change it (``credsite notify``'s text emails: no autoescaping)."""
        return repr((self.autoescape, self.trim_blocks, self.lstrip_blocks,
                     self.keep_trailing_newline, self.newline_sequence, self.optimized,
                     self.block_start_string, self.variable_start_string,
                     self.comment_start_string, self.line_statement_prefix,
                     sorted(self.extensions), self.newstyle_gettext))  # type: ignore[attr-defined]  # fmt: skip


class _CompiledTemplates(jinja2.BytecodeCache):
    """Templates as compiled, kept in the build's cache (`FileCache`: sealed, written whole) by
    what they are compiled from: their source (Jinja2 checks it), the language they are compiled
    for with its catalogs' bytes (`Theme.environment`), and credsite's code with the libraries'
    versions (`code_version`). A build then compiles only what changed, where each compiled the
    theme again, in its own process and each worker, once a language."""

    def __init__(self, folder: Path) -> None:
        self.kept = FileCache(folder, code_version())

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.kept.get(self._key(bucket))
        if data is not None:
            bucket.bytecode_from_string(data)  # another source or Python's: left unloaded

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.kept.put(self._key(bucket), bucket.bytecode_to_string())

    @staticmethod
    def _key(bucket: jinja2.bccache.Bucket) -> tuple[str, ...]:
        environment = bucket.environment
        if not isinstance(environment, _Environment):
            return ("template", "any", bucket.key)
        return ("template", environment.compiled_as, environment.settings(), bucket.key)


@dataclass
class Theme:
    """The Jinja2 environment for one site's theme."""

    env: jinja2.Environment
    static_dirs: list[Path]
    template_dirs: list[tuple[Path, str]] = field(default_factory=list)
    """Each template folder searched, in order, with how messages name it."""
    theme_dirs: list[Path] = field(default_factory=list)
    """The site's theme folder, then the built-in one: where `locale/` catalogs are found."""
    compiled: Path | None = None
    """Where its templates are kept compiled (`load_theme`), if anywhere."""
    _words: dict[str, Words] = field(default_factory=dict)
    _environments: dict[str, _Environment] = field(default_factory=dict)
    _rebinding: bool | None = None
    _texts: list[str] | None = None

    def words(self, language: str) -> Words:
        """The theme's message catalog for `language` (compiled once per theme)."""
        if language not in self._words:
            self._words[language] = Words(language, i18n.translations(self.theme_dirs, language))
        return self._words[language]

    def environment(self, language: str) -> jinja2.Environment:
        """`env` with the templates compiled for `language`'s pages: their messages translated
        as they are compiled (`_Environment`)."""
        if language not in self._environments:
            env = self.env.overlay(cache_size=400)  # its own compiled templates, not env's
            assert isinstance(env, _Environment)  # an overlay is of its environment's class
            words = self.words(language)
            # The language's words also where a template is imported without context (a macro
            # there looks them up in the globals): as in the messages fixed as it is compiled.
            env.globals = {**self.env.globals, **words.callables()}
            if not self._rebinds_messages():
                env.translations = words.translations
                catalogs = [p.read_bytes() for p in i18n.find_catalog(self.theme_dirs, language)]
                env.compiled_as = digest(language, *catalogs)
            self._environments[language] = env
        return self._environments[language]

    def _rebinds_messages(self) -> bool:
        """Whether a template of the theme may give ``_`` or ``gettext`` a meaning of its own
        (`_REBINDING`): then no message is fixed as the templates are compiled."""
        if self._rebinding is None:
            self._rebinding = any(_REBINDING.search(text) for text in self._template_texts())
        return self._rebinding

    def _template_texts(self) -> list[str]:
        """The text of every template file of the theme, read once (`mentions`, the rebinding
        check)."""
        if self._texts is None:
            self._texts = [
                path.read_text(encoding="utf-8", errors="replace")
                for folder, _ in self.template_dirs
                for path in sorted(folder.rglob("*"))
                if path.is_file()
            ]
        return self._texts

    def mentions(self, name: str) -> bool:
        """Whether any template of the theme has `name` in its text: the site's own templates
        (which may include one another) and the built-in ones they fall back on."""
        return any(name in text for text in self._template_texts())

    def has_catalog(self, language: str) -> bool:
        return i18n.has_catalog(self.theme_dirs, language)

    def shown(self, filename: str | None) -> str | None:
        """A template file as messages name it (``themes/<theme>/templates/x.html``), or None."""
        if not filename or filename.startswith("<"):
            return None  # not a file: "<template>", "<frozen ...>"
        path = Path(filename).resolve()
        for folder, shown in self.template_dirs:
            if path.is_relative_to(folder):
                return f"{shown}/{path.relative_to(folder).as_posix()}"
        return None


def load_theme(config: SiteConfig, compiled: Path | None = None) -> Theme:
    """The site's theme; `compiled`: where its templates are kept compiled
    (`_CompiledTemplates`), if anywhere."""
    dirs: list[Path] = []
    static: list[Path] = []
    shown: list[tuple[Path, str]] = []
    site_theme = config.root / "themes" / config.theme
    builtin = builtin_theme_dir()
    theme_dirs = list(dict.fromkeys([site_theme, builtin]))
    for theme_dir in theme_dirs:
        if (theme_dir / "templates").is_dir():
            dirs.append(theme_dir / "templates")
            name = f"themes/{config.theme}/templates" if theme_dir == site_theme else BUILTIN_SHOWN
            shown.append(((theme_dir / "templates").resolve(), name))
        if (theme_dir / "static").is_dir():
            static.append(theme_dir / "static")
    if config.theme != "default" and not site_theme.is_dir():
        raise CredsiteError(
            f"theme '{config.theme}' not found: expected themes/{config.theme}/",
            Location("site.yaml"),
        )
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[_Messages],
        # Each build loads its theme again (a worker process, once per theme digest): within
        # one, a template is read once, not checked for changes at every page (a stat each).
        auto_reload=False,
        bytecode_cache=_CompiledTemplates(compiled) if compiled is not None else None,
    )
    env.policies["ext.i18n.trimmed"] = True  # {% trans %} text on one line, as extracted
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.filters["markdown"] = lambda text: Markup(markdown_html(text))
    env.filters["date"] = _date_filter
    env.filters["isodate"] = iso_date
    env.filters["qr"] = qr.qr_svg
    env.filters[_TRANSLATED] = _translated
    return Theme(env, static, shown, [d for d in theme_dirs if d.is_dir()], compiled)


def render(theme: Theme, template: str, path: str, context: dict[str, Any]) -> str:
    """Render one page; template mistakes become located errors, not tracebacks.

    Every error raised while a template runs (an undefined variable, a missing include, a filter
    given the wrong value, a syntax error) is reported at the template file and line it comes
    from: ``themes/default/templates/credential.html:12: 'nope' is undefined``.
    """
    depth = path.count("/")
    site = context.get("site")
    language = context.get("language") or (site.language if site else i18n.SOURCE_LANGUAGE)
    words = theme.words(language)
    full = {
        "root": "../" * depth,
        "page_path": path,
        "language": language,
        "direction": words.direction,
        **words.callables(),
        **context,
    }
    try:
        page = theme.environment(language).get_template(template).render(full)
    except Exception as exc:
        problem = template_problem(theme, exc)
        if problem is None:
            raise
        raise CredsiteError(problem.message, problem.location) from None
    return unindented(page) if path.endswith(".html") else page


_KEEP_SPACE = re.compile(r"(<(pre|textarea|script)\b.*?</\2\s*>)", re.S | re.I)
"""Elements whose text keeps its white space as written."""
_INDENT = re.compile(r"\n[ \t]+(?=<|\Z)")
"""The indentation of a line that starts with a tag."""


def unindented(html: str) -> str:
    """`html` without the indentation of lines that start with a tag: a template's indentation
    is for its reader, and a tenth of a credential page. Outside ``<pre>``, ``<textarea>`` and
    ``<script>`` a line break with or without spaces after it shows as one space (CSS Text 3
    section 4.1, ``white-space: normal``), so the page shows the same; those three are kept
    whole. A theme's own element styled ``white-space: pre`` would lose its indentation: put
    such text in a ``<pre>``."""
    parts = _KEEP_SPACE.split(html)
    # split() gives text, then each kept element and its tag name: text is every third part.
    return "".join(
        _INDENT.sub("\n", part) if index % 3 == 0 else part
        for index, part in enumerate(parts)
        if index % 3 != 2
    )


def template_problem(theme: Theme, exc: BaseException) -> Problem | None:
    """Where in which template `exc` was raised, and what went wrong; None if not in a template.

    A syntax error knows its own file and line. For an error raised while a template runs,
    Jinja2 rewrites the traceback so that each template being run (the page, the layout it
    extends, what it includes, a block, a macro) is a frame whose file name is the template's
    and whose line is the template's line: the innermost such frame is where the error is.
    """
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = theme.shown(exc.filename) or exc.name or "template"
        return Problem(Location(name, exc.lineno or 0), exc.message or str(exc))
    location = None
    tb = exc.__traceback__
    while tb is not None:
        shown = theme.shown(tb.tb_frame.f_code.co_filename)
        if shown is not None:
            location = Location(shown, tb.tb_lineno or 0)
        tb = tb.tb_next
    if isinstance(exc, jinja2.TemplatesNotFound):
        message = exc.message or str(exc)
    elif isinstance(exc, jinja2.TemplateNotFound):
        message = f"template not found: {exc.name}"
    elif isinstance(exc, jinja2.TemplateError):
        message = exc.message or str(exc)
    elif location is None:
        return None  # not raised by a template: a bug in credsite, keep its traceback
    else:
        message = f"{type(exc).__name__}: {exc}"
    return Problem(location, message)


def theme_digest(theme: Theme) -> str:
    """A digest of every file of the theme's templates, static and locale folders (a page made
    with the same digest was made with the same theme and words)."""
    parts: list[str | bytes] = []
    for index, (folder, _shown) in enumerate(theme.template_dirs):
        parts += _folder_parts(f"templates {index}", folder)
    for index, folder in enumerate(theme.static_dirs):
        parts += _folder_parts(f"static {index}", folder)
    for index, folder in enumerate(theme.theme_dirs):  # the message catalogs (locale/)
        if (folder / "locale").is_dir():
            parts += _folder_parts(f"locale {index}", folder / "locale")
    return digest(*parts)


def _folder_parts(label: str, folder: Path) -> list[str | bytes]:
    parts: list[str | bytes] = [label]
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return parts


def static_files(theme: Theme) -> dict[str, bytes]:
    """Theme static files under static/, the site's own theme winning over the default."""
    files: dict[str, bytes] = {}
    for folder in reversed(theme.static_dirs):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files["static/" + path.relative_to(folder).as_posix()] = path.read_bytes()
    return files
