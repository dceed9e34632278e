"""Small helpers every stage may use: files written whole (`yamlio`), bounded caches (`lru`),
ASCII slugs (`slugs`), the hygiene of typed text (`text`), a new working folder (`workfolder`),
spreadsheet cells that never run as formulas (`spreadsheet`)."""
