"""Whole conversations as data: every tests/bot/transcripts/*.yaml is replayed through bot.flow.step.

A file:

    name: 广西低保户一句话说清楚
    region: guangxi            # the region this conversation is about (counted: ≥ 3 per region)
    today: 2024-06-01          # FlowConfig.today (the care date); default 2024-06-01
    faq: true                  # answer policy questions from the FAQ (default true)
    steps:
      - send: /start
        says: [户口或参保地]      # each substring appears in the reply's concatenated text
        not_says: [...]          # none of these appears
        buttons: [广西]          # each is a button label of the reply
        not_buttons: [跳过]      # none of these is a button label
        kind: result             # kind of the last message
        pending: care            # state.pending after the step (null for none)
        slots: {region: guangxi} # a subset of state.slots (facts compared as a subset too)
        skipped: [where]         # each is in state.skipped
        done: true

The state goes through JSON between steps, as the chat service stores it.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

import bot.service
from bot.flow import FlowConfig, State, step

HERE = Path(__file__).parent / "transcripts"
FILES = sorted(HERE.glob("*.yaml"))
KEYS = {"send", "says", "not_says", "buttons", "not_buttons", "kind", "pending", "slots", "skipped", "done", "note"}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("name") and data.get("steps"), f"{path.name}: name and steps needed"
    for i, s in enumerate(data["steps"]):
        assert "send" in s, f"{path.name} step {i}: no send"
        unknown = set(s) - KEYS
        assert not unknown, f"{path.name} step {i}: unknown keys {unknown}"
    return data


def config(data: dict) -> FlowConfig:
    today = data.get("today", date(2024, 6, 1))
    if isinstance(today, str):
        today = date.fromisoformat(today)
    faq = (lambda q, r: bot.service.faq_answer(q, r)) if data.get("faq", True) else None
    return FlowConfig(faq=faq, today=today)


def _subset(expected, actual, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: {key} missing in {actual!r}"
            _subset(value, actual[key], f"{where}.{key}")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def replay(data: dict, name: str = "") -> list:
    cfg = config(data)
    state: State | None = None
    seen = []
    for i, s in enumerate(data["steps"]):
        reply = step(state, str(s["send"]), cfg)
        assert reply.messages, f"step {i} ({s['send']!r}): no messages"
        assert all(m.kind != "error" for m in reply.messages), f"step {i} ({s['send']!r}): the flow failed"
        state = State.model_validate(reply.state.model_dump(mode="json"))
        assert state == reply.state, f"step {i}: the state does not survive JSON"
        text = "\n".join(m.text for m in reply.messages)
        labels = [b.label for m in reply.messages for b in m.buttons]
        where = f"{name} step {i} send {s['send']!r}"
        shown = f"\n--- reply ---\n{text}\n--- buttons --- {labels}"
        for part in s.get("says", []):
            assert str(part) in text, f"{where}: {part!r} not said{shown}"
        for part in s.get("not_says", []):
            assert str(part) not in text, f"{where}: {part!r} said{shown}"
        for label in s.get("buttons", []):
            assert str(label) in labels, f"{where}: no button {label!r}{shown}"
        for label in s.get("not_buttons", []):
            assert str(label) not in labels, f"{where}: button {label!r} shown{shown}"
        if "kind" in s:
            assert reply.messages[-1].kind == s["kind"], f"{where}: kind {reply.messages[-1].kind}{shown}"
        if "pending" in s:
            assert state.pending == s["pending"], f"{where}: pending {state.pending!r}{shown}"
        if "slots" in s:
            _subset(s["slots"], state.model_dump(mode="json")["slots"], f"{where} slots")
        for key in s.get("skipped", []):
            assert key in state.skipped, f"{where}: {key} not skipped ({state.skipped})"
        if "done" in s:
            assert state.done is s["done"], f"{where}: done {state.done}{shown}"
        seen.append((reply, state))
    return seen


def test_there_are_enough_transcripts():
    regions = {"xizang": 0, "ankang": 0, "guangxi": 0, "urumqi": 0, "qianjiang": 0}
    for path in FILES:
        data = load(path)
        region = data.get("region")
        if region in regions:
            regions[region] += 1
    assert all(n >= 3 for n in regions.values()), regions
    assert len(FILES) >= 15


_SPLIT_NUMBER_RE = re.compile(r"^[0-9]{3}(?![0-9])")


def test_no_expected_text_was_cut_at_a_thousands_comma():
    """[按8,000元算] unquoted is two items in YAML, "按8" and "000元算": each checked alone, the
    expectation is weaker than written. Quote such items."""
    cut = []
    for path in FILES:
        for i, turn in enumerate(load(path)["steps"]):
            for key in ("says", "not_says", "buttons", "not_buttons"):
                items = [str(item) for item in turn.get(key) or []]
                cut += [f"{path.stem} step {i} {key}: {a!r}, {b!r}" for a, b in zip(items, items[1:])
                        if a[-1:].isdigit() and _SPLIT_NUMBER_RE.match(b)]
    assert not cut, "\n".join(cut)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path):
    data = load(path)
    seen = replay(data, path.stem)
    if data.get("region"):
        regions = {state.slots.get("region") for _, state in seen}
        assert data["region"] in regions, f"{path.stem}: declared region {data['region']} never reached ({regions})"


def test_a_wrong_expectation_fails():
    """The checker can fail: a transcript with a wrong figure is caught."""
    data = {"name": "wrong", "steps": [
        {"send": "/start"}, {"send": "我是南宁的低保户，住院自付2万"}, {"send": "本市"},
        {"send": "之前没有", "says": ["1.9万元"]}]}
    with pytest.raises(AssertionError):
        replay(data)
    data["steps"][-1]["says"] = ["1.8万元（18,000元）"]
    replay(data)
