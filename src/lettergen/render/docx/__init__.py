"""Letter → editable DOCX with python-docx.

The second writer of the one content model: every word comes from the composed Letter, and every
measure (margins, font sizes, line height, spacing, column widths) is read from the PDF's own
layout/letter.css of the letter templates, so the two layouts cannot drift apart. A supporter who
opens the DOCX sees the letter the PDF shows and can edit it naturally:

- Paragraph styles carry the layout ("Addressee", "Sender", "Date", "Fax Notice", "Subject",
  "Salutation", Normal for the body, the built-in "List Bullet"/"List Number" for lists, "Closing",
  "Signer", "Signature", "Replies" for the line naming the group after a supporter's signature);
  runs carry only the campaign's own bold and italic.
- Addressee and sender sit side by side in a borderless one-row table, as Word's own letter
  templates do: each column wraps on its own, which tab stops cannot do once a line wraps.
- The running header holds the destination fax and real PAGE and NUMPAGES fields, so Word and
  LibreOffice keep "Page 1 of 2" right after any edit.
- Fonts are named, not embedded: Arial, which Word has and which LibreOffice replaces with the
  metric-compatible Liberation Sans that the PDF embeds, so line breaks and page counts agree.
  Right-to-left letters name Noto Naskh Arabic as the complex-script font, as the PDF does.
- The bytes are deterministic: fixed document dates and fixed ZIP entry dates.
- What does not depend on a letter's words (styles, numbering, settings, page setup, the header
  part) is built once per variant and copied for each letter; the bytes are those of a
  document built from scratch (render_docx(…, cached=False)).

Page count: the DOCX is not laid out here (LibreOffice takes seconds per letter), so `pages` is
None and the batch records the page count of the PDF of the same letter as an "estimate"; the
tests check that LibreOffice's layout of the DOCX agrees with it. A cover sheet's page count is
a NUMPAGES field whose stored result is that count, so a reader that shows stored results (a
preview, a converter that does not update fields) prints the right number too.

The package, by concern: layout.py (the measures of letter.css, read with tinycss2),
document.py (a letter's document and its variant's shared base), styles.py (styles, numbering,
page, tables), ooxml.py (schema order, fields, the package's deterministic bytes).
"""

from lettergen.render.docx.document import (
    FIELDS,
    RenderedDocx,
    header_parts,
    render_docx,
    render_docxs,
    word_language,
)
from lettergen.render.docx.layout import Layout, layout
from lettergen.render.docx.ooxml import COMPLEX_SCRIPT_FONT, FONT

__all__ = [
    "COMPLEX_SCRIPT_FONT",
    "FIELDS",
    "FONT",
    "Layout",
    "RenderedDocx",
    "header_parts",
    "layout",
    "render_docx",
    "render_docxs",
    "word_language",
]
