"""The report as one self-contained HTML file, and its tables as CSV files.

Layer 22 (after report.sections). The HTML inlines everything it needs: its CSS, the chart specs
and the bundled Vega, Vega-Lite and vega-embed builds (report/vendor/, see its README). Its
Content-Security-Policy allows those scripts by hash and nothing else: no request leaves the page,
not even for a font, so it opens from the file system and from an e-mail attachment alike. Without
scripts the tables still show. `write` refuses destinations in the published site.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hashlib
import io
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from credsite import __version__
from credsite.atomic import unwritable, write_atomic
from credsite.content import config as site_config
from credsite.errors import CredsiteError, Location
from credsite.issuing.urls import CREDENTIALS, SITE_MARKER
from credsite.report import charts, facts
from credsite.report.facts import Facts, Options
from credsite.report.sections import Figure, Section, sections
from credsite.report.tables import Table, text
from credsite.values import script_json

VENDOR = Path(__file__).parent / "vendor"
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")
VERSIONS = {"Vega": "6.4.0", "Vega-Lite": "6.5.0", "vega-embed": "7.3.0"}
"""The vendored renderer's versions (vendor/refresh.sh pins them; a test checks the files)."""
CSV_MARKER = "credsite-report.txt"
"""Written beside the CSVs: which report wrote them, so that the next report replaces them."""
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644

RUNNER = """\
(function () {
  var root = document.documentElement;
  root.classList.remove('no-js');
  root.classList.add('js');
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  Object.keys(specs).forEach(function (id) {
    var box = document.getElementById(id);
    var options = {mode: 'vega-lite', renderer: 'svg', actions: false, ast: true};
    vegaEmbed(box, specs[id], options).then(function () {
      box.setAttribute('data-drawn', 'true');
    }).catch(function (error) {
      box.setAttribute('data-drawn', 'failed');
      box.textContent = 'This chart could not be drawn (' + error.message + '). ' +
        'The table beside it has the same numbers.';
    });
  });
})();
"""

CSS = """\
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --line: #c9ced6; --accent: #1f4e79;
  --soft: #f3f5f8; --warn: #7a2e00; --warn-bg: #fff4e5; --ok-bg: #eef6ee; --ok: #1e4620; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.wrap { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
.skip { position: absolute; left: -9999px; top: 0; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem 1rem; z-index: 10;
  outline: 3px solid var(--accent); }
header.top { border-bottom: 1px solid var(--line); padding: 1.5rem 0 1rem; }
.kicker { margin: 0; color: var(--muted); font-size: .9rem; text-transform: uppercase;
  letter-spacing: .05em; }
h1 { margin: .25rem 0 .5rem; font-size: 1.75rem; line-height: 1.2; overflow-wrap: anywhere; }
h2 { margin: 2.5rem 0 .5rem; font-size: 1.4rem; border-bottom: 2px solid var(--accent);
  padding-bottom: .25rem; }
.meta { margin: 0 0 .75rem; color: var(--muted); }
.banner { margin: .75rem 0 0; padding: .75rem 1rem; border-left: 4px solid; border-radius: 2px; }
.banner.private { background: var(--warn-bg); border-color: var(--warn); color: var(--warn); }
.banner.public { background: var(--ok-bg); border-color: var(--ok); color: var(--ok); }
nav.toc { padding: 1rem 0 0; }
nav.toc ol { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: 0; padding: 0;
  list-style: none; }
nav.toc a { color: var(--accent); }
a { color: var(--accent); }
a:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
section > p { max-width: 48rem; }
.figure { display: grid; gap: 1rem 2rem; margin: 1.5rem 0; align-items: start; }
.figure.with-chart { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
.figure.stacked { grid-template-columns: minmax(0, 1fr); }
.figure.stacked .table-box { max-width: 56rem; }
.no-js .figure.with-chart { grid-template-columns: minmax(0, 1fr); }
.no-js .chart { display: none; }
.chart { min-width: 0; width: 100%; }
.chart svg { max-width: 100%; height: auto; }
.chart[data-drawn="failed"] { color: var(--warn); }
.table-box { min-width: 0; max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding: 0 0 .4rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
  overflow-wrap: break-word; }
.token { overflow-wrap: anywhere; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
tbody th { font-weight: normal; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--soft); }
.note, .more, .empty { color: var(--muted); font-size: .9rem; margin: .4rem 0 0; }
footer { margin: 3rem 0 2rem; padding-top: 1rem; border-top: 1px solid var(--line);
  color: var(--muted); font-size: .9rem; }
footer p { max-width: 48rem; }
#vg-tooltip-element { font: 13px system-ui, sans-serif; }
@media (max-width: 50rem) {
  .figure.with-chart { grid-template-columns: minmax(0, 1fr); }
  h1 { font-size: 1.4rem; }
  body { font-size: 15px; }
  table { font-size: .875rem; }
  th, td { padding: .25rem .35rem; }
}
@media print {
  @page { margin: 14mm; }
  body { font-size: 10pt; }
  .wrap { max-width: none; padding: 0; }
  nav.toc, .skip { display: none; }
  h2 { break-after: avoid; margin-top: 1.5rem; }
  .figure, .figure.with-chart { grid-template-columns: minmax(0, 1fr); break-inside: auto; }
  .chart { break-inside: avoid; }
  caption { break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  .table-box { overflow: visible; }
  .banner { border: 1px solid currentColor; border-left-width: 4px; }
  a { color: inherit; text-decoration: none; }
  tbody tr:nth-child(even) { background: none; }
}
"""


