"""JSON Lines in, JSON Lines out: the engine over an input of any size, answers in input order,
read and written as it goes.

`jiuzhu estimate --json` is a thin layer over `run`. The input is read in chunks that end after a
newline; each chunk's answers are written before more than a few chunks are read, so memory stays
bounded however long the input is. A line that is not a valid Case gets `{"error": {...}}` naming
the line and the field; the other lines go on.

An input that proves big (MIN_LINES_PER_WORKER lines and more still coming) is fanned out: the rest
of its chunks go round-robin to one forked worker per core as raw bytes, each worker sends back its
answers as one block of bytes, and the parent writes the blocks in the order it sent the chunks. A
chunk's answers depend only on its lines and its first line number, so the output is byte for byte
the same with workers and without. Workers are forked after the policies are loaded (and after the
first lines warmed the engine's memo), so none of them re-reads a file.

Lines are split on "\\n" (a "\\r" before it is whitespace to JSON), as JSON Lines defines them.
"""
from __future__ import annotations

import collections
import fcntl
import json
import multiprocessing
import os
import queue
import struct
import sys
import threading
import traceback
from typing import Callable, Iterable, Iterator

from engine.calc import estimate_case
from engine.case import CaseError, Estimate, parse_case_json
from engine.policy import Policies

BLOCK_LINES = 500  # a pretty-printed Case is looked for only in an input's first lines
MIN_LINES_PER_WORKER = 2_500  # below this, starting a worker costs more than it saves
CHUNK_BYTES = 262_144  # bytes read at a time; a chunk is what one read gave, cut after its last newline
IN_FLIGHT = 2  # chunks each worker may hold: one being estimated, one waiting

_to_json = Estimate.__pydantic_serializer__.to_json  # bytes: nothing to decode here and re-encode on write
_FRAME = struct.Struct("<qq")  # (first line number or bad-line count, payload length)
_NL = b"\n"


def _error(obj: dict) -> bytes:
    return json.dumps({"error": obj}, ensure_ascii=False).encode()


def _bad_text(number: int, message: str, message_zh: str) -> bytes:
    return _error({"line": number, "field": "(line)", "field_zh": "整行", "message": message, "message_zh": message_zh})


def _answer(line: bytes | str, number: int, policies: Policies, strict: bool) -> tuple[bytes | None, bool]:
    """(the JSON answer of one line, whether it was bad); (None, False) for a blank line."""
    try:
        case = parse_case_json(line, strict=strict)
    except json.JSONDecodeError as exc:
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not text.strip():  # blank in a wider sense than bytes.strip (e.g. a full-width space)
            return None, False
        return _bad_text(number, f"not valid JSON: {exc.msg}", "不是有效的 JSON"), True
    except UnicodeDecodeError:
        return _bad_text(number, "not valid UTF-8 text", "不是有效的 UTF-8 文字"), True
    except CaseError as exc:
        err = exc.as_json()
        err["line"] = number
        return _error(err), True
    return _to_json(estimate_case(case, policies)), False


def estimate_lines(lines: Iterable[bytes | str], policies: Policies, strict: bool = False,
                   first_number: int = 1) -> tuple[list[bytes], int]:
    """One JSON answer per non-blank line, in order, and how many lines were bad."""
    out: list[bytes] = []
    bad = 0
    for number, line in enumerate(lines, first_number):
        if not line.strip():
            continue
        answer, wrong = _answer(line, number, policies, strict)
        if answer is not None:
            out.append(answer)
            bad += wrong
    return out, bad


