"""Binary digits of a non-negative integer, most significant first."""


def decimal_to_binary(num: int) -> list[int]:
    """
    >>> decimal_to_binary(0)
    [0]
    >>> decimal_to_binary(2)
    [1, 0]
    >>> decimal_to_binary(7)
    [1, 1, 1]
    >>> decimal_to_binary(35)
    [1, 0, 0, 0, 1, 1]
    >>> decimal_to_binary(-2)
    Traceback (most recent call last):
        ...
    ValueError: negative numbers are not supported
    """
    if num < 0:
        raise ValueError("negative numbers are not supported")
    if num == 0:
        return [0]
    binary = []
    while num > 0:
        binary.insert(0, num % 2)
        num >>= 1
    return binary


if __name__ == "__main__":
    import doctest

    doctest.testmod()
