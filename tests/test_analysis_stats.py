"""The keyness statistics (articles/analysis/stats.py) against exact values worked out by hand."""

from __future__ import annotations

import math

import pytest

from articles.analysis import stats


def test_g2_of_a_word_only_in_a_is_twenty_ln_two():
    # a=10 in 1,000 words, b=0 in 1,000: E_A = 1,000 * 10 / 2,000 = 5, so G² = 2 * 10 * ln(10/5) = 20 ln 2.
    assert round(stats.g2(10, 1000, 0, 1000), 3) == 13.863
    assert stats.g2(10, 1000, 0, 1000) == pytest.approx(20 * math.log(2))


def test_g2_is_the_two_cell_form_not_the_full_contingency_table():
    # The full 2x2 table (with the 990 and 1,000 other words) gives 13.913 for the same case.
    assert round(stats.g2(10, 1000, 0, 1000), 3) != 13.913


def test_g2_is_symmetric_and_zero_for_equal_rates():
    assert stats.g2(0, 1000, 10, 1000) == pytest.approx(stats.g2(10, 1000, 0, 1000))
    assert stats.g2(5, 1000, 10, 2000) == pytest.approx(0.0)
    assert stats.g2(0, 1000, 0, 1000) == 0.0
    assert stats.g2(3, 0, 3, 100) == 0.0


def test_g2_with_both_counts_by_hand():
    # a=20 of 2,000, b=5 of 1,000: E_A = 2000*25/3000 = 16.667, E_B = 8.333.
    # G² = 2 (20 ln(20/16.667) + 5 ln(5/8.333)) = 2 (20 * 0.18232 + 5 * -0.51083) = 2 (3.6464 - 2.5541) = 2.1845
    assert stats.g2(20, 2000, 5, 1000) == pytest.approx(2.1845, abs=1e-3)


def test_log_ratio_uses_half_for_a_zero_count():
    # (10/1000) / (0.5/1000) = 20, log2 20 = 4.3219
    assert stats.log_ratio(10, 1000, 0, 1000) == pytest.approx(math.log2(20))
    assert stats.log_ratio(10, 1000, 10, 1000) == 0.0
    assert stats.log_ratio(10, 1000, 20, 1000) == pytest.approx(-1.0)


def test_log_odds_z_against_a_worked_example():
    # a=10 of N_A=1,000, b=2 of N_B=1,000, alpha_0=100, background share f_w = 12/2,000 = 0.006,
    # so alpha_w = 100 * 0.006 = 0.6.
    #   ln((10 + 0.6) / (1000 + 100 - 10 - 0.6)) = ln(10.6 / 1089.4) = ln(0.0097301) = -4.63253
    #   ln((2 + 0.6) / (1000 + 100 - 2 - 0.6))   = ln(2.6 / 1097.4)  = ln(0.0023692) = -6.04519
    #   delta = -4.63253 - (-6.04519) = 1.41266
    #   sigma^2 = 1/10.6 + 1/2.6 = 0.094340 + 0.384615 = 0.478955, sigma = 0.692066
    #   z = 1.41266 / 0.692066 = 2.0412
    z = stats.log_odds_z(10, 1000, 2, 1000, alpha_w=0.6, alpha_0=100)
    assert z == pytest.approx(2.0412, abs=1e-4)
    assert stats.log_odds_z(2, 1000, 10, 1000, alpha_w=0.6, alpha_0=100) == pytest.approx(-2.0412, abs=1e-4)


def test_log_odds_is_stable_for_rare_words_the_log_ratio_over_ranks():
    # In sets of 100,000 words: a word seen twice, only in A, against one seen 300 times in A and 200 in B.
    # The log ratio alone ranks the rare word first (log2 of 4 vs 0.58); the log-odds z, with the prior from
    # the pooled sets, ranks the well-attested difference first.
    n, prior = 100_000, 1000.0

    def z(a, b):
        return stats.log_odds_z(a, n, b, n, prior * (a + b) / (2 * n), prior)

    assert stats.log_ratio(2, n, 0, n) > stats.log_ratio(300, n, 200, n)
    assert z(2, 0) < z(300, 200)


def test_log_odds_needs_a_positive_prior():
    with pytest.raises(ValueError):
        stats.log_odds_z(1, 10, 1, 10, alpha_w=0, alpha_0=10)
