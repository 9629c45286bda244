"""Human quantities in both directions: '1.4T', '70B', '$2M', '3.2e23' <-> floats.

Configs and flags both come through `parse_quantity`: a quantity may be a YAML number or text such as 70B.
"""

from __future__ import annotations

import math
import re

from .errors import shown

# Count suffixes; 'B' is a billion as in "70B params". No 'E' suffix: it would clash with exponents.
_SUFFIX_EXPONENT = {"K": 3, "M": 6, "B": 9, "T": 12, "P": 15}
_QUANTITY = re.compile(
    r"^(?P<mantissa>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE](?P<exponent>[+-]?\d+))?(?P<suffix>[kKmMbBtTpP]?)$"
)


#: A number with commas between groups of three digits, as spreadsheets show them: '22,821,773', '$2,000,000'.
#: Runs files read them in every column; flags and configs in money only (a count is written 70B or 7e10, and a
#: comma inside a list such as --budgets separates items).
COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?([eE][+-]?\d+)?")


def parse_quantity(value: object, money: bool = False) -> float:
    """Read a finite number from a float, an int or text such as '1e24', '1.4T', '70B' (and '$2M' or '$2,000,000'
    for money).

    Raises ValueError with a message fit to show after the flag or field name.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if text.startswith("$"):
            if not money:  # '$1.5B' FLOPs would plan 1.5e9 FLOPs: a '$' says the user meant something else
                raise ValueError(f"'$' is only for money (dollars, prices, costs), got {shown(value)}")
            text = text[1:].strip()
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError(f"must be a finite number, got {shown(value)}")
        if COMMA_GROUPED.fullmatch(text):
            if not money:
                raise ValueError(
                    f"thousands separators are read in money only, got {shown(value)}: write"
                    f" {format_scientific(float(text.replace(',', '')))}"
                )
            text = text.replace(",", "")
        match = _QUANTITY.match(text)
        if match is None:
            examples = "1e24, 5.76e23, 70B, 1.4T" + (", $2M" if money else "")  # '$' only where it is accepted
            raise ValueError(f"cannot read {shown(value)} as a number (examples: {examples})")
        # The suffix shifts the decimal exponent, so '1.4T' is the float nearest 1.4e12, as typed, not 1.4 x 1e12.
        exponent, shift = match["exponent"] or "0", _SUFFIX_EXPONENT.get(match["suffix"].upper(), 0)
        if shift and len(exponent.lstrip("+-")) <= 6:  # a longer exponent overflows or underflows either way
            exponent, shift = str(int(exponent) + shift), 0
        number = float(f"{match['mantissa']}e{exponent}") * 10.0**shift
        if number == 0 and match["mantissa"].strip("+-0.") != "":
            raise ValueError(f"{shown(value)} is too small for a number: it rounds to 0")
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, got {shown(value)}")
    return number


def _significant(value: float, digits: int) -> str:
    """`value` to `digits` significant figures, keeping trailing zeros (70.0, 1.40)."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{value:.{decimals}f}"
    # Rounding can carry into a new digit (999.6 -> 1000); one more pass fixes the decimals.
    if len(text.replace("-", "").replace(".", "").lstrip("0")) > digits and decimals > 0:
        text = f"{value:.{decimals - 1}f}"
    return text


def format_scientific(value: float, digits: int = 3) -> str:
    """5.88e23 style: no '+' and no leading zeros in the exponent (and 0 as 0, not 0.00e0)."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def format_count(value: float, digits: int = 3) -> str:
    """Parameters or tokens: 70.0B, 1.40T, 500M; scientific beyond 999T."""
    magnitude = abs(value)
    if magnitude >= 999.5e12:
        return format_scientific(value, digits)
    for suffix, multiplier in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if magnitude >= multiplier * (1 - 0.5 * 10 ** (1 - digits)):
            return _significant(value / multiplier, digits) + suffix
    return _significant(value, digits)


def format_usd(value: float, digits: int = 3) -> str:
    """$1.23M, $950K, $12.5."""
    return "$" + format_count(value, digits)


def format_number(value: float, digits: int = 3) -> str:
    """A plain quantity such as days or tokens/param: 21.3, 0.320, 1.23e5 when large."""
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        return format_scientific(value, digits)
    return _significant(value, digits)


def format_bytes(count: float) -> str:
    """Bytes in binary units: 327,680 -> 320 KiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" or count == int(count) else f"{count:.3g} {unit}"
        count /= 1024
    return f"{count:,.3g} TiB"


def format_seconds(seconds: float) -> str:
    """A duration under an hour: 0 s, 850 µs, 12.3 ms, 1.25 s, 42.0 min."""
    if seconds == 0:
        return "0 s"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    return f"{seconds / 60:,.1f} min"


def format_budget(kind: str, value: float) -> str:
    """A budget as the tables show it: '1.00e23 FLOPs', '$2.00M', '500K GPU-hours', '30.0 days'."""
    return {
        "flops": f"{format_scientific(value)} FLOPs",
        "dollars": format_usd(value),
        "gpu_hours": f"{format_count(value)} GPU-hours",
        "days": f"{format_number(value)} days",
    }[kind]


def counted(count: int, noun: str) -> str:
    """A count with its noun, singular for one: '1 run', '5 runs', '1,200 runs'."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
