"""Rewrite references to moved modules, per scripts/moved_modules.txt (one `old.dotted.name new.dotted.name` a line).

    python scripts/rewrite_moved_imports.py            # rewrite every tracked .py, .toml and .md file
    python scripts/rewrite_moved_imports.py --check    # list what would change, change nothing (exit 1 if any)
    python scripts/rewrite_moved_imports.py FILE...    # only these files
    python scripts/rewrite_moved_imports.py --move     # first `git mv` any module still at its old path
                                                       # (one a merged branch added there), then rewrite
    python scripts/rewrite_moved_imports.py --imports-conflicts --move   # during a merge: first settle each
        # conflict made only of import lines in a .py file by keeping both sides (ruff check --fix then
        # merges and drops what is unused); other conflicts are left for a person

It rewrites, in this order:
- `from old.parent import a, b as c` (also parenthesized over several lines), when a named module moved:
  the moved names go to a `from new.parent import ...` line of their own, the rest stay;
- every dotted reference `old.name` (imports, `import old.name`, strings such as "old.name.attr" in
  monkeypatch targets and pyproject.toml, docs), matched whole, never as part of a longer name;
- every path `old/name.py` and `old/name/` (docs, tests that name files).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "scripts" / "moved_modules.txt"
SUFFIXES = (".py", ".toml", ".md")


def load_mapping(path: Path = MAPPING) -> dict[str, str]:
    """The moves, old dotted name -> new dotted name."""
    moves: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            old, new = line.split()
            moves[old] = new
    return moves


_FROM_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<pkg>[\w.]+)[ \t]+import[ \t]+"
    r"(?:\((?P<paren>[^)]*)\)|(?P<plain>[^\n#]*?))(?P<tail>[ \t]*(?:#[^\n]*)?)$",
    re.MULTILINE,
)


def _rewrite_from_imports(text: str, moves: dict[str, str]) -> str:
    def replace(m: re.Match[str]) -> str:
        pkg = m["pkg"]
        body = m["paren"] if m["paren"] is not None else m["plain"]
        names = [n.strip() for n in body.replace("\n", " ").split(",") if n.strip()]
        groups: dict[str, list[str]] = {}
        for name in names:
            target = moves.get(f"{pkg}.{name.split()[0]}")
            parent, _, leaf = target.rpartition(".") if target else (pkg, "", "")
            alias = name if not target else (leaf + name[len(name.split()[0]) :])
            groups.setdefault(parent, []).append(alias)
        if list(groups) == [pkg]:
            return m[0]
        lines = [f"{m['indent']}from {parent} import {', '.join(sorted(group))}" for parent, group in groups.items()]
        lines[0] += m["tail"]
        return "\n".join(lines)

    return _FROM_IMPORT.sub(replace, text)


def rewrite(text: str, moves: dict[str, str]) -> str:
    """The text with every reference to a moved module pointing at its new place."""
    text = _rewrite_from_imports(text, moves)
    # Longest first, so a moved package's module is not caught by the package's own line.
    for old in sorted(moves, key=len, reverse=True):
        new = moves[old]
        text = re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, text)
        old_path, new_path = old.replace(".", "/"), new.replace(".", "/")
        text = re.sub(rf"(?<![\w./]){re.escape(old_path)}(?=\.py\b|/)", new_path, text)
    return text


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [ROOT / p for p in out.splitlines() if p.endswith(SUFFIXES) and p != "scripts/moved_modules.txt"]


def move_stragglers(moves: dict[str, str]) -> None:
    """`git mv` each module of the mapping still found at its old path (and not yet at its new one)."""
    for old, new in moves.items():
        source, target = ROOT / (old.replace(".", "/") + ".py"), ROOT / (new.replace(".", "/") + ".py")
        if source.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["git", "mv", str(source), str(target)], cwd=ROOT, check=True)
            print(f"moved {source.relative_to(ROOT)} -> {target.relative_to(ROOT)}")


_CONFLICT = re.compile(r"^<<<<<<< [^\n]*\n(.*?)^=======\n(.*?)^>>>>>>> [^\n]*\n", re.DOTALL | re.MULTILINE)


def _import_line(line: str) -> bool:
    return not line.strip() or line.startswith(("from ", "import ", "    ", ")"))


def settle_import_conflicts(path: Path) -> bool:
    """Keep both sides of each conflict in `path` made only of import lines; True when none is left."""

    def both(m: re.Match[str]) -> str:
        lines = m[1].splitlines(keepends=True) + m[2].splitlines(keepends=True)
        if not all(_import_line(line) for line in lines):
            return m[0]
        return "".join(dict.fromkeys(lines))

    text = _CONFLICT.sub(both, path.read_text())
    path.write_text(text)
    return "<<<<<<< " not in text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    moves = load_mapping()
    if "--imports-conflicts" in argv:
        out = subprocess.run(
            ["git", "diff", "--name-only", "--diff-filter=U"], cwd=ROOT, check=True, capture_output=True, text=True
        )
        for name in out.stdout.split():
            if name.endswith(".py") and not settle_import_conflicts(ROOT / name):
                print(f"conflict left for a person: {name}")
    if "--move" in argv and not check:
        move_stragglers(moves)
    paths = [Path(a) for a in argv if not a.startswith("--")] or tracked_files()
    changed = []
    for path in paths:
        if not path.is_file():
            continue
        text = path.read_text()
        new = rewrite(text, moves)
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new)
    for path in changed:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(("would rewrite " if check else "rewrote ") + str(shown))
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
