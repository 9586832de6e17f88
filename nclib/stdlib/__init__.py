"""Standard library routines, each a plain Python file compiled by `nclib.stdlib()`."""
