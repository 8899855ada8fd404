"""Checks every HTML response as a strict reader would: a page that breaks any of these
rules fails the test that fetched it, whatever that test was about."""

from __future__ import annotations

from collections import Counter
from xml.etree.ElementTree import Element

import html5lib


class PageError(AssertionError):
    pass


def parse(text: str, *, fragment: bool) -> Element:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        if fragment:
            root = Element("fragment")
            for child in parser.parseFragment(text):
                root.append(child)
            return root
        return parser.parse(text)
    except html5lib.html5parser.ParseError as exc:
        line, col = parser.errors[-1][0] if parser.errors else ("?", "?")
        raise PageError(f"invalid HTML at line {line}, column {col}: {exc}") from None


def check_html(text: str, *, fragment: bool = False, where: str = "") -> Element:
    """Fail on invalid HTML, duplicate ids, a missing <title>/lang/<h1>, a form without
    action, or an aria-describedby that points nowhere."""
    prefix = f"{where}: " if where else ""
    root = parse(text, fragment=fragment)
    ids = Counter(el.get("id") for el in root.iter() if el.get("id"))
    dupes = sorted(i for i, n in ids.items() if n > 1)
    if dupes:
        raise PageError(f"{prefix}duplicate ids: {dupes}")
    for form in root.iter("form"):
        if not form.get("action"):
            raise PageError(f"{prefix}a <form> without action: {form.attrib}")
        if form.get("method", "get").lower() not in {"get", "post"}:
            raise PageError(f"{prefix}a <form> with method {form.get('method')!r}")
    if not fragment:
        title = root.find("head/title")
        if title is None or not (title.text or "").strip():
            raise PageError(f"{prefix}no <title>")
        if not root.get("lang"):
            raise PageError(f"{prefix}<html> without lang")
        h1s = list(root.iter("h1"))
        if len(h1s) != 1:
            raise PageError(f"{prefix}{len(h1s)} <h1> elements, expected exactly one")
    for el in root.iter():
        if el.get("id") and el.get("aria-describedby"):
            missing = [i for i in el.get("aria-describedby").split() if i not in ids]
            if missing:
                raise PageError(f"{prefix}aria-describedby points nowhere: {missing}")
    return root


def text_of(el: Element) -> str:
    return " ".join("".join(el.itertext()).split())
