"""JSON-LD for signing: bundled contexts, an offline loader, RDFC-1.0 and a "nothing dropped" check.

The only module that touches pyld. eddsa-rdfc-2022 signs the RDF Dataset Canonicalization
(RDFC-1.0, published as URDNA2015 in pyld) of the credential
(https://www.w3.org/TR/vc-di-eddsa/#transformation-eddsa-rdfc-2022,
https://www.w3.org/TR/rdf-canon/). Two hazards make this module more than a one-liner:

* Contexts must never come from the network: a build has to be reproducible and offline, and a
  fetched context could change what a signature means. The loader serves the bundled copies only
  and every pyld call gets it explicitly (never ``jsonld.set_document_loader``).
* pyld has no "safe mode": an undefined term is silently dropped and a relative IRI is resolved
  against ``http://example.org/base/``, so such data would be outside the signature, and safe-mode
  verifiers (jsonld.js, Digital Bazaar) reject the credential. :func:`check_terms_defined` refuses
  those documents, naming the JSON path of each problem.

Both jobs share one expansion, done by a pyld processor subclass that hooks pyld 3.x internals
(``_expand``, ``_expand_object``, ``_expand_value``, ``_process_context``); the tests compare its
output with plain pyld and with the W3C / 1EdTech vectors. ``@direction`` is refused too: without
an ``rdfDirection`` option RDFC would drop it. Context processing, including type-scoped contexts,
is cached per loader, which makes canonicalisation about three times faster than plain pyld.

:func:`canonicalize` goes further with the RDFC-1.0 *shape cache* (the section of that name
below): documents of one shape (keys, nesting, array lengths, contexts, types) are expanded once
into a quad template, and each document only fills in its values and runs the canonical
labelling (:mod:`.fastcanon`), about ten times faster than expanding it, with the same bytes as
:func:`canonicalize_uncached` (the plain path, also taken for anything the cache cannot vouch for).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

from .fastcanon import (
    IRI_SLOT,
    LITERAL_SLOT,
    Template,
    TooComplex,
    canonical_nquads,
    escape_literal,
)

CONTEXT_FILES: dict[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    # CLR 2.0.1, verbatim from 1EdTech/digital-credentials-public-validator @ 38254719 (the copy
    # the 1EdTech validator pins), sha256 880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-v2p0-context-2.0.1.json",
}

_CONTEXT_DIR = Path(__file__).parent / "contexts"

DocumentLoader = Callable[..., dict[str, Any]]


class JsonLdError(ValueError):
    """A document cannot be processed safely; ``problems`` lists the JSON paths at fault."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems or [])


