"""Benchmark: `credsite report` on a generated site of N issued awards; prints the time.

    python bench/report_bench.py               # N = 10000
    python bench/report_bench.py -n 1000
    python bench/report_bench.py -n 1000 --site DIR   # keep the generated site in DIR
    python bench/report_bench.py --no-pathways        # without the pathway cohort (below)

Generates the content and a credsite.lock that records every award but a few (so nothing is
built or signed: the report only reads), then times reading the site and the lockfile, making the
tables, and writing the HTML and the CSVs. Not a test: figures vary with the machine.

`make_site` is deterministic, and tests/test_report.py checks the report's numbers against it:
award i (0 <= i < n) is of achievement ACHIEVEMENTS[i % 4], issued in month i % 14 counted from
January 2025 on day 1 + i % 28, in file cohort-NN.yaml with NN = i // 100 (the last 3 awards in
individual-awards.yaml); revoked when i % 97 == 0, suspended when i % 89 == 1 (and not revoked);
without a narrative when i % 10 == 3; with evidence when i % 3 == 0; not in credsite.lock when
i % 200 == 199. The addresses are unrelated hashes, except two planted typos per 250 awards:
i % 250 == 7 repeats award i-1's address with a misspelt domain, i % 250 == 11 with one letter of
the local part changed.

With `pathways=True` (the benchmark's default; tests/test_report.py has a fixture of each), the
site also has four modules (module-a .. module-d, issuer beta) and three pathways over them:
certificate (all of a, b, c, within 1 year), diploma (all of certificate, d: a pathway requiring
a pathway) and honours (all of a, b, c, d), and m = n // 10 learners in pathway-cohort.yaml
(learner000@pathway.example.org ...), each with a narrative, whose modules follow r = p % 10,
day 0 being 2025-06-01:

    r 0  a day 0, b day 10, c day 20, d day 60       completes all three
    r 1  a day 0, b day 15, c day 40, d day 60       completes all three
    r 2  a day 0, b day 30, c day 60                 completes certificate
    r 3  a day 0, b day 50, c day 80                 completes certificate
    r 4  a day 0, b day 10
    r 5  c day 0
    r 6  a 2025-01-05, b and c 2026-02-10            more than a year apart: no certificate
    r 7  a day 0, b day 10, c day 20 (c revoked)
    r 8  d day 0
    r 9  a day 0, b day 0 (expires day 5), c day 30  b expired before c: no certificate

credsite.lock records every one of these awards, and the automatic pathway awards the build would
make (80 for m = 100). So, as of 2026-03-15, for m = 100 (per pathway: completed, one, two,
three or more components away, and the median days from the first credential that completes it):
certificate 40, 40 (r 4, 6, 7, 9), 10 (r 5), 0, median 50 (days 20, 40, 60, 80, ten each);
diploma 20, 30 (r 2, 3, 8), 0, 0, median 30 (from the certificate, day 20 or 40, to d, day 60);
honours 20, 30 (r 2, 3, 6), 30 (r 4, 7, 9), 20 (r 5, 8), median 60.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import shutil
import tempfile
import time
from pathlib import Path

from credsite.report import facts, page
from credsite.state.lockfile import Lockfile

ACHIEVEMENTS = ["data-steward", "field-researcher", "team-lead", "open-educator"]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "da", "fe", "go", "hu", "ji"]
MINTED = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)

FILES = {
    "site.yaml": """\
title: Generated Programme
url: https://example.github.io/generated/
demo_key: true
primary_issuer: alpha
status:
  suspension: true
""",
    "content/issuers/alpha.yaml": "name: Alpha Institute\nurl: https://alpha.example.org\n",
    "content/issuers/beta.yaml": "name: Beta College\nurl: https://beta.example.org\n",
    "content/achievements/data-steward.yaml": """\
issuer: alpha
name: Data Steward
description: Looks after a research data set.
criteria: Curate a data set for a year.
valid_for: 1 year
alignments:
  - name: manage research data
    url: http://data.europa.eu/esco/skill/aaaa0001
    framework: ESCO
  - name: apply data protection
    url: http://data.europa.eu/esco/skill/aaaa0002
    framework: ESCO
""",
    "content/achievements/field-researcher.yaml": """\
issuer: alpha
name: Field Researcher
description: Ran field work.
criteria: Run a field study.
alignments:
  - name: manage research data
    url: http://data.europa.eu/esco/skill/aaaa0001
    framework: ESCO
  - name: Field research
    url: https://www.onetonline.org/skills/0001
    framework: O*NET
""",
    "content/achievements/team-lead.yaml": """\
