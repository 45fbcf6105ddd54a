"""Policy: rule packs (finding, loading and checking them) and their evaluation into findings, score, verdict."""

from __future__ import annotations

from databorder.policy.evaluate import BANDS, LOW_RELEVANCE, evaluate, score
from databorder.policy.packs import Rule, RulePack, available_packs, find_pack, load_pack, load_packs

DEFAULT_PACKS: tuple[str, ...] = ("us-countries-of-concern",)

__all__ = [
    "BANDS",
    "DEFAULT_PACKS",
    "LOW_RELEVANCE",
    "Rule",
    "RulePack",
    "available_packs",
    "evaluate",
    "find_pack",
    "load_pack",
    "load_packs",
    "score",
]
