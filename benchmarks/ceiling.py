"""What the encodings allow: a classifier trained on the truth, scored like pprl, as a ceiling.

pprl fits its weights without labels. To tell a weakness of that fit from missing information in
the records, :func:`supervised` trains a gradient-boosted classifier (scikit-learn's
``HistGradientBoostingClassifier``; scikit-learn comes with recordlinkage) on the *true* labels of
the very candidate pairs pprl scored, cross-fitted (trained on the records of ``a`` with an even row
number, predicting the odd ones, and the other way round), and links one-to-one on its
probabilities at the best threshold in hindsight. Its features are everything pprl's score is made
of, and more: each column's binned Dice (missing included), pprl's own score, and how far each pair is
from its rivals on both sides (the best and second-best score of its record of ``a`` and of ``b``).
No unsupervised method that sees the same pairs through the same comparisons can be expected to beat
it; where pprl's best-threshold F1 is close to it, what is left is not in the records.

Used by ``benchmarks/quality.py --ceiling`` (fresh 2,000-person populations per level) and
``benchmarks/scale.py --ceiling`` (the full-size linkage).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from baseline_clear import best_threshold


def true_pairs(ids_a: np.ndarray, ids_b: np.ndarray, ia: np.ndarray, ib: np.ndarray, truth: pd.DataFrame) -> np.ndarray:
    """Which candidate pairs ``(ia, ib)`` (rows of a and b) the truth (``id_a, id_b``) holds."""
    row_a = pd.Series(np.arange(len(ids_a)), index=pd.Index(ids_a).astype(str))
    row_b = pd.Series(np.arange(len(ids_b)), index=pd.Index(ids_b).astype(str))
    ta = row_a.reindex(truth.iloc[:, 0].astype(str)).to_numpy()
    tb = row_b.reindex(truth.iloc[:, 1].astype(str)).to_numpy()
    known = ~(np.isnan(ta) | np.isnan(tb))
    keys = ta[known].astype(np.int64) * len(ids_b) + tb[known].astype(np.int64)
    return np.isin(np.asarray(ia, np.int64) * len(ids_b) + ib, keys)


def _rival_scores(rows: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: the best and the second-best score among the pairs of its row (record), and how many
    pairs that row has."""
    order = np.lexsort((-score, rows))
    r, s = rows[order], score[order]
    start = np.r_[True, r[1:] != r[:-1]]
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    size = np.diff(np.r_[first, len(r)])
    best = s[first]
    second = np.where(size > 1, s[np.minimum(first + 1, len(s) - 1)], 0.0)
    out = [np.empty_like(score), np.empty_like(score), np.empty(len(score), np.float64)]
    for target, values in zip(out, (best[group], second[group], size[group])):
        target[order] = values
    return out[0], out[1], out[2]


def features(ia: np.ndarray, ib: np.ndarray, score: np.ndarray, binned: np.ndarray) -> np.ndarray:
    """(P, C + 7) features of the candidate pairs: binned Dice per column (-1 = missing), score, and the
    best / second-best score and candidate count of the pair's record on each side."""
    columns = [binned.astype(np.float64), score[:, None]]
    for rows in (ia, ib):
        best, second, count = _rival_scores(rows, score)
        columns.append(np.column_stack([best, second, count]))
    return np.hstack(columns)


def supervised(ia: np.ndarray, ib: np.ndarray, score: np.ndarray, binned: np.ndarray, is_true: np.ndarray,
               n_true: int, seed: int = 0) -> dict:
    """Cross-fitted classifier on the candidates: P / R / F1 of its one-to-one links at the best
    threshold in hindsight, and ``reachable``, the share of true pairs among the candidates."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from pprl.coordinator.solving import one_to_one

    x = features(ia, ib, score, binned)
    fold = ia % 2
    probability = np.zeros(len(score))
    for held_out in (0, 1):
        train = fold != held_out
        if not is_true[train].any() or is_true[train].all():
            probability[~train] = score[~train]  # nothing to learn from: fall back to pprl's score
            continue
        model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=seed)
        model.fit(x[train], is_true[train])
        probability[~train] = model.predict_proba(x[~train])[:, 1]
    keep = one_to_one(ia, ib, probability)
    threshold, precision, recall, f1 = best_threshold(probability[keep], is_true[keep], n_true)
    return {"precision": precision, "recall": recall, "f1": f1, "threshold": threshold,
            "reachable": float(is_true.sum()) / max(n_true, 1)}
