"""Benchmark: build a site of N synthetic awards and print one table of figures.

    python bench/build_bench.py                   # N = 1000
    python bench/build_bench.py -n 1000 -n 10000  # one row per N
    python bench/build_bench.py -n 200 --no-node  # without the Node reference signer

One row per N, in these columns:

* awards: N synthetic awards on the example site's issuers and achievements;
* clean build: seconds of a first build (no cache, no output, the lockfile minted) and
  credentials per second;
* Node signer: credentials per second of the reference signer, bench/node_sign.mjs: Digital
  Bazaar's @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite (the packages of interop/,
  ``npm ci --prefix interop``), signing the same N credentials one after another, measured in
  this run so the ratios are honest on any machine; "build/Node" is the clean build's rate over
  it (the goal is at least 5 at 10,000 awards);
* signing alone: credsite signing the same credentials (the eddsa-rdfc-2022 proof only, as
  ``vc.proof.add_proofs``) in one process on one core, in credentials per second, cold shape
  cache included; "sign/Node" is its ratio to the Node signer (goal: at least 3,000/s, 15x);
  "plain" is the same without the RDFC-1.0 shape cache (pyld for every credential, on at most
  500 of them), for comparison;
* no-op and one-change rebuilds: seconds of a second build with nothing changed, and of a third
  with one award's narrative edited (``--rebuilds N``: each N times, alternating, each
  one-change run editing another award; the median, with every run listed under the table);
* peak RSS: the largest resident set of the clean build (its process or a pool worker), MiB
  (``resource.getrusage`` ru_maxrss);
* KiB/credential: everything published (the whole output folder) over the credentials;
* files alone: seconds to create the site's files again in a new folder beside it (same paths,
  same sizes) with the build's own writer (``credsite.website.output.write_file`` on as many
  threads) and nothing else: what creating the files costs on this disk, which no build of this
  site avoids. Under the table, the credentials per second that alone would allow.

Under the table too: the CPU-seconds the clean build used, its whole process tree (worker
processes, writer threads, the kernel's time creating files), and the credentials per second
that allows on this machine's CPUs however the work is scheduled: where that is near the clean
build's rate, the build is bound by its CPU work, not by waiting.

Every build and the Python signer run in fresh processes, with credsite's bytecode compiled
first, as an installed package has it (`compile_credsite`). Rates are wall-clock; under the table
the two signers' rates per CPU-second are printed too (steadier on a busy machine). The Node
signer's proofs are compared with credsite's (same key, document, verification method and
``created``: Ed25519 is deterministic, so they must be equal byte for byte). Not a test: figures
vary with the machine.
"""

from __future__ import annotations

import argparse
import compileall
import ctypes
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NODE_SIGNER = REPO / "bench" / "node_sign.mjs"
BENCH_SEED = hashlib.sha256(b"credsite bench signing key").digest()
PLAIN_SAMPLE = 500
PER_FILE = 10_000
"""Awards per content file (a content file holds at most 10 MiB)."""


def make_site(root: Path, n: int, settings_added: str = "") -> None:
    """The example site's settings, issuers and achievements with `n` generated awards, and a
    key of its own for each issuer, as a real site has: the example signs with the public demo
    key, which the build does not search its output for (a real key is searched for in every
    published file, in all its forms: 0.55 s of a 13.1 s clean build at 2,000 awards).
    `settings_added`: lines added to site.yaml (``bake_in_browser: true\n``)."""
    from credsite.commands import keys

    root.mkdir(parents=True, exist_ok=True)
    settings = (REPO / "site.yaml").read_text(encoding="utf-8")
    if "\ndemo_key: true\n" not in settings:
        sys.exit("bench: the example's site.yaml no longer says 'demo_key: true' on a line")
    settings = settings.replace("\ndemo_key: true\n", "\n") + settings_added
    (root / "site.yaml").write_text(settings, "utf-8")
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
    keys.generate(root, None, rotate=False)


