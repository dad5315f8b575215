"""Fellegi-Sunter scoring: monotone tables, competing candidates, relatives, the threshold."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pprl.coordinator import scoring


def _counts(*rows):
    return np.array(rows, dtype=float)


def test_bins_put_missing_at_minus_one_and_one_in_the_last_bin():
    dice = np.array([[0.0, 0.5, 1.0, np.nan]])
    assert scoring.bins(dice).tolist() == [[0, 10, scoring.NBINS - 1, -1]]


def test_monotone_table_rises_and_empty_bins_carry_no_smoothing_artefact():
    m = np.zeros((1, scoring.NBINS))
    u = np.zeros((1, scoring.NBINS))
    m[0, [10, 19]] = [10, 990]  # matches: mostly full agreement
    u[0, [10, 19]] = [99_000, 1_000]  # strangers: mostly half agreement (e.g. a two-valued field)
    table = scoring._monotone_table(m, u)[0]
    assert np.all(np.diff(table) >= 0)
    # bins 0..9 hold nothing: they must not look like evidence for a match
    assert table[:10].max() <= table[10] + 1e-9
    assert table[10] < 0 < table[19]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-8, 8), min_size=1, max_size=30), st.floats(0.05, 0.95))
def test_competing_candidates_never_sum_past_one(evidence, share):
    rows = np.sort(np.random.default_rng(len(evidence)).integers(0, 4, len(evidence)))
    gamma = scoring.posterior(np.array(evidence), rows, share, size_b=50)
    assert np.all((gamma >= 0) & (gamma <= 1))
    for row in np.unique(rows):
        assert gamma[rows == row].sum() <= 1 + 1e-9


def test_two_equally_good_candidates_share_the_probability():
    gamma = scoring.posterior(np.array([20.0, 20.0, 20.0]), np.array([0, 0, 1]), 0.5, size_b=100)
    assert gamma[0] == pytest.approx(gamma[1])
    assert gamma[0] + gamma[1] == pytest.approx(gamma[2], rel=1e-6)


def _simulate(n=400, seed=0):
    """Two columns: a person column (matches agree) and a family column (matches and siblings agree)."""
    rng = np.random.default_rng(seed)
    rows, dice = [], []
    for i in range(n):
        has_match = i < 0.75 * n
        if has_match:
            rows.append(i)
            dice.append([rng.uniform(0.85, 1.0), rng.uniform(0.85, 1.0)])
        rows.append(i)  # a sibling: family agrees, person does not
        dice.append([rng.uniform(0.0, 0.3), rng.uniform(0.85, 1.0)])
        for _ in range(3):  # strangers
            rows.append(i)
            dice.append([rng.uniform(0.0, 0.4), rng.uniform(0.0, 0.4)])
    random = np.column_stack([rng.uniform(0.0, 0.4, 20_000), rng.uniform(0.0, 0.4, 20_000)])
    return np.array(dice), np.array(rows), random


def test_fit_recovers_the_match_share_and_siblings_are_not_matches():
    dice, rows, random = _simulate()
    model = scoring.fit(scoring.bins(dice), rows, scoring.bins(random), size_a=400, size_b=400,
                        family=np.array([False, True]))
    assert model.share == pytest.approx(0.75, abs=0.05)
    gamma = scoring.posterior(scoring.match_evidence(scoring.bins(dice), model), rows, model.share, 400)
    sibling = (dice[:, 0] < 0.35) & (dice[:, 1] > 0.8)
    match = (dice[:, 0] > 0.8) & (dice[:, 1] > 0.8)
    assert gamma[match].min() > 0.9
    assert gamma[sibling].max() < 0.5


def test_a_missing_column_adds_no_evidence():
    table = np.array([[-3.0] * 10 + [3.0] * 10, [-2.0] * 10 + [2.0] * 10])
    binned = scoring.bins(np.array([[1.0, np.nan], [0.1, 0.9]]))
    agree = scoring.contributions(binned, table)
    assert agree.tolist() == [[3.0, 0.0], [-3.0, 2.0]]
    disagree = scoring.contributions(binned, table, missing=np.array([0.0, -2.0]))
    assert disagree.tolist() == [[3.0, -2.0], [-3.0, 2.0]]


def test_histogram_counts_bins_per_column_and_leaves_missing_out():
    binned = scoring.bins(np.array([[1.0, np.nan], [0.0, 0.5], [1.0, 0.5]]))
    counts = scoring.histogram(binned, np.array([1.0, 2.0, 0.5]))
    assert counts.shape == (2, scoring.NBINS)
    assert counts[0, scoring.NBINS - 1] == 1.5 and counts[0, 0] == 2.0
    assert counts[1, 10] == 2.5 and counts[1].sum() == 2.5


# --- the numba passes against plain numpy ------------------------------------------------------------

def _reference_posterior(evidence, rows, share, size_b):
    log_pair = np.log(share / size_b) + evidence
    out = np.empty_like(log_pair)
    for row in np.unique(rows):
        here = rows == row
        out[here] = np.exp(log_pair[here] - np.logaddexp(np.log1p(-share), np.logaddexp.reduce(log_pair[here])))
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.floats(0.01, 0.99), st.integers(0, 2**32 - 1))
def test_the_posterior_passes_equal_plain_numpy(pairs, share, seed):
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.integers(0, 30, pairs))
    cols = rng.integers(0, 20, pairs)
    evidence = rng.normal(0, 8, pairs)
    expected_a = _reference_posterior(evidence, rows, share, 50)
    assert scoring.posterior(evidence, rows, share, 50) == pytest.approx(expected_a)
    by_b = np.empty(pairs)
    order = np.lexsort((rows, cols))
    by_b[order] = _reference_posterior(evidence[order], cols[order], min(share * 30 / 20, 1 - 1e-6), 30)
    expected = np.sqrt(_reference_posterior(evidence, rows, share, 20) * by_b)
    assert scoring.two_sided_posterior(evidence, rows, cols, share, 30, 20) == pytest.approx(expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 500), st.integers(0, 2**32 - 1))
def test_evidence_and_histograms_equal_plain_numpy(pairs, seed):
    rng = np.random.default_rng(seed)
    dice = np.where(rng.random((pairs, 3)) < 0.2, np.nan, rng.random((pairs, 3)))
    binned = scoring.bins(dice)
    model = scoring.Model(rng.normal(0, 3, (3, scoring.NBINS)), 0.5, 100, True, 50.0,
                          related_table=rng.normal(0, 2, (3, scoring.NBINS)), related_share=0.01)
    missing = np.array([0.0, -1.5, 0.0])
    related = scoring.contributions(binned, model.related_table).sum(axis=1)
    expected = scoring.contributions(binned, model.table, missing).sum(axis=1) - \
        np.logaddexp(np.log(0.01) + related, np.log1p(-0.01))
    assert scoring.match_evidence(binned, model, missing) == pytest.approx(expected)
    weights = rng.random((2, pairs))
    counts = scoring.histograms(binned, weights)
    for k in range(2):
        for c in range(3):
            present = binned[:, c] >= 0
            reference = np.bincount(binned[present, c], weights[k, present], minlength=scoring.NBINS)
            assert counts[k, c] == pytest.approx(reference)


def test_threshold_maximises_expected_f1_and_explains_itself():
    scores = np.array([0.99, 0.98, 0.97, 0.6, 0.1, 0.05])
    threshold = scoring.choose_threshold(scores, expected_matches=scores.sum())
    assert 0.1 < threshold.value < 0.97
    assert "expected F1" in threshold.rationale
    assert scoring.choose_threshold(np.array([]), 0.0).value == 0.5


def test_two_claims_on_one_record_the_weaker_loses():
    # records 0 and 1 of the first dataset both resemble record 7 of the second; 0 resembles it more
    evidence = np.array([15.0, 9.0, 12.0])
    rows, cols = np.array([0, 1, 1]), np.array([7, 7, 8])
    one_sided = scoring.posterior(evidence, rows, 0.9, size_b=100)
    two_sided = scoring.two_sided_posterior(evidence, rows, cols, 0.9, size_a=100, size_b=100)
    assert two_sided[1] < one_sided[1]  # 7 belongs to 0, not to 1: seen from 7, 1's claim is weak
    assert two_sided[0] > 0.9 and two_sided[1] < 0.02
    assert two_sided[2] == pytest.approx(one_sided[2], rel=0.05)  # 1 keeps its own partner 8
    assert np.all((two_sided >= 0) & (two_sided <= 1))


def _namesakes(n=400, seed=0):
    """Records 2k and 2k+1 of the first dataset both look like record k of the second: one of them is
    its partner, the other a namesake whom nothing tells apart."""
    rng = np.random.default_rng(seed)
    rows, cols, dice = [], [], []
    for i in range(n):
        rows.append(i)
        cols.append(i // 2)
        dice.append(rng.uniform(0.85, 1.0, 2))
        for k in range(3):  # strangers
            rows.append(i)
            cols.append(n // 2 + 3 * i + k)
            dice.append(rng.uniform(0.0, 0.4, 2))
    random = rng.uniform(0.0, 0.4, (20_000, 2))
    return scoring.bins(np.array(dice)), np.array(rows), np.array(cols), scoring.bins(random)


def test_fit_with_the_second_side_shares_a_record_among_its_look_alikes():
    binned, rows, cols, random = _namesakes()
    one_sided = scoring.fit(binned, rows, random, size_a=400, size_b=2_000)
    two_sided = scoring.fit(binned, rows, random, size_a=400, size_b=2_000, cols=cols)
    assert one_sided.share > 0.9  # every record has a look-alike: all taken for matches
    # only 200 records of B are there to match: each pair's two views, ~1 from A and ~1/2 from B,
    # pool to sqrt(1/2)
    assert two_sided.share == pytest.approx(np.sqrt(0.5), abs=0.05)


def test_column_factor_scales_a_columns_evidence():
    dice, rows, random = _simulate()
    plain = scoring.fit(scoring.bins(dice), rows, scoring.bins(random), size_a=400, size_b=400)
    muted = scoring.fit(scoring.bins(dice), rows, scoring.bins(random), size_a=400, size_b=400,
                        column_factor=np.array([1.0, 0.0]))
    assert np.all(muted.table[1] == 0) and np.abs(plain.table[1]).max() > 1
    assert muted.share == pytest.approx(0.75, abs=0.05)  # the person column alone still finds the matches
