"""A call's number is parsed once per worker, not at each step that asks about it: parsing is the costly part."""

import phonenumbers

from app import numbers


def test_a_verified_call_parses_its_number_once_to_use_it_and_once_to_mask_it(call, monkeypatch):
    parsed = []
    real_parse = phonenumbers.parse
    monkeypatch.setattr(phonenumbers, "parse", lambda number, region, *rest, **options: parsed.append(number) or real_parse(number, region, *rest, **options))
    for cached in (numbers.usable_number, numbers.mask, numbers.country_of):
        cached.cache_clear()
    caller = call()
    caller.press(caller.last_code)
    assert caller.heard("your phone number is verified")
    assert len(parsed) == 2  # usable_number() and mask(), each kept for the steps after
