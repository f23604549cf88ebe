"""Matched budgets: what each run is planned to consume per stage, and the ledger of what it did consume."""
