"""Everything a free-text message says, in one call (extract)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .amounts import LIMIT, AmountResult, _err, _quantize, find_amounts, parse_amount, upper_bound_at
from .care import find_care, plainly_general
from .identities import IdentityMatch, _lex, find_identities
from .intents import classify, looks_like_question, parse_hospital_level, parse_int, parse_yes_no
from .negation import denied_place_at, negated_at
from .normalize import CLAUSE_RE, compact, normalize, strip_punct
from .numerals import cn_int
from .places import PlaceMatch, find_places, named_in_order, said_as_home

# what precedes an amount, nearest first wins
_SELF_PAY_RE = re.compile(r"(自付|自费|自己付|自己出|自己掏|自掏|个人负担|个人承担|个人支付|个人付|个人自付|自负|"
                          r"报销后|报销以后|报销完|报完|报了以后|报完后|除去报销|扣除报销|还剩|剩下|剩余|剩|还要出|还得出|"
                          r"还要交|要自己|掏了|出了|自己花|需要自己)")
# paid at the counter: the self-pay unless a whole bill or a reimbursement is said too
_SPENT_RE = re.compile(r"(交了|付了|欠了|欠下)")
# the whole bill before 医保 (花了 too: people who say 花了 mean the whole bill; never priced as self-pay)
_TOTAL_RE = re.compile(r"(总共|一共|总费用|总花费|合计|总计|总额|共花|全部费用|总的费用|住院费用共|住院总费用|总医药费|"
                       r"花了|花费|用了|花掉|花去|医药费|看病花|治病花|医疗费|住院费|费用|花)")
_INCOME_RE = re.compile(r"(年收入|家庭收入|家里收入|全家收入|收入|一年挣|一年赚|挣了|赚了|工资|月入|挣|赚)")
# the settlement sheet's words too (统筹支付 / 基金支付 / 大病保险支付): what the insurances paid
_REIMB_RE = re.compile(r"(报销了|报了|医保报|医保给报|医保付|统筹付|大病保险报|报销|补了|统筹基金支付|统筹支付|基金支付|"
                       r"医保基金支付|医保支付|大病保险支付|大病支付|大病报|大病保险赔|大病赔)")
# 医疗救助 already received (the year's earlier aid), and 倾斜救助 apart: never a self-pay or a reimbursement
_AID_RE = re.compile(r"((?<!倾斜)救助了|(?<!倾斜)救助给了|(?<!倾斜)救助给|给了救助|拿了救助|拿到救助|领了救助|"
                     r"(?<!倾斜)救助金|(?<!倾斜)救助款|(?<!倾斜)救助的钱|民政给了|(?<!倾斜)救助)")
_TILT_AID_RE = re.compile(r"(倾斜救助|倾斜)")

_WHERE_OUT_RE = re.compile(r"外省|省外|区外|出省|跨省|省外就医|去外省|在外省|外地省|区外就医")
_WHERE_IN_RE = re.compile(r"省内|区内|市外|外市|省内异地|区内异地|区内其他|省内其他")
_CARE_PLACE_RE = re.compile(r"住院|看病|就医|医院|治疗|手术|看的|治的|做的|透析|化疗|门诊|卫生院|诊所|医|病")
_LIVING_RE = re.compile(r"人|打工|工作|上班|住在|生活|户口|户籍|老家|家在|读书|上学|参保")
_ASKING_RE = re.compile(r"要不要|需不需要|需要不需要|用不用|是不是|是否|什么是|啥是|怎么|如何|能不能|可不可以|吗$|呢$|\?|？")
_WHERE_LOCAL_RE = re.compile(r"本地|本市|本县|本区|县里|市里|当地|家门口|本统筹区|统筹区内|就近|老家医院|家附近")
_REFERRED_NO_RE = re.compile(r"没转诊|没有转诊|未转诊|没办转诊|没有办转诊|没开转诊|没有备案|没备案|未备案|没办备案|没有办备案|"
                             r"没有转院手续|没办手续|自己去的|没开证明")
_REFERRED_YES_RE = re.compile(r"转诊|备案|转院|转上去|转过去|开了证明")
_SPECIAL_RE = re.compile(r"特殊疾病|(?<![慢门])特病|(?<!门诊)特殊病")  # 慢特病/门诊特殊病 are care types, not 黔江's 特殊疾病
_AGE_RE = re.compile(r"([0-9]{1,3}|[一二两三四五六七八九十百]{1,4})(?:周岁|岁)")
# an age said without 岁 after the person ("老人75了", "我妈今年80"): the age, never an amount
_AGE_SAID_RE = re.compile(r"(?:老人家?|老太太|老爷子|我妈|我爸|我娘|我爹|母亲|父亲|奶奶|爷爷|姥姥|姥爷|外婆|外公|婆婆|公公|"
                          r"患者|病人|本人)(?:今年|已经|都)?\s*([0-9]{2,3}|[二三四五六七八九]十[一二三四五六七八九]?)"
                          r"(?:了|多了)?(?=$|[\s,.;!?，。；！？])")
_FAMILY_RE = re.compile(r"(?:家里|家中|全家|一家|家庭|家)(?:有|共|一共|总共)?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})(?:口人|口|个人)"
                        r"|([0-9]{1,2}|[一二两三四五六七八九十]{1,3})口人")
_TIER_RE = re.compile(r"(?:第)?([12一二])档")
# "1950年出生", "50年生的", "1966年生人": a birth year (two digits: the year ending so, bot.flow reads
# which); "10年生病" / "3年生活困难" are not
_BORN_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2}|[0-9]{2})年(?:出生|生的(?!病)|生人|生$)")
_HOSPITAL_WORD_RE = re.compile(r"医院|卫生院|卫生室|诊所|三甲|二甲|三乙|二乙|社区卫生|大医院")
_PUNCT = set(",.;!?，。；！？、")
# when the care was: a year word and/or a month, in a clause about the care ("去年12月住的院"); a
# clause about income ("去年收入3万") says nothing of it. "2025年12月" names the year itself, and so do
# "25年12月" (with its month) and "2025.12" / "2025-12" (a date as written); "1950年出生" does not
_MONTH = r"(1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
YEARS_BACK = {"今年": 0, "去年": 1, "上一年": 1, "上年": 1, "前年": 2}  # the words of a year before this one, and how many
_YEAR_WORDS = "|".join(YEARS_BACK)
_WHEN_RE = re.compile(r"(?:(" + _YEAR_WORDS + r")|((?:19|20)[0-9]{2})年(?!出生|生)"
                      r"|(?<![0-9])([0-9]{2})年(?=" + _MONTH + r"月))?(?:的)?(?:" + _MONTH + r"月份?)?")
_WHEN_WRITTEN_RE = re.compile(r"(?<![0-9.])((?:19|20)[0-9]{2})[./-](1[0-2]|0?[1-9])(?![0-9]|元|块|万|千|w|k)")
# "去年底" / "25年底" / "今年年末": that year's December
_YEAR_END_RE = re.compile(r"(" + _YEAR_WORDS + r"|(?<![0-9])(?:19|20)?[0-9]{2}年)年?(?:底|末)")
# a month said by how long ago it was: the month is 0 or less, months back from this one (bot.flow)
_WHEN_MONTHS_BACK = {"这个月": 0, "本月": 0, "这月": 0, "上个月": -1, "上月": -1, "上上个月": -2}
_MONTHS_BACK_RE = re.compile("|".join(sorted(_WHEN_MONTHS_BACK, key=len, reverse=True)))
_WHEN_CARE_RE = re.compile(r"住院|住的院|住了|看病|看的病|看的|手术|出院|入院|门诊|透析|化疗|开的药|治病|治的|生病|得病|病的")
# …nor one about earlier bills ("去年还住过一次", "之前看过")
_WHEN_NOT_RE = re.compile(r"收入|挣|赚|工资|参保|交保险|缴费|认定|评上|办的低保|吃低保|住过|看过|还住|还看|之前|以前|上次")

# a number without any word: two digits at least, or one with a unit ("1" and "2" answer option questions)
_BARE_AMOUNT_RE = re.compile(r"[0-9]{2,12}(?:\.[0-9]{1,2})?(?:万元|千元|万块|千块|万|千|元|块|w|k)?"
                             r"|[0-9](?:\.[0-9]{1,2})?(?:万元|千元|万块|千块|万|千|元|块|w|k)")

EXPECTABLE = ("self_pay", "family_income", "stay_policy_total", "age", "family_size", "disability_grade",
              "disability_kind", "veteran_kind", "special_disease", "referred", "hospital_level", "insurance_tier")


@dataclass
class Extracted:
    text: str = ""                                   # the normalised message
    region: str | None = None                        # one of the five codes
    place: PlaceMatch | None = None                  # best place (also outside ones: place.outside)
    identities: list[str] = field(default_factory=list)
    identity: IdentityMatch = field(default_factory=IdentityMatch)
    care: str | None = None
    self_pay: Decimal | None = None
    self_pay_result: AmountResult | None = None      # approx/note/error of the self-pay amount
    total_cost: Decimal | None = None                # 总费用 before reimbursement, when stated
    reimbursed: Decimal | None = None                # what 医保/大病保险 paid, when stated
    care_when: tuple | None = None                   # (years back, month, year): "去年12月住的院" → (1, 12, None)
    care_day: int | None = None                      # the day of that month, when said ("10月5号住的院")
    aid: Decimal | None = None                       # 医疗救助 already received, when stated (救助了4千)
    tilt_aid: Decimal | None = None                  # 倾斜救助 already received, when stated
    earlier_self_pay: Decimal | None = None          # the year's earlier bills' self-pay, said of them
    earlier_bills: bool = False                      # this year's earlier bills said to exist ("之前还住过一次")
    unnamed: Decimal | None = None                   # the one amount said without saying what it is ("住院 2万")
    year_summed: bool = False                        # "每个月自己出500，一年6000": the year's sum is the self-pay
    out_of_policy: Decimal | None = None             # 自费 taken out of the self-pay said ("其中自费药3000")
    out_of_policy_left: Decimal | None = None        # 自费 said besides the self-pay ("个人自费2000"), left out
    facts: dict = field(default_factory=dict)        # contract facts found in the text
    born: int | None = None                          # a birth year said (1950), or its last two digits (50)
    intent: str | None = None                        # classify() of the message
    question: bool = False                           # looks like an FAQ question
    notes: list[str] = field(default_factory=list)

    @property
    def slots(self) -> dict:
        """Only the filled case slots, as plain values (region, identities, care, self_pay, facts)."""
        out: dict = {}
        if self.region:
            out["region"] = self.region
        if self.identities:
            out["identities"] = list(self.identities)
        if self.care:
            out["care"] = self.care
        if self.self_pay is not None:
            out["self_pay"] = self.self_pay
        if self.facts:
            out["facts"] = dict(self.facts)
        return out


def _clause_before(t: str, start: int, width: int = 10) -> str:
    """Text before ``start`` back to the previous punctuation, at most ``width`` characters."""
    i = start
    while i > 0 and start - i < width and t[i - 1] not in _PUNCT:
        i -= 1
    return t[i:start]


def _last(rx: re.Pattern, s: str) -> tuple[int, str] | None:
    best = None
    for m in rx.finditer(s):
        best = (m.end(), m.group(0))
    return best


# an amount taken back right after it is said: "自付2万，不对，是1万" (the next amount is meant instead)
# ("2万不是3万" keeps 2万: 不是 takes back only after a pause, "2万，不是，1万")
_TAKEN_BACK_RE = re.compile(r"[,.;，。；](不是|应该是|其实是)|[,.;，。；]?(不对|错了|说错了|写错了|打错了|搞错了|记错了)")


# a clause about the year's earlier bills ("之前还住过一次", "上次看病"): a self-pay said in it, or in the
# clause after it ("之前住过一次，自付了5万"), is the earlier bills' (earlier_self_pay), not this one's
_EARLIER_BILL_RE = re.compile(r"住过|看过|上次|上一次|前一次|前几次|前[两二三几]次|前面[两二三几]?次|此前"
                              r"|(?:之前|以前)(?:还|也)?(?:住|看|花|自付|掏|付)")
_THIS_BILL_RE = re.compile(r"(?:这次|这一次|本次|这回)(?!之前|以前)|现在")


# a stay or visit before this one said to have been ("今年之前还住过一次", "上次看病"), not last year's
_EARLIER_STAY_RE = re.compile(r"住过|看过(?:病|一次|两次|几次|门诊)|(?:上次|上一次|之前|以前|此前)(?:还|也)?(?:住院|看病|住了|看了)")
# "第二次住院", "又住院了": another stay, but maybe after one of last year ("去年住过，今年又住院了")
_AGAIN_RE = re.compile(r"第[二两三四五六七八九十几]次(?:住院|看病|透析|化疗|放疗)|又(?:住院|住进|来住)")
_OTHER_YEAR_RE = re.compile("|".join(word for word, back in YEARS_BACK.items() if back))


def _earlier_bills(clauses: list[str], ext: Extracted) -> bool:
    """This year's earlier bills said to exist: a self-pay of them, or a clause about them."""
    if ext.earlier_self_pay is not None:
        return True
    if any(_EARLIER_STAY_RE.search(c) and not _OTHER_YEAR_RE.search(c) for c in clauses):
        return True
    return not any(_OTHER_YEAR_RE.search(c) for c in clauses) and any(_AGAIN_RE.search(c) for c in clauses)


