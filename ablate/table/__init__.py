"""`ablate table`: a paper's table recomputed from data, printed beside the published numbers (DESIGN.md, "Table spec").

A table spec says where the numbers come from (`source`, optionally melted from wide to tidy), how they are
grouped (`rows`, `columns`, `aggregate`, `margins`) and what the paper printed (`reference`). The flow, one module
per step: `spec` (validate the YAML) → `source` (read and melt) → `pivot` (aggregate into cells, add margins) →
`reference` (the published cells) → `paper_table` (both side by side, in one layout) → `check` / `render`.

Only pandas, PyYAML and pydantic are imported: reading a table must start fast (no torch).
"""
