"""Train the evaluation classifier on the training split; report its test accuracy."""
from __future__ import annotations

import time
from pathlib import Path

import torch
from torch.nn import functional as F
from tqdm import tqdm

from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_tensors, save_tensors, state_dict_mismatch, write_json
from ganpriors.nets.classifier import SmallCNN


@torch.no_grad()
def accuracy(model: SmallCNN, images_uint8: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch):
        correct += (model(to_unit_range(images_uint8[i:i + batch])).argmax(1) == labels[i:i + batch]).sum().item()
    return correct / len(labels)


def train_classifier(settings, data_path: Path, out: Path, metrics_path: Path) -> dict:
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    train, test = load_split(data_path, "train"), load_split(data_path, "test")
    model = SmallCNN(settings.width)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    steps_per_epoch = (len(train.labels) + settings.batch_size - 1) // settings.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, settings.lr, total_steps=settings.epochs * steps_per_epoch)
    rng = torch.Generator().manual_seed(settings.seed)
    start = time.perf_counter()
    history = []
    for epoch in range(settings.epochs):
        model.train()
        order = torch.randperm(len(train.labels), generator=rng)
        total = 0.0
        for i in tqdm(range(steps_per_epoch), desc=f"classifier epoch {epoch + 1}", mininterval=10.0):
            idx = order[i * settings.batch_size:(i + 1) * settings.batch_size]
            x = to_unit_range(train.images[idx])
            # Light augmentation (random horizontal flips) makes the features less brittle.
            flip = torch.rand(len(idx), generator=rng) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            loss = F.cross_entropy(model(x), train.labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        history.append({"epoch": epoch + 1, "train_loss": total / steps_per_epoch})
    test_acc = accuracy(model, test.images, test.labels)
    result = {
        "test_accuracy": test_acc,
        "min_test_accuracy": settings.min_test_accuracy,
        "history": history,
        "seconds": round(time.perf_counter() - start, 2),
        "parameters": sum(p.numel() for p in model.parameters()),
        "feature_dim": model.head.in_features,
    }
    if test_acc < settings.min_test_accuracy:
        raise GanpriorsError(
            f"classifier test accuracy {test_acc:.4f} is below classifier.min_test_accuracy "
            f"{settings.min_test_accuracy}; raise classifier.epochs or width in params.yaml"
        )
    save_tensors(out, model.state_dict(), {"width": settings.width, "test_accuracy": test_acc})
    write_json(metrics_path, result)
    return result


def load_classifier(path: Path) -> SmallCNN:
    tensors, meta = load_tensors(path, "classifier weights")
    model = SmallCNN(int(meta.get("width", 32)))
    try:
        model.load_state_dict(tensors)
    except RuntimeError as exc:
        raise GanpriorsError(f"{path}: weights do not fit the classifier ({state_dict_mismatch(exc)}); "
                             "rerun the classifier stage") from None
    return model.eval()
