"""
Number of monotone lattice paths from the top-left corner of a rows x cols
grid to the bottom-right corner, moving only right or down (plain recursion).
"""


def grid_paths(rows: int, cols: int) -> int:
    """
    >>> grid_paths(2, 2)
    2
    >>> grid_paths(3, 3)
    6
    >>> grid_paths(1, 5)
    1
    >>> grid_paths(0, 5)
    Traceback (most recent call last):
        ...
    ValueError: the grid needs at least one row and one column
    """
    if rows < 1 or cols < 1:
        raise ValueError("the grid needs at least one row and one column")
    if rows == 1 or cols == 1:
        return 1
    return grid_paths(rows - 1, cols) + grid_paths(rows, cols - 1)


if __name__ == "__main__":
    import doctest

    doctest.testmod()
