"""NEMGAN figures: the learned mode prior over training against the true group shares."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from ganpriors.report.common import save_figure


def pi_trajectory_figure(trajectories: dict, path: Path | str, dpi: int) -> Path:
    """trajectories: run -> {"steps": [...], "pi": [[pi_0 .. pi_{M-1}] per step], "true": [...]}.
    One panel per run, a solid line per mode and its true share dashed in the same colour."""
    n = len(trajectories)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.4), squeeze=False, sharey=True)
    for ax, (run, t) in zip(axes[0], trajectories.items()):
        columns = list(zip(*t["pi"])) if t["pi"] else [[] for _ in t["true"]]
        for k, (values, true) in enumerate(zip(columns, t["true"])):
            colour = f"C{k % 10}"
            ax.plot(t["steps"], values, color=colour, label=f"mode {k}")
            ax.axhline(true, color=colour, linestyle="--", linewidth=1)
        ax.set_title(run)
        ax.set_xlabel("generator step")
    axes[0, 0].set_ylabel(r"$\pi_k$ (dashed: true share)")
    axes[0, -1].legend(fontsize="small", loc="upper right")
    fig.suptitle("Learned mode prior over training")
    return save_figure(fig, path, dpi)
