"""Benchmark of `credsite serve` on a large site: its first build, then edits previewed.

    python bench/serve_bench.py -n 10000

Makes build_bench's site of N awards in a temporary folder, starts the preview server on it (as
``credsite serve`` does, in this process), and prints the seconds of its first build and of the
rebuild after each of `--edits` edits of one award's narrative (`build_bench.edit_one_award`),
with the documents signed and the files written. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_bench  # bench/ is not a package: found on the path set above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="awards (default 1000)")
    parser.add_argument("--edits", type=int, default=2, help="edits previewed (default 2)")
    args = parser.parse_args()
    from credsite.commands import serve

    with tempfile.TemporaryDirectory(prefix="credsite-serve-bench-") as tmp:
        root = Path(tmp) / "site"
        build_bench.make_site(root, args.n)
        started = time.perf_counter()
        with serve.Server(root, port=0, log=lambda *message: None) as server:
            first = server.last_result
            assert first is not None, server.error
            print(f"n={args.n:,}: first build {time.perf_counter() - started:.1f} s, "
                  f"{first.files:,} files written")  # fmt: skip
            for edit in range(1, args.edits + 1):
                builds = server.builds
                started = time.perf_counter()
                build_bench.edit_one_award(root)
                if not server.wait_for_build(3600, since=builds) or server.error:
                    sys.exit(f"edit {edit} did not build: {server.error}")
                result = server.last_result
                assert result is not None
                print(f"edit {edit}: previewed in {time.perf_counter() - started:.1f} s "
                      f"(the build {result.seconds:.1f} s), {result.signed} signed, "
                      f"{result.written:,} of {result.files:,} files written")  # fmt: skip


if __name__ == "__main__":
    main()