def _earlier_bill_at(t: str, start: int) -> bool:
    """The amount at `start` is of the year's earlier bills, by its clause or the one before it."""
    cut = [i for i, ch in enumerate(t[:start]) if ch in _PUNCT]
    here = t[cut[-1] + 1 if cut else 0:start]
    if _THIS_BILL_RE.search(here):
        return False
    if _EARLIER_BILL_RE.search(here):
        return True
    if not cut:
        return False
    before = t[cut[-2] + 1 if len(cut) > 1 else 0:cut[-1]]
    return bool(_EARLIER_BILL_RE.search(before)) and not find_amounts(before) \
        and not _THIS_BILL_RE.search(before)


# what insurance never covers, said beside the self-pay ("个人负担15000，其中自费药3000"): not the
# policy-range self-pay the rules price; taken out of it unless said to be besides it (另外)
_INCLUDED = r"其中|含|包括|包含|里面有|里头有"
_OUT_OF_POLICY_RE = re.compile(r"自费药|自费的药|自费项目|自费部分|自费检查|个人自费|自费金额|自费费用|全自费|目录外|"
                               r"医保不报的|不能报的|不给报的"
                               r"|(?:" + _INCLUDED + r")[^,.;，。；]{0,3}自费")
_BESIDES_RE = re.compile(r"另外|另还|此外|额外|再加|还有")
_INCLUDED_RE = re.compile(_INCLUDED)
# "政策范围内自付8000" / "政策内自付": the very figure the rules price, whatever else is said
_POLICY_RANGE_RE = re.compile(r"政策范围内|政策内|范围内")