def edit_one_award(root: Path, number: int = 0) -> None:
    """Edit the narrative of award `number` (each one-change rebuild edits another)."""
    cohort = root / "content" / "awards" / "cohort.yaml"
    text = cohort.read_text(encoding="utf-8")
    edited = text.replace(f"Led workshop {number} ", f"Led workshop {number} (edited) ", 1)
    assert edited != text, number
    cohort.write_text(edited, "utf-8")


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median seconds (the lower of the middle two)."""
    return sorted(runs, key=lambda run: run["seconds"])[(len(runs) - 1) // 2]


# --- child processes ------------------------------------------------------------------------------


def child_build(root: Path) -> None:
    from credsite.build import build

    started = time.perf_counter()
    result = build(root)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "credentials": result.credentials,
                "signed": result.signed,
                "rss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def child_write(site: Path, into: Path) -> None:
    """Create every file of `site` again under `into`: same paths, same sizes, through
    ``credsite.website.output.write_file`` on as many threads as the build, and nothing else."""
    from concurrent.futures import ThreadPoolExecutor

    from credsite.website.output import WRITERS, write_file

    files = [(p.relative_to(site), p.stat().st_size) for p in site.rglob("*") if p.is_file()]
    data = os.urandom(max((size for _, size in files), default=0))
    started = time.perf_counter()
    for folder in sorted({path.parent for path, _ in files}):
        (into / folder).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(WRITERS) as writers:
        list(writers.map(lambda job: write_file(into / job[0], data[: job[1]]), files))
    print(json.dumps({"seconds": time.perf_counter() - started, "files": len(files)}))


def child_sign(jobs_file: Path, proofs_file: Path, plain: bool) -> None:
    from credsite.vc import jsonld
    from credsite.vc import proof as vc_proof
    from credsite.vc.keys import SigningKey

    if plain:
        vc_proof.canonicalize = jsonld.canonicalize_uncached  # type: ignore[assignment]
    data = json.loads(jobs_file.read_text(encoding="utf-8"))
    key = SigningKey.from_seed(bytes.fromhex(data["seed"]))
    jobs = data["jobs"]
    started, cpu = time.perf_counter(), time.process_time()
    signed = [
        vc_proof.add_proofs(
            job["credential"],
            key,
            job["verificationMethod"],
            job["created"],
            cryptosuites=(vc_proof.RDFC,),
        )
        for job in jobs
    ]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    proofs_file.write_text(json.dumps([d["proof"][-1]["proofValue"] for d in signed]), "utf-8")
    print(
        json.dumps(
            {
                "signed": len(jobs),
                "seconds": seconds,
                "perSecond": len(jobs) / seconds,
                "perCpuSecond": len(jobs) / cpu,
            }
        )
    )


PR_SET_CHILD_SUBREAPER = 36
"""prctl(2) option (Linux): orphans of this process's descendants become its children."""


