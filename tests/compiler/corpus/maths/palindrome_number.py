"""Reverse the decimal digits of a number, and test whether it is a palindrome."""


def reverse_number(number: int) -> int:
    """
    >>> reverse_number(1234)
    4321
    >>> reverse_number(120)
    21
    >>> reverse_number(-56)
    -65
    """
    sign = -1 if number < 0 else 1
    number = abs(number)
    reversed_number = 0
    while number > 0:
        reversed_number = reversed_number * 10 + number % 10
        number //= 10
    return sign * reversed_number


def is_palindrome_number(num: int) -> bool:
    """
    Returns whether `num` is a palindrome or not
    (see for reference https://en.wikipedia.org/wiki/Palindromic_number).

    >>> is_palindrome_number(-121)
    False
    >>> is_palindrome_number(0)
    True
    >>> is_palindrome_number(10)
    False
    >>> is_palindrome_number(11)
    True
    >>> is_palindrome_number(101)
    True
    >>> is_palindrome_number(120)
    False
    """
    if num < 0:
        return False
    return reverse_number(num) == num


if __name__ == "__main__":
    import doctest

    doctest.testmod()
