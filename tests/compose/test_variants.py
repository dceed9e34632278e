"""Phrasing variants: the syntax, the choice, and every wording of every language read back from
the PDF and the DOCX."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest

from conftest import SEED_CAMPAIGN, flat, pdftotext, plain
from lettergen import campaign as campaigns
from lettergen import paths
from lettergen.campaign.signers import Signer
from lettergen.compose import variants
from lettergen.compose.composer import Recipient, compose_letter
from lettergen.errors import LettergenError
from lettergen.lang.trials import trial_campaign
from lettergen.render.docx import render_docx
from lettergen.render.pdf import render_pdf
from lettergen.util.alternatives import VariantSyntaxError, parse

LANGUAGES = ("en", "de", "fr", "es", "ru", "ar")

# --- the syntax -----------------------------------------------------------------------------


def test_a_group_is_replaced_by_its_picked_wording_in_place() -> None:
    text = "Before.\n%% opening\nFirst\nwording.\n%% or\nSecond.\n%% end\nAfter.\n\nNext."
    pieces = parse(text)
    assert variants.sizes(pieces) == {"opening": 2}
    assert variants.join(pieces, {"opening": 0}) == "Before.\nFirst\nwording.\nAfter.\n\nNext."
    assert variants.join(pieces, {"opening": 1}) == "Before.\nSecond.\nAfter.\n\nNext."
    assert parse("No markers.") == ("No markers.",)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a\n%% or\nb", "'%% or' outside a group", 2),
        ("%% x\na\n%% or\nb", "group 'x' is not closed", 1),
        ("%% x\na\n%% or\n%% end", "an empty alternative in group 'x'", 4),
        ("%% x\na\n%% end\n%% x\nb\n%% end", "a second group named 'x'", 4),
        ("%% Opening\na\n%% end", "cannot name a group", 1),
        ("%% x\na\n%% y\nb\n%% end", "inside group 'x'", 3),
    ],
)
def test_a_marker_out_of_place_is_named_with_its_line(text: str, message: str, line: int) -> None:
    with pytest.raises(VariantSyntaxError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.line == line


def test_a_campaign_with_a_broken_group_names_file_and_line(tmp_path: Path) -> None:
    text = SEED_CAMPAIGN.read_text(encoding="utf-8")
    broken = text.replace(
        "  en: |\n    Saken Zhanusov, a leader",
        "  en: |\n    %% lead\n    Saken Zhanusov, a leader",
        1,
    )
    assert broken != text
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(LettergenError) as caught:
        campaigns.load(path)
    line = broken.split("\n").index("    %% lead") + 1
    assert f"broken.yaml:{line}: case.en: group 'lead' is not closed" in str(caught.value)


# --- the choice -----------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[3, 3, 3, 3], [2, 3, 4], [3], [5, 1, 2]])
def test_digits_give_every_combination_once_and_neighbours_differ(sizes: list[int]) -> None:
    total = variants.combinations(sizes)
    seen = {tuple(variants.digits(n, sizes)) for n in range(total)}
    assert len(seen) == total  # a bijection of [0, total)
    assert variants.digits(total + 7, sizes) == variants.digits(7, sizes)
    if sizes == [3, 3, 3, 3]:
        # Consecutive letters differ in the first group always, in all four in 72 of 80 pairs
        # (plain mixed-radix counting would change the first group alone in 54 of them).
        changed = [
            sum(
                x != y
                for x, y in zip(
                    variants.digits(n, sizes), variants.digits(n + 1, sizes), strict=True
                )
            )
            for n in range(total - 1)
        ]
        assert min(changed) >= 2 and changed.count(4) == 72


def test_the_seed_is_stable_and_folds_the_name() -> None:
    # sha256 of "office\0folded name", not Python's hash(): the same in every process.
    assert variants.seed("de-berlin-embassy", "Maria López") == variants.seed(
        "de-berlin-embassy", "  MARIA   lópez "
    )
    assert variants.seed("de-berlin-embassy", "Maria López") == 3426807234794355815
    assert variants.seed("de-berlin-embassy", "Maria") != variants.seed("it-rome-embassy", "Maria")


# --- composed letters -----------------------------------------------------------------------


def _campaign(lang: str):  # type: ignore[no-untyped-def]
    seed = campaigns.load(SEED_CAMPAIGN)
    return seed if lang in seed.languages else trial_campaign(lang)


def _office(directory, office_id: str = "de-berlin-embassy"):  # type: ignore[no-untyped-def]
    return next(o for o in directory if o.id == office_id)


_SINGULAR = re.compile(r'\{\{ "[^"]*" if joint else "([^"]*)" \}\}')


def _wordings(lang: str, today: bool = True) -> dict[str, list[str]]:
    """Group → for each wording, its longest run of words without fields that no other wording
    of the group has (to find in a letter); the action day's sentence as on the day (`today`)
    or before it."""
    source = (paths.templates_dir() / lang / "letter.md.j2").read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for group in variants.groups(parse(source, unique=False)):
        # A letter of one: "I", not the joint letter's "we".
        singular = [_SINGULAR.sub(r"\1", a) for a in group.alternatives]
        texts = [" ".join(a.split()) for a in singular]
        for n, alternative in enumerate(singular):
            plain_text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "\n", alternative)
            runs = [" ".join(run.split()) for run in plain_text.split("\n")]
            own = [r for r in runs if not any(r in t for m, t in enumerate(texts) if m != n)]
            longest = max(own, key=len)
            words = found.setdefault(group.name, [])
            if len(words) <= n:
                words.append(longest)
            elif group.name == "day" and today:  # the second branch: on the day
                words[n] = longest
    return found


#: Arabic's vowel, doubling and tanween marks (harakat) and the bidi controls pdftotext adds.
_MARKS = re.compile("[\u064b-\u065f\u0670\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Punctuation that pdftotext sets apart from its word in Arabic.
_APART = re.compile("[\u060c\u061b.:]")


def _letters_only(text: str) -> str:
    return flat(_APART.sub(" ", _MARKS.sub("", text)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_wording_reads_back_from_the_pdf_and_the_docx(lang: str, directory) -> None:  # type: ignore[no-untyped-def]
    campaign = _campaign(lang)
    office = _office(directory)
    wordings = _wordings(lang, today=campaign.letter_date == campaign.action_date)
    assert set(wordings) == {"opening", "urge", "day", "thanks"}
    assert all(len(w) >= 3 for w in wordings.values()), wordings
    bodies = set()
    for k in range(3):
        letter = compose_letter(
            campaign,
            Recipient(office, office.country),
            lang=lang,
            state="KZ",
            choice=variants.Choice(alternative=k),
        )
        bodies.add(variants.body_text(letter))
        pdf = plain(flat(pdftotext(render_pdf(letter).data)))
        document = docx.Document(io.BytesIO(render_docx(letter).data))
        words = plain(flat("\n".join(p.text for p in document.paragraphs)))
        for name, runs in wordings.items():
            expected = flat(runs[k])
            assert expected in words, (lang, name, k, expected)
            if lang != "ar":  # pdftotext reorders right-to-left runs; the DOCX is checked
                assert expected in pdf.replace("- ", "-"), (lang, name, k, expected)
        if lang == "ar":
            # pdftotext reads Arabic's vowel and doubling marks (zero-width glyphs set above or
            # below their letter) as words of their own, and moves a word that carries one to
            # another line: without the marks, every word of the chosen wording is in the PDF,
            # none of the other wordings' own words is.
            found = set(_letters_only(pdf).split())
            joined = "".join(_letters_only(pdf).split())
            for runs in wordings.values():
                mine = set(_letters_only(runs[k]).split())
                others = {
                    w for n, run in enumerate(runs) if n != k for w in _letters_only(run).split()
                }
                # A mark inside a word may split it in two: each word is found without spaces.
                assert all(word in joined for word in mine), (k, runs[k])
                assert not (others - mine) & found - set(_letters_only(words).split()), k
    assert len(bodies) == 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_demands_are_the_same_in_every_letter(lang: str, directory) -> None:  # type: ignore[no-untyped-def]
    campaign = _campaign(lang)
    office = _office(directory)
    texts, demand_lists = set(), set()
    for n in range(12):
        letter = compose_letter(
            campaign,
            Recipient(office, office.country),
            lang=lang,
            state="KZ",
            choice=variants.Choice.in_batch(office.id, n),
        )
        # The campaign's demands as typed, set by the language's typography, in every letter.
        assert [plain(d) for d in letter.demands] == [plain(d) for d in campaign.demands[lang]]
        demand_lists.add(tuple(letter.demands))
        texts.add(variants.text_key(letter))
    assert len(demand_lists) == 1
    assert len(texts) == 12  # fewer letters than combinations (81): no two alike


def test_a_supporter_gets_the_same_letter_and_two_supporters_different_ones(directory) -> None:  # type: ignore[no-untyped-def]
    campaign = _campaign("en")
    recipient = Recipient(_office(directory), "DE")

    def letter(name: str):  # type: ignore[no-untyped-def]
        return compose_letter(campaign, recipient, lang="en", state="KZ", signer=Signer(name))

    maria, again, john = letter("Maria Lopez"), letter("maria  LOPEZ"), letter("John Smith")
    assert variants.body_text(maria) == variants.body_text(again)
    assert render_pdf(maria).data == render_pdf(letter("Maria Lopez")).data
    assert variants.body_text(maria) != variants.body_text(john)


def test_campaign_variants_of_a_case_paragraph_and_a_demand(tmp_path: Path, directory) -> None:  # type: ignore[no-untyped-def]
    text = SEED_CAMPAIGN.read_text(encoding="utf-8")
    text = text.replace(
        "  en: |\n    Saken Zhanusov, a leader",
        "  en: |\n    %% lead\n    Saken Zhanusov is a leader of the Karaganda unions.\n"
        "    %% or\n    Saken Zhanusov leads the Karaganda unions.\n    %% end\n\n"
        "    Saken Zhanusov, a leader",
        1,
    )
    text = text.replace(
        "    - Release Saken Zhanusov immediately.\n",
        "    - [Release Saken Zhanusov immediately., Set Saken Zhanusov free at once.]\n",
        1,
    )
    path = tmp_path / "varied.yaml"
    path.write_text(text, encoding="utf-8")
    campaign = campaigns.load(path)
    assert campaign.demands["en"][0] == "Release Saken Zhanusov immediately."
    assert campaign.demand_alternatives("en")[0] == (
        "Release Saken Zhanusov immediately.",
        "Set Saken Zhanusov free at once.",
    )
    recipient = Recipient(_office(directory), "DE")
    seen = set()
    for k in range(2):
        letter = compose_letter(
            campaign, recipient, lang="en", state="KZ", choice=variants.Choice(alternative=k)
        )
        pdf = flat(pdftotext(render_pdf(letter).data))
        lead = ("is a leader of the Karaganda unions", "leads the Karaganda unions")[k]
        demand = ("Release Saken Zhanusov immediately.", "Set Saken Zhanusov free at once.")[k]
        assert f"Saken Zhanusov {lead}." in pdf
        assert demand in pdf and letter.demands[0] == demand
        seen.add(variants.body_text(letter))
    assert len(seen) == 2
    # German has no variants of the lead paragraph: its letters use its one wording, and say so.
    letters = [
        compose_letter(
            campaign, recipient, lang="de", state="KZ", choice=variants.Choice.in_batch("x", n)
        )
        for n in range(4)
    ]
    assert all(
        [plain(d) for d in letter.demands] == [plain(d) for d in campaign.demands["de"]]
        for letter in letters
    )


def test_a_language_with_fewer_wordings_warns_once_naming_the_group(
    tmp_path: Path, directory, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    templates = tmp_path / "letter_templates"
    shutil.copytree(paths.templates_dir(), templates)
    body = templates / "de" / "letter.md.j2"
    source = body.read_text(encoding="utf-8")
    start = source.index("%% urge\n")
    end = source.index("%% end\n", start) + len("%% end\n")
    group = source[start:end]
    only = group.split("%% or\n")[0].replace("%% urge\n", "")
    body.write_text(source.replace(group, only), encoding="utf-8")
    office = _office(directory)
    with caplog.at_level("WARNING"):
        for n in range(5):
            compose_letter(
                _campaign("de"),
                Recipient(office, office.country),
                lang="de",
                state="KZ",
                templates=templates,
                choice=variants.Choice.in_batch(office.id, n),
            )
    said = [r.getMessage() for r in caplog.records if "'urge'" in r.getMessage()]
    assert len(said) == 1, said
    assert "has 1 wording(s) of 'urge' where en has 3" in said[0]
    from lettergen import lang as langcheck

    findings = [f for f in langcheck.check(["de"], templates=templates) if "variants" in f.code]
    assert [f.code for f in findings] == ["variants-fewer"]
    assert "group 'urge' has 1 wording(s), English has 3" in findings[0].message


def test_pairs_of_wordings_are_all_used(directory) -> None:  # type: ignore[no-untyped-def]
    """81 letters to one office from a signers file: 81 different texts, each wording of each
    group in 27 of them."""
    campaign = _campaign("en")
    office = _office(directory)
    wordings = _wordings("en")
    counts: dict[tuple[str, int], int] = {}
    texts = set()
    for n in range(81):
        letter = compose_letter(
            campaign,
            Recipient(office, office.country),
            lang="en",
            state="KZ",
            choice=variants.Choice.in_batch(office.id, n),
        )
        body = flat(variants.body_text(letter))
        texts.add(body)
        for name, runs in wordings.items():
            (k,) = [k for k, run in enumerate(runs) if flat(run) in body]
            counts[(name, k)] = counts.get((name, k), 0) + 1
    assert len(texts) == 81
    assert set(counts.values()) == {27}
