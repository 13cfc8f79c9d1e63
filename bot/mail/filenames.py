"""Turn an attachment name chosen by a stranger into one that is safe to store and show.

Attachment names come from email headers written by any mail client (or any attacker): they may
carry directories (``../../etc/passwd``, ``C:\\Users\\x.pdf``), control characters that break
logs and Telegram captions, names Windows refuses (``CON``, ``aux.txt``) or be absurdly long.
Everything downstream (disk storage, Telegram ``send_document``) receives only the output of
:func:`safe_filename`.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_FILENAME", "safe_filename"]

#: Longest name kept, in characters. Telegram shows ~60; filesystems allow 255 bytes.
MAX_FILENAME = 120

#: Device names Windows refuses as file names, with or without an extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
_UNSAFE_CHARS = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
#: A plausible extension: a dot and 1-10 letters/digits at the end.
_EXTENSION = re.compile(r"(\.[A-Za-z0-9]{1,10})$")


def _is_control(char: str) -> bool:
    # Cc = C0/C1 controls, Cf = format characters such as RTL overrides used to fake extensions.
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}


def safe_filename(name: str | None, fallback: str) -> str:
    """Return a file name that cannot escape a directory nor confuse a reader.

    Steps, each because a real mail did it: keep only the last path component for both ``/``
    and ``\\`` separators (Windows clients send full paths); NFC-normalise so the same name
    typed on macOS and Windows compares equal; drop control and bidi-format characters (an RTL
    override can make ``exe.pdf`` look like ``fdp.exe``); drop characters Windows forbids;
    strip leading dots (hidden files, ``..``) and trailing dots/spaces; rename reserved device
    names; cap the length while keeping the extension.

    Args:
        name: The name from ``Content-Disposition``/``Content-Type``, already RFC 2231/2047
            decoded, or ``None`` when the part has none.
        fallback: Used when nothing usable is left, e.g. ``"lampiran-1.pdf"``. It is cleaned
            the same way, and ``"lampiran"`` is used if even the fallback is empty.

    Returns:
        A non-empty name of at most :data:`MAX_FILENAME` characters without separators.
    """
    cleaned = _clean(name or "")
    if not cleaned:
        cleaned = _clean(fallback) or "lampiran"
    return cleaned


def _clean(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = "".join(" " if char in "\t\r\n" else char for char in name)
    name = "".join(char for char in name if not _is_control(char))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_CHARS.sub("_", name)
    name = _SPACES.sub(" ", name).strip()
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        return ""
    stem = name.split(".", 1)[0]
    if stem.lower() in _RESERVED:
        name = f"_{name}"
    return _cap(name)


def _cap(name: str) -> str:
    if len(name) <= MAX_FILENAME:
        return name
    match = _EXTENSION.search(name)
    extension = match.group(1) if match else ""
    stem = name[: len(name) - len(extension)]
    return stem[: MAX_FILENAME - len(extension)].rstrip(". ") + extension
