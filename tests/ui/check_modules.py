#!/usr/bin/env python3
"""Checks that ui/index.html preloads every module of the page, and nothing else.

The page is plain ES modules with no build step. Without preloads WebKit finds them one
level at a time (main.js, then what it imports, then what those import), each level a
round trip to the app's asset protocol before the first paint; `<link rel="modulepreload">`
for each fetches them all while the HTML is parsed. Fails (exit 1, listing each problem)
when main.js or a module under ui/ that it reaches is not preloaded, or a preload names a file
that is not such a module. Standard library only: `python3 tests/ui/check_modules.py`.
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UI = os.path.join(ROOT, "ui")
IMPORT = re.compile(r"^\s*import\s+(?:[^'\"]*?\s+from\s+)?['\"](\.[^'\"]+)['\"]", re.M)
PRELOAD = re.compile(r"<link\s+rel=\"modulepreload\"\s+href=\"([^\"]+)\"\s*>")
ENTRY = re.compile(r"<script\s+type=\"module\"\s+src=\"([^\"]+)\"")


def reached(entry):
    """Every module `entry` imports, directly or not, as paths relative to ui/."""
    seen, todo = set(), [entry]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        with open(os.path.join(UI, rel), encoding="utf-8") as f:
            source = f.read()
        base = os.path.dirname(rel)
        for spec in IMPORT.findall(source):
            todo.append(os.path.normpath(os.path.join(base, spec)))
    return seen


def main():
    with open(os.path.join(UI, "index.html"), encoding="utf-8") as f:
        html = f.read()
    entries = ENTRY.findall(html)
    if len(entries) != 1:
        sys.exit(f"ui/index.html: expected one module script, found {entries}")
    modules = reached(entries[0])
    preloaded = PRELOAD.findall(html)
    problems = [f"not preloaded in ui/index.html: {m}" for m in sorted(modules - set(preloaded))]
    problems += [f"preloaded but not a module of the page: {p}" for p in preloaded if p not in modules]
    problems += [f"preloaded twice: {p}" for p in sorted({p for p in preloaded if preloaded.count(p) > 1})]
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ui/index.html preloads all {len(modules)} modules of the page")


if __name__ == "__main__":
    main()
