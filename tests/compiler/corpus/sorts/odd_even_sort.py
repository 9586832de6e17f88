"""Odd-even transposition sort (brick sort).

Alternates between comparing the (odd, even) indexed pairs and the
(even, odd) indexed pairs of adjacent elements until the list is sorted.
"""


def odd_even_sort(input_list: list[int]) -> list[int]:
    """
    Sort input_list in place and return it.

    >>> odd_even_sort([5, 4, 3, 2, 1])
    [1, 2, 3, 4, 5]
    >>> odd_even_sort([])
    []
    >>> odd_even_sort([-10, -1, 10, 2])
    [-10, -1, 2, 10]
    >>> odd_even_sort([1, 2, 3, 4])
    [1, 2, 3, 4]
    """
    is_sorted = False
    while is_sorted is False:  # Until all the indices are traversed keep looping
        is_sorted = True
        for i in range(0, len(input_list) - 1, 2):  # iterating over all even indices
            if input_list[i] > input_list[i + 1]:
                input_list[i], input_list[i + 1] = input_list[i + 1], input_list[i]
                is_sorted = False

        for i in range(1, len(input_list) - 1, 2):  # iterating over all odd indices
            if input_list[i] > input_list[i + 1]:
                input_list[i], input_list[i + 1] = input_list[i + 1], input_list[i]
                is_sorted = False
    return input_list


if __name__ == "__main__":
    import doctest

    doctest.testmod()
    print(odd_even_sort([3, 1, 2]))
