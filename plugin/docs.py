"""Regenerate the README's configuration table from the settings table:
``python -m plugin.docs`` (tests fail when the README is out of date)."""
from __future__ import annotations

import re
from pathlib import Path

from plugin.settings import readme_table

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN, END = "<!-- settings-table:begin -->", "<!-- settings-table:end -->"


def main() -> None:
    text = README.read_text()
    block = f"{BEGIN}\n{readme_table()}\n{END}"
    text, n = re.subn(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    if n != 1:
        raise SystemExit(f"README.md needs one {BEGIN} ... {END} block")
    README.write_text(text)


if __name__ == "__main__":
    main()
