"""A letter's text runs as HTML: one home for the PDF's layout and the supporter page.

Text is escaped, emphasis becomes <em> and <strong>, a line break inside a run <br>, and
nothing else: a campaign's Markdown or a supporter's name never becomes markup.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from lettergen.compose.letter import Runs


def runs_html(runs: Runs) -> Markup:
    """The runs as escaped HTML with their emphasis."""
    html = []
    for run in runs:
        text = escape(run.text).replace("\n", Markup("<br>"))
        if run.italic:
            text = Markup("<em>%s</em>") % text
        if run.bold:
            text = Markup("<strong>%s</strong>") % text
        html.append(text)
    return Markup("").join(html)
