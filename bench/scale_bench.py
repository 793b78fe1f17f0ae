"""Benchmark at scale: clean build, no-op and one-change rebuilds, peak memory, bytes published.

    python bench/scale_bench.py -n 10000
    python bench/scale_bench.py -n 1000 --keep /tmp/site   # keep the site for a look

Each build runs in a fresh process (as `credsite build` does), so its peak RSS is its own: the
build's process, and separately the largest of its worker processes (signing). The site is the
one bench/build_bench.py makes (the same awards), its awards split into files of 10,000 (a content
file holds at most 10 MiB). Not a test: figures vary with the machine and its load, so compare
runs made in the same conditions, and ratios rather than seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PER_FILE = 10_000


def make_site(root: Path, n: int) -> None:
    """bench/build_bench.py's site: the example's issuers and achievements, `n` awards."""
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    for folder in ("issuers", "achievements", "images"):
        shutil.copytree(REPO / "content" / folder, root / "content" / folder)
    achievements = sorted(p.stem for p in (root / "content" / "achievements").glob("*.yaml"))
    awards = root / "content" / "awards"
    awards.mkdir(parents=True)
    rng = random.Random(7)
    for start in range(0, n, PER_FILE):
        lines = ["awards:"]
        for i in range(start, min(n, start + PER_FILE)):
            lines += [
                f"  - name: Recipient {i:05d}",
                f"    email: recipient{i:05d}@example.org",
                f"    achievement: {rng.choice(achievements)}",
                "    issued: 2026-03-01",
                f"    narrative: Led workshop {i} and mentored {rng.randint(2, 30)} participants.",
            ]
        name = "cohort.yaml" if start == 0 else f"cohort-{start // PER_FILE + 1}.yaml"
        (awards / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

RUNNER = """
import json, resource, sys, time
from pathlib import Path
from credsite.build import build

if __name__ == "__main__":
    started = time.perf_counter()
    result = build(Path(sys.argv[1]))
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds,
        "credentials": result.credentials,
        "files": result.files,
        "written": getattr(result, "written", result.files),
        "bytes": result.bytes,
        "signed": result.signed,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))
"""


def run_build(root: Path) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(root)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stderr[-4000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started
    return figures


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="number of awards (default 1000)")
    parser.add_argument("--keep", type=Path, help="build the site in this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        make_site(root, args.n)
        clean = run_build(root)
        site = root / "_site"
        total = folder_bytes(site)
        credentials = folder_bytes(site / "credentials")
        noop = run_build(root)
        awards = root / "content" / "awards" / "cohort.yaml"
        text = awards.read_text(encoding="utf-8")
        awards.write_text(text.replace("Led workshop 1 and", "Led workshop one and", 1), "utf-8")
        one = run_build(root)
    n = max(1, int(clean["credentials"]))
    print(f"awards: {args.n}")
    print(f"{'build':<12} {'s':>8} {'% clean':>8} {'cred/s':>8} {'written':>9} {'RSS MiB':>8} "
          f"{'workers':>8}")  # fmt: skip
    for name, figures in (("clean", clean), ("no-op", noop), ("one change", one)):
        print(
            f"{name:<12} {figures['seconds']:8.2f} {100 * figures['seconds'] / clean['seconds']:7.1f}%"
            f" {figures['credentials'] / figures['seconds']:8.0f} {int(figures['written']):>9}"
            f" {figures['rss_mib']:8.0f} {figures['workers_rss_mib']:8.0f}"
        )
    print(
        f"published: {total / 1024 / 1024:.1f} MiB in {int(clean['files'])} files; "
        f"{total / n / 1024:.1f} KiB per credential (whole site), "
        f"{credentials / n / 1024:.1f} KiB in credentials/ (bench/build_bench.py's figure)"
    )


if __name__ == "__main__":
    main()
