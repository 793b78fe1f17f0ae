"""Benchmark at scale: issue 14's table, and where the published bytes go.

    python bench/scale_bench.py -n 10000
    python bench/scale_bench.py -n 100000 --node-sample 10000
    python bench/scale_bench.py --make-site DIR -n 600   # only write the site (CI's interop run)
    python bench/scale_bench.py -n 10000 --bake-in-browser   # site.yaml bake_in_browser: true

The table is bench/build_bench.py's (one row per N): awards, clean build seconds and credentials
per second, the Node reference signer's credentials per second and the ratio, credsite signing
alone per second, no-op and one-change rebuild seconds, peak RSS, KiB published per credential.
Every build runs in a fresh process, as ``credsite build`` does. The site is build_bench's: the
example's issuers, achievements and site.yaml (every output on: OB 2.0 with its baked images,
learner records), N awards in files of 10,000 (a content file holds at most 10 MiB), each to its
own recipient. Under the table, the bytes published per credential by kind of file.

Not a test: figures vary with the machine and its load, so compare runs made in the same
conditions, and ratios rather than seconds. ``--node-sample`` signs only that many credentials
with the Node signer (a rate per credential; at 200/s, 100,000 would take most of an hour).
On a disk that gives freed blocks back as it goes (ext4 mounted ``discard``, usual on cloud VMs),
a build started within a minute or so of deleting a large site (an earlier run's) was seen to
take up to twice as long, nearly all of it the kernel's time creating files: leave a pause, or
compare the "files alone" column, which is measured in the same conditions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_bench  # bench/ is not a package: found on the path set above


def breakdown(site: Path, credentials: int) -> list[tuple[str, int, float]]:
    """(kind of file, files, KiB per credential), largest first: credentials/*.html, ..."""
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for folder, _dirs, names in os.walk(site):
        relative = Path(folder).relative_to(site).as_posix()
        top = relative.split("/", 1)[0]
        for name in names:
            if top in ("credentials", "records", "ob2"):
                kind = f"{relative}/*.{name.split('.', 1)[1] if '.' in name else ''}"
            else:
                kind = "everything else"
            sizes[kind] += os.lstat(os.path.join(folder, name)).st_size
            counts[kind] += 1
    per = max(1, credentials) * 1024
    return [(kind, counts[kind], size / per) for kind, size in sizes.most_common()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="awards (repeatable; default 1000)")
    parser.add_argument("--no-node", action="store_true", help="skip the Node reference signer")
    parser.add_argument("--node-sample", type=int, help="credentials the Node signer signs")
    parser.add_argument("--make-site", type=Path, help="only write the site's content here")
    parser.add_argument(
        "--bake-in-browser",
        action="store_true",
        help="the site bakes in the browser (site.yaml bake_in_browser: no baked file per credential)",
    )
    build_bench.add_rebuilds_option(parser)
    args = parser.parse_args()
    sizes = args.n or [1000]
    added = "bake_in_browser: true\n" if args.bake_in_browser else ""
    if args.make_site:
        build_bench.make_site(args.make_site, sizes[0], added)
        return
    node = not args.no_node
    if node and not (build_bench.REPO / "interop" / "node_modules").is_dir():
        parser.error("the Node signer needs `npm ci --prefix interop` (or pass --no-node)")
    rows, notes, kinds = [], [], []
    with tempfile.TemporaryDirectory(prefix="credsite-scale-") as tmp:
        for n in sizes:
            row, more = build_bench.measure(
                n, node, Path(tmp), node_sample=args.node_sample, settings_added=added,
                rebuilds=args.rebuilds,
            )  # fmt: skip
            rows.append(row)
            notes += more
            site = Path(tmp) / f"site-{n}" / "_site"
            kinds.append((n, breakdown(site, n)))
            build_bench.shutil.rmtree(Path(tmp) / f"site-{n}")
    print(f"credsite scale bench: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(build_bench.table(rows))
    for note in notes:
        print(note)
    for n, found in kinds:
        print(f"\nn={n:,}: KiB published per credential, by kind of file")
        for kind, files, kib in found:
            print(f"  {kind:<34} {files:>8,} files {kib:8.2f}")
        print(f"  {'total':<34} {sum(f for _, f, _ in found):>8,} files "
              f"{sum(k for _, _, k in found):8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
