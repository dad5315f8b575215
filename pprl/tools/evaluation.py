"""Quality of a linkage against known true pairs: precision, recall, F1, threshold sweeps, plots.

MATCHES.csv has the header ``id_a,id_b,score`` (further columns are ignored); TRUTH.csv has two
columns with a header, IDs of the first dataset then of the second (further columns are ignored).
IDs are read as strings, exactly as written. Error messages name the file, the row (counting the
header as row 1, as a spreadsheet does) and the column, never a value.

Pairs are compared as sets: duplicate rows count once. Precision of an empty linkage and recall
against an empty truth are reported as 0.0 (not undefined), and so is F1 when both are 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pprl import tabular
from pprl.atomic import atomic_path
from pprl.errors import InputError

__all__ = ["Metrics", "read_matches", "read_truth", "unknown_sides", "evaluate", "sweep", "plot", "plot_format",
           "PLOT_FORMATS"]

#: File suffixes :func:`plot` writes (matplotlib's image formats that need nothing else installed).
PLOT_FORMATS = ("png", "pdf", "svg", "eps", "ps", "jpg", "jpeg", "tif", "tiff", "webp")


# ---------------------------------------------------------------- reading

def _read_csv(path: str | Path) -> pd.DataFrame:
    """A table of text columns indexed by file row (the header is row 1), read as ``pprl encode`` reads
    exports (:mod:`pprl.tabular`: the usual encodings and delimiters, blank rows skipped)."""
    frame = pd.concat([chunk.frame for chunk in tabular.iter_chunks(path)])
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _row_of(df: pd.DataFrame, mask) -> int:
    """File row (header = row 1) of the first row selected by ``mask``."""
    return int(df.index[np.flatnonzero(np.asarray(mask))[0]])


def _check_ids(path, df: pd.DataFrame, column: str) -> None:
    empty = df[column].str.strip() == ""
    if empty.any():
        raise InputError(path, "empty record ID", row=_row_of(df, empty), column=column)


def read_matches(path: str | Path) -> pd.DataFrame:
    """MATCHES.csv as a DataFrame with string ``id_a``, ``id_b`` and float ``score`` columns.

    Further columns are kept as strings. ``score`` must be a number in [0, 1].
    """
    df = _read_csv(path)
    for column in ("id_a", "id_b", "score"):
        if column not in df.columns:
            raise InputError(path, f"missing column {column!r} (expected header id_a,id_b,score)",
                             row=1, column=column)
    for column in ("id_a", "id_b"):
        _check_ids(path, df, column)
    score = pd.to_numeric(df["score"].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(score) | (score < 0) | (score > 1)
    if bad.any():
        row = _row_of(df, bad)
        raise InputError(path, "score is not a number in [0, 1]", row=row, column="score")
    df["score"] = score
    return df


def read_truth(path: str | Path) -> pd.DataFrame:
    """TRUTH.csv as a DataFrame with string columns ``id_a`` (first column) and ``id_b`` (second)."""
    df = _read_csv(path)
    if df.shape[1] < 2:
        raise InputError(path, "needs two columns: IDs of the first dataset, then of the second",
                         row=1)
    names = list(df.columns[:2])
    for original in names:
        _check_ids(path, df, original)
    return pd.DataFrame({"id_a": df.iloc[:, 0].to_numpy(), "id_b": df.iloc[:, 1].to_numpy()})


def unknown_sides(matches: pd.DataFrame, truth: pd.DataFrame) -> list[str]:
    """The sides (``id_a``, ``id_b``) on which no ID of the matches occurs in the truth: a truth of other
    files, or with its columns swapped, which would otherwise just score 0."""
    if matches.empty or truth.empty:
        return []
    return [side for side in ("id_a", "id_b") if not matches[side].isin(truth[side]).any()]


# ---------------------------------------------------------------- metrics

@dataclass(frozen=True)
class Metrics:
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return (f"precision {self.precision:.4f}  recall {self.recall:.4f}  f1 {self.f1:.4f}  "
                f"(tp {self.tp}, fp {self.fp}, fn {self.fn})")


def _pair_index(df: pd.DataFrame) -> pd.MultiIndex:
    idx = pd.MultiIndex.from_arrays(
        [df["id_a"].astype(str).to_numpy(), df["id_b"].astype(str).to_numpy()],
        names=["id_a", "id_b"],
    )
    return idx.drop_duplicates()


def _ratios(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def evaluate(matches: pd.DataFrame, truth: pd.DataFrame, threshold: float | None = None) -> Metrics:
    """Precision, recall and F1 of ``matches`` (pairs with ``score >= threshold`` if given)."""
    import recordlinkage

    if threshold is not None:
        matches = matches[matches["score"].to_numpy(dtype=np.float64) >= threshold]
    pred = _pair_index(matches)
    true = _pair_index(truth)
    cm = recordlinkage.confusion_matrix(true, pred)
    tp, fn, fp = int(cm[0, 0]), int(cm[0, 1]), int(cm[1, 0])
    if tp + fp and tp + fn and tp:
        precision = recordlinkage.precision(cm)
        recall = recordlinkage.recall(cm)
        f1 = recordlinkage.fscore(cm)
    else:  # recordlinkage divides by zero here
        precision, recall, f1 = _ratios(tp, fp, fn)
    return Metrics(tp, fp, fn, float(precision), float(recall), float(f1))


def _labelled(matches: pd.DataFrame, truth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Best score of each distinct predicted pair, whether it is true, and the number of true pairs."""
    best = (matches[["id_a", "id_b", "score"]]
            .astype({"id_a": str, "id_b": str, "score": np.float64})
            .groupby(["id_a", "id_b"], sort=True)["score"].max())
    true = _pair_index(truth)
    is_true = best.index.isin(true)
    return best.to_numpy(dtype=np.float64), np.asarray(is_true, dtype=bool), len(true)


