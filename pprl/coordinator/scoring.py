"""How much each field's similarity says about a match: Fellegi-Sunter weights over Dice bins.

Each filter column contributes ``log(m[bin] / u[bin])``, where ``m`` is the distribution of its Dice
similarity among true matches and ``u`` among non-matches; a column missing on either side
contributes nothing (neutral). ``u`` is measured on random pairs (nearly all non-matches); ``m`` and
the share of records that have a match are fitted by EM on the best candidate pairs (unsupervised
Fellegi-Sunter, with missing values left out of the likelihood, which recordlinkage's ECM classifier
cannot do).

The model knows that a record has at most one true partner: record ``i`` of the first dataset has a
partner with probability ``share``, uniformly among the ``n_b`` records a priori, so the posterior
that ``j`` is that partner is

    gamma_ij = (share / n_b) LR_ij / ((1 - share) + (share / n_b) sum_k LR_ik)

with ``LR`` the likelihood ratio of the pair. Candidates of one record compete: two siblings who
both resemble a child share the probability instead of both looking certain. The same holds from
the second dataset's side; a pair's score is the geometric mean of its two one-sided posteriors.

Relatives are the hard non-matches: siblings share surname, patronymic and parents. Where the schema
marks columns that relatives share (``family``), a non-matching pair is a pair of relatives with
probability ``related_share``, whose similarities follow ``f`` (fitted by EM too) instead of ``u``:

    LR = m(x) / (related_share f(x) + (1 - related_share) u(x))

``log(f/u)`` may only rise with Dice on family columns and only fall on the others (relatives are no
more alike than strangers in their own given names or birth dates), which keeps the relatives'
class from turning into a second class of matches. The score of a pair is ``gamma``; the automatic
threshold maximises the F1 that the fitted model expects.

The columns of one name are not independent: the whole name's filter holds the tokens of its given
names and of its family name, so a pair that agrees on the whole agrees on its parts, and the sum of
their log-ratios counts one agreement about twice. Each column's table is multiplied by a factor
(``column_factor``: 1/2 for the parts of a name whose whole is a column too, see
:class:`pprl.coordinator.link.ColumnRules`). With the parts at full weight, EM took namesakes who
disagree on the birth date for matches (measured: ``docs/design.md``, Measurements).

EM's E-step uses the one-to-one posteriors (:func:`two_sided_posterior`) when it is given the
candidates' records in the second dataset: a namesake of a record that has its partner elsewhere
counts for less. (Scaling the pair weights per record on both sides until each record's
probabilities add up to one, Sinkhorn-style, was tried and lowered F1.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from scipy.optimize import isotonic_regression

NBINS = 20
_SMOOTHING = 0.5  # pseudo-count per bin
_MAX_WEIGHT = 12.0  # a single column can never carry more than this many nats of evidence


@dataclass(frozen=True)
class Model:
    """A fitted (or prior) scoring model for one pair of datasets."""

    table: np.ndarray  # (C, NBINS) float64 log-likelihood ratios per column and Dice bin
    share: float  # probability that a record of the first dataset has a partner in the second
    size_b: int  # records in the second dataset
    fitted: bool
    expected_matches: float  # the model's estimate of true matches among all pairs
    iterations: int = 0
    related_table: np.ndarray | None = None  # (C, NBINS) log(f/u): relatives (siblings) vs strangers
    related_share: float = 0.0  # probability that a non-matching pair is a pair of relatives

    @property
    def prior(self) -> float:
        """Log prior odds that one given pair is a match, ignoring competition (an upper bound)."""
        return float(np.log(self.share / max(self.size_b, 1)) - np.log1p(-self.share))


def bins(dice: np.ndarray) -> np.ndarray:
    """Dice values -> bin indices (int8); NaN (missing) -> -1. The model's functions below take
    these indices, computed once per pair, rather than the similarities."""
    index = np.minimum((np.nan_to_num(dice, nan=-1.0) * NBINS).astype(np.int64), NBINS - 1)
    return np.where(np.isnan(dice), -1, index).astype(np.int8)


def prior_table(weights: np.ndarray) -> np.ndarray:
    """A table from the schema's prior weights: -w/2 at Dice <= 0.4, 0 at 0.6, +w at Dice 1."""
    centres = (np.arange(NBINS) + 0.5) / NBINS
    ramp = np.interp(centres, [0.0, 0.4, 0.6, 1.0], [-0.5, -0.5, 0.0, 1.0])
    return np.outer(weights, ramp)


