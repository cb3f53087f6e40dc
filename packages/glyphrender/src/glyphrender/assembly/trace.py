"""Bitmap -> outlines: the default tracer (numpy only, MIT like the rest of the project).

Steps, for one (H, W) uint8 coverage image (0 paper, 255 full ink):

1. Marching squares on the coverage at ``threshold`` (default half ink): the outline passes
   between pixel centres where the coverage crosses the level, at the linearly interpolated
   position, so an anti-aliased image gives sub-pixel positions. Done for all cells at once.
2. The crossing segments are linked into closed loops (pointer jumping, also vectorised).
   Every segment keeps the ink on its right as seen on screen, so outer contours run
   clockwise and holes counter-clockwise: the TrueType convention. Flipping y into font units
   keeps that picture, so CFF output only has to reverse each contour.
3. Loops enclosing less than ``min_area`` px^2 (specks, pin-holes) are dropped.
4. Corners are found where the direction turns by more than ``corner_angle`` over a couple of
   pixels; between corners the points are fitted with straight lines where they are straight
   and with cubic Bezier curves elsewhere (Schneider's least-squares fit, split where the
   error is largest, tangents kept continuous at the splits), every point within
   ``tolerance`` px of the result.

Outlines come back in pixel coordinates (x right, y down); :func:`draw_contours` sends them
through a fontTools pen, mapped to font units by a :class:`Transform`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glyphrender.rendering.transform import Transform


@dataclass(frozen=True)
class TraceOptions:
    """How bitmaps are traced; lengths in pixels of the traced image."""

    threshold: float = 0.5  # coverage level of the outline, as a fraction of full ink
    min_area: float = 4.0  # contours enclosing less than this (px^2) are dropped as specks
    tolerance: float = 0.5  # how far (px) the fitted outline may stray from the traced points
    corner_angle: float = 60.0  # degrees of turn over ~2 px that make a corner

    def __post_init__(self) -> None:
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {self.threshold}")
        if self.min_area < 0:
            raise ValueError(f"min_area must be >= 0, got {self.min_area}")
        if not self.tolerance > 0:
            raise ValueError(f"tolerance must be positive, got {self.tolerance}")
        if not 0 < self.corner_angle < 180:
            raise ValueError(f"corner_angle must be in (0, 180) degrees, got {self.corner_angle}")


@dataclass(frozen=True)
class Contour:
    """One closed outline in pixel coordinates, ink on the right (outer clockwise on screen).

    ``segments`` follow each other from ``start``; a segment is a (1, 2) array (a line to that
    point) or a (3, 2) array (a cubic curve: two control points and its end point). The last
    segment ends at ``start``.
    """

    start: np.ndarray
    segments: tuple[np.ndarray, ...]

    @property
    def area(self) -> float:
        """Signed area enclosed, curves included (> 0 for outer contours, < 0 for holes)."""
        from fontTools.pens.areaPen import AreaPen

        pen = AreaPen()
        draw_contours([self], pen)
        return float(pen.value)  # AreaPen's sign matches polygon_area's in y-down space


# --- 1-2: marching squares and loops -------------------------------------------------------------


def trace_polygons(coverage: np.ndarray, threshold: float = 0.5) -> list[np.ndarray]:
    """Closed iso-lines of ``coverage`` at ``threshold``: (M, 2) point arrays in pixel space.

    The image is padded with paper, so every loop closes. Loops keep the ink on their right.
    """
    if coverage.ndim != 2:
        raise ValueError(f"coverage must be a 2-D image, got shape {coverage.shape}")
    v = np.pad(coverage.astype(np.float64) / 255.0, 1)
    inside = v >= threshold
    rows, cols = v.shape
    # Edge ids: horizontal edges (between (r, c) and (r, c+1)) first, then vertical ones.
    num_h = rows * (cols - 1)
    ids_h = np.arange(num_h).reshape(rows, cols - 1)
    ids_v = num_h + np.arange((rows - 1) * cols).reshape(rows - 1, cols)
    # Crossing positions on every edge (only those with a crossing are used). Node (r, c) of
    # the padded image is the centre of pixel (r-1, c-1), at x = c - 0.5, y = r - 0.5.
    with np.errstate(divide="ignore", invalid="ignore"):  # edges without a crossing: unused
        t_h = np.nan_to_num((threshold - v[:, :-1]) / (v[:, 1:] - v[:, :-1]))
        t_v = np.nan_to_num((threshold - v[:-1, :]) / (v[1:, :] - v[:-1, :]))
    rr, cc = np.mgrid[0:rows, 0 : cols - 1]
    xy_h = np.stack([cc - 0.5 + t_h, rr - 0.5], axis=-1).reshape(-1, 2)
    rr, cc = np.mgrid[0 : rows - 1, 0:cols]
    xy_v = np.stack([cc - 0.5, rr - 0.5 + t_v], axis=-1).reshape(-1, 2)
    coords = np.concatenate([xy_h, xy_v])

    # Cell corners in clockwise order on screen: top-left, top-right, bottom-right, bottom-left;
    # cell side k runs from corner k to corner k+1 (top, right, bottom, left).
    corners = [inside[:-1, :-1], inside[:-1, 1:], inside[1:, 1:], inside[1:, :-1]]
    sides = [ids_h[:-1, :], ids_v[:, 1:], ids_h[1:, :], ids_v[:, :-1]]
    leaves = [corners[k] & ~corners[(k + 1) % 4] for k in range(4)]  # ink -> paper
    enters = [~corners[k] & corners[(k + 1) % 4] for k in range(4)]  # paper -> ink
    # A segment starts on a side crossed ink -> paper (going clockwise round the cell) and
    # ends on the side crossed paper -> ink: that keeps the ink on its right.
    saddle = (leaves[0] & leaves[2]) | (leaves[1] & leaves[3])
    centre = (v[:-1, :-1] + v[:-1, 1:] + v[1:, 1:] + v[1:, :-1]) / 4 >= threshold
    single_end = sum(np.where(enters[k], sides[k], 0) for k in range(4))
    starts, ends = [], []
    for k in range(4):
        m = leaves[k]
        # Saddle cells: joined through an inky centre, the segment ends on the next side;
        # separated, on the previous one.
        saddle_end = np.where(centre[m], sides[(k + 1) % 4][m], sides[(k + 3) % 4][m])
        starts.append(sides[k][m])
        ends.append(np.where(saddle[m], saddle_end, single_end[m]))
    start = np.concatenate(starts)
    end = np.concatenate(ends)
    n = len(start)
    if n == 0:
        return []
    seg_of_start = np.full(len(coords), -1, np.int64)
    seg_of_start[start] = np.arange(n)
    succ = seg_of_start[end]
    steps = max(1, math.ceil(math.log2(n)) + 1)
    # Loop label = smallest segment index in the loop (pointer jumping).
    label = np.arange(n)
    hop = succ.copy()
    for _ in range(steps):
        label = np.minimum(label, label[hop])
        hop = hop[hop]
    # Position in the loop, counted from the label: distance to the loop's last segment.
    is_root = label == np.arange(n)
    last = is_root[succ]
    dist = np.where(last, 0, 1)
    hop = np.where(last, np.arange(n), succ)
    for _ in range(steps):
        dist = dist + dist[hop]
        hop = hop[hop]
    length = np.bincount(label, minlength=n)
    position = length[label] - 1 - dist
    order = np.lexsort((position, label))
    points = coords[start[order]]
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    return np.split(points, cuts)


def polygon_area(points: np.ndarray) -> float:
    """Signed area (> 0: clockwise on screen, i.e. an outer contour with ink on the right)."""
    x, y = points[:, 0], points[:, 1]
    return float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) / 2)


# --- 4: corners, lines and cubic curves ----------------------------------------------------------

_CORNER_REACH = 2.0  # px of arc on each side that decide the turn angle at a point
_TANGENT_REACH = 2.5  # px of arc used to estimate a tangent


def _arc(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Cumulative arc length of a closed polygon at each point, and its perimeter."""
    step = np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1)
    s = np.concatenate([[0.0], np.cumsum(step)])
    return s[:-1], float(s[-1])


