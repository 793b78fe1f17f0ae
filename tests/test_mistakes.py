"""Mistakes said once, at the right place (issue 12): an unclosed quote where it opens, one error
for an achievement file that failed (not one more per award naming it), placeholders left from
`credsite init` (warned on every build, fatal with --strict), a note that cannot change said once,
and the awards that left the content named.

Refusals run ``credsite build`` as a subprocess: exit status 1, the located message, no traceback,
nothing written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import AWARDS, MENTOR, NOW, build_site, fixed_clock, run_fresh, tree, write_files

from credsite import build as build_module
from credsite.commands import init as scaffold
from credsite.content import config, model, yamlsource
from credsite.errors import CredsiteError, Location

AWARDS_FILE = "content/awards/awards.yaml"



def lines(text: str, label: str) -> list[str]:
    return [line.removeprefix(f"{label}: ") for line in text.splitlines() if line.startswith(label)]


def assert_refused(result: subprocess.CompletedProcess[str], root: Path) -> list[str]:
    """Exit 1, no traceback, nothing written; the error lines."""
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "Traceback" not in text and "nothing was written" in text, text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()
    return lines(result.stderr, "error")


# -- an unclosed quote, where it opens ---------------------------------------------------------------

QUOTE_CASES = [
    (
        "never-closed",
        '- achievement: teamwork\n  name: "Ada Lovelace\n  email: ada@example.org\n'
        "- achievement: mentor\n  name: Grace\n  email: grace@example.org\n",
        '2:9: YAML syntax error: this " is never closed: end the value with "',
    ),
    (
        "single-never-closed",
        "- achievement: teamwork\n  name: 'Ada Lovelace\n  email: ada@example.org\n",
        "2:9: YAML syntax error: this ' is never closed: end the value with '",
    ),
    (
        "closed-by-a-later-quote",
        '- achievement: teamwork\n  name: "Ada Lovelace\n  email: ada@example.org\n'
        '- achievement: mentor\n  name: "Grace Hopper"\n  email: grace@example.org\n',
        '2:9: YAML syntax error: this " is not closed on its line, so the value runs on to '
        'line 5, where the next " ends it and what follows cannot be read: close the value '
        'with " on this line',
    ),
    (
        "quote-inside",
        "- achievement: teamwork\n  name: Ada\n  email: ada@example.org\n"
        '  narrative: "She said "yes" at once"\n',
        '4:14: YAML syntax error: this value ends at the " in column 24, before the rest of it: '
        'to write " inside a value, quote it with \' instead, or write " as \\"',
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in QUOTE_CASES], ids=[c[0] for c in QUOTE_CASES]
)
def test_quote_mistake_is_reported_where_the_quote_opens(text: str, expected: str) -> None:
    with pytest.raises(CredsiteError) as caught:
        yamlsource.parse(text, AWARDS_FILE)
    assert [str(p) for p in caught.value.problems] == [f"{AWARDS_FILE}:{expected}"]


def test_unclosed_quote_stops_the_build_once_at_its_line(make_site: Callable[..., Path]) -> None:
    root = make_site({AWARDS_FILE: QUOTE_CASES[0][1]})
    errors = assert_refused(run_fresh("build", cwd=root), root)
    assert errors == [f"{AWARDS_FILE}:{QUOTE_CASES[0][2]}"]


def test_multi_line_quoted_values_are_still_fine() -> None:
    text = 'narrative: "first line\n  second: line"\nname: x\n'
    assert yamlsource.parse(text, "a.yaml")["narrative"] == "first line second: line"


# -- an achievement file that failed is reported once -------------------------------------------------


def test_awards_of_an_achievement_that_failed_are_not_reported_again(
    make_site: Callable[..., Path],
) -> None:
    many = "".join(
        f"- achievement: mentor\n  name: Person {n}\n  email: p{n}@example.org\n" for n in range(5)
    )
    root = make_site(
        {
            "content/achievements/mentor.yaml": MENTOR.replace("name: Mentor", 'name: "Mentor'),
            AWARDS_FILE: AWARDS
            + many
            + "- achievement: mentr\n  name: X\n  email: x@example.org\n",
        }
    )
    errors = assert_refused(run_fresh("build", cwd=root), root)
    assert errors == [
        'content/achievements/mentor.yaml:1:7: YAML syntax error: this " is never closed: '
        'end the value with "',
        # an award naming an achievement that exists nowhere is still reported
        f"{AWARDS_FILE}:28:16: unknown achievement 'mentr'",
    ]


def test_achievement_of_an_issuer_that_failed_is_not_reported_again(
    make_site: Callable[..., Path],
) -> None:
    root = make_site(
        {
            "content/issuers/acme.yaml": "name: [Acme\n",
            "content/issuers/other.yaml": "name: Other\nurl: https://other.example.org\n",
            "site.yaml": "title: T\nurl: https://example.github.io/creds/\ndemo_key: true\n"
            "primary_issuer: other\n",
            "content/achievements/teamwork.yaml": "issuer: acme\n" + MENTOR,
            "content/achievements/mentor.yaml": "issuer: acme\n" + MENTOR,
        }
    )
    with pytest.raises(CredsiteError) as caught:
        model.load(config.load(root))
    assert [p.location.path for p in caught.value.problems if p.location] == [
        "content/issuers/acme.yaml"
    ]


# -- placeholders left from `credsite init` -----------------------------------------------------------


@pytest.fixture(scope="module")
def new_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site as `credsite init` writes it, not built."""
    root = tmp_path_factory.mktemp("init") / "site"
    scaffold.init(root)
    return root