def adopt_orphans() -> bool:
    """Become the subreaper of the tree (Linux), so that the build's pool workers, children of
    Python's forkserver, which outlives the build's own process by a moment, are reaped here
    and counted in RUSAGE_CHILDREN; False where that cannot be done."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def child_rusage(args: list[str]) -> None:
    """Run ``args``, then print its JSON result with the peak RSS of its process tree and the
    CPU time the whole tree used (worker processes and writer threads too; None where the
    workers cannot be counted): this process has no other children, so RUSAGE_CHILDREN is
    that tree once every process of it is reaped."""
    whole_tree = adopt_orphans()
    result = run_json(args)
    while whole_tree:
        try:
            os.wait()  # the forkserver and its workers, ending once the build's process has
        except ChildProcessError:
            break
    tree = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["rss_tree_kib"] = tree.ru_maxrss
    result["cpu_tree_s"] = {"user": tree.ru_utime, "system": tree.ru_stime} if whole_tree else None
    print(json.dumps(result))


def run_json(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(args, check=False, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_child(*args: str) -> dict[str, Any]:
    # Each run starts with the disk settled: what the run before left for the kernel to write
    # (a clean build's 3.8 GB at 100,000 awards) is written first, not timed as this run's.
    os.sync()
    this = [sys.executable, str(Path(__file__).resolve())]
    return run_json([*this, "--rusage", *this, *args])


# --- one row ---------------------------------------------------------------------------------------


def signing_jobs(site: Path) -> list[dict[str, Any]]:
    """The built credentials without their proofs, each with its rdfc proof's VM and created."""
    jobs = []
    for path in sorted((site / "credentials").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        proofs = document.pop("proof")
        proofs = proofs if isinstance(proofs, list) else [proofs]
        rdfc = next(p for p in proofs if p.get("cryptosuite") == "eddsa-rdfc-2022")
        jobs.append(
            {
                "credential": document,
                "verificationMethod": rdfc["verificationMethod"],
                "created": rdfc["created"],
            }
        )
    return jobs


def contexts() -> dict[str, Any]:
    from credsite.vc import jsonld

    folder = Path(jsonld.__file__).parent / "contexts"
    return {
        url: json.loads((folder / name).read_text(encoding="utf-8"))
        for url, name in jsonld.CONTEXT_FILES.items()
    }


def compile_credsite() -> str:
    """Compile credsite's modules to bytecode first, as installing a package does, so that the
    clean build does not pay for it; said where bytecode is not written (PYTHONDONTWRITEBYTECODE,
    as on some CI machines): there every build process and pool worker would otherwise compile
    them again (about 0.15 s each), which no installed credsite does."""
    import credsite

    folder = Path(credsite.__file__).parent
    compileall.compile_dir(folder, quiet=1)  # only what is missing or out of date
    if not sys.dont_write_bytecode:
        return ""
    return f"credsite's bytecode compiled first in {folder} (PYTHONDONTWRITEBYTECODE is set)"


def measure(
    n: int,
    node: bool,
    tmp: Path,
    node_sample: int | None = None,
    settings_added: str = "",
    rebuilds: int = 1,
) -> tuple[dict[str, Any], list[str]]:
    """One row; `node_sample`: the Node signer signs only the first so many credentials (its rate
    is per credential: a sample keeps a 100,000-award run from taking most of an hour);
    `settings_added`: lines added to the site's site.yaml (`make_site`); `rebuilds`: no-op and
    one-change rebuilds each run so many times, alternating, and the median reported (a busy
    machine's rebuild times vary by a third from one minute to the next)."""
    notes: list[str] = []
    if compiled := compile_credsite():
        notes.append(compiled)
    root = tmp / f"site-{n}"
    make_site(root, n, settings_added)
    clean = run_child("--child-build", str(root))
    noops, ones = [], []
    for number in range(rebuilds):
        noops.append(run_child("--child-build", str(root)))
        edit_one_award(root, number)
        ones.append(run_child("--child-build", str(root)))
    noop, one = median_run(noops), median_run(ones)
    if rebuilds > 1:
        notes.append(
            f"n={n}: rebuilds, median of {rebuilds}: no-op "
            + ", ".join(f"{run['seconds']:.1f}" for run in noops)
            + " s; one-change "
            + ", ".join(f"{run['seconds']:.1f}" for run in ones)
            + " s"
        )
    site = root / "_site"
    published = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    credentials = clean["credentials"]
    files_alone = run_child("--child-write", str(site), str(root / "files-alone"))
    shutil.rmtree(root / "files-alone")
    notes.append(
        f"n={n}: the site is {files_alone['files']:,} files; creating them alone takes "
        f"{files_alone['seconds']:.1f} s: at most "
        f"{credentials / files_alone['seconds']:,.0f} credentials/s on this disk"
    )

    if cpu := clean["cpu_tree_s"]:
        used = cpu["user"] + cpu["system"]
        cores = os.cpu_count() or 1
        notes.append(
            f"n={n}: the clean build used {used:.1f} CPU-seconds (user {cpu['user']:.1f}, "
            f"system {cpu['system']:.1f}): on {cores} CPUs, at most "
            f"{credentials * cores / used:,.0f} credentials/s however it is scheduled"
        )

    jobs = signing_jobs(site)
    jobs_file, plain_file = tmp / f"jobs-{n}.json", tmp / f"jobs-plain-{n}.json"
    payload = {"seed": BENCH_SEED.hex(), "contexts": contexts(), "jobs": jobs}
    jobs_file.write_text(json.dumps(payload), encoding="utf-8")
    plain_file.write_text(json.dumps({**payload, "jobs": jobs[:PLAIN_SAMPLE]}), encoding="utf-8")
    python_proofs, node_proofs = tmp / f"py-{n}.json", tmp / f"node-{n}.json"
    sign = run_child("--child-sign", str(jobs_file), str(python_proofs))
    plain = run_child("--child-sign", str(plain_file), str(tmp / "plain.json"), "--plain")
    node_rate: float | None = None
    cpu_rates = f"n={n}: per CPU-second, credsite signs {sign['perCpuSecond']:,.0f}/s"
    if node:
        node_jobs = jobs_file
        if node_sample is not None and node_sample < len(jobs):
            node_jobs = tmp / f"jobs-node-{n}.json"
            node_jobs.write_text(json.dumps({**payload, "jobs": jobs[:node_sample]}), "utf-8")
            notes.append(f"n={n}: the Node signer signed the first {node_sample:,} credentials")
        signed = run_json(["node", str(NODE_SIGNER), str(node_jobs), str(node_proofs)])
        node_rate = signed["perSecond"]
        cpu_rates += f", the Node signer {signed['perCpuSecond']:,.0f}/s"
        cpu_rates += f" ({sign['perCpuSecond'] / signed['perCpuSecond']:.1f}x)"
        ours = json.loads(python_proofs.read_text(encoding="utf-8"))
        theirs = json.loads(node_proofs.read_text(encoding="utf-8"))
        same = sum(a == b for a, b in zip(ours, theirs, strict=False))
        ours = ours[: len(theirs)]
        if same != len(ours):
            notes.append(f"n={n}: only {same} of {len(ours)} Node proofs equal credsite's")
        else:
            notes.append(f"n={n}: all {same} Node proofValues equal credsite's, byte for byte")
    notes.append(cpu_rates)
    row = {
        "awards": n,
        "clean_s": clean["seconds"],
        "clean_rate": credentials / clean["seconds"],
        "node_rate": node_rate,
        "sign_rate": sign["perSecond"],
        "plain_rate": plain["perSecond"],
        "noop_s": noop["seconds"],
        "one_s": one["seconds"],
        "rss_mib": max(clean["rss_tree_kib"], clean["rss_self_kib"]) / 1024,
        "kib_per_credential": published / 1024 / max(1, credentials),
        "files_alone_s": files_alone["seconds"],
    }
    if any(run["signed"] for run in noops) or any(run["signed"] > 1 for run in ones):
        counts = [run["signed"] for run in noops], [run["signed"] for run in ones]
        notes.append(f"n={n}: rebuilds signed {counts[0]} and {counts[1]} documents")
    return row, notes


def table(rows: list[dict[str, Any]]) -> str:
    def node(row: dict[str, Any], key: str) -> str:
        rate = row["node_rate"]
        if rate is None:
            return "-"
        return f"{rate:,.0f}" if key == "rate" else f"{row[key] / rate:.1f}x"

    header = [
        "awards",
        "clean build s",
        "credentials/s",
        "Node signer /s",
        "build/Node",
        "signing alone /s",
        "sign/Node",
        "plain /s",
        "no-op rebuild s",
        "one-change rebuild s",
        "peak RSS MiB",
        "KiB/credential",
        "files alone s",
    ]
    lines = [header]
    for row in rows:
        lines.append(
            [
                f"{row['awards']:,}",
                f"{row['clean_s']:.1f}",
                f"{row['clean_rate']:,.0f}",
                node(row, "rate"),
                node(row, "clean_rate"),
                f"{row['sign_rate']:,.0f}",
                node(row, "sign_rate"),
                f"{row['plain_rate']:,.0f}",
                f"{row['noop_s']:.1f}",
                f"{row['one_s']:.1f}",
                f"{row['rss_mib']:,.0f}",
                f"{row['kib_per_credential']:.1f}",
                f"{row['files_alone_s']:.1f}",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for i, line in enumerate(lines):
        out.append("| " + " | ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    return "\n".join(out)


def add_rebuilds_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rebuilds",
        type=int,
        default=1,
        choices=range(1, 10),
        metavar="N",
        help="no-op and one-change rebuilds N times each, reporting the median (default 1)",
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--rusage":
        child_rusage(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-build":
        child_build(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-write":
        child_write(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--child-sign":
        child_sign(Path(sys.argv[2]), Path(sys.argv[3]), plain="--plain" in sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-n", type=int, action="append", help="number of awards (repeatable; default 1000)"
    )
    parser.add_argument("--no-node", action="store_true", help="skip the Node reference signer")
    add_rebuilds_option(parser)
    args = parser.parse_args()
    sizes = args.n or [1000]
    node = not args.no_node
    if node and not (REPO / "interop" / "node_modules").is_dir():
        parser.error("the Node signer needs `npm ci --prefix interop` (or pass --no-node)")
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="credsite-bench-") as tmp:
        for n in sizes:
            row, more = measure(n, node, Path(tmp), rebuilds=args.rebuilds)
            rows.append(row)
            notes += more
    print(f"credsite bench: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(table(rows))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
