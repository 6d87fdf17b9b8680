"""Commands and short answers anywhere in the flow: classify, parse_yes_no, parse_int,
parse_hospital_level, looks_like_question."""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import compact, strip_punct
from .numerals import cn_int

INTENTS = ("restart", "back", "edit", "explain", "help", "human", "skip", "next", "yes", "no")

_SLASH = {
    "/restart": "restart", "/reset": "restart", "/start": "restart", "/new": "restart",
    "/back": "back", "/undo": "back", "/edit": "edit", "/help": "help", "/human": "human",
    "/skip": "skip", "/next": "next",
}

# (intent, words); a command word counts when the message is short (the whole answer, maybe
# with a few polite words), so that "我想返回老家看病" is not "back".
_COMMANDS: list[tuple[str, tuple[str, ...]]] = [
    ("restart", ("重新开始", "重新来", "重新来过", "重新测", "重新算", "重新填", "重来", "从头开始", "从头来", "从头",
                 "再来一次", "再来一遍", "重置", "重新问", "清空", "restart", "reset")),
    ("back", ("返回上一步", "上一步", "上一个问题", "返回", "退回", "回退", "后退", "回到上一步", "回上一步", "back")),
    ("edit", ("修改答案", "改答案", "修改", "改一下", "改一改", "我要改", "改正", "填错了", "写错了", "说错了", "选错了",
              "更正", "写错", "填错", "说错", "选错", "弄错", "搞错", "改地区", "改地方", "改金额", "改钱数", "改身份",
              "改类型", "金额不对", "身份不对", "edit")),
    # "什么意思" about the question just asked: the question said again in plainer words
    ("explain", ("什么意思", "啥意思", "是什么意思", "是啥意思", "这是什么意思", "这什么意思", "这是啥意思", "啥子意思",
                 "什么意思啊", "看不懂", "看不明白", "听不懂", "不懂", "没懂", "没看懂", "没听懂", "搞不懂", "不明白",
                 "没明白", "不太懂", "不太明白", "没太懂", "解释一下", "说清楚点", "说明白点", "说简单点",
                 "这个不懂", "这个看不懂", "这个不明白", "这题不会", "不会填", "不会答", "怎么填", "怎么答", "不知道怎么填",
                 "不知道怎么答", "不知道填什么", "填什么", "要填什么", "问的是什么", "问的啥", "问什么", "这是什么",
                 "这是啥", "这是啥东西", "什么东西", "啥东西")),
    ("help", ("帮助", "怎么用", "使用说明", "说明", "教我", "不会用", "help", "帮忙", "救命")),
    ("human", ("转人工", "人工客服", "人工服务", "人工", "找人", "真人", "客服", "打电话", "电话", "热线", "联系方式",
               "联系你们", "找工作人员", "工作人员", "human")),
    ("next", ("下一位", "下一个", "换一个人", "换个人", "给别人查", "帮别人查", "查另一个人", "再查一个", "再查一位",
              "另一个人", "next")),
    ("skip", ("跳过", "不知道", "不清楚", "不确定", "说不清", "说不清楚", "不记得", "记不清", "忘了", "不晓得", "不了解",
              "搞不清", "不太清楚", "不太确定", "skip")),
]
_SKIP_WORDS = dict(_COMMANDS)["skip"]
# "金额写错了", "地区填错了", "身份不对": an answer named as wrong, without the right one
_EDIT_RE = re.compile(r"(我|刚才)?(的)?(金额|钱数?|自付|地区|地方|户口|身份|类型|看病类型|答案)(写|填|说|选|弄|搞|打)?(错了|错|不对)(了|啊|呀)?")
_GREETINGS = {"你好", "您好", "你好呀", "您好呀", "你好啊", "哈喽", "嗨", "hi", "hello", "在吗", "在不在", "早上好",
              "下午好", "晚上好", "喂", "你好吗", "谢谢", "谢谢你", "多谢", "感谢", "辛苦了"}
_POLITE_RE = re.compile(r"^(请问|我想|我要|请|麻烦|帮我|给我|能不能|可以|我|就|还是|那|那就|那我|算了|好吧)+|"
                        r"(吧|啊|呀|了|吗|嘛|哦|呢|一下|谢谢|好吗|行吗|可以吗|行不行|的|这个|这题|这一题|这道题|这一步|这步|这项|这一项|这里|这个问题)+$")

