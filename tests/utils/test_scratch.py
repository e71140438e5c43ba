"""utils/scratch.py: the temporary files' folder is made when missing, and the storage's failures are a 507."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from utils.errors import ScratchSpaceUnavailable
from utils.scratch import scratch_space


def test_a_missing_folder_is_made(tmp_path: Path) -> None:
    folder = tmp_path / "gone" / "deeper"
    with scratch_space(folder):
        (folder / "upload.wav").write_bytes(b"RIFF")
    assert (folder / "upload.wav").is_file()


def test_a_folder_that_cannot_be_made_is_a_507_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    with pytest.raises(ScratchSpaceUnavailable) as caught, scratch_space(blocker / "uploads"):
        pass
    assert caught.value.status_code == 507
    assert str(blocker / "uploads") in caught.value.detail and "DAWG_AI_UPLOAD_DIR" in caught.value.detail


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG])
def test_a_full_or_read_only_disk_is_a_507_with_the_reason(tmp_path: Path, code: int) -> None:
    with pytest.raises(ScratchSpaceUnavailable) as caught, scratch_space(tmp_path):
        raise OSError(code, "the system's words for it", "dawg-upload-x.wav")
    assert "the system's words for it" in caught.value.detail and str(tmp_path) in caught.value.detail


def test_a_full_device_is_a_507(tmp_path: Path) -> None:
    """/dev/full answers every write with ENOSPC, as a full disk does."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with pytest.raises(ScratchSpaceUnavailable), scratch_space(tmp_path), open("/dev/full", "wb", buffering=0) as full:
        full.write(b"\0" * 4096)


def test_other_errors_pass_through(tmp_path: Path) -> None:
    with pytest.raises(ConnectionResetError), scratch_space(tmp_path):
        raise ConnectionResetError(errno.ECONNRESET, "reset")
    with pytest.raises(ValueError), scratch_space(tmp_path):
        raise ValueError("a bug stays a bug")
