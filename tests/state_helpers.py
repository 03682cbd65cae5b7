"""Helpers for the tests that train a few steps in process: tiny data, a state through a checkpoint
round trip, and bitwise comparison of two state_dicts."""
from __future__ import annotations

import io

import torch


def images_and_labels(n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, torch.randint(0, 10, (n,), generator=g)


def write_tiny_dataset(path, n: int = 64):
    """A prepared-dataset file (the prepare stage's layout) of images_and_labels(n), as both splits."""
    from ganpriors.io import save_tensors

    images, labels = images_and_labels(n)
    as_uint8 = ((images + 1) * 127.5).round().to(torch.uint8)
    save_tensors(path, {"train_images": as_uint8, "train_labels": labels, "test_images": as_uint8.clone(),
                        "test_labels": labels.clone()})
    return path


def saved_and_loaded(state: dict) -> dict:
    """Through torch.save / torch.load(weights_only=True), as a training checkpoint goes."""
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def flat(tree, prefix: str = "") -> dict:
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in flat(sub, f"{prefix}{key}/").items()}
    if isinstance(tree, (list, tuple)):
        return {k: v for i, sub in enumerate(tree) for k, v in flat(sub, f"{prefix}{i}/").items()}
    return {prefix: tree}


def same(a, b) -> bool:
    """Two nested state_dicts hold the same keys and, bit for bit, the same values."""
    fa, fb = flat(a), flat(b)
    return fa.keys() == fb.keys() and all(
        torch.equal(fa[k], fb[k]) if isinstance(fa[k], torch.Tensor) else fa[k] == fb[k] for k in fa)


def steps(state, n: int):
    """n generator steps of a ganpriors.train.state.TrainState, as the training loop takes them."""
    from ganpriors.train.step import train_step

    for _ in range(n):
        train_step(state)
        state.step += 1
    return state


def assert_resumes_bitwise(make_state, before: int = 2, after: int = 2):
    """`before` steps, the state through torch.save into a fresh state (make_state(checkpoint)),
    `after` more: the same state, bit for bit, as before + after uninterrupted steps (nets,
    optimisers, streams, hooks), and G's weights moved, to finite values. Returns the trained state."""
    full = make_state(None)
    start = {k: v.clone() for k, v in full.generator.state_dict().items()}
    steps(full, before)
    resumed = make_state(saved_and_loaded(full.state_dict()))
    assert same(resumed.state_dict(), full.state_dict())
    steps(full, after)
    steps(resumed, after)
    assert same(resumed.state_dict(), full.state_dict())
    weights = full.generator.state_dict()
    assert any(not torch.equal(start[k], weights[k]) for k in start)
    assert all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
    return full