_YES = {"是", "是的", "是滴", "是呀", "是啊", "对", "对的", "对啊", "对呀", "对头", "没错", "没错的", "正确", "嗯", "嗯嗯",
        "恩", "恩恩", "好", "好的", "好滴", "好啊", "行", "行的", "可以", "要", "需要", "有", "有的", "有啊", "确认",
        "确定", "同意", "ok", "okay", "yes", "y", "1", "是是", "嗯是", "嗯对", "对对", "对对对", "当然", "算", "算是",
        "属于", "是我", "没问题", "办了", "办过", "转了", "备案了", "对是的"}
_NO = {"不是", "不", "否", "没有", "没", "没有的", "没得", "木有", "无", "不对", "不用", "不要", "不需要", "不行", "错",
       "错了", "不是的", "不对的", "不算", "不属于", "没办", "没转", "no", "n", "nope", "0", "2", "不是啊", "没有啊",
       "不用了", "算了", "没呢", "还没", "还没有", "没办过", "没有转诊", "没转诊", "没备案", "不是呢"}
_HESITATE_RE = re.compile(r"想想|想一想|考虑|等等|等一下|等一等|等会|稍等|问问|问一下|再看看|我看看|看一下")
_NOT_YES_PREFIX = ("有点", "有些", "有时", "有可能", "有人", "有一点", "好像", "好多", "好贵", "好几", "对了", "对面", "可以问",
                   "是不")
_NO_PREFIX = ("不是", "没有", "不对", "不用", "不要", "不需要", "没", "否", "不")
_YES_PREFIX = ("是的", "是", "对的", "对", "嗯", "好的", "有的", "有", "可以")

_HOSPITAL = [
    (1, re.compile(r"一级医院|一级甲等|一甲|一级|乡镇卫生院|乡卫生院|镇卫生院|卫生院|社区卫生服务中心|社区医院|社区卫生|"
                   r"村卫生室|卫生室|村医|诊所|基层")),
    (3, re.compile(r"三级医院|三级甲等|三级乙等|三甲|三乙|三级|省医院|省级医院|省人民医院|省立医院|自治区人民医院|区人民医院?|"
                   r"附属医院|附属|医科大学|大学医院|华西|湘雅|协和|大医院|肿瘤医院")),
    (2, re.compile(r"二级医院|二级甲等|二级乙等|二甲|二乙|二级|县医院|县人民医院|县中医院|县级医院|县城医院|县里的医院|"
                   r"县妇幼|区医院")),
]

_NOT_QUESTION_RE = re.compile(r"什么都|啥都|啥也|什么也|怎么都|多少都|不知道[^,.;!?]{0,6}(什么|多少|怎么|哪|有没有|是不是|是否)|"
                              r"不清楚[^,.;!?]{0,6}(什么|多少|怎么|哪|有没有|是不是|是否)|记不清[^,.;!?]{0,6}(什么|多少|哪|有没有)|"
                              r"(有没有|是不是)[^,.;!?]{0,8}(不知道|不清楚|不确定|记不清)")
_QUESTION_END_RE = re.compile(r"(\?|吗|呢|么|嘛|没有\?)$")
_QUESTION_WORD_RE = re.compile(r"多少|怎么|怎样|哪里|哪儿|哪个|哪些|什么|为什么|为啥|啥|如何|能不能|可不可以|能否|是否|"
                               r"有没有|是不是|要不要|需不需要|可以吗|行吗|几天|多久|多长时间|谁|咋")


# a first message that asks for nothing in particular: "我想问问医疗救助", "咨询一下报销"
# "我要申请医疗救助", "帮我算算能报多少" (no case said yet: the estimate starts)
_OPENER_RE = re.compile(r"^(你好|您好|在吗|在不在|请问|喂|哈喽|嗨|老师|同志|师傅)*(我|俺)?(帮我|给我|帮忙)?(想|要|来|能|可以)?"
                        r"(问问|问一下|问下|问个事|问点事|咨询|咨询一下|了解|了解一下|打听|打听一下|查|查一下|查查|算|算一下|算算|问|"
                        r"申请|办|办理|估算|估算一下|测算|测算一下|看看)?"
                        r"(一下)?(关于)?(医疗救助|大病救助|救助|报销|医保|政策|看病的钱|看病报销)?(的事|的事情|的政策|这块|方面)?"
                        r"(能报多少|能拿多少|能救助多少|能给多少|能报多少钱|能拿多少钱|能补多少)?(吗|呢|啊|呀|哈|的)?$")