def _without_age(t: str) -> str:
    """The text with an age said without 岁 ("老人75了") blanked out, each place kept: not an amount."""
    m = _AGE_SAID_RE.search(t)
    return t if m is None else t[:m.start(1)] + "某" * (m.end(1) - m.start(1)) + t[m.end(1):]


def _classify_amounts(t: str) -> dict[str, list[tuple[Decimal, object]]]:
    out: dict[str, list] = {"self_pay": [], "spent": [], "total": [], "income": [], "reimbursed": [], "aid": [],
                            "tilt_aid": [], "earlier_self_pay": [], "out_of_policy": [], "other": []}
    instead = None  # the kind of an amount taken back: the next amount is of that kind
    for f in find_amounts(t):
        if f.negative or negated_at(t, f.start):  # "自付是两万八不是两万五": not 两万五
            continue
        kind = _amount_kind(t, f)
        if kind == "other" and instead is not None:
            kind, instead = instead, None
        if _TAKEN_BACK_RE.match(t, f.end):
            instead = kind
            continue
        if kind in ("self_pay", "spent") and _earlier_bill_at(t, f.start):
            kind = "earlier_self_pay"
        if kind in ("self_pay", "other") and _OUT_OF_POLICY_RE.search(_clause_before(t, f.start)):
            kind = "out_of_policy"
        out[kind].append((f.value, f))
    if out["out_of_policy"] and len(out["self_pay"]) + len(out["total"]) == 0:
        out["self_pay"], out["out_of_policy"] = out["out_of_policy"], []  # "自费药花了3000": all there is
    return out


