"""The evaluation classifier: a small CNN whose penultimate features and logits replace Inception's."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

FEATURE_DIM_PER_WIDTH = 4  # penultimate size = 4 * width


class SmallCNN(nn.Module):
    def __init__(self, width: int = 32, n_classes: int = 10, in_channels: int = 1):
        super().__init__()
        w = width
        self.width = width
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(True),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(True),
            nn.MaxPool2d(2),  # 14
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(True),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(True),
            nn.MaxPool2d(2),  # 7
            nn.Flatten(),
            nn.Linear(2 * w * 49, FEATURE_DIM_PER_WIDTH * w),
            nn.ReLU(True),
        )
        self.head = nn.Linear(FEATURE_DIM_PER_WIDTH * w, n_classes)

    def features_and_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: float images in [-1, 1], N x 1 x 28 x 28."""
        f = self.body(x)
        return f, self.head(f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(x)[1]


def predict_proba(model: SmallCNN, x: torch.Tensor) -> torch.Tensor:
    return F.softmax(model(x), dim=1)