issuer: beta
name: Team Lead
description: Led a team.
criteria: Lead a team for a term.
valid_for: 2 years
""",
    "content/achievements/open-educator.yaml": """\
issuer: beta
name: Open Educator
description: Published open teaching material.
criteria: Publish a unit under an open licence.
alignments:
  - name: open licensing
    url: https://skills.example.org/open-licensing
""",
    "content/achievements/unused-badge.yaml": """\
issuer: alpha
name: Unused Badge
description: Never awarded yet.
criteria: Not yet defined in detail.
""",
}


def local_part(i: int) -> str:
    return "r" + hashlib.sha256(str(i).encode()).hexdigest()[:10]


def name(i: int) -> str:
    digest = hashlib.sha256(f"name{i}".encode()).digest()
    first = "".join(SYLLABLES[b % len(SYLLABLES)] for b in digest[:3]).capitalize()
    last = "".join(SYLLABLES[b % len(SYLLABLES)] for b in digest[3:6]).capitalize()
    return f"{first} {last}{i}"


def email(i: int) -> str:
    if i % 250 == 7 and i > 0:
        return f"{local_part(i - 1)}@exmaple.org"
    if i % 250 == 11 and i > 0:
        local = local_part(i - 1)
        return f"{local[:-1]}{'x' if local[-1] != 'x' else 'y'}@example.org"
    return f"{local_part(i)}@example.org"


def person(i: int) -> int:
    """Whose award i is: a planted typo is the previous award's recipient."""
    return i - 1 if i % 250 in (7, 11) and i > 0 else i


