"""`histogram_quantile` over cumulative bucket counts, the way PromQL computes it."""

from __future__ import annotations

import math
from collections.abc import Mapping


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile (0..1) of a histogram given as {upper bound: cumulative count}.

    Follows PromQL's `histogram_quantile`: linear interpolation inside the bucket
    that holds the rank, the lowest bucket starting at 0, and a rank that falls in
    the +Inf bucket answered with the highest finite bound. Returns None when the
    histogram is empty (no observations: the quantile is undefined, not 0) or has
    no +Inf bucket.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within 0..1, got {q}")
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    # Deltas of counters can come out slightly non-monotonic (a scrape races a
    # request between two bucket lines); PromQL evens that out the same way.
    counts: list[float] = []
    for bound in bounds:
        counts.append(max(buckets[bound], counts[-1] if counts else 0.0))
    total = counts[-1]
    if total <= 0:
        return None
    if len(bounds) < 2:
        return None
    rank = q * total
    index = next(i for i, count in enumerate(counts) if count >= rank)
    if index == len(bounds) - 1:
        return bounds[-2]
    lower = 0.0 if index == 0 else bounds[index - 1]
    below = 0.0 if index == 0 else counts[index - 1]
    upper = bounds[index]
    if index == 0 and upper <= 0:
        return upper
    in_bucket = counts[index] - below
    if in_bucket <= 0:
        return upper
    # Within the bucket, even where float rounding would step past its bound
    # (0.005 * 57 / 57 is 0.005000000000000001).
    return min(upper, lower + (upper - lower) * (rank - below) / in_bucket)
