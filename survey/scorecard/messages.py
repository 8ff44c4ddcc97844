"""Messages of the scorecard services: marked for translation, read in the reader's language.

The scorecard also runs from the command line and the demo, where no request
exists; there a message reads in English (as survey.results.messages does).
"""

from __future__ import annotations

from ..results.messages import N_, ResultsError, text

__all__ = ["N_", "ScorecardError", "text"]


class ScorecardError(ResultsError):
    """A scorecard request refused with a message saying why; nothing was changed.

    The same shape as the results' errors (``message()`` in the reader's
    language, ``str()`` in English), so a page shows either the same way.
    """
