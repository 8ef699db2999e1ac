"""Chinese first, checked: every message a package refuses with, read from its source, and
those its catalogue cannot say in Chinese. A unit test per service asserts there are none
(``untranslated(package, catalogue) == []``).
"""

import ast
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# The kernel's refusals, raised with their message first (a service names its own: the
# subclasses and exceptions it answers as problems, ``raising=``).
MESSAGE_FIRST = frozenset({"RuleViolation", "Conflict", "NotFound", "Unauthenticated", "Forbidden"})
SAMPLE = "7"  # what a variable part of a message is taken to be
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,})+\b")


def raised_messages(package: Path, raising: Iterable[str] = ()) -> dict[str, str]:
    """Every message the package's code refuses with, each variable part as ``SAMPLE``,
    by where it is raised: its refusals (``MESSAGE_FIRST``, ``InvalidTransition``,
    ``HTTPException``, a ``Refused(rule, detail)``), the filing ``Violation``s and the
    failed rules a check lists (``failed.append``, ``return [f"rule: …"]``). A helper that
    passes its argument into a message (``self._transition("start assistance", on)``) is
    followed to each call with that argument written out. ``raising``: the service's own
    exceptions answered as problems with their message (``UnreadableFile``)."""
    first = MESSAGE_FIRST | set(raising)
    trees = {path: ast.parse(path.read_text(), str(path)) for path in sorted(package.rglob("*.py"))}
    forwarding: dict[str, tuple[list[str], list[ast.expr]]] = {}
    for tree in trees.values():
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                params = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
                said = [m for node in ast.walk(fn) if (m := _message(node, first)) is not None]
                used = [
                    m
                    for m in said
                    if {n.id for n in ast.walk(m) if isinstance(n, ast.Name)} & set(params)
                ]
                if used:
                    forwarding[fn.name] = (params, used)
    found: dict[str, str] = {}
    for path, tree in trees.items():
        # A message written into a variable first (``message = f"…"``) is read from it.
        named = {
            node.targets[0].id: _render(node.value, {})
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant | ast.JoinedStr)
        }
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if (message := _message(node, first)) is not None:
                found.setdefault(_render(message, named), where)
            if isinstance(node, ast.Call) and (name := _called(node)) in forwarding:
                params, messages = forwarding[name]
                env = {
                    p: a.value
                    for p, a in zip(params, node.args, strict=False)
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                }
                for m in messages if env else ():
                    found.setdefault(_render(m, env), where)
    return {m: w for m, w in found.items() if m.strip(f"{SAMPLE} :;[]()") != ""}


def untranslated(
    package: Path, catalogue: Any, ignore: Iterable[str] = (), raising: Iterable[str] = ()
) -> list[str]:
    """The package's messages (``raised_messages``) its catalogue leaves unsaid in Chinese
    or half said (an English phrase left over): empty when every one is translated.
    ``ignore``: samples that stand for no real message (checked by their real forms)."""
    missing = []
    for message, where in raised_messages(package, raising).items():
        if message in ignore:
            continue
        said = catalogue.chinese(message)
        if said is None or ENGLISH_PHRASE.search(said):
            missing.append(f"{where}: {message!r} → {said!r}")
    return missing


def _called(node: ast.Call) -> str | None:
    match node.func:
        case ast.Name(id=name) | ast.Attribute(attr=name):
            return name
    return None


def _message(node: ast.AST, first: frozenset[str] | set[str] = MESSAGE_FIRST) -> ast.expr | None:
    """The message expression a refusal or a failed rule is written with, if ``node`` is one."""
    if isinstance(node, ast.Return) and isinstance(node.value, ast.List):
        items = [i for i in node.value.elts if re.match(r"[a-z_]+: ", _render(i, {}))]
        return items[0] if items else None
    if not isinstance(node, ast.Call):
        return None
    name, args = _called(node), node.args
    if name in first and args:
        return args[0]
    if name == "HTTPException":
        return (
            args[1]
            if len(args) > 1
            else next((k.value for k in node.keywords if k.arg == "detail"), None)
        )
    if name == "InvalidTransition" and len(args) == 3:
        aggregate, state, command = args
        return ast.JoinedStr(
            [
                ast.Constant("cannot "),
                _formatted(command),
                ast.Constant(": the "),
                _formatted(aggregate),
                ast.Constant(" is "),
                _formatted(state),
            ]
        )
    if name == "Refused" and len(args) == 2:  # a rule named in brackets before the text
        return ast.JoinedStr(
            [ast.Constant("["), _formatted(args[0]), ast.Constant("] "), _formatted(args[1])]
        )
    if name == "Violation" and len(args) >= 2:
        return args[1]
    if name == "append" and isinstance(node.func, ast.Attribute) and args:
        if isinstance(node.func.value, ast.Name) and node.func.value.id == "failed":
            return args[0]
    return None


def _formatted(expr: ast.expr) -> ast.expr:
    return expr if isinstance(expr, ast.Constant) else ast.FormattedValue(expr, -1)


def _render(expr: ast.expr, env: dict[str, str]) -> str:
    match expr:
        case ast.Constant(value=str() as text):
            return text
        case ast.JoinedStr(values=parts):
            return "".join(_render(p, env) for p in parts)
        case ast.FormattedValue(value=inner):
            return (
                _render(inner, env)
                if isinstance(inner, ast.Name | ast.Constant | ast.JoinedStr | ast.BinOp)
                else SAMPLE
            )
        case ast.BinOp(left=left, op=ast.Add(), right=right):
            return _render(left, env) + _render(right, env)
        case ast.Name(id=name) if name in env:
            return env[name]
    return SAMPLE