@dataclass
class Report:
    facts: Facts
    sections: list[Section]
    title: str
    generated: dt.datetime

    @property
    def tables(self) -> list[Table]:
        return [f.table for s in self.sections for f in s.figures]


# -- HTML ----------------------------------------------------------------------------------------------


def html(report: Report) -> str:
    """The whole report as one HTML document."""
    options = report.facts.options
    specs: dict[str, object] = {}
    body: list[str] = []
    for section in report.sections:
        body.append(_section(section, specs))
    scripts = [*vendored_scripts(), RUNNER]
    csp = (
        "default-src 'none'; "
        f"script-src {' '.join(_hash(s) for s in scripts)}; "
        "style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'"
    )
    kind = "Public report" if options.public else "Private report"
    if options.public:
        banner = (
            '<p class="banner public"><strong>Public report.</strong> Aggregates only: no names '
            f"and no email addresses. Counts from 1 to {options.min_count - 1} are shown as "
            f"“&lt;{options.min_count}”; where a total would give a hidden count away, more "
            f"counts are hidden, shown as “≥{options.min_count}” or “hidden”.</p>"
        )
    else:
        banner = (
            '<p class="banner private"><strong>Private report.</strong> It names recipients and '
            "their email addresses: keep it to the programme's coordinators. Do not publish it "
            "or commit it; <code>credsite report --public</code> writes one that can be "
            "published.</p>"
        )
    nav = "".join(
        f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a></li>' for s in report.sections
    )
    spec_json = script_json(specs)
    return (
        "<!doctype html>\n"
        # the report's own words are English (the content's may not be)
        '<html lang="en" class="no-js">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp, quote=False)}">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f'<meta name="generator" content="credsite {escape(__version__)}">\n'
        f"<title>{escape(kind)}: {escape(report.title)}</title>\n"
        f"<style>\n{CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
        '<header class="top"><div class="wrap">\n'
        f'<p class="kicker">{escape(kind)} · credsite</p>\n'
        f"<h1>{escape(report.title)}</h1>\n"
        f'<p class="meta">{escape(_summary_line(report))}</p>\n'
        f"{banner}\n"
        f'<nav class="toc" aria-label="Sections"><ol>{nav}</ol></nav>\n'
        "</div></header>\n"
        '<main id="main" class="wrap">\n'
        + "\n".join(body)
        + "\n</main>\n"
        + _footer(report)
        + "".join(f"<script>{s}</script>\n" for s in scripts[:-1])
        + f'<script type="application/json" id="chart-specs">{spec_json}</script>\n'
        + f"<script>{scripts[-1]}</script>\n"
        "</body>\n</html>\n"
    )


