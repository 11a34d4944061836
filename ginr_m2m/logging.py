import logging


class WithoutTraceback(logging.Filter):
    """Keep a record's message, drop its traceback."""

    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        return True
