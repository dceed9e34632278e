"""Letters that are not form letters: how different the letters to one office are, and what the
phrasing variants cost a supporter drive and the supporter page, against plain WeasyPrint in the
same run.

    .venv/bin/python benchmarks/bench_variants.py [--signers 1000] [--drive-signers 200]
                                                  [--requests 200] [--quick] [--json FILE]

(1) Distinctness. The seed campaign's letters to the offices `lettergen batch --signers` writes
to (the campaign's targets), composed only, nothing rendered, through the batch's own path:
`batch.run.prepare` with a signers file of N supporters, then `Prepared.compose` for every letter
of the plan, so each letter takes the combination of wordings the batch gives it (its signer's
place in the file). Then the page's choice: N supporters with random names per office, each
letter composed by `web.site.Site.compose`. Both in the campaign's default language and in every
other language it has texts and letter templates for. For each office: the share of pairs of
letters whose wording (`variants.body_text`) is identical; the mean Jaccard similarity of the
pairs' word 5-gram shingles; how many different texts there are, and how many combinations the
variants allow; and the first letter whose text an earlier letter to the office already had (in
a batch, none before the combinations run out). Letters are grouped by `variants.text_key`:
pairs within a group are identical (similarity 1), the similarity of two groups is computed once
and weighted by the product of their sizes, so the figures are exact and cheap.

(2) The supporter drive with variants: `lettergen batch` with a signers CSV (bench_stamp's
signers) to the campaign's offices (its targets, each with a fax), 2 worker processes, against
naive WeasyPrint (bench_stamp's loop: one `weasyprint.HTML(...).write_pdf()` per letter) on a
sample of the same letters, timed just before and just after the batch: the ratio of letters per
second. The batch does not report the office layouts its workers make, so the same letters
are then run through the stamped path in one process, as a worker runs them (every body
paragraph set apart), from a cold cache: the office layouts and parts its report counts,
against the drive's different texts.

(3) The supporter page in process (`Site(campaign)`, `warm_up()` and `warm_rest()`,
`choose(country, "")`, `compose(choice, signer, lang)`, `pdf(letter)`): after the warm-up and
the other wordings laid out ahead (as a served worker does), milliseconds per `pdf()` for
new supporters from several countries, without words of their own, then with a paragraph of
their own (80–600 characters: Latin, some Cyrillic and Arabic), each twice: first letters
(whatever the caches hold), then warm ones: new supporters whose letters fall in the office and
wording classes of the first pass, which made their layouts (a class: the letter's office and
words, her own left out), each with a paragraph of her own (new words) of the script and length
of one in that class before. Naive WeasyPrint on a sample of the first letters, before and
after, for the ratio.

Prints the figures with the targets beside them; `--json FILE` also writes them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_serve import COUNTRIES
from bench_stamp import (
    CAMPAIGN,
    DIRECTORY,
    TOWNS,
    batch_drive,
    naive_seconds_per_letter,
    percentile,
    write_signers,
)

SHINGLE = 5  # words per shingle
FIRST_NAMES = (
    "Anna", "Maria", "Jonas", "Leila", "Pavel", "Aisha", "Tom", "Inès", "Kofi", "Sven", "Olga",
    "Yusuf", "Marta", "Chen", "Lucía", "Ahmed", "Ewa", "Pierre", "Nadia", "Hugo", "Sara", "Ivan",
    "Fatima", "Mateo",
)  # fmt: skip
SURNAMES = (
    "Lopez", "Müller", "Kowalska", "Haddad", "Novak", "Okafor", "Smith", "Rossi", "Dubois",
    "Petrova", "Jensen", "García", "Nguyen", "Costa", "Berg", "Ibrahim", "Fischer", "Silva",
    "Horvat", "Moreau",
)  # fmt: skip
#: Sentences a supporter's own paragraph is made of, by script (Latin in several languages).
OWN_WORDS = {
    "latin": (
        "I am a member of a trade union in my town, and I have followed this case since the "
        "summer.",
        "Workers who ask for the wages they are owed should never be sent to prison for it.",
        "Our branch met last week to talk about Saken Zhanusov, and every member signed this "
        "appeal.",
        "I visited Karaganda in 2001 and met the union's members: honest and brave people.",
        "Je suis syndicaliste en Bretagne et je suis cette affaire avec beaucoup d'inquiétude.",
        "Als Gewerkschafterin in Köln bitte ich Sie, sich für seine Freilassung einzusetzen.",
        "Como sindicalista en Bilbao, pido que se respeten los derechos de los trabajadores.",
        "Please let his family know that people far away are thinking of them.",
        "A fair trial, held soon and in public, is the least the law of any country requires.",
    ),
    "cyrillic": (
        "Я член профсоюза и внимательно слежу за этим делом с лета.",
        "Рабочие, которые требуют свою зарплату, не должны оказываться в тюрьме.",
        "Прошу вас передать вашему правительству нашу глубокую озабоченность.",
        "Наша организация провела собрание, и все её члены подписали это обращение.",
        "Справедливый и открытый суд — это самое меньшее, чего требует закон.",
        "Я была в Караганде и знаю, как трудно там живут рабочие семьи.",
        "Пожалуйста, сообщите его семье, что о них думают люди во многих странах.",
    ),
    "arabic": (
        "أنا عضو في نقابة عمالية وأتابع هذه القضية باهتمام بالغ منذ الصيف.",
        "العمال الذين يطالبون بأجورهم لا ينبغي أن يُسجنوا بسبب ذلك.",
        "أرجو أن تنقلوا إلى حكومتكم قلقنا العميق إزاء هذه القضية.",
        "عقدت نقابتنا اجتماعاً ووقّع جميع الأعضاء على هذا النداء.",
        "المحاكمة العادلة والعلنية هي أقل ما يقتضيه القانون في أي بلد.",
        "أرجو أن تبلغوا عائلته أن أناساً في بلدان كثيرة يفكرون فيهم.",
    ),
}
SCRIPT_WEIGHTS = {"latin": 6, "cyrillic": 2, "arabic": 2}
MIN_WORDS, MAX_WORDS = 80, 600  # characters of a supporter's own paragraph


# --- who writes -----------------------------------------------------------------------------


class Names:
    """Random supporters' names, never the same person twice in a run."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
            name = f"{first} {self.rng.choice('ABCDEFGHIJKLMNOPRSTUVWZ')}. {last}"
            if name not in self.used:
                self.used.add(name)
                return name

    def many(self, count: int) -> list[str]:
        return [self.new() for _ in range(count)]


