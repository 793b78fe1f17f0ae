"""Never delete a user's files (issue 12): a build replaces only an output folder credsite made
(it writes `.credsite-output` into it; an older credsite's output is known by its shape) or an
empty one. Anything else stops the build at site.yaml's `output` (or the -o option), naming what
would be lost: exit status 1, nothing written.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SITE_YAML, build_site, run_fresh, tree

from credsite.errors import CredsiteError, Location
from credsite.website import output, pages

DOCS_SITE_YAML = SITE_YAML + "output: docs\n"
OUTPUT_AT = "site.yaml:4:9"



def refused(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The error lines of a build that must have stopped cleanly (exit 1, no traceback)."""
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "Traceback" not in text and "1 problem; nothing was written." in text, text
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def nothing_written(root: Path, folder: str, before: dict[str, bytes]) -> None:
    assert tree(root / folder) == before
    assert not (root / "credsite.lock").exists()
    assert not (root / f"{folder}.staging").exists() and not (root / f"{folder}.previous").exists()
    assert not (root / ".credsite-cache" / "said.json").exists()


def test_docs_folder_of_the_user_is_never_replaced(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "site.yaml": DOCS_SITE_YAML,
            "docs/architecture.md": "# How it works\n",
            "docs/CNAME": "creds.example.org\n",
        }
    )
    before = tree(root / "docs")
    errors = refused(run_fresh("build", cwd=root))
    assert errors == [
        f"error: {OUTPUT_AT}: the output folder docs holds 2 files that credsite did not write "
        "(docs/CNAME, docs/architecture.md): a build replaces its output folder whole and would "
        "delete them: set 'output' to a new or empty folder (such as _site), or move those "
        "files out of it"
    ]
    nothing_written(root, "docs", before)


def test_output_option_is_checked_the_same_way(make_site: Callable[..., Path]) -> None:
    root = make_site({f"docs/page-{n}.md": f"{n}\n" for n in range(7)})
    (root / "docs" / "sub").mkdir()
    (root / "docs" / "sub" / "deep.txt").write_text("x", encoding="utf-8")
    before = tree(root / "docs")
    errors = refused(run_fresh("build", "-o", "docs", cwd=root))
    assert errors == [
        "error: -o docs: the output folder docs holds 8 files that credsite did not write "
        "(docs/page-0.md, docs/page-1.md, docs/page-2.md, docs/page-3.md, docs/page-4.md "
        "and 3 more): a build replaces its output folder whole and would delete them: pass -o "
        "a new or empty folder (such as _site), or move those files out of it"
    ]
    nothing_written(root, "docs", before)


