"""Helpers the test suites share: fixture paths, workbook writers, the outcome oracle."""
