#!/usr/bin/env python3
"""Check that SQL files parse with sqlfluff's grammar for a dialect.

Usage: python3 scripts/lint_sql.py [--dialect redshift] FILE_OR_DIR...

Each .sql file (directories are searched recursively) is parsed whole; `-`
reads one SQL text from stdin, reported as `<stdin>`. Only the grammar is
checked, never sqlfluff's style rules. For every problem it prints
`path:line:col: unparsable: <first 80 chars>` (or `... missing ';' between
statements`, which sqlfluff itself tolerates), then `N files parsed, M failed`.
Exit status: 0 all parsed, 1 some failed, 2 bad usage.

Notes: dollar-quoted procedure bodies ($$ ... $$) are string literals to
sqlfluff, so their contents are not checked. After a statement that does not
parse, sqlfluff usually marks the rest of the file as one unparsable segment,
so in practice you get the first failure in each file.
"""
import argparse
import sys
from pathlib import Path

from sqlfluff.core import FluffConfig, Linter

SKIP = ("whitespace", "newline", "comment", "indent", "dedent", "end_of_file")


def problems(linter, sql):
    """Yield (line, col, message) for each grammar problem in `sql`."""
    tree = linter.parse_string(sql).tree
    if tree is None:  # only if lexing itself gave up
        yield 1, 1, "unparsable: " + " ".join(sql.split())[:80]
        return
    for seg in tree.recursive_crawl("unparsable"):
        text = " ".join(seg.raw.split())[:80]
        yield seg.pos_marker.line_no, seg.pos_marker.line_pos, "unparsable: " + text
    # sqlfluff accepts `stmt1 stmt2;`; Redshift does not.
    top = [s for s in tree.segments if not s.is_type(*SKIP)]
    for a, b in zip(top, top[1:]):
        if a.is_type("statement") and b.is_type("statement"):
            yield b.pos_marker.line_no, b.pos_marker.line_pos, "missing ';' between statements"


def expand(args):
    for arg in args:
        p = Path(arg)
        if arg == "-" or p.is_file():
            yield arg
        elif p.is_dir():
            yield from (str(f) for f in sorted(p.rglob("*.sql")) if f.is_file())
        else:
            raise FileNotFoundError(arg)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Parse SQL files with sqlfluff.")
    ap.add_argument("--dialect", default="redshift")
    ap.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    args = ap.parse_args(argv)  # exits 2 on bad usage
    try:
        linter = Linter(config=FluffConfig(overrides={"dialect": args.dialect}))
        files = list(expand(args.paths))
    except FileNotFoundError as e:
        print(f"lint_sql: no such file or directory: {e.args[0]}", file=sys.stderr)
        return 2
    except KeyError:
        print(f"lint_sql: unknown dialect: {args.dialect}", file=sys.stderr)
        return 2
    if args.paths.count("-") > 1:
        print("lint_sql: '-' may be given only once", file=sys.stderr)
        return 2
    failed = 0
    for f in files:
        name = "<stdin>" if f == "-" else f
        sql = sys.stdin.read() if f == "-" else Path(f).read_text(encoding="utf-8")
        bad = False
        for line, col, msg in problems(linter, sql):
            print(f"{name}:{line}:{col}: {msg}")
            bad = True
        failed += bad
    print(f"{len(files)} files parsed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
