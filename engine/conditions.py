"""The small condition language used by `when:` and `requires:` in the policy files.

A condition is YAML data; it is checked and compiled once, at load time, into a function of the
case. Evaluation is three-valued: True, False, or None ("cannot tell without a missing fact").
Every evaluation also returns notes: the facts it assumed, the Readings it relied on and the facts
it is missing, so the answer can say so.

Forms (see policies/README.md):
  {}                                  always true
  {identity: dibao, reading: id?}     the person holds this identity
  {care: [inpatient, ...]}            the claim is one of these care types
  {fact: F, in: [..]} | {fact: F, equals: v} | {fact: F, min: n} | {fact: F, below: n}
  {fact: F, above: n} | {fact: F, unstated: true}
      with optional if_unknown: false (default) | assume_true | assume_false | undecided
  {self_pay_share_of: family_income, share: 0.4, if_unknown: ...}   self_pay ≥ share × fact
      (only in a tier's requires: — every other condition is decided once per person, without the bill)
  {assume: id}                        a condition no data can decide: true, noted as assumed
  {all: [..]} | {any: [..]} | {not: cond}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from .money import to_decimal
from .vocabulary import CARE_TYPES, FACTS, IDENTITIES, MONITORED  # noqa: F401  (re-exported)

# the vocabulary is declared once, in policies/common.yaml (engine.vocabulary)
IF_UNKNOWN = ("false", "assume_true", "assume_false", "undecided")

Notes = tuple  # tuple of (kind, name) pairs: ("assumed", fact) ("reading", id) ("missing", fact)


@dataclass(slots=True)
class Ctx:
    """What a condition can look at: the case, with unstated facts absent from `facts`."""

    identities: frozenset
    care: str
    self_pay: Decimal
    facts: dict
    defaults: dict = field(default_factory=dict)


class ConditionError(ValueError):
    """A malformed condition in a policy file; the message names what is wrong."""


Compiled = Callable[[Ctx], tuple]


@dataclass(frozen=True)
class Condition:
    """A checked condition: the raw data (for display) and its compiled function."""

    raw: Any
    fn: Compiled
    facts: tuple  # facts the condition reads, with the thresholds it compares against
    thresholds: tuple
    identities: frozenset = frozenset()  # identity codes it tests for

    def __call__(self, ctx: Ctx) -> tuple:
        return self.fn(ctx)

    @property
    def reads_amount(self) -> bool:
        """True when the outcome depends on this claim's amount (self_pay_share_of), so it cannot be
        decided once per person and reused for other bills."""
        return any(op == "share" for _, op, _ in self.thresholds)

    @classmethod
    def parse(cls, raw: Any) -> "Condition":
        facts: list = []
        thresholds: list = []
        fn = _compile(raw if raw is not None else {}, facts, thresholds, "when")
        return cls(raw=raw, fn=fn, facts=tuple(dict.fromkeys(facts)), thresholds=tuple(thresholds),
                   identities=frozenset(_identities_in(raw)))


def _identities_in(raw: Any):
    """Every identity code a (checked) condition tests for."""
    if isinstance(raw, dict):
        if "identity" in raw:
            yield raw["identity"]
        for key in ("all", "any"):
            for item in raw.get(key) or ():
                yield from _identities_in(item)
        if "not" in raw:
            yield from _identities_in(raw["not"])


TRUE: tuple = (True, ())


def _always(ctx: Ctx) -> tuple:
    return TRUE


def _unknown(if_unknown: str, fact: str) -> tuple:
    if if_unknown == "assume_true":
        return (True, (("assumed", fact),))
    if if_unknown == "assume_false":
        return (False, (("assumed", fact),))
    if if_unknown == "undecided":
        return (None, (("missing", fact),))
    return (False, ())


def _check_keys(raw: dict, allowed: set, where: str) -> None:
    extra = set(raw) - allowed
    if extra:
        raise ConditionError(f"{where}: unknown key(s) {sorted(extra)}; allowed {sorted(allowed)}")


def _compile(raw: Any, facts: list, thresholds: list, where: str) -> Compiled:
    """One condition as a function of the context; the facts it reads and the thresholds it
    compares them with are appended to `facts` and `thresholds`."""
    if not isinstance(raw, dict):
        raise ConditionError(f"{where}: a condition must be a mapping, got {type(raw).__name__}")
    if not raw:
        return _always
    for key, form in _FORMS.items():  # in this order: a mapping with two forms' keys names the first
        if key in raw:
            return form(raw, facts, thresholds, where)
    raise ConditionError(f"{where}: not a condition: {raw!r}")


def _compile_group(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    key = "all" if "all" in raw else "any"
    _check_keys(raw, {key}, where)
    items = raw[key]
    if not isinstance(items, list) or not items:
        raise ConditionError(f"{where}.{key}: needs a non-empty list")
    parts = [_compile(item, facts, thresholds, f"{where}.{key}[{i}]") for i, item in enumerate(items)]
    plain_identities = [item.get("identity") for item in items
                        if isinstance(item, dict) and set(item) == {"identity"}]
    if key == "any" and len(plain_identities) == len(items):
        codes = frozenset(plain_identities)  # the common case: "any of these identities", one set test
        return lambda ctx: (TRUE if not codes.isdisjoint(ctx.identities) else (False, ()))
    return _all(parts) if key == "all" else _any(parts)


def _compile_not(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    _check_keys(raw, {"not"}, where)
    inner = _compile(raw["not"], facts, thresholds, f"{where}.not")

    def negate(ctx: Ctx) -> tuple:
        value, notes = inner(ctx)
        return (None if value is None else not value, notes)

    return negate


def _compile_identity(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    _check_keys(raw, {"identity", "reading"}, where)
    code = raw["identity"]
    if code not in IDENTITIES:
        raise ConditionError(f"{where}.identity: unknown identity code {code!r}")
    reading = raw.get("reading")
    hit = (True, (("reading", reading),)) if reading else TRUE

    def has_identity(ctx: Ctx) -> tuple:
        return hit if code in ctx.identities else (False, ())

    return has_identity


def _compile_care(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    _check_keys(raw, {"care"}, where)
    cares = raw["care"]
    if not isinstance(cares, list) or any(c not in CARE_TYPES for c in cares):
        raise ConditionError(f"{where}.care: must be a list of {CARE_TYPES}")
    wanted = frozenset(cares)
    return lambda ctx: (ctx.care in wanted, ())


def _compile_assume(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    _check_keys(raw, {"assume"}, where)
    name = raw["assume"]
    if not isinstance(name, str) or not name:
        raise ConditionError(f"{where}.assume: needs a name")
    result = (True, (("assumed", name),))
    return lambda ctx: result


def _compile_share(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    _check_keys(raw, {"self_pay_share_of", "share", "if_unknown"}, where)
    fact = raw["self_pay_share_of"]
    if fact not in FACTS:
        raise ConditionError(f"{where}.self_pay_share_of: unknown fact {fact!r}")
    share = _number(raw.get("share"), f"{where}.share")
    if not (0 < share <= 1):
        raise ConditionError(f"{where}.share: {share} is outside 0–1")
    if_unknown = _if_unknown(raw, where)
    facts.append(fact)
    thresholds.append((fact, "share", share))

    def share_of(ctx: Ctx) -> tuple:
        value = ctx.facts.get(fact)
        if value is None:
            return _unknown(if_unknown, fact)
        return (ctx.self_pay >= share * value, ())

    return share_of


def _if_unknown(raw: dict, where: str) -> str:
    value = raw.get("if_unknown", "false")
    if value is False:
        value = "false"
    if value not in IF_UNKNOWN:
        raise ConditionError(f"{where}.if_unknown: {value!r} is not one of {IF_UNKNOWN}")
    return value


def _number(value: Any, where: str) -> Decimal:
    try:
        return to_decimal(value)
    except Exception as exc:  # noqa: BLE001 - turned into a policy error with its path
        raise ConditionError(f"{where}: {value!r} is not a number") from exc


def _compile_fact(raw: dict, facts: list, thresholds: list, where: str) -> Compiled:
    ops = {"in", "equals", "min", "below", "above", "unstated"}
    _check_keys(raw, {"fact", "if_unknown"} | ops, where)
    fact = raw["fact"]
    if fact not in FACTS:
        raise ConditionError(f"{where}.fact: unknown fact {fact!r}; known: {FACTS}")
    used = [op for op in ops if op in raw]
    if len(used) != 1:
        raise ConditionError(f"{where}: exactly one of {sorted(ops)} is needed, got {used}")
    op = used[0]
    if_unknown = _if_unknown(raw, where)
    facts.append(fact)
    operand = raw[op]

    if op == "unstated":
        wanted = bool(operand)
        return lambda ctx: ((ctx.facts.get(fact) is None) == wanted, ())
    if op == "in":
        if not isinstance(operand, list) or not operand:
            raise ConditionError(f"{where}.in: needs a non-empty list")
        values = frozenset(operand)
        for v in operand:
            thresholds.append((fact, "in", v))
        test = lambda v: v in values  # noqa: E731
    elif op == "equals":
        thresholds.append((fact, "in", operand))
        test = lambda v: v == operand  # noqa: E731
    else:
        bound = _number(operand, f"{where}.{op}")
        thresholds.append((fact, op, bound))
        if op == "min":
            test = lambda v: v >= bound  # noqa: E731
        elif op == "below":
            test = lambda v: v < bound  # noqa: E731
        else:
            test = lambda v: v > bound  # noqa: E731

    def fact_test(ctx: Ctx) -> tuple:
        value = ctx.facts.get(fact)
        if value is None:
            default = ctx.defaults.get(fact)
            if default is None:
                return _unknown(if_unknown, fact)
            return (test(default), (("assumed", fact),))
        return (test(value), ())

    return fact_test


# the forms of a condition, by the key that names each (engine semantics: docs/engine-semantics.md)
_FORMS = {"all": _compile_group, "any": _compile_group, "not": _compile_not, "identity": _compile_identity,
          "care": _compile_care, "assume": _compile_assume, "self_pay_share_of": _compile_share,
          "fact": _compile_fact}


def _all(parts: list) -> Compiled:
    def all_of(ctx: Ctx) -> tuple:
        notes: tuple = ()
        undecided = False
        for part in parts:
            value, more = part(ctx)
            if more:
                notes += more
            if value is False:
                return (False, notes)
            if value is None:
                undecided = True
        return (None if undecided else True, notes)

    return all_of


def _any(parts: list) -> Compiled:
    def any_of(ctx: Ctx) -> tuple:
        notes: tuple = ()
        undecided = False
        for part in parts:
            value, more = part(ctx)
            if value is True:
                return (True, notes + more)
            if more:
                notes += more
            if value is None:
                undecided = True
        return (None if undecided else False, notes)

    return any_of
