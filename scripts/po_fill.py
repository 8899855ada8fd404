"""Fill msgstr values of a .po file from a JSON object {msgid: msgstr}.

    python scripts/po_fill.py locale/en/LC_MESSAGES/messages.po translations.json

Translators may edit the .po directly; this is for adding many at once.
"""

import json
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, json_path: str) -> int:
    with open(po_path, "rb") as fh:
        catalog = read_po(fh)
    with open(json_path, encoding="utf-8") as fh:
        wanted = json.load(fh)
    unknown = [k for k in wanted if k not in catalog]
    for msgid, msgstr in wanted.items():
        if msgid in catalog:
            catalog[msgid].string = msgstr
            catalog[msgid].flags.discard("fuzzy")
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True, include_lineno=False)
    for msgid in unknown:
        print(f"not in the catalogue (run `just i18n` first?): {msgid!r}", file=sys.stderr)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
