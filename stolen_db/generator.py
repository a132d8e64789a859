"""Realistic synthetic stolen reports, for the demo data and the benchmarks.

IMEIs carry real-looking type allocation codes (the first 8 digits, per brand) and a valid
Luhn check digit; serial numbers follow the formats of common brands; bicycle frame numbers
look like stamped ones; descriptions read like a victim's (in Dutch). Deterministic for a
given seed, and fast enough to make millions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from stdnum import luhn

DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = DIGITS + UPPER
# Apple's newer serials avoid vowels and the look-alike letters.
APPLE_ALPHABET = "0123456789CDFGHJKLMNPQRTVWXY"

# Type allocation codes that look like those of real handsets, per brand and model.
PHONES = {
    "Apple": {
        "iPhone 11": ["35391110", "35332510", "35671810"],
        "iPhone 13": ["35407115", "35895609", "35316811"],
        "iPhone 14 Pro": ["35096281", "35493275"],
        "iPhone SE": ["35676211", "35331211"],
    },
    "Samsung": {
        "Galaxy S21": ["35286107", "35881311"],
        "Galaxy A52": ["35315711", "35072612"],
        "Galaxy S23": ["35088744", "35196429"],
    },
    "Google": {"Pixel 7": ["35802510", "35375611"], "Pixel 6a": ["35141730"]},
    "Xiaomi": {"Redmi Note 12": ["86769404", "86089506"], "13T": ["86217306"]},
    "OnePlus": {"Nord 3": ["86360104"], "11": ["86287806"]},
    "Motorola": {"moto g54": ["35925406", "35413622"]},
}

ICT = {
    # category: [(brand, models, serial format)]
    "laptop": [
        ("Apple", ["MacBook Air M2", "MacBook Pro 14"], "apple"),
        ("Dell", ["Latitude 5420", "XPS 13"], "dell"),
        ("Lenovo", ["ThinkPad T14", "IdeaPad 5"], "lenovo"),
        ("HP", ["EliteBook 840", "Pavilion 15"], "hp"),
    ],
    "tablet": [
        ("Apple", ["iPad Air", "iPad 10e generatie"], "apple"),
        ("Samsung", ["Galaxy Tab S8", "Galaxy Tab A8"], "samsung"),
    ],
    "camera": [
        ("Canon", ["EOS R6", "EOS 250D"], "canon"),
        ("Sony", ["Alpha 7 IV", "ZV-1"], "sony"),
        ("Nikon", ["Z6 II", "D7500"], "nikon"),
    ],
    "game_console": [
        ("Nintendo", ["Switch OLED", "Switch"], "nintendo"),
        ("Sony", ["PlayStation 5"], "playstation"),
    ],
    "audio_video": [("Bose", ["QuietComfort 45"], "bose"), ("Sonos", ["Move", "Roam"], "sonos")],
    "watch": [
        ("Garmin", ["Forerunner 255", "Fenix 7"], "garmin"),
        ("Apple", ["Watch SE"], "apple"),
    ],
}

BICYCLES = {
    # brand: (models, frame number format)
    "Gazelle": (["Orange C8", "Ultimate C8", "Chamonix"], "gazelle"),
    "Batavus": (["Finez", "Dinsdag", "Quip"], "batavus"),
    "Sparta": (["M8b", "C-Grid"], "sparta"),
    "Cortina": (["E-U4", "Common"], "cortina"),
    "VanMoof": (["S3", "X3", "S5"], "vanmoof"),
    "Giant": (["Escape 3", "Explore E+"], "giant"),
    "Trek": (["FX 2", "Allant+ 7"], "trek"),
    "Cube": (["Kathmandu", "Nature"], "cube"),
}

COLOURS = ["zwart", "wit", "grijs", "zilver", "blauw", "donkerblauw", "rood", "groen", "goud"]
PHONE_MARKS = [
    "barst in scherm", "blauwe hoes", "sticker op achterkant", "screenprotector",
    "kras op camera", "zwarte leren hoes", "hoesje met pasjes", "deuk in hoek",
]  # fmt: skip
ICT_MARKS = [
    "sticker op deksel", "kras op behuizing", "naam gegraveerd", "toets mist",
    "in grijze tas", "met oplader", "deuk in hoek", "inventarisnummer school",
]  # fmt: skip
BIKE_MARKS = [
    "kinderzitje achter", "fietstassen", "mand voorop", "bel ontbreekt", "roest op stuur",
    "sticker op frame", "kettingslot om frame", "nieuw zadel", "spatbord beschadigd",
]  # fmt: skip

# (category, weight): phones and bicycles are what is stolen most.
CATEGORY_WEIGHTS = [
    ("phone", 40), ("bicycle", 20), ("e_bike", 8), ("laptop", 12), ("tablet", 8),
    ("camera", 4), ("game_console", 4), ("audio_video", 2), ("watch", 2),
]  # fmt: skip
# Dutch police units (eenheden) as the prefix of report numbers.
POLICE_UNITS = [f"{n:02d}" for n in range(1, 11)]


class Generator:
    """Makes stolen reports: ``Generator(seed=1).reports(1000)``."""

    def __init__(self, seed: int | None = None, *, start: int = 1, now: datetime | None = None):
        self.random = random.Random(seed)
        self.sequence = start
        self.now = now or datetime.now().astimezone()
        categories, weights = zip(*CATEGORY_WEIGHTS, strict=True)
        self._categories = list(categories)
        self._cum_weights = list(_accumulate(weights))

    # identifiers ------------------------------------------------------------------------

    def _chars(self, alphabet: str, n: int) -> str:
        return "".join(self.random.choices(alphabet, k=n))

    def imei(self, brand: str | None = None, model: str | None = None) -> str:
        """A 15-digit IMEI: a brand's type allocation code, 6 digits, a Luhn check digit."""
        brand = brand or self.random.choice(list(PHONES))
        models = PHONES[brand]
        if model not in models:
            model = self.random.choice(list(models))
        tac = self.random.choice(models[model])
        body = tac + self._chars(DIGITS, 6)
        return body + luhn.calc_check_digit(body)

    def serial(self, style: str) -> str:
        """A serial number in the format of a brand (``style``)."""
        r = self._chars
        if style == "apple":
            if self.random.random() < 0.5:  # the older 12-character format
                return "C02" + r(UPPER, 1) + r(ALNUM, 4) + r(UPPER, 2) + r(ALNUM, 2)
            return r(APPLE_ALPHABET, 10)
        if style == "dell":  # service tag
            return r(ALNUM, 7)
        if style == "lenovo":
            return self.random.choice(["PF", "R9", "MP"]) + r(ALNUM, 6)
        if style == "hp":
            return self.random.choice(["5CG", "CND", "5CD"]) + r(DIGITS, 4) + r(ALNUM, 3)
        if style == "samsung":
            return "R5" + r(DIGITS, 1) + r(UPPER, 1) + r(DIGITS, 2) + r(ALNUM, 5)
        if style == "canon":
            return r(DIGITS, 12)
        if style == "sony":
            return r(DIGITS, 7)
        if style == "nikon":
            return r(DIGITS, 7)
        if style == "nintendo":
            return "XAW" + r(DIGITS, 11)
        if style == "playstation":
            return "E" + r(DIGITS, 10)
        if style == "bose":
            return r(DIGITS, 3) + r(UPPER, 1) + r(DIGITS, 9) + "AE"
        if style == "sonos":
            return "-".join(r("0123456789ABCDEF", 2) for _ in range(6)) + ":" + r(DIGITS, 1)
        if style == "garmin":
            return r(DIGITS, 10)
        raise ValueError(f"unknown serial style {style!r}")

    def frame_number(self, style: str) -> str:
        """A bicycle frame number as stamped by a brand (``style``)."""
        r = self._chars
        if style == "gazelle":
            return "GZ" + r(DIGITS, 7)
        if style == "batavus":
            return "BA" + r(DIGITS, 2) + r(UPPER, 1) + r(DIGITS, 6)
        if style == "sparta":
            return "SP" + r(DIGITS, 8)
        if style == "cortina":
            return "CT" + r(DIGITS, 6) + r(UPPER, 1)
        if style == "vanmoof":
            return "ASY" + r(DIGITS, 7)
        if style == "giant":
            return r(UPPER, 1) + r(DIGITS, 7) + r(UPPER, 1)
        if style == "trek":
            return "WTU" + r(DIGITS, 3) + r(UPPER, 1) + r(DIGITS, 4) + r(UPPER, 1)
        if style == "cube":
            return "WCU" + r(DIGITS, 7) + r(UPPER, 1)
        raise ValueError(f"unknown frame style {style!r}")

    # reports ----------------------------------------------------------------------------

    def report_number(self) -> str:
        number = f"PL{self.random.choice(POLICE_UNITS)}00-{self.now.year}{self.sequence:07d}"
        self.sequence += 1
        return number

    def _description(self, marks: list[str]) -> str:
        colour = self.random.choice(COLOURS)
        return f"{colour}, {self.random.choice(marks)}"

    def report(self) -> dict:
        """One report's fields, as the police would send them (API.md)."""
        rnd = self.random
        category = rnd.choices(self._categories, cum_weights=self._cum_weights)[0]
        data = {
            "report_number": self.report_number(),
            "reported_at": self.now - timedelta(seconds=rnd.randrange(730 * 24 * 3600)),
            "category": category,
            "imei": None,
            "serial_number": None,
            "frame_number": None,
        }
        if category == "phone":
            brand = rnd.choice(list(PHONES))
            model = rnd.choice(list(PHONES[brand]))
            data.update(brand=brand, model=model, imei=self._typed(self.imei(brand, model)))
            if brand == "Apple" and rnd.random() < 0.3:
                data["serial_number"] = self.serial("apple")
            data["description"] = self._description(PHONE_MARKS)
        elif category in ("bicycle", "e_bike"):
            brand = rnd.choice(list(BICYCLES))
            models, style = BICYCLES[brand]
            data.update(brand=brand, model=rnd.choice(models))
            data["frame_number"] = self.frame_number(style)
            data["description"] = self._description(BIKE_MARKS)
        else:
            brand, models, style = rnd.choice(ICT[category])
            data.update(brand=brand, model=rnd.choice(models), serial_number=self.serial(style))
            data["description"] = self._description(ICT_MARKS)
        return data

    def _typed(self, imei: str) -> str:
        """IMEIs as people write them down: mostly plain, sometimes grouped."""
        if self.random.random() < 0.8:
            return imei
        return f"{imei[:2]}-{imei[2:8]}-{imei[8:14]}-{imei[14]}"

    def reports(self, count: int) -> Iterator[dict]:
        for _ in range(count):
            yield self.report()


def _accumulate(values):
    total = 0
    for value in values:
        total += value
        yield total
