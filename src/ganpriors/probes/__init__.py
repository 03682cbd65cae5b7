"""Study-specific measurements on one trained run (the `probe` stage); see probes.base."""
