"""Case (input) and Estimate (output) per ../shared/spec/contract.md.

Input is checked strictly enough that nothing is half-computed: an unknown region or identity,
negative or non-numeric money, an impossible date or an absurd amount is refused with an error
that names the field in Chinese and English.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, create_model

from .money import fen, to_decimal
from .policy import region_codes
from .vocabulary import CARE_TYPES, FACT_NAMES, FACT_SPECS, IDENTITIES

MAX_AMOUNT = Decimal("100000000")  # 1亿元: anything larger is a typo, not a medical bill

FIELD_ZH_PATHS = {
    "year_to_date.self_pay": "今年此前的自付", "year_to_date.aid": "今年已获救助",
    "year_to_date.tilt_aid": "今年已获倾斜救助",
}
FIELD_ZH = {
    "region": "地区", "identities": "救助身份", "care": "就医类型", "self_pay": "自付金额",
    "date": "就医日期", "year_to_date": "本年度已发生", "aid": "本年已获救助", "tilt_aid": "本年已获倾斜救助",
    "facts": "补充情况", **FACT_NAMES,  # each fact's label: policies/common.yaml facts:
}
# what the conversation and the answer call each fact (year_to_date is asked as one question)
FACT_LABELS = {**FIELD_ZH, "year_to_date": "今年此前的自付和救助"}


class CaseError(ValueError):
    """Bad input: `errors` is a list of {field, field_zh, message, message_zh}."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))

    def as_json(self) -> dict:
        first = self.errors[0]
        return {**first, "errors": self.errors}


_FLOAT_MAX = float(MAX_AMOUNT)


def _money(value: Any) -> Decimal:
    kind = type(value)
    if (kind is float or kind is int) and 0 < value < _FLOAT_MAX:  # the usual JSON number: no checks left
        return fen(Decimal(repr(value)) if kind is float else Decimal(value))
    if isinstance(value, bool) or value is None:
        raise ValueError("must be a number (yuan)")
    try:
        amount = to_decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError("must be a number (yuan)") from exc
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if amount == 0:
        amount = Decimal(0)  # "-0" is 0: never echo a negative zero
    if amount < 0:
        raise ValueError("must not be negative")
    if amount > MAX_AMOUNT:
        raise ValueError("is absurdly large (over 100,000,000 yuan)")
    return fen(amount)


