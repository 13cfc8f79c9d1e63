"""Message text the way the Telegram Bot API prepares it: HTML parse mode, entities, lengths.

The fake Bot API in :mod:`tests.support.botapi` must reject exactly the texts Telegram rejects,
otherwise a bug such as an unescaped ``<`` in user-supplied text passes every test and fails in
production. The HTML parser therefore follows tdlib's ``parse_html`` (the code behind the real
Bot API) step by step, including its error messages and its byte offsets, and all offsets and
lengths are counted in UTF-16 code units because that is what Telegram sends back in
``MessageEntity.offset``/``length`` and what its 4096-character limit counts.

One deliberate difference: tdlib silently keeps a ``&`` that does not start a valid entity,
while the Bot API documentation says every such ``&`` *must* be escaped. With
``strict_ampersand=True`` (the default) the fake server enforces the documented rule, so a
missing :func:`html.escape` is caught by tests even when the text happens to contain no ``<``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FormattedText",
    "TextError",
    "detect_entities",
    "parse_html",
    "prepare_text",
    "utf16_len",
]

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# tdlib's is_space(); "\0" doubles as the end-of-text sentinel exactly as in the C++ code.
_SPACES = frozenset(" \t\r\n\v\0")
_END = "\0"
_TRIM = " \t\n\v\f"
_ALLOWED_SCHEMES = ("http", "https", "tg", "ton", "tonsite", "ftp")

# Types whose text Telegram never scans for automatic entities (you cannot have a link in code).
_OPAQUE_TYPES = frozenset(
    {"code", "pre", "text_link", "text_mention", "custom_emoji", "url", "email"}
)


class TextError(Exception):
    """A text Telegram would refuse; ``description`` is the full Bot API error description.

    Args:
        description: The exact ``description`` field of the ``400`` response.
    """

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass
class FormattedText:
    """Plain text plus entities, i.e. what Telegram stores after parsing a request.

    Attributes:
        text: The text with tags removed and HTML entities decoded.
        entities: ``MessageEntity`` dicts, offsets and lengths in UTF-16 code units.
    """

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, Telegram's unit of length.

    Args:
        text: Any string.

    Returns:
        Code units: characters outside the BMP (most emoji) count twice.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_offsets(text: str) -> list[int]:
    """Prefix table mapping a Python index to a UTF-16 offset (``len(text) + 1`` entries)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


