"""Keyness statistics for comparing word counts in two sets of texts.

For a word: `a`, `b` its counts in sets A and B; `n_a`, `n_b` the sets' total word counts.

- `g2`: log-likelihood G² in its two-cell form (Rayson & Garside 2000), the AntConc/Wmatrix keyness
  convention. Only the word's own cells enter: E_A = n_a (a+b)/(n_a+n_b), G² = 2 (a ln a/E_A + b ln b/E_B).
  It is NOT the full 2×2 contingency table (which adds the cells of all other words): for a = 10,
  n_a = 1,000, b = 0, n_b = 1,000 this gives 13.863, the 2×2 table 13.913.
- `log_ratio`: Hardie's (2014) effect size, log2 of the ratio of relative frequencies; a zero count
  is taken as 0.5 so a word absent from one side has a finite ratio.
- `log_odds_z`: the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
  "Fightin' Words"), divided by its approximate standard error. The prior is α_w = α_0 · f_w, f_w the
  word's share of a background corpus. It stays stable for small sets, where G² over-ranks rare words.
"""

from __future__ import annotations

import math


def g2(a: int, n_a: int, b: int, n_b: int) -> float:
    """Two-cell log-likelihood G² (0.0 when the word or a set is empty)."""
    total = n_a + n_b
    if a + b == 0 or n_a == 0 or n_b == 0:
        return 0.0
    e_a = n_a * (a + b) / total
    e_b = n_b * (a + b) / total
    value = 0.0
    if a:
        value += a * math.log(a / e_a)
    if b:
        value += b * math.log(b / e_b)
    return 2.0 * value


def log_ratio(a: int, n_a: int, b: int, n_b: int) -> float:
    """log2((a/n_a) / (b/n_b)); a zero count counts as 0.5. Positive: relatively more frequent in A."""
    if n_a == 0 or n_b == 0:
        return 0.0
    return math.log2(((a or 0.5) / n_a) / ((b or 0.5) / n_b))


def log_odds_z(a: int, n_a: int, b: int, n_b: int, alpha_w: float, alpha_0: float) -> float:
    """z-score of the log-odds ratio with an informative Dirichlet prior. Positive: leans to A.

    δ = ln((a+α_w)/(n_a+α_0−a−α_w)) − ln((b+α_w)/(n_b+α_0−b−α_w)),  σ² ≈ 1/(a+α_w) + 1/(b+α_w),  z = δ/σ.
    alpha_w must be positive (a word's prior share times alpha_0).
    """
    if alpha_w <= 0:
        raise ValueError("alpha_w must be positive")
    delta = math.log((a + alpha_w) / (n_a + alpha_0 - a - alpha_w)) - math.log(
        (b + alpha_w) / (n_b + alpha_0 - b - alpha_w)
    )
    variance = 1.0 / (a + alpha_w) + 1.0 / (b + alpha_w)
    return delta / math.sqrt(variance)
