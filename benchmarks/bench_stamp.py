"""Stamped letters: a supporter drive and single letters, against plain WeasyPrint in the same run.

    .venv/bin/python benchmarks/bench_stamp.py [--signers 200] [--offices 50] [--quick]

(a) A supporter drive: N signers × M letter texts (the seed campaign's offices with a fax, in
its languages when more texts are asked for than there are offices), composed first, then
rendered through `lettergen.render.stamp.render_stamped` from a cold cache (office layouts and
signers' parts included) in one process. The naive loop — one
`weasyprint.HTML(string=…).write_pdf()` per letter with the same HTML, CSS and fonts — runs on a
sample of the same letters, in slices between the drive's, so both see the same load on a shared
machine; the ratio is of letters per second.

The same drive through `lettergen batch` (a signers CSV, every office with a fax, files and
manifest written) with 1 and 2 worker processes, each against naive slices run just before and
after it.

(b) The supporter page: with the office layouts cached, 1,000 single letters
(`stamped_pdf`), each for a new signer (their lines set directly, render/direct.py) and then for
signers seen before (their parts cached too), and 250 new signers whose parts WeasyPrint lays
out (the way before, for the ratio): p50 and p95 in milliseconds. Signers carry the whole
letterhead the page gives them (name, an organisation for some, town, country), stamped as her
sender block and date line with her signature (`letterhead: signer`); 1,000 more new signers
each get their letter twice in turn, under her letterhead and under the group's (only the
signature stamped), for the ratio of the two in the same run.

Prints the figures and the targets; `--json FILE` also writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = ROOT / "data" / "campaigns" / "free-zhanusov-2002.yaml"
DIRECTORY = ROOT / "data" / "directories" / "kazakhstan.yaml"
LANGUAGES = ("en", "de", "fr", "es", "ru")
TOWNS = ("Leeds", "Lyon", "Graz", "Bilbao", "Tartu", "Kraków", "Aarhus")
#: The supporters' countries (ISO codes, as the page and signers files give them), by town.
COUNTRIES = ("GB", "FR", "AT", "ES", "EE", "PL", "DK")
ORGANISATIONS = ("Unite the Union", "", "", "Solidarność, Region Małopolska", "")


def texts(count: int) -> list[tuple[Any, Any, str]]:
    """`count` letter texts: (prepared batch, recipient, language), office by office, in the
    seed campaign's languages in turn."""
    from lettergen.batch import run as batch

    work = batch.prepare(CAMPAIGN, everyone=True, directory=DIRECTORY)
    recipients = [recipient for recipient, _ in work.plan.recipients]
    found = [(work, r, lang) for lang in LANGUAGES for r in recipients]
    return found[:count]


def signers(count: int, start: int = 0) -> list[Any]:
    from lettergen.campaign.signers import Signer

    # Her whole letterhead, as the page makes it (`letterhead: signer`): name, an organisation
    # for some, town and country, each stamped like the signature.
    return [
        Signer(
            f"Supporter {i:05d}",
            ORGANISATIONS[i % len(ORGANISATIONS)],
            city=TOWNS[i % len(TOWNS)],
            country=COUNTRIES[i % len(COUNTRIES)],
        )
        for i in range(start, start + count)
    ]


def compose_drive(n_signers: int, m_texts: int) -> list[Any]:
    """The drive's letters, signer by signer (as a batch orders them)."""
    from lettergen.batch.plan import PlannedLetter

    letters = []
    targets = texts(m_texts)
    for signer in signers(n_signers):
        for work, recipient, lang in targets:
            letters.append(work.compose(PlannedLetter(recipient, signer, lang)))
    return letters


def naive_seconds_per_letter(letters: list[Any]) -> float:
    """What a script without lettergen does: one WeasyPrint document per letter."""
    import weasyprint

    from lettergen import paths
    from lettergen.render.pdf import font_faces, to_html

    layout = paths.templates_dir() / "layout"
    stylesheet = font_faces() + "\n" + (layout / "letter.css").read_text(encoding="utf-8")

    def one(letter: Any) -> None:
        css = weasyprint.CSS(string=stylesheet, base_url=str(layout) + "/")
        weasyprint.HTML(string=to_html(letter), base_url=str(layout) + "/").write_pdf(
            stylesheets=[css]
        )

    one(letters[0])  # fonts found and loaded once, outside the timing
    start = time.perf_counter()
    for letter in letters:
        one(letter)
    return (time.perf_counter() - start) / len(letters)