def _byte_offset(source: str, index: int) -> int:
    """Telegram reports HTML errors at UTF-8 byte offsets, not character indices."""
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``source[pos] == "&"`` like tdlib does.

    Only ``&lt; &gt; &amp; &quot;`` and numeric references are known; the ``;`` is optional.

    Returns:
        The decoded character and the index after the entity, or ``None`` if there is none.
    """
    size = len(source)
    end = pos + 1
    if end < size and source[end] == "#":
        end += 1
        if end < size and source[end] == "x":
            end += 1
            start = end
            while end < size and source[end] in "0123456789abcdefABCDEF":
                end += 1
            code = int(source[start:end], 16) if end > start else 0
        else:
            start = end
            while end < size and "0" <= source[end] <= "9":
                end += 1
            code = int(source[start:end]) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        start = end
        while end < size and source[end].isascii() and source[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(source[start:end])
        if named is None:
            return None
        char = named
    if end < size and source[end] == ";":
        end += 1
    return char, end


def _checked_link(url: str) -> str | None:
    """Normalise an ``<a href>`` the way Telegram does, or ``None`` when it would drop it.

    Telegram silently drops links it considers invalid instead of failing the request, and it
    adds ``http://`` and a trailing ``/`` to bare domains; tests comparing ``url`` see the same.
    """
    url = url.strip()
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$", url)
    if match:
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme not in _ALLOWED_SCHEMES or not rest:
            return None
    elif re.match(r"^[\w-]+(\.[\w-]+)+([/?#:].*)?$", url):
        scheme, rest = "http", url
    else:
        return None
    if scheme in ("http", "https", "ftp") and not re.search(r"[/?#]", rest):
        rest += "/"
    return f"{scheme}://{rest}"


def _link_entity(
    url: str, offset: int, length: int, users: Mapping[int, dict[str, Any]]
) -> dict[str, Any] | None:
    """Turn an ``<a>`` into ``text_mention`` (tg://user?id=) or ``text_link``, or drop it."""
    mention = re.match(r"^tg://user\?id=(\d+)$", url.strip())
    if mention:
        user_id = int(mention.group(1))
        user = users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": ""}
        return {"type": "text_mention", "offset": offset, "length": length, "user": dict(user)}
    checked = _checked_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag (tdlib's ``EntityInfo``)."""

    name: str
    argument: str
    utf16_offset: int
    text_index: int
    expandable: bool = False


def parse_html(
    source: str,
    *,
    strict_ampersand: bool = True,
    users: Mapping[int, dict[str, Any]] | None = None,
) -> FormattedText:
    """Parse ``parse_mode=HTML`` text exactly like the Bot API (tdlib ``parse_html``).

    Args:
        source: The text as sent by the bot.
        strict_ampersand: Reject a ``&`` that does not start an entity (see module docstring).
        users: Known users, used to fill ``text_mention`` entities for ``tg://user?id=``.

    Returns:
        The decoded plain text and its entities.

    Raises:
        TextError: With the same ``can't parse entities`` description Telegram would send.
    """
    known_users = users or {}
    size = len(source)

    def at(index: int) -> str:
        return source[index] if index < size else _END

    def fail(reason: str) -> TextError:
        return TextError(f"Bad Request: can't parse entities: {reason}")

    out: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[_OpenTag] = []
    i = 0
    while i < size:
        char = source[i]
        if char == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                utf16 += 2 if ord(char) > 0xFFFF else 1
                continue
            if strict_ampersand:
                raise fail(
                    f'Character "&" at byte offset {_byte_offset(source, i)} does not start an '
                    "HTML entity; escape it as &amp;"
                )
        if char != "<":
            out.append(char)
            utf16 += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= size:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            tag = source[begin + 1 : i].lower()
            if tag not in _SUPPORTED_TAGS:
                raise fail(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
                )
            opened = _OpenTag(tag, "", utf16, len(out))
            i = _parse_attributes(source, i, begin, opened, fail)
            if tag == "span" and opened.argument != "spoiler":
                raise fail(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            stack.append(opened)
            i += 1  # the ">"
            continue

        # An end tag.
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_name = source[begin + 2 : i].lower()
        while i < size and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise fail(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
        opened = stack[-1]
        if end_name and end_name != opened.name:
            raise fail(
                f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                f'expected "</{opened.name}>", found "</{end_name}>"'
            )
        i += 1
        stack.pop()
        if utf16 > opened.utf16_offset:
            _close_entity(opened, utf16, "".join(out[opened.text_index :]), entities, known_users)

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    text = "".join(out)
    if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        raise TextError(
            "Bad Request: can't parse entities: Text contains invalid Unicode characters after "
            "decoding HTML entities, check for unmatched surrogate code units"
        )
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return FormattedText(text, entities)


def _parse_attributes(source: str, i: int, begin: int, opened: _OpenTag, fail: Any) -> int:
    """Read the attributes of a start tag; return the index of its closing ``>``.

    Only the attributes Telegram understands set anything (``href``, ``class``, ``emoji-id``,
    ``expandable``); others are parsed for syntax and ignored, as tdlib does.
    """
    size = len(source)

    def at(index: int) -> str:
        return source[index] if index < size else _END

    tag = opened.name
    while at(i) != ">":
        while i < size and at(i) in _SPACES:
            i += 1
        if at(i) == ">":
            break
        name_begin = i
        while at(i) not in _SPACES and at(i) not in "=>":
            i += 1
        attribute = source[name_begin:i]
        if not attribute:
            raise fail(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        while i < size and at(i) in _SPACES:
            i += 1
        if at(i) != "=":
            if tag == "blockquote" and attribute == "expandable":
                opened.expandable = True
                continue
            if i >= size:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
            raise fail(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte '
                f"offset {_byte_offset(source, begin)}"
            )
        i += 1
        while i < size and at(i) in _SPACES:
            i += 1
        if i >= size:
            raise fail(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(source, begin)}')
        if at(i) not in "'\"":
            token_begin = i
            while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                i += 1
            value = source[token_begin:i].lower()
            if at(i) not in _SPACES and at(i) != ">":
                raise fail(
                    "Unexpected end of name token at byte offset "
                    f"{_byte_offset(source, token_begin)}"
                )
        else:
            quote = source[i]
            i += 1
            chars: list[str] = []
            while i < size and source[i] != quote:
                if source[i] == "&":
                    decoded = _decode_entity(source, i)
                    if decoded is not None:
                        chars.append(decoded[0])
                        i = decoded[1]
                        continue
                chars.append(source[i])
                i += 1
            if i < size:
                i += 1
            value = "".join(chars)
        if i >= size:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        if tag == "a" and attribute == "href":
            opened.argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            opened.argument = value[len("language-") :]
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            opened.argument = value[len("tg-") :]
        elif tag == "tg-emoji" and attribute == "emoji-id":
            opened.argument = value
        elif tag == "blockquote" and attribute == "expandable":
            opened.expandable = True
    return i


def _close_entity(
    opened: _OpenTag,
    utf16: int,
    inner_text: str,
    entities: list[dict[str, Any]],
    users: Mapping[int, dict[str, Any]],
) -> None:
    """Append the entity for a just-closed, non-empty tag (tdlib's end-tag branch)."""
    offset = opened.utf16_offset
    length = utf16 - offset
    tag = opened.name
    simple = _SIMPLE_TAG_TYPES.get(tag)
    if simple:
        entities.append({"type": simple, "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) == 0:
            raise TextError(
                "Bad Request: can't parse entities: Invalid custom emoji identifier specified"
            )
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": opened.argument,
            }
        )
    elif tag == "a":
        entity = _link_entity(opened.argument or inner_text, offset, length, users)
        if entity is not None:
            entities.append(entity)
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (offset, length)
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and (last["offset"], last["length"]) == (offset, length)
            and opened.argument
        ):
            last["language"] = opened.argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if opened.argument:
                entity["language"] = opened.argument  # kept until a <pre> claims it
            entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if opened.expandable else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/<>@])"),
    ),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?![\w-])")),
    ("url", re.compile(r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"']+")),
    ("mention", re.compile(r"(?<!\w)@[a-zA-Z0-9_]{2,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w{0,255}[^\W\d_]\w{0,255}(?![\w#])")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w$])")),
)


