"""The article a word takes as said (utils.wording)."""

from __future__ import annotations

import pytest

from utils.wording import with_article


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("overheads part", "an overheads part"),  # "a overheads part" in a space finding
        ("other part", "an other part"),
        ("fx part", "an fx part"),
        ("electronic drum groove", "an electronic drum groove"),
        ("funk bass line", "a funk bass line"),
        ("hihat part", "a hihat part"),
    ],
)
def test_the_article_is_the_one_said(words: str, said: str) -> None:
    assert with_article(words) == said
