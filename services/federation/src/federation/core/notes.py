"""What a remote Note says, read the one way every capability reads it: whether it is public,
and the text its HTML content shows (no markup goes through, scripts and styles dropped,
leading mentions left out: they address people, they do not say anything), bounded."""

import re
from html.parser import HTMLParser
from typing import Any

from federation.publishing.rules import PUBLIC

# Beyond what any local reply may hold (the posts service cuts to its own limit): a bound on the
# event, not the rule for the text.
MAX_REMOTE_TEXT_CHARS = 5_000
# How the public collection may be named in `to`/`cc` (JSON-LD compacted forms too).
PUBLIC_NAMES = frozenset({PUBLIC, "as:Public", "Public"})
# Elements whose text is not shown (their content is code or metadata, not what was said).
_HIDDEN_ELEMENTS = frozenset({"script", "style", "template", "head", "title"})
_BREAKING_ELEMENTS = frozenset({"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "pre"})
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[^\s@]+(?:@[^\s@]+)?)+\s*")
_BLANK_LINES = re.compile(r"\n{3,}")


def is_public(note: dict[str, Any]) -> bool:
    audience: list[object] = []
    for field in ("to", "cc"):
        named = note.get(field)
        audience += named if isinstance(named, list) else [named]
    return any(isinstance(name, str) and name in PUBLIC_NAMES for name in audience)


def text_of(html: object) -> str:
    """The text a Note's HTML content shows: tags gone, entities decoded, paragraphs and line
    breaks kept as line breaks, leading mentions and control characters left out, bounded."""
    if not isinstance(html, str):
        return ""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = _CONTROL_CHARACTERS.sub("", "".join(parser.parts))
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return _LEADING_MENTIONS.sub("", text)[:MAX_REMOTE_TEXT_CHARS].strip()


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML fragment; nothing of its markup survives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BREAKING_ELEMENTS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_ELEMENTS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BREAKING_ELEMENTS and tag != "br":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            # Source line breaks are not the text's: HTML shows them as spaces.
            self.parts.append(re.sub(r"\s+", " ", data))
