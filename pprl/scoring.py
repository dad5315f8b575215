"""How much each field's similarity says about a match: Fellegi-Sunter weights over Dice bins.

Each filter column contributes ``log(m[bin] / u[bin])``, where ``m`` is the distribution of its Dice
similarity among true matches and ``u`` among non-matches; a column missing on either side
contributes nothing (neutral). ``u`` is measured on random pairs (nearly all non-matches); ``m`` and
the share of matches are fitted by EM on the best candidate pairs (unsupervised Fellegi-Sunter, with
missing values left out of the likelihood, which recordlinkage's ECM classifier cannot do).
The score of a pair is its posterior match probability; the automatic threshold maximises the F1
that the fitted model expects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NBINS = 20
_SMOOTHING = 0.5  # pseudo-count per bin
_MAX_WEIGHT = 12.0  # a single column can never carry more than this many nats of evidence


@dataclass(frozen=True)
class Model:
    """A fitted (or prior) scoring model for one pair of datasets."""

    table: np.ndarray  # (C, NBINS) float64 log-likelihood ratios per column and Dice bin
    prior: float  # log prior odds that a random pair is a match
    fitted: bool
    expected_matches: float  # the model's estimate of true matches among all pairs
    iterations: int = 0


def bins(dice: np.ndarray) -> np.ndarray:
    """Dice values -> bin indices; NaN (missing) -> -1."""
    index = np.minimum((np.nan_to_num(dice, nan=-1.0) * NBINS).astype(np.int64), NBINS - 1)
    return np.where(np.isnan(dice), -1, index)


def prior_table(weights: np.ndarray) -> np.ndarray:
    """A table from the schema's prior weights: -w/2 at Dice <= 0.4, 0 at 0.6, +w at Dice 1."""
    centres = (np.arange(NBINS) + 0.5) / NBINS
    ramp = np.interp(centres, [0.0, 0.4, 0.6, 1.0], [-0.5, -0.5, 0.0, 1.0])
    return np.outer(weights, ramp)


def contributions(dice: np.ndarray, table: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """(P, C) evidence of each column for each pair: what --explain shows.

    A column missing on either side adds ``missing[c]`` (0, neutral, unless the schema says that
    missing counts as disagreement).
    """
    index = bins(dice)
    looked_up = table[np.arange(table.shape[0])[None, :], np.maximum(index, 0)]
    absent = np.zeros(table.shape[0]) if missing is None else missing
    return np.where(index >= 0, looked_up, absent[None, :])


def logodds(dice: np.ndarray, table: np.ndarray, prior: float, missing: np.ndarray | None = None) -> np.ndarray:
    """Log posterior odds of pairs from their (P, C) Dice matrix."""
    return prior + contributions(dice, table, missing).sum(axis=1)


def probability(logodds_: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logodds_, -700, 700)))


def histogram(dice: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(C, NBINS) weighted counts of each column's Dice bins, missing values left out."""
    index = bins(dice)
    columns = dice.shape[1]
    counts = np.zeros((columns, NBINS))
    w = np.ones(len(dice)) if weights is None else weights
    for c in range(columns):
        present = index[:, c] >= 0
        counts[c] = np.bincount(index[present, c], weights=w[present], minlength=NBINS)
    return counts


def _normalise(counts: np.ndarray) -> np.ndarray:
    smoothed = counts + _SMOOTHING
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def fit(candidate_dice: np.ndarray, random_dice: np.ndarray, total_pairs: float, max_matches: float,
        iterations: int = 100, tolerance: float = 1e-6) -> Model:
    """Fit m by EM on candidate pairs, with u from random pairs; see the module docstring.

    ``max_matches`` bounds the number of true matches (min of the dataset sizes for one-to-one data).
    """
    u = _normalise(histogram(random_dice))
    index = bins(candidate_dice)
    present = index >= 0
    safe = np.maximum(index, 0)
    columns = np.arange(candidate_dice.shape[1])[None, :]
    ramp = np.linspace(0.05, 1.0, NBINS) ** 4
    m = np.tile(ramp / ramp.sum(), (candidate_dice.shape[1], 1))
    share = min(0.5, max_matches / max(len(candidate_dice), 1))
    done = 0
    for done in range(1, iterations + 1):
        table = np.clip(np.log(m / u), -_MAX_WEIGHT, _MAX_WEIGHT)
        evidence = np.where(present, table[columns, safe], 0.0).sum(axis=1)
        posterior = probability(evidence + np.log(share / (1 - share)))
        new_m = _normalise(histogram(candidate_dice, posterior))
        new_share = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        converged = np.abs(new_m - m).max() < tolerance and abs(new_share - share) < tolerance
        m, share = new_m, new_share
        if converged:
            break
    table = np.maximum.accumulate(np.clip(np.log(m / u), -_MAX_WEIGHT, _MAX_WEIGHT), axis=1)
    expected = min(share * len(candidate_dice), max_matches)
    prior = float(np.log(max(expected, 0.5) / max(total_pairs - expected, 1.0)))
    return Model(table=table, prior=prior, fitted=True, expected_matches=expected, iterations=done)


@dataclass(frozen=True)
class Threshold:
    value: float
    rationale: str
    expected_precision: float
    expected_recall: float


def choose_threshold(scores: np.ndarray, expected_matches: float) -> Threshold:
    """The score cut that maximises the expected F1 under the model's own match probabilities.

    Every candidate pair is a match with probability ``score``; keeping the pairs at or above a cut
    expects ``sum(score)`` true and ``sum(1 - score)`` false matches among them, out of
    ``expected_matches`` true matches in all.
    """
    if len(scores) == 0:
        return Threshold(0.5, "no candidate pairs; 0.5 by default", 0.0, 0.0)
    order = np.sort(scores)[::-1]
    true_positive = np.cumsum(order)
    kept = np.arange(1, len(order) + 1)
    total = max(expected_matches, true_positive[-1])
    f1 = 2 * true_positive / (kept + total)
    best = int(np.argmax(f1))
    # cut halfway to the next lower score so that ties with the chosen score stay in
    value = float(order[best] if best + 1 == len(order) else (order[best] + order[best + 1]) / 2)
    value = min(max(value, 1e-6), 1.0)
    precision, recall = true_positive[best] / kept[best], true_positive[best] / total
    return Threshold(value, f"maximises the expected F1 ({f1[best]:.3f}) under the fitted model: expected "
                     f"precision {precision:.3f}, recall {recall:.3f}, about {total:,.0f} true matches",
                     float(precision), float(recall))
