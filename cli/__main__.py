"""``python -m cli``: the same as the ``dawg-ai`` console script."""

from cli.app import main

main()
