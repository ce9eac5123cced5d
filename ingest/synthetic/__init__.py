"""Synthetic data and the demo: clearly marked sample portal exports (`sample`) and the sequence
`parwh demo` runs (`demo`). No real person or dossier is in them.
"""
