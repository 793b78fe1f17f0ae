"""RDFC-1.0 canonical labelling on N-Quads terms, and quad templates filled in per document.

Pure Python (hashlib only); :mod:`.jsonld` owns pyld and uses this module for its
shape cache. Two parts:

* :func:`canonical_nquads` runs the RDF Dataset Canonicalization algorithm
  (https://www.w3.org/TR/rdf-canon/, URDNA2015 as pyld implements it: Hash First Degree Quads,
  Hash Related Blank Node, Hash N-Degree Quads with the same permutation order) on a dataset
  given as quads of serialised terms, and returns the canonical N-Quads, sorted, each line ending
  in ``\\n``, byte for byte what pyld's ``normalize`` returns for the same dataset.
* :class:`Template` is a dataset some of whose IRIs and literal values are *slots*, filled in from
  the string values of a document of the same shape (see :mod:`.jsonld`).

A term is kept as its N-Quads form: ``<iri>``, ``_:label`` or ``"escaped"`` plus ``@lang`` or
``^^<datatype>``; the first character tells them apart. The graph name is ``None`` for the
default graph. Literal escaping is pyld's (``\\\\``, ``\\t``, ``\\n``, ``\\r``, ``\\"``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

Quad = tuple[str, str, str, str | None]
"""(subject, predicate, object, graph name or None), each a serialised N-Quads term."""

MAX_N_DEGREE_CALLS = 2_000
"""Work limit for Hash N-Degree Quads: past it :class:`TooComplex` is raised (callers fall back
to the plain algorithm) instead of spending exponential time on a poison graph."""


class TooComplex(Exception):
    """The dataset needs more Hash N-Degree Quads work than :data:`MAX_N_DEGREE_CALLS`."""


_NEEDS_ESCAPE = re.compile(r'[\\\t\n\r"]')


def escape_literal(value: str) -> str:
    """A literal's lexical form escaped for N-Quads exactly as pyld does it."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace('"', '\\"')
    )


