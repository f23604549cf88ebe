"""Atomic writes: a reader sees the old file or the new one, never a torn one, and nothing stray is left."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from ablate import atomic


def test_text_json_and_tables_are_replaced_whole(tmp_path):
    atomic.write_text(tmp_path / "a" / "x.txt", "one")
    atomic.write_text(tmp_path / "a" / "x.txt", "two")
    atomic.write_json(tmp_path / "a" / "x.json", {"k": [1, 2]})
    table = pd.DataFrame({"task": ["001", "002"], "success": [1, 0]})
    atomic.write_table(tmp_path / "a" / "t.csv", table)
    atomic.write_table(tmp_path / "a" / "t.parquet", table)
    assert (tmp_path / "a" / "x.txt").read_text() == "two"
    assert atomic.read_json(tmp_path / "a" / "x.json") == {"k": [1, 2]}
    assert (tmp_path / "a" / "t.csv").read_text() == "task,success\n001,1\n002,0\n"
    assert pd.read_parquet(tmp_path / "a" / "t.parquet").equals(table)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["t.csv", "t.parquet", "x.json", "x.txt"]
    mode = (tmp_path / "a" / "x.txt").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()  # readable like any other file, not mkstemp's 0600


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    atomic.write_text(tmp_path / "x.json", "old")

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic.write_with(tmp_path / "x.json", fail)
    assert (tmp_path / "x.json").read_text() == "old" and os.listdir(tmp_path) == ["x.json"]
    assert atomic.read_json(tmp_path / "missing.json", {}) == {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
