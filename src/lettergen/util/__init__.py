"""Small helpers shared by the stages: atomic files, text hygiene, spreadsheet-safe cells."""
