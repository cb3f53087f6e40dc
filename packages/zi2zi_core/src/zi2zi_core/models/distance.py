"""A distance-transform target: the generator draws how far each pixel is from a stroke edge.

With ``g_distance_px`` R > 0 (``--g-distance-px``) the generator's last layer draws a signed
distance instead of ink: per pixel, how far it lies inside a stroke (positive) or outside
(negative), in pixels, cut at R and divided by R so tanh's range [-1, 1] spans it. The L1
compares that map with the target's. Why: under the plain L1 a stroke drawn two pixels from
its place costs as much as one drawn ten pixels away (once it misses, every pixel is wrong),
and where the network is unsure where a stroke goes, the pixel-wise median of the places it
considers is a broken or doubled stroke; a distance map changes smoothly as a stroke moves,
so the loss says how far off it is and the median of the places is one stroke between them.

The generator turns its distance map into ink itself (:func:`ink_from_distance`, its last
operation), so everything that reads a generator (the discriminator, the constant loss, eval,
generate, the samples) sees an ink image as before.

The target's distance (:func:`target_distance`) is computed on the device from its ink
coverage u in [0, 1]: a pixel of partial coverage sits on the edge, at u - 1/2 px (the inverse
of the ramp below); a pixel of full ink at chessboard distance k from paper at k - 1/2, a
paper pixel at distance k from ink at -(k - 1/2), counted by R 3x3 erosions and dilations of
the ink mask (u >= 1/2), as the edge-weighted L1 counts them. Turned back into ink by
:func:`ink_from_distance` (coverage = clamp(1/2 + d, 0, 1): a one-pixel ramp across the edge)
it gives the target's coverage exactly, so the distance target loses nothing of the target.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


@torch.no_grad()
def target_distance(target: Tensor, radius_px: int) -> Tensor:
    """Model-space target (ink +1, paper -1) -> its signed distance map in [-1, 1] (see the
    module): distance in px, positive in the ink, cut at ``radius_px`` and divided by it."""
    unit = (target.float() + 1.0) * 0.5  # coverage in [0, 1]
    ink = (unit >= 0.5).float()
    grown, shrunk = ink, ink
    steps_in, steps_out = torch.zeros_like(ink), torch.zeros_like(ink)
    for _ in range(radius_px):
        grown = F.max_pool2d(grown, 3, stride=1, padding=1)
        shrunk = -F.max_pool2d(-shrunk, 3, stride=1, padding=1)
        steps_out += 1.0 - grown  # paper still not reached by the dilated ink
        steps_in += shrunk  # ink still left after the erosion
    distance = torch.where(ink > 0, steps_in + 0.5, -(steps_out + 0.5))
    partial = (unit > 0) & (unit < 1)
    distance = torch.where(partial, unit - 0.5, distance)
    return distance.clamp(-radius_px, radius_px) / radius_px


def ink_from_distance(distance: Tensor, radius_px: int) -> Tensor:
    """A distance map in [-1, 1] (px / ``radius_px``) -> the model-space ink image it draws:
    coverage clamp(1/2 + d, 0, 1), i.e. image = clamp(2 d, -1, 1)."""
    return (distance * (2.0 * radius_px)).clamp(-1.0, 1.0)
