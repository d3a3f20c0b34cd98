"""Generate docs/cli.md from the parsers' own --help, so the reference cannot drift.

python -m testimonia.cli_reference > docs/cli.md
"""

from __future__ import annotations

import argparse
import os

from testimonia.cli import build_parser

WIDTH = "100"


def _parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend(_parsers(sub, (*path, name)))
    return found


def render() -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH  # argparse wraps to the terminal: fix it for stable output
    try:
        parts = [
            "# Command-line reference\n\n",
            "Generated from `testimonia ... --help` by `python -m testimonia.cli_reference`; "
            "a test fails when this file is out of date.\n",
        ]
        for path, parser in _parsers(build_parser()):
            title = " ".join(("testimonia", *path))
            parts.append(f"\n## `{title}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
        return "".join(parts)
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


if __name__ == "__main__":
    print(render(), end="")
