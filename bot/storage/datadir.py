"""``DATA_DIR`` before anything opens it: a usable folder, one bot at a time.

An LPSE operator who points ``DATA_DIR`` at a file, a folder the bot's user cannot write, or a
path that cannot exist, or who starts a second bot on the same folder, gets one Indonesian line
naming the path and the cure (:class:`StorageUnusable`), never a traceback from deep inside
SQLite. The lines are catalog messages under ``staf_kesehatan.rincian``, so ``python -m bot
check`` shows the same reason as a FAIL line.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

LOCK_NAME = "bot.lock"
"""The lock file in ``DATA_DIR`` that a running bot holds (an OS lock, released on any exit)."""


class StorageUnusable(Exception):
    """The data folder or database cannot be used; :meth:`line` says why and what to do.

    Args:
        key: The message under ``staf_kesehatan.rincian`` in ``locales/id/staf.toml``.
        values: Its variables (always ``berkas``: the path concerned).
    """

    def __init__(self, key: str, **values: Any) -> None:
        self.key = key
        self.values = values
        super().__init__(f"{key}: {values}")

    def line(self, texts: Any) -> str:
        """The reason as one plain line (``texts`` is a :class:`bot.text.Texts`)."""
        return texts.plain_msg(f"staf_kesehatan.rincian.{self.key}", **self.values)


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def ensure_data_dir(path: Path) -> Path:
    """Create ``path`` if needed and make sure the bot can write there.

    Raises:
        StorageUnusable: A file in its place, a parent that is not a folder, no permission, a
            read-only file system, or any other reason the folder cannot be made or written.
    """
    if path.exists() and not path.is_dir():
        raise StorageUnusable("data_dir_bukan_folder", berkas=str(path))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), path)
        raise StorageUnusable(
            "data_dir_tidak_dapat_dibuat", berkas=str(path), penghalang=str(blocker)
        ) from None
    except PermissionError:
        raise StorageUnusable("data_dir_tanpa_izin", berkas=str(path)) from None
    except OSError as exc:
        raise StorageUnusable("data_dir_gagal", berkas=str(path), pesan=_os_reason(exc)) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StorageUnusable("data_dir_tanpa_izin", berkas=str(path))
    return path


def ensure_database_writable(db_file: Path) -> None:
    """The database file, when it exists, must be a file the bot can write (SQLite says late)."""
    if not db_file.exists():
        return
    if not db_file.is_file():
        raise StorageUnusable("database_bukan_berkas", berkas=str(db_file))
    if not os.access(db_file, os.R_OK | os.W_OK):
        raise StorageUnusable("database_tanpa_izin", berkas=str(db_file))


class DataDirLock:
    """The running bot's claim on ``DATA_DIR``: a second bot there is refused at start.

    Two bots on one database would both poll Telegram (one gets 409 Conflict), both send the
    outbox and both sweep deadlines. The lock is an OS file lock (``filelock``), so a bot that
    crashed or was killed leaves nothing to clean up.

    Args:
        data_dir: The folder to claim (made if needed, see :func:`ensure_data_dir`).
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._lock = FileLock(self.path, timeout=0)

    def acquire(self) -> DataDirLock:
        """Take the lock now or raise :class:`StorageUnusable` naming the folder."""
        ensure_data_dir(self.data_dir)
        try:
            self._lock.acquire()
        except Timeout:
            raise StorageUnusable(
                "bot_lain_berjalan", berkas=str(self.data_dir), kunci=str(self.path)
            ) from None
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise StorageUnusable("data_dir_tanpa_izin", berkas=str(self.data_dir)) from None
            raise StorageUnusable(
                "data_dir_gagal", berkas=str(self.data_dir), pesan=_os_reason(exc)
            ) from None
        return self

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
