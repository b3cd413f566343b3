"""The bottom layer: the records every stage passes on, user-facing errors, reading and writing
files, and what sejajar knows of Indonesian and English words and numbers (where each module's
job is: docs/architecture.md)."""
