"""Batch speed, measured against plain WeasyPrint and plain python-docx in the same run.

    python benchmarks/bench_batch.py [--letters 200] [--scale]

Renders N letters (the seed campaign across its offices, one letter per generated signer and
office) twice: naively — one `weasyprint.HTML(string=…).write_pdf()` per letter with the same
HTML and CSS, one python-docx build per letter — and with lettergen's batch. Prints letters per
second for each, the ratios, the batch's peak memory, and a no-change rerun. `--scale` adds
batches of 1,000 and 10,000 letters (time and peak memory, in a fresh process each).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = ROOT / "data" / "campaigns" / "free-zhanusov-2002.yaml"
DIRECTORY = ROOT / "data" / "directories" / "kazakhstan.yaml"


def prepared(count: int):  # type: ignore[no-untyped-def]
    """The seed campaign to every office with a fax, signed by enough generated signers to
    make `count` letters."""
    from lettergen import batch
    from lettergen.signers import Signer

    base = batch.prepare(CAMPAIGN, everyone=True, directory=DIRECTORY)
    per_signer = len(base.plan.jobs)
    signers = [Signer(f"Supporter {i:05d}", city="Leeds") for i in range(-(-count // per_signer))]
    jobs = [batch.Job(j.recipient, s, j.language) for s in signers for j in base.plan.jobs][:count]
    base.plan.jobs = jobs
    return base


def compose_all(work):  # type: ignore[no-untyped-def]
    return [work.compose(job) for job in work.plan.jobs]


def naive_pdf(letters) -> float:  # type: ignore[no-untyped-def]
    """What a script without lettergen does: one WeasyPrint document per letter."""
    import weasyprint

    from lettergen import paths
    from lettergen.render.pdf import font_faces, to_html

    layout = paths.templates_dir() / "layout"
    stylesheet = font_faces() + "\n" + (layout / "letter.css").read_text(encoding="utf-8")
    start = time.perf_counter()
    for letter in letters:
        css = weasyprint.CSS(string=stylesheet, base_url=str(layout) + "/")
        weasyprint.HTML(string=to_html(letter), base_url=str(layout) + "/").write_pdf(
            stylesheets=[css]
        )
    return time.perf_counter() - start


def naive_docx(letters) -> float:  # type: ignore[no-untyped-def]
    """One python-docx build per letter, from scratch, with lettergen's own DOCX writer."""
    from lettergen.render.docx import render_docx

    start = time.perf_counter()
    for letter in letters:
        render_docx(letter, cached=False)
    return time.perf_counter() - start


def batch_run(work, fmt: str, jobs: int) -> float:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = work.run(formats=[fmt], out=Path(out), jobs=jobs, force=True)
        elapsed = time.perf_counter() - start
    assert not result.failures, result.failures
    return elapsed


def in_subprocess(count: int, jobs: int) -> tuple[float, float]:
    """A batch of `count` PDF letters in a fresh process: (seconds, peak memory in MiB).

    The memory is the main process's peak RSS plus `jobs` times the largest worker's: an upper
    bound of what the batch held at once.
    """
    here = str(Path(__file__).parent)
    code = (
        f"import sys, time, tempfile, pathlib, resource; sys.path.insert(0, {here!r});"
        f"from bench_batch import prepared;"
        f"w = prepared({count}); t = time.perf_counter();"
        f"d = tempfile.TemporaryDirectory();"
        f"r = w.run(formats=['pdf'], out=pathlib.Path(d.name), jobs={jobs}, force=True);"
        f"s = time.perf_counter() - t; d.cleanup(); assert not r.failures;"
        f"me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        f"kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        f"print(s, me + {jobs if jobs > 1 else 0} * kids)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    seconds, kib = output.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(kib) / 1024


def rerun_seconds() -> float:
    """A no-change rerun of the whole seed campaign, as a user runs it."""
    lettergen = Path(sys.executable).parent / "lettergen"
    with tempfile.TemporaryDirectory() as out:
        args = [str(lettergen), "-q", "batch", str(CAMPAIGN), "--all", "-o", out]
        subprocess.run(args, check=True, capture_output=True)
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=200, help="letters per measurement")
    parser.add_argument("--scale", action="store_true", help="also 1,000 and 10,000 letters")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    n = args.letters
    cores = os.cpu_count() or 1

    work = prepared(n)
    letters = compose_all(work)
    results: dict[str, float] = {}
    rate = lambda seconds: n / seconds  # noqa: E731

    results["pdf naive"] = rate(naive_pdf(letters))
    results["pdf batch, 1 worker"] = rate(batch_run(work, "pdf", 1))
    results[f"pdf batch, {cores} workers"] = rate(batch_run(work, "pdf", cores))
    results["docx naive"] = rate(naive_docx(letters))
    results["docx batch"] = rate(batch_run(work, "docx", 1))
    seconds, peak = in_subprocess(n, cores)

    print(
        f"lettergen batch benchmark: {n} letters, {platform.machine()}, {cores} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    print(f"{'':28}{'letters/s':>10}{'× naive':>10}")
    for name, value in results.items():
        base = results["docx naive" if name.startswith("docx") else "pdf naive"]
        print(f"{name:28}{value:10.1f}{value / base:10.2f}")
    print(
        f"peak memory of a {n}-letter PDF batch, {cores} workers: {peak:.0f} MiB "
        f"(main + workers, at most) ({seconds:.1f} s)"
    )
    rerun = rerun_seconds()
    print(f"no-change rerun of the seed campaign (--all): {rerun:.2f} s")
    scale = {}
    if args.scale:
        for count in (1000, 10000):
            seconds, peak = in_subprocess(count, cores)
            scale[count] = (seconds, peak)
            print(
                f"{count:6d} letters: {seconds:7.1f} s ({1000 * seconds / count:.1f} ms/letter), "
                f"peak RSS {peak:.0f} MiB"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"letters": n, "rates": results, "rerun": rerun, "scale": scale}, indent=2)
        )


if __name__ == "__main__":
    main()