def issued(i: int) -> dt.date:
    month = i % 14
    return dt.date(2025 + month // 12, month % 12 + 1, 1 + i % 28)


def file_of(i: int, n: int) -> str:
    return "individual-awards.yaml" if i >= n - 3 else f"cohort-{i // 100:02d}.yaml"


def award_yaml(i: int) -> list[str]:
    lines = [
        f"  - name: {name(person(i))}",
        f"    email: {email(i)}",
        f"    achievement: {ACHIEVEMENTS[i % 4]}",
        f"    issued: {issued(i).isoformat()}",
    ]
    if i % 10 != 3:
        lines.append(f"    narrative: Took part in project {i}.")
    if i % 3 == 0:
        lines.append(f"    evidence: [https://evidence.example.org/{i}]")
    if i % 97 == 0:
        lines += [
            "    status: revoked",
            "    status_reason: Withdrawn",
            "    status_date: 2026-01-05",
        ]
    elif i % 89 == 1:
        lines.append("    status: suspended")
    return lines


MODULES = ["module-a", "module-b", "module-c", "module-d"]
PATHWAY_FILES = {
    **{
        f"content/achievements/{slug}.yaml": f"issuer: beta\nname: Module {slug[-1].upper()}\n"
        f"description: One module of the programme.\ncriteria: Pass module {slug[-1]}.\n"
        for slug in MODULES
    },
    "content/pathways/certificate.yaml": """\
issuer: beta
name: Programme Certificate
description: Three modules within a year.
criteria: Pass modules A, B and C within a year.
requires: [module-a, module-b, module-c]
within: 1 year
""",
    "content/pathways/diploma.yaml": """\
issuer: beta
name: Programme Diploma
description: The certificate and module D.
criteria: Hold the certificate and pass module D.
requires: [certificate, module-d]
""",
    "content/pathways/honours.yaml": """\
issuer: beta
name: Programme Honours
description: Every module.
criteria: Pass all four modules.
requires: [module-a, module-b, module-c, module-d]
""",
}
DAY0 = dt.date(2025, 6, 1)
# r -> the modules of learner p with p % 10 == r: (module, issued, extra YAML lines)
LEARNER_MODULES: dict[int, list[tuple[str, dt.date, list[str]]]] = {
    0: [("module-a", DAY0, []), ("module-b", DAY0 + dt.timedelta(10), []),
        ("module-c", DAY0 + dt.timedelta(20), []), ("module-d", DAY0 + dt.timedelta(60), [])],
    1: [("module-a", DAY0, []), ("module-b", DAY0 + dt.timedelta(15), []),
        ("module-c", DAY0 + dt.timedelta(40), []), ("module-d", DAY0 + dt.timedelta(60), [])],
    2: [("module-a", DAY0, []), ("module-b", DAY0 + dt.timedelta(30), []),
        ("module-c", DAY0 + dt.timedelta(60), [])],
    3: [("module-a", DAY0, []), ("module-b", DAY0 + dt.timedelta(50), []),
        ("module-c", DAY0 + dt.timedelta(80), [])],
    4: [("module-a", DAY0, []), ("module-b", DAY0 + dt.timedelta(10), [])],
    5: [("module-c", DAY0, [])],
    6: [("module-a", dt.date(2025, 1, 5), []), ("module-b", dt.date(2026, 2, 10), []),
        ("module-c", dt.date(2026, 2, 10), [])],
    7: [("module-a", DAY0, []), ("module-b", DAY0 + dt.timedelta(10), []),
        ("module-c", DAY0 + dt.timedelta(20),
         ["    status: revoked", "    status_reason: Withdrawn", "    status_date: 2026-01-05"])],
    8: [("module-d", DAY0, [])],
    9: [("module-a", DAY0, []),
        ("module-b", DAY0, [f"    expires: {(DAY0 + dt.timedelta(5)).isoformat()}"]),
        ("module-c", DAY0 + dt.timedelta(30), [])],
}  # fmt: skip
# r -> the pathways learner p completes (their automatic awards, recorded in credsite.lock)
COMPLETES = {0: ["certificate", "diploma", "honours"], 1: ["certificate", "diploma", "honours"],
             2: ["certificate"], 3: ["certificate"]}  # fmt: skip


def learner_email(p: int) -> str:
    return f"learner{p:03d}@pathway.example.org"


def make_site(root: Path, n: int, pathways: bool = False) -> None:
    """Write the generated site (content, site.yaml, credsite.lock) into `root`; with `pathways`,
    the modules, pathways and learners of the docstring too."""
    files_ = {**FILES, **PATHWAY_FILES} if pathways else FILES
    for rel, text in files_.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    files: dict[str, list[str]] = {}
    for i in range(n):
        files.setdefault(file_of(i, n), []).extend(award_yaml(i))
    awards = root / "content" / "awards"
    awards.mkdir(parents=True, exist_ok=True)
    keys: list[str] = [f"{ACHIEVEMENTS[i % 4]}/{email(i)}" for i in range(n) if i % 200 != 199]
    if pathways:
        learners = []
        for p in range(n // 10):
            for module, day, extra in LEARNER_MODULES[p % 10]:
                learners += [
                    f"  - name: Learner {p}",
                    f"    email: {learner_email(p)}",
                    f"    achievement: {module}",
                    f"    issued: {day.isoformat()}",
                    f"    narrative: Passed {module} in the pathway cohort.",
                    *extra,
                ]
                keys.append(f"{module}/{learner_email(p)}")
            keys += [f"{slug}/{learner_email(p)}" for slug in COMPLETES.get(p % 10, [])]
        files["pathway-cohort.yaml"] = learners
    for file, lines in files.items():
        text = "fields:\n  cohort: " + file.removesuffix(".yaml") + "\nawards:\n"
        (awards / file).write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    lock = Lockfile(clock=lambda: MINTED, rng=random.Random(7))
    for key in keys:
        lock.award(hashlib.sha256(key.encode()).hexdigest()[:24], key)
    lock.save(root / "credsite.lock")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="number of awards (default 10000)")
    parser.add_argument("--site", type=Path, help="generate the site here and keep it")
    parser.add_argument(
        "--no-pathways",
        dest="pathways",
        action="store_false",
        help="leave out the pathway cohort (modules, pathways and n // 10 learners)",
    )
    args = parser.parse_args()
    temporary = None
    if args.site is None:
        temporary = tempfile.mkdtemp(prefix="credsite-report-bench-")
        root = Path(temporary)
    else:
        root = args.site
        root.mkdir(parents=True, exist_ok=True)
    try:
        make_site(root, args.n, args.pathways)
        now = dt.datetime.now(dt.UTC)
        started = time.perf_counter()
        read = facts.load(root, facts.Options(), now)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        written = page.write(root, facts.Options(), root / "report.html", root / "report-csv", now)
        total = time.perf_counter() - started
        started = time.perf_counter()
        page.write(root, facts.Options(public=True), root / "public.html", None, now)
        public = time.perf_counter() - started
        size = written.html.stat().st_size
    finally:
        if temporary:
            shutil.rmtree(temporary)
    print(f"awards: {args.n} ({len(read.credentials)} issued, {len(read.pending)} not yet)")
    print(f"reading site.yaml, the content and credsite.lock: {loaded:.2f} s")
    print(
        f"credsite report (reading, tables, HTML {size / 1024:.0f} KiB, "
        f"{len(written.csvs)} CSVs): {total:.2f} s"
    )
    print(f"credsite report --public: {public:.2f} s")


if __name__ == "__main__":
    main()
