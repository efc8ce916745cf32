"""Logging filters."""

import logging


class WithoutTraceback(logging.Filter):
    """Log the message without the exception's traceback.

    Django logs a request refused for its size (RequestDataTooBig, TooManyFieldsSent) with the
    whole traceback, as if the server had failed; it is the client's mistake, answered with a
    400, and the message says all there is to say.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
