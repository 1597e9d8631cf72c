"""Mainland phone numbers: normalised to E.164 for storage, masked for roles that only need to
know one is on file (docs/privacy.md). Pure: no SQL, no gRPC."""

from __future__ import annotations

import functools
import re

import phonenumbers

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{1,2}-?[2-9]\d{6,7}$")
#: The longest phone text read; libphonenumber itself stops at 250 characters.
MAX_LENGTH = 32


def normalise_phone(phone: str) -> str:
    """A mainland mobile or landline in E.164, or ValueError. Landlines need their area code."""
    if len(phone) > MAX_LENGTH:
        raise ValueError(f"is longer than {MAX_LENGTH} characters")
    try:
        parsed = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"is not a phone number: {exc}") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid mainland mobile or landline number (with area code)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.cache
def _mobile_prefix_valid(prefix: str) -> bool:
    """Whether 11-digit mobiles starting with these 6 digits are valid: the mainland mobile
    plan (libphonenumber's CN mobile pattern) is decided by at most the first 6 digits."""
    number = phonenumbers.PhoneNumber(country_code=86, national_number=int(prefix + "00000"))
    return bool(phonenumbers.is_valid_number(number))


def fast_phone(phone: str) -> str:
    """A phone normalised to E.164, as `normalise_phone` would. The two shapes towns write
    nearly always (an 11-digit mobile, a landline `0513-88123456`) skip the full parse; the
    landline is still checked against the numbering plan. Anything else, or a landline the plan
    refuses, goes through `normalise_phone` (ValueError with its reason)."""
    if _MOBILE.match(phone) and _mobile_prefix_valid(phone[:6]):
        return "+86" + phone
    if _LANDLINE.match(phone):
        national = phone[1:].replace("-", "")
        if phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=86, national_number=int(national))
        ):
            return "+86" + national
    return normalise_phone(phone)


def mask_phone(phone: str) -> str:
    """The last four digits only, e.g. +86*******5678: enough to confirm a number on file."""
    if len(phone) <= 4:
        return "*" * len(phone)
    keep = 3 if phone.startswith("+86") else 0
    return phone[:keep] + "*" * (len(phone) - keep - 4) + phone[-4:]