@cache
def _bundled(url: str) -> dict[str, Any]:
    """The parsed bundled context for ``url`` (parsed once)."""
    text = (_CONTEXT_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


class _LruCache(OrderedDict[Any, Any]):
    """The small mapping pyld's ContextResolver needs as a shared cache, bounded."""

    def __init__(self, maxsize: int = 256) -> None:
        super().__init__()
        self.maxsize = maxsize

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.maxsize:
            self.popitem(last=False)


class _BoundedCache(dict[Any, Any]):
    """A dict that forgets its oldest entry when full: one hash per lookup (shape keys are long
    tuples, and tuples do not keep their hash)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self and len(self) >= self.maxsize:
            del self[next(iter(self))]
        super().__setitem__(key, value)


class _Loader:
    """An offline pyld document loader over the bundled contexts plus optional extra ones.

    Each loader owns its processed-context cache, so a context resolved through a loader with
    extra contexts can never leak into the bundled-only loader via pyld's global cache.
    """

    def __init__(self, extra: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.extra: dict[str, dict[str, Any]] = copy.deepcopy(dict(extra or {}))
        self.cache = _LruCache()
        self.scoped = _LruCache(maxsize=2048)
        self.shapes = _BoundedCache(maxsize=512)  # shape key -> _Family (the RDFC-1.0 shape cache)
        self._terms: frozenset[str] | None = None

    def terms(self) -> frozenset[str]:
        """Every key of every context this loader serves: a superset of the terms and prefixes
        any active context can define (the shape cache's test for IRIs that stay as they are)."""
        if self._terms is None:
            found: set[str] = set()
            for url in CONTEXT_FILES:
                _collect_keys(_bundled(url), found)
            for document in self.extra.values():
                _collect_keys(document, found)
            self._terms = frozenset(found)
        return self._terms

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url in self.extra:
            document = self.extra[url]
        elif url in CONTEXT_FILES:
            document = _bundled(url)
        else:
            raise JsonLdError(
                f"JSON-LD context {url!r} is not bundled with credsite; "
                "contexts are never fetched from the network"
            )
        # "tag": "static" lets pyld keep the processed context in this loader's cache.
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(document),
            "tag": "static",
        }

    def resolver(self) -> ContextResolver:
        return ContextResolver(self.cache, self)


_BUNDLED_LOADER = _Loader()
_EXTRA_LOADERS: dict[str, _Loader] = {}


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader serving only the bundled contexts; raises JsonLdError otherwise."""
    return _BUNDLED_LOADER(url, options)


def make_document_loader(extra: Mapping[str, dict[str, Any]] | None = None) -> DocumentLoader:
    """A loader serving the bundled contexts plus ``extra`` (URL -> parsed context document).

    Meant for tests and interoperability checks with other contexts (e.g. the W3C examples
    context of the test vectors); the default loader stays bundled-only.
    """
    return _loader_for(extra)


def _loader_for(extra: Mapping[str, dict[str, Any]] | None) -> _Loader:
    if not extra:
        return _BUNDLED_LOADER
    key = json.dumps(extra, sort_keys=True)
    loader = _EXTRA_LOADERS.get(key)
    if loader is None:
        loader = _EXTRA_LOADERS[key] = _Loader(extra)
    return loader


# --- the "nothing dropped" check -------------------------------------------------------------


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.replace("_", "a").isalnum() and not key[:1].isdigit():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def _index_paths(node: Any, path: str, out: dict[int, str]) -> None:
    """Map ``id()`` of every object and array in ``node`` to its JSON path."""
    if isinstance(node, dict):
        out.setdefault(id(node), path)
        for key, value in node.items():
            if key != "@context":
                _index_paths(value, _child(path, key), out)
    elif isinstance(node, list):
        out.setdefault(id(node), path)
        for i, value in enumerate(node):
            _index_paths(value, _child(path, i), out)


def _is_absolute_or_blank(value: Any) -> bool:
    return bool(_pyld._is_absolute_iri(value))


class _CheckingProcessor(_pyld.JsonLdProcessor):  # type: ignore[misc]  # pyld has no type hints
    """pyld's expansion, noting every key it would drop and every IRI left relative.

    Expansion runs with ``base=None`` so relative IRIs stay relative instead of being resolved
    against pyld's default base. The hooks rely on pyld 3.x internals (``_expand``,
    ``_expand_object``, ``_expand_value``); tests pin the behaviour.
    """

    def __init__(self, loader: _Loader) -> None:
        super().__init__()
        self.expanded: Any = None
        self.problems: list[tuple[str, str]] = []
        self._paths: dict[int, str] | None = None
        self._stack: list[str] = []
        self._scoped = loader.scoped

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        # pyld caches a processed context only for the exact active context it was processed
        # against, and type-scoped contexts always start from a fresh clone, so each typed node
        # of each document reprocesses e.g. the whole VerifiableCredential scoped context.
        # Scoped contexts are objects inside cached (immutable) term definitions: memoise them by
        # identity, per loader.
        uid = active_ctx.get("_uuid")
        if not isinstance(local_ctx, dict) or uid is None or cycles is not None:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        key = (uid, id(local_ctx), override_protected, propagate, validate_scoped)
        hit = self._scoped.get(key)
        if hit is not None and hit[0] is local_ctx:
            return hit[1]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped
        )
        self._scoped[key] = (local_ctx, result)
        return result

    def _note(self, path: str, reason: str) -> None:
        self.problems.append((path, reason))

    def expand(self, input_: Any, options: Any) -> Any:
        # to_rdf() expands through here: keep the expanded form for the shape cache's checks.
        self.expanded = super().expand(input_, options)
        return self.expanded

    def _expand(
        self, active_ctx: Any, active_property: Any, element: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if self._paths is None:
            self._paths = {}
            _index_paths(element, "$", self._paths)
        return super()._expand(active_ctx, active_property, element, *args, **kwargs)

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: dict[str, Any],
        expanded_parent: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        path = (self._paths or {}).get(id(element), self._stack[-1] if self._stack else "$")
        aliases: dict[str, list[str]] = {"@id": [], "@type": []}
        for key in element:
            if key == "@context":
                continue
            iri = self._expand_iri(active_ctx, key, vocab=True)
            if iri in aliases:
                aliases[iri].append(key)
            elif iri == "@direction":
                self._note(_child(path, key), "@direction is not preserved by canonicalisation")
            elif iri is None or not (_pyld._is_keyword(iri) or _pyld._is_absolute_iri(iri)):
                self._note(_child(path, key), f"term {key!r} is not defined by the @context")
        self._stack.append(path)
        try:
            result = super()._expand_object(
                active_ctx,
                active_property,
                expanded_active_property,
                element,
                expanded_parent,
                *args,
                **kwargs,
            )
        finally:
            self._stack.pop()
        for keyword, keys in aliases.items():
            relative = [
                v
                for v in _pyld.JsonLdProcessor.arrayify(expanded_parent.get(keyword, []))
                if isinstance(v, str) and not _is_absolute_or_blank(v)
            ]
            for value in relative:
                self._note(
                    self._locate(path, element, keys, value),
                    f"{keyword} value {value!r} is a relative IRI (undefined term?)",
                )
        return result

    @staticmethod
    def _locate(path: str, element: dict[str, Any], keys: list[str], value: str) -> str:
        for key in keys:
            v = element.get(key)
            if v == value:
                return _child(path, key)
            if isinstance(v, list) and value in v:
                return _child(_child(path, key), v.index(value))
        return path

    def _expand_value(self, active_ctx: Any, active_property: Any, value: Any, options: Any) -> Any:
        result = super()._expand_value(active_ctx, active_property, value, options)
        if (
            isinstance(result, dict)
            and isinstance(result.get("@id"), str)
            and not _is_absolute_or_blank(result["@id"])
        ):
            path = self._stack[-1] if self._stack else "$"
            self._note(
                _child(path, str(active_property)),
                f"IRI value {value!r} is relative (undefined term?)",
            )
        return result


def _process(document: dict[str, Any], loader: _Loader, canonical: bool) -> Any:
    """Expand (or canonicalise) ``document`` in one pass, refusing anything pyld would drop or
    rebase. Expansion runs with ``base=None`` so that relative IRIs stay visible."""
    if not isinstance(document, dict):
        raise JsonLdError("a JSON-LD document must be a JSON object", ["$"])
    if "@context" not in document:
        raise JsonLdError("document has no @context", ["$"])
    processor = _CheckingProcessor(loader)
    options: dict[str, Any] = {
        "base": None,
        "documentLoader": loader,
        "contextResolver": loader.resolver(),
    }
    try:
        if canonical:
            options.update(algorithm="URDNA2015", format="application/n-quads")
            result = processor.normalize(document, options)
        else:
            result = processor.expand(document, options)
    except JsonLdError:
        raise
    except _pyld.JsonLdError as exc:
        raise JsonLdError(f"JSON-LD processing failed: {_describe(exc)}", ["$"]) from exc
    if processor.problems:
        lines = "; ".join(f"{p}: {r}" for p, r in processor.problems)
        raise JsonLdError(
            f"JSON-LD processing would drop or rewrite data: {lines}",
            [p for p, _ in processor.problems],
        )
    return result


def _describe(exc: BaseException) -> str:
    """The innermost useful message of a pyld error chain (pyld wraps causes repeatedly)."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, JsonLdError):
            return str(seen)
        msg = getattr(seen, "message", None) or str(seen).split("\n")[0]
        parts.append(msg)
        seen = seen.__cause__
    return parts[-1] if parts else str(exc)