def detect_entities(text: str, existing: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Find the entities Telegram adds by itself: commands, links, e-mails, mentions, tags.

    Telegram reports these in every message, both the ones users send (``/start`` arrives as a
    ``bot_command`` entity, which PTB's ``CommandHandler`` relies on) and the ones bots send.

    Args:
        text: Plain text.
        existing: Entities already present; detection skips code, pre and links among them.

    Returns:
        New entities only (not including ``existing``), UTF-16 offsets.
    """
    offsets = _utf16_offsets(text)
    taken = [
        (entity["offset"], entity["offset"] + entity["length"])
        for entity in existing
        if entity["type"] in _OPAQUE_TYPES
    ]
    found: list[dict[str, Any]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?)]}'\"":
                    end -= 1
            begin16, end16 = offsets[start], offsets[end]
            if any(begin16 < stop and start16 < end16 for start16, stop in taken):
                continue
            taken.append((begin16, end16))
            found.append({"type": kind, "offset": begin16, "length": end16 - begin16})
    return found


def _trim(formatted: FormattedText) -> FormattedText:
    """Strip leading/trailing whitespace and clip entities, as Telegram does before storing."""
    text = formatted.text
    stripped = text.lstrip(_TRIM)
    lead = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip(_TRIM)
    total = utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def prepare_text(
    text: str | None,
    *,
    parse_mode: str | None = None,
    entities: Sequence[dict[str, Any]] | None = None,
    limit: int = 4096,
    is_caption: bool = False,
    strict_ampersand: bool = True,
    users: Mapping[int, dict[str, Any]] | None = None,
) -> FormattedText:
    """Turn a request's ``text``/``caption`` into what Telegram stores, validating it.

    Args:
        text: The raw text parameter (``None`` when absent).
        parse_mode: ``HTML`` (case-insensitive) or ``None``; Markdown modes are refused loudly
            because this fake does not implement them and silently accepting would hide bugs.
        entities: Explicit ``entities``/``caption_entities`` (used when no parse mode is set).
        limit: 4096 for message texts, 1024 for captions.
        is_caption: Captions may be empty and use the caption error messages.
        strict_ampersand: See :func:`parse_html`.
        users: Known users for ``text_mention`` entities.

    Returns:
        The final text and entities (auto-detected ones included).

    Raises:
        TextError: Empty or too long text, or HTML Telegram cannot parse.
    """
    raw = (text or "").replace("\r", "")  # tdlib drops carriage returns from every text
    mode = (parse_mode or "").lower()
    if mode == "none":
        mode = ""
    if mode == "html":
        formatted = parse_html(raw, strict_ampersand=strict_ampersand, users=users)
    elif mode in ("markdown", "markdownv2"):
        raise TextError(
            f"Bad Request: can't parse entities: parse_mode {parse_mode} is not implemented "
            "by the fake Bot API; use HTML"
        )
    elif mode:
        raise TextError(f"Bad Request: unsupported parse_mode {parse_mode}")
    else:
        formatted = FormattedText(raw, [dict(entity) for entity in entities or ()])
    formatted = _trim(formatted)
    if not formatted.text and not is_caption:
        raise TextError("Bad Request: message text is empty")
    if utf16_len(formatted.text) > limit:
        raise TextError(
            "Bad Request: message caption is too long"
            if is_caption
            else "Bad Request: message is too long"
        )
    formatted.entities.extend(detect_entities(formatted.text, formatted.entities))
    formatted.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return formatted
