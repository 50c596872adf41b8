"""Where uploaded scans are kept: a folder (one machine, the default) or the database (several machines).

Several web machines and timer workers share one PostgreSQL; a folder on one machine's disk is not seen by the
others. With `TDKT_UPLOAD_STORE=database` an upload is kept in the `upload_chunks` table, in chunks of
CHUNK_BYTES, written in the same transaction as its attachment row and audit event — so a failed upload leaves
nothing behind and a withdrawn one goes with the after-commit listener, exactly once — and every machine reads it.
Why the database and not PostgreSQL large objects or an S3-compatible store: see docs/security.md.

A store is named by a *location* string, so it can travel in an after-commit event: a folder's absolute path, or
`DATABASE`. Keys are `<case id>/<sha256>.<ext>` (content-addressed): the same content twice is stored once.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .models import UploadChunk

DATABASE = "database:"
CHUNK_BYTES = 512 * 1024  # a row per half megabyte: no single huge value for the driver or the WAL


class FileStore:
    """Files under one folder, written atomically (temporary file, then rename)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if self.root not in target.parents:  # cannot happen with a digest name; a last guard all the same
            raise ValueError(f"storage key outside the upload folder: {key!r}")
        return target

    def put(self, session: Session, key: str, content: bytes) -> bool:
        """Store `content`; False when the same key is already stored. The caller removes a file it wrote for a
        transaction that then failed (`discard`)."""
        target = self._path(key)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def discard(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def get(self, session: Session, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, session: Session, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class DatabaseStore:
    """Chunks in `upload_chunks`, in the caller's transaction."""

    location = DATABASE

    def put(self, session: Session, key: str, content: bytes) -> bool:
        if session.scalar(select(UploadChunk.seq).where(UploadChunk.storage_key == key, UploadChunk.seq == 0)) \
                is not None:
            return False
        session.execute(insert(UploadChunk), [
            {"storage_key": key, "seq": seq, "data": content[start:start + CHUNK_BYTES]}
            for seq, start in enumerate(range(0, max(len(content), 1), CHUNK_BYTES))])
        return True

    def discard(self, key: str) -> None:
        """Nothing to do: the chunks were written in the transaction that failed."""

    def get(self, session: Session, key: str) -> bytes | None:
        chunks = session.execute(select(UploadChunk.data).where(UploadChunk.storage_key == key)
                                 .order_by(UploadChunk.seq)).scalars()
        parts = [bytes(chunk) for chunk in chunks]
        return b"".join(parts) if parts else None

    def delete(self, session: Session, key: str) -> None:
        session.execute(delete(UploadChunk).where(UploadChunk.storage_key == key))


def store_at(location) -> FileStore | DatabaseStore:
    """The store a location names: `DATABASE`, or a folder."""
    if isinstance(location, (FileStore, DatabaseStore)):
        return location
    if str(location) == DATABASE:
        return DatabaseStore()
    return FileStore(location)
