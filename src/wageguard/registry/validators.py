"""Validators for identifiers. Each returns the normalised value or raises ServiceError."""
from __future__ import annotations

import datetime
import functools
import re

from django.utils.translation import gettext_lazy as _
from stdnum import luhn, numdb
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from wageguard.core import clock
from wageguard.core.errors import ServiceError


def normalise_id_number(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character; the same as stdnum's, without its per-call cleaning."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def validate_id_number(value: str, field: str = "id_number") -> str:
    """A second-generation resident ID number: length, checksum, birth date, region prefix."""
    number = normalise_id_number(value)
    if not number:
        raise ServiceError("required", _("ID number is required."), field)
    if len(number) != 18:
        raise ServiceError("invalid_id_number", _("ID number must have 18 characters."), field)
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ServiceError("invalid_id_number", _("ID number must be 17 digits followed by a digit or X."), field)
    if number[17] != id_check_digit(number[:17]):
        raise ServiceError("invalid_id_number", _("ID number check digit is wrong."), field)
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or not region_of_id_number(number) or birth > clock.localdate() or birth.year < 1900:
        raise ServiceError("invalid_id_number", _("ID number contains an invalid birth date or region code."), field)
    return number


def region_of_id_number(number: str) -> dict[str, str]:
    """The province and county of the number's region code, if the code ever existed.

    stdnum's `get_birth_place` also demands the county existed in the birth year, but numbers
    were assigned from 1984 on by the county of registration, so a worker born in 1970 in a
    district created in 1983 has a perfectly valid number. We accept any code that has existed.
    """
    return dict(_region_of_code(number[:6]))


@functools.lru_cache(maxsize=8192)
def _region_of_code(code: str) -> tuple[tuple[str, str], ...]:
    """Cached by the 6-digit region code (not personal data): the table lookup is slow and the codes few."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    if "county" not in info or code[4:6] == "00":
        return ()
    info["county"] = info["county"].split(",")[-1].split("]")[-1]
    return tuple(info.items())


def validate_uscc(value: str, field: str = "uscc") -> str:
    number = re.sub(r"\s", "", value or "").upper()
    if not number:
        raise ServiceError("required", _("Unified social credit code is required."), field)
    try:
        return uscc.validate(number)
    except InvalidLength:
        raise ServiceError("invalid_uscc", _("Unified social credit code must have 18 characters."), field)
    except InvalidChecksum:
        raise ServiceError("invalid_uscc", _("Unified social credit code check character is wrong."), field)
    except ValidationError:
        raise ServiceError("invalid_uscc", _("Unified social credit code is not valid."), field)


def validate_phone(value: str, field: str = "phone") -> str:
    number = re.sub(r"[\s-]", "", value or "")
    if number.startswith("+86"):
        number = number[3:]
    if not re.fullmatch(r"1[3-9]\d{9}", number):
        raise ServiceError("invalid_phone", _("Mobile number must be 11 digits starting with 13-19."), field)
    return number


def validate_bank_card(value: str, field: str = "bank_card") -> str:
    number = re.sub(r"\s", "", value or "")
    if not re.fullmatch(r"\d{16,19}", number) or not luhn.is_valid(number):
        raise ServiceError("invalid_bank_card", _("Bank card number must be 16-19 digits with a valid check digit."), field)
    return number
