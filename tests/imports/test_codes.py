"""The import's check of Latvian personal codes and registration numbers says what
python-stdnum's `lv.pvn` says (it is written out for speed: 100,000 customers' codes)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.lv import pvn

from zaao_hx.imports.generate import personal_code, registration_no
from zaao_hx.imports.validate import lv_code_problem

ELEVEN_DIGITS = st.text(st.sampled_from("0123456789"), min_size=11, max_size=11)


@settings(max_examples=2000, deadline=None)
@given(ELEVEN_DIGITS)
def test_any_eleven_digits_pass_exactly_when_stdnum_says_they_are_valid(digits):
    assert (lv_code_problem(digits) is None) == pvn.is_valid(digits)


def test_valid_codes_pass_and_each_one_digit_off_is_judged_as_stdnum_judges_it():
    rng = random.Random(4)
    for _ in range(2000):
        for code in (personal_code(rng).replace("-", ""), registration_no(rng)):
            assert lv_code_problem(code) is None, code
            i = rng.randrange(11)
            other = f"{code[:i]}{(int(code[i]) + rng.randrange(1, 10)) % 10}{code[i + 1:]}"
            assert (lv_code_problem(other) is None) == pvn.is_valid(other), other
