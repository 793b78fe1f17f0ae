"""content/pathways/*.yaml: the completion rules of a pathway, read and checked with locations.

A pathway is an achievement (its file has every achievement field: name, description, criteria,
image, ...) plus ``requires:``, the rules over other achievements that complete it, and an optional
``within:``, the longest time between the first and the last credential that count::

    requires:                       # a list: all of these
      - faculty-coordinator
      - curriculum-contributor
      - at_least: 1                 # a nested group: at least N of its items
        of: [exchange-participant, peer-mentor]
        name: International experience    # optional: how the pathway page titles the group
    within: 2 years

A group is ``all: [...]``, ``any: [...]`` (at least one) or ``at_least: N`` with ``of: [...]``;
``requires:`` itself is a list (all of it) or one group. An item is an achievement's id (its file
name, which may be another pathway's) or a nested group. `content.model` reads the achievement
fields and calls `read_rules`; `check` then reports unknown achievements, cycles between pathways
and groups that ask for more than they hold, each at its line and column.

Nothing here knows about awards, recipients or credentials: `credsite.issuing.pathways` decides
who completes a pathway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from credsite.content.fields import Languages, Reader, Translations
from credsite.content.yamlsource import Map, Seq
from credsite.errors import Location, Problems
from credsite.values import parse_duration

KEYS = ("requires", "within")
"""The fields a pathway file has besides those of an achievement."""
GROUP_KEYS = ("all", "any", "at_least", "of", "name")
MAX_WITHIN = {"year": 100, "month": 1200, "week": 5218, "day": 36525}
MAX_ITEMS = 200
"""The most items one group may hold (a pathway page lists them all)."""


@dataclass(frozen=True)
class Component:
    """One item of a group: an achievement (or another pathway) by its id."""

    slug: str
    location: Location


@dataclass(frozen=True)
class Group:
    """At least `need` of `items` (every item when `need` == len(items))."""

    need: int
    items: tuple[Component | Group, ...]
    location: Location
    name: str | None = None
    need_location: Location | None = None
    translations: Translations = field(default_factory=dict, compare=False)
    """Its name in the site's other languages (`fields.localized`)."""

    @property
    def every(self) -> bool:
        return self.need == len(self.items)

    def components(self) -> Iterator[Component]:
        """Every achievement named in this group and its nested groups, in the order written."""
        for item in self.items:
            if isinstance(item, Group):
                yield from item.components()
            else:
                yield item

    def met(self, held: Callable[[str], bool]) -> bool:
        """Whether `held` (achievement id -> has it) satisfies the group."""
        count = 0
        for item in self.items:
            if item.met(held) if isinstance(item, Group) else held(item.slug):
                count += 1
                if count >= self.need:
                    return True
        return count >= self.need

    def short_by(self, held: Callable[[str], bool]) -> int:
        """How many more of its components `held` (achievement id -> has it) needs to meet the
        group: 0 exactly when `met(held)`. A nested group counts as the components it is short by.

        Exact because `check` lets a pathway name each component once: the items share no
        component, so the cheapest `need` of them are what is missing."""
        costs = sorted(
            item.short_by(held) if isinstance(item, Group) else 0 if held(item.slug) else 1
            for item in self.items
        )
        return sum(costs[: self.need])


@dataclass(frozen=True)
class Pathway:
    slug: str
    rules: Group
    within: tuple[int, str] | None
    location: Location
    """Where ``requires:`` is written."""
    within_location: Location | None = None

    def component_slugs(self) -> list[str]:
        """The achievements it names, each once, in the order written."""
        return list(dict.fromkeys(c.slug for c in self.rules.components()))


def read_rules(slug: str, data: Map, problems: Problems, languages: Languages) -> Pathway | None:
    """The ``requires:`` and ``within:`` of the pathway file `data` (its achievement fields are
    read by `content.model`); None when they are missing or malformed (the problems say why). A
    group's `name` may be given per language (`Reader.text`)."""
    read = Reader(data, problems, "pathway")
    if "requires" not in data:
        problems.add(
            data.location,
            "pathway needs 'requires': the achievements that complete it (a list, or a group "
            "such as 'at_least: 2' with 'of: [...]')",
        )
        return None
    where = read.loc("requires")
    rules = _group_or_list(data["requires"], where, problems, languages, top=True)
    within = None
    if (text := read.str("within")) is not None:
        within = parse_duration(text)
        if within is None:
            read.error(
                "within", f"'within' must be like '2 years', '18 months' or '90 days', got {text!r}"
            )
        elif not 1 <= within[0] <= MAX_WITHIN[within[1]]:
            read.error("within", f"'within' must be between 1 day and 100 years, got {text!r}")
            within = None
    if rules is None:
        return None
    return Pathway(slug, rules, within, where, read.loc("within") if "within" in data else None)