def _along(points: np.ndarray, s: np.ndarray, perimeter: float, offset: float) -> np.ndarray:
    """For each point, the index of the point about ``offset`` px of arc away (wrapping)."""
    n = len(points)
    s3 = np.concatenate([s - perimeter, s, s + perimeter])
    idx = np.searchsorted(s3, s + offset)
    idx = np.clip(idx, 0, 3 * n - 1)
    return idx % n


def find_corners(points: np.ndarray, corner_angle: float) -> np.ndarray:
    """Indices of corner points of a closed polygon, in order."""
    n = len(points)
    s, perimeter = _arc(points)
    if n < 8 or perimeter < 4 * _CORNER_REACH:
        return np.zeros(0, np.int64)
    back = points - points[_along(points, s, perimeter, -_CORNER_REACH)]
    fwd = points[_along(points, s, perimeter, _CORNER_REACH)] - points
    cos = np.sum(back * fwd, axis=1) / (
        np.linalg.norm(back, axis=1) * np.linalg.norm(fwd, axis=1) + 1e-12
    )
    turn = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    is_max = turn > corner_angle
    for shift in (1, 2, 3):
        # Keep the sharpest point of a cluster; ties go to the first.
        is_max &= turn > np.roll(turn, shift)
        is_max &= turn >= np.roll(turn, -shift)
    return np.flatnonzero(is_max)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.hypot(v[0], v[1]))
    return v / norm if norm > 1e-12 else v


