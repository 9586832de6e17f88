"""
Tower of Hanoi: move a tower of disks from one pole to another, one disk at a
time, never putting a larger disk on a smaller one. Counts the moves.
"""


def move_tower(height: int, from_pole: int, to_pole: int, with_pole: int) -> int:
    """
    Number of single-disk moves to move a tower of the given height.

    >>> move_tower(3, 1, 3, 2)
    7
    >>> move_tower(0, 1, 3, 2)
    0
    """
    if height >= 1:
        moves = move_tower(height - 1, from_pole, with_pole, to_pole)
        moves += 1  # move the largest disk from from_pole to to_pole
        moves += move_tower(height - 1, with_pole, to_pole, from_pole)
        return moves
    return 0


def hanoi(height: int) -> int:
    """
    >>> hanoi(5)
    31
    >>> hanoi(-1)
    Traceback (most recent call last):
        ...
    ValueError: height must be non-negative
    """
    if height < 0:
        raise ValueError("height must be non-negative")
    return move_tower(height, 1, 3, 2)


if __name__ == "__main__":
    height = int(input("Height of hanoi: ").strip())
    print(hanoi(height))
