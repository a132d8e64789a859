"""Words that reach the pages as data (statuses, match kinds, schema messages).

Listed here so that the translation catalogue has them; pages show them with ``_(value)``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = [
    # report statuses
    _l("active"),
    _l("withdrawn"),
    # marshmallow's messages for the report form
    _l("Missing data for required field."),
    _l("Not a valid datetime."),
    _l(
        "Must be one of: phone, tablet, laptop, computer, ict_other, camera, audio_video, "
        "game_console, bicycle, e_bike, bicycle_part, moped, vehicle_part, watch, jewellery, "
        "precious_metal, precious_stone, art, tool, other."
    ),
    _l("Length must be between 1 and 64."),
    _l("Longer than maximum length 100."),
    _l("Longer than maximum length 64."),
    _l("Longer than maximum length 2000."),
]
