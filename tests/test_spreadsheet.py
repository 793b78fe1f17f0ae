"""Awards from CSV files: columns, spreadsheet quirks (BOM, CRLF, quoted newlines, semicolons),
and every bad cell reported at once as file.csv:ROW:COLUMN."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from conftest import build_site, output_of, run_cli, run_fresh
from hypothesis import given, settings
from hypothesis import strategies as st

from credsite.commands.verify import verify_site
from credsite.content import config, model, spreadsheet
from credsite.errors import ContentError, CredsiteError, Location

CSV = "content/awards/cohort.csv"


def load(root: Path) -> model.Site:
    return model.load(config.load(root))


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load(root)
    return [str(p) for p in info.value.problems]


def csv_site(make_site, data: str | bytes, **more: str | bytes | None) -> Path:
    """The default site with its YAML awards replaced by one CSV file."""
    return make_site({"content/awards/awards.yaml": None, CSV: data, **more})


@pytest.mark.slow
def test_two_hundred_rows_build_and_verify(make_site) -> None:
    rows = ["name,email,achievement,issued,cohort"]
    rows += [
        f"Person {i:03},person{i:03}@example.org,{'teamwork' if i % 2 else 'mentor'},"
        f"2026-03-01,Spring {2026 - i % 3}"
        for i in range(200)
    ]
    root = csv_site(make_site, "\n".join(rows) + "\n")
    result = build_site(root)
    assert result.credentials == 200
    assert result.states == {"active": 200}
    results = verify_site(root / "_site")
    credentials = [r for r in results if re.fullmatch(r"credentials/\w+\.json", r.path)]
    assert len(credentials) == 200
    assert {r.report.status for r in results} == {"verified"}  # images and OB 2.0 too


def test_bom_crlf_and_quoted_newlines(make_site) -> None:
    data = (
        "\ufeffName , EMAIL,Achievement,Issued,Narrative,Evidence,Partner Institution,Hours\r\n"
        'Ada Lovelace,ada@example.org,teamwork,2026-03-01,"Wrote the **first** program.\r\n'
        'And explained it.","https://example.org/notes\r\nhttps://example.org/more",'
        '"Analytical Engine Society, London",40\r\n'
        "Alan Turing,alan@example.org,mentor,,,,,\r\n"
    ).encode("utf-8")
    root = csv_site(make_site, data)
    site = load(root)
    ada, alan = sorted(site.awards, key=lambda a: a.name)
    assert ada.name == "Ada Lovelace" and ada.email == "ada@example.org"
    assert ada.achievement == "teamwork"
    assert ada.issued == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert ada.narrative == "Wrote the **first** program.\nAnd explained it."  # as in YAML
    assert [e.url for e in ada.evidence] == [
        "https://example.org/notes",
        "https://example.org/more",
    ]
    assert ada.fields == (
        ("partner_institution", "Analytical Engine Society, London"),
        ("hours", "40"),
    )
    assert ada.location == model.Location(CSV, 2, 3)  # the row's achievement cell
    # Empty cells are left out: no date, no evidence, no fields.
    assert alan.issued is None and alan.evidence == () and alan.fields == ()
    assert alan.location == model.Location(CSV, 3, 3)  # Ada's row spans 3 lines: still row 2


def test_csv_award_equals_the_same_award_in_yaml(make_site) -> None:
    yaml_root = make_site(
        {
            "content/awards/awards.yaml": """\
                - achievement: teamwork
                  name: Ada Lovelace
                  email: Ada@Example.org
                  issued: 2026-03-01
                  expires: 2028-03-01
                  role: Lead
                  narrative: Did it.
                  evidence: [https://example.org/a, https://example.org/b]
                  status: revoked
                  status_reason: Withdrawn
                  status_date: 2026-05-01
                  id: special/ada
                  fields: {cohort: Spring, hours: "12"}
            """
        },
        name="yaml",
    )
    csv_root = make_site(
        {
            "content/awards/awards.yaml": None,
            CSV: (
                "achievement,name,email,issued,expires,role,narrative,evidence,status,"
                "status reason,Status-Date,id,cohort,hours\n"
                "teamwork,Ada Lovelace,Ada@Example.org,2026-03-01,2028-03-01,Lead,Did it.,"
                "https://example.org/a https://example.org/b,revoked,Withdrawn,2026-05-01,"
                "special/ada,Spring,12\n"
            ),
        },
        name="csv",
    )
    (from_yaml,) = load(yaml_root).awards
    (from_csv,) = load(csv_root).awards
    assert from_csv.key == "special/ada"
    unlocated = {"location": None, "achievement_location": None, "status_location": None}
    assert from_csv.__dict__ | unlocated == from_yaml.__dict__ | unlocated


def test_semicolons_tabs_and_empty_rows(make_site) -> None:
    root = make_site(
        {
            "content/awards/awards.yaml": None,
            "content/awards/a.csv": "name;email;achievement\n\nAda;ada@example.org;teamwork\n;;\n",
            "content/awards/b.csv": "name\temail\tachievement\nAlan\talan@example.org\tmentor\n",
            "content/awards/empty.csv": "",
        }
    )
    site = load(root)
    assert sorted((a.name, a.location) for a in site.awards) == [
        ("Ada", model.Location("content/awards/a.csv", 3, 3)),  # row 2 is empty, still counted
        ("Alan", model.Location("content/awards/b.csv", 2, 3)),
    ]


def test_every_bad_row_is_reported_at_its_cell(make_site) -> None:
    data = (
        "name,email,achievement,issued,evidence,notes\n"
        "Ada Lovelace,ada@example.org,teamwork,2026-03-01,,fine\n"
        "Alan Turing,alan@example.org,teamwrok,2026-03-02,,\n"  # unknown achievement
        "Grace Hopper,grace@example.org,mentor,03/01/2026,,\n"  # not an ISO date
        ",nobody@example.org,mentor,2026-03-01,not-a-url,\n"  # no name, bad evidence
        "Katherine Johnson,katherine@example,mentor,2026-03-01,,,stray\n"  # bad email, stray cell
    )
    root = csv_site(make_site, data)
    assert problems_of(root) == [
        f"{CSV}:3:3: unknown achievement 'teamwrok' (did you mean 'teamwork'?)",
        f"{CSV}:4:4: 'issued' must be a date like 2026-03-01 or a date-time with a time zone "
        "like 2026-03-01T09:00:00Z, got '03/01/2026'",
        f"{CSV}:5:1: empty 'name' cell: every award needs a name",
        f"{CSV}:5:5: evidence must be an http(s) URL, got 'not-a-url'",
        f"{CSV}:6:2: 'email' is not valid: 'katherine@example'",
        f"{CSV}:6:7: this cell has no column name: add one in the first row, or empty the cell",
    ]


def test_a_quote_never_closed_is_reported_at_its_cell(make_site) -> None:
    """csv.reader reads the rest of the file into the cell: every row after it was lost, and
    the error was 'unknown achievement' at another cell."""
    data = (
        "name,email,achievement\n"
        'Ada Lovelace,ada@example.org,"teamwork\n'
        "Alan Turing,alan@example.org,teamwork\n"
    )
    assert problems_of(csv_site(make_site, data)) == [
        f'{CSV}:2:3: the quote (") that opens this cell is never closed, so the rest of the file '
        'is read into it: close it with ", or write a quote inside a quoted cell as ""'
    ]
    # a quote inside a cell that is not quoted is text, as before
    fine = 'name,email,achievement,notes\nAda Lovelace,ada@example.org,teamwork,5" screen\n'
    site = load(make_site({"content/awards/awards.yaml": None, CSV: fine}, name="fine"))
    assert site.awards[0].fields == (("notes", '5" screen'),)


def test_missing_and_duplicate_columns_are_reported_on_the_header_row(make_site) -> None:
    root = csv_site(make_site, "Name,e-mail,achievement,Name\nAda,ada@example.org,teamwork,A\n")
    assert problems_of(root) == [
        f"{CSV}:1:1: missing column 'email': the first row must name the columns, and 'name', "
        "'email' and 'achievement' are required (is 'e_mail' meant to be 'email'?)",
        f"{CSV}:1:4: column 'Name' appears twice (also column 1)",
    ]


def test_duplicate_awards_across_csv_and_yaml(make_site) -> None:
    root = make_site({CSV: "name,email,achievement\nAda Again,ADA.LOVELACE@example.org,teamwork\n"})
    (problem,) = problems_of(root)
    assert problem.startswith(f"{CSV}:2:3: duplicate award: same id as the award at ")


def test_not_utf8(make_site) -> None:
    root = csv_site(
        make_site, "name,email,achievement\nJosé,jose@example.org,teamwork\n".encode("cp1252")
    )
    (problem,) = problems_of(root)
    assert problem.startswith(f"{CSV}:2: file is not UTF-8 text")


def test_utf16_export(make_site) -> None:
    text = "name\temail\tachievement\nZoë\tzoe@example.org\tteamwork\n"
    root = csv_site(make_site, text.encode("utf-16"))
    (award,) = load(root).awards
    assert award.name == "Zoë"


def test_cli_reports_all_bad_rows_and_exits_1(make_site) -> None:
    data = (
        "name,email,achievement,issued\n"
        "Ada Lovelace,ada@example.org,nope,2026-03-01\n"
        "Alan Turing,alan@example.org,teamwork,yesterday\n"
        "Grace Hopper,,mentor,2026-03-01\n"
    )
    root = csv_site(make_site, data)
    result = run_cli("build", "-C", str(root))
    assert result.exit_code == 1
    text = output_of(result)
    assert f"{CSV}:2:3: unknown achievement 'nope'" in text
    assert f"{CSV}:3:4: 'issued' must be a date" in text
    assert f"{CSV}:4:2: empty 'email' cell" in text
    assert "3 problems; nothing was written." in text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_award_columns_are_the_models_award_fields() -> None:
    """spreadsheet lists the award fields itself (it sits below model): keep the two in step."""
    from credsite.content import model, spreadsheet

    # fields and evidence take structure; results come from `result:<name>` columns
    expected = set(model.AWARD_FIELDS) - {"fields", "evidence", "results"}
    assert set(spreadsheet.AWARD_COLUMNS) == expected


# -- workbooks (.xlsx) ------------------------------------------------------------------------------

XLSX = "content/awards/cohort.xlsx"


def workbook(rows: list[list[object]], *, title: str = "Sheet1", formats: dict | None = None,
             more: dict[str, list[list[object]]] | None = None, hidden: tuple[str, ...] = ()) -> bytes:  # fmt: skip
    """An .xlsx file made with openpyxl: `rows` on the first sheet, `more` on further sheets."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    for name, more_rows in (more or {}).items():
        other = book.create_sheet(name)
        for row in more_rows:
            other.append(row)
        if name in hidden:
            other.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_are_read_as_the_text_they_show(make_site) -> None:
    data = workbook(
        [
            ["Name", "Email", "Achievement", "Issued", "Student number", "Hours", "Score",
             "Code", "Joined"],
            ["Ada Lovelace", "ada@example.org", "teamwork", dt.datetime(2026, 3, 1), 12345,
             40.0, 0.875, 42, dt.date(2025, 9, 1)],
            [None, None, None],  # an empty row, counted
            ["Alan Turing", "alan@example.org", "mentor", "2026-03-02", 20231234567, 12.5,
             None, 7, None],
        ],
        formats={"G2": "0.0%", "H2": "00000", "H4": "00000"},
    )  # fmt: skip
    root = csv_site(make_site, "", **{CSV: None, XLSX: data})
    site = load(root)
    ada, alan = site.awards[1], site.awards[0]
    assert ada.name == "Ada Lovelace" and ada.issued == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert dict(ada.fields) == {
        "student_number": "12345",  # not 12345.0
        "hours": "40",
        "score": "87.5%",
        "code": "00042",  # zero-padded as shown
        "joined": "2025-09-01",
    }
    assert dict(alan.fields) == {"student_number": "20231234567", "hours": "12.5", "code": "00007"}
    assert ada.location == model.Location(XLSX, 2, 3, sheet="Sheet1")
    assert alan.location == model.Location(XLSX, 4, 3, sheet="Sheet1")
    assert site.warnings == []


def test_xlsx_problems_are_located_at_sheet_and_cell(make_site) -> None:
    data = workbook(
        [
            ["name", "email", "achievement", "issued", "notes"],
            ["Ada Lovelace", "ada@example.org", "teamwork", "2026-03-01"],
            ["Alan Turing", "alan@example.org", "teamwrok", "2026-03-02"],
            ["Grace Hopper", "grace@example.org", "mentor", dt.datetime(2026, 3, 1, 9, 30)],
            [None, "nobody@example.org", "mentor", None, "#N/A"],
            ["Katherine Johnson", "katherine@example.org", "mentor", None, None, "stray"],
        ],
        title="Spring 2026",
    )
    root = csv_site(make_site, "", **{CSV: None, XLSX: data})
    sheet = f"{XLSX}:'Spring 2026'"
    assert problems_of(root) == [  # in reading order, row by row
        f"{sheet}!C3: unknown achievement 'teamwrok' (did you mean 'teamwork'?)",
        f"{sheet}!D4: 'issued' must be a date like 2026-03-01 or a date-time with a time zone "
        "like 2026-03-01T09:00:00Z, got '2026-03-01T09:30:00'",
        f"{sheet}!A5: empty 'name' cell: every award needs a name",
        f"{sheet}!E5: this cell shows the error #N/A: correct it, or empty the cell",
        f"{sheet}!F6: this cell has no column name: add one in the first row, or empty the cell",
    ]


def test_xlsx_header_problems_name_the_column_letter(make_site) -> None:
    data = workbook(
        [["Name", "e-mail", "achievement", "Name"], ["Ada", "ada@example.org", "x", "A"]]
    )
    root = csv_site(make_site, "", **{CSV: None, XLSX: data})
    assert problems_of(root) == [
        f"{XLSX}:Sheet1!A1: missing column 'email': the first row must name the columns, and "
        "'name', 'email' and 'achievement' are required (is 'e_mail' meant to be 'email'?)",
        f"{XLSX}:Sheet1!D1: column 'Name' appears twice (also column A)",
    ]


def test_xlsx_reads_the_first_sheet_and_warns_about_the_others(make_site) -> None:
    data = workbook(
        [["name", "email", "achievement"], ["Ada", "ada@example.org", "teamwork"]],
        title="Cohort",
        more={
            "Late additions": [["name", "email", "achievement"], ["Alan", "alan@example.org", "mentor"]],
            "Empty": [],
            "Lookup": [["teamwork", "Teamwork"]],
        },
        hidden=("Lookup",),
    )  # fmt: skip
    root = csv_site(make_site, "", **{CSV: None, XLSX: data})
    site = load(root)
    assert [a.name for a in site.awards] == ["Ada"]
    assert [str(w) for w in site.warnings] == [
        f"{XLSX}:'Late additions': this sheet is not read: credsite reads only a workbook's "
        "first sheet ('Cohort'). Move its awards there, or into a workbook of their own"
    ]
    result = run_cli("build", "-q", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert f"warning: {XLSX}:'Late additions': this sheet is not read" in result.stderr


def test_xlsx_formulas_are_read_by_their_saved_result(make_site) -> None:
    # openpyxl saves no results (Excel and LibreOffice do): the formula cell cannot be read
    data = workbook([["name", "email", "achievement", "hours"],
                     ["Ada", "ada@example.org", "teamwork", "=20*2"]])  # fmt: skip
    root = csv_site(make_site, "", **{CSV: None, XLSX: data})
    assert problems_of(root) == [
        f"{XLSX}:Sheet1!D2: this formula has no saved result: open the workbook in Excel or "
        "LibreOffice and save it again"
    ]


def test_xlsx_that_is_not_a_workbook(make_site) -> None:
    root = csv_site(make_site, "", **{CSV: None, XLSX: b"name,email,achievement\n"})
    (problem,) = problems_of(root)
    assert problem.startswith(f"{XLSX}: cannot read this workbook")
    assert "save it as an Excel Workbook (.xlsx)" in problem


UNREADABLE = f"{XLSX}:Sheet1: cannot read this workbook ("
D2 = '<c r="D2" t="n"><v>40</v></c>'


def edited_workbook(old: str, new: str | None) -> bytes:
    """An awards workbook whose sheet XML was edited by hand: `old` replaced by `new`, or the
    XML cut off at `old` when `new` is None."""
    data = workbook([["name", "email", "achievement", "hours", "issued"],
                     ["Ada", "ada@example.org", "teamwork", 40, "2026-03-01"]])  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            part = source.read(name).decode()
            if name == "xl/worksheets/sheet1.xml":
                assert old in part
                part = part[: part.index(old)] if new is None else part.replace(old, new)
            target.writestr(name, part)
    return out.getvalue()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param('<c r="E2" t="inlineStr"><is><t>2026-03-01</t></is></c>',
                     '<c r="E2" t="d"><v>nonsense</v></c>', UNREADABLE, id="bad-date"),
        pytest.param(D2, '<c t="n"><v>abc</v></c>', UNREADABLE, id="bad-number"),
        pytest.param(D2, '<c t="n"><v>NaN</v></c>', UNREADABLE, id="nan"),
        pytest.param(D2, '<c t="n"><v>INF</v></c>', UNREADABLE, id="inf"),
        pytest.param('r="D2"', 'r="ZZZZZZ99999999"', UNREADABLE, id="bad-column"),
        pytest.param('<row r="2">', '<row r="x">', UNREADABLE, id="bad-row"),
        pytest.param(D2, '<c t="s"><v>9999</v></c>', UNREADABLE, id="no-shared-string"),
        pytest.param(D2, '<c t="s"><v>-1</v></c>', UNREADABLE, id="negative-shared-string"),
        pytest.param(D2, '<c t="s"><v>x</v></c>', UNREADABLE, id="bad-shared-string"),
        pytest.param(D2, '<c r="D2" s="9"><v>40</v></c>', UNREADABLE, id="no-style"),
        pytest.param('<row r="2">', None, UNREADABLE, id="cut-short"),
        pytest.param('<row r="2">', '<row r="0">',
                     UNREADABLE + "a row numbered 0 after row 1): ", id="row-0"),
        pytest.param('<row r="2">', '<row r="1">',
                     UNREADABLE + "a row numbered 1 after row 1): ", id="row-twice"),
        pytest.param('<row r="2">', '<row r="2000000">',
                     UNREADABLE + "a row numbered 2000000 after row 1): ", id="row-too-far"),
        pytest.param(D2, '<c r="Z2" t="n"><v>40</v></c><c r="D2" t="n"><v>40</v></c>',
                     UNREADABLE + "cell D2 is not after column Z of its row): ",
                     id="cells-out-of-order"),
        pytest.param("<v>40</v>", "<v>1e999</v>", f"{XLSX}:Sheet1!D2: this cell holds a number "
                     "too large to read: correct it, or empty the cell", id="1e999"),
    ],
)  # fmt: skip
def test_xlsx_edited_by_hand_is_reported_not_a_traceback(make_site, old, new, expected) -> None:
    root = csv_site(make_site, "", **{CSV: None, XLSX: edited_workbook(old, new)})
    result = run_cli("build", "-C", str(root))
    text = output_of(result)
    assert result.exit_code == 1, text
    assert f"error: {expected}" in text
    if expected.startswith(UNREADABLE):
        assert "save it as an Excel Workbook (.xlsx), or as CSV UTF-8" in text
    assert "Traceback" not in text
    assert not (root / "_site").exists() and not (root / "credsite.lock").exists()