def check_terms_defined(
    document: dict[str, Any], extra_contexts: Mapping[str, dict[str, Any]] | None = None
) -> None:
    """Raise JsonLdError if any key would be dropped or any id/type IRI is relative.

    jsonld.js "safe mode" semantics, which pyld lacks: every non-keyword key must expand to an
    absolute IRI, and every ``@id``/``@type`` value must be absolute (or a blank node).
    """
    _process(document, _loader_for(extra_contexts), canonical=False)


def canonicalize(
    document: dict[str, Any], extra_contexts: Mapping[str, dict[str, Any]] | None = None
) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of ``document``, each quad ending in ``\\n``.

    The :func:`check_terms_defined` checks run during the same expansion. Documents of a shape
    seen before take the shape cache (see "The RDFC-1.0 shape cache" below): the same bytes as
    :func:`canonicalize_uncached`, without expanding the document again.
    """
    loader = _loader_for(extra_contexts)
    if isinstance(document, dict) and "@context" in document:
        fast = _canonicalize_by_shape(document, loader)
        if fast is not None:
            _STATS["fast"] += 1
            return fast
    _STATS["plain"] += 1
    return canonicalize_uncached(document, extra_contexts)


def canonicalize_uncached(
    document: dict[str, Any], extra_contexts: Mapping[str, dict[str, Any]] | None = None
) -> str:
    """:func:`canonicalize` without the shape cache: pyld's expansion, toRDF and URDNA2015."""
    nquads: str = _process(document, _loader_for(extra_contexts), canonical=True)
    return nquads


