"""Templates compiled once for each language (render.Theme.environment): each message a template
gives as it is becomes its translation as the template is compiled, and the compiled templates are
kept in the build cache. A page must come out as it does when every message is looked up as the
page is rendered (the theme's plain environment, `Theme.env`)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from credsite.website import render

CATALOG = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: fr\\n"

msgid "Hello <em>you</em>"
msgstr "Bonjour <em>vous</em>"

msgid "Issued"
msgstr "Délivré"

msgid "%(n)s days"
msgstr "%(n)s jours"

msgid "50%% done"
msgstr "50%% fait"
"""

PAGE = (
    "{% trans %}Hello <em>you</em>{% endtrans %}|{{ _('Hello <em>you</em>') }}|"
    "{{ _('Issued') ~ '<b>' }}|{{ gettext('Issued') if flag else 'no' }}|"
    "{{ {'a': _('Issued')}['a'] }}|{% autoescape false %}{{ _('Issued') ~ '<b>' }}"
    "{% endautoescape %}|{{ _('%(n)s days', n='<3>') }}|{% trans %}50% done{% endtrans %}|"
    "{% trans n=2 %}{{ n }} days{% endtrans %}|{{ _('Not in the catalog') }}|"
    "{{ _('Hello <em>you</em>') ~ '!' }}|{{ (_('Issued') ~ '<br>') | safe }}|"
    "{% set joined = _('Hello <em>you</em>') ~ '!' %}{{ joined }}|{{ _('Issued') | length }}|"
    "{% macro shown() %}{{ _('Hello <em>you</em>') }}{% trans %}50% done{% endtrans %}{% endmacro %}"
    "{% autoescape false %}{{ shown() }}{% endautoescape %}|{{ shown() }}\n"
)


def theme_folder(tmp_path: Path, page: str = PAGE, catalog: str = CATALOG) -> Any:
    """A site with a theme of its own holding one template (page.html) and a French catalog."""
    theme = tmp_path / "themes" / "mine"
    (theme / "templates").mkdir(parents=True, exist_ok=True)
    (theme / "templates" / "page.html").write_text(page, encoding="utf-8")
    messages = theme / "locale" / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    (messages / "messages.po").write_text(catalog, encoding="utf-8")
    return SimpleNamespace(root=tmp_path, theme="mine")


def as_looked_up(theme: render.Theme, language: str, **context: Any) -> str:
    """The page with every message looked up as it is rendered (the plain environment)."""
    words = theme.words(language)
    return theme.env.get_template("page.html").render(**words.callables(), **context)


def as_compiled(theme: render.Theme, language: str, **context: Any) -> str:
    words = theme.words(language)
    template = theme.environment(language).get_template("page.html")
    return template.render(**words.callables(), **context)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_messages_translated_as_compiled_give_the_page_they_give_at_rendering(
    tmp_path: Path, language: str
) -> None:
    theme = render.load_theme(theme_folder(tmp_path))  # type: ignore[arg-type]
    page = as_compiled(theme, language, flag=True)
    assert page == as_looked_up(theme, language, flag=True)
    if language == "fr":
        assert page.startswith("Bonjour <em>vous</em>|Bonjour <em>vous</em>|Délivré&lt;b&gt;|")
        assert "|Délivré<b>|" in page  # not autoescaped there: a plain string, as gettext gives
        assert "&lt;3&gt; jours" in page  # with variables: looked up and filled in as before


def test_compiled_messages_are_constants_in_the_compiled_template(tmp_path: Path) -> None:
    """What makes it worth doing: no call is left for a message given as it is."""
    theme = render.load_theme(theme_folder(tmp_path))  # type: ignore[arg-type]
    env = theme.environment("fr")
    source = env.compile(env.loader.get_source(env, "page.html")[0], raw=True)  # type: ignore[union-attr,call-overload]
    plain = theme.env.compile(theme.env.loader.get_source(theme.env, "page.html")[0], raw=True)  # type: ignore[union-attr,call-overload]
    assert "Bonjour <em>vous</em>" in source and "Bonjour" not in plain
    assert source.count("'Issued'") == 0 and plain.count("'Issued'") > 0
    # Each of the 14 messages given as they are is no longer a call; the 2 with variables are.
    assert plain.count("context.call(") - source.count("context.call(") == 14
    assert "%(n)s days" in source  # the message with variables still a call


