import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_plan.units import format_count, format_number, format_scientific, format_usd, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e24", 1e24),
        ("5.76e23", 5.76e23),
        ("1.0e+24", 1e24),
        ("1.4T", 1.4e12),
        ("70B", 70e9),
        ("70b", 70e9),
        ("500M", 500e6),
        ("$2M", 2e6),
        ("2e6", 2e6),
        ("1_000", 1000.0),
        (" 3k ", 3000.0),
        ("15T", 15e12),
        (1024, 1024.0),
        (0.4, 0.4),
    ],
)
def test_parse_quantity_reads_numbers_and_human_units(text: object, expected: float) -> None:
    assert parse_quantity(text, money=True) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("text", ["$2M", " $ 1.5B", "$0.5"])
def test_a_dollar_sign_is_only_for_money(text: str) -> None:
    with pytest.raises(ValueError, match=r"'\$' is only for money"):
        parse_quantity(text)
    assert parse_quantity(text, money=True) > 0


@pytest.mark.parametrize("bad", ["abc", "", "1e24 FLOPs", "nan", "inf", "-inf", "1,000", True, None, [1], "1e999"])
def test_parse_quantity_rejects_what_is_not_a_finite_number(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_quantity(bad)


def test_formats_match_the_documented_examples() -> None:
    assert format_count(70e9) == "70.0B"
    assert format_count(1.4e12) == "1.40T"
    assert format_count(500e6) == "500M"
    assert format_scientific(5.88e23) == "5.88e23"
    assert format_usd(1.2e6) == "$1.20M"
    assert format_number(21.34) == "21.3"
    assert format_count(999.96e9) == "1.00T"  # rounding carries into the next unit


positive = st.floats(min_value=1e-3, max_value=1e30, allow_nan=False, allow_infinity=False)


@given(positive)
def test_parse_inverts_every_format_to_three_significant_digits(value: float) -> None:
    for formatted in (format_count(value), format_scientific(value), format_number(value)):
        assert math.isclose(parse_quantity(formatted), value, rel_tol=5e-3), formatted
    assert math.isclose(parse_quantity(format_usd(value), money=True), value, rel_tol=5e-3)


@given(
    st.decimals(min_value="0.001", max_value="9999.999", places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from([("K", 3), ("M", 6), ("B", 9), ("T", 12), ("P", 15)]),
)
def test_a_suffix_shifts_the_decimal_exponent_exactly(mantissa: object, suffix: tuple[str, int]) -> None:
    letter, exponent = suffix
    # '1.4T' is the float nearest 1.4e12, as a user typed it, not 1.4 x 1e12 with its own rounding.
    assert parse_quantity(f"{mantissa}{letter}") == float(f"{mantissa}e{exponent}")
    assert parse_quantity(f"{mantissa}e-2{letter}") == float(f"{mantissa}e{exponent - 2}")


def test_small_and_zero_values_are_shown_as_themselves() -> None:
    from scaling_plan.output.fields import humanise

    assert format_scientific(0) == "0"  # was 0.00e0
    assert humanise("mfu", 0.001) == "0.001" and humanise("mfu", 0.4) == "0.40"  # was MFU 0.00


def test_durations_under_a_day_are_shown_in_hours() -> None:
    """In hours, a duration is a plain number: its table's heading says the unit (output.fields.in_hours)."""
    from scaling_plan.output.fields import humanise, in_hours, label

    assert humanise("wall_clock_days", 0.0686, hours=True) == "1.65" and humanise("wall_clock_days", 30.0) == "30.0"
    assert label("wall_clock_days", hours=True) == "Wall-clock hours" and label("wall_clock_days") == "Wall-clock days"
    assert in_hours([0.0686, 0.5]) and not in_hours([0.0686, 2.0]) and not in_hours([None])


def test_the_examples_offer_a_dollar_sign_only_for_money() -> None:
    with pytest.raises(ValueError, match=r"\(examples: 1e24, 5\.76e23, 70B, 1\.4T\)$"):
        parse_quantity("lots")
    with pytest.raises(ValueError, match=r"1\.4T, \$2M\)$"):
        parse_quantity("lots", money=True)
