"""The library database's table (SQLAlchemy 2 ORM): one row per audio file. Its schema is made and
changed by the migrations in integration/library/migrations (a change here is a new revision there)."""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ai import music_keys

FILE_SIZE = BigInteger().with_variant(Integer(), "sqlite")
"""Bytes, past 2 GiB: BIGINT where INTEGER is 32 bits (PostgreSQL); SQLite's INTEGER is 64 bits already."""


class Base(DeclarativeBase):
    pass


class LibraryFile(Base):
    """One audio file under a library root: its identity (path, size, mtime, sha256) and its analysis,
    or the reason it could not be analysed (status 'error')."""

    __tablename__ = "library_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    root: Mapped[str] = mapped_column(String(4096))
    size: Mapped[int] = mapped_column(FILE_SIZE)
    mtime: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))  # ok | error
    error: Mapped[str | None] = mapped_column(Text)
    duration: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str | None] = mapped_column(String(16))
    sample_rate: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    tempo: Mapped[float | None] = mapped_column(Float)
    meter: Mapped[str | None] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(16))
    key_confidence: Mapped[float | None] = mapped_column(Float)
    camelot: Mapped[str | None] = mapped_column(String(3))
    loudness_lufs: Mapped[float | None] = mapped_column(Float)
    beats: Mapped[int | None] = mapped_column(Integer)
    chords: Mapped[str | None] = mapped_column(Text)  # JSON: the distinct chord labels in order of duration
    analysed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_library_files_key", "key"),
        Index("ix_library_files_tempo", "tempo"),
        Index("ix_library_files_camelot", "camelot"),
        Index("ix_library_files_root", "root"),
    )

    def to_dict(self) -> dict[str, Any]:
        return {column.name: getattr(self, column.name) for column in self.__table__.columns}

    def to_answer(self) -> dict[str, Any]:
        """The row as a search or a look-up answers it: its columns and ``on_disk``, whether the file is
        still there now (a row stays until a scan of its folder finds the file gone). Blocking (a stat).
        A key stored before keys were spelt by their signature ("C# major") is answered by its name now ("Db major")."""
        answer = {**self.to_dict(), "on_disk": os.path.isfile(self.path)}
        if self.key:
            with contextlib.suppress(ValueError):  # a row written by hand: answered as stored
                answer["key"] = music_keys.normalise_key(self.key)
        return answer


__all__ = ["Base", "LibraryFile"]
