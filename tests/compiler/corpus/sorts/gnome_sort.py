"""
Gnome sort (also called stupid sort).

A garden gnome sorts flower pots: he looks at the pot next to him and the
previous one; if they are in the right order he steps one pot forward,
otherwise he swaps them and steps one pot backward.

https://en.wikipedia.org/wiki/Gnome_sort
"""


def gnome_sort(lst: list[int]) -> list[int]:
    """
    Sort the list in place with gnome sort and return it.

    >>> gnome_sort([0, 5, 3, 2, 2])
    [0, 2, 2, 3, 5]
    >>> gnome_sort([])
    []
    >>> gnome_sort([-2, -5, -45])
    [-45, -5, -2]
    """
    if len(lst) <= 1:
        return lst

    i = 1

    while i < len(lst):
        if lst[i - 1] <= lst[i]:
            i += 1
        else:
            lst[i - 1], lst[i] = lst[i], lst[i - 1]
            i -= 1
            if i == 0:
                i = 1

    return lst


if __name__ == "__main__":
    import doctest

    doctest.testmod()
    print(gnome_sort([8, 3, 5, 1]))