def _amount_kind(t: str, f) -> str:
    """What an amount is, by the words before it in its clause (the nearest wins)."""
    before = _clause_before(t, f.start)
    kinds = []
    for kind, rx in (("self_pay", _SELF_PAY_RE), ("total", _TOTAL_RE), ("income", _INCOME_RE),
                     ("reimbursed", _REIMB_RE), ("spent", _SPENT_RE), ("aid", _AID_RE),
                     ("tilt_aid", _TILT_AID_RE)):
        hit = _last(rx, before)
        if hit:
            kinds.append((hit[0], kind))
    if kinds:
        kinds.sort(reverse=True)  # the trigger nearest to the number wins
        kind = kinds[0][1]
        # 报销后/报完 are self-pay words that contain 报, 自己花了/自己付了 ones that contain 花了/付了:
        # the self-pay word wins at the same place
        if kind in ("reimbursed", "total", "spent") and any(k == "self_pay" and p >= kinds[0][0] - 2
                                                           for p, k in kinds):
            kind = "self_pay"
        # 总共交了 / 一共付了: a total, not a self-pay
        if kind == "spent" and any(k == "total" for _, k in kinds):
            kind = "total"
        return kind
    return "other"


def _amount_result(value: Decimal, f, t: str) -> AmountResult | None:
    v = _quantize(value)
    if v < 0 or v > LIMIT:
        return None
    if upper_bound_at(t, f.start, f.end):  # "自付不到两万": the bound would over-promise, so it is asked
        return _err("upper_bound")
    approx = _approx(f, t)
    return AmountResult(v, None, None, approx, f"按约{v}元计算" if approx else None)


def _approx(f, t: str) -> bool:
    """"两万多", "三千来块", "大概五千": the figure is about, not exact."""
    return bool(getattr(f, "approx", False)) or t[f.end:f.end + 1] in ("多", "来", "余") or \
        bool(re.search(r"大概|大约|约|左右|差不多|将近|估计", _clause_before(t, f.start) + t[f.end:f.end + 3]))


