"""Words that reach the pages as data (statuses, match kinds, schema messages).

Listed here so that the translation catalogue has them; pages show them with ``_(value)``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = [
    # report statuses
    _l("active"),
    _l("withdrawn"),
    # marshmallow's own messages for the report form (the schema gives the others)
    _l("Missing data for required field."),
    _l("Not a valid datetime."),
]
