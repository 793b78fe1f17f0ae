"""The import direction of docs/architecture.md, checked on the source with `ast`.

* A module imports only from rows above it. Rows come from the table in docs/architecture.md;
  a module the table does not list takes the layer its docstring declares ("Layer 8."), and
  "Layer N (beside X)" means half a row below X (it may import X, X may not import it).
* credsite.vc imports nothing from credsite outside credsite.vc.
* Every third-party library has one owning module (the list under the table).

Imports under ``if TYPE_CHECKING:`` are left out: they exist for annotations only.
Known departures from the table are listed in KNOWN_VIOLATIONS with the reason; a departure that
is fixed must be removed from that list (the test fails on a stale entry), a new one fails.
"""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "credsite"
ARCHITECTURE = REPO / "docs" / "architecture.md"

# What docs/architecture.md states, restated so a change to the document is noticed too.
# An owner is a module, or a package whose modules may all import the library.
EXPECTED_OWNERS = {
    "pyld": "vc.jsonld",
    "nacl": "vc.keys",
    "rfc8785": "vc.proof",
    "base58": "vc.encoding",
    "yaml": "content.yamlsource",
    "openpyxl": "content.spreadsheet",
    "ruamel": "commands.status",
    "PIL": "media",
    "jinja2": "website.render",
    "babel": "website.i18n",
    "markdown": "website.render",
    "nh3": "website.render",
    "segno": "website.qr",
    "markupsafe": "website",
    "watchdog": "commands.serve",
    "cryptography": "issuing.private",
    "packaging": "commands.vendor",
    "click": "cli",
    "rich": "cli",
    "orjson": "values",
    "ahocorasick_rs": "website.secrets",
}
# Third-party imports the document does not name yet; each has one sensible owner.
UNDOCUMENTED_OWNERS: dict[str, str] = {}
# Modules with neither a row in the table nor a "Layer N" in their docstring.
ASSUMED_LAYERS: dict[str, float] = {}
# (importer, imported): departures from the table that exist today, each with its reason.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # module name relative to the package ("vc.keys"), or a third-party top name
    line: int
    third_party: bool


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


@functools.cache
def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _type_checking_lines(tree)
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def add(target: str, line: int) -> None:
        top = target.split(".")[0]
        if top == "credsite":
            rel = target.removeprefix("credsite").removeprefix(".")
            found.append(Import(name, rel, line, third_party=False))
        elif top not in sys.stdlib_module_names:
            found.append(Import(name, top, line, third_party=True))

    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ("credsite." + name).split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "credsite":
                add(target, node.lineno)
                continue
            # `from credsite import model` imports a module; `from credsite import __version__`
            # imports from the package itself.
            for alias in node.names:
                candidate = f"{target}.{alias.name}".removeprefix("credsite").removeprefix(".")
                if candidate in modules:
                    add(f"credsite.{candidate}", node.lineno)
                else:
                    add(target, node.lineno)
    return found


def doc_rows() -> dict[str, float]:
    """module -> row, from the code block under "## Modules and import direction"."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Modules and import direction", 1)[1]
    block = section.split("```", 2)[1]
    rows: dict[str, float] = {}
    row = None
    for line in block.splitlines():
        if not line.strip():
            continue
        match = re.match(r"row (\d+)\s+(.*)", line)
        if match:
            row, rest = int(match[1]), match[2]
        else:
            rest = line.strip()
        assert row is not None, line
        names = re.split(r"\s{2,}", rest.strip(), maxsplit=1)[0]
        for module in names.split(","):
            rows[module.strip()] = float(row)
    return rows


def doc_owners() -> dict[str, str]:
    """third-party import name -> owning module, from the paragraph under the table."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paragraph = text.split("Third-party libraries have one owning module or package each:", 1)[1]
    paragraph = paragraph.split("\n\n", 1)[0]
    owners: dict[str, str] = {}
    for libs, owner in re.findall(r"((?:`[\w.]+`/?)+)\s+in\s+`([\w.]+)`", paragraph):
        for lib in re.findall(r"`([\w.]+)`", libs):
            owners[lib.split(".")[0]] = owner
    return owners


def declared_layer(path: Path, rows: dict[str, float]) -> float | None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.search(r"Layer (\d+)(?: \(beside (\w+))?", doc)
    if not match:
        return None
    if match[2]:
        return rows[match[2]] + 0.5
    return float(match[1])


def layers() -> dict[str, float]:
    rows = doc_rows()
    result: dict[str, float] = {"": 0.0}  # the package itself: __version__ only
    for name, path in package_modules().items():
        if name in ("", "vc"):
            continue
        if name in rows:
            result[name] = rows[name]
        elif (layer := declared_layer(path, rows)) is not None:
            result[name] = layer
        elif name in ASSUMED_LAYERS:
            result[name] = ASSUMED_LAYERS[name]
    return result


@functools.cache
def all_imports() -> tuple[Import, ...]:
    modules = package_modules()
    return tuple(imp for name, path in modules.items() for imp in imports_of(name, path, modules))


# -- the tests -------------------------------------------------------------------------------------