def _mask_disability_grades(t: str) -> str:
    t = re.sub(r"[一二三四1-4]级(?=[^,.;!?，。；！？医院]{0,4}(残|伤残))", "", t)
    t = re.sub(r"(残疾|残疾证|残疾人|伤残|残)[^,.;!?，。；！？医]{0,4}?[一二三四1-4]级", "", t)
    return t


def _said_there(rx: re.Pattern, clause: str) -> bool:
    """A where word stated, not denied ("不在本市看的" says nothing of 本市)."""
    return any(not denied_place_at(clause, m.start(), m.end()) for m in rx.finditer(clause))


def _clauses(t: str) -> list[str]:
    """The message cut into its clauses (normalize.CLAUSE_RE), empty ones left out."""
    return [c for c in CLAUSE_RE.split(t) if c]


def _care_when(clauses: list[str]) -> tuple[tuple | None, int | None]:
    """(years back, month or None, the year itself or None) of the care, from the first clause about
    the care that says when: "去年12月" (1, 12, None), "2025年12月" (0, 12, 2025), "25年12月" (0, 12, 25:
    two digits, numerals.full_year), "上个月" (0, -1, None: months back, as 0 or less); and the day
    of that month when said ("10月5号": 5)."""
    for clause in clauses:
        if not _WHEN_CARE_RE.search(clause) or _WHEN_NOT_RE.search(clause):
            continue
        clause = _YEAR_END_RE.sub(r"\g<1>12月", clause)
        written = _WHEN_WRITTEN_RE.search(clause)
        if written:
            return (0, int(written.group(2)), int(written.group(1))), _day_after(clause, written.end())
        ago = _MONTHS_BACK_RE.search(clause)
        if ago:  # "上个月住的院"
            return (0, _WHEN_MONTHS_BACK[ago.group(0)], None), None
        for m in _WHEN_RE.finditer(clause):
            word, year, with_month, _, said_month = m.groups()
            year = year or with_month
            if word or year or said_month:
                month = (int(said_month) if said_month.isdigit() else cn_int(said_month)) if said_month else None
                when = YEARS_BACK.get(word or "今年", 0), month, int(year) if year else None
                return when, _day_after(clause, m.end()) if month else None
    return None, None


# the day after a month said: "10月5号", "10月5日", "2023-10-05", "2023.10.5"
_DAY_AFTER_RE = re.compile(r"\s*(?:[-./]\s*([0-9]{1,2})(?![0-9])|([0-9]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[号日])")


def _day_after(clause: str, end: int) -> int | None:
    m = _DAY_AFTER_RE.match(clause, end)
    if m is None:
        return None
    day = cn_int(m.group(1) or m.group(2))
    return day if day is not None and 1 <= day <= 31 else None


_IN_TOWN_RE = re.compile(r"市里|县里")


def _in_another_town(clause: str) -> bool:
    """"重庆市里" / "成都市里": 市里 after a province or a place outside the regions is that place's
    city, not the patient's own (南宁市里 is)."""
    for m in _IN_TOWN_RE.finditer(clause):
        named = find_places(clause[max(0, m.start() - 4):m.start()])
        if any(p.outside or p.level == "province" for p in named):
            return True
    return False