# "这个问题是什么意思", "特殊疾病是啥意思", "什么叫备案": the term asked about ("" for the question itself)
_THIS = r"(?:这个问题|这个|这句话|这句|这里|这题|这一项|这|上面的?|刚才的?|你说的|你问的)?"
_MEANING_RES = (
    re.compile(rf"^{_THIS}(?:说的|问的)?(?P<term>.{{0,12}}?)(?:是|指|指的是|是指)?(?:什么|啥|啥子)意思(?:啊|呀|呢|吗|哦)*$"),
    re.compile(r"^(?:请问)?(?:什么|啥)(?:叫|是|叫做)(?P<term>.{1,12}?)(?:啊|呀|呢|吗|哦)*$"),
    re.compile(r"^(?P<term>.{1,12}?)(?:是指|指的是|指)(?:什么|啥)(?:啊|呀|呢|吗|哦)*$"),
)


def meaning_of(text: object) -> str | None:
    """The message asks what something means: the term asked about, "" when it asks about the
    question itself ("什么意思", "这个问题是什么意思"); None for anything else."""
    b = strip_punct(compact(text))
    for rx in _MEANING_RES:
        m = rx.match(b)
        if m:
            return m.group("term")
    return None


# After the result, a short question about this case's own answer: the part of the result that
# answers it ("要带什么材料" is this person's list of documents, not the FAQ's general one)
_RESULT_PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("documents", ("要带什么材料", "带什么材料", "要带什么", "带什么", "需要带什么", "需要什么材料", "要什么材料", "什么材料",
                   "要哪些材料", "哪些材料", "材料", "要准备什么", "准备什么", "准备什么材料", "要准备哪些材料", "要带啥",
                   "带啥", "带哪些东西", "要带哪些东西", "去哪里办", "去哪办", "在哪办", "在哪里办", "到哪里办", "到哪办",
                   "哪里办", "去哪里申请", "去哪申请", "在哪申请", "在哪里申请", "到哪里申请", "找谁办", "找谁申请",
                   "怎么申请", "如何申请", "怎么办理", "去哪里", "去哪", "要去哪里", "要去哪", "办理地点")),
    ("detail", ("怎么算的", "怎么算出来的", "咋算的", "怎么计算的", "计算过程", "算法", "为什么是这么多", "为什么这么多",
                "为什么这么少", "为什么是这个数", "为啥这么少", "为啥这么多", "怎么来的", "这个数怎么来的")),
    ("benefits", ("还有什么待遇", "还有别的待遇", "其他待遇", "还有什么补助", "还有别的补助", "还有什么政策",
                  "还能享受什么", "还有什么能报的", "还有其他补助吗", "还有什么帮助")),
    ("print", ("打印", "打印出来", "要打印", "能打印吗", "打印版", "打出来")),
]


def result_part_asked(text: object) -> str | None:
    """"要带什么材料" / "去哪里办" / "怎么算的" / "还有什么待遇" / "打印", as the whole message (give
    or take polite words): documents, detail, benefits or print; None for anything else."""
    bare = strip_punct(compact(text))
    core = _core(bare) or bare
    for part, words in _RESULT_PARTS:
        if bare in words or core in words:
            return part
    return None


_HEDGE_RE = re.compile(r"好像|(?<!不)可能|应该|大概|也许|估计|似乎|说不定|差不多吧")


def is_hedged(text: object) -> bool:
    """The answer is said without being sure: "好像办了", "应该不是吧" (不可能 is sure)."""
    return bool(_HEDGE_RE.search(compact(text)))


_KIN = r"(儿子|女儿|孩子|娃|小孩|老伴|老婆|老公|丈夫|媳妇|妻子|爱人|爸爸?|妈妈?|父亲|母亲|爷爷|奶奶|外公|外婆|姥姥|姥爷|" \
       r"哥哥?|姐姐?|弟弟?|妹妹?|女婿|儿媳|孙子|孙女|外孙|亲戚|邻居|家人|家里人)"
# "我还有个儿子也住院了", "另外一个病人", "我老伴也住院了": a second patient, not this one's answer
_ANOTHER_PATIENT_RE = re.compile(
    r"(还有|另外|另一|再帮我?|再给我?|再算)(一)?(个|位|名)?" + _KIN + r"|(另外|另一)(一)?(个|位|名)(人|病人|患者)|"
    + _KIN + r"(也|同时|还)(在)?(住院|住了院|住着院|看病|看了病|病了|生病|要住院|做了手术)")