def estimate_chunk(chunk: bytes, first: int, policies: Policies, strict: bool = False) -> tuple[bytes, int]:
    """The answers to a chunk of whole lines (its first line numbered `first`) as one block of
    JSON Lines, each ending in a newline, and how many lines were bad."""
    lines = chunk.split(_NL)
    if lines and not lines[-1]:
        lines.pop()  # the chunk ends after a newline
    answers, bad = estimate_lines(lines, policies, strict, first)
    return (_NL.join(answers) + _NL if answers else b""), bad


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(count: int, jobs: int = 0) -> int:
    """How many processes to use for `count` lines known in advance: `jobs` when given (≥ 1), else
    one per available core for a big input (and never more than it has blocks). Only where
    processes can be forked."""
    if jobs == 1 or not can_fork():
        return 1
    if jobs > 1:
        return jobs
    return max(1, min(cores(), count // MIN_LINES_PER_WORKER))


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


# ------------------------------------------------------------------------------------------ input


def read_chunks(read: Callable[[int], bytes]) -> Iterator[bytes]:
    """The input as chunks of whole lines (the last one may lack its newline). `read(n)` returns
    at most n bytes and b"" at the end, like BufferedReader.read1 or os.read."""
    tail: list[bytes] = []
    while True:
        data = read(CHUNK_BYTES)
        if not data:
            if tail:
                yield b"".join(tail)
            return
        cut = data.rfind(_NL) + 1
        if not cut:  # a line longer than a read: keep it whole
            tail.append(data)
            continue
        tail.append(data[:cut])
        yield b"".join(tail)
        tail = [data[cut:]] if cut < len(data) else []


def _one_document(head: bytes) -> bytes | None:
    """The whole (small) input when it is one pretty-printed JSON object over several lines: it is
    then one Case, not lines of Cases."""
    try:
        text = head.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if not (text.startswith("{") and "\n" in text):
        return None
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return None
    return text.encode()


def head_and_rest(chunks: Iterator[bytes]) -> tuple[list[bytes], bool]:
    """The first chunks and whether they make one pretty-printed Case. Only an input whose first
    non-blank line is not JSON by itself but starts with "{" is read further, up to BLOCK_LINES
    lines: a Case printed over more lines than that is read as lines."""
    head: list[bytes] = []
    lines = 0
    for chunk in chunks:
        head.append(chunk)
        lines += chunk.count(_NL)
        joined = b"".join(head)
        first = joined.lstrip()
        end = first.find(_NL)
        if end < 0 and lines == 0:
            continue  # the first line is not complete yet
        line = first if end < 0 else first[:end]
        if not line.startswith(b"{") or _parses(line):
            return head, False  # JSON Lines (or something else read line by line)
        if lines >= BLOCK_LINES:
            return head, False
    whole = b"".join(head)
    doc = _one_document(whole)
    return ([doc] if doc is not None else head), doc is not None


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
        return True
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


# ------------------------------------------------------------------------------------------ running


class Output:
    """Where answers go: a byte stream, or (under a test's text capture) a text stream."""

    def __init__(self, stream) -> None:
        self.text = stream
        self.raw = getattr(stream, "buffer", None)

    def write(self, block: bytes) -> None:
        if not block:
            return
        # flushed at once: a reader at the other end of a pipe sees each chunk's answers when they
        # are ready (a chunk is large, so this costs no extra writes on a big input)
        if self.raw is not None:
            self.raw.write(block)
            self.raw.flush()
        else:
            self.text.write(block.decode())
            self.text.flush()

    def flush(self) -> None:
        self.text.flush()
        if self.raw is not None:
            self.raw.flush()


def run(chunks: Iterator[bytes], out: Output, policies: Policies, strict: bool = False, jobs: int = 0) -> int:
    """Estimate every line of `chunks`, writing the answers to `out` as they come; the number of
    bad lines. jobs: 1 = this process only, N > 1 = N workers, 0 = workers once the input proves
    big."""
    head, one_doc = head_and_rest(chunks)
    if one_doc:
        answers, bad = estimate_lines(head, policies, strict)
        out.write(_NL.join(answers) + _NL)
        return bad
    chunks = _chain(head, chunks)
    bad = 0
    first = 1
    workers = jobs if jobs > 1 and can_fork() else 0
    if not workers:
        for chunk in chunks:
            block, wrong = estimate_chunk(chunk, first, policies, strict)
            out.write(block)
            bad += wrong
            first += chunk.count(_NL)
            if jobs == 0 and first > MIN_LINES_PER_WORKER and can_fork() and cores() > 1:
                workers = cores()  # the input proved big: the rest goes to workers
                break
        else:
            return bad
    out.flush()  # nothing buffered may be written twice by a forked child
    return bad + _fan_out(chunks, first, out, policies, strict, workers)


def _chain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from head
    yield from rest


# ------------------------------------------------------------------------------------------ workers


def _fan_out(chunks: Iterator[bytes], first: int, out: Output, policies: Policies, strict: bool,
             workers: int) -> int:
    """The rest of the input over `workers` forked processes, round-robin, at most IN_FLIGHT
    chunks each; answers written in input order. The number of bad lines.

    This thread reads and sends; a second one collects the answers in the order the chunks were
    sent and writes them, so answers go out while this one waits for more input."""
    pool: list[_Worker] = []
    for _ in range(workers):  # each child closes the pipes of the ones before it
        pool.append(_Worker.start(policies, strict, inherited=pool))
    collector = _Collector(out, workers * IN_FLIGHT)
    collector.start()
    try:
        for k, chunk in enumerate(chunks):
            worker = pool[k % workers]
            if collector.error is not None:
                break
            worker.send(first, chunk)
            collector.pending.put(worker)  # waits while IN_FLIGHT chunks per worker are out
            first += chunk.count(_NL)
        collector.pending.put(None)
        collector.join()
    finally:
        for worker in pool:
            worker.stop()
    if collector.error is not None:
        raise collector.error
    return collector.bad


class _Collector(threading.Thread):
    """Answers of the workers, in the order their chunks were sent, to the output."""

    def __init__(self, out: Output, bound: int) -> None:
        super().__init__(daemon=True)
        self.out = out
        self.pending: queue.Queue[_Worker | None] = queue.Queue(maxsize=bound)
        self.bad = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        while (worker := self.pending.get()) is not None:
            if self.error is not None:
                continue  # the sender stops at its next chunk; nothing more is written
            try:
                self.bad += worker.collect(self.out)
            except BaseException as exc:  # noqa: BLE001 - raised again in the sending thread
                self.error = exc


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, size: int) -> bytearray | None:
    """`size` bytes from fd, or None at end of input."""
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if not n:
            return None
        got += n
    return buf


def _frame(fd: int) -> tuple[int, bytearray] | None:
    header = _read_exact(fd, _FRAME.size)
    if header is None:
        return None
    number, size = _FRAME.unpack(header)
    payload = _read_exact(fd, size) if size else bytearray()
    return None if payload is None else (number, payload)


def _big_pipe() -> tuple[int, int]:
    """A pipe with the largest buffer the system gives: fewer wake-ups per chunk."""
    r, w = os.pipe()
    try:
        with open("/proc/sys/fs/pipe-max-size") as f:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, int(f.read()))
    except (OSError, ValueError, AttributeError):
        pass  # the default buffer works, with more wake-ups
    return r, w


