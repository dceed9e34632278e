"""Where directories come from: a published directory's text (`text`), a host country's list of
missions (`hostlist`), and spreadsheets (`spreadsheet`)."""