#: What a supporter's own paragraph is like: its script and the length it was drawn to have.
Shape = tuple[str, int]


def own_words(rng: random.Random, like: Shape | None = None) -> tuple[str, Shape]:
    """A supporter's own paragraph, and its shape: sentences of one script, in an order of
    their own, cut after the first word that reaches a length drawn between MIN_WORDS and
    MAX_WORDS characters — or, given `like`, of that script and length."""
    if like is None:
        script = rng.choices(list(SCRIPT_WEIGHTS), weights=list(SCRIPT_WEIGHTS.values()))[0]
        like = (script, rng.randint(MIN_WORDS, MAX_WORDS))
    script, target = like
    sentences = list(OWN_WORDS[script])
    rng.shuffle(sentences)
    text, n = "", 0
    while len(text) < target:
        text = f"{text} {sentences[n % len(sentences)]}".strip()
        n += 1
    end = text.find(" ", target)
    text = text if end < 0 else text[:end]
    return (text if len(text) <= MAX_WORDS else text[:MAX_WORDS].rsplit(" ", 1)[0]), like


def write_names(path: Path, names: list[str], rng: random.Random) -> Path:
    """A signers file of these names, each with a town and a country, as a group writes it."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "city", "country"])
        for name in names:
            at = rng.randrange(len(TOWNS))
            writer.writerow([name, TOWNS[at], COUNTRIES[at % len(COUNTRIES)]])
    return path


# --- (1) distinctness -----------------------------------------------------------------------


def shingles(text: str, numbers: dict[tuple[str, ...], int]) -> frozenset[int]:
    """The text's word SHINGLE-grams, each as its number in `numbers` (given on first sight):
    sets of small integers compare faster than sets of tuples of words, and exactly alike."""
    words = text.split()
    grams = zip(*(words[i:] for i in range(SHINGLE)), strict=False)
    return frozenset(numbers.setdefault(gram, len(numbers)) for gram in grams)


def jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    both = len(a & b)
    return both / (len(a) + len(b) - both) if a or b else 1.0


@dataclass
class Spread:
    """The letters to one office in one language, as far as their wording goes, in the order
    they were made."""

    combinations: int
    letters: int = 0
    sizes: Counter[str] = field(default_factory=Counter)  # text key → letters
    bodies: dict[str, str] = field(default_factory=dict)  # text key → body text
    first_repeat: int | None = None  # the first letter (from 0) whose text came before

    def add(self, letter: Any) -> None:
        from lettergen.compose import variants

        key = variants.text_key(letter)
        if key in self.sizes and self.first_repeat is None:
            self.first_repeat = self.letters
        self.sizes[key] += 1
        self.bodies.setdefault(key, variants.body_text(letter))
        self.letters += 1

    @property
    def pairs(self) -> int:
        return math.comb(self.letters, 2)

    @property
    def identical_pairs(self) -> int:
        """Pairs whose body texts are the same (text keys with the same body counted as one)."""
        by_body: Counter[str] = Counter()
        for key, size in self.sizes.items():
            by_body[self.bodies[key]] += size
        return sum(math.comb(size, 2) for size in by_body.values())

    def similarity_sum(self) -> float:
        """Every pair's shingle Jaccard similarity, summed: 1 for a pair within a text key, and
        each pair of keys computed once, weighted by the letters they hold."""
        total = float(sum(math.comb(size, 2) for size in self.sizes.values()))
        keys = list(self.sizes)
        numbers: dict[tuple[str, ...], int] = {}
        cut = {key: shingles(self.bodies[key], numbers) for key in keys}
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                total += self.sizes[a] * self.sizes[b] * jaccard(cut[a], cut[b])
        return total

    def even_pairs(self) -> int:
        """Identical pairs were the letters spread as evenly as possible over the combinations:
        the fewest there can be."""
        whole, rest = divmod(self.letters, self.combinations)
        return rest * math.comb(whole + 1, 2) + (self.combinations - rest) * math.comb(whole, 2)

    def figures(self) -> dict[str, Any]:
        pairs = self.pairs or 1
        return {
            "letters": self.letters,
            "texts": len(self.sizes),
            "combinations": self.combinations,
            "identical_share": self.identical_pairs / pairs,
            "even_share": self.even_pairs() / pairs,
            "jaccard": self.similarity_sum() / pairs,
            "first_repeat": self.first_repeat,
        }


def languages_of(campaign: Any) -> list[str]:
    """The campaign's languages with letter templates, its default first."""
    from lettergen.language.languages import available

    have = set(available())
    found = [code for code in campaign.languages if code in have]
    return sorted(found, key=lambda code: (code != campaign.default_language, code))


