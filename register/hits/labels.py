"""Words that reach the hits page as data, listed for the translation catalogue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = [
    # match kinds
    _l("exact"),
    _l("normalized"),
    _l("lookalike"),
    _l("near"),
    # identifier types
    _l("imei"),
    _l("serial_number"),
    _l("frame_number"),
    # item statuses, as the hits page shows them
    _l("holding"),
    _l("available"),
    _l("sold"),
    _l("police_hold"),
    _l("seized"),
    _l("released"),
    # stolen report statuses
    _l("active"),
    _l("withdrawn"),
]
