"""The role-by-endpoint matrix: every API endpoint, every role, and no token.

Each area lists its endpoints in an ``access_rules.py`` beside its tests (``RULES``); the
matrix test walks them all with every role, and fails when an API route is in no list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("dealer", "municipality", "enforcement", "police", "admin")
PUBLIC = "public"


@dataclass(frozen=True)
class Rule:
    method: str
    path: str  # concrete path; ids name records that need not exist
    roles: frozenset[str]  # roles allowed; PUBLIC: no token needed
    json: dict | None = field(default=None, hash=False)

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def rule(method: str, path: str, *roles: str, json: dict | None = None) -> Rule:
    return Rule(method, path, frozenset(roles), json)


def all_rules() -> list[Rule]:
    rules = []
    root = Path(__file__).parent
    for path in sorted(root.rglob("access_rules.py")):
        module_name = ".".join(("tests", *path.relative_to(root).with_suffix("").parts))
        rules.extend(importlib.import_module(module_name).RULES)
    return rules
