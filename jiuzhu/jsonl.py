"""JSON Lines in, JSON Lines out: the engine over a whole input, answers in input order.

`jiuzhu estimate --json` is a thin layer over `estimate_lines` (one process) and `estimate_blocks`
(the same over blocks of lines in worker processes, for big inputs on a machine with several
cores). A line that is not a valid Case gets `{"error": {...}}` naming the line and the field; the
other lines go on.

Workers are forked after the policies are loaded and frozen out of the garbage collector, so each
starts with the loaded policies and none of them re-reads a file.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
from typing import Iterable, Iterator

from engine.calc import estimate_case
from engine.case import CaseError, Estimate, parse_case_json
from engine.policy import Policies

BLOCK_LINES = 500  # lines a worker takes at a time
MIN_LINES_PER_WORKER = 2_500  # below this, starting a worker costs more than it saves

_to_json = Estimate.__pydantic_serializer__.to_json  # bytes: nothing to decode here and re-encode on write
_worker_state: tuple[Policies, bool] | None = None  # (policies, strict), set in the parent before forking


def _error(obj: dict) -> bytes:
    return json.dumps({"error": obj}, ensure_ascii=False).encode()


def estimate_lines(lines: Iterable[str], policies: Policies, strict: bool = False,
                   first_number: int = 1) -> tuple[list[bytes], int]:
    """One JSON answer per non-empty line, in order, and how many lines were bad."""
    out: list[bytes] = []
    bad = 0
    for number, line in enumerate(lines, first_number):
        if not line.strip():
            continue
        try:
            case = parse_case_json(line, strict=strict)
        except json.JSONDecodeError as exc:
            bad += 1
            out.append(_error({"line": number, "field": "(line)", "field_zh": "整行",
                               "message": f"not valid JSON: {exc.msg}", "message_zh": "不是有效的 JSON"}))
            continue
        except CaseError as exc:
            bad += 1
            err = exc.as_json()
            err["line"] = number
            out.append(_error(err))
            continue
        out.append(_to_json(estimate_case(case, policies)))
    return out, bad


def workers_for(count: int, jobs: int = 0) -> int:
    """How many processes to use: `jobs` when given (≥ 1), else one per available core for a big
    input (and never more than it has blocks). Only where processes can be forked."""
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if jobs > 1:
        return jobs
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, count // MIN_LINES_PER_WORKER))


def estimate_blocks(lines: list[str], policies: Policies, strict: bool = False,
                    jobs: int = 0) -> Iterator[tuple[list[bytes], int]]:
    """`estimate_lines` over blocks of the input, in input order, on `workers_for` processes."""
    workers = workers_for(len(lines), jobs)
    if workers == 1:
        yield estimate_lines(lines, policies, strict)
        return
    global _worker_state
    _worker_state = (policies, strict)
    gc.freeze()  # what the parent holds now is shared with the workers, never walked again
    blocks = [(start + 1, lines[start:start + BLOCK_LINES]) for start in range(0, len(lines), BLOCK_LINES)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_block, blocks)


def _block(block: tuple[int, list[str]]) -> tuple[list[bytes], int]:
    first, lines = block
    policies, strict = _worker_state
    return estimate_lines(lines, policies, strict, first_number=first)
