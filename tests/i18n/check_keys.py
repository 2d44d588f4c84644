#!/usr/bin/env python3
"""Checks the interface strings (ui/i18n/*.json) against each other and against the UI.

Fails (exit 1, listing every problem) when:
- a key is in one language and not in the other;
- a string's {placeholder} set differs between the languages (for a plural entry, the
  set over all its forms);
- a plural entry (an object) lacks a form its language needs (en: one, other;
  ru: one, few, many, other), has a form that language does not have, or is a plural
  in one language and a plain string in the other;
- a key used by the UI is missing from en.json: literal t('key') calls in ui/**/*.js,
  and data-i18n* attributes in ui/index.html and ui/**/*.js.
Standard library only: `python3 tests/i18n/check_keys.py [ui-dir]`.
"""
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LANGS = ("en", "ru")
PLURAL_FORMS = {"en": {"one", "other"}, "ru": {"one", "few", "many", "other"}}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# t('key') / t("key") / t(`key`) with a literal key, not some_t( or obj.t(.
T_CALL = re.compile(r"(?<![\w.$])t\(\s*(['\"`])([^'\"`$]+)\1")
# data-i18n="key", data-i18n-title="key" (HTML) and 'data-i18n-title': 'key' (JS props).
ATTR_HTML = re.compile(r"\bdata-i18n(?:-[a-z-]+)?\s*=\s*\"([^\"]*)\"")
ATTR_JS = re.compile(r"['\"]data-i18n(?:-[a-z-]+)?['\"]\s*:\s*(['\"])([^'\"]+)\1")


def placeholders(value):
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts if isinstance(text, str) for name in PLACEHOLDER.findall(text)}


def check_tables(tables):
    problems = []
    en, ru = tables["en"], tables["ru"]
    for key in sorted(set(en) - set(ru)):
        problems.append(f"ru.json: missing key {key!r}")
    for key in sorted(set(ru) - set(en)):
        problems.append(f"en.json: missing key {key!r} (it is in ru.json)")
    for lang, table in tables.items():
        for key, value in table.items():
            if isinstance(value, dict):
                forms = set(value)
                need = PLURAL_FORMS[lang]
                for form in sorted(need - forms):
                    problems.append(f"{lang}.json: plural {key!r} lacks the form {form!r}")
                for form in sorted(forms - need):
                    problems.append(f"{lang}.json: plural {key!r} has the form {form!r}, which {lang} does not use")
                for form, text in value.items():
                    if not isinstance(text, str) or not text.strip():
                        problems.append(f"{lang}.json: plural {key!r} form {form!r} is not a non-empty string")
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"{lang}.json: {key!r} is not a non-empty string or a plural object")
    for key in sorted(set(en) & set(ru)):
        if isinstance(en[key], dict) != isinstance(ru[key], dict):
            problems.append(f"{key!r} is a plural in one language and a plain string in the other")
        a, b = placeholders(en[key]), placeholders(ru[key])
        if a != b:
            problems.append(f"{key!r}: placeholders differ: en {sorted(a)}, ru {sorted(b)}")
        if isinstance(en[key], dict) and "n" not in a:
            problems.append(f"{key!r}: a plural entry must use {{n}}")
    return problems


def used_keys(ui):
    """(key, where) for every key the UI names literally."""
    found = []
    for folder, dirs, files in os.walk(ui):
        dirs[:] = [d for d in dirs if d != "i18n"]
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, ROOT)
            if name.endswith(".js"):
                text = open(path, encoding="utf-8").read()
                patterns = [(T_CALL, 2), (ATTR_JS, 2)]
            elif name.endswith(".html"):
                text = open(path, encoding="utf-8").read()
                patterns = [(ATTR_HTML, 1)]
            else:
                continue
            for pattern, group in patterns:
                for m in pattern.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    found.append((m.group(group), f"{rel}:{line}"))
    return found


def main(argv):
    ui = os.path.abspath(argv[1]) if len(argv) > 1 else os.path.join(ROOT, "ui")
    tables = {}
    problems = []
    for lang in LANGS:
        path = os.path.join(ui, "i18n", f"{lang}.json")
        try:
            with open(path, encoding="utf-8") as f:
                tables[lang] = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{path}: cannot be read: {e}")
    if len(tables) == len(LANGS):
        problems += check_tables(tables)
        used = used_keys(ui)
        for key, where in used:
            if key not in tables["en"]:
                problems.append(f"{where}: key {key!r} is not in en.json")
        if not used:
            problems.append(f"no t('…') calls or data-i18n attributes found under {ui}")
    if problems:
        print(f"i18n: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"i18n: {len(tables['en'])} keys in {', '.join(LANGS)}; {len(used)} uses in the UI; all consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