# --- the RDFC-1.0 shape cache ------------------------------------------------------------------
#
# What RDFC-1.0 costs is JSON-LD expansion (contexts, type-scoped contexts, term lookups), and
# that depends on a document's *shape*: its keys, nesting, array lengths, @context and types,
# not on its string values. So each shape is expanded once, with every string value replaced by a
# unique placeholder IRI, and pyld's RDF dataset for it becomes a Template: quads whose terms are
# constants or slots (a placeholder seen verbatim as an IRI or as a whole literal value). A later
# document of the shape fills the slots with its own values (escaped as pyld escapes them) and
# the canonical labelling (fastcanon.canonical_nquads) runs on that dataset. The labelling is
# never cached: blank-node labels depend on the hashes of the quads, hence on the values.
#
# Why the filled dataset is the one pyld would make for the document:
# * A string's place in the dataset depends on its key's term definition (and the contexts in
#   force), all part of the shape, never on the string: it is a literal (plain, typed or
#   language-tagged, the value kept as it is), or an IRI. As an IRI it is kept verbatim only if
#   it is absolute and expansion leaves it alone: not a blank node id, not a term, not a compact
#   IRI over a defined prefix (_safe_iri, tested against every key of every loaded context). A
#   value that fails that test is "pinned": it becomes part of the cache key and stands in the
#   template as itself (so `@vocab` values such as proofPurpose work, one template per value).
# * Anything else a placeholder turns into (a JSON literal, a string inside a longer IRI or
#   literal, nothing at all) pins that slot too. Keys starting with "@" other than containers,
#   @id and @value, and `type`, `@type` and `@context` values are pinned by name: they choose
#   contexts, datatypes and languages.
# * Numbers, booleans and null are part of the shape key, with their JSON types.
# * Equal values of a node's property are kept once by pyld's node map, and nodes that share an
#   @id are merged into one (the union of their quads): Template.fill does the same where it is
#   certain (IRIs and blank nodes; string literals whose expanded @type and @language agree) and
#   otherwise hands the document to the plain path (pyld keeps `"v"` and `"v"^^xsd:string` both,
#   and merges 1 and 1.0 across merged nodes). A shape whose expansion has an @index goes to the
#   plain path too (pyld refuses conflicting @index values on merged nodes).
# * The "nothing dropped" checks ran when the shape was compiled, on the same keys, contexts and
#   types; the value-dependent ones (relative IRIs) cannot fail for values that pass _safe_iri.
# Whatever the shape cache cannot take (errors included) goes to canonicalize_uncached, which
# also raises the precise JsonLdError. Tests compare both paths on vectors and random documents.

