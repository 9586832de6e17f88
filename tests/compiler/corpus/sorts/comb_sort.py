"""
Comb sort improves on bubble sort by comparing elements a shrinking gap
apart, which moves small values near the end of the list ("turtles") to the
front quickly. The gap starts at the list length and is divided by the
shrink factor 1.3 (written here as 10 / 13 in integers) after each pass.

https://en.wikipedia.org/wiki/Comb_sort
"""

SHRINK_NUMERATOR = 10
SHRINK_DENOMINATOR = 13


def comb_sort(data: list[int]) -> list[int]:
    """Sort data in place with comb sort and return it.

    >>> comb_sort([0, 5, 3, 2, 2])
    [0, 2, 2, 3, 5]
    >>> comb_sort([])
    []
    >>> comb_sort([99, 45, -7, 8, 2, 0, -15, 3])
    [-15, -7, 0, 2, 3, 8, 45, 99]
    """
    gap = len(data)
    completed = False

    while not completed:
        # Update the gap value for a next comb
        gap = gap * SHRINK_NUMERATOR // SHRINK_DENOMINATOR
        if gap <= 1:
            gap = 1
            completed = True

        index = 0
        while index + gap < len(data):
            if data[index] > data[index + gap]:
                # Swap values
                data[index], data[index + gap] = data[index + gap], data[index]
                completed = False
            index += 1

    return data


if __name__ == "__main__":
    import doctest

    doctest.testmod()
