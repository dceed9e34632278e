"""Batch speed, measured against plain WeasyPrint and plain python-docx in the same run.

    python benchmarks/bench_batch.py [--letters 200] [--scale]

Renders N letters (the seed campaign across its offices, one letter per generated signer and
office) twice: naively — one `weasyprint.HTML(string=…).write_pdf()` per letter with the same
HTML and CSS, one python-docx build per letter — and with lettergen's batch. Prints letters per
second for each, the ratios, the batch's peak memory, and a no-change rerun. `--scale` adds
batches of 1,000 and 10,000 letters (time and peak memory, in a fresh process each).

Bounded memory: `--stream` runs `lettergen batch` with many signers × 1 office and reports the
peak memory of its largest process, for two sizes: letters are composed as they are rendered,
so ten times the letters do not take ten times the memory. `--plan-signers` measures what a
million signers cost before rendering (their list, read from the CSV, is held whole).
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
    from lettergen.batch import run as batch
    from lettergen.batch.plan import BatchOptions, Plan
    from lettergen.campaign.signers import Signer
    from lettergen.campaign.targets import Targets

    base = batch.prepare(BatchOptions(CAMPAIGN, Targets(everyone=True), directory=DIRECTORY))
    per_signer = len(base.plan.recipients)
    signers = [Signer(f"Supporter {i:05d}", city="Leeds") for i in range(-(-count // per_signer))]
    base.plan.signers = signers
    # Exactly `count` letters: the last signer writes to the first offices only.
    full, rest = divmod(count, per_signer)
    if rest:
        base.plan.signers = signers[:full]
        extra = Plan(base.plan.recipients[:rest], signers[full:], [])
        return base, extra
    return base, None


def letters_of(work):  # type: ignore[no-untyped-def]
    base, extra = work
    planned = list(base.plan.letters()) + (list(extra.letters()) if extra else [])
    return [base.compose(p) for p in planned]


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


def batch_run(work, fmt: str, workers: int) -> float:  # type: ignore[no-untyped-def]
    from lettergen.batch import run as batch
    from lettergen.batch.plan import Prepared

    base, extra = work
    elapsed = 0.0
    for part in (base.plan, extra):
        if part is None:
            continue
        prepared = Prepared(
            base.campaign, base.directory, part, base.sender, base.options, base.templates
        )
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            result = batch.run(
                prepared, formats=[fmt], output=Path(out), workers=workers, force=True
            )
            elapsed += time.perf_counter() - start
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
        f"from bench_batch import batch_run;"
        f"w = prepared({count});"
        f"s = batch_run(w, 'pdf', {jobs});"
        f"me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        f"kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        f"print(s, me + {jobs if jobs > 1 else 0} * kids)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    seconds, kib = output.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(kib) / 1024


def _signers_csv(folder: Path, count: int) -> Path:
    path = folder / "signers.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name,city\n")
        handle.writelines(f"Supporter {i:07d},Leeds\n" for i in range(count))
    return path


def _tree_rss_kib(pid: int) -> int:
    """The resident memory of a process and all its descendants (workers, fork server)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for member in tree:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def streamed(signers: int, workers: int) -> tuple[float, float]:
    """`lettergen batch` of `signers` signers × 1 office, as a user runs it: (seconds, peak
    memory in MiB of the batch with its workers, sampled from /proc every 0.1 s)."""
    lettergen = Path(sys.executable).parent / "lettergen"
    with tempfile.TemporaryDirectory() as folder:
        csv_path = _signers_csv(Path(folder), signers)
        args = [str(lettergen), "-q", "batch", str(CAMPAIGN), "--offices", "de-berlin-embassy"]
        args += ["--signers", str(csv_path), "-j", str(workers), "-o", f"{folder}/out"]
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise SystemExit(f"the streamed batch failed: exit {process.returncode}")
    return seconds, peak / 1024


def plan_memory(signers: int) -> tuple[float, float]:
    """Load a signers CSV of this many rows, plan the batch (× 1 office) and compose its first
    1,000 letters: (seconds, peak RSS in MiB). What a million signers cost before rendering."""
    with tempfile.TemporaryDirectory() as folder:
        csv_path = _signers_csv(Path(folder), signers)
        code = (
            "import itertools, resource, time; t = time.perf_counter();"
            "from lettergen.batch import run as batch;"
            "from lettergen.batch.plan import BatchOptions;"
            "from lettergen.campaign.targets import Targets;"
            f"p = batch.prepare(BatchOptions({str(CAMPAIGN)!r}, "
            f"Targets(offices=('de-berlin-embassy',)), signers=__import__('pathlib').Path("
            f"{str(csv_path)!r})));"
            "[p.compose(x) for x in itertools.islice(p.plan.letters(), 1000)];"
            "print(time.perf_counter() - t, len(p.plan),"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        output = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
        )
        output.check_returncode()
        seconds, count, kib = output.stdout.split()
        assert int(count) == signers
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
    parser.add_argument(
        "--stream",
        default="100,1000",
        help="signer counts (× 1 office) for the streamed runs, comma-separated ('' for none)",
    )
    parser.add_argument(
        "--plan-signers",
        type=int,
        default=100_000,
        help="signers to plan (and compose 1,000 of) for the memory of a huge batch (0: skip)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    n = args.letters
    cores = os.cpu_count() or 1

    work = prepared(n)
    letters = letters_of(work)
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
    stream = {}
    for count in [int(c) for c in args.stream.split(",") if c.strip()]:
        seconds, peak = streamed(count, cores)
        stream[count] = (seconds, peak)
        print(
            f"streamed: {count:7d} signers × 1 office, {cores} workers: {seconds:7.1f} s, "
            f"peak RSS, batch and workers together, {peak:.0f} MiB"
        )
    if len(stream) > 1:
        (small, (_, low)), (large, (_, high)) = min(stream.items()), max(stream.items())
        print(
            f"  {large // small}× the letters, {high / low:.2f}× the peak memory "
            "(bounded: letters are composed as they are rendered)"
        )
    planned = None
    if args.plan_signers:
        planned = plan_memory(args.plan_signers)
        print(
            f"planning {args.plan_signers:,} signers × 1 office (and composing 1,000 letters): "
            f"{planned[0]:.1f} s, peak RSS {planned[1]:.0f} MiB"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "letters": n,
                    "rates": results,
                    "rerun": rerun,
                    "scale": scale,
                    "streamed": stream,
                    "plan": planned,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
