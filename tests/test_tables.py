"""Word tables made once and kept in the cache folder (assistant/index/tables.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.index import tables


def test_a_table_is_built_once_then_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    built = []

    def build() -> dict[str, int]:
        built.append(1)
        return {"cramp": 3}

    assert tables.cached("probe", ("numpy",), build) == {"cramp": 3}
    assert tables.cached("probe", ("numpy",), build) == {"cramp": 3}
    assert len(built) == 1
    assert tables.table_path("probe", ("numpy",)).is_file()
    assert tables.table_path("probe", ("numpy",)) != tables.table_path("probe", ("onnx",))


def test_an_unwritable_cache_only_means_building_each_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a folder cannot be made under it
    assert tables.cached("probe", (), lambda: [1, 2]) == [1, 2]
