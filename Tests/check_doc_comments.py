#!/usr/bin/env python3
"""List public declarations in Sources/**/*.swift that have no `///` (or `/** */`) doc comment.

    python3 Tests/check_doc_comments.py [ROOT ...]     # default: Sources; exit 1 if any are listed

`make doccomments` runs it, and `make lint` (the first step of `make test`) runs that. A declaration
is public when it carries `public` or `open`, or when it sits directly inside a `public extension`
without an access modifier of its own. Its doc comment must end on the line right above it (attribute
lines such as `@inlinable` may come between). Extensions themselves need none: DocC shows their
members under the extended type.

Exempt, because the protocol they implement documents them: `description`, `debugDescription`,
`hash(into:)`, `hashValue`, `encode(to:)`, `init(from:)`, `errorDescription`, `makeIterator()`,
`init(stringLiteral:)` and the other literal initialisers, and operator functions (`==`, `<`, `+`, …).
Enum cases of public enums are listed only with `--cases` (most name themselves; DocC does not
warn about them either).
"""
import os
import re
import sys

DECLARATION = re.compile(
    r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*"  # attributes on the same line
    r"(?P<modifiers>(?:(?:public|open|internal|fileprivate|private|package)(?:\(set\))?\s+|"
    r"(?:static|class|final|override|mutating|nonmutating|convenience|required|indirect|lazy|nonisolated|"
    r"dynamic|weak|unowned|prefix|postfix|infix|consuming|borrowing|distributed)\s+)*)"
    r"(?P<kind>func|var|let|init[?!]?|struct|class|enum|protocol|actor|typealias|subscript|extension|case|"
    r"associatedtype|operator|macro)\b(?P<rest>.*)$")

EXEMPT_NAMES = {
    "description", "debugDescription", "hashValue", "errorDescription", "failureReason", "recoverySuggestion",
    "helpAnchor", "customMirror", "playgroundDescription",
}
EXEMPT_FUNCS = re.compile(
    r"^\s*(hash\(into|encode\(to|makeIterator\(|index\(after|index\(before|formIndex\()")
EXEMPT_INITS = re.compile(
    r"^\s*[?!]?\((argument:|from decoder|from:|stringLiteral|integerLiteral|floatLiteral|booleanLiteral|arrayLiteral|"
    r"dictionaryLiteral|unicodeScalarLiteral|extendedGraphemeClusterLiteral|nilLiteral)")
OPERATOR_FUNC = re.compile(r"^\s*[^\w\s(]+\s*[(<]")
ACCESS = re.compile(r"\b(public|open|internal|fileprivate|private|package)\b")


def strip_strings_and_comments(line, state):
    """The code of `line` with string contents and comments removed; `state` tracks multi-line
    string literals and block comments across lines."""
    out, i = [], 0
    while i < len(line):
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block"], i = False, end + 2
            continue
        if state["multiline"]:
            end = line.find('"""', i)
            if end < 0:
                return "".join(out)
            state["multiline"], i = False, end + 3
            continue
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"], i = True, i + 2
            continue
        if line.startswith('"""', i):
            state["multiline"], i = True, i + 3
            continue
        if line[i] == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append('""')
            i = j + 1
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


def has_doc_comment(lines, index):
    """Whether a doc comment ends right above line `index` (skipping attribute-only lines)."""
    k = index - 1
    while k >= 0 and re.match(r"^\s*@[\w.]+(\(.*\))?\s*$", lines[k]):
        k -= 1
    if k < 0:
        return False
    above = lines[k].strip()
    return above.startswith("///") or (above.endswith("*/") and _block_is_doc(lines, k))


def _block_is_doc(lines, k):
    while k >= 0:
        if "/*" in lines[k]:
            return "/**" in lines[k]
        k -= 1
    return False


def exempt(kind, rest):
    if kind in ("extension", "operator"):
        return True
    if kind in ("var", "let"):
        name = re.match(r"\s*(\w+)", rest)
        return bool(name) and name.group(1) in EXEMPT_NAMES
    if kind == "func":
        return bool(EXEMPT_FUNCS.match(rest) or OPERATOR_FUNC.match(rest))
    if kind.startswith("init"):
        return bool(EXEMPT_INITS.match(rest))
    return False


def scan_file(path, include_cases=False):
    """[(line number, declaration)] of undocumented public declarations in one file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    state = {"block": False, "multiline": False}
    depth = 0
    public_extension_depths = set()  # brace depths whose members are public by default
    public_enum_depths = set()
    problems = []
    for index, raw in enumerate(lines):
        in_literal = state["multiline"] or state["block"]
        code = strip_strings_and_comments(raw, state)
        match = None if in_literal else DECLARATION.match(code)
        if match:
            modifiers, kind, rest = match.group("modifiers"), match.group("kind"), match.group("rest")
            explicit = ACCESS.search(modifiers)
            is_public = bool(explicit and explicit.group(1) in ("public", "open"))
            if not explicit and depth in public_extension_depths and kind != "case":
                is_public = True
            if kind == "case" and depth in public_enum_depths and include_cases:
                is_public = True
            opens_block = "{" in code
            if kind == "extension" and is_public and opens_block:
                public_extension_depths.add(depth + 1)
            if kind == "enum" and is_public and opens_block:
                public_enum_depths.add(depth + 1)
            if is_public and not exempt(kind, rest) and not has_doc_comment(lines, index):
                problems.append((index + 1, raw.strip()))
        for char in code:
            if char == "{":
                depth += 1
            elif char == "}":
                public_extension_depths.discard(depth)
                public_enum_depths.discard(depth)
                depth -= 1
    return problems


def swift_files(roots):
    for root in roots:
        for directory, subdirectories, files in os.walk(root):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and not d.endswith(".docc"))
            for name in sorted(files):
                if name.endswith(".swift"):
                    yield os.path.join(directory, name)


def main(argv):
    include_cases = "--cases" in argv
    roots = [a for a in argv if not a.startswith("--")] or ["Sources"]
    count = 0
    for path in swift_files(roots):
        for line, declaration in scan_file(path, include_cases):
            print(f"{path}:{line}: public declaration without a /// doc comment: {declaration}")
            count += 1
    if count:
        print(f"{count} public declaration(s) without a doc comment", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