def _facts(t: str, ext: Extracted, places: list[PlaceMatch], clauses: list[str]) -> None:
    f = ext.facts
    # statements only: "要不要转诊？" or "什么是特殊疾病" state nothing
    stated = [c for c in clauses if not _ASKING_RE.search(c)]
    short = len(strip_punct(t)) <= 4  # the answer is just "外省" / "在本地"
    # where: only in a clause about the care ("我在外省打工" is not where the care was)
    for rx, value in ((_WHERE_OUT_RE, "out_of_province"), (_WHERE_IN_RE, "in_province"),
                      (_WHERE_LOCAL_RE, "local")):
        if any(_said_there(rx, c) and (short or _CARE_PLACE_RE.search(c) or
                                       (len(c) <= 10 and not _LIVING_RE.search(c)))
               and not (value == "local" and _in_another_town(c)) for c in stated):
            f["where"] = value  # "在重庆市里大医院": 市里 is 重庆's, the place named decides (bot.flow)
            break
    if "where" not in f and ext.place is not None and not ext.place.outside and ext.region:
        # "在西安住院": an outside place in the same clause as the care
        home_prov = ext.place.province
        for clause in stated:
            if not _CARE_PLACE_RE.search(clause):
                continue
            for p in places:
                if p.outside and not p.ambiguous and p.matched in clause:
                    f["where"] = "in_province" if p.province == home_prov else "out_of_province"
                    break
            if "where" in f:
                break
    # referral
    if any(_REFERRED_NO_RE.search(c) for c in stated):
        f["referred"] = False
    elif any(_REFERRED_YES_RE.search(c) for c in stated):
        f["referred"] = True
    special = [not negated_at(c, m.start()) for c in stated for m in _SPECIAL_RE.finditer(c)]
    if special:  # "不是特殊病" answers the question too: no
        f["special_disease"] = all(special)
    # hospital level
    masked = _mask_disability_grades(t)
    if _HOSPITAL_WORD_RE.search(masked):
        lv = parse_hospital_level(masked)
        if lv is not None:
            f["hospital_level"] = lv
    m = _AGE_RE.search(t) or _AGE_SAID_RE.search(t)
    if m:
        a = cn_int(m.group(1))
        if a is not None and 0 <= a <= 120:
            f["age"] = a
    m = _BORN_RE.search(t)
    if m:
        ext.born = int(m.group(1))
    m = _FAMILY_RE.search(t)
    if m:
        n = cn_int(m.group(1) or m.group(2))
        if n is not None and 1 <= n <= 30:
            f["family_size"] = n
    m = _TIER_RE.search(t)
    if m and ("档" in t and ("医保" in t or "参保" in t or "交" in t or len(t) <= 6)):
        f["insurance_tier"] = cn_int(m.group(1))


def _kind_word(t: str) -> str | None:
    for w, kind in _lex().dis_kinds:
        if w in t:
            return kind
    return None


_VETERAN_WORDS = (("烈士", "martyr_family"), ("烈属", "martyr_family"), ("因公牺牲", "duty_death_family"),
                  ("病故", "illness_death_family"), ("复员", "demobilized"), ("其他", "other"), ("别的", "other"))


def _veteran_word(t: str) -> str | None:
    for w, kind in _VETERAN_WORDS:
        if w in t:
            return kind
    return None


# How a bare answer is read when the caller says which fact it expects (ints, kinds, yes/no).
_EXPECTED_READERS = {
    "age": lambda t: parse_int(t, "age"),
    "family_size": lambda t: parse_int(t, "family_size"),
    "disability_grade": lambda t: parse_int(t, "grade"),
    "hospital_level": lambda t: parse_int(t, "hospital_level"),
    "insurance_tier": lambda t: parse_int(t, "tier"),
    "disability_kind": lambda t: _kind_word(t) or None,
    "veteran_kind": lambda t: _veteran_word(t) or None,
    "special_disease": parse_yes_no,
    "referred": parse_yes_no,
}


def extract(text: object, expecting: str | None = None) -> Extracted:
    """Run every recogniser on one message.

    ``expecting`` names the slot the flow just asked for (one of EXPECTABLE: "self_pay",
    "family_income", "stay_policy_total", "age", "family_size", "disability_grade",
    "disability_kind", "veteran_kind", "special_disease", "referred", "hospital_level",
    "insurance_tier"): then a bare answer ("2万", "二级", "肢体", "是") fills it. Without it, amounts count only
    after words such as 自付/花了/自己出/报销后/还剩."""
    t = compact(text)
    ext = Extracted(text=normalize(text))
    if not t:
        return ext
    if expecting is None and _BARE_AMOUNT_RE.fullmatch(t):
        # "2万", "35000", "1.2万元": a number without a word before it fills nothing unless a slot is
        # expected (tests/bot/test_understand_extract.py checks every recogniser agrees)
        ext.intent = classify(t)
        ext.question = looks_like_question(t)
        return ext
    places = _home_first(t, find_places(t))
    if places:
        ext.place = places[0]
        ext.region = places[0].region
    im = find_identities(t)
    ext.identity = im
    ext.identities = list(im.codes)
    for k, v in im.facts.items():
        ext.facts[k] = v
    ext.notes.extend(im.notes)
    # "1"–"4" name a care type only as the care question's answer (bot.flow's care parser): a bare
    # "2" at the amount question is no care type
    ext.care = None if strip_punct(t).isdigit() else find_care(t)
    if ext.care == "outpatient_general" and not plainly_general(t):
        ext.care = None  # "门诊 自付500": 普通门诊 or 门诊慢特病? it decides whether anything is paid: asked
    ext.intent = classify(t)
    ext.question = looks_like_question(t)
    clauses = _clauses(t)
    _facts(t, ext, places, clauses)
    ext.care_when, ext.care_day = _care_when(clauses)
    groups = _classify_amounts(_without_age(t))
    _bill_amounts(t, ext, groups)
    _income(t, ext, groups)
    _aid(ext, groups, t)
    ext.earlier_bills = _earlier_bills(clauses, ext)
    # beside the story ("住院 2万"), not alone: a bare "2万" answers the question asked
    ext.unnamed = _unnamed(groups) if ext.care or ext.identities or ext.region else None
    _expected(t, ext, groups, expecting)
    if ext.self_pay_result is not None and ext.self_pay_result.ok:
        ext.self_pay = ext.self_pay_result.value
    return ext


