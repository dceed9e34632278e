"""Letter languages: their strings and prose, and the typography of what they print."""
