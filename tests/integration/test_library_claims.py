"""Files claimed by the library scans running in this process (integration.library.scan._Claims)."""

from __future__ import annotations

from integration.library.scan import _Claims


def test_a_file_is_analysed_by_one_live_scan_and_taken_over_from_a_cancelled_one() -> None:
    claims = _Claims()
    first_cancelled = [False]

    def first() -> bool:
        return first_cancelled[0]

    def second() -> bool:
        return False

    assert claims.claim(["a", "b"], first) == {"a", "b"}
    assert claims.claim(["b", "c"], second) == {"c"}  # b is the first scan's while it runs
    first_cancelled[0] = True  # its job was cancelled; its thread may still be winding down
    assert claims.claim(["a", "b"], second) == {"a", "b"}
    claims.release({"a", "b"}, first)  # the cancelled scan lets go at last: what was taken over stays taken
    assert claims.claim(["a", "b", "c"], lambda: False) == set()
    claims.release({"a", "b", "c"}, second)
    assert claims.claim(["a", "b", "c"], first) == {"a", "b", "c"}