def _bezier(ctrl: np.ndarray, u: np.ndarray) -> np.ndarray:
    mu = 1 - u
    return (
        np.outer(mu**3, ctrl[0])
        + np.outer(3 * mu**2 * u, ctrl[1])
        + np.outer(3 * mu * u**2, ctrl[2])
        + np.outer(u**3, ctrl[3])
    )


def _chord_params(points: np.ndarray) -> np.ndarray:
    d = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    return d / d[-1] if d[-1] > 0 else np.linspace(0, 1, len(points))


def _fit_cubic(points: np.ndarray, u: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Least-squares cubic from points[0] to points[-1] leaving along t0, arriving along -t1."""
    p0, p3 = points[0], points[-1]
    mu = 1 - u
    b1, b2 = 3 * mu**2 * u, 3 * mu * u**2
    a1, a2 = np.outer(b1, t0), np.outer(b2, t1)
    rest = points - np.outer(mu**3 + b1, p0) - np.outer(b2 + u**3, p3)
    c00, c01, c11 = np.sum(a1 * a1), np.sum(a1 * a2), np.sum(a2 * a2)
    x0, x1 = np.sum(a1 * rest), np.sum(a2 * rest)
    det = c00 * c11 - c01 * c01
    chord = float(np.hypot(*(p3 - p0)))
    alpha1 = alpha2 = 0.0
    if abs(det) > 1e-12:
        alpha1 = (x0 * c11 - x1 * c01) / det
        alpha2 = (c00 * x1 - c01 * x0) / det
    eps = 1e-6 * chord
    # A handle longer than the whole run it fits comes from a near-singular system (noisy
    # input), not from the shape: it can throw control points thousands of pixels away.
    arc = float(np.sum(np.linalg.norm(np.diff(points, axis=0), axis=1)))
    if alpha1 < eps or alpha2 < eps or alpha1 > arc or alpha2 > arc:
        alpha1 = alpha2 = chord / 3  # degenerate: the usual third-of-the-chord handles
    return np.array([p0, p0 + alpha1 * t0, p3 + alpha2 * t1, p3])


def _reparameterise(points: np.ndarray, ctrl: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One Newton step per point towards the nearest point of the curve."""
    d1 = 3 * np.diff(ctrl, axis=0)
    d2 = 2 * np.diff(d1, axis=0)
    mu = 1 - u
    q = _bezier(ctrl, u)
    q1 = np.outer(mu**2, d1[0]) + np.outer(2 * mu * u, d1[1]) + np.outer(u**2, d1[2])
    q2 = np.outer(mu, d2[0]) + np.outer(u, d2[1])
    diff = q - points
    num = np.sum(diff * q1, axis=1)
    den = np.sum(q1 * q1, axis=1) + np.sum(diff * q2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(np.abs(den) > 1e-12, num / den, 0.0)
    new = np.clip(u - step, 0, 1)
    new[0], new[-1] = 0.0, 1.0
    return np.maximum.accumulate(new)


def _max_error(points: np.ndarray, ctrl: np.ndarray, u: np.ndarray) -> tuple[float, int]:
    dist = np.sum((_bezier(ctrl, u) - points) ** 2, axis=1)
    i = int(np.argmax(dist[1:-1])) + 1 if len(points) > 2 else 0
    return float(math.sqrt(dist.max())), i


def _line_error(points: np.ndarray) -> float:
    d = points[-1] - points[0]
    length = float(np.hypot(d[0], d[1]))
    rel = points - points[0]
    if length < 1e-9:
        return float(np.max(np.hypot(rel[:, 0], rel[:, 1])))
    return float(np.max(np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0])) / length)