def _home_first(t: str, places: list[PlaceMatch]) -> list[PlaceMatch]:
    """"我在南宁打工，户口在安康": the place said as home is the region, whatever else is named;
    "我不是南宁的，是安康的": a place denied comes last."""
    if len(places) < 2:
        return places
    denied = [p for at, p in named_in_order(t, places) if denied_place_at(t, at, at + len(p.matched))]
    if denied and len(denied) < len(places):
        places = [p for p in places if p not in denied] + denied
    home = next((p for p in said_as_home(t, places) if p not in denied), None)
    if home is None or (home.region == places[0].region and home.outside == places[0].outside):
        return places  # none, or the same region: the deeper name (柳州 of 广西柳州) stays first
    return [home] + [p for p in places if p is not home]


# "报了一半" / "报了70%" / "报了百分之七十" / "报了七成": the share of the bill insurance paid
_SHARE_RE = re.compile(r"(?:报销了|报了|医保报了|医保给报了|报销)(?:大概|差不多|约|将近)?"
                       r"(?:(一半)|百分之([0-9]{1,3}|[一二两三四五六七八九十]+)|([0-9]{1,3})\s*[%％]|([一二两三四五六七八九])成)")


def _reimbursed_share(t: str) -> Decimal | None:
    m = _SHARE_RE.search(t)
    if m is None:
        return None
    half, cn_percent, percent, tenths = m.groups()
    if half:
        return Decimal("0.5")
    number = cn_int(cn_percent or percent or tenths)
    share = Decimal(number) / (10 if tenths else 100) if number is not None else None
    return share if share is not None and 0 <= share <= 1 else None


PER_TIME_RE = re.compile(r"每次|每回|每一次|每个月|每月|一个月")
_YEAR_SUM_RE = re.compile(r"(一年|全年)(下来|加起来|一共|总共|合计)?(大概|大约|差不多|估计|约)?$")


def _year_sum(t: str, said: tuple, others: list) -> tuple:
    """A self-pay said per visit or per month, and the year's sum beside it ("每个月自己出500，一年6000"):
    the sum; else the self-pay said."""
    if not PER_TIME_RE.search(_clause_before(t, said[1].start, 14)):
        return said
    for value, found in others:
        if found.start > said[1].start and _YEAR_SUM_RE.search(_clause_before(t, found.start)):
            return value, found
    return said


def _bill_amounts(t: str, ext: Extracted, groups: dict) -> None:
    """The self-pay, the whole bill and what insurance paid, as the message's words tell them
    apart (自付 / 花了 / 一共 / 报销了)."""
    strong, spent, total, reimbursed = groups["self_pay"], groups["spent"], groups["total"], groups["reimbursed"]
    share = _reimbursed_share(t) if (spent or total) and not reimbursed else None  # "报了一半"
    within = [(v, f) for v, f in strong if _POLICY_RANGE_RE.search(_clause_before(t, f.start))]
    if within:  # "个人自付10000，其中政策范围内自付8000": that one
        strong = within
    if len({_quantize(v) for v, _ in strong}) > 1:  # "一个自付2万一个自付1万": which one is not said
        ext.self_pay_result = _err("ambiguous", [_quantize(v) for v, _ in strong])
    elif strong:
        value, f = _year_sum(t, strong[-1], groups["other"])
        ext.year_summed = f is not strong[-1][1]
        ext.self_pay_result, ext.out_of_policy = _within_policy(_amount_result(value, f, t), f,
                                                                groups["out_of_policy"], t)
        left = sum((_quantize(v) for v, _ in groups["out_of_policy"]), Decimal(0)) - (ext.out_of_policy or 0)
        ext.out_of_policy_left = left if left > 0 else None
    elif (spent or total) and (reimbursed or share is not None):
        # 花了1万，报销了5千 -> 自付 5千; 花了4千，报了一半 -> 报销 2千, 自付 2千
        gross = _quantize((total or spent)[0][0])
        paid = sum((_quantize(v) for v, _ in reimbursed), Decimal(0)) if reimbursed else _quantize(gross * share)
        if Decimal(0) <= gross - paid <= LIMIT and gross <= LIMIT:
            approx = any(_approx(f, t) for _, f in (total or spent) + reimbursed)
            ext.self_pay_result = AmountResult(gross - paid, None, None, approx,
                                               f"按花费{gross}元减去报销{paid}元计算")
            ext.notes.append(ext.self_pay_result.note)
            if not reimbursed:  # the share's amounts, said back as bill − reimbursement
                ext.reimbursed, ext.total_cost = paid, gross
    elif spent and not total:
        value, f = spent[-1]
        ext.self_pay_result = _amount_result(value, f, t)
    if total:
        ext.total_cost = _quantize(total[0][0])
    elif (strong or reimbursed) and spent:
        ext.total_cost = _quantize(spent[0][0])
    if ext.total_cost is not None and not (0 <= ext.total_cost <= LIMIT):
        ext.total_cost = None
    if reimbursed:
        paid = sum((_quantize(v) for v, _ in reimbursed), Decimal(0))
        ext.reimbursed = paid if 0 <= paid <= LIMIT else None


