"""Errors of casualty analytics. No Django import: the estimation modules raise them too."""

from __future__ import annotations


class EstimationInputError(ValueError):
    """A capture-history table or an estimation request the user must fix.

    The message is one line that says what is wrong and what to do; the CLI prints it and
    exits 2.
    """