@pytest.mark.parametrize("given", ["", "  "])
def test_an_empty_output_option_is_refused_not_taken_for_the_default(
    make_site: Callable[..., Path], given: str
) -> None:
    """`-o ""` (an unset shell variable, say) wrote the site to site.yaml's folder unasked."""
    root = make_site()
    errors = refused(run_fresh("build", "-o", given, cwd=root))
    assert errors == ["error: -o: -o was given no folder: name the folder to write the site to"]
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_a_file_where_the_output_folder_goes_is_refused(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": DOCS_SITE_YAML, "docs": "not a folder\n"})
    errors = refused(run_fresh("build", cwd=root))
    assert errors == [
        f"error: {OUTPUT_AT}: the output docs is a file, not a folder, and a build would "
        "replace it: choose a new or empty folder"
    ]
    assert (root / "docs").read_text(encoding="utf-8") == "not a folder\n"
    assert not (root / "credsite.lock").exists()


def test_empty_folder_is_used_and_marked(make_site: Callable[..., Path]) -> None:
    root = make_site({"site.yaml": DOCS_SITE_YAML})
    (root / "docs" / "empty" / "emptier").mkdir(parents=True)
    build_site(root)
    assert (root / "docs" / output.OUTPUT_MARKER).read_bytes() == output.OUTPUT_MARKER_TEXT
    assert (root / "docs" / "index.html").is_file() and not (root / "docs" / "empty").exists()
    build_site(root)  # its own output: replaced without a word
    assert (root / "docs" / "index.html").is_file()


@pytest.mark.parametrize("did", ["did.json", ".well-known/did.json"])
def test_output_of_an_older_credsite_is_recognised(
    make_site: Callable[..., Path], did: str
) -> None:
    """Built before the marker existed: .nojekyll, credentials/ and a DID document."""
    root = make_site()
    build_site(root)
    site = root / "_site"
    (site / output.OUTPUT_MARKER).unlink()
    if did != "did.json":
        (site / ".well-known").mkdir()
        (site / "did.json").rename(site / did)
    result = run_fresh("build", "-q", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (site / output.OUTPUT_MARKER).is_file() and (site / "did.json").is_file()


def test_a_folder_only_partly_shaped_like_an_output_is_refused(
    make_site: Callable[..., Path],
) -> None:
    root = make_site({"_site/.nojekyll": "", "_site/credentials/notes.txt": "mine\n"})
    before = tree(root / "_site")
    errors = refused(run_fresh("build", cwd=root))
    assert errors[0].startswith(
        "error: site.yaml: the output folder _site holds 2 files that credsite did not write "
        "(_site/.nojekyll, _site/credentials/notes.txt)"
    )
    nothing_written(root, "_site", before)


def test_symbolic_links_are_listed_not_followed(make_site: Callable[..., Path], tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("x", encoding="utf-8")
    root = make_site({"site.yaml": DOCS_SITE_YAML})
    (root / "docs").mkdir()
    (root / "docs" / "linked").symlink_to(outside)
    with pytest.raises(CredsiteError) as caught:
        build_site(root)
    (problem,) = caught.value.problems
    assert problem.location == Location("site.yaml", 4, 9)
    assert "holds 1 file that credsite did not write (docs/linked)" in problem.message
    assert (outside / "precious.txt").is_file()


def test_a_file_put_there_during_the_build_is_kept(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked again just before the swap: a file saved into the folder while the build ran."""
    root = make_site({"site.yaml": DOCS_SITE_YAML})
    real = pages.start_pages

    def start_pages(*args: object, **options: object) -> pages.PagesInProgress:
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / "CNAME").write_text("creds.example.org\n", encoding="utf-8")
        return real(*args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "start_pages", start_pages)
    with pytest.raises(CredsiteError, match=r"\(docs/CNAME\)"):
        build_site(root)
    assert tree(root / "docs") == {"CNAME": b"creds.example.org\n"}
    assert not (root / "credsite.lock").exists()


def test_no_output_path_leaves_the_site_or_is_written_twice(tmp_path: Path) -> None:
    """Refused whatever was added before (`Output._check` remembers the folders it let
    through): a path from the root, an empty, ``.`` or ``..`` segment, or a path given twice."""
    site = output.Output(tmp_path / "_site")
    for fine in ("index.html", "credentials/a.json", "credentials/a/b.json"):
        site.add(fine, b"x")
    for bad in ("/index.html", "/credentials/b.json", "//b", "credentials//b", "credentials/",
                "credentials/..", "credentials/../b", "credentials/./b", "../b", ".", "", "/"):  # fmt: skip
        with pytest.raises(ValueError, match="escapes the site"):
            site.add(bad, b"x")
    with pytest.raises(ValueError, match=r"two outputs would be written to credentials/a\.json"):
        site.add("credentials/a.json", b"y")
    site.abort()


@pytest.mark.parametrize("files", [10, output.REMOVE_IN_PARALLEL + 10])
def test_removing_a_replaced_site_never_follows_links_and_copes_with_read_only_folders(
    tmp_path: Path, files: int
) -> None:
    """A replaced site is removed on many threads when it is large: every file goes, a read-only
    folder in it as well, and what a symlink in it points at stays."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    site = tmp_path / "old-site"
    for number in range(files):
        folder = site / f"folder-{number % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number}.html").write_text(str(number))
    (site / "link-to-folder").symlink_to(outside)
    (site / "link-to-file").symlink_to(outside / "keep.txt")
    locked = site / "read-only"
    locked.mkdir()
    (locked / "inside.json").write_text("{}")
    locked.chmod(0o500)
    try:
        assert output._remove_tree(site)
    finally:
        if locked.exists():
            locked.chmod(0o700)
    assert not site.exists()
    assert (outside / "keep.txt").read_text() == "mine"


def test_what_a_killed_build_left_beside_another_output_folder_goes_at_the_next_build(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    """A build to ``-o`` killed half-way leaves its staging folder (as large as the site), or
    the site moved aside: the next build of the site, to whichever folder, tidies it as that
    folder's own next build would (the site's lock is held), and leaves the folder's site be."""
    root = make_site()
    elsewhere = tmp_path / "elsewhere"
    build_site(root, output_dir="tried")
    build_site(root, output_dir=str(elsewhere))
    tried, there = tree(root / "tried"), tree(elsewhere)
    staging = root / "tried.staging"
    (staging / "credentials").mkdir(parents=True)
    (staging / "credentials" / "half.json").write_text("{", encoding="utf-8")
    elsewhere.rename(tmp_path / "elsewhere.previous")  # killed between the two renames
    build_site(root)
    assert not staging.exists() and tree(root / "tried") == tried
    assert not (tmp_path / "elsewhere.previous").exists() and tree(elsewhere) == there
    # A folder deleted since, whose names the user gave to folders of their own, is left be;
    # a name the cache cannot hold (a NUL byte: a corrupt cache) is no error.
    shutil.rmtree(root / "tried")
    for own in ("tried.previous", "tried.staging"):
        (root / own).mkdir()
        (root / own / "mine.txt").write_text("mine\n", encoding="utf-8")
    (root / ".credsite-cache" / "sites" / ("1" * 24 + ".folder")).write_text("a\0b")
    build_site(root)
    assert not (root / "tried").exists()
    assert all(tree(root / own) == {"mine.txt": b"mine\n"} for own in ("tried.previous", "tried.staging"))
