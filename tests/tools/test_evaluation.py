"""Tests of pprl.tools.evaluation: reading MATCHES/TRUTH, metrics, sweeps and the plot."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from pprl.errors import InputError, PprlError
from pprl.tools.evaluation import Metrics, evaluate, plot, read_matches, read_truth, sweep

SECRET = "Ivanova"  # stands in for a raw identity value: must never appear in messages


def _write(path, text: str, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def example(tmp_path):
    # 5 predicted pairs (one duplicated), 4 true pairs: tp = 3 (a1-b1, a2-b2, a3-b3), fp = 2, fn = 1.
    matches = _write(tmp_path / "MATCHES.csv",
                     "id_a,id_b,score,extra\n"
                     "a1,b1,0.99,x\n"
                     "a2,b2,0.90,x\n"
                     "a3,b3,0.60,x\n"
                     "a4,b9,0.70,x\n"
                     "a5,b5,0.40,x\n"
                     "a1,b1,0.99,x\n")
    truth = _write(tmp_path / "TRUTH.csv",
                   "\ufeffagency_a_id,agency_b_id\n"
                   "a1,b1\n"
                   "a2,b2\n"
                   "a3,b3\n"
                   "a4,b4\n")
    return read_matches(matches), read_truth(truth)


def test_read_types(example):
    m, t = example
    assert list(m.columns[:3]) == ["id_a", "id_b", "score"]
    assert m["score"].dtype == np.float64
    assert list(t.columns) == ["id_a", "id_b"]
    assert t.id_a.tolist() == ["a1", "a2", "a3", "a4"]


def test_ids_kept_as_strings(tmp_path):
    t = read_truth(_write(tmp_path / "t.csv", "x,y\n007,1e3\nNA,null\n"))
    assert t.id_a.tolist() == ["007", "NA"] and t.id_b.tolist() == ["1e3", "null"]


def test_metrics_hand_computed(example):
    m, t = example
    got = evaluate(m, t)
    assert isinstance(got, Metrics)
    assert (got.tp, got.fp, got.fn) == (3, 2, 1)
    assert got.precision == pytest.approx(3 / 5)
    assert got.recall == pytest.approx(3 / 4)
    assert got.f1 == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    at = evaluate(m, t, threshold=0.65)  # a1, a2, a4-b9
    assert (at.tp, at.fp, at.fn) == (2, 1, 2)
    assert at.as_dict()["precision"] == pytest.approx(2 / 3)


def test_metrics_degenerate(example):
    m, t = example
    none = evaluate(m.iloc[:0], t)
    assert (none.tp, none.fp, none.fn, none.precision, none.recall, none.f1) == (0, 0, 4, 0.0, 0.0, 0.0)
    wrong = evaluate(m[m.id_a == "a5"], t)
    assert (wrong.tp, wrong.fp, wrong.precision, wrong.f1) == (0, 1, 0.0, 0.0)
    perfect = evaluate(t.assign(score=1.0), t)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)


def test_orientation_matters(example):
    _, t = example
    swapped = pd.DataFrame({"id_a": t.id_b, "id_b": t.id_a, "score": 1.0})
    assert evaluate(swapped, t).tp == 0


def test_sweep_matches_evaluate(example):
    m, t = example
    table = sweep(m, t, [0.0, 0.5, 0.65, 0.95, 1.0])
    assert list(table.columns) == ["threshold", "matches", "tp", "fp", "fn", "precision", "recall", "f1"]
    assert table.matches.tolist() == [5, 4, 3, 1, 0]
    for row in table.itertuples():
        e = evaluate(m, t, threshold=row.threshold)
        assert (row.tp, row.fp, row.fn) == (e.tp, e.fp, e.fn)
        assert row.precision == pytest.approx(e.precision)
        assert row.recall == pytest.approx(e.recall)
        assert row.f1 == pytest.approx(e.f1)
    default = sweep(m, t)
    assert len(default) == 101 and default.threshold.iloc[-1] == 1.0
    assert default.recall.is_monotonic_decreasing


def test_plot_is_png_and_atomic(example, tmp_path):
    m, t = example
    out = tmp_path / "plot.png"
    assert plot(m, t, out, threshold=0.5) == out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.listdir(tmp_path) == sorted(["MATCHES.csv", "TRUTH.csv", "plot.png"]) or \
        set(os.listdir(tmp_path)) == {"MATCHES.csv", "TRUTH.csv", "plot.png"}
    # without a threshold (best-F1 marked) and with nothing matched
    plot(m, t, tmp_path / "p2.png")
    plot(m.iloc[:0], t, tmp_path / "p3.png")
    assert (tmp_path / "p3.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_plot_failure_leaves_nothing(example, tmp_path):
    m, t = example
    with pytest.raises(ValueError):
        plot(m, t, tmp_path / "plot.nosuchformat")
    assert set(os.listdir(tmp_path)) == {"MATCHES.csv", "TRUTH.csv"}


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("text, row, column", [
    ("id_a,id_b,score\na1,b1,0.5\nIvanova,b2,1.5\n", 3, "score"),
    ("id_a,id_b,score\na1,b1,0.5\n" + SECRET + ",b2,high\n", 3, "score"),
    ("id_a,id_b,score\na1,b1,0.5\n\n,b2,0.3\n", 4, "id_a"),
    ("id_a,id_b,score\na1,b1,0.5\nIvanova,b2,0.3,zz\n", 3, None),
    ("id_a,id_b,score\na1," + SECRET + ",0.5\nx\n", 3, "id_b"),
    ("id_a,score\nIvanova,0.5\n", 1, "id_b"),
], ids=["score-range", "score-text", "empty-id-after-blank", "long-row", "short-row", "no-column"])
def test_matches_errors_locate_without_values(tmp_path, text, row, column):
    path = _write(tmp_path / "MATCHES.csv", text)
    with pytest.raises(InputError) as info:
        read_matches(path)
    err = info.value
    assert isinstance(err, PprlError)
    assert err.row == row and err.column == column
    assert str(path) in str(err)
    assert SECRET not in str(err)


@pytest.mark.parametrize("text, row", [
    ("only_one\nIvanova\n", 1),
    ("a,b\nIvanova,\n", 2),
    ("a,b\nx,y\nIvanova,b,c\n", 3),
    ("", None),
], ids=["one-column", "empty-id", "long-row", "empty-file"])
def test_truth_errors(tmp_path, text, row):
    path = _write(tmp_path / "TRUTH.csv", text)
    with pytest.raises(InputError) as info:
        read_truth(path)
    assert info.value.row == row
    assert SECRET not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_truth(tmp_path / "nope.csv")


def test_not_utf8(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("a,b\n".encode() + "Иванова,x\n".encode("utf-16"))
    with pytest.raises(InputError) as info:
        read_truth(path)
    assert "Иванова" not in str(info.value)


@pytest.mark.parametrize("encoding, delimiter", [("utf-16", ","), ("utf-8", ";"), ("cp1251", "\t")])
def test_truth_and_matches_are_read_like_exports(tmp_path, encoding, delimiter):
    # files saved by a spreadsheet: another encoding or delimiter; IDs with leading zeros stay as they are
    def write(path, rows):
        path.write_bytes("".join(delimiter.join(row) + "\n" for row in rows).encode(encoding))
        return path

    truth = write(tmp_path / "TRUTH.csv", [["инд_a", "инд_b"], ["007", "Б-01"]])
    assert read_truth(truth).to_dict("records") == [{"id_a": "007", "id_b": "Б-01"}]
    matches = read_matches(write(tmp_path / "MATCHES.csv", [["id_a", "id_b", "score"], ["007", "Б-01", "0.9"]]))
    assert matches[["id_a", "id_b"]].to_dict("records") == [{"id_a": "007", "id_b": "Б-01"}]
    assert matches["score"].tolist() == [0.9]
