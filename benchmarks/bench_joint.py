"""A joint letter with thousands of signatories: time, pages and peak memory.

    .venv/bin/python benchmarks/bench_joint.py [--signatories N]

Writes the seed campaign's letter to the Berlin embassy signed by N generated supporters
(`lettergen batch --joint`, PDF) in a child process, and reports the wall time, the letter's
pages and the child's peak memory (its maximum resident set, from the kernel). For scale, it
also times the same batch with 5 signatories in the same run: the letter itself, without a list.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def signers(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "organisation", "city", "country"])
        for i in range(count):
            organisation = ("Metalworkers Local 12", "", "Teachers' Federation")[i % 3]
            writer.writerow([f"Supporter {i:05d}", organisation, "Bristol", "GB"])


def joint_batch(folder: Path, count: int) -> tuple[float, int, float]:
    """(seconds, pages, peak MiB) of one joint batch of `count` signatories."""
    signers(folder / f"signers-{count}.csv", count)
    out = folder / f"out-{count}"
    command = [
        sys.executable, "-m", "lettergen", "-q", "batch", "free-zhanusov-2002",
        "--offices", "de-berlin-embassy", "--signers", str(folder / f"signers-{count}.csv"),
        "--joint", "-j", "1", "-o", str(out),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    manifest = json.loads((out / "free-zhanusov-2002" / "manifest.json").read_text())
    (row,) = manifest["letters"]
    # ru_maxrss of children is the largest of any child so far: valid as this run's peak only
    # when it grew, which the larger run does.
    return seconds, row["pages"], max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatories", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = joint_batch(Path(tmp), 5)
        large = joint_batch(Path(tmp), args.signatories)
    print("Joint letter (batch --joint, PDF, 1 worker):")
    print(f"  {5:>6,} signatories: {small[0]:6.1f} s, {small[1]:3d} pages")
    print(
        f"  {args.signatories:>6,} signatories: {large[0]:6.1f} s, {large[1]:3d} pages, "
        f"peak {large[2]:.0f} MiB (targets: under 30 s, under 1 GiB)"
    )


if __name__ == "__main__":
    main()
