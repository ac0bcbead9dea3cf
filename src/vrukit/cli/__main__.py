"""``python -m vrukit.cli``: the `vrukit` command."""

from vrukit.cli import main

main()