class _Worker:
    """One forked process: chunks in on one pipe, answer blocks out on another."""

    def __init__(self, pid: int, to_child: int, from_child: int) -> None:
        self.pid, self.to_child, self.from_child = pid, to_child, from_child

    @classmethod
    def start(cls, policies: Policies, strict: bool, inherited: list["_Worker"]) -> "_Worker":
        down_r, down_w = _big_pipe()
        up_r, up_w = _big_pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                # a sibling's pipe held open here would keep that sibling from seeing its end
                for fd in [down_w, up_r] + [fd for w in inherited for fd in (w.to_child, w.from_child)]:
                    os.close(fd)
                _serve(down_r, up_w, policies, strict)
                code = 0
            except (BrokenPipeError, KeyboardInterrupt):
                pass  # the parent stopped reading or was interrupted: it says so itself
            except BaseException:  # noqa: BLE001 - said on stderr; the parent sees the pipe close
                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)  # no atexit handlers, no stdio buffers flushed twice
        os.close(down_r)
        os.close(up_w)
        return cls(pid, down_w, up_r)

    def send(self, first: int, chunk: bytes) -> None:
        _write_all(self.to_child, _FRAME.pack(first, len(chunk)))
        _write_all(self.to_child, chunk)

    def collect(self, out: Output) -> int:
        frame = _frame(self.from_child)
        if frame is None:
            raise RuntimeError(f"worker process {self.pid} stopped before answering")
        bad, block = frame
        out.write(block)
        return bad

    def stop(self) -> None:
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        os.waitpid(self.pid, 0)


def _serve(inbox: int, outbox: int, policies: Policies, strict: bool) -> None:
    """A worker's loop. A thread reads the next chunks while this one estimates, so the parent's
    sends never wait on this worker's answers (the parent bounds how many are in flight)."""
    chunks: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:
        while (frame := _frame(inbox)) is not None:
            chunks.put(frame)
        chunks.put(None)

    threading.Thread(target=receive, daemon=True).start()
    while (frame := chunks.get()) is not None:
        first, chunk = frame
        block, bad = estimate_chunk(bytes(chunk), first, policies, strict)
        _write_all(outbox, _FRAME.pack(bad, len(block)))
        _write_all(outbox, block)