PLACEHOLDERS = [
    "content/awards/sample-award.yaml:3:1: sample award from `credsite init` (Ada Example, "
    "ada@example.org): replace it with your own awards or delete it before you publish",
    "content/awards/sample-cohort.csv:2:3: sample award from `credsite init` (Grace Example, "
    "grace@example.org): replace it with your own awards or delete it before you publish",
    "content/awards/sample-cohort.csv:3:3: sample award from `credsite init` (Alan Example, "
    "alan@example.org): replace it with your own awards or delete it before you publish",
    "content/issuers/your-org.yaml:6:6: the issuer's 'url' is still https://example.org, the "
    "sample `credsite init` wrote: set it to your organisation's website",
    "content/issuers/your-org.yaml:8:8: the issuer's 'email' is still badges@example.org, the "
    "sample `credsite init` wrote, and 'publish_email: true' publishes it: set your "
    "organisation's address",
    "content/issuers/your-org.yaml:11:14: sample text from `credsite init` ('Replace this ...'): "
    "write your own",
    "site.yaml:12:6: 'url' is still the placeholder https://your-org.github.io/credentials/ that "
    "`credsite init` wrote: set it to the address the site will be published at (for GitHub "
    "Pages https://ORGANISATION.github.io/REPOSITORY/); every credential's id and the issuer's "
    "identity are built from it",
]


def test_placeholders_of_a_new_site_warn_located(new_site: Path) -> None:
    site = model.load(config.load(new_site))
    assert [str(w) for w in site.warnings] == PLACEHOLDERS


