"""Writers: a composed Letter in, a file's bytes out. None of them decides wording."""
