"""Words: every sentence the assistant says about a result comes from a jinja2 template in
bot/templates/, so wording can be reviewed and changed without touching the flow."""
from __future__ import annotations

import functools
from datetime import date

from jinja2 import Environment, PackageLoader, StrictUndefined

from engine.money import yuan
from engine.policy import default as load_policies
from engine.questions import FACT_LABELS


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    # Plain text for chat; the web pages escape on display. keep_trailing_newline off: tidy messages.
    # auto_reload off: the templates ship with the package; jinja would otherwise stat the file on
    # every render to see whether it changed.
    return Environment(loader=PackageLoader("bot", "templates"), autoescape=False, undefined=StrictUndefined,
                       trim_blocks=False, lstrip_blocks=False, auto_reload=False)


@functools.lru_cache(maxsize=None)
def _template(name: str):
    template = _env().get_template(name)
    # its globals are a ChainMap (template's over the environment's) that jinja copies into every
    # render's context; nothing changes them after loading, so one flat dict does the same, faster
    template.globals = dict(template.globals)
    return template


def render(name: str, **context) -> str:
    return _template(name).render(**context).strip()


@functools.lru_cache(maxsize=64)
def _constant(name: str, items: tuple) -> str:
    return render(name, **dict(items))


def render_constant(name: str, **context) -> str:
    """`render` for a template whose text depends only on a few hashable flags (the greeting, the
    help): rendered once per distinct set of flags."""
    return _constant(name, tuple(sorted(context.items())))


def _labels():
    return load_policies().common


def _parts(est) -> list[str]:
    kinds = _labels().part_kinds
    return [f"{kinds[p.kind]} {yuan(p.amount)}" for p in est.parts if p.amount > 0]


def next_step(est, care: str | None = None, caveat: str | None = None) -> str:
    """How the assistance is had (templates/next_step.j2): at discharge for a stay, at the counter
    for outpatient care (there is no 出院), by application, by hand. `caveat` for one-stop: "past" when
    the care was said to be over (去年12月住的院), "away" when it was outside the province: what was not
    settled at the counter is applied for, so 不用另外申请 is not said alone."""
    return render_constant("next_step.j2", settlement=est.settlement, care=care, caveat=caveat)


def short(est, skipped: str = "", care: str | None = None, caveat: str | None = None) -> str:
    """The result in a few lines. `skipped`: what the flow says about the questions the user skipped;
    `care`, `caveat`: the care type of the case and next_step's caveat, for the words of how it is settled."""
    policies = load_policies()
    common = policies.common
    region = policies.regions[est.region].short_name
    assumed = "；".join(common.assumptions[a].rstrip("。") for a in est.assumed
                       if a in common.assumptions and a != "residence")
    assumed = assumed + "。" if assumed else ""
    missing = "、".join(_fact_label(m) for m in est.missing_facts)
    return render(
        "result_short.j2", e=est, region=region, amount=yuan(est.assistance), after=yuan(est.self_pay_after),
        parts=_parts(est), next_step=next_step(est, care, caveat), assumed=assumed, missing=missing, skipped=skipped,
    )


def _fact_label(name: str) -> str:
    return FACT_LABELS.get(name, name)


def detail(est) -> str:
    return render("result_detail.j2", e=est, yuan=yuan, settlement=_labels().settlement)


def documents(est) -> str:
    return render("documents.j2", e=est)


def benefits(est) -> str:
    amount = yuan(est.subsidy.amount) if est.subsidy.amount is not None else ""
    return render("benefits.j2", e=est, subsidy_amount=amount)


def printable(est, case: dict, today: date | None = None, care_when: str | None = None,
              caveat: str | None = None) -> str:
    """The sheet to print; `care_when` ("2025年12月") when the care date was said; `caveat` as for short."""
    common = _labels()
    policies = load_policies()
    identities = "、".join(common.identities[c] for c in case.get("identities", [])) or "无"
    return render(
        "printable.j2", today=(today or date.today()).isoformat(), region=policies.regions[est.region].name,
        identities=identities, care=common.care[case["care"]], self_pay=yuan(est.self_pay_after + est.assistance),
        care_when=care_when, short=short(est, care=case.get("care"), caveat=caveat), detail=detail(est),
        documents=documents(est),
        benefits=benefits(est),
    )


def render_estimate_text(est, care: str | None = None) -> str:
    """The whole explanation, as a person would read it (used by `jiuzhu estimate` without --json)."""
    return "\n\n".join((short(est, care=care), detail(est), documents(est), benefits(est)))
