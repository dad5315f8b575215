"""Outputs staged together: they replace their targets only when every one was written."""

from __future__ import annotations

import os

import pytest

from pprl.atomic import atomic_path, output_group
from pprl.errors import PprlError
from tests.conftest import leftovers


def test_outputs_appear_together(tmp_path):
    with output_group() as group:
        for name in ("a.csv", "b.csv"):
            group.path(tmp_path / name).write_text(name)
            assert not (tmp_path / name).exists()  # nothing appears before the end
    assert [(tmp_path / name).read_text() for name in ("a.csv", "b.csv")] == ["a.csv", "b.csv"]
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("error", [PprlError("bad row"), KeyboardInterrupt()], ids=["error", "interrupt"])
def test_a_failure_leaves_every_earlier_output(tmp_path, error):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("earlier")
    with pytest.raises(type(error)):
        with output_group() as group:
            group.path(tmp_path / "a.csv").write_text("new")
            group.path(tmp_path / "b.csv")
            raise error
    assert [(tmp_path / name).read_text() for name in ("a.csv", "b.csv")] == ["earlier", "earlier"]
    assert not leftovers(tmp_path)


def test_folders_made_for_a_failed_group_are_removed(tmp_path):
    (tmp_path / "kept").mkdir()
    with pytest.raises(PprlError):
        with output_group() as group:
            folder = group.folder(tmp_path / "kept" / "new" / "split")
            group.path(folder / "a.csv").write_text("new")
            raise PprlError("bad row")
    assert os.listdir(tmp_path) == ["kept"] and os.listdir(tmp_path / "kept") == []


def test_a_claimed_output_is_written_later(tmp_path):
    with output_group() as group:
        claimed = group.path(tmp_path / "m.csv")
        assert group.path(tmp_path / "m.csv") == claimed
        claimed.write_text("result")
    assert (tmp_path / "m.csv").read_text() == "result" and not leftovers(tmp_path)


@pytest.mark.parametrize("where", ["missing folder", "under a file", "is a folder"])
def test_an_output_that_cannot_be_written_is_a_clear_error(tmp_path, where):
    (tmp_path / "file").write_text("")
    (tmp_path / "folder").mkdir()
    target = {"missing folder": tmp_path / "nope" / "a.csv", "under a file": tmp_path / "file" / "a.csv",
              "is a folder": tmp_path / "folder"}[where]
    with pytest.raises(PprlError, match=str(target)):
        with output_group() as group:
            group.path(target)
    with pytest.raises(PprlError, match=str(tmp_path / "file" / "sub")):
        with output_group() as group:
            group.folder(tmp_path / "file" / "sub")
    assert sorted(os.listdir(tmp_path)) == ["file", "folder"]


def test_atomic_path_sets_the_mode(tmp_path):
    with atomic_path(tmp_path / "secret", mode=0o600) as temporary:
        temporary.write_text("x")
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