def test_a_template_that_gives_gettext_a_meaning_of_its_own_is_compiled_as_written(
    tmp_path: Path,
) -> None:
    for page in (
        "{% macro _(m) %}[{{ m }}]{% endmacro %}{{ _('Issued') }}\n",
        "{% set gettext = _ %}{{ gettext('Issued') }}\n",
        "{% for _ in ['x'] %}{{ _ }}{% endfor %}{% trans %}Issued{% endtrans %}\n",
        "{% from 'other.html' import shout as _ %}{{ _('Issued') }}\n",
    ):
        root = theme_folder(tmp_path, page)
        (tmp_path / "themes/mine/templates/other.html").write_text(
            "{% macro shout(m) %}{{ m | upper }}!{% endmacro %}", encoding="utf-8"
        )
        theme = render.load_theme(root)  # type: ignore[arg-type]
        assert as_compiled(theme, "fr") == as_looked_up(theme, "fr"), page
    root = theme_folder(tmp_path, "{% macro _(m) %}[{{ m }}]{% endmacro %}{{ _('Issued') }}\n")
    assert as_compiled(render.load_theme(root), "fr") == "[Issued]\n"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("page", "other"),
    [  # _ given a meaning of its own in one template, used in another
        ("{% macro _(m) %}[{{ m }}]{% endmacro %}{% include 'other.html' %}", "{{ _('Issued') }}"),
        (
            "{% macro shout(m) %}{{ m | upper }}!{% endmacro %}"
            "{% for _ in [shout] %}{% include 'other.html' %}{% endfor %}",
            "{{ _('Issued') }}",
        ),
        ("{% with gettext = _ %}{% include 'other.html' %}{% endwith %}", "{{ gettext('Issued') }}"),
        (
            "{% extends 'other.html' %}{% block b %}{{ _('Issued') }}{% endblock %}",
            "{% macro _(m) %}[{{ m }}]{% endmacro %}{% block b %}{% endblock %}",
        ),
    ],
)
def test_a_theme_that_gives_gettext_a_meaning_of_its_own_anywhere_is_compiled_as_written(
    tmp_path: Path, page: str, other: str
) -> None:
    root = theme_folder(tmp_path, page + "\n")
    (tmp_path / "themes/mine/templates/other.html").write_text(other, encoding="utf-8")
    theme = render.load_theme(root)  # type: ignore[arg-type]
    assert as_compiled(theme, "fr") == as_looked_up(theme, "fr")


def test_a_macro_imported_without_context_is_in_the_pages_language(tmp_path: Path) -> None:
    """Its messages, fixed or with variables, are the page's language's (they were English)."""
    root = theme_folder(tmp_path, "{% import 'other.html' as other %}{{ other.f() }}\n")
    (tmp_path / "themes/mine/templates/other.html").write_text(
        "{% macro f() %}{{ _('Issued') }}|{{ _('%(n)s days', n=2) }}{% endmacro %}", encoding="utf-8"
    )
    theme = render.load_theme(root)  # type: ignore[arg-type]
    assert as_compiled(theme, "fr") == "Délivré|2 jours\n"


def test_an_environment_with_other_settings_compiles_its_own(tmp_path: Path) -> None:
    """The compiled templates are kept by the settings they were compiled with: an overlay
    without autoescaping (the text emails) does not take the pages' code."""
    root = theme_folder(tmp_path, "{{ '<b>' }}\n")
    kept = tmp_path / "cache" / "templates"
    theme = render.load_theme(root, kept)  # type: ignore[arg-type]
    assert theme.env.get_template("page.html").render() == "&lt;b&gt;\n"
    text = render.load_theme(root, kept).env.overlay(autoescape=False)  # type: ignore[arg-type]
    assert text.get_template("page.html").render() == "<b>\n"


