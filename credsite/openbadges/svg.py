"""SVG for Open Badges: decode, sanitise into a safe deterministic form, bake and extract.

* OB 3.0: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on ``<svg>`` and, directly
  after the ``<svg>`` start tag, ``<openbadges:credential><![CDATA[json]]></openbadges:credential>``
  (an empty element with ``verify="<JWS>"`` for VC-JWT); one per SVG.
* OB 2.0: namespace ``http://openbadges.org`` with ``<openbadges:assertion verify="URL or JWS">``
  and an optional CDATA body; exactly one ``openbadges:`` element.
* CLR 2.0 (``version="clr"``): ``xmlns:clr="https://purl.imsglobal.org/clr/v2p0"`` and
  ``<clr:credential><![CDATA[json]]></clr:credential>``, a learner record.

Standard library only (ElementTree with DOCTYPE and entities refused before parsing).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, cast

from credsite.openbadges.image import (
    MAX_BYTES,
    NS_CLR,
    NS_MATHML,
    NS_OB2,
    NS_OB3,
    NS_SVG,
    NS_XHTML,
    NS_XLINK,
    NS_XML,
    ImageError,
    PreparedSvg,
)

# --------------------------------------------------------------------------------------------------
# SVG: decoding, sanitising, deterministic serialisation
# --------------------------------------------------------------------------------------------------

_XML_DECL_RE = re.compile(r"""^\s*<\?xml\s[^?]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_URL_START_RE = re.compile(r"url\s*\(", re.IGNORECASE)
_URL_RE = re.compile(r"""url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s]*))\s*\)""", re.IGNORECASE)
_DATA_IMAGE_RE = re.compile(r"data:image/(?:png|jpeg|jpg|gif)(?:;[a-z0-9=._+-]+)*,", re.IGNORECASE)
_FORBIDDEN_ELEMENTS = {
    "script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "link", "meta",
    "base", "frame", "frameset", "applet",
}  # fmt: skip
_ANIMATION_ELEMENTS = {
    "set",
    "animate",
    "animatetransform",
    "animatemotion",
    "animatecolor",
    "discard",
}
_OPENBADGES_NAMESPACES = (NS_OB3, NS_OB2, NS_CLR)
_MAX_DEPTH = 256


