"""Jobs: what runs for one Run (arm × seed), requeue-safe, resuming from the latest checkpoint on disk."""
