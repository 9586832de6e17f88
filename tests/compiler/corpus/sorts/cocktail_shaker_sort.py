"""
Cocktail shaker sort: a bidirectional bubble sort that alternates a forward
pass (bubbling the largest element to the end) with a backward pass
(bubbling the smallest element to the front).

https://en.wikipedia.org/wiki/Cocktail_shaker_sort
"""


def cocktail_shaker_sort(arr: list[int]) -> list[int]:
    """
    Sorts a list using the cocktail shaker sort algorithm.

    :param arr: list of elements to be sorted
    :return: sorted list

    >>> cocktail_shaker_sort([4, 5, 2, 1, 2])
    [1, 2, 2, 4, 5]
    >>> cocktail_shaker_sort([-4, 5, 0, 1, 2, 11])
    [-4, 0, 1, 2, 5, 11]
    >>> cocktail_shaker_sort([])
    []
    """
    start, end = 0, len(arr) - 1

    while start < end:
        swapped = False

        # Pass from left to right
        for i in range(start, end):
            if arr[i] > arr[i + 1]:
                arr[i], arr[i + 1] = arr[i + 1], arr[i]
                swapped = True

        if not swapped:
            break

        end -= 1  # Decrease the end pointer after each pass

        # Pass from right to left
        for i in range(end, start, -1):
            if arr[i] < arr[i - 1]:
                arr[i], arr[i - 1] = arr[i - 1], arr[i]
                swapped = True

        if not swapped:
            break

        start += 1  # Increase the start pointer after each pass

    return arr


if __name__ == "__main__":
    import doctest

    doctest.testmod()
