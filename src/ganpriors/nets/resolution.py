"""Nets built for powers of two (32 x 32) on 28 x 28 data: our choice is to keep the data, the
evaluation and every artefact at the dataset's size, and let the net adapt at its edges. D pads
its input with the background value (-1, black in [-1, 1]) to the size it was built for; G draws
at that size and its output is centre-cropped back. Fashion-MNIST's 2-pixel border is background,
so the padded real images are what a 32 x 32 copy of the dataset would hold.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

BACKGROUND = -1.0  # images are in [-1, 1]


def pad_to(x: torch.Tensor, size: int, value: float = BACKGROUND) -> torch.Tensor:
    """Centre x (B, C, H, W) in a size x size canvas filled with `value` (no-op at that size)."""
    h, w = x.shape[-2:]
    if (h, w) == (size, size):
        return x
    if h > size or w > size:
        raise ValueError(f"cannot pad {h} x {w} images to {size} x {size}")
    top, left = (size - h) // 2, (size - w) // 2
    return F.pad(x, (left, size - w - left, top, size - h - top), value=value)


def centre_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The central height x width window of x (B, C, H, W): pad_to's inverse."""
    h, w = x.shape[-2:]
    if height > h or width > w:
        raise ValueError(f"cannot crop {h} x {w} images to {height} x {width}")
    top, left = (h - height) // 2, (w - width) // 2
    return x[..., top: top + height, left: left + width]
