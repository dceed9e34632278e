"""A letter's language: its strings and prose templates (`languages`), and the escaping that keeps
data from turning into markup (`markup`). Translators work in `letter_templates/`, not here."""
