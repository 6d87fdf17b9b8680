"""How often a typed answer is understood without falling back to the buttons, over the turns of
every conversation in tests/bot/transcripts/ (issue 13; goal ≥ 98%).

    .venv/bin/python benchmarks/understand_bench.py [--show]

A turn is *typed* when what was sent is neither a slash command nor a button label of the reply
before it. It is *understood* unless the reply falls back: says it did not understand, or asks to
press a button ("没认出", "没看懂", "请点选" …) without saying what it took from the message instead
("已记下（就医地点：…）", "已加上身份：…": another question's answer, then this one asked again). Turns where the transcript itself expects such a
fallback (deliberately bad input: "很多", "-5000", a bare "门诊") are counted apart, not hidden.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.flow import State, step  # noqa: E402
from tests.bot.test_transcripts import FILES, config, load  # noqa: E402

FALLBACK = ("没认出", "没看懂", "没太明白", "请点选", "请点“", "请打年龄", "请打数字", "这一项需要一个数字",
            "请回复文字或点按钮", "请只告诉我一个", "请说一个大概的数字", "请输入数字", "请输入金额")


# the reply says what it took from the message (another question's answer) before asking again
TAKEN = ("已记下（", "已加上身份：")


def fell_back(text: str) -> bool:
    return any(marker in text for marker in FALLBACK) and not any(marker in text for marker in TAKEN)


def measure() -> dict:
    typed = understood = expected_fallback = 0
    misses: list[tuple[str, str, str]] = []
    for path in FILES:
        data = load(path)
        cfg = config(data)
        state: State | None = None
        labels: set[str] = set()
        for s in data["steps"]:
            sent = str(s["send"])
            reply = step(state, sent, cfg)
            state = State.model_validate(reply.state.model_dump(mode="json"))
            text = "\n".join(m.text for m in reply.messages)
            is_typed = not sent.startswith("/") and sent not in labels
            labels = {b.label for m in reply.messages for b in m.buttons}
            if not is_typed:
                continue
            if any(fell_back(str(part)) for part in s.get("says", [])):
                expected_fallback += 1  # the transcript is about refusing this input
                continue
            typed += 1
            if fell_back(text):
                misses.append((path.stem, sent, text.splitlines()[0]))
            else:
                understood += 1
    return {"typed": typed, "understood": understood, "expected_fallback": expected_fallback, "misses": misses,
            "files": len(FILES)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", action="store_true", help="list the typed turns that fell back to buttons")
    args = ap.parse_args(argv)
    r = measure()
    share = r["understood"] / r["typed"] if r["typed"] else 0.0
    print(f"transcripts: {r['files']} conversations")
    print(f"typed answers understood without a button fallback: {r['understood']}/{r['typed']} ({share:.1%}); goal ≥ 98%")
    print(f"typed turns meant to be refused (the transcript expects the fallback), not counted: {r['expected_fallback']}")
    if args.show:
        for name, sent, first in r["misses"]:
            print(f"  {name}: {sent!r} → {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
