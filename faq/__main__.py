"""`python -m faq "问题" [--region R] [--top N] [--json]` — the `jiuzhu faq` command.

With ``--json`` and no question, reads JSON Lines ``{"q": "...", "region": "..."}`` on stdin and
writes one JSON list of hits per line (a hit: id, question, answer, score, regions, cite).
"""

from __future__ import annotations

import argparse
import json
import sys

from .search import search


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="jiuzhu faq", description="FAQ search (医疗救助常见问题)")
    ap.add_argument("question", nargs="?", help="the question")
    ap.add_argument("--region", default=None, help="xizang ankang guangxi urumqi qianjiang")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="JSON output; without a question read JSON Lines")
    args = ap.parse_args(argv)

    if args.question is None:
        if not args.json:
            ap.error("a question is required (or --json with JSON Lines on stdin)")
        status = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not an object")
                res = search(str(item.get("q", "")), item.get("region", args.region), item.get("top", args.top))
                print(json.dumps([h.to_contract() for h in res.hits], ensure_ascii=False), flush=True)
            except ValueError as exc:
                status = 1
                print(json.dumps({"error": {"message": f"bad line: {exc}"}}, ensure_ascii=False), flush=True)
        return status

    res = search(args.question, args.region, args.top)
    if args.json:
        print(json.dumps([h.to_contract() for h in res.hits], ensure_ascii=False))
        return 0
    if res.error:
        print(res.error)
        return 0
    print(res.message)
    if res.confident and len(res.hits) > 1:
        print("\n相关问题：")
        for h in res.hits[1:]:
            print(f"  · {h.question}（{h.score:.0f}）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
