"""Campaign × office × signer × language → `Letter`, the one content model every writer reads.

`letter` is the model, `composer` fills it from the templates and the campaign (`compose_letter`),
`markdown` turns Markdown prose into its blocks, and `joint` makes one letter signed by many."""
