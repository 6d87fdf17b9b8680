"""Language understanding for the guided chat: pure functions from what people type to slot values.

All functions accept any object, never raise, and load their data (bot/data/places.yaml,
bot/data/lexicon.yaml) once."""

from .amounts import LIMIT, AmountResult, parse_amount
from .care import CARE_CODES, find_care, plainly_general
from .extract import EXPECTABLE, YEARS_BACK, Extracted, extract
from .identities import CODES as IDENTITY_CODES
from .identities import MONITORED, IdentityMatch, find_identities, label
from .answers import read_choice
from .intents import (
    INTENTS, another_patient, classify, is_hedged, is_opener, looks_like_question, meaning_of, parse_hospital_level, parse_int,
    parse_yes_no, result_part_asked, says_unknown, what_if,
)
from .normalize import MAX_LEN, compact, normalize
from .numerals import day_for, full_year, month_span, span_words
from .places import PlaceMatch, find_places, find_region, named_in_order, region_name, said_as_home, says_home

__all__ = [
    "AmountResult", "YEARS_BACK", "another_patient", "what_if", "CARE_CODES", "EXPECTABLE", "Extracted", "IDENTITY_CODES", "INTENTS", "IdentityMatch", "LIMIT", "MAX_LEN",
    "MONITORED", "PlaceMatch", "classify", "compact", "extract", "find_care", "find_identities", "find_places",
    "day_for", "month_span", "span_words", "find_region", "full_year", "is_hedged", "is_opener", "label", "read_choice", "looks_like_question", "meaning_of", "normalize", "parse_amount", "parse_hospital_level",
    "named_in_order", "parse_int", "parse_yes_no", "plainly_general", "region_name", "result_part_asked", "said_as_home", "says_home", "says_unknown",
]
