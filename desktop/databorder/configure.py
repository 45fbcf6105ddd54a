"""The one resolver of options: what an assessment would use, for the CLI, the GUI and every status display.

A value comes from, weakest first: the engine's default (:mod:`databorder.options` reads it from the engine's
dataclasses), the organisation policy's suggested defaults, the user's saved settings, then what was given for
this run (a CLI flag, a GUI choice).  The policy's locks are applied last and win over all of them; its
mandatory packs are added to whatever packs were chosen.  What the policy changed is said in ``notes``
(recorded in the assessment), and an explicit value it overrode in ``messages`` (printed by the CLI).

``databorder geoip status``, Settings → "In use" and Help → About call :func:`configure` too, so each names the
database an assessment would record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from databorder.options import OPTIONS, SPECS, check_value, load_settings
from databorder.orgpolicy import OrgPolicy, OrgPolicyError, load_org_policy, policy_path

if TYPE_CHECKING:
    from databorder.assess import AssessOptions
    from databorder.collect.targets import TargetRequest

#: Where a resolved value came from, weakest first.
Origin = Literal["default", "organisation default", "saved", "given", "organisation"]


@dataclass(frozen=True)
class Configuration:
    """Every declared option's value for a run, where each came from, and what the policy changed."""

    values: Mapping[str, Any]
    origins: Mapping[str, Origin]
    policy: OrgPolicy = field(default_factory=OrgPolicy)
    notes: tuple[str, ...] = ()  # recorded in the assessment: what the organisation's policy changed
    messages: tuple[str, ...] = ()  # explicit values the policy overrode, said to the person who gave them

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def locked(self, name: str) -> bool:
        """Whether the organisation's policy fixes this option (the GUI greys it out)."""
        return self.policy.locked(name)

    def assess_options(self) -> AssessOptions:
        """The orchestrator's options."""
        from databorder.assess import AssessOptions

        return AssessOptions(**{s.name: self.values[s.name] for s in OPTIONS if s.scope == "assess"})

    def request(self, request: TargetRequest) -> TargetRequest:
        """``request`` (what to collect from) with the resolved collection options."""
        import dataclasses

        return dataclasses.replace(request, **{s.name: self.values[s.name] for s in OPTIONS if s.scope == "collect"})


def configure(
    given: Mapping[str, Any] | None = None,
    *,
    saved: Mapping[str, Any] | None = None,
    policy: OrgPolicy | None = None,
) -> Configuration:
    """Resolve every declared option: defaults < policy defaults < saved settings < ``given``, then the locks.

    ``saved`` and ``policy`` are read from their files when not passed (the user's settings file, the
    organisation's policy file).  ``None`` values and empty lists in a layer do not hide weaker layers.  Raises
    :class:`~databorder.errors.DataBorderError` with a sentence for a value that cannot be used, and
    :class:`~databorder.orgpolicy.OrgPolicyError` when an explicit value asks for what the policy forbids.
    """
    policy = load_org_policy() if policy is None else policy
    saved = load_settings() if saved is None else saved
    given = given or {}
    values: dict[str, Any] = {spec.name: spec.default for spec in OPTIONS}
    origins: dict[str, Origin] = dict.fromkeys(values, "default")
    layers: tuple[tuple[Origin, Mapping[str, Any]], ...] = (
        ("organisation default", policy.defaults()),
        ("saved", saved),
        ("given", given),
    )
    for origin, layer in layers:
        for name, value in layer.items():
            spec = SPECS.get(name)
            if spec is None or value is None or (isinstance(value, tuple | list) and not value):
                continue
            values[name] = check_value(spec, value)
            origins[name] = origin
    notes: list[str] = []
    messages: list[str] = []
    by = policy.managed_by()
    for name, fixed in policy.locks().items():
        spec = SPECS[name]
        if values[name] == fixed:
            continue
        if spec.online and origins[name] == "given":
            raise OrgPolicyError(
                policy.source or policy_path(),
                f"online enrichment ({spec.label}) is turned off by your organisation: nothing may be sent to "
                "third parties from this computer",
            )
        if origins[name] == "given":
            messages.append(f"{spec.flag.lstrip('-')} is set by {by}; using that")
        values[name] = fixed
        origins[name] = "organisation"
        said = f"{name} turned off" if fixed is False else f"{name.replace('_', ' ')} {fixed} used"
        notes.append(f"{said}: set by {by}")
    missing = [p for p in policy.mandatory_packs if p not in values["packs"]]
    if missing:
        values["packs"] = (*values["packs"], *missing)
        notes += [f"rule pack {p} applied: mandatory by {by}" for p in missing]
    return Configuration(values=values, origins=origins, policy=policy, notes=tuple(notes), messages=tuple(messages))
