"""The evaluation classifier: the pinned weights shipped with the package (checked by SHA-256), or,
when params say `classifier.pinned: null`, one trained on the training split; its test accuracy.

FID in a classifier's feature space is only comparable between runs scored by the same weights,
exactly as the standard FID fixes Inception's: by default every score uses the pinned file
(src/ganpriors/weights/<name>.safetensors), whatever torch release would have trained another.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import torch
from torch.nn import functional as F
from tqdm import tqdm

from ganpriors.data.datasets import load_split, to_unit_range
from ganpriors.environment import fingerprint
from ganpriors.errors import GanpriorsError
from ganpriors.io import atomic_path, load_tensors, save_tensors, sha256_file, state_dict_mismatch, write_json
from ganpriors.nets.classifier import SmallCNN

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"


def pinned_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.safetensors"


def provide_classifier(settings, data_path: Path, out: Path, metrics_path: Path) -> dict:
    """The classifier stage: the pinned weights, verified and checked on the test split, or a new one."""
    if settings.pinned is None:
        return train_classifier(settings, data_path, out, metrics_path)
    source, digest = verified_pinned(settings.pinned)
    torch.set_num_threads(settings.threads)
    test = load_split(data_path, "test")
    model = load_classifier(source)
    test_acc = accuracy(model, test.images, test.labels)
    if test_acc < settings.min_test_accuracy:
        raise GanpriorsError(f"pinned classifier test accuracy {test_acc:.4f} is below classifier.min_test_accuracy "
                             f"{settings.min_test_accuracy}: the prepared data are not the dataset it was trained on")
    with atomic_path(out) as tmp:
        shutil.copyfile(source, tmp)
    result = {"source": "pinned", "name": settings.pinned.name, "sha256": digest, "test_accuracy": test_acc,
              "min_test_accuracy": settings.min_test_accuracy,
              "parameters": sum(p.numel() for p in model.parameters()), "feature_dim": model.head.in_features}
    write_json(metrics_path, {**result, "environment": fingerprint("cpu")})
    return result


def verified_pinned(pinned, key: str = "classifier.pinned") -> tuple[Path, str]:
    """(path, SHA-256) of the shipped weights `pinned` (PinnedWeights) names, checked against its hash;
    `key` is where params name them (in the one-line errors)."""
    source = pinned_path(pinned.name)
    if not source.is_file():
        raise GanpriorsError(f"{key}.name = {pinned.name!r}: no such file {source}; reinstall "
                             "ganpriors, or set classifier.pinned: null to train a classifier (new scores, new hash)")
    digest = sha256_file(source)
    if digest != pinned.sha256:
        raise GanpriorsError(f"{source}: SHA-256 {digest} is not {key}.sha256 {pinned.sha256}; "
                             "the file is not the pinned classifier (reinstall ganpriors, or pin this file's hash "
                             "knowingly: every score changes)")
    return source, digest


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
        "parameters": sum(p.numel() for p in model.parameters()),
        "feature_dim": model.head.in_features,
    }
    if test_acc < settings.min_test_accuracy:
        raise GanpriorsError(
            f"classifier test accuracy {test_acc:.4f} is below classifier.min_test_accuracy "
            f"{settings.min_test_accuracy}; raise classifier.epochs or width in params.yaml"
        )
    save_tensors(out, model.state_dict(), {"width": settings.width, "test_accuracy": test_acc, "name": "retrained"})
    result.update(source="retrained", name="retrained", sha256=sha256_file(out))
    write_json(metrics_path, {**result, "environment": fingerprint("cpu")})
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
