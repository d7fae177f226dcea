"""The owner's settings: the business's own (on its row), and stored ones that override a
default of paydesk.toml or the environment (see `store`)."""