def another_patient(text: object) -> bool:
    """The message is about a second patient ("我还有个儿子也住院了，自付5000")."""
    return bool(_ANOTHER_PATIENT_RE.search(strip_punct(compact(text))))


_WHAT_IF_RE = re.compile(r"(?:那么?)?(?:我|他|她|病人|患者)?(?:如果|要是|假如|假设|万一)(?:是|说)?(.+?)(?:的话)?(?:呢|怎么样|会怎样|会怎么样|能报多少|"
                         r"能给多少|给多少|能拿多少)?[吗?？]*")


def what_if(text: object) -> str | None:
    """"要是自付5万呢" → "自付5万": what a hypothetical question supposes; None when it is none."""
    m = _WHAT_IF_RE.fullmatch(strip_punct(compact(text)))
    return m.group(1) if m else None


def says_unknown(text: object) -> bool:
    """The message says the user does not know (不知道, 不清楚, 记不清 …) somewhere in it."""
    b = strip_punct(compact(text))
    return any(word in b for word in _SKIP_WORDS if word != "跳过")


def is_opener(text: object) -> bool:
    """A greeting or "我想问问医疗救助": no answer to any question, no policy question either."""
    b = strip_punct(compact(text))
    if not b:
        return False
    return b in _GREETINGS or (len(b) >= 2 and bool(_OPENER_RE.fullmatch(b)))


def _core(t: str) -> str:
    b = strip_punct(t)
    prev = None
    while prev != b:
        prev = b
        b = _POLITE_RE.sub("", b)
    return b


@lru_cache(maxsize=1)
def _command_cores() -> list[tuple[str, frozenset[str]]]:
    return [(intent, frozenset(set(words) | {(_core(w) or w) for w in words})) for intent, words in _COMMANDS]


def classify(text: object) -> str | None:
    """restart back edit explain help human skip next yes no, or None.

    Commands count when they are the whole message (give or take polite words: "我想重新开始吧");
    a slash command always counts. "没有" is "no", not "skip"."""
    t = compact(text)
    if not t:
        return None
    if t.startswith("/"):
        cmd = re.match(r"/[a-z_]+", t)
        if cmd:
            return _SLASH.get(cmd.group(0).split("@")[0])
        return None
    bare = strip_punct(t)
    if bare in ("?", "？") or (not bare and "?" in t):
        return "help"
    if bare in _GREETINGS:
        return None
    if meaning_of(bare) == "":
        return "explain"
    if _EDIT_RE.fullmatch(bare):
        return "edit"
    core = _core(t) or bare
    for intent, words in _command_cores():
        if core in words or bare in words:
            return intent
    yn = _yes_no_exact(bare) if bare else None
    if yn is None and core:
        yn = _yes_no_exact(core)
    if yn is not None:
        return "yes" if yn else "no"
    # a command word inside a short message: "帮我转人工客服"
    if len(core) <= 8 and not looks_like_question(t):
        return _word_inside(core)
    return None