def combinations_allowed(campaign: Any, lang: str) -> int:
    """How many different letters the phrasing variants allow in a language: the product of
    every group's wordings (the letter template's, the case's, each demand's)."""
    from lettergen.compose import variants
    from lettergen.language.languages import BODY_TEMPLATE, load_language

    template = (load_language(lang).folder / BODY_TEMPLATE).read_text(encoding="utf-8")
    counts = [
        *variants.sizes(variants.parse(template, unique=False)).values(),
        *variants.sizes(variants.parse(campaign.case[lang])).values(),
        *(len(words) for words in campaign.demand_alternatives(lang)),
    ]
    return variants.combinations(counts)


def drive_spreads(signers_csv: Path, lang: str) -> dict[str, Spread]:
    """The batch's letters (`lettergen batch --signers`, the campaign's targets) in `lang`,
    composed the batch's way, office by office."""
    from lettergen.batch import run as batch

    work = batch.prepare(CAMPAIGN, directory=DIRECTORY, signers=signers_csv, language=lang)
    combos = combinations_allowed(work.campaign, lang)
    found: dict[str, Spread] = {}
    for planned in work.plan.letters():
        spread = found.setdefault(planned.recipient.office.id, Spread(combos))
        spread.add(work.compose(planned))
    return found


def page_spreads(
    site: Any, office_ids: list[str], names: list[str], lang: str
) -> dict[str, Spread]:
    """The page's letters in `lang`: each name writing to each office (`Site.compose`)."""
    from lettergen.campaign.signers import Signer

    combos = combinations_allowed(site.campaign, lang)
    found: dict[str, Spread] = {}
    for office_id in office_ids:
        choice = site.choose("", office_id)
        spread = found[office_id] = Spread(combos)
        for n, name in enumerate(names):
            signer = Signer(name, city=TOWNS[n % len(TOWNS)], country=COUNTRIES[n % len(COUNTRIES)])
            spread.add(site.compose(choice, signer, lang))
    return found