def test_placeholders_warn_on_every_build_and_fail_strict(new_site: Path, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(new_site, root)  # copy2: the key file keeps its mode
    strict = run_fresh("build", "--strict", cwd=root)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr, strict.stderr
    assert set(PLACEHOLDERS) <= set(lines(strict.stderr, "warning"))
    assert "warnings and --strict; nothing was written." in strict.stderr
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()
    for _ in range(2):  # every build, not once
        result = run_fresh("build", "-q", cwd=root)
        assert result.returncode == 0, result.stderr
        assert set(PLACEHOLDERS) <= set(lines(result.stderr, "warning"))


def test_replaced_placeholders_say_nothing(new_site: Path, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(new_site, root)
    issuer = root / "content/issuers/your-org.yaml"
    text = issuer.read_text(encoding="utf-8")
    text = text.replace("https://example.org", "https://acme.example.net")
    text = text.replace("badges@example.org", "badges@acme.example.net")
    text = text.replace("Replace this with a short description of", "All about")
    issuer.write_text(text, encoding="utf-8")
    site_yaml = root / "site.yaml"
    site_yaml.write_text(
        site_yaml.read_text(encoding="utf-8").replace(
            scaffold.DEFAULT_URL, "https://acme.github.io/credentials/"
        ),
        encoding="utf-8",
    )
    write_files(
        root,
        {
            "content/awards/sample-award.yaml": None,
            "content/awards/sample-cohort.csv": "name,email,achievement\n"
            "Real Person,real.person@acme.example.net,workshop-completion\n",
        },
    )
    site = model.load(config.load(root))
    assert site.warnings == []


# -- a note that cannot change, said once ------------------------------------------------------------

OB2_NOTE = "warning: site.yaml: OB 2.0 has no place for the recipient's name"


def test_ob2_note_is_said_once_until_it_changes(make_site: Callable[..., Path]) -> None:
    root = make_site()
    first = run_fresh("build", "-q", cwd=root)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(OB2_NOTE) == 1
    other = "warning: content/issuers/acme.yaml: the OB 2.0 issuer profile"
    assert other in first.stderr
    second = run_fresh("build", "-q", cwd=root)
    assert second.returncode == 0, second.stderr
    assert OB2_NOTE not in second.stderr  # said before, word for word
    assert other in second.stderr  # a warning to act on is said every time
    # --strict still counts it (and says it): CI wants to know
    strict = run_fresh("build", "-q", "--strict", cwd=root)
    assert strict.returncode == 1 and OB2_NOTE in strict.stderr
    # changed (one more award): said again, once
    write_files(
        root,
        {AWARDS_FILE: AWARDS + "- achievement: teamwork\n  name: N\n  email: n@example.org\n"},
    )
    third = run_fresh("build", "-q", cwd=root)
    assert "name (4 awards)" in third.stderr and third.stderr.count(OB2_NOTE) == 1
    assert OB2_NOTE not in run_fresh("build", "-q", cwd=root).stderr


def test_said_once_is_only_a_cache(make_site: Callable[..., Path]) -> None:
    root = make_site()
    first = build_site(root)
    said = root / build_module.CACHE_DIR / build_module.SAID
    assert said.is_file() and first.said_before == []
    site = tree(root / "_site")
    second = build_site(root)
    assert [w.message[:28] for w in second.said_before] == ["OB 2.0 has no place for the "]
    assert second.warnings == first.warnings  # the result still holds every warning
    assert tree(root / "_site") == site
    said.write_text("not json", encoding="utf-8")  # a broken cache: said again, no error
    assert build_site(root).said_before == []


# -- awards that left the content, named ------------------------------------------------------------


def test_awards_no_longer_in_the_content_are_named(make_site: Callable[..., Path]) -> None:
    root = make_site()
    build_site(root)
    write_files(root, {AWARDS_FILE: AWARDS.split("- achievement: teamwork\n  name: Alan")[0]})
    result = build_site(root)
    (orphans,) = [w for w in result.warnings if "no longer in the content" in w.message]
    assert str(orphans).startswith(
        "credsite.lock: 2 award(s) in credsite.lock are no longer in the content: credentials/"
    )
    assert "(Alan Turing, achievement teamwork)" in orphans.message
    assert "(Grace Hopper, achievement mentor)" in orphans.message
    # named from the credential files a previous build published; without them, by file
    (root / "_site").rename(root / "elsewhere")
    write_files(root, {AWARDS_FILE: None})
    write_files(root, {"content/awards/one.yaml": "achievement: mentor\nname: Z\nemail: z@x.org\n"})
    (orphans,) = [w for w in build_site(root).warnings if "no longer in the content" in w.message]
    assert orphans.message.startswith("3 award(s) in credsite.lock are no longer in the content")
    assert "Ada Lovelace" not in orphans.message and orphans.message.count("credentials/") == 3


def test_many_awards_no_longer_in_the_content_are_counted(make_site: Callable[..., Path]) -> None:
    many = "".join(
        f"- achievement: mentor\n  name: Person {n}\n  email: p{n}@example.org\n" for n in range(12)
    )
    root = make_site({AWARDS_FILE: many})
    build_site(root)
    write_files(root, {AWARDS_FILE: AWARDS})
    (orphans,) = [w for w in build_site(root).warnings if "no longer in the content" in w.message]
    assert orphans.message.count("credentials/") == 10
    assert "and 2 more. Copies their recipients hold still verify." in orphans.message


def test_an_award_minted_as_the_second_ticks_is_not_in_the_future(
    make_site: Callable[..., Path],
) -> None:
    """An award without 'issued' is valid from its mint time: never "in the future", although
    the clock may pass a second between the build's start and the mint (truncated to seconds)."""
    root = make_site({AWARDS_FILE: "- achievement: teamwork\n  name: A\n  email: a@x.example\n"})
    later = fixed_clock(NOW + dt.timedelta(seconds=1))
    result = build_site(root, clock=later, now=NOW)
    assert result.minted and not [w for w in result.warnings if "future" in w.message]


def test_a_location_is_a_frozen_dataclass_as_before_its_own_init() -> None:
    """`Location.__init__` fills the instance's dict itself (for speed): everything a dataclass
    gives is as it was."""
    made = Location("a.yaml", 3, 7)
    assert made == Location(path="a.yaml", line=3, column=7, sheet="")
    assert dataclasses.astuple(made) == ("a.yaml", 3, 7, "")
    assert hash(made) == hash(Location("a.yaml", 3, 7)) and made != Location("a.yaml", 3, 8)
    assert sorted([Location("b"), made, Location("a.yaml", 2, 9)]) == [
        Location("a.yaml", 2, 9), made, Location("b")
    ]
    assert dataclasses.replace(made, line=4) == Location("a.yaml", 4, 7)
    assert pickle.loads(pickle.dumps(made)) == made  # sent to and from worker processes
    assert repr(made) == "Location(path='a.yaml', line=3, column=7, sheet='')"
    assert str(made) == "a.yaml:3:7" and str(Location("w.xlsx", 7, 2, "S")) == "w.xlsx:S!B7"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.line = 4  # type: ignore[misc]


def test_sample_text_is_found_located_in_lists_and_nested_maps_too(tmp_path: Path) -> None:
    """`_sample_texts` looks at every text of a file, in a list or a map at any depth, and says
    where each one is (each place looked up only for a text that says "Replace this")."""
    path = tmp_path / "x.yaml"
    path.write_text(
        "name: Acme\ntags:\n  - fine\n  - Replace this tag\nmore:\n  deep:\n"
        "    text: Replace this too\n",
        encoding="utf-8",
    )
    data = yamlsource.load(path, "x.yaml")
    assert [str(p) for p in model._sample_texts(data)] == [
        f"x.yaml:{line}: sample text from `credsite init` ('Replace this ...'): write your own"
        for line in ("4:5", "7:11")
    ]
