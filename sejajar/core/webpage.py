"""A saved web page reduced to its text, with libxml2's HTML parser (through lxml): linear in
the page's size whatever the markup, entities decoded, one block element per line.

What is dropped: scripts, styles and other code; navigation (``<nav>``, ``<aside>``,
``<footer>``). What is kept: everything else, the ``<header>`` too (it often holds the
headline). A navigation element left open swallows the rest of the page in any HTML parser, so
when a page opens more of them than it closes, and in a ``<form>`` (some sites wrap the whole
page in one), only their links and loose text are dropped, not the paragraphs and headings in
them.
"""

from __future__ import annotations

import re

# Never text: code, and what a reader does not read.
_CODE = frozenset({"script", "style", "noscript", "template", "svg", "math"})
_NAVIGATION = ("nav", "aside", "footer")
# Article content, kept inside an open navigation element or a form.
_CONTENT = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "article", "main", "blockquote", "figcaption"}
)
_BLOCK = _CONTENT | frozenset(
    {"div", "br", "li", "tr", "section", "title", "header", "figure", "dd", "dt", "pre", "hr"}
)
_NAV_TAG = re.compile(r"<(/?)(" + "|".join(_NAVIGATION) + r")[\s/>]", re.IGNORECASE)


class HTMLError(ValueError):
    """The page cannot be read (nested too deep for the parser): its text would be lost."""


def html_to_text(markup: str) -> str:
    """The text of an HTML page, block elements on their own lines; no tag survives."""
    from lxml import etree

    parser = etree.HTMLParser(
        encoding="utf-8",
        huge_tree=True,  # text nodes over 10 MB, nesting to 2048 levels
        no_network=True,
        remove_comments=True,
        remove_pis=True,
    )
    root = etree.fromstring(markup.encode("utf-8"), parser)
    fatal = [e for e in parser.error_log if e.level_name == "FATAL"]
    if fatal:
        raise HTMLError(f"HTML page cannot be read: {_reason(fatal[0].message)}")
    if root is None:
        return ""
    soft = {"form"} | _unclosed(markup)
    parts: list[str] = []
    # Per open element: (opens a softly dropped element, opens content inside one).
    stack: list[tuple[bool, bool]] = []
    dropping = keeping = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            opens_soft = tag in soft
            opens_content = bool(dropping) and tag in _CONTENT
            stack.append((opens_soft, opens_content))
            dropping += opens_soft
            keeping += opens_content
            if tag in _CODE or (tag in _NAVIGATION and tag not in soft):
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if element.text and (not dropping or keeping):
                parts.append(element.text.replace("\n", " "))
        else:
            opened_soft, opened_content = stack.pop()
            dropping -= opened_soft
            keeping -= opened_content
            if tag in _BLOCK:
                parts.append("\n")
            if element.tail and (not dropping or keeping):
                parts.append(element.tail.replace("\n", " "))
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


# libxml2's deepest nesting with ``huge_tree``, and its hint to C programmers about the option.
_DEPTH = re.compile(r"Excessive depth in document: (\d+)")
_HINT = re.compile(r"[,;]?\s*use XML_PARSE_HUGE option", re.IGNORECASE)


def _reason(message: str) -> str:
    """libxml2's fatal error as the user can act on it: no advice meant for its C interface."""
    depth = _DEPTH.search(message)
    if depth:
        return (
            f"its elements nest deeper than {depth.group(1)} levels; save the page's text instead"
        )
    return _HINT.sub("", message).strip()


def _unclosed(markup: str) -> set[str]:
    """The navigation elements the page opens more often than it closes."""
    balance = dict.fromkeys(_NAVIGATION, 0)
    for m in _NAV_TAG.finditer(markup):
        balance[m.group(2).lower()] += -1 if m.group(1) else 1
    return {tag for tag, count in balance.items() if count > 0}