def overall(spreads: dict[str, Spread]) -> dict[str, Any]:
    """Pairs to the same office, pooled over the offices; each office's figures."""
    offices = {office: spread.figures() for office, spread in spreads.items()}
    pairs = sum(spread.pairs for spread in spreads.values()) or 1
    rows = offices.values()
    early = {
        office: row["first_repeat"]
        for office, row in offices.items()
        if row["first_repeat"] is not None and row["first_repeat"] < row["combinations"]
    }
    repeats = [r["first_repeat"] + 1 for r in rows if r["first_repeat"] is not None]
    return {
        "identical_share": sum(s.identical_pairs for s in spreads.values()) / pairs,
        "even_share": sum(s.even_pairs() for s in spreads.values()) / pairs,
        "random_share": sum(s.pairs / s.combinations for s in spreads.values()) / pairs,
        "first_repeats": [min(repeats), max(repeats)] if repeats else None,
        "jaccard": sum(offices[o]["jaccard"] * s.pairs for o, s in spreads.items()) / pairs,
        "texts": [min(r["texts"] for r in rows), max(r["texts"] for r in rows)],
        "combinations": sorted({r["combinations"] for r in rows}),
        "letters_per_office": max(r["letters"] for r in rows),
        "repeats_before_combinations": early,
        "offices": offices,
    }


def distinctness(n_signers: int, languages: list[str] | None, site: Any) -> dict[str, Any]:
    """(1): the drive's and the page's letters in every language, their figures."""
    from lettergen.batch import run as batch

    rng = random.Random(2002)
    names = Names(rng).many(n_signers)
    office_ids = [
        r.office.id for r, _ in batch.prepare(CAMPAIGN, directory=DIRECTORY).plan.recipients
    ]
    found: dict[str, Any] = {"drive": {}, "page": {}}
    with tempfile.TemporaryDirectory() as folder:
        signers_csv = write_names(Path(folder) / "signers.csv", names, rng)
        for lang in languages or languages_of(site.campaign):
            found["drive"][lang] = overall(drive_spreads(signers_csv, lang))
            found["page"][lang] = overall(page_spreads(site, office_ids, names, lang))
    return found


def distinctness_line(mode: str, lang: str, figures: dict[str, Any]) -> str:
    """One language's figures, pooled over the offices."""
    low, high = figures["texts"]
    combos = "/".join(str(c) for c in figures["combinations"])
    head = (
        f"{figures['letters_per_office']} letters per office × {len(figures['offices'])} "
        f"offices; different texts per office {low}–{high} of {combos} combinations; mean "
        f"5-gram Jaccard {figures['jaccard']:.3f}; identical pairs "
        f"{figures['identical_share']:.2%} (an even spread: {figures['even_share']:.2%}"
    )
    if mode == "drive":
        early = figures["repeats_before_combinations"]
        repeats = ", ".join(f"{office} at letter {n + 1}" for office, n in early.items())
        return (
            f"(1) batch --signers, {lang}: {head}); a text repeated before the combinations "
            f"ran out: {repeats or 'none'} (target none)"
        )
    repeats = figures["first_repeats"]
    return (
        f"(1) the page's letters, {lang}: {head}, a choice at random: "
        f"{figures['random_share']:.2%}); first repeated text at letter "
        + ("–".join(map(str, repeats)) if repeats else "none")
    )


def print_distinctness(found: dict[str, Any], default: str) -> None:
    """(1), a line per mode and language; office by office in the default language."""
    for mode, by_lang in found.items():
        for lang, figures in by_lang.items():
            print(distinctness_line(mode, lang, figures))
            if lang != default:
                continue
            for office, row in figures["offices"].items():
                first = row["first_repeat"]
                print(
                    f"      {office}: {row['texts']} texts, identical pairs "
                    f"{row['identical_share']:.2%}, Jaccard {row['jaccard']:.3f}, first repeated "
                    f"text: {'none' if first is None else f'letter {first + 1}'}"
                )


