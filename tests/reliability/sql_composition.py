"""Find SQL text built by string formatting (f-strings, %, +, str.format) and handed to a database call."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

DATABASE_CALLS = {"execute", "executemany", "copy", "stream", "mogrify"}


@dataclass(frozen=True)
class Composed:
    path: str
    line: int
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: SQL built with {self.how}"


def _how(node: ast.AST) -> str | None:
    """How the expression builds text, if it formats strings itself (sql.SQL(...).format(...) does not)."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "an f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        sides = (node.left, node.right)
        if any(isinstance(s, ast.Constant) and isinstance(s.value, str) or _how(s) for s in sides):
            return "% or +"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        if isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
            return "str.format"
    return None


def scan_source(path: str, source: str) -> list[Composed]:
    tree = ast.parse(source)
    # Names bound to formatted text anywhere in the module: `query = f"..."; conn.execute(query)`.
    formatted = {target.id: how for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and (how := _how(node.value)) for target in node.targets if isinstance(target, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in DATABASE_CALLS and node.args:
            first = node.args[0]
            how = _how(first) or (formatted.get(first.id) if isinstance(first, ast.Name) else None)
            if how:
                found.append(Composed(path, node.lineno, how))
    return found


def scan_tree(root: Path, folders: list[str]) -> list[Composed]:
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            found += scan_source(str(path.relative_to(root)), path.read_text(encoding="utf-8"))
    return found
