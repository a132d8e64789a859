"""Chain heads anchored outside the database: a signed statement of every chain's head.

``anchor-heads`` writes one file per run (daily, from cron or the worker): the position and
hash of the last entry of every dealer's register chain (``register:<dealer id>``) and every
ledger chain, signed with HMAC-SHA256 under ``ANCHOR_SECRET``. A chain may grow after it was
anchored, never shrink or change: ``check_anchors`` finds a tail deleted with the head
"fixed" to match, which the chains alone cannot show.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from ..dealers.models import Dealer
from ..purchases.chain import canonical, timestamp
from ..purchases.models import Correction, Purchase, Sale
from .keyed import sign, signature_matches
from .models import LedgerHead

FORMAT = "register-anchor/1"


def register_chain(dealer_id: int) -> str:
    return f"register:{dealer_id}"


def chain_heads(session: Session) -> dict[str, list]:
    """[position, hash] of the last entry of every chain, by chain name."""
    heads = {
        register_chain(dealer_id): [position, entry_hash]
        for dealer_id, position, entry_hash in session.execute(
            select(Dealer.id, Dealer.last_chain_position, Dealer.last_entry_hash)
        )
        if position
    }
    heads.update(
        (chain, [position, head_hash])
        for chain, position, head_hash in session.execute(
            select(LedgerHead.chain, LedgerHead.position, LedgerHead.head_hash)
        )
    )
    return heads


def _body(document: dict) -> str:
    return canonical({key: document[key] for key in ("format", "created_at", "heads")})


def write_anchor(session: Session, directory: Path, now: datetime) -> Path:
    """Write the signed statement of every chain head into ``directory``; its path."""
    document = {"format": FORMAT, "created_at": timestamp(now), "heads": chain_heads(session)}
    document["signature"] = sign(_body(document))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"heads-{now:%Y%m%dT%H%M%S%fZ}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    os.replace(partial, path)  # a reader never sees half a file
    return path


@dataclass(frozen=True)
class Anchored:
    file: str
    position: int
    hash: str


def load_anchors(directory: Path) -> tuple[dict[str, list[Anchored]], list[str], int]:
    """Every head anchored in ``directory``'s files, by chain; the problems with the files
    themselves (unreadable, or not signed with this installation's key); how many files."""
    anchored: dict[str, list[Anchored]] = {}
    problems = []
    files = sorted(directory.glob("heads-*.json"))
    for path in files:
        try:
            document = json.loads(path.read_text())
            body, signature = _body(document), document["signature"]
        except (OSError, ValueError, KeyError, TypeError):
            problems.append(f"anchor file {path.name} cannot be read as an anchor")
            continue
        if not signature_matches(body, signature):
            problems.append(
                f"anchor file {path.name} is not signed with this register's anchor key "
                "(altered, or from elsewhere)"
            )
            continue
        for chain, (position, head_hash) in document["heads"].items():
            anchored.setdefault(chain, []).append(Anchored(path.name, position, head_hash))
    return anchored, problems, len(files)


def check_anchors(anchors: list[Anchored], hashes: dict[int, str]) -> str | None:
    """What happened to a chain (its hashes by position) since it was anchored, if anything."""
    end = max(hashes, default=0)
    for anchor in sorted(anchors, key=lambda a: -a.position):
        found = hashes.get(anchor.position)
        if found == anchor.hash:
            continue
        if anchor.position > end:
            return (
                f"the chain ends at entry {end}, but {anchor.file} anchored entry "
                f"{anchor.position}: the last {anchor.position - end} entries were deleted"
            )
        if found is None:
            return f"entry {anchor.position}, anchored in {anchor.file}, is missing"
        return f"entry {anchor.position} differs from the one anchored in {anchor.file}"
    return None


def register_hashes(session: Session, dealer_id: int) -> dict[int, str]:
    """The entry hash at every position of a dealer's register chain."""
    parts = [
        select(model.chain_position, model.entry_hash).where(model.dealer_id == dealer_id)
        for model in (Purchase, Correction, Sale)
    ]
    return dict(session.execute(union_all(*parts)).all())
