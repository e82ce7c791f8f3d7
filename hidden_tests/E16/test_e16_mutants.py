"""Hidden checks for E16 found by mutation analysis: the generator's distribution, row by row."""

import numpy as np
import pytest

TRIGRAMS = np.array([[10, 13, 15], [11, 13, 16], [12, 14, 17]])  # a's 10, 11 share b = 13; 12 has b = 14
FILLERS = np.array([20, 21])


def _rows(solution, n_ctx, n, seed):
    tokens, targets = solution.skip_trigram_batch(TRIGRAMS.copy(), FILLERS.copy(), n_ctx, n,
                                                  np.random.default_rng(seed))
    tokens, targets = np.asarray(tokens), np.asarray(targets)
    assert tokens.shape == (n, n_ctx) and targets.shape == (n,), "tokens [n, n_ctx] and targets [n]"
    return tokens, targets


@pytest.mark.points(1)
def test_each_row_holds_a_one_distractor_and_fillers(solution):
    """Each row: b last, its a once, one valid distractor (n_ctx 3 and 6), fillers elsewhere, drawn uniformly."""
    for n_ctx in (3, 6):
        tokens, targets = _rows(solution, n_ctx, 3000, 40 + n_ctx)
        fill_counts, pick_counts = {20: 0, 21: 0}, {10: 0, 11: 0}
        for row, c in zip(tokens.tolist(), targets.tolist()):
            a, b, _ = TRIGRAMS[TRIGRAMS[:, 2] == c][0]
            others = [int(t[0]) for t in TRIGRAMS if t[1] != b]
            early = row[:-1]
            assert row[-1] == b, "the last position holds the trigram's b"
            assert early.count(a) == 1, "the trigram's a sits at exactly one earlier position"
            distractors = [t for t in early if t in others]
            assert len(distractors) == 1, f"a row for b = {b} needs exactly one distractor from {others}"
            assert all(t in (20, 21) for t in early if t != a and t not in others), "other positions are fillers"
            for t in early:
                if t in fill_counts:
                    fill_counts[t] += 1
            if b == 14:
                pick_counts[distractors[0]] += 1
        if n_ctx == 6:
            share = fill_counts[20] / (fill_counts[20] + fill_counts[21])
            assert 0.45 < share < 0.55, f"fillers should be uniform; the first one has share {share:.2f}"
            share = pick_counts[10] / (pick_counts[10] + pick_counts[11])
            assert 0.42 < share < 0.58, f"distractors should be uniform over the qualifying a's; share {share:.2f}"
