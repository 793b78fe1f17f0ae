"""`credsite report`: a private (or, with --public, aggregate-only) programme report.

Layer 0: the package itself. Its modules, in import order: `tables` and `emails` (plain data and
rules, nothing from credsite), `charts` (Vega-Lite specs made from tables), `facts` (the content
and credsite.lock, read only), `sections` (what the report shows), `page` (the self-contained HTML
file and the CSVs). The report never builds, signs or writes the lockfile.
"""