def decode_svg(data: bytes, path: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        data = data.removeprefix(b"\xef\xbb\xbf")
        match = _XML_DECL_RE.match(data[:200].decode("ascii", "replace"))
        encoding = match.group(1).lower() if match else "utf-8"
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except (LookupError, UnicodeDecodeError) as exc:
        raise ImageError(path, f"SVG text is not valid {encoding}: {exc}") from None


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        uri, local = name[1:].split("}", 1)
        return uri, local
    return "", name


def _check_reference(value: str, what: str, path: str) -> None:
    value = value.strip()
    if value == "" or value.startswith("#") or _DATA_IMAGE_RE.match(value):
        return
    shown = value if len(value) <= 80 else value[:77] + "..."
    raise ImageError(
        path,
        f"SVG {what} refers to {shown!r}: only same-document '#id' references and embedded "
        "data:image/png, jpeg or gif URIs are allowed (embed the resource or remove it)",
    )


def _check_css(value: str, what: str, path: str) -> None:
    lowered = value.lower()
    if "@import" in lowered:
        raise ImageError(
            path, f"SVG {what} uses CSS @import (external stylesheets are not allowed)"
        )
    if "\\" in value:
        raise ImageError(
            path, f"SVG {what} contains CSS escapes (backslashes), which are not allowed"
        )
    if "expression(" in lowered or "javascript:" in lowered:
        raise ImageError(path, f"SVG {what} contains script in CSS")
    for start in _URL_START_RE.finditer(value):
        match = _URL_RE.match(value, start.start())
        if match is None:
            raise ImageError(path, f"SVG {what} has a malformed url(...)")
        target = next(group for group in match.groups() if group is not None)
        _check_reference(target, what, path)


# The prolog before a DOCTYPE: XML declaration, comments, processing instructions, white space.
_PROLOG_RE = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_QUOTED = r"""(?:"[^"]*"|'[^']*')"""
# A DOCTYPE naming its DTD and nothing more (Illustrator, Inkscape and others write the SVG 1.1
# one): no internal subset ``[...]``, so no ENTITY, ELEMENT or ATTLIST declaration.
_HARMLESS_DOCTYPE_RE = re.compile(
    rf"<!DOCTYPE\s+[A-Za-z_:][\w.:-]*(?:\s+(?:PUBLIC\s+{_QUOTED}\s+{_QUOTED}|SYSTEM\s+{_QUOTED}))?"
    r"\s*>"
)


def drop_doctype(text: str, path: str) -> str:
    """`text` without its DOCTYPE when that names a DTD and declares nothing itself.

    Illustrator's default export begins ``<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
    "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">``: the DTD is never read (here or by a
    browser), so the line is dropped (line breaks kept, so later line numbers stay right). A DOCTYPE
    with an internal subset ``[...]`` (where entities are declared), or an ``<!ENTITY`` anywhere,
    is refused: entities are how XML bombs and file-reading attacks work.
    """
    if re.search(r"<!ENTITY", text, re.IGNORECASE):
        raise ImageError(
            path,
            "SVG declares an ENTITY, which is not allowed (entities can expand without limit or "
            "read files): export the SVG again without them, e.g. from Illustrator with "
            "File > Export > Export As > SVG",
        )
    prolog = _PROLOG_RE.match(text)
    start = prolog.end() if prolog else 0
    doctype = _HARMLESS_DOCTYPE_RE.match(text, start)
    if doctype is not None:
        newlines = "\n" * doctype.group().count("\n")
        text = text[:start] + newlines + text[doctype.end() :]
    if re.search(r"<!DOCTYPE", text, re.IGNORECASE):
        raise ImageError(
            path,
            "SVG has a DOCTYPE with declarations of its own ([...]), which is not allowed: export "
            "the SVG again without them, e.g. from Illustrator with File > Export > Export As > SVG",
        )
    return text


def sanitise_svg(text: str, path: str) -> str:
    """Parse, check and re-serialise SVG text; ``ImageError`` for anything unsafe.

    A DOCTYPE that only names a DTD is dropped (`drop_doctype`); entities are refused."""
    text = drop_doctype(text, path)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start-ns", "start"))
    prefixes: dict[str, str] = {}
    root: ET.Element | None = None
    try:
        parser.feed(text)
        # Events first: they raise a syntax error where the parser found it; close() after an
        # error would report the position again, wrongly (line numbers doubled).
        events = list(parser.read_events())
        parser.close()
        events += parser.read_events()
        # typeshed's event union also has 1-tuples; these events give (prefix, uri) or an Element
        for event, item in cast("list[tuple[str, Any]]", events):
            if event == "start-ns":
                prefix, uri = item
                prefixes.setdefault(uri, prefix)
            elif root is None:
                root = item
    except ET.ParseError as exc:
        line, column = exc.position
        raise ImageError(
            path, f"SVG is not well-formed XML (line {line}, column {column + 1})"
        ) from None
    if root is None:
        raise ImageError(path, "SVG has no root element")
    uri, local = _local(root.tag)
    if local != "svg" or uri not in ("", NS_SVG):
        raise ImageError(path, f"not an SVG image: the root element is <{local}>")
    if uri == "":  # no xmlns: browsers would not render it as an image; put it in the SVG namespace
        for element in root.iter():
            if not element.tag.startswith("{"):
                element.tag = f"{{{NS_SVG}}}{element.tag}"
    _sanitise_element(root, path, 0)
    return _serialise(root, prefixes)


def _sanitise_element(element: ET.Element, path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ImageError(path, f"SVG elements are nested more than {_MAX_DEPTH} deep")
    uri, local = _local(element.tag)
    name = local.lower()
    if uri in (NS_XHTML, NS_MATHML):
        raise ImageError(
            path, f"SVG contains an HTML/MathML element <{local}>, which is not allowed"
        )
    if name in _FORBIDDEN_ELEMENTS:
        raise ImageError(path, f"SVG contains a <{local}> element, which is not allowed")
    for attribute in list(element.attrib):
        value = element.attrib[attribute]
        attr_uri, attr_local = _local(attribute)
        attr_name = attr_local.lower()
        if attr_uri in _OPENBADGES_NAMESPACES:
            del element.attrib[attribute]
            continue
        what = f"<{local} {attr_local}=...>"
        if attr_name.startswith("on"):
            raise ImageError(
                path, f"SVG has an event handler attribute {what}, which is not allowed"
            )
        if attr_name in ("href", "src"):
            _check_reference(value, what, path)
        if name in _ANIMATION_ELEMENTS and attr_name == "attributename":
            target = value.split(":")[-1].strip().lower()
            if target in ("href", "src") or target.startswith("on"):
                raise ImageError(path, f"SVG <{local}> animates {value!r}, which is not allowed")
        if "url" in value.lower() or attr_name == "style":
            _check_css(value, what, path)
    if name == "style":
        _check_css("".join(element.itertext()), "<style>", path)
    previous: ET.Element | None = None
    for child in list(element):
        if _local(child.tag)[0] in _OPENBADGES_NAMESPACES:  # an old baked credential: drop it
            if child.tail and previous is None:
                element.text = (element.text or "") + child.tail
            elif child.tail and previous is not None:
                previous.tail = (previous.tail or "") + child.tail
            element.remove(child)
            continue
        _sanitise_element(child, path, depth + 1)
        previous = child


def escape_text(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def escape_attr(value: str) -> str:
    return escape_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _serialise(root: ET.Element, source_prefixes: dict[str, str]) -> str:
    """Serialise deterministically: SVG is the default namespace, every other namespace used gets
    its prefix from the source (``xlink`` for XLink), declared once on the root element."""
    element_prefix: dict[str, str] = {NS_SVG: "", NS_XLINK: "xlink", NS_XML: "xml"}
    attr_prefix: dict[str, str] = {NS_XLINK: "xlink", NS_XML: "xml"}
    taken = {"xlink", "xml", "xmlns", "openbadges", "clr", ""}
    declared: dict[str, str] = {}  # prefix -> uri, except xml

    def allocate(uri: str, table: dict[str, str]) -> str:
        if uri in table:
            prefix = table[uri]
        else:
            for candidate, known in (
                (p, u) for u, p in (*element_prefix.items(), *attr_prefix.items())
            ):
                if known == uri and candidate:
                    prefix = candidate
                    break
            else:
                wanted = source_prefixes.get(uri, "")
                if uri == NS_SVG:
                    wanted = "svg"
                valid = re.fullmatch(r"[A-Za-z_][A-Za-z0-9._-]*", wanted or "")
                if not valid or wanted in taken or wanted.lower().startswith("xml"):
                    number = 0
                    while f"ns{number}" in taken:
                        number += 1
                    wanted = f"ns{number}"
                prefix = wanted
                taken.add(prefix)
            table[uri] = prefix
        if prefix != "xml" and (uri != NS_SVG or prefix):
            declared[prefix] = uri
        return prefix

    def qualified(name: str, table: dict[str, str]) -> str:
        uri, local = _local(name)
        if not uri:
            return local
        prefix = allocate(uri, table)
        return f"{prefix}:{local}" if prefix else local

    body: list[str] = []

    def write(element: ET.Element) -> None:
        tag = qualified(element.tag, element_prefix)
        attributes = "".join(
            f' {qualified(key, attr_prefix)}="{escape_attr(value)}"'
            for key, value in element.attrib.items()
        )
        body.append(f"<{tag}{attributes}")
        if element.text or len(element):
            body.append(">")
            if element.text:
                body.append(escape_text(element.text))
            for child in element:
                write(child)
                if child.tail:
                    body.append(escape_text(child.tail))
            body.append(f"</{tag}>")
        else:
            body.append("/>")

    write(root)
    declarations = ' xmlns="http://www.w3.org/2000/svg"' + "".join(
        f' xmlns:{prefix}="{escape_attr(uri)}"' for prefix, uri in sorted(declared.items())
    )
    root_tag = "<svg"
    assert body[0].startswith(root_tag)
    body[0] = root_tag + declarations + body[0][len(root_tag) :]
    return "".join(body)


# --------------------------------------------------------------------------------------------------
# SVG baking: string splicing on a prepared SVG
# --------------------------------------------------------------------------------------------------

_ATTRIBUTE = r"""\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*')"""
_ROOT_START_RE = re.compile(rf"<svg(?P<attrs>(?:{_ATTRIBUTE})*)\s*(?P<close>/?)>")
_OB_XMLNS_RE = re.compile(r"""\s+xmlns:openbadges\s*=\s*(?:"[^"]*"|'[^']*')""")
_OB_ELEMENT_START_RE = re.compile(
    rf"\s*<openbadges:(?P<name>credential|assertion)(?:{_ATTRIBUTE})*\s*(?P<close>/?)>"
)
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\r]")
_OB_PREFIX_RE = re.compile(r"<openbadges:|\sopenbadges:[^\s=>]+\s*=")
_C0_ILLEGAL = bytes([*range(0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20)])
"""The control characters among `XML_ILLEGAL_RE`'s, as UTF-8 bytes."""


def _xml_illegal(text: str) -> re.Match[str] | None:
    """``XML_ILLEGAL_RE.search(text)``, answered without it for text holding none of them (a
    credential's JSON always): the regular expression took 65 µs on a 12 KB learner record, half
    the time of baking it into an SVG. The text's UTF-8 bytes are searched instead, for the
    control characters and for U+FFFE and U+FFFF (EF BF BE, EF BF BF); text that has a lone
    surrogate has no UTF-8 bytes, and goes to the regular expression."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return XML_ILLEGAL_RE.search(text)
    if (
        len(data.translate(None, _C0_ILLEGAL)) == len(data)
        and b"\xef\xbf\xbe" not in data
        and b"\xef\xbf\xbf" not in data
    ):
        return None
    return XML_ILLEGAL_RE.search(text)


def _skip_ob_element(svg: str, pos: int) -> int | None:
    """If an ``openbadges:`` element starts at ``pos`` return the index after it, else ``None``."""
    match = _OB_ELEMENT_START_RE.match(svg, pos)
    if match is None:
        return None
    if match.group("close"):
        return match.end()
    end_tag = f"</openbadges:{match.group('name')}>"
    i = match.end()
    while i < len(svg):
        if svg.startswith("<![CDATA[", i):
            close = svg.find("]]>", i + 9)
            if close < 0:
                return None
            i = close + 3
        elif svg.startswith(end_tag, i):
            return i + len(end_tag)
        elif svg[i] == "<":
            return None  # child elements: not something we baked
        else:
            i += 1
    return None


def _split_svg(svg: str, trusted: bool) -> tuple[str, str, bool]:
    """Split SVG text into (``<svg`` + its attributes, the rest after the start tag, whether the
    root is self-closing), dropping a baked ``openbadges:`` element and its namespace declaration.

    ``trusted`` text comes from this module's serialiser (which never uses the ``openbadges``
    prefix otherwise); other text is checked and, if it is not in that form, sanitised first."""
    match = _ROOT_START_RE.match(svg)
    if match is not None:
        attrs = match.group("attrs")
        rest = svg[match.end() :]
        if _OB_XMLNS_RE.search(attrs):
            attrs = _OB_XMLNS_RE.sub("", attrs)
            if not match.group("close"):
                after = _skip_ob_element(svg, match.end())
                rest = svg[after:] if after is not None else rest
        if trusted or not _OB_PREFIX_RE.search(attrs + rest):
            return "<svg" + attrs, rest, bool(match.group("close"))
    if trusted:
        raise ValueError("prepared SVG does not start with an <svg> start tag")
    return _split_svg(sanitise_svg(svg, "<svg>"), trusted=True)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(
    svg: PreparedSvg | str, text: str, version: int | str = 3, *, verify: str | None = None
) -> str:
    """Return the SVG with one ``openbadges:`` element directly after the ``<svg>`` start tag.

    ``version=3``: ``<openbadges:credential>`` in ``https://purl.imsglobal.org/ob/v3p0`` with
    ``text`` (the credential JSON) in a CDATA body; for a VC-JWT pass ``verify=<compact JWS>`` and
    ``text=""``.
    ``version=2``: ``<openbadges:assertion verify="...">`` in ``http://openbadges.org``; ``verify``
    (hosted assertion URL or signed assertion) is required, ``text`` (assertion JSON) is optional.
    An existing ``openbadges:`` element is replaced. ``"]]>"`` in ``text`` is split across CDATA
    sections; carriage returns and characters XML cannot carry raise ``ImageError``.
    """
    prefix = "openbadges"
    if version == 3:
        namespace, element = NS_OB3, "credential"
    elif version == "clr":
        namespace, element, prefix = NS_CLR, "credential", "clr"
    elif version == 2:
        namespace, element = NS_OB2, "assertion"
        if not verify:
            raise ValueError("OB 2.0 SVG baking needs verify= (the hosted assertion URL or a JWS)")
    else:
        raise ValueError(f"unknown Open Badges version {version!r} (expected 2, 3 or 'clr')")
    for value, what in ((text, "text"), (verify or "", "verify")):
        bad = _xml_illegal(value)
        if bad:
            raise ImageError(
                None,
                f"cannot bake {what} into SVG: character U+{ord(bad.group()):04X} at index "
                f"{bad.start()} cannot be stored unchanged in XML",
            )
    if isinstance(svg, PreparedSvg):
        head, rest, self_closing = _split_svg(svg.data, trusted=True)
    else:
        head, rest, self_closing = _split_svg(svg, trusted=False)
    start = f"<{prefix}:{element}"
    if verify is not None:
        start += f' verify="{escape_attr(verify)}"'
    baked = f"{start}>{_cdata(text)}</{prefix}:{element}>" if text else f"{start}/>"
    head += f' xmlns:{prefix}="{namespace}">'
    if self_closing:
        return head + baked + "</svg>" + rest
    return head + baked + rest


_FIRST_ELEMENT_RE = re.compile(r"<[A-Za-z_]")


def extract_svg(data: str | bytes, version: int | str = 3) -> str | None:
    """Return the baked credential (v3) or assertion (v2) of an SVG, or ``None``.

    The element's text (CDATA) is returned; an element with no text returns its ``verify`` attribute
    (VC-JWT for OB 3.0, hosted URL or JWS for OB 2.0).
    """
    namespace = {3: NS_OB3, 2: NS_OB2, "clr": NS_CLR}.get(version)
    if namespace is None:
        raise ValueError(f"unknown Open Badges version {version!r} (expected 2, 3 or 'clr')")
    text = decode_svg(data, "<svg>") if isinstance(data, bytes) else data
    if len(text) > MAX_BYTES * 2:
        raise ImageError(None, "SVG too large")
    # A DOCTYPE (and so an ENTITY declaration) can only stand before the root element; the same
    # characters inside it are text, e.g. in a baked credential's CDATA.
    uncommented = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    root_start = _FIRST_ELEMENT_RE.search(uncommented)
    prolog = uncommented[: root_start.start()] if root_start else uncommented
    if re.search(r"<!DOCTYPE|<!ENTITY", prolog, re.IGNORECASE):
        raise ImageError(None, "SVG has a DOCTYPE or ENTITY declaration, which is not allowed")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ImageError(None, f"SVG is not well-formed XML: {exc}") from None
    tag = f"{{{namespace}}}{'assertion' if version == 2 else 'credential'}"
    element = root.find(f".//{tag}") if root.tag != tag else root
    if element is None:
        return None
    if element.text:
        return element.text
    return element.get("verify", "")
