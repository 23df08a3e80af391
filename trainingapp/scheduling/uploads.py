"""Uploaded import files kept between the preview and "Confirm import".

The files wait on the server, never in the cookie: in
``instance/uploads/<token>/`` under a random token that only the uploader's
signed session knows. The token's form is checked before it becomes a
path, the file names are the contract's own, and a folder is deleted once
imported, when its owner starts again, or after ``MAX_AGE`` unused.
"""
from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Mapping

from flask import current_app, session

from ..imports.services import FILE_NAMES

SESSION_KEY = "import_upload"
MAX_AGE_SECONDS = 6 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class UploadTooLarge(ValueError):
    """A file is over IMPORT_MAX_BYTES; the message names it."""


def _root() -> Path:
    return Path(current_app.instance_path) / "uploads"


def read_limited(name: str, stream) -> bytes:
    """The file's bytes, refusing more than IMPORT_MAX_BYTES (without
    reading further than one byte past the limit)."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
        raise UploadTooLarge(f"{name} is larger than {size}: split it")
    return data


def stash(files: Mapping[str, bytes], owner_id: int) -> str:
    """Keep the files for the current user; returns the token (also put in
    their session, replacing and deleting any earlier upload)."""
    discard()
    _purge_stale()
    token = secrets.token_urlsafe(32)
    folder = _root() / token
    folder.mkdir(parents=True, mode=0o700)
    for name, data in files.items():
        if name in FILE_NAMES:
            (folder / name).write_bytes(data)
    session[SESSION_KEY] = {"token": token, "owner": owner_id}
    return token


def _folder(owner_id: int) -> Path | None:
    saved = session.get(SESSION_KEY)
    if not isinstance(saved, dict) or saved.get("owner") != owner_id:
        return None
    token = saved.get("token")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    folder = _root() / token
    return folder if folder.is_dir() else None


def load(owner_id: int) -> dict[str, bytes] | None:
    """The files this user uploaded for preview, or None (none, or expired)."""
    folder = _folder(owner_id)
    if folder is None:
        return None
    return {name: (folder / name).read_bytes() for name in FILE_NAMES if (folder / name).is_file()}


def discard() -> None:
    """Forget the current session's upload and delete its files."""
    saved = session.pop(SESSION_KEY, None)
    if isinstance(saved, dict) and isinstance(saved.get("token"), str) \
            and _TOKEN.fullmatch(saved["token"]):
        shutil.rmtree(_root() / saved["token"], ignore_errors=True)


def _purge_stale() -> None:
    root = _root()
    if not root.is_dir():
        return
    cutoff = time.time() - MAX_AGE_SECONDS
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
