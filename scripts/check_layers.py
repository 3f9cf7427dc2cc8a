#!/usr/bin/env python3
"""Checks two rules on src/ that keep the modules apart; prints each violation, exits 1 on any.

1. Layers: a source file includes another module's header ("store/object_store.hpp") only when
   its library links that module's library, directly or through a PUBLIC dependency, as declared
   in src/<module>/CMakeLists.txt (the build enforces the same through per-module include roots;
   this names the file and line).
2. Time is injected: std::chrono::steady_clock::now() and system_clock::now() (or an alias of
   either) appear only in src/common/clock.hpp; everything else asks a Clock.
3. Every .cpp under src/<module>/ is built by a library or program of src/<module>/CMakeLists.txt,
   so that rule 1 knows what it may include.

    python3 scripts/check_layers.py [REPO]
"""
import re
import sys
from pathlib import Path

COMMAND = re.compile(r"\b(add_library|add_executable|target_sources|target_link_libraries|mc_module_headers)"
                     r"\s*\(([^)]*)\)", re.S)
VISIBILITY = {"PUBLIC", "PRIVATE", "INTERFACE"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)
CLOCK_TYPE = r"(?:std::chrono::|chrono::)?(?:steady_clock|system_clock)"
ALIAS = re.compile(r"\busing\s+(\w+)\s*=\s*" + CLOCK_TYPE + r"\s*;")
CLOCK_ALLOWED = Path("src/common/clock.hpp")


class Target:
    def __init__(self, name):
        self.name, self.dir, self.sources = name, None, set()
        self.public, self.private = set(), set()


def parse_targets(src):
    targets = {}
    for cmake in sorted(src.glob("*/CMakeLists.txt")):
        text = re.sub(r"#[^\n]*", "", cmake.read_text())
        for command, args in COMMAND.findall(text):
            words = args.split()
            if not words or not (words[0].startswith("mc_") or command == "add_executable" or words[0] in targets):
                continue
            target = targets.setdefault(words[0], Target(words[0]))
            rest = words[1:]
            if command == "add_executable":
                # A program includes from its own directory as the library there does.
                target.dir = cmake.parent.name
            if command in ("add_library", "add_executable", "target_sources"):
                target.sources.update(cmake.parent / w for w in rest if w.endswith(".cpp"))
            elif command == "mc_module_headers":
                target.dir = rest[0]
            else:
                visibility = "PUBLIC"
                for word in rest:
                    if word in VISIBILITY:
                        visibility = word
                    elif word.startswith("mc_"):
                        (target.private if visibility == "PRIVATE" else target.public).add(word)
    return targets


def reachable_dirs(targets, name):
    """The module directories a target's own sources may include from."""
    dirs, seen = set(), set()
    pending = list(targets[name].public | targets[name].private)
    while pending:
        dep = pending.pop()
        if dep in seen or dep not in targets:
            continue
        seen.add(dep)
        if targets[dep].dir:
            dirs.add(targets[dep].dir)
        pending.extend(targets[dep].public)
    dirs.add(targets[name].dir)
    return dirs


def check_layers(repo, src):
    targets = parse_targets(src)
    modules = {t.dir for t in targets.values() if t.dir}
    allowed = {name: reachable_dirs(targets, name) for name in targets if targets[name].dir}
    problems = []
    for path in sorted(src.rglob("*.[ch]pp")):
        owners = [n for n in allowed if path in targets[n].sources]
        if not owners and path.suffix == ".hpp":
            # A header belongs to the target of its .cpp; one without counts for every target of its directory.
            twin = path.with_suffix(".cpp")
            owners = [n for n in allowed if twin in targets[n].sources] or \
                     [n for n in allowed if targets[n].dir == path.parent.name]
        if not owners:
            problems.append(f"{path.relative_to(repo)}: no library in src/{path.parent.name}/CMakeLists.txt builds it")
            continue
        may = set.union(*(allowed[n] for n in owners))
        text = path.read_text()
        for match in INCLUDE.finditer(text):
            module = match.group(1)
            if module in modules and module not in may:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(repo)}:{line}: includes {module}/ but {' or '.join(owners)} "
                                f"does not link its library (declare it in src/{path.parent.name}/CMakeLists.txt)")
    return problems


def check_clock(repo, src):
    problems = []
    for path in sorted(src.rglob("*.[ch]pp")):
        if path.relative_to(repo) == CLOCK_ALLOWED:
            continue
        text = path.read_text()
        names = [CLOCK_TYPE] + [re.escape(alias) for alias in ALIAS.findall(text)]
        now = re.compile(r"\b(?:" + "|".join(names) + r")::now\(\)")
        for match in now.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{path.relative_to(repo)}:{line}: reads the clock directly ({match.group(0)}); "
                            f"take a Clock (common/clock.hpp)")
    return problems


def main():
    repo = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent).resolve()
    src = repo / "src"
    problems = check_layers(repo, src) + check_clock(repo, src)
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