def drive(letters: list[Any], sample: list[Any], slices: int = 5) -> tuple[float, float, Any]:
    """The whole drive through the stamped path from a cold cache, in `slices` parts with a
    slice of the naive sample after each, so both see the same load on a shared machine:
    (drive seconds, naive seconds per letter, the stamp report)."""
    from lettergen.render import stamp

    cache = stamp.StampCache()
    report = stamp.StampReport()
    size, part = -(-len(letters) // slices), -(-len(sample) // slices)
    spent = naive_spent = 0.0
    for k in range(slices):
        start = time.perf_counter()
        segment = letters[k * size : (k + 1) * size]
        for rendered in stamp.render_stamped(segment, cache=cache, report=report):
            assert rendered.data and not rendered.error, rendered.error
        spent += time.perf_counter() - start
        naive_part = sample[k * part : (k + 1) * part]
        if naive_part:
            naive_spent += naive_seconds_per_letter(naive_part) * len(naive_part)
    return spent, naive_spent / len(sample), report


def write_signers(path: Path, n_signers: int) -> Path:
    """The signers file of the drive: `signers(n_signers)`, one row each, as a group writes it."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "organisation", "city", "country"])
        writer.writerows([s.name, s.organisation, s.city, s.country] for s in signers(n_signers))
    return path


def batch_drive(n_signers: int, workers: int, everyone: bool = True) -> tuple[int, float, int]:
    """`lettergen batch` with a signers CSV of N supporters to every office with a fax (or,
    not `everyone`, to the campaign's targets), files and manifest written: (letters, seconds,
    letters laid out in full)."""
    import tempfile

    from lettergen.batch import run as batch

    with tempfile.TemporaryDirectory() as folder:
        signers_csv = write_signers(Path(folder) / "signers.csv", n_signers)
        work = batch.prepare(CAMPAIGN, everyone=everyone, directory=DIRECTORY, signers=signers_csv)
        start = time.perf_counter()
        result = batch.run(work, output=Path(folder) / "out", formats=["pdf"], workers=workers)
        seconds = time.perf_counter() - start
    assert not result.failures, result.failures[:3]
    return result.letters, seconds, len(result.laid_out_in_full)


def letterhead_latencies(m_texts: int, requests: int) -> tuple[list[float], list[float]]:
    """Milliseconds per `stamped_pdf` for new signers with every office layout cached, under
    her own letterhead (her block and date line stamped with her signature) and under the
    group's (only the signature stamped: the way before), in turns — each new signer's letter
    made both ways one after the other — so both see the same load on a shared machine."""
    from dataclasses import replace

    from lettergen.batch.plan import PlannedLetter
    from lettergen.render import stamp

    mine, theirs = texts(m_texts), texts(m_texts)
    work = theirs[0][0]  # one prepared campaign for every text
    work.campaign = replace(work.campaign, letterhead="group")
    caches = (stamp.StampCache(), stamp.StampCache())
    first = signers(1, start=70_000)[0]
    for targets, cache in zip((mine, theirs), caches, strict=True):  # warm: every layout
        for work, recipient, lang in targets:
            letter = work.compose(PlannedLetter(recipient, first, lang))
            stamp.stamped_pdf(letter, cache=cache)
    picks = random.Random(17)
    times: tuple[list[float], list[float]] = ([], [])
    for signer in signers(requests, start=80_000):
        index = picks.randrange(len(mine))
        for targets, cache, found in zip((mine, theirs), caches, times, strict=True):
            work, recipient, lang = targets[index]
            letter = work.compose(PlannedLetter(recipient, signer, lang))
            start = time.perf_counter()
            stamp.stamped_pdf(letter, cache=cache)
            found.append((time.perf_counter() - start) * 1000)
    return times


def single_latencies(
    m_texts: int, requests: int, returning: bool, set_direct: bool = True
) -> list[float]:
    """Milliseconds per `stamped_pdf` with every office layout cached: new signers each time,
    or (`returning`) signers whose parts are cached too; `set_direct=False` lays every new
    signer's parts out with WeasyPrint, as before render/direct.py."""
    from lettergen.batch.plan import PlannedLetter
    from lettergen.render import stamp

    cache = stamp.StampCache()
    targets = texts(m_texts)
    regulars = signers(20, start=50_000)
    for work, recipient, lang in targets:  # warm: every office's layout, regulars' parts
        for signer in regulars if returning else regulars[:1]:
            letter = work.compose(PlannedLetter(recipient, signer, lang))
            stamp.stamped_pdf(letter, cache=cache, set_direct=set_direct)
    picks = random.Random(13)
    newcomers = signers(requests, start=60_000)
    times = []
    for index in range(requests):
        work, recipient, lang = picks.choice(targets)
        signer = picks.choice(regulars) if returning else newcomers[index]
        letter = work.compose(PlannedLetter(recipient, signer, lang))
        start = time.perf_counter()
        stamp.stamped_pdf(letter, cache=cache, set_direct=set_direct)
        times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=200)
    parser.add_argument("--offices", type=int, default=50, help="letter texts (office × lang)")
    parser.add_argument("--sample", type=int, default=100, help="letters for the naive loop")
    parser.add_argument("--requests", type=int, default=1000, help="single-letter requests")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="batch runs")
    parser.add_argument("--quick", action="store_true", help="10 × 10, sample 20, 100 requests")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.quick:
        args.signers, args.offices, args.sample, args.requests = 10, 10, 20, 100

    letters = compose_drive(args.signers, args.offices)
    sample = random.Random(7).sample(letters, min(args.sample, len(letters)))
    seconds, naive, report = drive(letters, sample)
    stamped_rate, naive_rate = len(letters) / seconds, 1 / naive
    batches, batch_naive = {}, {}
    for workers in args.workers:  # naive slices just before and after each batch
        before = naive_seconds_per_letter(sample[: len(sample) // 4 or 1])
        batches[workers] = batch_drive(args.signers, workers)
        after = naive_seconds_per_letter(sample[-(len(sample) // 4 or 1) :])
        batch_naive[workers] = 2 / (before + after)
    fresh = single_latencies(args.offices, args.requests, returning=False)
    known = single_latencies(args.offices, args.requests, returning=True)
    laid_out = single_latencies(args.offices, args.requests // 4, returning=False, set_direct=False)
    own, group = letterhead_latencies(args.offices, args.requests)

    print(
        f"lettergen stamp benchmark: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    print(
        f"(a) drive of {args.signers} signers × {args.offices} letter texts = {len(letters)} "
        f"letters, 1 worker: {seconds:.1f} s, {stamped_rate:.1f} letters/s; naive WeasyPrint "
        f"{naive_rate:.1f} letters/s (sample of {len(sample)}, in slices between the drive's): "
        f"{stamped_rate / naive_rate:.2f}× naive (target ≥ 6×)"
    )
    print(
        f"    office layouts made {report.layouts}, signers' parts set directly {report.direct}, "
        f"laid out by WeasyPrint {report.parts}, stamped {report.stamped}, "
        f"laid out in full {report.fallback_count}"
    )
    for workers, (count, spent, full) in batches.items():
        target = {1: " (target ≥ 6×)", 2: " (target ≥ 10×)"}.get(workers, "")
        print(
            f"(a) lettergen batch, {args.signers} signers × every office with a fax = {count} "
            f"letters, {workers} worker(s): {spent:.1f} s, {count / spent:.1f} letters/s; naive "
            f"{batch_naive[workers]:.1f} letters/s around it: "
            f"{count / spent / batch_naive[workers]:.2f}× naive{target}; laid out in full {full}"
        )
    rows = {
        "new signer, her own letterhead and place": fresh,
        "returning signer, her own letterhead and place": known,
        "new signer, her letterhead, in turns with the group's": own,
        "new signer, the group's letterhead (only the signature stamped)": group,
        "new signer, parts laid out by WeasyPrint (the way before)": laid_out,
    }
    for name, values in rows.items():
        target = "" if "before" in name or "group" in name else " (target p50 ≤ 10 ms, p95 ≤ 25 ms)"
        print(
            f"(b) single letter, warm office cache, {name}: p50 {percentile(values, 0.5):.1f} ms,"
            f" p95 {percentile(values, 0.95):.1f} ms over {len(values)} requests{target}"
        )
    print(
        f"    new signer: {percentile(laid_out, 0.5) / percentile(fresh, 0.5):.1f}× faster at p50 "
        f"than laying their parts out with WeasyPrint, in the same run"
    )
    p50 = percentile(own, 0.5) / percentile(group, 0.5)
    p95 = percentile(own, 0.95) / percentile(group, 0.95)
    print(
        f"    her own letterhead and place stamped: {p50:.2f}× the p50 and {p95:.2f}× the p95 "
        f"of a letter under the group's letterhead, in turns in the same run"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "letters": len(letters),
                    "drive_seconds": seconds,
                    "drive_rate": stamped_rate,
                    "naive_rate": naive_rate,
                    "ratio": stamped_rate / naive_rate,
                    "fallbacks": report.fallback_count,
                    "parts_set_directly": report.direct,
                    "parts_laid_out": report.parts,
                    "batch": {
                        str(w): {"letters": c, "seconds": t, "ratio": c / t / batch_naive[w]}
                        for w, (c, t, _) in batches.items()
                    },
                    "own_letterhead_vs_group": {"p50": p50, "p95": p95},
                    "single": {
                        name: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95)}
                        for name, v in rows.items()
                    },
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
