"""The site with every CSV row of a download slowed down (`KB_SLOW_EXPORT_SECONDS` each), for
tests/test_exports.py to show a real gunicorn finishes a download that outlasts its worker timeout."""

import os
import time

from knowledgebase import create_app, exports

_row = exports.csv_row
_delay = float(os.environ.get("KB_SLOW_EXPORT_SECONDS", "0"))


def _slow_row(row, public_base):
    time.sleep(_delay)
    return _row(row, public_base)


exports.csv_row = _slow_row
app = create_app()
