"""Results that could be silently wrong are refused instead (issue 13, "hidden wrong results")."""

import pytest

import nclib
from nclib.errors import ValueRangeError

PRODUCT = "def f(a: int, b: int) -> int:\n    return a * b\n"


@pytest.mark.parametrize("a, b", [(2**40, 2**40), (-(2**33), 2**32), (2**61 - 1, 5), (-(2**61), -(2**61))])
def test_a_product_beyond_int64_is_an_overflow_not_a_wrapped_value(a, b):
    # 2**80 wraps to 0 in int64 arithmetic, which lies inside the window: it must not come back as 0.
    program = nclib.compile(PRODUCT, "f", values=(-(2**61), 2**61))
    with pytest.raises(ValueRangeError, match=r"2\*\*62 or beyond .* at line 2"):
        program(a, b)


def test_products_inside_int64_are_exact_or_named_by_value():
    program = nclib.compile(PRODUCT, "f", values=(-(2**61), 2**61))
    assert program(2**31, 2**29) == 2**60
    assert program(-(2**30), 2**30) == -(2**60)
    with pytest.raises(ValueRangeError, match=str(2**61)):  # inside int64, outside the window: the exact value
        program(2**31, 2**30)