def serialize(quad: Quad) -> str:
    """One N-Quads line (with the trailing `` .\\n``)."""
    s, p, o, g = quad
    if g is None:
        return f"{s} {p} {o} .\n"
    return f"{s} {p} {o} {g} .\n"


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Issuer:
    """The Issue Identifier algorithm's state: a prefix, a counter and the issued order."""

    __slots__ = ("existing", "order", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.existing: dict[str, str] = {}
        self.order: list[str] = []

    def issue(self, old: str) -> str:
        new = self.existing.get(old)
        if new is None:
            new = self.existing[old] = f"{self.prefix}{len(self.order)}"
            self.order.append(old)
        return new

    def copy(self) -> _Issuer:
        other = _Issuer(self.prefix)
        other.existing = dict(self.existing)
        other.order = list(self.order)
        return other


def _permutations(elements: list[str]) -> Iterator[list[str]]:
    """Every permutation of ``elements``, sorted first, in Steinhaus-Johnson-Trotter order
    (pyld's order; the chosen path does not depend on it, ties are automorphisms)."""
    elements = sorted(elements)
    left = dict.fromkeys(elements, True)
    length = len(elements)
    last = length - 1
    while True:
        yield elements
        k: str | None = None
        pos = 0
        for i in range(length):
            e = elements[i]
            is_left = left[e]
            if (k is None or e > k) and (
                (is_left and i > 0 and e > elements[i - 1])
                or (not is_left and i < last and e > elements[i + 1])
            ):
                k, pos = e, i
        if k is None:
            return
        swap = pos - 1 if left[k] else pos + 1
        elements[pos], elements[swap] = elements[swap], k
        for i in range(length):
            if elements[i] > k:
                left[elements[i]] = not left[elements[i]]


class _State:
    """The canonicalization state for one dataset."""

    def __init__(self, quads: Sequence[Quad]) -> None:
        # pyld adds a quad once per blank-node component (twice for `_:x p _:x`): so do we.
        self.bnode_quads: dict[str, list[Quad]] = {}
        for quad in quads:
            s, _p, o, g = quad
            if s[0] == "_":
                self.bnode_quads.setdefault(s, []).append(quad)
            if o[0] == "_":
                self.bnode_quads.setdefault(o, []).append(quad)
            if g is not None and g[0] == "_":
                self.bnode_quads.setdefault(g, []).append(quad)
        self.first_degree: dict[str, str] = {}
        self.canonical = _Issuer("_:c14n")
        self.calls = 0

    def hash_first_degree(self, ref: str) -> str:
        """Hash First Degree Quads: the reference blank node as ``_:a``, any other as ``_:z``."""
        cached = self.first_degree.get(ref)
        if cached is not None:
            return cached
        lines = []
        for s, p, o, g in self.bnode_quads[ref]:
            if s[0] == "_":
                s = "_:a" if s == ref else "_:z"
            if o[0] == "_":
                o = "_:a" if o == ref else "_:z"
            if g is None:
                lines.append(f"{s} {p} {o} .\n")
            else:
                if g[0] == "_":
                    g = "_:a" if g == ref else "_:z"
                lines.append(f"{s} {p} {o} {g} .\n")
        lines.sort()
        result = self.first_degree[ref] = _sha256_hex("".join(lines))
        return result

    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        """Hash Related Blank Node."""
        identifier = self.canonical.existing.get(related)
        if identifier is None:
            identifier = issuer.existing.get(related)
        if identifier is None:
            identifier = self.hash_first_degree(related)
        if position == "g":
            return _sha256_hex(position + identifier)
        return _sha256_hex(position + predicate + identifier)

    def hash_n_degree(self, ref: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        """Hash N-Degree Quads: (hash, the issuer of the chosen path)."""
        self.calls += 1
        if self.calls > MAX_N_DEGREE_CALLS:
            raise TooComplex
        related_map: dict[str, list[str]] = {}
        for s, p, o, g in self.bnode_quads[ref]:
            if s[0] == "_" and s != ref:
                related_map.setdefault(self.hash_related(s, p, issuer, "s"), []).append(s)
            if o[0] == "_" and o != ref:
                related_map.setdefault(self.hash_related(o, p, issuer, "o"), []).append(o)
            if g is not None and g[0] == "_" and g != ref:
                related_map.setdefault(self.hash_related(g, p, issuer, "g"), []).append(g)
        data = hashlib.sha256()
        for related_hash, blank_nodes in sorted(related_map.items()):
            data.update(related_hash.encode("utf-8"))
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in _permutations(blank_nodes):
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    canonical = self.canonical.existing.get(related)
                    if canonical is not None:
                        path += canonical
                    else:
                        if related not in issuer_copy.existing:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related)
                    path += "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.update(chosen_path.encode("utf-8"))
            assert chosen_issuer is not None  # the first permutation is never skipped
            issuer = chosen_issuer
        return data.hexdigest(), issuer

    def label(self) -> dict[str, str]:
        """Issue a canonical identifier to every blank node; returns old label -> new label."""
        by_hash: dict[str, list[str]] = {}
        for bnode in self.bnode_quads:
            by_hash.setdefault(self.hash_first_degree(bnode), []).append(bnode)
        shared = []
        for _hash, bnodes in sorted(by_hash.items()):
            if len(bnodes) == 1:
                self.canonical.issue(bnodes[0])
            else:
                shared.append(bnodes)
        for bnodes in shared:
            results = []
            for bnode in bnodes:
                if bnode in self.canonical.existing:
                    continue
                issuer = _Issuer("_:b")
                issuer.issue(bnode)
                results.append(self.hash_n_degree(bnode, issuer))
            for _hash, result_issuer in sorted(results, key=lambda r: r[0]):
                for existing in result_issuer.order:
                    self.canonical.issue(existing)
        return self.canonical.existing


def canonical_nquads(quads: Sequence[Quad]) -> str:
    """The RDFC-1.0 canonical N-Quads of a dataset (pyld's URDNA2015 output for it).

    ``quads`` must hold no duplicates (a dataset is a set; pyld's serialiser would repeat them).
    Raises :class:`TooComplex` past :data:`MAX_N_DEGREE_CALLS` Hash N-Degree Quads calls.
    """
    state = _State(quads)
    if not state.bnode_quads:
        lines = [serialize(q) for q in quads]
    else:
        labels = state.label()
        lines = []
        for s, p, o, g in quads:
            if s[0] == "_":
                s = labels[s]
            if o[0] == "_":
                o = labels[o]
            if g is None:
                lines.append(f"{s} {p} {o} .\n")
            else:
                if g[0] == "_":
                    g = labels[g]
                lines.append(f"{s} {p} {o} {g} .\n")
    lines.sort()
    return "".join(lines)


# --- templates -------------------------------------------------------------------------------

IRI_SLOT = "iri"
LITERAL_SLOT = "literal"


class Template:
    """A dataset whose terms are constants or slots, filled from a document's string values.

    ``quads`` index into a term table: first the constants (``constants``; ``None`` stands for
    the default graph), then one term per entry of ``slot_terms``, each ``(slot, kind, suffix)``:
    an IRI ``<value>`` or a literal ``"escaped value"`` followed by ``suffix`` (``""``,
    ``@lang`` or ``^^<datatype>``).

    ``value_classes`` gives, per literal slot, what else than its string pyld compares when it
    merges equal values (the expanded value object's ``@type`` and ``@language``): pyld keeps
    one of two equal values of a node's property, and both if they differ in anything, even
    when they serialise alike. :meth:`fill` follows that, or gives up.
    """

    __slots__ = (
        "constants",
        "fixed_literals",
        "iri_subjects",
        "literal_class",
        "mergeable",
        "quads",
        "slot_terms",
    )

    def __init__(
        self,
        constants: list[str | None],
        slot_terms: list[tuple[int, str, str]],
        quads: list[tuple[int, int, int, int]],
        value_classes: dict[int, object],
    ) -> None:
        self.constants = constants
        self.slot_terms = slot_terms
        self.quads = quads
        offset = len(constants)
        # per term: None (IRI, blank node, default graph), _FIXED (a constant literal: pinned
        # values, whose JSON type pyld also compares) or the slot's value class
        classes: list[object] = [
            _FIXED if term is not None and term[0] == '"' else None for term in constants
        ]
        for slot, kind, _suffix in slot_terms:
            classes.append(value_classes.get(slot, _FIXED) if kind == LITERAL_SLOT else None)
        self.literal_class = classes

        def is_iri(index: int) -> bool:
            if index >= offset:
                return slot_terms[index - offset][1] == IRI_SLOT
            term = constants[index]
            return term is not None and term[0] == "<"

        self.iri_subjects = sorted({s for s, _p, _o, _g in quads if is_iri(s)})
        # two nodes of one @id are merged: possible only if a subject is a slot
        self.mergeable = len(self.iri_subjects) > 1 and self.iri_subjects[-1] >= offset
        self.fixed_literals: dict[int, list[tuple[int, int]]] = {}
        for s, p, o, _g in quads:
            if classes[o] is _FIXED and s in self.iri_subjects:
                self.fixed_literals.setdefault(s, []).append((p, o))

    def fill(self, values: Sequence[str]) -> list[Quad] | None:
        """The dataset pyld makes for a document of this shape whose slot values are ``values``,
        or ``None`` if this cannot be told without pyld (the caller uses the plain algorithm)."""
        table: list[str | None] = list(self.constants)
        for slot, kind, suffix in self.slot_terms:
            value = values[slot]
            if kind is IRI_SLOT:
                table.append("<" + value + ">")
            else:
                table.append('"' + escape_literal(value) + '"' + suffix)
        quads = [(table[s], table[p], table[o], table[g]) for s, p, o, g in self.quads]
        merged = False
        if self.mergeable:
            subjects = [table[i] for i in self.iri_subjects]
            merged = len(set(subjects)) != len(subjects)
        if not merged and len(set(quads)) == len(quads):
            return quads  # type: ignore[return-value]  # only the graph name can be None
        return self._merge(table, quads, merged)  # type: ignore[arg-type]

    def _merge(self, table: list[str | None], quads: list[Quad], merged: bool) -> list[Quad] | None:
        """Equal quads made once, as pyld's node map does, where that is certain."""
        if merged:
            groups: dict[str | None, list[int]] = {}
            for index in self.iri_subjects:
                groups.setdefault(table[index], []).append(index)
            for members in groups.values():
                if len(members) < 2:
                    continue
                # pyld compares merged values with Python's == (1 == 1.0): give up if two
                # constant literals of one property could meet
                found: dict[int, str | None] = {}
                for member in members:
                    for p, o in self.fixed_literals.get(member, ()):
                        if found.setdefault(p, table[o]) != table[o]:
                            return None
        seen: dict[Quad, object] = {}
        out: list[Quad] = []
        for (_s, _p, o, _g), quad in zip(self.quads, quads, strict=True):
            value_class = self.literal_class[o]
            previous = seen.get(quad, _UNSEEN)
            if previous is _UNSEEN:
                seen[quad] = value_class
                out.append(quad)
            elif value_class is _FIXED or previous != value_class:
                return None
        return out


_FIXED = object()
_UNSEEN = object()