def _word_inside(core: str) -> str | None:
    """The first intent (in _COMMANDS order) with a word of ≥ 2 characters inside `core` that is
    more than half of it. Looks up the few substrings of that length instead of trying each word."""
    n = len(core)
    found = [_WORD_RANK[core[i:i + size]] for size in range(max(2, n // 2 + 1), n + 1)
             for i in range(n - size + 1) if core[i:i + size] in _WORD_RANK]
    return _COMMANDS[min(found)][0] if found else None


# command word → the index in _COMMANDS of the first intent that lists it
_WORD_RANK: dict[str, int] = {}
for _rank, (_intent, _words) in enumerate(_COMMANDS):
    for _word in _words:
        _WORD_RANK.setdefault(_word, _rank)


def _yes_no_exact(b: str) -> bool | None:
    if b in _YES:
        return True
    if b in _NO:
        return False
    return None


def parse_yes_no(text: object) -> bool | None:
    """True for 是/对/好的/嗯/有 …, False for 不是/否/没有/不对/不用 …, None otherwise."""
    t = compact(text)
    if not t:
        return None
    b = strip_punct(t)
    if not b:
        return None
    r = _yes_no_exact(b)
    if r is not None:
        return r
    if b in _GREETINGS or any(w in b for w in _SKIP_WORDS) or _HESITATE_RE.search(b):
        return None  # "嗯，我想想" is no yes
    core = _core(t)
    r = _yes_no_exact(core) if core else None
    if r is not None:
        return r
    if len(b) <= 12:
        if b.startswith(("是不是", "有没有", "对不对", "要不要", "好不好", "行不行")):
            return None
        if b.startswith(("不在", "没在", "不去", "没去", "不到", "没到")):
            return None  # "不在黔江区内" says where, not no
        if b.startswith(_NOT_YES_PREFIX):
            return None  # "有点贵" is no yes
        if b.lstrip("嗯恩呃额").startswith(_NO_PREFIX):
            return False  # "嗯，不是": the 嗯 is a pause, not a yes
        if b.startswith(_YES_PREFIX):
            return True
        # 转诊了 / 办过 / 备案了: an action done
        if len(b) <= 8 and b.endswith(("了", "过", "过了")) and not re.search(r"[不没未别无]|算了|忘", b) \
                and not looks_like_question(t):
            return True
    return None


def parse_hospital_level(text: object) -> int | None:
    """1 (乡镇卫生院, 社区, 一级), 2 (县医院, 二级, 二甲), 3 (三甲, 省医院, 附属医院), else None
    (市医院 and 中心医院 can be either 2 or 3: asked, not guessed)."""
    t = compact(text)
    if not t:
        return None
    hits = []
    for level, rx in _HOSPITAL:
        m = rx.search(t)
        if m:
            hits.append((m.start(), -len(m.group(0)), level))
    if not hits:
        b = strip_punct(t)
        n = cn_int(b.replace("级", "")) if b else None
        return n if n in (1, 2, 3) and len(b) <= 3 else None
    hits.sort()
    return hits[0][2]


_INT_RE = re.compile(r"[0-9]+|[零〇一二两三四五六七八九十百壹贰叁肆伍陆柒捌玖拾佰]+")


def parse_int(text: object, kind: str | None = None) -> int | None:
    """An integer answer: '二级' -> 2, '65岁' -> 65, '六十五' -> 65, '三甲医院' -> 3.

    kind: 'grade' (1–4), 'hospital_level' (1–3, also 县医院 -> 2), 'age' (0–120),
    'family_size' (1–30), 'tier' (1–2) or None (any integer)."""
    t = compact(text)
    if not t:
        return None
    if kind == "hospital_level" or (kind is None and re.search(r"医院|卫生院|三甲|二甲|诊所", t)):
        lv = parse_hospital_level(t)
        if lv is not None or kind == "hospital_level":
            return lv
    if kind == "family_size":
        m = re.search(r"([0-9]+|[一二两三四五六七八九十]+)(?:口|个人|人)", t)
        if m:
            n = cn_int(m.group(1))
            return n if n is not None and 1 <= n <= 30 else None
    if kind == "tier":
        m = re.search(r"([12一二])档", t)
        if m:
            return cn_int(m.group(1))
    n = None
    for m in _INT_RE.finditer(t):
        v = cn_int(m.group(0))
        if v is not None:
            n = v
            break
    if n is None:
        return None
    bounds = {"grade": (1, 4), "age": (0, 120), "family_size": (1, 30), "tier": (1, 2), "hospital_level": (1, 3)}
    if kind in bounds:
        lo, hi = bounds[kind]
        if not lo <= n <= hi:
            return None
    return n


def looks_like_question(text: object) -> bool:
    """A FAQ-style question typed mid-flow ("低保户能报多少？", "去哪里申请"), not a slot answer."""
    t = compact(text)
    if len(t) < 3:
        return False
    b = strip_punct(t)
    if len(b) < 3:
        return False
    ends = bool(_QUESTION_END_RE.search(t.rstrip("。.!！~ ")))
    words = bool(_QUESTION_WORD_RE.search(_NOT_QUESTION_RE.sub("", t)))
    if not (ends or words):
        return False
    # "是吗" / "对吗" / "2万吗" are short confirmations or answers, not questions for the FAQ
    if len(b) <= 3 and b.endswith(("吗", "呢")) and b[:-1] in ("是", "对", "好", "行", "嗯", "真的", "这样"):
        return False
    if re.fullmatch(r"[0-9.万千百wk元块]+[吗呢]?", b):
        return False
    return True
