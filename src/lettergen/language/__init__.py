"""A letter's language: its strings and prose templates (`languages`), the escaping that keeps
data from turning into markup (`markup`), and the typography of what a letter prints
(`typography`). Translators work in `letter_templates/`, not here."""
