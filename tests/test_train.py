"""Training: determinism, resume after SIGKILL, divergence, and loading that cannot run code."""
from __future__ import annotations

from ganpriors.config.core import read_yaml

import os
import pickle
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
import yaml

from ganpriors.config import load_params
from ganpriors.errors import GanpriorsError
from ganpriors.io import load_checkpoint, load_tensors, save_tensors
from ganpriors.priors.fitting import fit_prior
from ganpriors.artifacts import load_generator
from ganpriors.train import train

from conftest import QUICK


@pytest.fixture
def tiny(tmp_path):
    """A params file, a synthetic prepared dataset and a normal prior file."""
    raw = read_yaml(QUICK)
    raw["defaults"]["train"].update(steps=60, log_every=10, checkpoint_every=10, batch_size=16)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (256, 1, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (256,), generator=g)
    save_tensors(tmp_path / "data.safetensors", {"train_images": images, "train_labels": labels,
                                                 "test_images": images.clone(), "test_labels": labels.clone()})
    params = load_params(path)
    fit_prior(params.resolve_run("normal").prior, tmp_path / "prior.safetensors", tmp_path / "prior.json", 16)
    return tmp_path, params


def weights(path: Path) -> dict:
    return load_tensors(path)[0]


def test_same_run_and_seed_gives_bitwise_identical_weights(tiny):
    root, params = tiny
    run = params.resolve_run("normal")
    a = train(run, 0, root / "data.safetensors", root / "prior.safetensors", root / "a", root / "ck", progress=False)
    b = train(run, 0, root / "data.safetensors", root / "prior.safetensors", root / "b", root / "ck", progress=False)
    c = train(run, 1, root / "data.safetensors", root / "prior.safetensors", root / "c", root / "ck", progress=False)
    wa, wb, wc = (weights(root / d / "generator.safetensors") for d in "abc")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert any(not torch.equal(wa[k], wc[k]) for k in wa)
    assert (root / "a/generator.safetensors").read_bytes() == (root / "b/generator.safetensors").read_bytes()
    assert a["status"] == b["status"] == c["status"] == "completed" and a["steps"] == 60
    assert a["deterministic"] is True and a["nondeterministic_operations"] == []
    assert not list((root / "ck").rglob("*.pt"))  # the checkpoint is removed once the outputs exist


def _train_cmd(root: Path, out: str) -> list[str]:
    return ["ganpriors", "--params", str(root / "params.yaml"), "train", "--run", "normal", "--seed", "0",
            "--data", str(root / "data.safetensors"), "--prior", str(root / "prior.safetensors"),
            "--out-dir", str(root / out), "--no-progress"]


