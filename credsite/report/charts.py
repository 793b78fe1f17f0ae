"""Vega-Lite specifications of the report's charts, made from its tables: bar charts, and funnels
(a pathway's recipients by how close they are to completing it).

Layer 2 (after report.tables). A chart is data plus a declarative Vega-Lite spec; the bundled
Vega renderer (report/vendor/) draws it in the browser. Nothing here draws: the data values are the
table's cells after suppression, so a public chart shows no count its table hides (a hidden count
has no bar, and its label, "<5", stands at zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credsite.report.tables import Table, number, text

BAR = "#1f4e79"
INK = "#1b1b1b"
MUTED = "#4a4a4a"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    """A bar chart of one count column of a table against one of its label columns."""

    category: str
    """Column key of the bars' labels."""
    value: str
    """Column key of the counts."""
    description: str
    """What the chart shows, in one sentence: the chart's accessible name."""
    horizontal: bool = True
    """Bars across (long labels such as achievement names); False: columns (months)."""
    colour: str | None = None
    """Column key to colour bars by (with a legend), e.g. the framework of a skill."""
    funnel: bool = False
    """A funnel: bars across, centred on one line, no value axis (each bar is labelled)."""


def spec(chart: Chart, table: Table) -> dict[str, Any]:
    """The Vega-Lite spec (a JSON-able dict) of `chart` over `table`'s rows."""
    category_column = table.columns[table.column(chart.category)]
    value_column = table.columns[table.column(chart.value)]
    labels = table.values(chart.category)
    values = table.values(chart.value)
    colours = table.values(chart.colour) if chart.colour else [None] * len(labels)
    data = []
    seen: set[str] = set()
    for label, value, colour in zip(labels, values, colours, strict=True):
        name = text(label)
        while name in seen:  # two achievements of the same name still get a bar each
            name += " "
        seen.add(name)
        row: dict[str, Any] = {"c": name, "v": number(value), "t": text(value)}
        if chart.colour:
            row["g"] = text(colour)
        data.append(row)
    if chart.funnel:
        return _funnel(chart, data)
    across, along = ("y", "x") if chart.horizontal else ("x", "y")
    # long labels are cut (with "…"; the table has them whole), shorter on a phone
    category_axis: dict[str, Any] = {"labelLimit": {"expr": "containerSize()[0] < 480 ? 110 : 200"}}
    if not chart.horizontal:
        category_axis.update(labelAngle=-90, labelAlign="right", labelOverlap="parity")
    bar: dict[str, Any] = {
        "mark": {"type": "bar", "color": BAR, "aria": False},
        "encoding": {
            along: {
                "field": "v",
                "type": "quantitative",
                "title": value_column.label,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "tooltip": [
                {"field": "c", "type": "nominal", "title": category_column.label},
                {"field": "t", "type": "nominal", "title": value_column.label},
            ],
        },
    }
    if chart.colour:
        bar["encoding"]["color"] = {
            "field": "g",
            "type": "nominal",
            "title": table.columns[table.column(chart.colour)].label,
            "legend": {"orient": "bottom", "direction": "horizontal"},
        }
        del bar["mark"]["color"]
    figures = {
        "mark": {
            "type": "text",
            "aria": False,
            "align": "left" if chart.horizontal else "center",
            "baseline": "middle" if chart.horizontal else "bottom",
            "dx": 3 if chart.horizontal else 0,
            "dy": 0 if chart.horizontal else -3,
            "color": INK,
        },
        "transform": [{"filter": "datum.t !== '0'"}],  # no "0" over every empty month
        "encoding": {
            along: {"field": "at", "type": "quantitative", "title": value_column.label},
            "text": {"field": "t", "type": "nominal"},
        },
    }
    # a fixed height: a "step" height would make Vega-Lite warn that it cannot fit it
    height = 24 * len(data) + 10 if chart.horizontal else 220
    return {
        "description": chart.description,
        "width": "container",
        "height": height,
        "data": {"values": data},
        "transform": [{"calculate": "datum.v === null ? 0 : datum.v", "as": "at"}],
        "encoding": {across: _categories(data, category_axis)},
        "layer": [bar, figures],
        "config": _config(),
    }


def _categories(data: list[dict[str, Any]], axis: dict[str, Any]) -> dict[str, Any]:
    return {
        "field": "c",
        "type": "nominal",
        "sort": None,
        # every row, in the table's order: hidden counts keep their place
        "scale": {"domain": [row["c"] for row in data]},
        "title": None,
        "axis": axis,
    }


def _funnel(chart: Chart, data: list[dict[str, Any]]) -> dict[str, Any]:
    """Each row a bar centred on the same vertical line, its count written to its right; no value
    axis (it would read negative on the left). A hidden count has no bar, its label at the centre."""
    peak = max((row["v"] for row in data if row["v"] is not None), default=0) or 1
    reach = peak / 2 * 1.5  # room beside the widest bar for its label
    axis = {
        "labelLimit": {"expr": "containerSize()[0] < 480 ? 110 : 200"},
        "domain": False,  # no line far left of the centred bars
        "ticks": False,
    }
    return {
        "description": chart.description,
        "width": "container",
        "height": 36 * len(data) + 10,
        "data": {"values": data},
        "transform": [
            {"calculate": "datum.v === null ? 0 : datum.v", "as": "at"},
            {"calculate": "-datum.at / 2", "as": "left"},
            {"calculate": "datum.at / 2", "as": "right"},
        ],
        "encoding": {"y": _categories(data, axis)},
        "layer": [
            {
                "mark": {"type": "bar", "color": BAR, "aria": False},
                "encoding": {
                    "x": {
                        "field": "left",
                        "type": "quantitative",
                        "scale": {"domain": [-reach, reach]},
                        "axis": None,
                    },
                    "x2": {"field": "right"},
                    "tooltip": [
                        {"field": "c", "type": "nominal", "title": "Stage"},
                        {"field": "t", "type": "nominal", "title": "Recipients"},
                    ],
                },
            },
            {
                "mark": {
                    "type": "text",
                    "aria": False,
                    "align": "left",
                    "baseline": "middle",
                    "dx": 4,
                    "color": INK,
                },
                "encoding": {
                    "x": {"field": "right", "type": "quantitative"},
                    "text": {"field": "t", "type": "nominal"},
                },
            },
        ],
        "config": _config(),
    }


def _config() -> dict[str, Any]:
    return {
        "aria": False,
        "font": FONT,
        "background": "#ffffff",
        "view": {"stroke": None},
        "axis": {
            "labelColor": INK,
            "titleColor": INK,
            "labelFontSize": 12,
            "titleFontSize": 12,
            "titleFontWeight": "normal",
            "domainColor": MUTED,
            "tickColor": MUTED,
            "gridColor": "#dddddd",
        },
        "legend": {"labelColor": INK, "titleColor": INK, "labelFontSize": 12},
        "text": {"fontSize": 12},
    }
