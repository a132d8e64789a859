"""HTTP errors from stolen_db, rendered by the application as problem details.

The application renders every ``HTTPException`` under /api/ as RFC 9457 problem+json and
turns field messages attached the webargs way (``exc.data["messages"]``) into its
``errors`` object; stolen_db raises through that convention instead of importing it.
"""

from __future__ import annotations

from typing import NoReturn

from werkzeug.exceptions import default_exceptions


def problem(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> NoReturn:
    exc = default_exceptions[status](description=detail)
    if errors:
        exc.data = {"messages": {"json": errors}}
    raise exc
