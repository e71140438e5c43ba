"""A WAV whose writer stopped before it filled in its sizes: the header says the audio data is 0 bytes long (or
shorter than it is) while the audio follows it (a DAW or a phone recorder killed mid-take, a stream captured to a
file). libsndfile reads only what the header says: none of it (the upload was refused as holding no audio), or the
part before the writer's last update of the sizes (the rest dropped without a word). :func:`unsized_data_chunk` finds such a file's data chunk,
and :class:`SizedHeader` reads the file with the sizes filled in, without copying it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

CHUNKS_HEAD_BYTES = 4096
"""What :func:`unsized_data_chunk` reads of a file: its chunks before the audio (fmt, fact, LIST, bext...)."""
_MAX_SIZE = 0xFFFFFFFF


def unsized_data_chunk(head: bytes, length: int, read: Callable[[int, int], bytes]) -> dict[int, bytes] | None:
    """The header bytes to put right when ``head`` (a file's first CHUNKS_HEAD_BYTES) is a RIFF/WAVE file whose data
    chunk says fewer bytes than the audio that follows it: {offset: 4 little-endian bytes} for the data chunk's
    size (the bytes that follow, at most 4 GiB - 1) and, where it says less than the file holds, the RIFF size.
    ``length``: the file's size; ``read(offset, n)``: n bytes of it from offset (what follows the declared data).

    Two writers leave such a file: one killed before it wrote the sizes (0, with the audio after it), and one that
    updates them now and then and was killed after an update (a size short of the audio). The second is told from
    a file with more chunks after its audio by what follows the declared end: another chunk's header (four
    printable characters and a size that fits the file) or the audio going on. None for every other file (sizes
    that match, a placeholder 0xFFFFFFFF that libsndfile reads already)."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    at = 12
    while at + 8 <= len(head):
        chunk, size = head[at : at + 4], int.from_bytes(head[at + 4 : at + 8], "little")
        if chunk == b"data":
            after = length - (at + 8)
            if size >= after or size == _MAX_SIZE:
                return None
            end = at + 8 + size + (size & 1)
            if size != 0 and _chunk_header(read(end, 8), length - end):
                return None  # more chunks follow the audio (LIST, id3 ...): the sizes are right
            patches = {at + 4: min(after, _MAX_SIZE).to_bytes(4, "little")}
            if int.from_bytes(head[4:8], "little") < length - 8:
                patches[4] = min(length - 8, _MAX_SIZE).to_bytes(4, "little")
            return patches
        at += 8 + size + (size & 1)  # chunks are padded to an even length
    return None


def _chunk_header(header: bytes, left: int) -> bool:
    """Whether ``header`` (8 bytes) reads as a RIFF chunk's: a four-character id and a size within ``left`` bytes."""
    if len(header) < 8:
        return len(header) == 0  # the file ends there (or a pad byte): nothing follows the audio
    return all(0x20 <= b <= 0x7E for b in header[:4]) and int.from_bytes(header[4:8], "little") <= left - 8


class SizedHeader(io.RawIOBase):
    """``raw`` (an open binary file, seekable) read with ``patches`` ({offset: bytes}) laid over its bytes."""

    def __init__(self, raw: BinaryIO, patches: dict[int, bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._patches = patches

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        start = self._raw.tell()
        data = self._raw.read(len(buffer))
        view = memoryview(buffer).cast("B")
        view[: len(data)] = data
        for offset, patch in self._patches.items():
            lo, hi = max(offset, start), min(offset + len(patch), start + len(data))
            if lo < hi:
                view[lo - start : hi - start] = patch[lo - offset : hi - offset]
        return len(data)
