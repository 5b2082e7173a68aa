#!/usr/bin/env python3
"""The core's modules import each other without a cycle (issue 14: the layers are real).

Reads core/src: every module (a file, or a folder's mod.rs), every path it names into another
module of the crate (`crate::a::b`, `super::c`, `self::d`, in `use` lines and in code), tests
left out (`#[cfg(test)] mod tests { … }` to the end of the file). A module naming its own
submodules' items is allowed only through `mod` and `pub use` (a folder's front door); any other
edge counts. Prints the cycles it finds and exits 1, or prints the layers and exits 0.

    python3 scripts/check-imports.py [core/src]
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "core", "src")
root = os.path.normpath(root)

modules = {}  # module path tuple -> file
for dirpath, _, files in os.walk(root):
    for name in files:
        if not name.endswith(".rs"):
            continue
        rel = os.path.relpath(os.path.join(dirpath, name), root)
        parts = rel[:-3].split(os.sep)
        if parts[-1] in ("mod", "lib"):
            parts = parts[:-1]
        modules[tuple(parts)] = os.path.join(dirpath, name)

path_re = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
group_re = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def target(mod, base, rest):
    """The module a path names: the longest module prefix of it."""
    if base == "crate":
        start = ()
    elif base == "super":
        start = mod[:-1]
    else:
        start = mod
    parts = list(start) + [p for p in rest.split("::") if p]
    while parts and tuple(parts) not in modules:
        parts.pop()
    return tuple(parts)


def strip_tests(text):
    m = re.search(r"#\[cfg\(test\)\]\s*mod tests\b", text)
    return text[: m.start()] if m else text


def strip_comments(text):
    return re.sub(r"//[^\n]*", "", text)


edges = {m: set() for m in modules}
for mod, path in modules.items():
    with open(path, encoding="utf-8") as f:
        text = strip_comments(strip_tests(f.read()))
    named = []
    for m in group_re.finditer(text):
        for item in re.split(r",", re.sub(r"\{[^{}]*\}", "", m.group(3))):
            item = item.strip().split(" as ")[0]
            if item and item != "self":
                named.append((m.group(1), m.group(2) + "::" + item, m.start()))
            elif item == "self":
                named.append((m.group(1), m.group(2), m.start()))
    for m in path_re.finditer(text):
        named.append((m.group(1), m.group(2), m.start()))
    for base, rest, at in named:
        t = target(mod, base, rest)
        if t == mod or t == ():
            continue
        # A folder's front door re-exports its children: `pub use child::X` is not an edge.
        line_start = text.rfind("\n", 0, at) + 1
        line = text[line_start : text.find("\n", at)]
        if t[: len(mod)] == mod and line.lstrip().startswith(("pub use", "pub(crate) use")):
            continue
        edges[mod].add(t)

# Tarjan's strongly connected components.
index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        comps.append(comp)


sys.setrecursionlimit(10000)
for v in modules:
    if v not in index:
        visit(v)

name = lambda m: "::".join(m) or "crate"
cycles = [c for c in comps if len(c) > 1]
if cycles:
    for c in cycles:
        members = sorted(c)
        print("import cycle:", " ⇄ ".join(name(m) for m in members))
        for m in members:
            for t in sorted(edges[m]):
                if t in c:
                    print(f"    {name(m)} -> {name(t)}")
    sys.exit(1)
print(f"imports: {len(modules)} modules, {sum(len(e) for e in edges.values())} edges, no cycle")
