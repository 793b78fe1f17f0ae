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
"""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld as _pyld
from pyld.context_resolver import ContextResolver

CONTEXT_FILES: dict[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
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


class _Loader:
    """An offline pyld document loader over the bundled contexts plus optional extra ones.

    Each loader owns its processed-context cache, so a context resolved through a loader with
    extra contexts can never leak into the bundled-only loader via pyld's global cache.
    """

    def __init__(self, extra: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.extra: dict[str, dict[str, Any]] = copy.deepcopy(dict(extra or {}))
        self.cache = _LruCache()
        self.scoped = _LruCache(maxsize=2048)

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

    The :func:`check_terms_defined` checks run during the same expansion.
    """
    nquads: str = _process(document, _loader_for(extra_contexts), canonical=True)
    return nquads