_STATS: dict[str, int] = {"fast": 0, "plain": 0, "compiled": 0}

_NONCE = secrets.token_hex(8)
_PLACEHOLDER = "urn:Xcs" + _NONCE + "S{}E"
_PLACEHOLDER_RE = re.compile(re.escape("urn:Xcs" + _NONCE + "S") + r"(\d+)E")
_PINNED_KEYS = frozenset({"@context", "type", "@type"})
_WALKED_KEYWORDS = frozenset(
    {"@id", "@value", "@list", "@set", "@graph", "@included", "@reverse", "@nest"}
)
_SAFE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\\x00-\x1f\x7f]*\Z")
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# shape-key markers (keys are strings, pinned values tuples)
_SLOT, _OBJECT, _ARRAY, _END = 0, 1, 2, 3


class _Unsupported(Exception):
    """The shape cache cannot take this document; the plain algorithm will."""


def shape_cache_stats() -> dict[str, int]:
    """Counts since start (or :func:`clear_shape_cache`): documents canonicalised by the shape
    cache (``fast``), by the plain algorithm (``plain``), and templates ``compiled``."""
    return dict(_STATS)


def clear_shape_cache() -> None:
    """Forget every cached shape (of every loader) and reset :func:`shape_cache_stats`."""
    for loader in (_BUNDLED_LOADER, *_EXTRA_LOADERS.values()):
        loader.shapes.clear()
    for name in _STATS:
        _STATS[name] = 0


