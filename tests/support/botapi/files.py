"""Files as Telegram keeps them: uploads by the bot, files users sent, ``getFile`` and downloads.

Telegram never sends file contents in an update: a message carries ``file_id``s, the bot asks
``getFile`` for a ``file_path`` and downloads ``/file/bot<token>/<file_path>``; files over
20 MB cannot be fetched that way. A photo arrives as several sizes, each a file of its own, and
a ``file_id`` of a photo cannot be sent as a document. The fake imitates each of these, so
the bot's attachment handling meets the same shapes and refusals as in production.
"""

from __future__ import annotations

import copy
import mimetypes
import re
import secrets
import struct
from typing import Any

from tests.support.botapi.model import (
    MAX_DOWNLOAD_SIZE,
    WRONG_FILE,
    Files,
    JSONDict,
    StoredFile,
    bad,
)
from tests.support.botapi.state import ApiState, api_method

_WRONG_FILE = WRONG_FILE.removeprefix("Bad Request: ")


def image_size(content: bytes) -> tuple[int, int] | None:
    """Read width and height of a PNG or JPEG, so photo sizes look like Telegram's."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    if content[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(content):
            if content[index] != 0xFF:
                index += 1
                continue
            marker = content[index + 1]
            length = int.from_bytes(content[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", content[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + length
    return None


class FileMethods(ApiState):
    """The file store, the ``getFile`` method and the helpers media sends use."""

    def _new_file(
        self,
        content: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        uploaded: bool = False,
    ) -> StoredFile:
        """Store a file under ids shaped like Telegram's (the prefix tells the kind)."""
        self._file_counter += 1
        number = self._file_counter
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}
        file_id = f"{prefix.get(kind, 'BQAC')}{number:05d}{secrets.token_hex(10)}"
        unique = f"AQAD{number:05d}{secrets.token_hex(3)}"
        folder = {"photo": "photos", "video": "videos", "audio": "music"}.get(kind, "documents")
        extension = ".jpg" if kind == "photo" else ""
        if kind != "photo" and file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            content=content,
            kind=kind,
            file_name=file_name if kind != "photo" else None,
            mime_type=mime_type if kind != "photo" else "image/jpeg",
            file_path=f"{folder}/file_{number}{extension}",
            uploaded_by_bot=uploaded,
        )
        self._files[file_id] = stored
        return stored

    def _new_photo(self, content: bytes, *, uploaded: bool) -> StoredFile:
        """Register a photo the way Telegram does: several sizes, each its own file."""
        width, height = image_size(content) or (800, 600)
        scale = min(1.0, 90 / max(width, height, 1))
        thumb = self._new_file(content, "photo", uploaded=uploaded)
        thumb.width, thumb.height = max(int(width * scale), 1), max(int(height * scale), 1)
        main = self._new_file(content, "photo", uploaded=uploaded)
        main.width, main.height = width, height
        sizes = [
            {
                "file_id": item.file_id,
                "file_unique_id": item.file_unique_id,
                "file_size": len(item.content),
                "width": item.width,
                "height": item.height,
            }
            for item in (thumb, main)
        ]
        thumb.sizes, main.sizes = sizes[:1], sizes
        return main

    @staticmethod
    def _file_object(stored: StoredFile) -> JSONDict:
        result: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if stored.kind == "photo":
            return result
        if stored.file_name:
            result["file_name"] = stored.file_name
        if stored.mime_type:
            result["mime_type"] = stored.mime_type
        if stored.kind in ("video", "audio"):
            result["duration"] = 0
        if stored.kind == "video":
            result.update(width=0, height=0)
        return result

    def _input_file(self, value: Any, files: Files, field_name: str, kind: str) -> StoredFile:
        """Resolve a file parameter: multipart upload, ``attach://``, file_id or URL.

        PTB uploads the file of ``sendPhoto`` as a multipart part named like the parameter
        itself (``photo``); ``attach://<part>`` names another part, as Telegram allows.
        """
        upload = files.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad(_WRONG_FILE)
        if upload is not None:
            if not upload.content:
                raise bad("file must be non-empty")
            if kind == "photo":
                return self._new_photo(upload.content, uploaded=True)
            mime = upload.content_type or mimetypes.guess_type(upload.filename)[0]
            return self._new_file(
                upload.content, kind, file_name=upload.filename, mime_type=mime, uploaded=True
            )
        if not value:
            raise bad(f"there is no {field_name} in the request")
        if not isinstance(value, str):
            raise bad(_WRONG_FILE)
        if re.match(r"^https?://", value):  # Telegram would download it; we cannot
            name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
            if kind == "photo":
                return self._new_photo(b"", uploaded=True)
            return self._new_file(b"", kind, file_name=name, uploaded=True)
        stored = self._files.get(value)
        if stored is None:
            raise bad(_WRONG_FILE)
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad("type of file mismatch")
        return stored

    def _media_content(self, stored: StoredFile, kind: str) -> JSONDict:
        """The ``photo``/``document``... member of a Message carrying ``stored``."""
        if kind == "photo":
            return {"photo": copy.deepcopy(stored.sizes or [self._file_object(stored)])}
        return {kind: self._file_object(stored)}

    @api_method("getFile")
    def _get_file(self, p: JSONDict, files: Files) -> Any:
        stored = self._files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ test side

    def add_file(
        self,
        content: bytes,
        file_name: str = "file.bin",
        mime_type: str | None = None,
        *,
        kind: str = "document",
    ) -> tuple[str, str]:
        """Register a file as if a user had sent it; the bot can then ``getFile`` it.

        Args:
            content: File bytes.
            file_name: Original file name.
            mime_type: MIME type; guessed from ``file_name`` when omitted.
            kind: ``document``, ``photo``, ``video`` or ``audio``.

        Returns:
            ``(file_id, file_unique_id)``.
        """
        with self._lock:
            if kind == "photo":
                stored = self._new_photo(content, uploaded=False)
            else:
                mime = mime_type or mimetypes.guess_type(file_name)[0]
                stored = self._new_file(content, kind, file_name=file_name, mime_type=mime)
            return stored.file_id, stored.file_unique_id

    def _user_file(
        self,
        content: bytes | None,
        file_id: str | None,
        kind: str,
        file_name: str | None,
        mime_type: str | None,
    ) -> StoredFile:
        """The file a user sends: new bytes, or one registered before with :meth:`add_file`."""
        if file_id is not None:
            stored = self._files.get(file_id)
            if stored is None or (stored.kind == "photo" and kind != "photo"):
                raise KeyError(f"no {kind} registered with file_id {file_id!r}")
            if kind == "photo" and not stored.sizes:  # add_file() of a document: make it a
                stored.kind = "photo"  # one-size photo referencing that very file
                stored.width, stored.height = image_size(stored.content) or (800, 600)
                stored.sizes = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "file_size": len(stored.content),
                        "width": stored.width,
                        "height": stored.height,
                    }
                ]
            return stored
        if content is None:
            raise ValueError("pass content or file_id")
        if kind == "photo":
            return self._new_photo(content, uploaded=False)
        mime = mime_type or mimetypes.guess_type(file_name or "")[0]
        return self._new_file(content, kind, file_name=file_name, mime_type=mime)

    def file(self, file_id: str) -> StoredFile | None:
        """A registered or uploaded file by id."""
        with self._lock:
            stored = self._files.get(file_id)
            return copy.deepcopy(stored)

    @property
    def uploads(self) -> list[StoredFile]:
        """Files the bot uploaded (photo uploads appear once per size), oldest first."""
        with self._lock:
            return [copy.deepcopy(f) for f in self._files.values() if f.uploaded_by_bot]