def _summary_line(report: Report) -> str:
    options = report.facts.options
    parts = [f"Generated {report.generated:%Y-%m-%d %H:%M} UTC"]
    if options.since or options.until:
        since = f"{options.since:%Y-%m-%d}" if options.since else "the first"
        until = f"{options.until:%Y-%m-%d}" if options.until else "the last"
        parts.append(f"credentials issued from {since} to {until}")
    if options.achievement:
        name = report.facts.site.achievements[options.achievement].name
        parts.append(f"achievement {name}")
    else:
        parts.append("all achievements")
    return " · ".join(parts)


def _section(section: Section, specs: dict[str, object]) -> str:
    parts = [
        f'<section id="{escape(section.id)}" aria-labelledby="{escape(section.id)}-title">',
        f'<h2 id="{escape(section.id)}-title">{escape(section.title)}</h2>',
    ]
    parts += [f"<p>{escape(p)}</p>" for p in section.intro]
    parts += [_figure(f, specs) for f in section.figures]
    parts.append("</section>")
    return "\n".join(parts)


def _figure(figure: Figure, specs: dict[str, object]) -> str:
    table = figure.table
    chart = figure.chart
    drawn = chart is not None and any(
        isinstance(v, int) and v > 0 for v in table.values(chart.value)
    )
    # a wide or long table goes under its chart, not beside it
    layout = " stacked" if len(table.columns) > 3 or len(table.rows) > 12 else " with-chart"
    parts = [f'<div class="figure{layout if drawn else ""}">']
    if drawn and chart is not None:
        chart_id = f"chart-{table.id}"
        specs[chart_id] = charts.spec(chart, table)
        label = f"{chart.description} The table “{table.caption}” gives the same numbers."
        parts.append(
            f'<div class="chart" id="{chart_id}" role="img" aria-label="{escape(label)}"></div>'
        )
    parts.append(_table(table))
    parts.append("</div>")
    return "\n".join(parts)