def _collect_keys(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            _collect_keys(value, found)
    elif isinstance(node, list):
        for value in node:
            _collect_keys(value, found)


_PINNED_MEMO: dict[str, bool] = {}


def _pinned_key(key: str) -> bool:
    """Is the value under ``key`` part of the shape key (rather than slots)?"""
    pinned = _PINNED_MEMO.get(key)
    if pinned is None:
        pinned = key in _PINNED_KEYS or (key[:1] == "@" and key not in _WALKED_KEYWORDS)
        if len(_PINNED_MEMO) < 4096:
            _PINNED_MEMO[key] = pinned
    return pinned


def _pin(value: Any) -> tuple[str, Any]:
    """A pinned value as part of a shape key (JSON types kept apart: true is not 1)."""
    kind = type(value)
    if kind is str:
        return ("s", value)
    if kind is list and all(type(v) is str for v in value):
        return ("l", tuple(value))
    return ("j", json.dumps(value, ensure_ascii=False, allow_nan=True))


def _shape(document: dict[str, Any]) -> tuple[tuple[Any, ...], list[str]]:
    """(shape key, string values in slot order) of a document.

    The key lists, depth first in the document's own order, each object's keys, each array's
    length (as its items), a marker for each string (a slot), and the pinned values as they are.
    """
    key: list[Any] = []
    values: list[str] = []
    add = key.append
    value = values.append
    memo = _PINNED_MEMO

    def walk(node: Any) -> None:
        kind = type(node)
        if kind is dict:
            add(_OBJECT)
            for k, v in node.items():
                if type(k) is not str:
                    raise _Unsupported
                add(k)
                pinned = memo.get(k)
                if pinned is None:
                    pinned = _pinned_key(k)
                if pinned:
                    add(_pin(v))
                elif type(v) is str:
                    add(_SLOT)
                    value(v)
                else:
                    walk(v)
            add(_END)
        elif kind is list:
            add(_ARRAY)
            for v in node:
                if type(v) is str:
                    add(_SLOT)
                    value(v)
                else:
                    walk(v)
            add(_END)
        elif kind is str:
            add(_SLOT)
            value(node)
        elif node is None or kind is bool or kind is int or kind is float:
            add(_pin(node))
        else:
            raise _Unsupported  # not JSON (a tuple, a dict subclass, ...): the plain path

    walk(document)
    return tuple(key), values


def _rebuild(node: Any, slots: Iterator[str]) -> Any:
    """A copy of ``node`` with its string values taken from ``slots`` (in _shape's order)."""
    kind = type(node)
    if kind is str:
        return next(slots)
    if kind is dict:
        return {
            k: copy.deepcopy(v) if _pinned_key(k) else _rebuild(v, slots) for k, v in node.items()
        }
    if kind is list:
        return [_rebuild(v, slots) for v in node]
    return node


_MISSING: Any = object()
_IRI_FORMS: dict[str, tuple[str, bool] | None] = {}


def _safe_iri(value: str, terms: frozenset[str]) -> bool:
    """True if JSON-LD expansion keeps ``value`` as it is wherever an IRI is expected (and the
    "nothing dropped" check accepts it): an absolute IRI, not a term, not a compact IRI."""
    form = _IRI_FORMS.get(value, _MISSING)
    if form is _MISSING:
        form = None
        if _SAFE_IRI.match(value) is not None:
            prefix, _, suffix = value.partition(":")
            form = (prefix, suffix.startswith("//"))
        if len(_IRI_FORMS) >= 65_536:
            _IRI_FORMS.clear()
        _IRI_FORMS[value] = form
    if form is None or value in terms:
        return False
    return form[1] or form[0] not in terms


def _has_index(node: Any) -> bool:
    if isinstance(node, dict):
        return "@index" in node or any(_has_index(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_index(v) for v in node)
    return False


@dataclass(frozen=True)
class _Compiled:
    """A template compiled with the slots ``pins`` holding the document's values, and the slots
    it holds as IRIs (their values must pass _safe_iri). ``template`` None: refused, the plain
    path decides (and raises the precise error if there is one)."""

    template: Template | None
    iri_slots: tuple[int, ...]
    pins: tuple[int, ...]


_REFUSED = _Compiled(None, (), ())


@dataclass
class _Family:
    """Every template of one shape: keyed by the values of the pinned slots."""

    terms: frozenset[str]
    pins: tuple[int, ...] = ()
    templates: _BoundedCache = field(
        default_factory=lambda: _BoundedCache(maxsize=_TEMPLATES_PER_SHAPE)
    )


_TEMPLATES_PER_SHAPE = 64
_LOCK = threading.Lock()  # compiling and pinning (a build may run on a thread: credsite serve)


def _canonicalize_by_shape(document: dict[str, Any], loader: _Loader) -> str | None:
    """The canonical N-Quads via the shape cache, or None for the plain algorithm."""
    try:
        key, values = _shape(document)
        compiled = _cached(loader.shapes.get(key), values)
        if compiled is None:
            with _LOCK:
                compiled = _prepare(document, key, values, loader)
        if compiled.template is None:
            return None
        quads = compiled.template.fill(values)
        if quads is None:
            return None
        return canonical_nquads(quads)
    except (_Unsupported, TooComplex, RecursionError):
        return None


def _cached(family: _Family | None, values: list[str]) -> _Compiled | None:
    """The cached template for these values, if there is one and it serves them as it is."""
    if family is None:
        return None
    pins = family.pins
    compiled: _Compiled | None = family.templates.get(tuple(values[i] for i in pins))
    if compiled is None or compiled.pins != pins:
        return None
    terms = family.terms
    for i in compiled.iri_slots:
        if not _safe_iri(values[i], terms):
            return None
    return compiled


def _prepare(
    document: dict[str, Any], key: tuple[Any, ...], values: list[str], loader: _Loader
) -> _Compiled:
    """_cached's slow path: make the family and the template, pin slots as needed."""
    family: _Family | None = loader.shapes.get(key)
    if family is None:
        family = _Family(terms=_family_terms(document, loader))
        loader.shapes[key] = family
    compiled = _template_for(document, values, family, loader)
    if compiled.template is None:
        return compiled
    unsafe = [i for i in compiled.iri_slots if not _safe_iri(values[i], family.terms)]
    if not unsafe:
        return compiled
    # An IRI place holds something expansion may change (a term, a compact IRI, a blank node
    # id): its value becomes part of the key, if the document is valid with it. A document in
    # error (say a relative IRI) must not pin the slot for the others.
    before = (family.pins, family.templates)
    family.pins = tuple(sorted({*family.pins, *unsafe}))
    family.templates = _BoundedCache(maxsize=_TEMPLATES_PER_SHAPE)
    compiled = _template_for(document, values, family, loader)
    if compiled.template is None or any(
        not _safe_iri(values[i], family.terms) for i in compiled.iri_slots
    ):
        family.pins, family.templates = before
        return _REFUSED
    return compiled


def _template_for(
    document: dict[str, Any], values: list[str], family: _Family, loader: _Loader
) -> _Compiled:
    """The family's template for the document's pinned values, compiled if new."""
    pins = family.pins
    compiled: _Compiled | None = family.templates.get(tuple(values[i] for i in pins))
    if compiled is not None and compiled.pins == pins:
        return compiled
    compiled = _compile(document, values, family, loader)
    # filed under the pins it was compiled with (_compile may have pinned more)
    family.templates[tuple(values[i] for i in compiled.pins)] = compiled
    return compiled


def _family_terms(document: dict[str, Any], loader: _Loader) -> frozenset[str]:
    """The loader's terms plus the keys of any inline context in the document."""
    inline: set[str] = set()

    def find(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "@context":
                    _collect_keys(v, inline)
                elif not _pinned_key(k):
                    find(v)
        elif isinstance(node, list):
            for v in node:
                find(v)

    find(document)
    terms = loader.terms()
    return terms | inline if inline - terms else terms


def _compile(
    document: dict[str, Any], values: list[str], family: _Family, loader: _Loader
) -> _Compiled:
    """Expand a placeholder copy of ``document`` (pinned slots keep their values) with pyld and
    turn its dataset into a template; pins more slots and retries when needed. A refusal
    (template None) holds for every document with these pinned values: it depends only on what
    the probe holds, the shape and those values."""
    for _attempt in range(8):
        pins = family.pins
        refused = _Compiled(None, (), pins)
        pinned = set(pins)
        constants = [values[i] if i in pinned else "" for i in range(len(values))]
        if _NONCE in json.dumps(_rebuild(document, iter(constants))):
            return refused  # the placeholders' nonce among the constants: do not guess
        filled = [values[i] if i in pinned else _PLACEHOLDER.format(i) for i in range(len(values))]
        probe = _rebuild(document, iter(filled))
        processor = _CheckingProcessor(loader)
        options: dict[str, Any] = {
            "base": None,
            "documentLoader": loader,
            "contextResolver": loader.resolver(),
            "produceGeneralizedRdf": False,
        }
        try:
            dataset = processor.to_rdf(probe, options)
        except (_pyld.JsonLdError, JsonLdError):
            return refused
        if processor.problems or _has_index(processor.expanded):
            return refused
        result = _template(dataset, processor.expanded, len(values), pins)
        if result is None:
            return refused
        compiled, bad = result
        if not bad:
            _STATS["compiled"] += 1
            return compiled
        family.pins = tuple(sorted({*pins, *bad}))
        family.templates.clear()
    return _Compiled(None, (), family.pins)


def _value_classes(expanded: Any, bad: set[int]) -> dict[int, object]:
    """slot -> (@type, @language) of the expanded value object holding its placeholder."""
    classes: dict[int, object] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("@value")
            if isinstance(value, str):
                match = _PLACEHOLDER_RE.fullmatch(value)
                if match is not None:
                    slot = int(match[1])
                    found = (node.get("@type"), node.get("@language"))
                    if classes.setdefault(slot, found) != found:
                        bad.add(slot)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(expanded)
    return classes


def _template(
    dataset: dict[str, list[dict[str, Any]]], expanded: Any, count: int, pins: tuple[int, ...]
) -> tuple[_Compiled, set[int]] | None:
    """The template of pyld's dataset for a placeholder document, and the slots that must be
    pinned (a placeholder seen other than verbatim, or not at all). None: unusable."""
    constants: list[str | None] = [None]
    constant_index: dict[str | None, int] = {None: 0}
    slot_terms: list[tuple[int, str, str]] = []
    slot_index: dict[tuple[int, str, str], int] = {}
    kinds: dict[int, set[str]] = {}
    bad: set[int] = set()

    def constant(term: str) -> int:
        index = constant_index.get(term)
        if index is None:
            index = constant_index[term] = len(constants)
            constants.append(term)
        return index

    def slot(i: int, kind: str, suffix: str) -> int:
        kinds.setdefault(i, set()).add(kind)
        spec = (i, kind, suffix)
        index = slot_index.get(spec)
        if index is None:
            index = slot_index[spec] = len(slot_terms)
            slot_terms.append(spec)
        return -1 - index  # slot terms go after the constants: fixed up below

    def placeholders_in(text: str) -> bool:
        if _NONCE not in text:
            return False
        found = [int(m) for m in _PLACEHOLDER_RE.findall(text)]
        if not found:
            raise _Unsupported  # the nonce, but not as a placeholder: do not guess
        bad.update(found)
        return True

    def iri(value: str) -> int:
        match = _PLACEHOLDER_RE.fullmatch(value)
        if match is not None:
            return slot(int(match[1]), IRI_SLOT, "")
        placeholders_in(value)
        return constant("<" + value + ">")

    def node(term: dict[str, Any]) -> int:
        if term["type"] == "blank node":
            return constant(term["value"])
        if term["type"] == "IRI":
            return iri(term["value"])
        value = term["value"]
        datatype = term.get("datatype")
        if datatype == _RDF_LANGSTRING:
            suffix = "@" + term["language"] if term.get("language") else ""
        elif datatype != _XSD_STRING:
            suffix = "^^<" + str(datatype) + ">"
        else:
            suffix = ""
        placeholders_in(suffix)
        match = _PLACEHOLDER_RE.fullmatch(value)
        if match is not None:
            return slot(int(match[1]), LITERAL_SLOT, suffix)
        placeholders_in(value)
        return constant('"' + escape_literal(value) + '"' + suffix)

    raw: list[tuple[int, int, int, int]] = []
    for graph_name, triples in dataset.items():
        if graph_name == "@default":
            g = 0
        elif graph_name.startswith("_:"):
            g = constant(graph_name)
        else:
            g = iri(graph_name)
        for triple in triples:
            predicate = triple["predicate"]
            if predicate["type"] != "IRI" or placeholders_in(predicate["value"]):
                return None
            raw.append(
                (
                    node(triple["subject"]),
                    constant("<" + predicate["value"] + ">"),
                    node(triple["object"]),
                    g,
                )
            )
    for i in range(count):
        if i not in pins and len(kinds.get(i, ())) != 1:
            bad.add(i)  # not in the dataset at all, or both as an IRI and as a literal
    offset = len(constants)

    def fix(index: int) -> int:
        return offset - 1 - index if index < 0 else index

    quads = [(fix(s), p, fix(o), fix(g)) for s, p, o, g in raw]
    iri_slots = tuple(sorted({i for i, kind, _ in slot_terms if kind == IRI_SLOT}))
    classes = _value_classes(expanded, bad)
    return _Compiled(Template(constants, slot_terms, quads, classes), iri_slots, pins), bad
