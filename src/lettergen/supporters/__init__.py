"""Fax it for me: letters supporters ask the page to fax for them (`store`), the group's rules
(`rules`), the sender that releases and sends them (`service`) and the keeper that keeps it
running beside the page (`keeper`)."""