def _table(table: Table) -> str:
    caption_id = f"{table.id}-caption"
    if not table.rows:
        return (
            f'<div class="table-box"><p class="empty" id="{caption_id}">'
            f"{escape(table.caption)}: none.</p></div>"
        )
    # a table of three columns or more may be wider than a phone: it scrolls inside its box,
    # which can then be focused (and scrolled) from the keyboard
    wide = len(table.columns) >= 3
    box = (
        f'<div class="table-box" role="region" tabindex="0" aria-labelledby="{caption_id}">'
        if wide
        else '<div class="table-box">'
    )
    classes = [
        ' class="num"' if c.kind in ("count", "number") else ' class="token"' if c.token else ""
        for c in table.columns
    ]
    head = "".join(
        f'<th scope="col"{"" if "token" in k else k}>{escape(c.label)}</th>'
        for c, k in zip(table.columns, classes, strict=True)
    )
    shown = table.rows if table.shown_rows is None else table.rows[: table.shown_rows]
    lines = []
    for row in shown:
        cells = []
        for i, cell in enumerate(row):
            value = escape(text(cell))
            attr = classes[i]
            cells.append(
                f'<th scope="row"{attr}>{value}</th>' if i == 0 else f"<td{attr}>{value}</td>"
            )
        lines.append("<tr>" + "".join(cells) + "</tr>")
    parts = [
        box,
        f'<table id="table-{escape(table.id)}"><caption id="{caption_id}">{escape(table.caption)}</caption>',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>" + "\n".join(lines) + "</tbody></table>",
    ]
    if len(shown) < len(table.rows):
        parts.append(
            f'<p class="more">Showing the first {len(shown)} of {len(table.rows)} rows; '
            f"the CSV file {escape(table.id)}.csv (credsite report --csv DIR) has them all.</p>"
        )
    if table.note:
        parts.append(f'<p class="note">{escape(table.note)}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _footer(report: Report) -> str:
    versions = ", ".join(f"{name} {version}" for name, version in VERSIONS.items())
    return (
        '<footer class="wrap">\n'
        f"<p>Made by <code>credsite report</code> (credsite {escape(__version__)}) from the "
        "site's content and credsite.lock, without building or publishing anything. "
        "Charts are drawn in this page by a bundled copy of "
        f"{escape(versions)} (BSD-3-Clause licence); every chart has a table with its "
        "numbers beside it. The page loads nothing from the network.</p>\n"
        "</footer>\n"
    )


@functools.cache
def vendored_scripts() -> tuple[str, ...]:
    """The vendored builds as inlined: without their source-map comment (no request for it)."""
    scripts = []
    for name in SCRIPTS:
        source = (VENDOR / name).read_text(encoding="utf-8")
        source = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", source)
        scripts.append(source.replace("</script", "<\\/script"))
    return tuple(scripts)


def _hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"




# -- CSV --------------------------------------------------------------------------------------------------


def csv_text(table: Table) -> str:
    """One table as CSV: a header row of its column labels, then every row (none left out).

    A text cell that a spreadsheet would take for a formula (=, +, -, @) gets a leading "'"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_safe_cell(text(cell), isinstance(cell, str)) for cell in row])
    return buffer.getvalue()


def _safe_cell(value: str, is_text: bool) -> str:
    if is_text and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# -- writing ----------------------------------------------------------------------------------------------


def check_destination(path: Path, config: site_config.SiteConfig, what: str) -> None:
    """Refuse a report written into the published site or over the site's own files."""
    shown = Location(str(path))
    target = path.resolve()
    output = config.output_dir.resolve()
    if target == output or target.is_relative_to(output):
        raise CredsiteError(
            f"{what} would be inside the output folder '{config.output}' (site.yaml 'output'), "
            "which is published: write it outside, e.g. credsite-report.html in the site folder",
            shown,
        )
    for folder in [target, *target.parents]:
        if (folder / SITE_MARKER).is_file() and (folder / CREDENTIALS).is_dir():
            raise CredsiteError(
                f"{what} would be inside {folder}, a built credsite site (it holds "
                f"{SITE_MARKER} and {CREDENTIALS}/), which is published: write it outside",
                shown,
            )
    for protected, name in (
        (config.content_dir, "content folder"),
        (config.keys_dir, "keys folder"),
    ):
        folder = protected.resolve()
        if target == folder or target.is_relative_to(folder):
            raise CredsiteError(f"{what} would be inside the site's {name}", shown)
    for own in (config.root / "site.yaml", config.lockfile_path):
        if target == own.resolve():
            raise CredsiteError(f"{what} would overwrite {own.name}", shown)


def check_file_target(path: Path, what: str) -> None:
    """Refuse to write `what` (the report, a CSV file) at `path` (`atomic.unwritable`)."""
    if problem := unwritable(path, what):
        raise CredsiteError(problem, Location(str(path)))


def _write(path: Path, data: bytes, mode: int) -> None:
    try:
        write_atomic(path, data, mode)
    except OSError as exc:
        raise CredsiteError(
            f"cannot write it: {exc.strerror or exc}", Location(str(path))
        ) from None


def write_html(report: Report, path: Path) -> None:
    check_file_target(path, "the report")
    mode = PUBLIC_MODE if report.facts.options.public else PRIVATE_MODE
    _write(path, html(report).encode("utf-8"), mode)


def csv_folder(folder: Path) -> list[str]:
    """Check the --csv folder before anything is written; the files an earlier report wrote.

    The folder must be new, empty, or written by an earlier report (its CSV_MARKER lists the
    files it wrote: they are replaced, so a public report's folder keeps no private CSV)."""
    shown = Location(str(folder))
    if folder.exists() and not folder.is_dir():
        raise CredsiteError("--csv names a file: give a folder", shown)
    marker = folder / CSV_MARKER
    earlier: list[str] = []
    if folder.is_dir():
        if marker.is_file():
            try:
                earlier = _marker_files(marker.read_text(encoding="utf-8"))
            except OSError as exc:
                raise CredsiteError(
                    f"cannot read it: {exc.strerror}", Location(str(marker))
                ) from None
            except ValueError:
                raise CredsiteError(
                    "not UTF-8 text: not a list credsite report wrote", Location(str(marker))
                ) from None
        elif any(folder.iterdir()):
            raise CredsiteError(
                "--csv folder holds other files: give a new or empty folder (or one an "
                "earlier credsite report wrote)",
                shown,
            )
        for child in sorted(folder.iterdir()):  # what the report replaces: files only
            if re.fullmatch(r"[a-z0-9-]+\.csv", child.name):
                check_file_target(child, "the CSV file")
    elif problem := unwritable(folder / CSV_MARKER, "the CSV folder"):
        raise CredsiteError(problem, shown)
    return earlier


def write_csvs(report: Report, folder: Path) -> list[Path]:
    """Every table as `folder/TABLE.csv` (UTF-8 with a byte-order mark, for spreadsheets),
    into a folder `csv_folder` accepts."""
    earlier = csv_folder(folder)
    marker = folder / CSV_MARKER
    public = report.facts.options.public
    mode = PUBLIC_MODE if public else PRIVATE_MODE
    tables = report.tables
    names = [f"{t.id}.csv" for t in tables]
    for name in names:
        check_file_target(folder / name, "the CSV file")
    for name in earlier:
        if name not in names and re.fullmatch(r"[a-z0-9-]+\.csv", name):
            (folder / name).unlink(missing_ok=True)
    written = []
    for table, name in zip(tables, names, strict=True):
        path = folder / name
        _write(path, csv_text(table).encode("utf-8-sig"), mode)
        written.append(path)
    kind = "public (aggregates only)" if public else "PRIVATE (names and email addresses)"
    _write(
        marker,
        (
            f"Written by credsite report, {kind}, {report.generated:%Y-%m-%d %H:%M} UTC.\n"
            "The next credsite report --csv into this folder replaces these files:\n"
            + "".join(f"{name}\n" for name in names)
        ).encode("utf-8"),
        mode,
    )
    return written


def _marker_files(text_: str) -> list[str]:
    return [line.strip() for line in text_.splitlines()[2:] if line.strip()]


@dataclass
class Written:
    html: Path | None
    """None: not written (`write` was given no file; the caller prints `html(report)`)."""
    csvs: list[Path] = field(default_factory=list)
    report: Report | None = None


def write(
    root: Path,
    options: Options,
    html_path: Path | None,
    csv_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> Written:
    """`credsite report`: read the site in `root`, write the HTML report (and the CSVs).

    `html_path` None writes no HTML file (`credsite report -o -` prints it). Every destination
    is checked before the site is read, so a refused one leaves everything as it was."""
    now = now or dt.datetime.now(dt.UTC)
    config = site_config.load(root)
    if html_path is not None:
        check_destination(html_path, config, "the report")
        check_file_target(html_path, "the report")
    if csv_dir is not None:
        check_destination(csv_dir, config, "the CSV folder")
        csv_folder(csv_dir)
    found = facts.load(root, options, now)
    report = Report(found, sections(found), config.title, now)
    if html_path is not None:
        write_html(report, html_path)
    written = Written(html_path, report=report)
    if csv_dir is not None:
        written.csvs = write_csvs(report, csv_dir)
    return written