def sweep(matches: pd.DataFrame, truth: pd.DataFrame, thresholds=None) -> pd.DataFrame:
    """Metrics of the pairs with ``score >= t`` for each threshold ``t`` (default 0.00, 0.01, ... 1.00).

    Columns: threshold, matches, tp, fp, fn, precision, recall, f1.
    """
    if thresholds is None:
        thresholds = np.round(np.linspace(0.0, 1.0, 101), 2)
    thresholds = np.asarray(thresholds, dtype=np.float64).ravel()
    score, is_true, n_true = _labelled(matches, truth)
    o = np.argsort(score, kind="stable")
    s_sorted = score[o]
    true_sorted = is_true[o].astype(np.int64)
    # Pairs at or above t: those from position searchsorted(t, 'left') on.
    tail_true = np.concatenate([np.cumsum(true_sorted[::-1])[::-1], [0]])
    start = np.searchsorted(s_sorted, thresholds, side="left")
    kept = len(score) - start
    tp = tail_true[start]
    fp = kept - tp
    fn = n_true - tp
    rows = [_ratios(int(a), int(b), int(c)) for a, b, c in zip(tp, fp, fn)]
    out = pd.DataFrame({
        "threshold": thresholds, "matches": kept.astype(np.int64), "tp": tp.astype(np.int64),
        "fp": fp.astype(np.int64), "fn": fn.astype(np.int64),
    })
    out[["precision", "recall", "f1"]] = pd.DataFrame(rows, columns=["precision", "recall", "f1"],
                                                      index=out.index, dtype=np.float64)
    return out


# ---------------------------------------------------------------- plot

def plot_format(path: str | Path) -> str:
    """The image format of a plot file, from its suffix (PNG without one); ValueError if unsupported."""
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    if fmt not in PLOT_FORMATS:
        supported = ", ".join(f".{name}" for name in PLOT_FORMATS)
        raise ValueError(f"{path}: cannot write a .{fmt} image (use one of: {supported})")
    return fmt


def plot(matches: pd.DataFrame, truth: pd.DataFrame, path: str | Path,
         threshold: float | None = None) -> Path:
    """Two panels: score histograms of true vs false pairs, and precision/recall/F1 vs threshold.

    ``threshold`` (the one the linkage used) is marked on both; without it the F1-best threshold of
    the sweep is marked instead. The format follows the file suffix (PNG by default). The file is
    written atomically: a temporary file in the same directory, then ``os.replace``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    fmt = plot_format(path)
    score, is_true, _ = _labelled(matches, truth)
    table = sweep(matches, truth)
    if threshold is None and len(table) and table["f1"].max() > 0:
        mark, label = float(table.loc[table["f1"].idxmax(), "threshold"]), "best F1"
    elif threshold is not None:
        mark, label = float(threshold), "threshold"
    else:
        mark, label = None, ""

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    bins = np.linspace(0.0, 1.0, 51)
    ax1.hist(score[~is_true], bins=bins, alpha=0.6, label=f"non-matches ({int((~is_true).sum())})",
             color="tab:red")
    ax1.hist(score[is_true], bins=bins, alpha=0.6, label=f"true matches ({int(is_true.sum())})",
             color="tab:blue")
    ax1.set_xlabel("score")
    ax1.set_ylabel("pairs")
    ax1.set_title("Scores of the linked pairs")
    if len(score) and np.histogram(score, bins=bins)[0].max() > 50:
        ax1.set_yscale("log")
    # Precision is undefined where nothing is kept: leave a gap rather than drawing a drop to 0.
    ax2.plot(table["threshold"], table["precision"].where(table["matches"] > 0), label="precision")
    ax2.plot(table["threshold"], table["recall"], label="recall")
    ax2.plot(table["threshold"], table["f1"], label="F1", linestyle="--")
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("threshold")
    ax2.set_title("Precision and recall vs threshold")
    if mark is not None:
        for ax in (ax1, ax2):
            ax.axvline(mark, color="black", linestyle=":", label=f"{label} {mark:.2f}")
    ax1.legend(loc="upper left")
    ax2.legend(loc="lower left")

    with atomic_path(path) as temporary:
        fig.savefig(temporary, format=fmt, dpi=110)
    return path
