"""A mistake in a template is a located problem, ``themes/<theme>/templates/x.html:LINE: message``,
for the built-in theme and for a site's own templates: exit 1, no traceback, nothing written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SITE_YAML, build_site, tree

from credsite.website import render

BUILTIN = render.builtin_theme_dir()

# Runs `credsite ARGS...` with the built-in theme read from THEME_DIR instead (a broken copy).
WITH_BUILTIN = (
    "import sys; from pathlib import Path; import credsite.website.render as r; "
    "theme = Path(sys.argv.pop(1)); r.builtin_theme_dir = lambda: theme; "
    "from credsite.cli import main; sys.argv[0] = 'credsite'; main()"
)

# (template, text replaced, replacement, message): one of each kind of template mistake.
MISTAKES = {
    "undefined": ("credential.html", "{{ achievement.name }}", "{{ nope }}", "'nope' is undefined"),
    "undefined-attribute": (
        "issuer.html",
        "{{ issuer.name }}",
        "{{ issuer.nope }}",
        "'credsite.content.model.Issuer object' has no attribute 'nope'",
    ),
    "syntax": ("base.html", "{% block main %}", "{% block main %}{% if %}", None),
    "missing-include": (
        "achievement.html",
        "{% block main %}",
        '{% block main %}{% include "nope.html" %}',
        "template not found: nope.html",
    ),
    "unknown-filter": (
        "index.html",
        "{{ site.title }}",
        "{{ site.title | nope }}",
        "No filter named 'nope'.",
    ),
    "filter-error": (
        "credential.html",
        "{{ achievement.name }}",
        "{{ achievement.name | date }}",
        "AttributeError: 'str' object has no attribute 'day'",
    ),
}


def break_template(folder: Path, template: str, old: str, new: str) -> int:
    """Replace the first `old` in `folder/template` by `new`; the line it is on (1-based)."""
    path = folder / template
    text = path.read_text(encoding="utf-8")
    assert old in text, (template, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def run_build(root: Path, theme: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``credsite build -q`` in a fresh interpreter (optionally with another built-in theme)."""
    command = (
        [sys.executable, "-m", "credsite"]
        if theme is None
        else [
            sys.executable,
            "-c",
            WITH_BUILTIN,
            str(theme),
        ]
    )
    return subprocess.run(
        [*command, "build", "-C", str(root), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def built_state(root: Path) -> tuple[dict[str, bytes], bytes]:
    return tree(root / "_site"), (root / "credsite.lock").read_bytes()


def assert_reported(run: subprocess.CompletedProcess[str], where: str, message: str | None) -> None:
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert lines[-1] == "1 problem; nothing was written.", run.stderr
    assert len(lines) == 2, run.stderr
    assert lines[0].startswith(f"error: {where}: "), run.stderr
    if message is not None:
        assert lines[0] == f"error: {where}: {message}"


@pytest.mark.parametrize("kind", sorted(MISTAKES))
def test_builtin_template_error_is_located(
    kind: str, make_site: Callable[..., Path], tmp_path: Path
) -> None:
    template, old, new, message = MISTAKES[kind]
    root = make_site()
    build_site(root)
    before = built_state(root)
    theme = tmp_path / "builtin"
    shutil.copytree(BUILTIN, theme)
    line = break_template(theme / "templates", template, old, new)
    run = run_build(root, theme)
    assert_reported(run, f"themes/default/templates/{template}:{line}", message)
    assert built_state(root) == before


def test_syntax_error_message(make_site: Callable[..., Path]) -> None:
    root = make_site({"themes/default/templates/index.html": "one\n{% if %}\n"})
    run = run_build(root)
    assert_reported(
        run,
        "themes/default/templates/index.html:2",
        "Expected an expression, got 'end of statement block'",
    )


@pytest.mark.parametrize("theme", ["default", "fancy"])
def test_site_template_error_is_located(theme: str, make_site: Callable[..., Path]) -> None:
    """A site's own template is named from the site root, under its theme's folder."""
    override = (
        '{% extends "base.html" %}\n'
        "{% block main %}\n"
        "<p>{{ issuer.name }}</p>\n"
        "<p>{{ nope }}</p>\n"
        "{% endblock %}\n"
    )
    root = make_site(
        {
            "site.yaml": SITE_YAML + f"theme: {theme}\n",
            f"themes/{theme}/templates/issuer.html": override.replace("{{ nope }}", ""),
        }
    )
    build_site(root)
    before = built_state(root)
    (root / f"themes/{theme}/templates/issuer.html").write_text(override, encoding="utf-8")
    run = run_build(root)
    assert_reported(run, f"themes/{theme}/templates/issuer.html:4", "'nope' is undefined")
    assert built_state(root) == before


def test_error_in_an_included_site_template_names_that_template(
    make_site: Callable[..., Path],
) -> None:
    """The innermost template is reported: the included one, not the page including it."""
    root = make_site(
        {
            "themes/default/templates/issuer.html": (
                '{% extends "base.html" %}\n{% block main %}\n{% include "card.html" %}\n'
                "{% endblock %}\n"
            ),
            "themes/default/templates/card.html": "<p>card</p>\n\n<p>{{ issuer.nope }}</p>\n",
        }
    )
    run = run_build(root)
    assert_reported(run, "themes/default/templates/card.html:3", None)
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_an_error_outside_templates_is_not_a_template_problem(
    make_site: Callable[..., Path],
) -> None:
    """Only what a template raised is reported as a template problem; a bug keeps its traceback."""
    from credsite.content import config

    theme = render.load_theme(config.load(make_site()))
    assert render.template_problem(theme, ValueError("a bug")) is None