def compiles(theme: render.Theme, language: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many templates rendering page.html in `language` compiled."""
    calls: list[str] = []
    compile_template = render._Environment.compile

    def counted(self: Any, source: Any, *args: Any, **options: Any) -> Any:
        calls.append(str(args[0] if args else options.get("name")))
        return compile_template(self, source, *args, **options)

    with monkeypatch.context() as patched:
        patched.setattr(render._Environment, "compile", counted)
        as_compiled(theme, language, flag=True)
    return len(calls)


def test_compiled_templates_are_kept_by_source_language_and_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = theme_folder(tmp_path)
    kept = tmp_path / "cache" / "templates"
    first = render.load_theme(root, kept)  # type: ignore[arg-type]
    assert compiles(first, "fr", monkeypatch) == 1
    assert compiles(first, "en", monkeypatch) == 1  # another language: compiled for it
    again = render.load_theme(root, kept)  # type: ignore[arg-type]  # another build, or a worker
    assert compiles(again, "fr", monkeypatch) == 0
    assert as_compiled(again, "fr", flag=True) == as_compiled(first, "fr", flag=True)

    # A catalog changed: its language's templates compiled again, with the new words.
    catalog = root.root / "themes/mine/locale/fr/LC_MESSAGES/messages.po"
    catalog.write_text(CATALOG.replace("Délivré", "Émis"), encoding="utf-8")
    changed = render.load_theme(root, kept)  # type: ignore[arg-type]
    assert compiles(changed, "fr", monkeypatch) == 1
    assert "|Émis&lt;b&gt;|" in as_compiled(changed, "fr", flag=True)
    assert compiles(changed, "en", monkeypatch) == 0

    # The template changed: compiled again.
    template = root.root / "themes/mine/templates/page.html"
    template.write_text("{{ _('Issued') }} again\n", encoding="utf-8")
    edited = render.load_theme(root, kept)  # type: ignore[arg-type]
    assert as_compiled(edited, "fr") == "Émis again\n"

    # A kept file damaged: not used, the template compiled again.
    for path in kept.iterdir():
        path.write_bytes(path.read_bytes()[:-7] + b"garbage")
    damaged = render.load_theme(root, kept)  # type: ignore[arg-type]
    assert compiles(damaged, "fr", monkeypatch) == 1
    assert as_compiled(damaged, "fr") == "Émis again\n"


def test_a_percent_sign_in_a_trans_block_is_one_percent_sign_on_the_page(tmp_path: Path) -> None:
    """Jinja2 writes each % of a trans block's text as %% (so the .po files have it so): the
    page shows one, as Jinja2's own newstyle gettext gives, compiled or looked up."""
    theme = render.load_theme(theme_folder(tmp_path))  # type: ignore[arg-type]
    for language, text in (("fr", "|50% fait|"), ("en", "|50% done|")):
        assert text in as_compiled(theme, language, flag=True)
        assert text in as_looked_up(theme, language, flag=True)


def test_a_message_given_without_variables_is_not_formatted(tmp_path: Path) -> None:
    """``_("100% sure")`` shows as written, compiled or looked up: only a trans block's text
    (whose every % is written %%) is %-formatted without variables."""
    root = theme_folder(tmp_path, "{{ _('100% sure') }}|{{ _('%(x)s') }}|{% trans %}100% sure{% endtrans %}\n")
    theme = render.load_theme(root)  # type: ignore[arg-type]
    for language in ("fr", "en"):
        page = render.render(theme, "page.html", "page.html", {"language": language})
        assert page == "100% sure|%(x)s|100% sure"  # the line break: trim_blocks
        assert as_looked_up(theme, language) == page
