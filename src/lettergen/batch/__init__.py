"""A campaign's letters written in one go: what to write (`plan`), writing it (`run`), the batch's
record (`manifest`) and its output folder (`folder`)."""
