"""Safe XML for appliance replies: bytes in, no DOCTYPE, no entities, no network.

Every reply is parsed from the response bytes (the encoding declaration decides,
never the Content-Type charset), names are matched on their local part because the
namespace differs by product and version, and a parser error is reported as it is:
nothing is recovered or repaired.
"""

import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

# What may come before the root element: the declaration, comments, PIs, space.
_PROLOG_LIMIT = 65536
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT_START_RE = re.compile(rb"<[A-Za-z_]")


class XmlRefused(ValueError):
    """The document is well-formed or not, but the product will not read it."""


class XmlParseError(ValueError):
    """The document is not well-formed XML; the message is the parser's own."""


_LOCAL_NAMES: dict[str, str] = {}


def local_name(tag: Any) -> str:
    """Return the tag without its namespace ("{ns}session" -> "session")."""
    if not isinstance(tag, str):
        return ""
    # A report repeats a few dozen tags hundreds of thousands of times.
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2]
        if len(_LOCAL_NAMES) > 10_000:
            _LOCAL_NAMES.clear()
    return name


def refuse_doctype(head: bytes) -> None:
    """Raise XmlRefused if a DOCTYPE appears before the root element."""
    root = _ROOT_START_RE.search(head)
    prolog = head[: root.start()] if root else head
    if _DOCTYPE_RE.search(prolog):
        raise XmlRefused("DTD not allowed: the reply carries a DOCTYPE declaration.")


def _parser_options(huge: bool) -> dict[str, Any]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": huge,
        "recover": False,
        "remove_blank_text": False,
    }


def parse_bytes(data: bytes) -> etree._Element:
    """Parse a small reply held in memory and return its root element."""
    if isinstance(data, str):
        raise TypeError(
            "parse_bytes needs the reply's bytes, not decoded text: the encoding "
            "declaration inside the document decides how it is read."
        )
    refuse_doctype(data[:_PROLOG_LIMIT])
    parser = etree.XMLParser(**_parser_options(huge=False))
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise XmlParseError(str(exc)) from exc
    _refuse_parsed_doctype(root.getroottree())
    return root


def _refuse_parsed_doctype(tree: Any) -> None:
    docinfo = tree.docinfo
    if (
        docinfo.doctype
        or docinfo.internalDTD is not None
        or docinfo.externalDTD is not None
    ):
        raise XmlRefused("DTD not allowed: the reply carries a DOCTYPE declaration.")


def iterparse_file(
    stream: IO[bytes],
    tags: tuple[str, ...] | None = None,
    events: tuple[str, ...] = ("start", "end"),
) -> Iterator[tuple[str, etree._Element]]:
    """Yield (event, element) pairs from a report file, then ("done", root).

    `tags` limits the start and end events to those names (`{*}name` matches any
    namespace); the tree is still built, so a matched element has its children.
    Huge text nodes are allowed (a pasted log in a chat line is real data), while
    entities, DTDs and the network stay off. The caller clears what it consumed.
    """
    head = stream.read(_PROLOG_LIMIT)
    refuse_doctype(head)
    stream.seek(0)
    context = etree.iterparse(
        stream, events=events, tag=tags, **_parser_options(huge=True)
    )
    checked = False
    try:
        for event, element in context:
            if not checked:
                _refuse_parsed_doctype(element.getroottree())
                checked = True
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise XmlParseError(str(exc)) from exc
    root = context.root
    if not checked and root is not None:
        _refuse_parsed_doctype(root.getroottree())
    yield "done", root


def text_of(element: etree._Element | None) -> str:
    """Return an element's text, empty for a missing or empty element."""
    if element is None:
        return ""
    return (element.text or "").strip()


def child(element: etree._Element, name: str) -> etree._Element | None:
    """Return the first direct child with local name `name`."""
    for item in element:
        if local_name(item.tag) == name:
            return item
    return None


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [item for item in element if local_name(item.tag) == name]
