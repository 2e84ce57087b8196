"""Fill the English msgstr of a .po file from a JSON dict {msgid: msgstr}; prints what is still untranslated.

Usage: python scripts/po_fill.py heatline/<app>/locale/en/LC_MESSAGES/django.po translations.json
"""

import json
import re
import sys
from pathlib import Path


def unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(po_path: Path, translations: dict[str, str]) -> list[str]:
    text = po_path.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    missing: list[str] = []
    out = []
    for block in blocks:
        lines = block.split("\n")
        id_lines: list[str] = []
        str_index = None
        mode = None
        for index, line in enumerate(lines):
            if line.startswith("msgid "):
                mode = "id"
                id_lines = [line[6:]]
            elif line.startswith("msgstr "):
                mode = "str"
                str_index = index
            elif line.startswith('"') and mode == "id":
                id_lines.append(line)
        if not id_lines or str_index is None or "msgid_plural" in block:
            out.append(block)
            continue
        msgid = unquote(id_lines)
        if not msgid:  # the header: not fuzzy, or msgfmt drops it with the charset
            out.append("\n".join(line for line in lines if line != "#, fuzzy"))
            continue
        current = unquote(
            [line for line in [lines[str_index][7:], *lines[str_index + 1 :]] if line.startswith('"')]
        )
        new = translations.get(msgid, current)
        if not new:
            missing.append(msgid)
        lines = [line for line in lines[:str_index] if not line.startswith("#, fuzzy")] + [
            f"msgstr {quote(new)}"
        ]
        out.append("\n".join(re.sub(r"^#, fuzzy, ", "#, ", line) for line in lines))
    po_path.write_text("\n\n".join(out), encoding="utf-8")
    return missing


if __name__ == "__main__":
    po, table = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    left = fill(po, table)
    print(f"{len(left)} untranslated")
    for msgid in left:
        print("  ", msgid)
