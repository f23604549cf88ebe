"""Matched hyperparameter tuning: one Optuna study per arm (`ablate tune`)."""
