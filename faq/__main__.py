"""`python -m faq "问题" [--region R] [--top N] [--json]`: the same command as `jiuzhu faq`
(one implementation, in jiuzhu/cli.py; see contract.md)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from jiuzhu.cli import main as jiuzhu_main

    return jiuzhu_main(["faq", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