# --- (2) the drive --------------------------------------------------------------------------


def drive_letters(n_signers: int) -> list[Any]:
    """The drive's letters (bench_stamp's signers to the campaign's targets), composed as the
    batch composes them, in the batch's order."""
    from lettergen.batch import run as batch

    with tempfile.TemporaryDirectory() as folder:
        signers_csv = write_signers(Path(folder) / "signers.csv", n_signers)
        work = batch.prepare(CAMPAIGN, directory=DIRECTORY, signers=signers_csv)
        return [work.compose(planned) for planned in work.plan.letters()]


def measured_layouts(letters: list[Any]) -> tuple[int, int, float]:
    """The stamped path in process, as a batch worker runs it (every body paragraph set
    apart), from a cold cache: (office layouts made, paragraphs laid out apart, seconds)."""
    from lettergen.render import stamp

    report = stamp.StampReport()
    start = time.perf_counter()
    for rendered in stamp.render_stamped(
        letters, cache=stamp.StampCache(), report=report, every_paragraph=True
    ):
        assert rendered.data and not rendered.error, rendered.error
    return report.layouts, report.parts, time.perf_counter() - start


def drive(n_signers: int, sample_size: int, workers: int) -> dict[str, Any]:
    """(2): the batch against naive slices just before and after it, and its layouts."""
    from lettergen.compose import variants

    letters = drive_letters(n_signers)
    sample = random.Random(7).sample(letters, min(sample_size, len(letters)))
    half = max(1, len(sample) // 2)
    before = naive_seconds_per_letter(sample[:half])
    count, seconds, full = batch_drive(n_signers, workers, everyone=False)
    after = naive_seconds_per_letter(sample[half:] or sample)
    naive_rate = 2 / (before + after)
    assert count == len(letters), (count, len(letters))
    made, paragraphs, spent = measured_layouts(letters)
    return {
        "signers": n_signers,
        "offices": len({letter.office_id for letter in letters}),
        "letters": count,
        "seconds": seconds,
        "rate": count / seconds,
        "naive_rate": naive_rate,
        "naive_sample": len(sample),
        "ratio": count / seconds / naive_rate,
        "laid_out_in_full": full,
        "texts": len({(letter.office_id, variants.text_key(letter)) for letter in letters}),
        "workers": workers,
        "in_process": {"layouts": made, "parts": paragraphs, "seconds": spent},
    }


def print_drive(found: dict[str, Any]) -> None:
    ratio = found["ratio"]
    print(
        f"(2) lettergen batch, {found['signers']} signers × the campaign's {found['offices']} "
        f"offices = {found['letters']:,} letters, {found['workers']} workers: "
        f"{found['seconds']:.1f} s, {found['rate']:.1f} letters/s; naive WeasyPrint "
        f"{found['naive_rate']:.1f} letters/s "
        f"({found['naive_sample']} of the same letters, before and after): {ratio:.2f}× naive "
        f"(target ≥ 10×: {'met' if ratio >= 10 else 'not met'}); laid out in full "
        f"{found['laid_out_in_full']}"
    )
    one = found["in_process"]
    print(
        f"    different texts {found['texts']:,}; measured, the same letters through the "
        f"stamped path in one process (a worker's way, every paragraph set apart): "
        f"{one['layouts']:,} office layouts and {one['parts']:,} parts laid out for "
        f"{found['letters']:,} letters, {one['seconds']:.1f} s"
    )


# --- (3) the supporter page -----------------------------------------------------------------


def wording_class(letter: Any) -> tuple[str, str, str]:
    """A letter's office and wording, her own words left out: letters of one class differ in
    who signs them and what she adds, nothing else."""
    from lettergen.compose import variants

    body = tuple(block for block in letter.body if getattr(block, "role", "") != "own-words")
    key = variants.text_key(dataclasses.replace(letter, body=body))
    return letter.office_id, letter.country, key


def own_paragraph(letter: Any) -> str:
    return next((b.text for b in letter.body if getattr(b, "role", "") == "own-words"), "")


#: A wording class (`wording_class`) → the shapes of the own paragraphs of its letters.
Classes = dict[tuple[str, str, str], list[Shape | None]]


def page_letters(
    site: Any, names: Names, count: int, words: bool, like: Classes | None = None
) -> tuple[list[Any], Classes, list[float]]:
    """`count` letters of new supporters (random names, COUNTRIES) in the page's default
    language, with a paragraph of their own if `words`. With `like` (a first pass's classes),
    only supporters whose letters fall in one of its classes, each with a paragraph of the
    script and length of one of that class's: new words taking the room words took before.
    Returns the letters, their classes and the milliseconds each `Site.compose` took."""
    from lettergen.campaign.signers import Signer

    rng, lang = names.rng, site.default_language
    letters, classes, composing = [], {}, []
    for _ in range(count * 400):  # bounded: a class holds a few hundredths of the letters
        if len(letters) == count:
            break
        country = rng.choice(COUNTRIES)
        choice = site.choose(country, "")
        signer = Signer(names.new(), city=rng.choice(TOWNS), country=country)
        start = time.perf_counter()
        letter = site.compose(choice, signer, lang)
        took = (time.perf_counter() - start) * 1000
        key, shape = wording_class(letter), None
        if like is not None and key not in like:
            continue
        if words:
            text, shape = own_words(rng, rng.choice(like[key]) if like else None)
            start = time.perf_counter()
            letter = site.compose(choice, dataclasses.replace(signer, message=text), lang)
            took = (time.perf_counter() - start) * 1000
            if wording_class(letter) != key:  # her words changed the letter's wording
                continue
        composing.append(took)
        letters.append(letter)
        classes.setdefault(key, []).append(shape)
    return letters, classes, composing


def pdf_times(site: Any, letters: list[Any]) -> list[float]:
    """Milliseconds per `Site.pdf`, letter after letter."""
    times = []
    for letter in letters:
        start = time.perf_counter()
        data = site.pdf(letter)
        times.append((time.perf_counter() - start) * 1000)
        assert data.startswith(b"%PDF")
    return times


def page_kind(site: Any, names: Names, requests: int, sample: int, words: bool) -> dict[str, Any]:
    """One kind of supporter: first letters, then warm ones, with naive slices before and
    after on a sample of the first letters."""
    first, classes, composing = page_letters(site, names, requests, words)
    picked = names.rng.sample(first, min(sample, len(first)))
    half = max(1, len(picked) // 2)
    naive = [naive_seconds_per_letter(picked[:half]) * 1000]
    first_times = pdf_times(site, first)
    warm, _, more = page_letters(site, names, requests, words, classes)
    warm_times = pdf_times(site, warm)
    naive.append(naive_seconds_per_letter(picked[half:] or picked) * 1000)
    naive_ms = statistics.mean(naive)
    lengths = [len(own_paragraph(letter)) for letter in first + warm]
    return {
        "first": summary(first_times),
        "warm": summary(warm_times),
        "classes": len(classes),
        "naive_ms": naive_ms,
        "naive_sample": len(picked),
        "compose": summary(composing + more),
        "ratio_warm_p50": naive_ms / percentile(warm_times, 0.5),
        "ratio_first_p50": naive_ms / percentile(first_times, 0.5),
        "own_words_chars": [min(lengths), max(lengths)],
    }


def summary(times: list[float]) -> dict[str, float]:
    """Milliseconds: how many, p50, p95, mean."""
    return {
        "count": len(times),
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "mean": statistics.mean(times),
    }


def page(site: Any, requests: int, sample: int) -> dict[str, Any]:
    """(3): warm-up, then supporters without and with their own words."""
    start = time.perf_counter()
    site.warm_up()
    warm_up = time.perf_counter() - start
    # What a served worker then does beside its first requests: every office's other wordings.
    start = time.perf_counter()
    ahead = site.warm_rest()
    names = Names(random.Random(17))
    return {
        "warm_up_seconds": warm_up,
        "warm_rest": {"letters": ahead, "seconds": time.perf_counter() - start},
        "plain": page_kind(site, names, requests, sample, words=False),
        "own_words": page_kind(site, names, requests, sample, words=True),
    }


def print_page(found: dict[str, Any]) -> None:
    rest = found["warm_rest"]
    print(
        f"(3) the supporter page in process, {found['warm_up_seconds']:.1f} s to warm up, then "
        f"{rest['letters']} more letters laid out ahead in {rest['seconds']:.1f} s (the other "
        "wordings, as a served worker lays them out beside its first requests):"
    )
    labels = {"plain": "without own words", "own_words": "with a paragraph of her own"}
    for kind, label in labels.items():
        figures = found[kind]
        chars, own = figures["own_words_chars"], kind == "own_words"
        print(
            f"    {label}"
            + (f" ({chars[0]}–{chars[1]} characters)" if own else "")
            + f": the first letters fall in {figures['classes']} office and wording classes, "
            "the warm ones in theirs"
            + (", each with words of the script and length of words before" if own else "")
        )
        for when in ("first", "warm"):
            row = figures[when]
            print(
                f"    {label}, {when} letters: p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms, "
                f"mean {row['mean']:.1f} ms over {row['count']}{page_target(kind, when, row)}"
            )
        print(
            f"    {label}: naive WeasyPrint {figures['naive_ms']:.1f} ms per letter "
            f"({figures['naive_sample']} of the first letters, before and after): "
            f"{figures['ratio_first_p50']:.1f}× the first letters' p50, "
            f"{figures['ratio_warm_p50']:.1f}× the warm letters' p50; Site.compose p50 "
            f"{figures['compose']['p50']:.1f} ms"
        )


def page_target(kind: str, when: str, row: dict[str, float]) -> str:
    """The target beside a row of (3), and whether it is met."""
    if when != "warm":
        return ""
    if kind == "own_words":
        return f" (target p95 ≤ 60 ms: {'met' if row['p95'] <= 60 else 'not met'})"
    met = row["p50"] <= 10 and row["p95"] <= 25
    return (
        " (docs/speed.md's target for a new signer's letter, its office laid out: p50 ≤ 10 ms, "
        f"p95 ≤ 25 ms: {'met' if met else 'not met'})"
    )


# --- the run --------------------------------------------------------------------------------


def machine() -> str:
    import weasyprint

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"WeasyPrint {weasyprint.__version__}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"load average {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=1000, help="(1) letters per office")
    parser.add_argument("--languages", nargs="*", help="(1) default: the campaign's all")
    parser.add_argument("--drive-signers", type=int, default=200, help="(2) signers")
    parser.add_argument("--sample", type=int, default=30, help="(2) letters for the naive loop")
    parser.add_argument("--workers", type=int, default=2, help="(2) batch worker processes")
    parser.add_argument("--requests", type=int, default=200, help="(3) letters per pass")
    parser.add_argument("--page-sample", type=int, default=20, help="(3) naive letters per kind")
    parser.add_argument(
        "--quick", action="store_true", help="50 signers, a drive of 10, 30 page letters a pass"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--parts", type=int, nargs="*", choices=(1, 2, 3), default=[1, 2, 3], help="which to run"
    )
    args = parser.parse_args()
    if args.quick:
        args.signers, args.drive_signers, args.sample = 50, 10, 6
        args.requests, args.page_sample = 30, 6

    from lettergen.web.site import Site

    found: dict[str, Any] = {"machine": machine()}
    print(f"lettergen variants benchmark: {found['machine']}")
    if 1 in args.parts:
        clock = time.perf_counter()
        site = Site(CAMPAIGN)
        found["distinctness"] = distinctness(args.signers, args.languages, site)
        print_distinctness(found["distinctness"], site.campaign.default_language)
        print(f"    ({time.perf_counter() - clock:.0f} s)")
    if 2 in args.parts:
        clock = time.perf_counter()
        found["drive"] = drive(args.drive_signers, args.sample, args.workers)
        print_drive(found["drive"])
        print(f"    ({time.perf_counter() - clock:.0f} s)")
    if 3 in args.parts:
        clock = time.perf_counter()
        found["page"] = page(Site(CAMPAIGN), args.requests, args.page_sample)
        print_page(found["page"])
        print(f"    ({time.perf_counter() - clock:.0f} s)")
    found["machine_at_end"] = machine()
    print(f"at the end: {found['machine_at_end']}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
