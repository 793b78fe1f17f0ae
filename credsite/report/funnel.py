"""How far recipients are along each pathway: the numbers of the report's pathway funnel.

Layer 17 (after issuing.pathways). Nothing here says what completes a pathway: who has completed
one is `credsite.issuing.pathways.completion`, the rule by which `credsite build` awards pathway
credentials; which credentials count towards it now is `credsite.issuing.pathways.counting_at`
(issued, not expired, not revoked or suspended, inside its `within:` window); how many components
a recipient still lacks is `credsite.content.pathways.Group.short_by`, which is 0 exactly when the
rules are met.

For each recipient (one email address) and pathway, one of:

* completed: `completion` finds when (the pathway credential's issue date);
* otherwise, among those holding at least one credential that counts towards it now: one, two,
  or three or more components away (the fewest more credentials, issued now, that would complete
  it; a component that is itself a pathway is one component);
* otherwise not counted (nothing that counts towards it: not started, or lapsed).

Time to completion: from the first of the credentials that complete it (those the pathway
credential links to as its evidence) to the completion.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from credsite.content.pathways import Component, Group, Pathway
from credsite.issuing.pathways import Held, completion, counting_at

DAY = 86_400.0


@dataclass
class Progress:
    """One pathway's funnel."""

    pathway: Pathway
    completed: int = 0
    one: int = 0
    two: int = 0
    further: int = 0
    """Three or more components away (holding at least one that counts)."""
    days: list[float] = field(default_factory=list)
    """Per recipient who completed it: days from their first counted credential to completion."""

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.days) if self.days else None


def progress(
    pathway: Pathway,
    holdings: Mapping[str, list[Held]],
    now: dt.datetime,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> Progress:
    """`pathway`'s funnel over `holdings` (email -> the recipient's issued credentials), as of
    `now`. Completions are counted when completed from `start` (inclusive) to `end` (exclusive);
    a recipient who completed it outside those dates is not counted at all."""
    found = Progress(pathway)
    components = set(pathway.component_slugs())
    for held_by in holdings.values():
        items = [h for h in held_by if h.achievement in components]
        if not items:
            continue  # most recipients of a large site: quicker than asking `completion`
        done = completion(pathway, items)
        if done is not None:
            if (start and done.when < start) or (end and done.when >= end):
                continue
            found.completed += 1
            found.days.append((done.when - done.counted[0].valid_from).total_seconds() / DAY)
            continue
        held = {h.achievement for h in counting_at(pathway, items, now)}
        if not held:
            continue
        short = pathway.rules.short_by(held.__contains__)
        if short == 1:
            found.one += 1
        elif short == 2:
            found.two += 1
        elif short > 2:
            found.further += 1
        # short == 0 cannot happen: rules met now means `completion` found a moment
    return found


def describe(group: Group, names: Mapping[str, str], top: bool = True) -> str:
    """The rules in words, with the achievements' names: "all of: A, B, any of (C, D)"; a named
    group as "Its name (any of: C, D)"."""
    parts = [
        describe(item, names, top=False) if isinstance(item, Group) else _name(item, names)
        for item in group.items
    ]
    listed = ", ".join(parts)
    lead = "all of" if group.every else "any of" if group.need == 1 else f"at least {group.need} of"
    if top:
        return f"{lead}: {listed}"
    return f"{group.name} ({lead}: {listed})" if group.name else f"{lead} ({listed})"


def _name(component: Component, names: Mapping[str, str]) -> str:
    return names.get(component.slug, component.slug)