def _tangent_at(points: np.ndarray, i: int) -> np.ndarray:
    """Direction of an open run at interior point i, from points about _TANGENT_REACH away."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    lo = int(np.searchsorted(s, s[i] - _TANGENT_REACH))
    hi = int(np.searchsorted(s, s[i] + _TANGENT_REACH))
    lo, hi = min(lo, i - 1), max(min(hi, len(points) - 1), i + 1)
    return _unit(points[hi] - points[lo])


def _closed_tangent(points: np.ndarray, i: int) -> np.ndarray:
    """Direction of a closed polygon at point i, from points about _TANGENT_REACH away."""
    s, perimeter = _arc(points)
    idx = np.array([i])
    lo = _along(points, s, perimeter, -_TANGENT_REACH)[idx][0]
    hi = _along(points, s, perimeter, _TANGENT_REACH)[idx][0]
    return _unit(points[hi] - points[lo])


def _end_tangent(points: np.ndarray) -> np.ndarray:
    """Direction leaving points[0] into the run, from the points within _TANGENT_REACH."""
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    reach = min(_TANGENT_REACH, s[-1] / 3)
    j = max(1, int(np.searchsorted(s, reach)))
    near = points[1 : j + 1] - points[0]
    return _unit(near.mean(axis=0))


def _fit_run(
    points: np.ndarray,
    t0: np.ndarray,
    t1: np.ndarray,
    tolerance: float,
    out: list[np.ndarray],
    depth: int = 0,
) -> None:
    """Segments from points[0] to points[-1] (exclusive of the start) into ``out``."""
    n = len(points)
    if n <= 3 or _line_error(points) <= tolerance:
        out.append(points[-1:].copy())
        return
    u = _chord_params(points)
    ctrl = _fit_cubic(points, u, t0, t1)
    err, split = _max_error(points, ctrl, u)
    if err > tolerance and err < 8 * tolerance:
        for _ in range(4):
            u = _reparameterise(points, ctrl, u)
            ctrl = _fit_cubic(points, u, t0, t1)
            err, split = _max_error(points, ctrl, u)
            if err <= tolerance:
                break
    if err <= tolerance or depth > 30:
        out.append(ctrl[1:].copy())
        return
    split = min(max(split, 2), n - 3)
    tc = _tangent_at(points, split)
    _fit_run(points[: split + 1], t0, -tc, tolerance, out, depth + 1)
    _fit_run(points[split:], tc, t1, tolerance, out, depth + 1)


def _rdp(points: np.ndarray, tolerance: float) -> list[int]:
    """Ramer-Douglas-Peucker on an open polyline: indices of the kept points, ends included."""
    keep = [0, len(points) - 1]
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        seg = points[i : j + 1]
        d = seg[-1] - seg[0]
        rel = seg - seg[0]
        length = float(np.hypot(d[0], d[1]))
        if length < 1e-9:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0]) / length
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep.append(i + k)
            stack += [(i, i + k), (i + k, j)]
    return sorted(keep)


_FACET_COS = math.cos(math.radians(15))  # straight edges turning less than this are a curve
_STRAIGHT_PX = 12.0  # a simplified edge at least this long and this flat becomes a line


def _fit_between_cuts(
    run: np.ndarray,
    t_start: np.ndarray | None,
    t_end: np.ndarray | None,
    tolerance: float,
    out: list[np.ndarray],
) -> None:
    """Lines where ``run`` is straight, curves elsewhere, joined smoothly to the lines.

    ``t_start``/``t_end``: the outline's direction at the run's ends if it is smooth there
    (a cut in a loop without corners), None at a corner.
    """
    idx = _rdp(run, tolerance / 2)
    straight = []
    for i, j in zip(idx[:-1], idx[1:], strict=True):
        d = run[j] - run[i]
        straight.append(float(np.hypot(d[0], d[1])) >= _STRAIGHT_PX or j - i <= 1)
    # Long edges meeting at a shallow angle are facets of a gentle curve, not lines.
    for k in range(len(straight) - 1):
        if idx[k + 1] - idx[k] > 1 and idx[k + 2] - idx[k + 1] > 1:
            u = _unit(run[idx[k + 1]] - run[idx[k]])
            w = _unit(run[idx[k + 2]] - run[idx[k + 1]])
            if float(np.dot(u, w)) > _FACET_COS:
                straight[k] = straight[k + 1] = False
    k = 0
    while k < len(straight):
        if straight[k]:
            out.append(run[idx[k + 1]][None, :].copy())
            k += 1
            continue
        m = k
        while m < len(straight) and not straight[m]:
            m += 1
        i0, i1 = idx[k], idx[m]
        piece = run[i0 : i1 + 1]
        # Tangent at each end: along the neighbouring line, else the smooth cut's, else the
        # piece's own (a corner).
        if k > 0:
            t0 = _unit(run[idx[k]] - run[idx[k - 1]])
        elif t_start is not None:
            t0 = t_start
        else:
            t0 = _end_tangent(piece)
        if m < len(straight):
            t1 = _unit(run[idx[m]] - run[idx[m + 1]])
        elif t_end is not None:
            t1 = -t_end
        else:
            t1 = _end_tangent(piece[::-1])
        _fit_run(piece, t0, t1, tolerance, out)
        k = m


def fit_contour(points: np.ndarray, options: TraceOptions) -> Contour:
    """Lines and cubic curves through a closed polygon (its orientation kept)."""
    n = len(points)
    cuts = find_corners(points, options.corner_angle)
    smooth = len(cuts) == 0
    if smooth:  # no corner: cut the loop at two far-apart points, keeping it smooth there
        far = int(np.argmax(np.sum((points - points[0]) ** 2, axis=1)))
        cuts = np.array([0, far]) if 0 < far < n - 1 else np.array([0, n // 2])
    segments: list[np.ndarray] = []
    for a, b in zip(cuts, np.roll(cuts, -1), strict=True):
        run = points[a : b + 1] if b > a else np.concatenate([points[a:], points[: b + 1]])
        t_start = _closed_tangent(points, int(a)) if smooth else None
        t_end = _closed_tangent(points, int(b)) if smooth else None
        _fit_between_cuts(run, t_start, t_end, options.tolerance, segments)
    return Contour(start=points[cuts[0]].copy(), segments=tuple(segments))


def trace_bitmap(coverage: np.ndarray, options: TraceOptions | None = None) -> list[Contour]:
    """Outlines of one coverage image, in pixel coordinates; specks dropped, outers first."""
    options = options or TraceOptions()
    polygons = [p for p in trace_polygons(coverage, options.threshold) if len(p) >= 3]
    kept = [(polygon_area(p), p) for p in polygons]
    kept = [(a, p) for a, p in kept if abs(a) >= max(options.min_area, 1e-9)]
    kept.sort(key=lambda ap: -ap[0])  # outer contours (positive area) first, biggest first
    return [fit_contour(p, options) for _, p in kept]


def draw_contours(contours: list[Contour], pen: object, transform: Transform | None = None) -> None:
    """Send contours to a fontTools pen, mapped to font units by ``transform`` if given."""

    def pt(p: np.ndarray) -> np.ndarray:
        return p if transform is None else transform.to_font_units(p)

    for contour in contours:
        start = pt(contour.start[None, :])[0]
        pen.moveTo((float(start[0]), float(start[1])))  # type: ignore[attr-defined]
        for seg in contour.segments:
            q = pt(seg)
            if len(q) == 1:
                pen.lineTo((float(q[0, 0]), float(q[0, 1])))  # type: ignore[attr-defined]
            else:
                pen.curveTo(*[(float(x), float(y)) for x, y in q])  # type: ignore[attr-defined]
        pen.closePath()  # type: ignore[attr-defined]
