"""Markdown in, content-model blocks out.

Campaign texts are Markdown written by campaigners; every other value (names, countries, cities)
is plain text, escaped before it enters a Markdown template (`language.markup`). Raw HTML is off:
a `<img …>` in a campaign text prints as those characters. Links and images keep only their text,
since a fax can follow neither.
"""

from __future__ import annotations

from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lettergen.compose.letter import Block, ListBlock, Paragraph, Run, Runs


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def _runs(inline: Token) -> Runs:
    runs: list[Run] = []
    bold = italic = 0
    for child in inline.children or []:
        match child.type:
            case "strong_open":
                bold += 1
            case "strong_close":
                bold -= 1
            case "em_open":
                italic += 1
            case "em_close":
                italic -= 1
            case "text" | "code_inline" | "html_inline":
                runs.append(Run(child.content, bold=bold > 0, italic=italic > 0))
            case "softbreak":
                runs.append(Run(" ", bold=bold > 0, italic=italic > 0))
            case "hardbreak":
                runs.append(Run("\n", bold=bold > 0, italic=italic > 0))
            case "image":
                runs.append(Run(child.content, bold=bold > 0, italic=italic > 0))
    return _merge(runs)


def _merge(runs: list[Run]) -> Runs:
    merged: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if merged and (merged[-1].bold, merged[-1].italic) == (run.bold, run.italic):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic)
        else:
            merged.append(run)
    return tuple(merged)


@lru_cache(maxsize=512)
def to_blocks(text: str) -> tuple[Block, ...]:
    """Paragraphs and lists; headings become bold paragraphs, nested lists are flattened.

    Kept for the last texts parsed (the result is immutable): every letter of a campaign
    parses the same case and much the same body, and parsing is a third of composing one."""
    blocks: list[Block] = []
    tokens = _parser().parse(text)
    lists: list[tuple[bool, list[Runs]]] = []
    heading = False
    for token in tokens:
        match token.type:
            case "bullet_list_open" | "ordered_list_open":
                lists.append((token.type == "ordered_list_open", []))
            case "bullet_list_close" | "ordered_list_close":
                ordered, items = lists.pop()
                if lists:
                    lists[-1][1].extend(items)
                else:
                    blocks.append(ListBlock(tuple(items), ordered=ordered))
            case "heading_open":
                heading = True
            case "heading_close":
                heading = False
            case "inline":
                runs = _runs(token)
                if heading:
                    runs = tuple(Run(r.text, bold=True, italic=r.italic) for r in runs)
                if lists:
                    lists[-1][1].append(runs)
                elif runs:
                    blocks.append(Paragraph(runs))
            case "fence" | "code_block":
                blocks.append(Paragraph((Run(token.content.rstrip("\n")),)))
    return tuple(blocks)