def test_xlsx_is_read_through_openpyxl_alone_where_its_parser_is_elsewhere(
    make_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet's rows are read by openpyxl's own row parser (3.1), which another openpyxl may
    name otherwise: then by its public `iter_rows`, giving the same award."""
    import openpyxl.worksheet._reader

    root = csv_site(make_site, "", **{CSV: None, XLSX: edited_workbook(D2, D2)})
    expected = load(root).awards
    monkeypatch.delattr(openpyxl.worksheet._reader, "WorkSheetParser")
    assert load(root).awards == expected and expected[0].fields


def test_xlsx_date_out_of_range_prints_no_openpyxl_warning(make_site) -> None:
    data = workbook([["name", "email", "achievement", "joined"],
                     ["Ada", "ada@example.org", "teamwork", 1e10]],
                    formats={"D2": "yyyy-mm-dd"})  # fmt: skip
    root = csv_site(make_site, "", **{CSV: None, XLSX: data})
    result = run_fresh("build", "-C", str(root))  # a fresh interpreter: pytest records warnings
    assert result.returncode == 1, result.stderr
    assert f"error: {XLSX}:Sheet1!D2: this cell shows the error #VALUE!" in result.stderr
    assert "Warning" not in result.stderr and "openpyxl" not in result.stderr, result.stderr


def test_xlsx_and_csv_give_the_same_award(make_site) -> None:
    header = ["name", "email", "achievement", "issued", "narrative", "evidence", "hours"]
    row = ["Ada", "ada@example.org", "teamwork", "2026-03-01", "Line one.\nLine two.",
           "https://example.org/a https://example.org/b", "40"]  # fmt: skip
    from_csv = load(csv_site(make_site, "", **{CSV: None, "content/awards/a.csv": (
        ",".join(header) + "\n" + ",".join(f'"{c}"' for c in row) + "\n")})).awards  # fmt: skip
    from_xlsx = load(make_site({"content/awards/awards.yaml": None, XLSX: workbook(
        [header, [*row[:6], 40]])}, name="other")).awards  # fmt: skip
    unlocated = {"location": None, "achievement_location": None, "status_location": None}
    assert from_csv[0].__dict__ | unlocated == from_xlsx[0].__dict__ | unlocated


def test_office_lock_files_are_not_read(make_site) -> None:
    root = make_site({"content/awards/~$cohort.xlsx": b"\x00lock"})
    site = load(root)
    assert len(site.awards) == 3 and site.warnings == []


# -- files credsite does not read -------------------------------------------------------------------


def test_every_file_credsite_does_not_read_gets_a_warning(make_site) -> None:
    root = make_site(
        {
            "content/awards/cohort.tsv": "name\temail\tachievement\n",
            "content/awards/cohort.numbers": b"PK",
            "content/awards/cohort.ods": b"PK",
            "content/awards/old.xls": b"\xd0\xcf",
            "content/cohort.csv": "name,email,achievement\n",
            "content/achievements/list.xlsx": b"PK",
            "content/badges/extra.yaml": "name: x\n",
            "content/notes.yaml": "x: 1\n",
            "content/issuers/logo.pdf": b"%PDF",
            "content/handbook.pdf": b"%PDF",
            # left alone: images, notes, drafts, hidden files
            "content/images/unused.png": b"\x89PNG",
            "content/README.md": "notes\n",
            "content/awards/_draft.tsv": "x\n",
            "content/awards/.DS_Store": b"\x00",
            "content/.git/config": "[core]\n",
        }
    )
    site = load(root)
    assert len(site.awards) == 3
    end = ". Or start its name with '_' to keep it here unread"
    assert [str(w) for w in site.warnings] == [
        "content/achievements/list.xlsx: credsite does not read this file: spreadsheets of "
        "awards are read only in content/awards/: move it there" + end,
        "content/awards/cohort.numbers: credsite does not read this file: in Numbers, File > "
        "Export To > Excel (.xlsx) or CSV" + end,
        "content/awards/cohort.ods: credsite does not read this file: in LibreOffice, File > "
        "Save As > Excel 2007-365 (.xlsx) or Text CSV" + end,
        "content/awards/cohort.tsv: credsite does not read this file: rename it to .csv "
        "(tab-separated files are read as CSV)" + end,
        "content/awards/old.xls: credsite does not read this file: an old Excel workbook: save "
        "it as an Excel Workbook (.xlsx) or as CSV UTF-8" + end,
        "content/badges/extra.yaml: credsite does not read this file: YAML files are read only "
        "in issuers/, achievements/, pathways/, awards/ and endorsements/: move it into the "
        "folder for what it describes" + end,
        "content/cohort.csv: credsite does not read this file: spreadsheets of awards are read "
        "only in content/awards/: move it there" + end,
        "content/handbook.pdf: credsite does not read this file: credsite reads YAML in "
        "issuers/, achievements/, pathways/, awards/ and endorsements/, spreadsheets in awards/, "
        "and the images those files name" + end,
        "content/issuers/logo.pdf: credsite does not read this file: issuers are YAML files "
        "(.yaml)" + end,
        "content/notes.yaml: credsite does not read this file: YAML files are read only in "
        "issuers/, achievements/, pathways/, awards/ and endorsements/: move it into the folder "
        "for what it "
        "describes" + end,
    ]
    result = run_cli("build", "-q", "-C", str(root))
    assert result.exit_code == 0, output_of(result)
    assert result.stderr.count("credsite does not read this file") == 10


def test_the_example_site_reads_every_file(tmp_path: Path) -> None:
    from conftest import copy_example

    assert load(copy_example(tmp_path / "example")).warnings == []


# -- editing one row's cells -------------------------------------------------------------------------


# no lone "\r": Python's csv writer leaves it unquoted with a "\n" line terminator, which no
# spreadsheet program does (and which reads back as a line break)
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=8
)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(st.lists(_TEXT, min_size=0, max_size=5), min_size=1, max_size=5),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    terminator=st.sampled_from(["\r\n", "\n"]),
    delimiter=st.sampled_from([",", ";"]),
    bom=st.booleans(),
    with_status=st.booleans(),
    target=st.integers(min_value=0, max_value=4),
    value=_TEXT.filter(lambda v: v.strip() == v),
)
def test_set_cells_in_csv_keeps_every_other_byte(
    tmp_path_factory, cells, quoting, terminator, delimiter, bom, with_status, target, value
) -> None:
    """Any CSV a spreadsheet program writes: only the header's end and the target row change."""
    header = ["name", "email", "achievement", *(["status"] if with_status else [])]
    rows = [["Ada", "a@example.org", "x", *row] for row in cells]
    records = []
    for row in [header, *rows]:
        out = io.StringIO()
        csv.writer(out, quoting=quoting, lineterminator=terminator, delimiter=delimiter).writerow(
            row
        )
        records.append(out.getvalue().removesuffix(terminator))
    text = terminator.join(records) + terminator
    path = tmp_path_factory.mktemp("edit") / "a.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    number = 2 + target % len(rows)
    where = Location("a.csv", number, 3)
    values = {
        "status": "revoked",
        "status_reason": value or None,
        "status_date": dt.date(2026, 12, 1),
    }
    if any(c.strip() for row in rows for c in row[len(header) :]):
        # cells beyond the named columns (which the build reports): a new column would take them
        with pytest.raises(CredsiteError, match="cells beyond the last named column"):
            spreadsheet.set_cells(path, where, values)
        return
    new = spreadsheet.set_cells(path, where, values)
    assert new.startswith(b"\xef\xbb\xbf") == bom
    new_text = new.decode("utf-8-sig")
    # what a reader sees: the same rows, with the status cells of one row set
    parsed = list(csv.reader(io.StringIO(new_text, newline=""), delimiter=delimiter))
    names = parsed[0]
    assert names[: len(header)] == header
    row = parsed[number - 1]
    assert row[names.index("status")] == "revoked"
    assert row[names.index("status_date")] == "2026-12-01"
    if value:
        assert row[names.index("status_reason")] == value
    assert [r for i, r in enumerate(parsed) if i not in (0, number - 1)] == [
        r for i, r in enumerate([header, *rows]) if i not in (0, number - 1)
    ]
    # and the bytes: every record but the header and the target row as it was
    end = new_text.index(terminator, len(records[0]))
    assert new_text.startswith(records[0]) and terminator not in new_text[len(records[0]) : end]
    before = terminator.join(records[1 : number - 1])
    after = terminator.join(records[number:])
    body = new_text[end + len(terminator) :]
    assert body.startswith(before + terminator if before else "")
    assert body.endswith((terminator + after if after else "") + terminator)
    out = io.StringIO()  # the target row's own cells stay as written
    csv.writer(out, quoting=quoting, lineterminator="", delimiter=delimiter).writerow(
        rows[number - 2][:3]
    )
    assert body[len(before + terminator) if before else 0 :].startswith(out.getvalue() + delimiter)


def test_a_damaged_sheet_that_is_not_read_is_only_warned_about(make_site) -> None:
    """The awards are on the first sheet; a second sheet openpyxl cannot read in order (hand
    edited) is not the awards', and was made the workbook's error."""
    data = workbook([["name", "email", "achievement"], ["Ada", "ada@example.org", "teamwork"]],
                    more={"Notes": [[" "], ["b"]]})  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            part = source.read(name).decode()
            if name == "xl/worksheets/sheet2.xml":
                assert '<row r="1"' in part
                part = part.replace('<row r="1"', '<row r="5"', 1).replace('r="A1"', 'r="A5"')
            target.writestr(name, part)
    root = csv_site(make_site, "", **{CSV: None, XLSX: out.getvalue()})
    site = load(root)
    assert [a.name for a in site.awards] == ["Ada"]
    assert any("this sheet is not read" in w.message for w in site.warnings)
