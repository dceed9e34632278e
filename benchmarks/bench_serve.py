"""The supporter page under an action-day rush: 20 supporters at once asking for their PDF.

    python benchmarks/bench_serve.py [--supporters 20] [--letters 200] [--seconds 120]
                                     [--workers N] [--preview] [--letterhead signer|group|both]
                                     [--own-words]

Starts the real server (`lettergen serve`, gunicorn) on 127.0.0.1, then:
1. a baseline: one supporter alone asks for letters one after another (the time one letter
   takes with nobody else waiting);
2. the rush: N supporters (threads), each loading the page (for its CSRF token) and then asking
   for a PDF letter to the office of a country, until `--letters` letters are made or
   `--seconds` pass;
3. with `--preview`, the same rush asking for the preview page (the letter drawn as images),
   which is what every supporter sees first.
Prints p50/p95/p99 of the letter requests, letters per second, and the rush's p95 as a multiple
of the baseline's median. Every response is checked to be a PDF. The server is stopped at the
end, whatever happens.

With `--own-words` every supporter adds a paragraph of her own to each letter (80–600
characters, Latin, a fifth Cyrillic, a fifth Arabic: bench_variants' `own_words`), new words
each time, as the page's "Your own words" field sends them.

With `--letterhead both` the whole run is made twice, one server after the other: under the
group's letterhead (a copy of the seed campaign with `letterhead: group`: only the signature
is stamped, the way before supporters had their own) and under hers (the campaign's
`letterhead: signer`: her name, town and country stamped as the sender block and on the date
line too), and the second's figures are given as ratios of the first's, measured in the same
run.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Countries supporters write from: resident embassies, consulates and heads of mission
#: accredited from abroad, so the rush does not hit one office only.
COUNTRIES = ("DE", "US", "GB", "FR", "IT", "NL", "AT", "DZ", "CZ", "IL", "GR", "CA")


class Supporter:
    """One browser: its own cookie jar (the CSRF cookie) and its token."""

    def __init__(self, url: str, number: int, own_words: bool = False):
        self.url = url
        self.number = number
        self.own_words = own_words
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = self.opener.open(url, timeout=60).read().decode("utf-8")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not match:
            raise SystemExit("the page has no CSRF token")
        self.token = match.group(1)

    def letter(self, index: int, preview: bool = False) -> float:
        """Ask for one PDF letter (or its preview page); the seconds it took."""
        form = {
            "csrf_token": self.token,
            "lang": "en",
            "name": f"Supporter {self.number:02d}-{index:04d}",
            "town": "Leeds",
            "country": COUNTRIES[(self.number + index) % len(COUNTRIES)],
        }
        if self.own_words:
            from bench_variants import own_words  # it imports this module: not at the top

            form["message"] = own_words(random.Random(self.number * 100_000 + index))[0]
        data = urllib.parse.urlencode(form).encode()
        start = time.perf_counter()
        path = "letter" if preview else "letter.pdf"
        with self.opener.open(self.url + path, data=data, timeout=120) as response:
            body = response.read()
        took = time.perf_counter() - start
        if preview and b'src="data:image/png;base64,' not in body:
            raise SystemExit(f"not a preview: {body[:200]!r}")
        if not preview and not body.startswith(b"%PDF"):
            raise SystemExit(f"not a PDF: {body[:200]!r}")
        return took


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SEED = ROOT / "data" / "campaigns" / "free-zhanusov-2002.yaml"


def campaign_for(letterhead: str, folder: Path) -> str:
    """The seed campaign, or a copy of it in `folder` whose letters carry `letterhead`."""
    text = SEED.read_text(encoding="utf-8")
    if f"\nletterhead: {letterhead}\n" in text:
        return "free-zhanusov-2002"
    copy = folder / SEED.name
    copy.write_text(
        re.sub(r"(?m)^letterhead: \w+$", f"letterhead: {letterhead}", text), encoding="utf-8"
    )
    return str(copy)


def start_server(workers: int, campaign: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = ROOT / "output" / f"bench-serve-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "lettergen", "serve", campaign),
                *("--port", str(port), "--workers", str(workers), "--letters-per-minute", "0"),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while f"Open {url}" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise SystemExit(f"the server did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    # Each worker warms up (fonts, every office's layout) after the server says it is ready,
    # and says when it takes requests: wait for all of them.
    # Then each lays out the office's other wordings beside its requests: the rush is
    # measured once they are all laid out, as on a page started before its action day.
    for said in ("ready (letters of every office", "more letters in"):
        while log.read_text(errors="replace").count(said) < workers:
            if process.poll() is not None or time.monotonic() > deadline + 600:
                stop(process)
                raise SystemExit(f"the workers did not warm up:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
    Supporter(url, 0).letter(0)
    return process, url, log


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rush(
    url: str,
    supporters: int,
    letters: int,
    seconds: float,
    preview: bool = False,
    own_words: bool = False,
) -> tuple[list[float], float]:
    """`supporters` threads sharing a budget of `letters` requests and a deadline."""
    times: list[float] = []
    lock = threading.Lock()
    budget = [letters]
    deadline = time.monotonic() + seconds
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            supporter = Supporter(url, number, own_words)
            index = 0
            while time.monotonic() < deadline:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                took = supporter.letter(index, preview)
                index += 1
                with lock:
                    times.append(took)
        except BaseException as exc:  # reported after the threads end
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(supporters)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if errors:
        raise SystemExit(f"a supporter's request failed: {errors[0]!r}")
    return times, wall


def report(label: str, times: list[float], wall: float) -> dict[str, float]:
    ms = [t * 1000 for t in times]
    print(
        f"{label}: {len(ms)} letters in {wall:.1f} s = {len(ms) / wall:.2f} letters/s; "
        f"p50 {percentile(ms, 0.50):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms"
    )
    return {
        "rate": len(ms) / wall,
        "p50": percentile(ms, 0.50),
        "p95": percentile(ms, 0.95),
        "p99": percentile(ms, 0.99),
    }


def run(args: argparse.Namespace, campaign: str) -> dict[str, dict[str, float]]:
    """One server: the baseline, the rush and, with --preview, the rush of previews."""
    found = {}
    process, url, log = start_server(args.workers, campaign)
    try:
        alone = Supporter(url, 99, args.own_words)
        start = time.perf_counter()
        baseline = [alone.letter(i) for i in range(args.baseline)]
        found["alone"] = report("one supporter alone", baseline, time.perf_counter() - start)
        times, wall = rush(url, args.supporters, args.letters, args.seconds, False, args.own_words)
        found["rush"] = report(f"{args.supporters} supporters at once", times, wall)
        if args.preview:
            previews, spent = rush(
                url, args.supporters, args.letters, args.seconds, True, args.own_words
            )
            found["previews"] = report(
                f"{args.supporters} supporters at once, previews", previews, spent
            )
        median = statistics.median(baseline)
        print(
            f"rush p95 / lone median: {percentile(times, 0.95) / median:.1f}x "
            f"(queueing behind {args.supporters} requests on {args.workers} worker(s) "
            f"would be ~{args.supporters / args.workers:.0f}x)"
        )
    finally:
        stop(process)
        log.unlink(missing_ok=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supporters", type=int, default=20)
    parser.add_argument("--letters", type=int, default=200, help="letters in the rush (bound)")
    parser.add_argument("--seconds", type=float, default=120, help="the rush's time bound")
    parser.add_argument("--baseline", type=int, default=10, help="letters for the baseline")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument(
        "--preview", action="store_true", help="also a rush of previews (the page with images)"
    )
    parser.add_argument(
        "--letterhead",
        choices=("signer", "group", "both"),
        default="signer",
        help="whose letterhead heads the letters; both: the group's, then hers, and the ratios",
    )
    parser.add_argument(
        "--own-words",
        action="store_true",
        help="every supporter adds a paragraph of her own (new words in each letter)",
    )
    args = parser.parse_args()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{len(os.sched_getaffinity(0))} cores, gunicorn with {args.workers} worker(s)"
        + (", every letter with words of her own" if args.own_words else "")
    )
    kinds = ("group", "signer") if args.letterhead == "both" else (args.letterhead,)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            print(f"-- letterhead: {kind}")
            results[kind] = run(args, campaign_for(kind, Path(folder)))
    if len(results) == 2:
        print("-- her letterhead and place stamped, as a multiple of the group's letterhead:")
        for step, mine in results["signer"].items():
            theirs = results["group"][step]
            print(
                f"{step}: letters/s {mine['rate'] / theirs['rate']:.2f}x, "
                f"p50 {mine['p50'] / theirs['p50']:.2f}x, p95 {mine['p95'] / theirs['p95']:.2f}x"
            )


if __name__ == "__main__":
    main()