def test_table_is_parsed() -> None:
    rows = doc_rows()
    assert rows["errors"] == 0 and rows["vc.encoding"] == 1 and rows["vc.verify"] == 4
    assert rows["content.spreadsheet"] < rows["content.model"] < rows["state.lockfile"]
    assert rows["state.lockfile"] < rows["issuing.ob3"] < rows["build"] < rows["cli"]
    assert rows["openbadges.png"] == rows["openbadges.svg"] == 6
    assert rows["issuing.urls"] == 14 and rows["build"] == 26 and rows["cli"] == 30
    assert rows["__main__"] == 31
    assert doc_owners() == EXPECTED_OWNERS


def test_every_module_has_a_layer() -> None:
    known = layers()
    missing = sorted(n for n in package_modules() if n not in ("", "vc") and n not in known)
    assert missing == [], "add these modules to docs/architecture.md or give them a 'Layer N'"


def test_docstring_layers_agree_with_the_table() -> None:
    rows = doc_rows()
    disagree = []
    for name, path in package_modules().items():
        layer = declared_layer(path, rows) if name in rows else None
        if layer is not None and layer != rows[name]:
            disagree.append((name, layer, rows[name]))
    assert disagree == []


def test_imports_point_up_the_table() -> None:
    known = layers()
    violations: dict[tuple[str, str], list[int]] = {}
    for imp in all_imports():
        if imp.third_party or imp.importer not in known or imp.imported not in known:
            continue
        if known[imp.imported] >= known[imp.importer]:
            violations.setdefault((imp.importer, imp.imported), []).append(imp.line)
    new = {pair: lines for pair, lines in violations.items() if pair not in KNOWN_VIOLATIONS}
    assert new == {}, "imports from the same or a lower row of docs/architecture.md"
    stale = sorted(set(KNOWN_VIOLATIONS) - set(violations))
    assert stale == [], "fixed: remove these from KNOWN_VIOLATIONS"


def test_vc_imports_nothing_outside_vc() -> None:
    outside = [
        (imp.importer, imp.imported, imp.line)
        for imp in all_imports()
        if imp.importer.startswith("vc")
        and not imp.third_party
        and not (imp.imported == "vc" or imp.imported.startswith("vc."))
    ]
    assert outside == []


def test_errors_imports_nothing_from_credsite() -> None:
    assert [i for i in all_imports() if i.importer == "errors" and not i.third_party] == []


def test_third_party_libraries_have_one_owner() -> None:
    owners = {**doc_owners(), **UNDOCUMENTED_OWNERS}
    wrong = sorted(
        (imp.imported, imp.importer, imp.line)
        for imp in all_imports()
        if imp.third_party and not _owns(owners.get(imp.imported), imp.importer)
    )
    assert wrong == [], "(library, importer, line): import it only in its owning module"


def _owns(owner: str | None, importer: str) -> bool:
    return owner is not None and (importer == owner or importer.startswith(owner + "."))


def test_each_package_imports_only_packages_below_it() -> None:
    """The package order of docs/architecture.md "Packages", on top of the row order."""
    order = ["vc", "openbadges", "content", "state", "issuing", "media", "website", "build",
             "commands", "report", "cli", "__main__"]  # fmt: skip
    foundation = {"", "errors", "values", "atomic", "cache", "pool", "colour", "sitelock", "spill"}
    upward = sorted(
        (imp.importer, imp.imported, imp.line)
        for imp in all_imports()
        if not imp.third_party
        and imp.imported.split(".")[0] not in foundation
        and imp.importer.split(".")[0] in order
        and order.index(imp.imported.split(".")[0]) > order.index(imp.importer.split(".")[0])
    )
    assert upward == []


def test_verifying_loads_no_authoring_stack() -> None:
    """`credsite verify` must not drag in Pillow, PyYAML or Jinja2 (nor rendering, nor content)."""
    code = (
        "import sys, credsite.commands.verify, credsite.openbadges.ob2;"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PIL', 'yaml', 'jinja2', 'ruamel', 'markdown', 'segno') or m.startswith('credsite.'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = [m for m in loaded if not m.startswith("credsite.")]
    assert heavy == []
    assert not any(
        m.startswith(("credsite.content", "credsite.website", "credsite.media")) for m in loaded
    )


def test_import_scanner_sees_relative_and_lazy_imports() -> None:
    # the checks above are only as good as the scanner: make sure it finds the tricky forms
    imports = {(i.importer, i.imported) for i in all_imports()}
    assert ("vc.proof", "vc.jsonld") in imports  # from .jsonld import canonicalize
    assert ("cli", "build") in imports  # a function-level import
    assert ("build", "content.model") in imports  # from credsite.content import model
    assert ("cli", "") in imports  # from credsite import __version__
    assert ("content.yamlsource", "yaml") in {
        (i.importer, i.imported) for i in all_imports() if i.third_party
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import yaml\n", [("yaml", True)]),
        ("from credsite.vc import proof\n", [("vc.proof", False)]),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from credsite import build\n",
            [],
        ),
        ("def f():\n    from credsite.website.output import Output\n", [("website.output", False)]),
    ],
)
def test_import_scanner_cases(tmp_path: Path, source: str, expected) -> None:
    path = tmp_path / "mod.py"
    path.write_text(source, encoding="utf-8")
    modules = package_modules()
    found = [
        (i.imported, i.third_party)
        for i in imports_of("mod", path, modules)
        if i.imported != "typing"
    ]
    assert found == expected