def _group_or_list(
    value: Any, where: Location, problems: Problems, languages: Languages, top: bool
) -> Group | None:
    if isinstance(value, Seq):
        items = _items(value, problems, languages)
        if items is None:
            return None
        return Group(len(items), tuple(items), where)
    if isinstance(value, Map):
        return _group(value, problems, languages)
    what = "'requires'" if top else "a group"
    problems.add(
        where,
        f"{what} must be a list of achievement ids, or a group: 'all: [...]', 'any: [...]' or "
        "'at_least: N' with 'of: [...]'",
    )
    return None


def _group(data: Map, problems: Problems, languages: Languages) -> Group | None:
    read = Reader(data, problems, "group")
    read.check_keys(GROUP_KEYS)
    lists = [key for key in ("all", "any", "of") if key in data]
    if len(lists) != 1:
        problems.add(
            data.location,
            "a group has exactly one of 'all: [...]', 'any: [...]' or 'at_least: N' with "
            f"'of: [...]'{'' if not lists else ', not ' + ' and '.join(repr(k) for k in lists)}",
        )
        return None
    key = lists[0]
    if key == "of" and "at_least" not in data:
        read.error("of", "'of: [...]' needs 'at_least: N' (or write 'all: [...]')")
        return None
    if key != "of" and "at_least" in data:
        read.error("at_least", f"'at_least' goes with 'of: [...]', not with '{key}'")
        return None
    seq = read.seq(key)
    if seq is None:
        if key in data and data[key] is None:
            read.error(key, f"'{key}' is empty: list the achievements of the group")
        return None
    items = _items(seq, problems, languages)
    if items is None:
        return None
    translations: Translations = {}
    name = read.text("name", languages, translations, None)
    if key == "all":
        return Group(len(items), tuple(items), data.location, name, translations=translations)
    if key == "any":
        return Group(1, tuple(items), data.location, name, translations=translations)
    need = data["at_least"]
    if isinstance(need, bool) or not isinstance(need, int):
        read.error("at_least", f"'at_least' must be a whole number, got {data.text('at_least')!r}")
        return None
    if need < 1:
        read.error("at_least", f"'at_least' must be 1 or more, got {need}")
        return None
    if need > len(items):
        read.error(
            "at_least",
            f"'at_least: {need}' asks for more than the group holds ({len(items)} "
            f"item{'' if len(items) == 1 else 's'})",
        )
        return None
    return Group(need, tuple(items), data.location, name, read.loc("at_least"), translations)


def _items(seq: Seq, problems: Problems, languages: Languages) -> list[Component | Group] | None:
    if not seq:
        problems.add(seq.location, "the list is empty: name at least one achievement")
        return None
    if len(seq) > MAX_ITEMS:
        problems.add(seq.location, f"a group holds at most {MAX_ITEMS} items, this one {len(seq)}")
        return None
    items: list[Component | Group] = []
    ok = True
    for index, (value, where) in enumerate(zip(seq, seq.item_locations, strict=True)):
        if isinstance(value, (Map, Seq)):
            group = _group_or_list(value, where, problems, languages, top=False)
            if group is None:
                ok = False
            else:
                items.append(group)
        elif value is None or not str(seq.text(index)).strip():
            problems.add(where, "empty item: write an achievement's id (its file name)")
            ok = False
        else:
            items.append(Component(str(seq.text(index)).strip(), where))
    return items if ok else None


def check(
    pathways: dict[str, Pathway],
    known: Callable[[str], str | None],
    problems: Problems,
) -> None:
    """Every component names an achievement (`known(slug)` returns None, else the message for an
    unknown one), no achievement is named twice in one pathway, and no pathway requires itself,
    directly or through others (a cycle, reported once at the pathway that closes it)."""
    for pathway in pathways.values():
        seen: dict[str, Location] = {}
        for component in pathway.rules.components():
            message = known(component.slug)
            if message is not None:
                problems.add(component.location, message)
            elif component.slug in seen:
                problems.add(
                    component.location,
                    f"'{component.slug}' is already named at {seen[component.slug]}: name each "
                    "achievement once in a pathway",
                )
            else:
                seen[component.slug] = component.location
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(slug: str, path: list[str]) -> None:
        state[slug] = 1
        path.append(slug)
        for component in pathways[slug].rules.components():
            nxt = component.slug
            if nxt not in pathways:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    shown = " -> ".join([*cycle, nxt])
                    problems.add(
                        component.location,
                        f"pathways require each other in a cycle ({shown}): no one could ever "
                        "complete them; remove one of these requirements",
                    )
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[slug] = 2

    for slug in sorted(pathways):
        if slug not in state:
            visit(slug, [])


def order(pathways: dict[str, Pathway]) -> list[str]:
    """Pathway ids with every pathway after those it requires (ties by id): the order in which
    their awards are worked out. Assumes `check` found no cycle."""
    done: list[str] = []
    placed: set[str] = set()

    def place(slug: str) -> None:
        if slug in placed:
            return
        placed.add(slug)
        for component in pathways[slug].component_slugs():
            if component in pathways:
                place(component)
        done.append(slug)

    for slug in sorted(pathways):
        place(slug)
    return done
