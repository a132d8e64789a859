"""Words shown from data (report types, statuses, goods categories), marked for translation.

Templates translate them with ``_(value)``; listing them here puts them in the catalogue.
"""

from flask_babel import lazy_gettext as _l

WORDS = (
    _l("start"), _l("change"), _l("stop"),
    _l("submitted"), _l("accepted"), _l("rejected"),
    _l("pending"), _l("active"), _l("stopped"),
    _l("phone"), _l("tablet"), _l("laptop"), _l("computer"), _l("ict_other"), _l("camera"),
    _l("audio_video"), _l("game_console"), _l("bicycle"), _l("e_bike"), _l("bicycle_part"),
    _l("moped"), _l("vehicle_part"), _l("watch"), _l("jewellery"), _l("precious_metal"),
    _l("precious_stone"), _l("art"), _l("tool"), _l("other"),
)  # fmt: skip
