"""Every model of the register, imported in one place so the metadata is complete."""

from .accounts.models import ApiToken, AuditEntry, OneTimeLink, User  # noqa: F401
from .dealers.meldplicht import DolReport  # noqa: F401
from .dealers.models import Dealer, Municipality  # noqa: F401
from .dealers.rules import MunicipalRule  # noqa: F401
from .hits.models import Hit  # noqa: F401
from .idempotency import IdempotencyKey  # noqa: F401
from .imports.models import ImportFile, ImportJob  # noqa: F401
from .inspections.models import Inspection, InspectionTask  # noqa: F401
from .integrity.models import LedgerEntry, LedgerHead  # noqa: F401
from .investigation.models import (  # noqa: F401
    Alert,
    AlertItem,
    InvestigationWatermark,
    ItemIdentifierGram,
    ItemWord,
)
from .purchases.models import Correction, Item, Purchase, Sale, Seller  # noqa: F401
