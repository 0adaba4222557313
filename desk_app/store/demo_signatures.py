"""Synthetic signatures for the demo (and tests): a plausible scribble drawn by formula, no one's real
signature. The same seed gives the same strokes."""

from __future__ import annotations

import math
import random

from desk_app.domain.consent import Point, Signature, Stroke

PAD_WIDTH = 600
PAD_HEIGHT = 200
_SAMPLE_MS = 8  # a pad reports a point every few milliseconds


def scribble(seed: int, width: int = PAD_WIDTH, height: int = PAD_HEIGHT) -> Signature:
    """Two or three strokes left to right, each a looping wave (the look of joined-up writing), then
    an underline or not: a signature's shape, made from `seed`."""
    rng = random.Random(seed)
    strokes: list[Stroke] = []
    at = 0
    left = width * rng.uniform(0.08, 0.14)
    for _ in range(rng.choice((2, 3))):
        span = min(width * rng.uniform(0.16, 0.26), width * 0.88 - left)
        stroke, at = _loops(rng, left, span, height, at)
        strokes.append(stroke)
        left += span + width * rng.uniform(0.03, 0.06)
        at += rng.randint(120, 300)  # the pen lifted
    if rng.random() < 0.5:
        y = height * rng.uniform(0.72, 0.8)
        start, end = width * 0.1, min(left, width * 0.92)
        points = [
            (start + (end - start) * i / 20, y + 3 * math.sin(i / 3), at + i * _SAMPLE_MS) for i in range(21)
        ]
        strokes.append(tuple(points))
    return Signature(tuple(strokes), width, height)


def _loops(rng: random.Random, left: float, span: float, height: float, at: int) -> tuple[Stroke, int]:
    middle = height * rng.uniform(0.42, 0.55)
    size = height * rng.uniform(0.14, 0.22)
    loops = rng.randint(3, 6)
    steps = loops * 14
    points: list[Point] = []
    for step in range(steps + 1):
        share = step / steps
        angle = share * loops * 2 * math.pi
        x = left + share * span + size * 0.35 * math.cos(angle)
        y = middle - size * math.sin(angle) * (0.6 + 0.4 * math.sin(share * math.pi))
        points.append((round(max(x, 0.0), 1), round(y, 1), at))
        at += _SAMPLE_MS
    return tuple(points), at
