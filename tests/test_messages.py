"""bot/messages.py's promise, checked: the Slack side (listeners, services, views, the Slack
edge) says no sentence of its own. A sentence here is a string literal (or an f-string's literal
parts) of three or more words ending in a full stop, outside docstrings, log calls and raised
exceptions; labels (buttons, field names, section titles) carry no full stop and stay in views."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLACK_SIDE = ["handlers", "bot/slack", "bot/posting", "bot/running", "bot/services", "bot/views"]
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def _is_sentence(text: str) -> bool:
    text = text.strip()
    return text.endswith(".") and len(text.split()) >= 3 and any(c.isalpha() for c in text)


def _sentences(path: Path) -> list[tuple[str, int, str]]:
    """(enclosing function, line, text) of every sentence in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr):
                skip.add(id(first.value))  # a docstring
        logged = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_CALLS
        if logged or isinstance(node, ast.Raise):
            skip.update(id(inner) for inner in ast.walk(node))
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.expr) and id(node) not in skip:
            text = _literal(node)
            if text is not None and _is_sentence(text):
                found.append((function, node.lineno, text))
                return
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    return found


def test_the_slack_side_says_no_sentence_of_its_own() -> None:
    stray = []
    for folder in SLACK_SIDE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            stray += [f"{name}:{line} ({function}): {text!r}" for function, line, text in _sentences(path)]
    assert not stray, "sentences said to people belong in bot/messages.py:\n" + "\n".join(stray)


def test_the_scan_finds_a_sentence_where_one_is_written(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""A docstring is not said."""\n'
        "def f(n):\n"
        '    log.info("This is only logged.")\n'
        "    if n:\n"
        '        raise ValueError("This is only raised.")\n'
        '    return Help(f"That is {n} characters too many.") or "Save" or "*A title*"\n',
        encoding="utf-8",
    )
    assert _sentences(module) == [("f", 6, "That is  characters too many.")]
