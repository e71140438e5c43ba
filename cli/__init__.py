"""``dawg-ai``: the engine's command line (cli/app.py). Every command is a call of the engine's REST API,
in process by default or to a running engine with ``--url``."""