def _flat_bins(binned: np.ndarray) -> np.ndarray:
    """Bin indices into a (C, NBINS + 1) table flattened, whose last bin per column stands for missing."""
    return np.where(binned >= 0, binned, NBINS).astype(np.intp) + np.arange(binned.shape[1]) * (NBINS + 1)


def contributions(binned: np.ndarray, table: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """(P, C) evidence of each column for each pair (``binned`` from :func:`bins`): what --explain shows.

    A column missing on either side adds ``missing[c]`` (0, neutral, unless the schema says that
    missing counts as disagreement).
    """
    columns = table.shape[0]
    padded = np.concatenate([table, np.zeros((columns, 1)) if missing is None else np.asarray(missing)[:, None]],
                            axis=1)
    return padded.ravel()[_flat_bins(binned)]


@njit(cache=True, parallel=True)
def _evidence(binned, table, missing, related_table, log_related, log_unrelated, evidence, related):
    """evidence[p] = sum over columns of table[c, bin] (missing[c] where the bin is -1); with a
    relatives' table (non-empty ``related_table``), related[p] = its sum (0 where missing) and
    evidence[p] -= log(exp(log_related + related[p]) + exp(log_unrelated))."""
    with_relatives = related_table.shape[0] > 0
    for p in prange(binned.shape[0]):
        total = 0.0
        kin = 0.0
        for c in range(binned.shape[1]):
            b = binned[p, c]
            if b >= 0:
                total += table[c, b]
                if with_relatives:
                    kin += related_table[c, b]
            else:
                total += missing[c]
        if with_relatives:
            x = log_related + kin
            total -= max(x, log_unrelated) + np.log1p(np.exp(-abs(x - log_unrelated)))
            related[p] = kin
        evidence[p] = total


def _pair_evidence(binned: np.ndarray, model: Model, missing: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_evidence` and the relatives' evidence log(f/u) of each pair (zeros without relatives)."""
    n, columns = binned.shape
    evidence, related = np.empty(n), np.zeros(n)
    missing = np.zeros(columns) if missing is None else np.asarray(missing, np.float64)
    kin = np.zeros((0, NBINS)) if model.related_table is None else np.ascontiguousarray(model.related_table, np.float64)
    log_related = np.log(model.related_share) if model.related_share > 0 else -np.inf
    if n:
        _evidence(np.ascontiguousarray(binned), np.ascontiguousarray(model.table, np.float64), missing, kin,
                  log_related, np.log1p(-model.related_share), evidence, related)
    return evidence, related


@njit(cache=True, parallel=True)
def _histograms(binned, weights, chunks, out):
    """out[t, k, c, bin] += weights[k, p] over the t-th of ``chunks`` runs of pairs (missing left out)."""
    n = binned.shape[0]
    per = (n + chunks - 1) // chunks
    for t in prange(chunks):
        for p in range(t * per, min(n, (t + 1) * per)):
            for c in range(binned.shape[1]):
                b = binned[p, c]
                if b >= 0:
                    for k in range(weights.shape[0]):
                        out[t, k, c, b] += weights[k, p]


def histograms(binned: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(K, C, NBINS) counts of each column's Dice bins weighted by each row of ``weights`` (K, P);
    missing values left out. One pass over the pairs for all K."""
    weights = np.ascontiguousarray(np.atleast_2d(weights), dtype=np.float64)
    chunks = max(1, min(64, binned.shape[0] // 100_000))
    out = np.zeros((chunks, weights.shape[0], binned.shape[1], NBINS))
    _histograms(np.ascontiguousarray(binned), weights, chunks, out)
    return out.sum(axis=0)


def histogram(binned: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(C, NBINS) weighted counts of each column's Dice bins, missing values left out."""
    return histograms(binned, np.ones(binned.shape[0]) if weights is None else weights)[0]


def _normalise(counts: np.ndarray) -> np.ndarray:
    smoothed = counts + _SMOOTHING
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def _monotone_table(m_counts: np.ndarray, u_counts: np.ndarray, increasing: np.ndarray | None = None) -> np.ndarray:
    """log(m/u) per bin, made non-decreasing in Dice (more similar is never less evidence; or, for
    the columns where ``increasing`` is false, non-increasing) by a
    weighted isotonic fit in which each bin weighs by how much of either distribution it holds, so
    that a bin that neither matches nor non-matches ever reach borrows its neighbours' value instead
    of an artefact of smoothing. Bounded to +-_MAX_WEIGHT."""
    m, u = _normalise(m_counts), _normalise(u_counts)
    raw = np.clip(np.log(m / u), -_MAX_WEIGHT, _MAX_WEIGHT)
    support = (m_counts / max(m_counts.sum(), 1e-12) + u_counts / max(u_counts.sum(), 1e-12))
    table = np.empty_like(raw)
    for column in range(raw.shape[0]):
        weights = support[column] + 1e-9
        up = True if increasing is None else bool(increasing[column])
        table[column] = isotonic_regression(raw[column], weights=weights, increasing=up).x
    return table


def match_evidence(binned: np.ndarray, model: Model, missing: np.ndarray | None = None) -> np.ndarray:
    """log P(x | match) / P(x | non-match) of each pair, where a non-match is a relative (sibling,
    parent: agrees on family fields) with probability ``related_share``, or else unrelated."""
    return _pair_evidence(binned, model, missing)[0]


def _segments(rows: np.ndarray) -> np.ndarray:
    """Start offsets of the runs of equal values in sorted ``rows``."""
    return np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, np.int64)


def posterior(evidence: np.ndarray, rows: np.ndarray, share: float, size_b: int,
              starts: np.ndarray | None = None) -> np.ndarray:
    """gamma of every candidate pair (see the module docstring); ``rows`` must be sorted (``starts``:
    their :func:`_segments`, when the caller has them)."""
    out = np.empty(len(evidence))
    if len(out):
        _segment_posterior(np.asarray(evidence, np.float64), np.log(share / max(size_b, 1)),
                           _segments(rows) if starts is None else starts, np.zeros(0, np.int64), np.log1p(-share),
                           np.zeros(0), out)
    return out


@njit(cache=True, parallel=True)
def _segment_posterior(evidence, log_prior, starts, order, log_none, pool, out):
    """Per segment of pairs (``order[starts[s]:starts[s + 1]]``, or without ``order`` the pairs
    themselves): with lp = log_prior + evidence, gamma = exp(lp - log(exp(log_none) + sum of exp(lp)
    over the segment)); out = gamma, or with ``pool`` sqrt(pool * gamma) (the pairs are read and
    written in place, in parallel: no gathered copies)."""
    n = evidence.shape[0]
    ordered = order.shape[0] > 0
    pooled = pool.shape[0] > 0
    for s in prange(starts.shape[0]):
        lo = starts[s]
        hi = starts[s + 1] if s + 1 < starts.shape[0] else n
        peak = -np.inf
        for t in range(lo, hi):
            peak = max(peak, evidence[order[t] if ordered else t])
        total = 0.0
        for t in range(lo, hi):
            q = order[t] if ordered else t
            out[q] = np.exp(evidence[q] - peak)
            total += out[q]
        top = log_prior + peak + np.log(total)
        log_denominator = max(top, log_none) + np.log1p(np.exp(-abs(top - log_none)))
        scale = np.exp(log_prior + peak - log_denominator)
        for t in range(lo, hi):
            q = order[t] if ordered else t
            out[q] = np.sqrt(pool[q] * out[q] * scale) if pooled else out[q] * scale


@dataclass(frozen=True)
class Layout:
    """Where each record's candidate pairs are: runs of ``rows`` (sorted) and, in ``order``, of ``cols``.
    EM computes the posteriors of the same pairs many times; this is what does not change."""

    starts_a: np.ndarray
    order: np.ndarray
    starts_b: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray) -> "Layout":
        order = np.lexsort((rows, cols))
        return cls(_segments(rows), order, _segments(cols[order]))


def two_sided_posterior(evidence: np.ndarray, rows: np.ndarray, cols: np.ndarray, share: float, size_a: int,
                        size_b: int, layout: Layout | None = None) -> np.ndarray:
    """A record of either dataset has at most one partner: the posterior of a pair among the
    candidates of its record in the first dataset (``rows``, sorted) and among those of its record
    in the second (``cols``), pooled by their geometric mean (a logarithmic opinion pool of the two
    views). When two records of the first dataset both resemble one record of the second, the
    weaker claim loses. (The smaller of the two was tried too, and gave a lower F1.)"""
    if len(evidence) == 0:
        return np.zeros(0)
    layout = Layout.of(rows, cols) if layout is None else layout
    by_a = posterior(evidence, rows, share, size_b, layout.starts_a)
    share_b = min(share * size_a / max(size_b, 1), 1 - 1e-6)
    pooled = np.empty_like(by_a)
    _segment_posterior(np.asarray(evidence, np.float64), np.log(share_b / max(size_a, 1)), layout.starts_b,
                       layout.order, np.log1p(-share_b), by_a, pooled)
    return pooled


def fit(candidates: np.ndarray, rows: np.ndarray, random: np.ndarray, size_a: int, size_b: int,
        family: np.ndarray | None = None, iterations: int = 200, tolerance: float = 1e-4,
        cols: np.ndarray | None = None, column_factor: np.ndarray | None = None) -> Model:
    """Fit m, f, the match share and the share of relatives by EM on candidate pairs (their
    :func:`bins`; ``rows`` sorted: their records among the ``size_a`` of the first dataset; ``cols``:
    their records in the second, for one-to-one posteriors), with u from random pairs (binned too;
    see the module docstring). Without ``family`` columns there is no relatives' class. The fitted
    tables are multiplied by ``column_factor`` per column (default 1). EM stops when no probability
    of m or f and neither share moves by more than ``tolerance`` (the relatives' share scaled by
    ``size_b``); a smaller tolerance takes about three times the iterations for the same F1."""
    u_counts = histogram(random)
    columns = candidates.shape[1]
    family = np.zeros(columns, bool) if family is None else np.asarray(family, bool)
    ramp = np.linspace(0.05, 1.0, NBINS) ** 4
    m_counts = np.tile(ramp / ramp.sum(), (columns, 1)) * max(size_a, 1)
    f_counts = np.where(family[:, None], m_counts, _normalise(u_counts) * max(size_a, 1))
    share, related_share = 0.5, (1.0 / max(size_b, 2) if family.any() else 0.0)
    factor = np.ones(columns) if column_factor is None else np.asarray(column_factor, np.float64)
    layout = None if cols is None else Layout.of(rows, cols)
    starts = _segments(rows) if layout is None else layout.starts_a
    candidates = np.ascontiguousarray(candidates)
    done = 0
    for done in range(1, iterations + 1):
        model = _model(m_counts, f_counts, u_counts, share, size_a, size_b, family, related_share, done, factor)
        evidence, related = _pair_evidence(candidates, model)
        gamma = posterior(evidence, rows, share, size_b, starts) if layout is None else \
            two_sided_posterior(evidence, rows, cols, share, size_a, size_b, layout)
        if family.any():
            phi = (1 - gamma) * probability(np.log(related_share) - np.log1p(-related_share) + related)
            new_counts, new_f = histograms(candidates, np.stack([gamma, phi]))
            new_related = float(np.clip(phi.sum() / max(size_a * size_b, 1), 1e-9, 0.5))
            related_change = max(abs(new_related - related_share) * size_b,
                                 np.abs(_normalise(new_f) - _normalise(f_counts)).max())
            related_share, f_counts = new_related, new_f
        else:
            new_counts, related_change = histogram(candidates, gamma), 0.0
        new_share = float(np.clip(gamma.sum() / max(size_a, 1), 1e-6, 1 - 1e-6))
        change = max(np.abs(_normalise(new_counts) - _normalise(m_counts)).max(), abs(new_share - share),
                     related_change)
        m_counts, share = new_counts, new_share
        if change < tolerance:
            break
    return _model(m_counts, f_counts, u_counts, share, size_a, size_b, family, related_share, done, factor)


def _model(m_counts: np.ndarray, f_counts: np.ndarray, u_counts: np.ndarray, share: float, size_a: int,
           size_b: int, family: np.ndarray, related_share: float, iterations: int, factor: np.ndarray) -> Model:
    table = _monotone_table(m_counts, u_counts) * factor[:, None]
    related = _monotone_table(f_counts, u_counts, increasing=family) * factor[:, None] if family.any() else None
    return Model(table, share, size_b, True, expected_match_count(share, size_a, size_b), iterations,
                 related, related_share)


def expected_match_count(share: float, size_a: int, size_b: int) -> float:
    """True matches a model with this match share expects (at most one per record on either side)."""
    return min(share * size_a, float(min(size_a, size_b)))


def probability(logodds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logodds, -700, 700)))


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
    # cut halfway to the next lower score (or to 0), so that ties with the chosen score stay in
    value = float((order[best] + (order[best + 1] if best + 1 < len(order) else 0.0)) / 2)
    value = min(max(value, 1e-6), 1.0)
    precision, recall = true_positive[best] / kept[best], true_positive[best] / total
    return Threshold(value, f"maximises the expected F1 ({f1[best]:.3f}) under the fitted model: expected "
                     f"precision {precision:.3f}, recall {recall:.3f}, about {total:,.0f} true matches",
                     float(precision), float(recall))