@pytest.mark.parametrize("kill_after_checkpoints", [1, 3])
def test_sigkill_then_rerun_resumes_and_matches_uninterrupted(tiny, kill_after_checkpoints):
    root, params = tiny
    raw = yaml.safe_load((root / "params.yaml").read_text())
    raw["defaults"]["train"].update(steps=400, checkpoint_every=40)
    (root / "params.yaml").write_text(yaml.safe_dump(raw))
    subprocess.run(_train_cmd(root, "full"), cwd=root, check=True, capture_output=True)

    proc = subprocess.Popen(_train_cmd(root, "killed"), cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt_dir = root / ".ganpriors/checkpoints/normal"
    deadline = time.time() + 120
    seen = set()
    while len(seen) < kill_after_checkpoints and time.time() < deadline and proc.poll() is None:
        for f in ckpt_dir.glob("*.pt") if ckpt_dir.exists() else []:
            try:
                seen.add(torch.load(f, weights_only=True)["step"])
            except Exception:
                pass  # being replaced right now
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed; raise steps"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / "killed/generator.safetensors").exists()  # no output looks complete
    assert not [p for p in (root / "killed").glob("*")] if (root / "killed").exists() else True

    done = subprocess.run(_train_cmd(root, "killed"), cwd=root, capture_output=True, text=True, check=True)
    assert "completed after 400 steps" in done.stdout
    summary = yaml.safe_load((root / "killed/train.json").read_text())
    assert summary["resumed_from_step"] >= 40 * kill_after_checkpoints - 40 and summary["resumed_from_step"] > 0
    wf, wk = weights(root / "full/generator.safetensors"), weights(root / "killed/generator.safetensors")
    assert all(torch.equal(wf[k], wk[k]) for k in wf)
    # The log holds no wall-clock column (timings go to ganpriors.timings): every row of the resumed
    # log, to the last digit, is the uninterrupted one's, none lost or repeated around the kill.
    full_log, killed_log = ((root / d / "train_log.csv").read_text().splitlines() for d in ("full", "killed"))
    assert full_log[0] == "step,loss_d,loss_g,d_real,d_fake"
    assert [r.split(",")[0] for r in killed_log[1:]] == [str(s) for s in range(10, 401, 10)]
    assert killed_log == full_log


@pytest.mark.parametrize("run_name", ["sg_genes", "sg_mapping", "nemgan_p_superclass"])
def test_learned_priors_and_regularisers_resume_bitwise(tiny, run_name, monkeypatch):
    """Gene banks, the mapping MLP, NEMGAN's inversion network, mode logits and their optimizers and
    random streams are all in the checkpoint: an interrupted run ends bit for bit like an
    uninterrupted one (the prior update is on from step 10 in the quick configuration)."""
    import ganpriors.train.loop as training

    root, params = tiny
    run = params.resolve_run(run_name)
    run = run.model_copy(update={"train": run.train.model_copy(update={"steps": 40, "checkpoint_every": 10})})
    prior = root / f"{run_name}.safetensors"
    fit_prior(run.prior, prior, root / f"{run_name}.json", run.model.z_dim)
    args = (root / "data.safetensors", prior)
    initial = []  # the learned prior's and the regularisers' networks as TrainState.create built them
    create = training.TrainState.create

    def recording_create(*a, **kw):
        state = create(*a, **kw)
        aux = {f"{name}.{module}.{k}": v.detach().clone() for name, hook in state.hooks.items()
               for module, net in hook.modules().items() for k, v in net.state_dict().items()}
        initial.append(({k: v.clone() for k, v in state.prior.state().items()}, aux))
        return state

    monkeypatch.setattr(training.TrainState, "create", recording_create)
    full = train(run, 0, *args, root / "full", root / "ck", progress=False)
    monkeypatch.setattr(training.TrainState, "create", create)
    trained = weights(root / "full/generator.safetensors")
    prior_start, aux_start = initial[0]
    assert prior_start and set(prior_start) == {k[len("prior."):] for k in trained if k.startswith("prior.")}
    unchanged = [k for k, v in prior_start.items() if torch.equal(trained[f"prior.{k}"], v)]
    assert not unchanged  # gene banks, mapping MLP or mode logits: every learned tensor was stepped
    aux_trained = [k for k, v in aux_start.items() if v.is_floating_point() and v.numel() > 1
                   and not torch.equal(trained[f"aux.{k}"], v)]
    assert bool(aux_trained) == run_name.startswith("nemgan")  # NEMGAN's inversion network trains with G

    saved = []
    original = training.save_checkpoint

    def save_then_die(path, state):
        original(path, state)
        saved.append(state["step"])
        if len(saved) == 2:
            raise KeyboardInterrupt  # killed right after the checkpoint of step 20

    monkeypatch.setattr(training, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(run, 0, *args, root / "resumed", root / "ck", progress=False)
    monkeypatch.setattr(training, "save_checkpoint", original)
    resumed = train(run, 0, *args, root / "resumed", root / "ck", progress=False)

    assert resumed["resumed_from_step"] == 20 and full["resumed_from_step"] == 0
    assert (root / "full/generator.safetensors").read_bytes() == (root / "resumed/generator.safetensors").read_bytes()
    keys = set(weights(root / "full/generator.safetensors"))
    assert any(k.startswith("prior.") for k in keys)  # the learned prior is saved with the generator
    assert any(k.startswith("aux.mode_matching.inversion.") for k in keys) == (run_name.startswith("nemgan"))
    # Every column, the regularisers' (match_z, prior_kl, pi_k, ...) included: the log has no timing column.
    full_log = (root / "full/train_log.csv").read_text()
    assert len(full_log.splitlines()) == 1 + 40 // run.train.log_every
    assert full_log == (root / "resumed/train_log.csv").read_text()


def test_huge_learning_rate_is_recorded_as_diverged(tiny):
    root, params = tiny
    run = params.resolve_run("normal")
    run = run.model_copy(update={"train": run.train.model_copy(update={"lr_g": 1.0e30, "lr_d": 1.0e30, "steps": 200})})
    s = train(run, 0, root / "data.safetensors", root / "prior.safetensors", root / "d", root / "ck", progress=False)
    assert s["status"] == "diverged" and s["diverged_at_step"] is not None and s["steps"] < 200
    assert (root / "d/generator.safetensors").exists()


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_planted_pickle_is_refused(tmp_path):
    exploit = _Exploit()
    exploit.marker = tmp_path / "pwned"
    path = tmp_path / "ckpt.pt"
    with open(path, "wb") as f:
        pickle.dump({"generator": exploit}, f)
    with pytest.raises(GanpriorsError, match="refused to load"):
        load_checkpoint(path)
    assert not exploit.marker.exists()


def test_truncated_and_wrong_shape_generators_are_reported(tiny):
    root, params = tiny
    run = params.resolve_run("normal")
    train(run, 0, root / "data.safetensors", root / "prior.safetensors", root / "g", root / "ck", progress=False)
    good = (root / "g/generator.safetensors").read_bytes()
    (root / "trunc.safetensors").write_bytes(good[: len(good) // 2])
    with pytest.raises(GanpriorsError, match="unreadable generator checkpoint .* delete it and rerun"):
        load_generator(root / "trunc.safetensors")
    tensors, meta = load_tensors(root / "g/generator.safetensors")
    meta["model"]["g_channels"] *= 2  # the file claims another architecture than its weights
    save_tensors(root / "wrong.safetensors", tensors, meta)
    with pytest.raises(GanpriorsError, match="weights do not fit the dcgan generator"):
        load_generator(root / "wrong.safetensors")


def test_output_folder_that_cannot_be_created_is_one_line_error(tiny):
    root, params = tiny
    (root / "blocker").write_text("a file where the output folder should be")
    proc = subprocess.run(_train_cmd(root, "blocker/run"), cwd=root, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "cannot create output folder" in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_read_only_output_folder_is_one_line_error(tiny, monkeypatch, capsys):
    """In process, with os.access reporting the folder unwritable (what ensure_output_dir asks the
    system), so that it also runs as root, for whom chmod 0o500 still allows writing."""
    import ganpriors.cli as cli

    root, params = tiny
    ro = (root / "ro").resolve()
    ro.mkdir()
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path).resolve() == ro and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
    for variable in cli.BLAS_THREAD_VARIABLES:  # main() sets them for its process: restored after the test
        monkeypatch.setenv(variable, os.environ.get(variable, "1"))
    threads = torch.get_num_threads()
    try:
        code = cli.main(_train_cmd(root, "ro")[1:])
    finally:
        torch.set_num_threads(threads)
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == f"ganpriors train: error: {ro}: output folder is not writable; fix its permissions or " \
                          "choose another path"
    assert not any(ro.iterdir())  # refused before training wrote anything


def test_missing_dataset_is_one_line_error(tiny, tmp_path):
    root, params = tiny
    cmd = _train_cmd(root, "x")
    cmd[cmd.index("--data") + 1] = str(tmp_path / "nope.safetensors")
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "prepared dataset not found; run the stage that produces it" in proc.stderr
    assert not (root / "x").exists()


def test_nondeterminism_monitor_records_ops_without_deterministic_kernels():
    import warnings

    from ganpriors.device import NondeterminismMonitor

    with NondeterminismMonitor() as quiet:
        torch.ones(3).sum()
    with NondeterminismMonitor() as noisy:
        warnings.warn("scatter_add_cuda_kernel does not have a deterministic implementation, but you set ...")
    assert quiet.deterministic and not noisy.deterministic
    assert noisy.operations == ["scatter_add_cuda_kernel does not have a deterministic implementation, but you set ..."]


def test_inception_without_local_weights_is_a_clear_error(tmp_path):
    from ganpriors.config import FeatureExtractorSettings
    from ganpriors.metrics.features import InceptionFeatures

    settings = FeatureExtractorSettings(name="inception-v3-compat", weights=str(tmp_path / "missing.pth"))
    with pytest.raises(GanpriorsError, match="inception-v3-compat needs a local weights file"):
        InceptionFeatures.build(settings, tmp_path / "clf", torch.device("cpu"))
    exploit = _Exploit()
    exploit.marker = tmp_path / "pwned"
    with open(tmp_path / "evil.pth", "wb") as f:
        pickle.dump({"w": exploit}, f)
    settings = FeatureExtractorSettings(name="inception-v3-compat", weights=str(tmp_path / "evil.pth"))
    with pytest.raises(GanpriorsError, match="refused to load Inception weights"):
        InceptionFeatures.build(settings, tmp_path / "clf", torch.device("cpu"))
    assert not exploit.marker.exists()