def _int_only(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _bool_only(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


MoneyIn = Annotated[Decimal, BeforeValidator(_money)]
Int = Annotated[int, BeforeValidator(_int_only)]
Bool = Annotated[bool, BeforeValidator(_bool_only)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class YearToDate(_In):
    self_pay: MoneyIn = Decimal(0)
    aid: MoneyIn = Decimal(0)
    tilt_aid: MoneyIn = Decimal(0)


def _fact_type(spec: dict) -> Any:
    """The checked type of one fact, from its kind and domain in policies/common.yaml."""
    kind = spec["kind"]
    if kind == "int":
        return Annotated[Int, Field(ge=spec["min"], le=spec["max"])]
    if kind == "money":
        return MoneyIn
    if kind == "bool":
        return Bool
    return Literal[tuple(spec["values"])]  # type: ignore[valid-type]


# The facts a case may state, each unstated by default (engine.vocabulary; common.yaml `facts:`).
Facts = create_model("Facts", __base__=_In, __module__=__name__,
                     **{name: (_fact_type(spec) | None, None) for name, spec in FACT_SPECS.items()})


def _identities(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        raise ValueError("must be a list of identity codes")
    return value


FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)
_YMD_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_RANGE = f"must be a date from {FIRST_DATE} to {LAST_DATE}"


@lru_cache(maxsize=4096)  # care dates repeat; a refused text raises and is not kept
def _iso_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD within FIRST_DATE..LAST_DATE."""
    text = text.strip()
    try:  # fromisoformat alone also takes 2024-W01 (a week) and 20240601: the contract says YYYY-MM-DD
        if not _YMD_RE.fullmatch(text):
            raise ValueError(text)
        value = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be a real date written YYYY-MM-DD") from exc
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(_DATE_RANGE)
    return value


def _date(value: Any) -> Any:
    """A care date: YYYY-MM-DD, or a date; none means today. The range check lives here too:
    pydantic would run a Field(ge=, le=) after a BeforeValidator as two more Python calls."""
    if value.__class__ is str:
        return _iso_date(value)
    if value is None:
        return dt.date.today()
    if isinstance(value, str):
        value = _iso_date(value)
    elif isinstance(value, dt.datetime):
        value = value.date()
    elif not isinstance(value, dt.date):
        raise ValueError("must be a real date written YYYY-MM-DD")
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(_DATE_RANGE)
    return value


_NO_YTD = YearToDate()
_NO_FACTS = Facts()
Identity = Literal[IDENTITIES]  # type: ignore[valid-type]


def _section(value: Any) -> Any:
    return {} if value is None else value


class Case(_In):
    region: Literal[region_codes()]  # type: ignore[valid-type]  # the policy files found in the folder
    identities: Annotated[list[Identity], BeforeValidator(_identities)] = []
    care: Literal[CARE_TYPES]  # type: ignore[valid-type]
    self_pay: MoneyIn
    date: Annotated[dt.date, BeforeValidator(_date)] = Field(
        default_factory=dt.date.today
    )
    # Unstated sections share one frozen instance: a model default would be deep-copied per case.
    year_to_date: Annotated[YearToDate, BeforeValidator(_section)] = Field(default_factory=lambda: _NO_YTD)
    facts: Annotated[Facts, BeforeValidator(_section)] = Field(default_factory=lambda: _NO_FACTS)


_validate_case = Case.__pydantic_validator__.validate_python  # Case.model_validate less its keyword checks

_ALLOWED = {
    "": set(Case.model_fields),
    "year_to_date": set(YearToDate.model_fields),
    "facts": set(Facts.model_fields),
}

_MESSAGES_ZH = {
    "missing": "缺少这一项",
    "literal_error": "不是可用的值",
    "must be a number (yuan)": "必须是数字（元）",
    "must be a finite number": "必须是有效数字",
    "must not be negative": "不能是负数",
    "is absurdly large (over 100,000,000 yuan)": "金额太大（超过1亿元），请核对",
    "must be a real date written YYYY-MM-DD": "日期不存在或格式不对（应为 YYYY-MM-DD）",
    _DATE_RANGE: "日期超出范围（1990-01-01 至 2100-12-31）",
    "must be a list of identity codes": "应为身份代码列表",
    "must be a whole number": "必须是整数",
    "must be true or false": "必须是 true 或 false",
    "extra_forbidden": "不认识的字段",
}


def _zh(err: dict) -> str:
    msg = err["msg"].removeprefix("Value error, ")
    if msg in _MESSAGES_ZH:
        return _MESSAGES_ZH[msg]
    kind = err.get("type", "")
    if kind in _MESSAGES_ZH:
        return _MESSAGES_ZH[kind]
    if kind.startswith(("greater_than", "less_than")):
        return "超出允许范围"
    if "type" in kind or "parsing" in kind:
        return "类型不对"
    return "填写有误"


def _errors(exc: ValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not str(p).startswith(("literal[", "function-"))]
        # drop pydantic's inner union/validator labels, keep field names and list indexes
        loc = [p for p in loc if not p.startswith(("constrained-", "lax-", "json-", "union["))]
        field = ".".join(loc) or "(case)"
        leaf = next((p for p in reversed(loc) if not p.isdigit()), field)
        message = err["msg"].removeprefix("Value error, ")
        if err.get("type") == "literal_error":
            message = f"unknown value {err.get('input')!r}; expected {err.get('ctx', {}).get('expected', '')}"
        out.append(
            {
                "field": field,
                "field_zh": FIELD_ZH_PATHS.get(field) or FIELD_ZH.get(leaf, leaf),
                "message": message,
                "message_zh": _zh(err),
            }
        )
    return out


def parse_case(data: Any, strict: bool = False) -> Case:
    """A checked Case, or CaseError naming every bad field. `strict` also refuses unknown fields."""
    if isinstance(data, Case):
        return data
    if not isinstance(data, dict):
        raise CaseError([{"field": "(case)", "field_zh": "输入", "message": "a case must be a JSON object",
                          "message_zh": "输入必须是一个 JSON 对象"}])
    if strict:
        unknown = []
        for section, allowed in _ALLOWED.items():
            part = data if not section else data.get(section)
            if isinstance(part, dict):
                for key in part:
                    if key not in allowed:
                        name = f"{section}.{key}" if section else key
                        unknown.append({"field": name, "field_zh": f"未知字段 {name}",
                                        "message": "unknown field", "message_zh": "不认识的字段"})
        if unknown:
            raise CaseError(unknown)
    try:
        case = _validate_case(data)
    except ValidationError as exc:
        raise CaseError(_errors(exc)) from None
    return _once_each(case)


def parse_case_json(text: str | bytes, strict: bool = False) -> Case:
    """A checked Case from one JSON text (a line of `jiuzhu estimate --json`).

    Good input is read by pydantic straight from the JSON; anything it refuses goes the way of
    json.loads + parse_case, so every error is worded exactly as parse_case words it. Text that is
    not JSON raises json.JSONDecodeError.
    """
    if not strict:
        try:
            return _once_each(Case.model_validate_json(text))
        except ValidationError:
            pass
    return parse_case(json.loads(text), strict=strict)


def _once_each(case: Case) -> Case:
    """An identity listed twice counts once."""
    ids = case.identities
    if len(ids) > 1 and len(set(ids)) != len(ids):
        case = case.model_copy(update={"identities": list(dict.fromkeys(ids))})
    return case


# ------------------------------------------------------------------------------------------ output

Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Share = Annotated[Decimal | None, PlainSerializer(lambda v: None if v is None else float(v), return_type=float | None, when_used="json")]


_BASE_SLOTS = BaseModel.__dict__
_set_dict = _BASE_SLOTS["__dict__"].__set__
_set_fields_set = _BASE_SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _BASE_SLOTS["__pydantic_extra__"].__set__
_set_private = _BASE_SLOTS["__pydantic_private__"].__set__
_new = object.__new__


def construct(cls: type[BaseModel], values: dict, fields_set: set, extra: dict | None = None,
              private: dict | None = None) -> BaseModel:
    """A model from data already known to be valid, written straight to BaseModel's four slots:
    what pydantic's model_construct and model_copy do after their checks, without their overhead
    (the engine's answers, its probes in engine.questions and the chat flow's state copies)."""
    obj = _new(cls)
    _set_dict(obj, values)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, extra)
    _set_private(obj, private)
    return obj


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")

    @classmethod
    def trusted(cls, **values):
        """Build from values the engine computed itself: no validation, defaults filled in.

        pydantic's model_construct does the same (it was the engine's hottest line); this writes
        BaseModel's four slots directly, which is what model_construct does after validation.
        """
        return cls.of(values)

    @classmethod
    def of(cls, values: dict):
        """`trusted` from a dict the caller hands over (a dict literal naming every field is the
        fastest way to build the engine's answer: no keyword packing)."""
        cached = cls.__dict__.get("_trusted_cache")
        if cached is None:
            fields = cls.model_fields
            defaults = {name: f.get_default(call_default_factory=True) for name, f in fields.items()
                        if not f.is_required()}
            cached = (defaults, len(fields), set(fields))
            setattr(cls, "_trusted_cache", cached)
        defaults, count, every = cached
        if len(values) >= count:
            return construct(cls, values, every.copy() if len(values) == count else set(values), {})
        return construct(cls, {**defaults, **values}, set(values), {})


class PolicyRef(_Out):
    doc_no: str | None
    title: str
    effective_from: dt.date
    effective_until: dt.date | None


class Category(_Out):
    id: str
    name: str
    identity: str | None
    tier: str


class Part(_Out):
    kind: Literal["regular", "major", "tilt", "application"]
    base: Money
    deductible: Money
    rate: Share
    cap: Money | None
    cap_left: Money | None
    amount: Money
    cite: str


class Subsidy(_Out):
    kind: Literal["full", "fixed", "none"]
    share: Share
    amount: Money | None
    text: str
    cite: str | None
    applies: bool = True


class Flag(_Out):
    applies: bool
    text: str
    cite: str | None


class Alternative(_Out):
    """Another category the person holds, and what it would give for this claim (contract.md)."""

    category: Category
    assistance: Money
    settlement: Literal["one_stop", "application", "manual", "not_covered", "none"]
    why_not: str


class Estimate(_Out):
    region: str
    policy: PolicyRef
    status: Literal["paid", "zero", "not_eligible", "undecided"]
    eligible: bool
    category: Category | None
    assistance: Money
    parts: list[Part]
    self_pay_after: Money
    settlement: Literal["one_stop", "application", "manual", "not_covered", "none"]
    subsidy: Subsidy
    critical_illness_tilt: Flag
    deposit_waiver: Flag
    documents: list[str]
    where_to_apply: list[str]
    notes: list[str]
    trace: list[str]
    reason: str | None = None
    missing_facts: list[str] = []
    if_known: str | None = None
    readings: list[str] = []
    assumed: list[str] = []
    monitoring: list[str] = []
    further_help: list[str] = []
    disclaimer: str = ""
    alternatives: list[Alternative] = []