def _within_policy(result: AmountResult | None, said, out_of_policy: list, t: str) -> tuple[AmountResult | None,
                                                                                           Decimal | None]:
    """The self-pay less what insurance never covers when that is part of it, and what was taken
    out: said so ("其中自费药3000"), or beside a self-pay not named 自付 ("个人负担15000，自费药3000");
    not beside a 自付 (a settlement sheet's 个人自付 and 个人自费 are two lines) nor "另外自费药3000"."""
    if result is None or not out_of_policy:
        return result, None
    copay = "自付" in _clause_before(t, said.start)

    def part_of_it(f) -> bool:
        before = _clause_before(t, f.start)
        return bool(_INCLUDED_RE.search(before)) or not (copay or _BESIDES_RE.search(before))

    outside = sum((_quantize(v) for v, f in out_of_policy if part_of_it(f)), Decimal(0))
    if not outside or outside > result.value:
        return result, None
    return AmountResult(result.value - outside, None, None, result.approx, result.note), outside


# "没有救助" / "没拿到救助" / "救助没给": none received (倾斜救助 apart)
_NO_AID_RE = re.compile(r"没(?:有)?(?:拿到?过?|领过?|给过?|得到过?|享受过?)?(?:医疗)?救助|(?<!倾斜)救助(?:没有|没)(?:拿|给|领|得)?")


def _aid(ext: Extracted, groups: dict, t: str) -> None:
    """医疗救助 and 倾斜救助 already received this year ("救助给了四千", "没有救助": none), the last of
    each said, and the year's earlier self-pay said beside this one's ("之前还住过一次，自付了5万")."""
    for kind in ("aid", "tilt_aid", "earlier_self_pay"):
        if groups[kind]:
            value = _quantize(groups[kind][-1][0])
            if 0 <= value <= LIMIT:
                setattr(ext, kind, value)
    if ext.aid is None and _NO_AID_RE.search(t):
        ext.aid = Decimal(0)


def _unnamed(groups: dict) -> Decimal | None:
    """The message's one amount when nothing says what it is ("旬阳 重度残疾 住院 2万"): it may be the
    self-pay or the whole bill, so it is never taken, only offered (bot.flow asks)."""
    values = {_quantize(v) for v, _ in groups["other"]}
    if len(values) != 1 or any(groups[kind] for kind in groups if kind != "other"):
        return None
    value = values.pop()
    return value if 0 < value <= LIMIT else None


def _income(t: str, ext: Extracted, groups: dict) -> None:
    """The family's income, a month's ×12."""
    if groups["income"]:
        value, f = groups["income"][0]
        v = _quantize(value)
        if re.search(r"月收入|每月|每个月|一个月|月工资|月入|一月", _clause_before(t, f.start, 12)):
            v = v * 12
            ext.notes.append(f"按月收入×12计算，全年约{v}元")
        if 0 <= v <= LIMIT:
            ext.facts["family_income"] = v


def _expected(t: str, ext: Extracted, groups: dict, expecting: str | None) -> None:
    """A bare answer to the question just asked ("2万" for the self-pay, "二级" for the grade)."""
    if expecting == "self_pay" and ext.self_pay_result is None and not groups["total"]:
        plain = {_quantize(v) for v, _ in groups["other"]}
        if len(plain) == 1:
            value, f = groups["other"][0]
            ext.self_pay_result = _amount_result(value, f, t) or parse_amount(t)
        else:
            ext.self_pay_result = parse_amount(t)
    elif expecting in ("family_income", "stay_policy_total"):
        if expecting not in ext.facts:
            r = parse_amount(t)
            if r.ok:
                ext.facts[expecting] = r.value
            else:
                ext.notes.append(r.message or "")
    elif expecting in _EXPECTED_READERS and expecting not in ext.facts:
        value = _EXPECTED_READERS[expecting](t)
        if value is not None:
            ext.facts[expecting] = value
