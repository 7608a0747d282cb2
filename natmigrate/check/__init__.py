"""The CI gate behind `natmigrate check`: inputs, suppressions, baselines and verdicts."""
