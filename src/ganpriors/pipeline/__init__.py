"""The pipeline's single description (stages), its paths (layout), params tracking (tracking)
and the generated dvc.yaml (dvc). Torch-free: the Snakefile imports it."""
