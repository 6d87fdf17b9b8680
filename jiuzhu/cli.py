"""`jiuzhu` — the command line. Each sub-command is a thin layer over a library call.

    jiuzhu estimate --json            Case JSON / JSON Lines on stdin → one Estimate per line
    jiuzhu estimate --region guangxi --identity dibao --care inpatient --self-pay 20000
    jiuzhu faq "低保户住院能报多少" [--region R] [--top N] [--json]
    jiuzhu chat                       the guided conversation in a terminal
    jiuzhu batch IN.xlsx -o OUT.xlsx  a cadre's roster (.xlsx or CSV, by extension) → results
    jiuzhu serve [--host H] [--port P]
    jiuzhu bot                        Telegram long polling
    jiuzhu wechat-menu [--create]     the WeChat Official Account menu (print, or set it)
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _write(stream, line: str) -> None:
    stream.write(line)
    stream.write("\n")


def cmd_estimate(args: argparse.Namespace) -> int:
    import engine
    from engine.case import CaseError

    if args.json:
        return _estimate_json(args, engine)
    case: dict[str, Any] = {
        "region": args.region, "identities": args.identity or [], "care": args.care, "self_pay": args.self_pay,
    }
    if args.date:
        case["date"] = args.date
    ytd = {k: v for k, v in (("self_pay", args.ytd_self_pay), ("aid", args.ytd_aid), ("tilt_aid", args.ytd_tilt_aid)) if v is not None}
    if ytd:
        case["year_to_date"] = ytd
    facts = {}
    for item in args.fact or []:
        key, _, raw = item.partition("=")
        facts[key.strip()] = _fact_value(raw.strip())
    if facts:
        case["facts"] = facts
    try:
        est = engine.estimate(case, strict=True)
    except CaseError as exc:
        for e in exc.errors:
            _write(sys.stderr, f"输入有误：{e['field_zh']}（{e['field']}）：{e['message_zh']} / {e['message']}")
        return 1
    from bot.render import render_estimate_text

    _write(sys.stdout, render_estimate_text(est, care=case.get("care")))
    return 0


def _fact_value(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "yes", "是"):
        return True
    if lowered in ("false", "no", "否"):
        return False
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        float(raw)
        return raw  # money-like: the engine reads numeric strings exactly
    except ValueError:
        return raw


def _estimate_json(args, engine) -> int:
    """JSON Lines in, JSON Lines out, same order, streamed; a bad line gets {"error": …} and the
    rest go on."""
    import gc

    from jiuzhu.jsonl import Output, read_chunks, run

    policies = engine.load_policies()
    # The policies live as long as the process: keep the collector from walking them again and again.
    # A batch makes many short-lived objects and no cycles worth collecting often: collect less often.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    raw = getattr(sys.stdin, "buffer", None)
    read = raw.read1 if raw is not None else (lambda n: sys.stdin.read(n).encode())
    out = Output(sys.stdout)
    sys.stdout.flush()
    bad = run(read_chunks(read), out, policies, strict=args.strict, jobs=args.jobs)
    out.flush()
    return 1 if bad else 0


def cmd_faq(args: argparse.Namespace) -> int:
    import faq

    if args.json and not args.question:
        bad = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                q, region = obj.get("q", ""), obj.get("region")
                top = int(obj.get("top", args.top))
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
                bad += 1
                _write(sys.stdout, json.dumps({"error": {"message": "not valid JSON", "message_zh": "不是有效的 JSON"}}, ensure_ascii=False))
                continue
            result = faq.search(q, region=region, top=top)
            _write(sys.stdout, json.dumps([h.to_contract() for h in result.hits], ensure_ascii=False))
        return 1 if bad else 0
    if not args.question:
        _write(sys.stderr, "请输入问题，例如：jiuzhu faq \"低保户住院能报多少\"")
        return 2
    result = faq.search(args.question, region=args.region, top=args.top)
    if args.json:
        _write(sys.stdout, json.dumps([h.to_contract() for h in result.hits], ensure_ascii=False))
        return 0
    if result.error:
        _write(sys.stdout, result.error)
        return 0
    if not result.confident:  # no cited answers then: the plain message (choices, 12393, the office)
        _write(sys.stdout, result.message)
        return 0
    for i, hit in enumerate(result.hits, 1):
        _write(sys.stdout, f"{i}. {hit.question}（{hit.score:.0f}分）")
        _write(sys.stdout, f"   {hit.answer}")
        _write(sys.stdout, f"   依据：{'；'.join(hit.cite)}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.terminal import run_terminal

    return run_terminal()


def cmd_batch(args: argparse.Namespace) -> int:
    from web.batch import run_batch_cli

    return run_batch_cli(args.input, args.output)


def cmd_serve(args: argparse.Namespace) -> int:
    from web.server import serve

    return serve(host=args.host, port=args.port)


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.telegram import run_polling

    return run_polling()


def cmd_wechat_menu(args: argparse.Namespace) -> int:
    from bot.doors.wechat import menu_command

    return menu_command(args.create, sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiuzhu", description="救助助手：医疗救助估算、问答与对话")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("estimate", help="估算医疗救助 / estimate assistance")
    p.add_argument("--json", action="store_true", help="read Case JSON (Lines) on stdin, write Estimates")
    p.add_argument("--strict", action="store_true", help="refuse unknown fields (with --json)")
    p.add_argument("--jobs", type=int, default=0,
                   help="worker processes for --json (default: one per core for a big input; 1 = no workers)")
    p.add_argument("--region")
    p.add_argument("--identity", action="append")
    p.add_argument("--care")
    p.add_argument("--self-pay", dest="self_pay")
    p.add_argument("--date")
    p.add_argument("--ytd-self-pay", dest="ytd_self_pay")
    p.add_argument("--ytd-aid", dest="ytd_aid")
    p.add_argument("--ytd-tilt-aid", dest="ytd_tilt_aid")
    p.add_argument("--fact", action="append", help="KEY=VALUE, e.g. --fact disability_grade=2")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("faq", help="政策问答搜索 / FAQ search")
    p.add_argument("question", nargs="?")
    p.add_argument("--region")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_faq)

    p = sub.add_parser("chat", help="在终端里对话 / guided conversation in a terminal")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("batch", help="批量估算花名册 / a roster (.xlsx or CSV) → results in the same format")
    p.add_argument("input", help="花名册：.xlsx 或 .csv（- 为标准输入，CSV）")
    p.add_argument("-o", "--output", required=True, help="结果：.xlsx 或 .csv，按扩展名（- 为标准输出，CSV）")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("serve", help="网页、接口（和 Telegram webhook）")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("bot", help="Telegram 机器人（长轮询）")
    p.set_defaults(func=cmd_bot)

    p = sub.add_parser("wechat-menu", help="微信公众号菜单（打印，或 --create 创建）")
    p.add_argument("--create", action="store_true", help="set the menu through WeChat's API")
    p.set_defaults(func=cmd_wechat_menu)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "estimate" and not args.json:
        missing = [name for name in ("region", "care", "self_pay") if getattr(args, name) is None]
        if missing:
            parser.error("缺少参数 / missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
