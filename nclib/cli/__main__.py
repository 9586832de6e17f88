"""`python -m nclib.cli ...`: the same as the `nclib` command."""

from nclib.cli import main

main()
