"""Policy: rule packs (loading and checking) and their evaluation into findings, score and verdict."""

from __future__ import annotations

from databorder.policy.evaluate import BANDS, evaluate, score
from databorder.policy.packs import Rule, RulePack, find_pack, load_pack

DEFAULT_PACKS: tuple[str, ...] = ("us-countries-of-concern",)

__all__ = ["BANDS", "DEFAULT_PACKS", "Rule", "RulePack", "evaluate", "find_pack", "load_pack", "score"]
