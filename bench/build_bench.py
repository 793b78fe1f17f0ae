"""Benchmark: build a site of N synthetic awards and print time and credentials per second.

    python bench/build_bench.py            # N = 1000
    python bench/build_bench.py -n 200

Prints the first (cold: signs everything) and a second, no-op build (signatures from the cache),
and the average bytes published per credential. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from credsite.build import build

REPO = Path(__file__).resolve().parent.parent


def make_site(root: Path, n: int) -> None:
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    for folder in ("issuers", "achievements", "images"):
        shutil.copytree(REPO / "content" / folder, root / "content" / folder)
    achievements = sorted(p.stem for p in (root / "content" / "achievements").glob("*.yaml"))
    awards = root / "content" / "awards"
    awards.mkdir(parents=True)
    rng = random.Random(7)
    lines = ["awards:"]
    for i in range(n):
        lines += [
            f"  - name: Recipient {i:05d}",
            f"    email: recipient{i:05d}@example.org",
            f"    achievement: {rng.choice(achievements)}",
            "    issued: 2026-03-01",
            f"    narrative: Led workshop {i} and mentored {rng.randint(2, 30)} participants.",
        ]
    (awards / "cohort.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="number of awards (default 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_site(root, args.n)
        started = time.perf_counter()
        first = build(root)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        second = build(root)
        warm = time.perf_counter() - started
        per_credential = sum(
            p.stat().st_size for p in (root / "_site" / "credentials").iterdir()
        ) / max(1, first.credentials)
    print(f"awards: {args.n}")
    print(
        f"cold build: {cold:.1f} s, {first.credentials / cold:.0f} credentials/s, "
        f"{first.signed} signed"
    )
    print(f"no-op rebuild: {warm:.1f} s, {second.signed} signed")
    print(
        f"published per credential (JSON + HTML + baked PNG + SVG): {per_credential / 1024:.1f} KiB"
    )


if __name__ == "__main__":
    main()
