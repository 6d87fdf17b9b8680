"""The project's modules import one another without circles (issue 12 item 7), and the web app
imports no Telegram library when no Telegram door is configured (issue 17's start-up)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "engine", "faq", "jiuzhu", "web")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _resolve(target: str, known: dict[str, Path]) -> str | None:
    """The project module an import names (a name imported from a package may be a submodule)."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def _outside_functions(node: ast.AST):
    """The nodes that run when the module is imported: all but the bodies of functions/methods."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield child
        yield from _outside_functions(child)


def _imports(name: str, path: Path, known: dict[str, Path], top_only: bool = True) -> set[str]:
    """Modules imported at the top of a module, or anywhere in it (`top_only=False`: an import
    inside a function must not close a circle either — that is how circles were papered over).
    `from . import x` names the submodule x where there is one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in (_outside_functions(tree) if top_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            module = _resolve(target, known)
            if module and module != name and not name.startswith(module + "."):
                found.add(module)  # a module importing its own package's __init__ is no circle
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if node not in colour and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_circle():
    known = _modules()
    graph = {name: _imports(name, path, known, top_only=False) for name, path in known.items()}
    assert graph["web.app"] >= {"web.api", "web.pages", "web.cadre"}  # the parser sees the imports
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_routers_are_imported_at_the_top_of_the_app():
    known = _modules()
    assert _imports("web.app", known["web.app"], known) >= {"web.api", "web.pages", "web.cadre", "web.errors"}


def test_the_checker_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_nothing_but_the_server_imports_the_app():
    known = _modules()
    importers = [n for n, p in known.items() if "web.app" in _imports(n, p, known, top_only=False) and n != "web.server"]
    assert importers == [], importers


def test_the_web_app_without_bot_token_imports_no_aiogram():
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "WEBHOOK_URL", "WECHAT_TOKEN")}
    code = ("import sys, web.app; app = web.app.create_app(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiogram'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _imports_aiogram(path: Path) -> bool:
    """Whether the module imports aiogram anywhere (at the top or inside a function)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(name.split(".")[0] == "aiogram" for name in names):
            return True
    return False


def test_only_the_telegram_door_imports_aiogram():
    """The chat service, its stores and every other door know no aiogram type (issue 12 item 6)."""
    importers = sorted(n for n, p in _modules().items() if _imports_aiogram(p))
    assert importers == ["bot.telegram", "web.telegram_webhook"], importers


def test_the_web_app_and_a_chat_turn_without_bot_token_import_no_aiogram(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "WEBHOOK_URL", "WECHAT_TOKEN", "REDIS_URL")}
    env.update(JIUZHU_DB=str(tmp_path / "j.db"), JIUZHU_SECRET="import-test-secret-0123456789")
    code = ("import asyncio, sys, web.app, web.server\n"
            "from bot.service import warm_up\n"
            "app = web.app.create_app(); service = app.state.jz.chat(); warm_up()\n"
            "replies = asyncio.run(service.handle('web:x', '/start'))\n"
            "assert replies, 'no reply'\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiogram'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
