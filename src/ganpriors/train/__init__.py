"""Training: one GAN per run and seed (`train`), and the step API the GAN systems fit into.

  batch.py    Batch(x, y, extras), the batch sources of the training data
  context.py  StepContext: batch, latents, fakes and D's heads, computed once per batch
  hooks.py    Hook (before z, terms, after D/G steps, export), GeneratorEMA
  rngs.py     named random streams of a run
  conditioning.py  labels of a class-conditional run's fakes (the 'labels' stream)
  state.py    TrainState: nets, optimisers, loss, hooks, streams, progress; one state_dict
  step.py     train_step(state): n_critic D updates, one G update
  loop.py     train(): build, resume, step, log, checkpoint, write the artefacts
The trained model's file format and loading live in ganpriors.artifacts.
"""
from __future__ import annotations


def __getattr__(name: str):
    # Lazy, so that the regularisers can import the step API (context, hooks) without the loop,
    # which imports them in turn.
    if name == "train":
        from ganpriors.train.loop import train

        return train
    raise AttributeError(f"module 'ganpriors.train' has no attribute {name!r}")
