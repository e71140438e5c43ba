"""README's Settings table against the settings class: every DAWG_AI_* variable that exists is documented with
its default, and none is documented that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from utils.settings import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[2] / "README.md"
SPELLED = {"None": {"none", "system temp", "SQLite in the data dir", "cores"}, "[]": {"[]"}}
"""Defaults the table words for a reader ("system temp" for no upload folder) instead of printing them."""


def readme_settings() -> dict[str, str]:
    table = README.read_text(encoding="utf-8").split("## Settings", 1)[1]
    return dict(re.findall(rf"^\| `{ENV_PREFIX}([A-Z_]+)` \| ([^|]+?) \|", table, re.MULTILINE))


def test_the_readme_documents_every_setting_and_no_other() -> None:
    documented = readme_settings()
    assert len(documented) > 20  # the pattern reads the table: an empty match would check nothing
    assert set(documented) == {name.upper() for name in Settings.model_fields}


def test_the_readme_gives_each_settings_default() -> None:
    documented = readme_settings()
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True, validated_data={})
        said = documented[name.upper()].strip("`")
        if isinstance(default, Path):  # the home folder and the repository are written as ~ and <repo>
            shown = str(default).replace(str(Path.home()), "~").replace(str(README.parent), "<repo>")
            assert said == shown, name
        elif str(default) in SPELLED:
            assert said in SPELLED[str(default)], name
        else:
            assert said.lower() == str(default).lower(), name
