"""Files written to storage by a use case, before its transaction: no lock is held during slow
I/O (an upload of 50 MB, a network store), and a failed database step takes its files back.

    with written_files() as written:
        written.save(attachment.file, name, upload)     # the final, unguessable name; no lock yet
        with transaction.atomic():
            ...select_for_update(), checks, rows...     # the lock covers the database work only

If anything in the block raises (a rule refused under the lock, a database error, an exception in
the audit), every file written in it is deleted and the exception goes on. Call such a use case
outside a transaction (views, the API and tasks do): a caller's transaction that rolls back after
it returned would leave the file behind."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class WrittenFiles:
    def __init__(self) -> None:
        self.files: list[tuple[object, str]] = []

    def save(self, field_file, name: str, content) -> str:
        """Write `content` through a model's file field (its upload_to picks the final name) without
        saving the row. Returns the stored name."""
        field_file.save(name, content, save=False)
        self.add(field_file.storage, field_file.name)
        return field_file.name

    def add(self, storage, name: str) -> None:
        """A file written by the caller itself (``storage.save``), to delete if the block fails."""
        self.files.append((storage, name))

    def delete_all(self) -> None:
        for storage, name in self.files:
            try:
                storage.delete(name)
            except OSError:  # pragma: no cover - the store is gone; nothing more can be cleaned here
                log.exception("could not delete %s after a failed write", name)
        self.files.clear()


@contextmanager
def written_files() -> Iterator[WrittenFiles]:
    written = WrittenFiles()
    try:
        yield written
    except BaseException:
        written.delete_all()
        raise
