"""Recipients whose email addresses are so alike that one is probably a typo of the other.

Layer 1 (imports nothing from credsite). Two different addresses (already lower-cased and
stripped, as `credsite.content.model` keeps them) are reported as a pair when either rule holds:

1. "same name, near domain": their local parts are the same once normalised (lower case, without
   a "+tag" and without dots) and their domains are at most two edits apart, e.g.
   ``jane.doe@example.org`` and ``janedoe@exmaple.org``; identical domains count too
   (``jane.doe+work@example.org`` and ``jane.doe@example.org``);
2. "one edit": the whole addresses are one edit apart, e.g. ``jane@example.org`` and
   ``jame@example.org``; except when the edit changes only digits and the two awards give
   different names: numbered addresses (``student1234@`` and ``student1235@``) belong to
   different people.

An edit inserts, deletes or replaces one character, or swaps two adjacent ones (the optimal string
alignment distance). Rule 1 groups addresses by normalised local part; rule 2 finds every pair one
edit apart directly (addresses equal but for one deleted character at the same place, an address
equal to another without one character, an address equal to another with two neighbours
swapped), so neither compares every address with every other: 10,000 recipients take a fraction
of a second, also when their addresses are numbered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SAME_LOCAL = "same name, near domain"
ONE_EDIT = "one edit"


@dataclass(frozen=True, order=True)
class Pair:
    first: str
    second: str
    rule: str


def near_duplicates(
    emails: Iterable[str], names: Mapping[str, Iterable[str]] | None = None
) -> list[Pair]:
    """Every pair of distinct addresses that either rule matches, sorted, each pair once.

    `names`: the names given with each address (rule 2 needs them for edits of digits; without
    them, such pairs are left out)."""
    unique = sorted(set(emails))
    found: dict[tuple[str, str], str] = {}
    by_local: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for email in unique:
        local, _, domain = email.rpartition("@")
        by_local[normalised_local(local)].append((email, domain))
    for group in by_local.values():
        for i, (a, domain_a) in enumerate(group):
            for b, domain_b in group[i + 1 :]:
                if distance(domain_a, domain_b, 2) <= 2:
                    found[(a, b)] = SAME_LOCAL

    def one_edit(a: str, b: str, changed: str) -> None:
        pair = (a, b) if a < b else (b, a)
        if pair in found:
            return
        if changed.isdigit():
            given = names or {}
            if not set(given.get(a, ())) & set(given.get(b, ())):
                return
        found[pair] = ONE_EDIT

    everyone = set(unique)
    # Most keys belong to one address: keep the first owner, and a list only when shared.
    owner: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    for email in unique:
        for i in range(len(email)):
            shorter = email[:i] + email[i + 1 :]
            if shorter in everyone:  # `email` is `shorter` with one character inserted
                one_edit(shorter, email, email[i])
            key = f"{i}:{shorter}"  # same key: equal but for the character at i
            first = owner.setdefault(key, email)
            if first is not email:
                shared.setdefault(key, [first]).append(email)
            if i + 1 < len(email) and email[i] != email[i + 1]:
                swapped = email[:i] + email[i + 1] + email[i] + email[i + 2 :]
                if swapped in everyone and email < swapped:
                    one_edit(email, swapped, email[i : i + 2])
    for key, alike in shared.items():
        i = int(key.split(":", 1)[0])
        for k, a in enumerate(alike):
            for b in alike[k + 1 :]:
                one_edit(a, b, a[i] + b[i])
    return sorted(Pair(a, b, rule) for (a, b), rule in found.items())


def normalised_local(local: str) -> str:
    """The local part as most mail providers read it: lower case, no "+tag", no dots."""
    return local.lower().split("+", 1)[0].replace(".", "")


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of `a` and `b`, or `limit + 1` once it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)
