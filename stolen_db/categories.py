"""Goods categories: the one list for stolen reports and the register's items (API.md)."""

from __future__ import annotations

CATEGORIES = (
    "phone", "tablet", "laptop", "computer", "ict_other", "camera", "audio_video",
    "game_console", "bicycle", "e_bike", "bicycle_part", "moped", "vehicle_part", "watch",
    "jewellery", "precious_metal", "precious_stone", "art", "tool", "other",
)  # fmt: skip
ICT_CATEGORIES = ("phone", "tablet", "laptop", "computer", "ict_other")
BICYCLE_CATEGORIES = ("bicycle", "e_bike")


def category_labels() -> dict[str, str]:
    """Human names of the categories, in the page's language."""
    from flask_babel import gettext as _

    return {
        "phone": _("Phone"),
        "tablet": _("Tablet"),
        "laptop": _("Laptop"),
        "computer": _("Computer"),
        "ict_other": _("Other ICT"),
        "camera": _("Camera"),
        "audio_video": _("Audio and video"),
        "game_console": _("Game console"),
        "bicycle": _("Bicycle"),
        "e_bike": _("E-bike"),
        "bicycle_part": _("Bicycle part"),
        "moped": _("Moped or scooter"),
        "vehicle_part": _("Vehicle part"),
        "watch": _("Watch"),
        "jewellery": _("Jewellery"),
        "precious_metal": _("Precious metal"),
        "precious_stone": _("Precious stone"),
        "art": _("Art"),
        "tool": _("Tool"),
        "other": _("Other"),
    }
