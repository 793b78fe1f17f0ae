"""Revoke, suspend and reinstate an award by editing the user's own YAML file or spreadsheet.

An award from a spreadsheet gets its ``status``, ``status_reason`` and ``status_date`` cells set
by `credsite.content.spreadsheet.set_cells` (columns added when missing; in a CSV file every other
byte kept; a workbook only when openpyxl can keep it otherwise intact). The rest of this module is
about YAML.

One job: `set_status` finds an award (by its id, its credential URL or its token), checks that the
change of status is allowed, and sets or removes `status`, `status_reason` and `status_date` in the
award's mapping, leaving every other byte of the file as it was: comments, blank lines, quotes,
indentation and key order. This module owns ruamel.yaml (the only module that imports it).

How the file is edited. ruamel.yaml's round-trip mode keeps comments, but it re-emits the whole
file, so a file indented in two styles, a long line or spacing such as ``key:   value`` would come
back changed. Instead ruamel composes the file to find the award's nodes and their exact spans,
and only the status lines are rewritten: a value replaced in place, lines removed, or new lines
(rendered by ruamel, quoted when the YAML 1.1 loader credsite reads with would misread them)
inserted after the award's last line, at the column of its keys. The result is parsed again with
credsite's own loader and must equal the original data with just the status fields changed.

A layout the line edit does not handle (a flow mapping ``{...}``, a status key on the ``- `` line)
falls back to ruamel's round trip of the whole file, indented as the file mostly is; of its output
only the award's own lines are kept, the rest of the file stays as it was. It is checked the same
way; if neither edit reads back right, nothing is written and the user is asked to edit by hand.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.nodes import Node as YamlNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from credsite.atomic import write_atomic
from credsite.content import config as site_config
from credsite.content import model, spreadsheet, yamlsource
from credsite.errors import CredsiteError, Location, Problems
from credsite.issuing.pathways import automatic_award
from credsite.issuing.urls import Urls
from credsite.sitelock import site_lock
from credsite.state.lockfile import Lockfile
from credsite.vc.identity import normalise_email

ACTIONS = {"revoke": "revoked", "suspend": "suspended", "reinstate": "active"}
"""`set_status` takes the new status or the name of the action."""
STATUS_KEYS = ("status", "status_reason", "status_date")
_WIDTH = 1_000_000  # never fold a rendered line
Where = tuple[str | int, ...]
"""Where an award's mapping is in its file: () for the whole file, (3,) or ("awards", 3)."""


@dataclass(frozen=True)
class Change:
    """What `set_status` did, for the CLI to print."""

    path: Path
    """The award file that was edited."""
    shown: str
    """The same file as messages name it (relative to the site folder)."""
    key: str
    """The award's id: its `id`, or '<achievement>/<email>'."""
    old_status: str
    new_status: str
    reason: str | None = None
    date: dt.date | None = None
    """The `status_date` written (None when reinstating)."""


def set_status(
    root: Path, credential: str, status: str, reason: str | None, today: dt.date
) -> Change:
    """Revoke, suspend or reinstate the award named by `credential`, editing its YAML file.

    `credential` is the award's id, its credential URL (…/credentials/TOKEN.json or .html) or the
    bare TOKEN. `status` is 'revoked', 'suspended' or 'active' (or 'revoke', 'suspend',
    'reinstate'). Nothing is written unless the change is allowed and the edited file reads back
    with exactly that change. The site must be rebuilt to publish the new status.
    """
    with site_lock(root):  # never while a build reads the award files and the lockfile
        return _set_status(root, credential, status, reason, today)


def _set_status(
    root: Path, credential: str, status: str, reason: str | None, today: dt.date
) -> Change:
    new = ACTIONS.get(status, status)
    if new not in model.STATUSES:
        raise ValueError(f"unknown status {status!r}")
    reason = reason.strip() if reason and reason.strip() else None
    config = site_config.load(root)
    site = model.load(config)
    lock = Lockfile.load(config.lockfile_path, config.lockfile)
    site.awards = model.keep_recorded_keys(site.awards, lock.awards)
    award = find_award(site, lock, credential)
    _check_transition(award, new, reason, config)
    shown = award.location.path
    if new == "active":
        changes: dict[str, Any] = dict.fromkeys(STATUS_KEYS)
    else:
        changes = {"status": new, "status_reason": reason, "status_date": today}
    path = config.root / shown
    if path.suffix.lower() in spreadsheet.SUFFIXES:
        write_atomic(path, spreadsheet.set_cells(path, award.location, changes))
    else:
        _edit_file(path, shown, award.key, changes)
    return Change(path, shown, award.key, award.status, new, reason,
                  today if new != "active" else None)  # fmt: skip


@dataclass(frozen=True)
class Withdrawal:
    """What `set_withdrawn` did, for the CLI to print."""

    path: Path
    shown: str
    key: str
    withdrawn: bool
    status: str
    """The award's status, unchanged: withdrawing never revokes."""


def set_withdrawn(root: Path, credential: str, withdrawn: bool) -> Withdrawal:
    """Withdraw an award at its recipient's request (`withdrawn: true`), or publish it again.

    Edited like a status change: the award's YAML mapping (every other byte kept) or its
    spreadsheet row (a `withdrawn` cell, the column added if missing). The status is not touched:
    a withdrawn credential stays valid for the copies its recipient holds.
    """
    with site_lock(root):
        config = site_config.load(root)
        site = model.load(config)
        lock = Lockfile.load(config.lockfile_path, config.lockfile)
        site.awards = model.keep_recorded_keys(site.awards, lock.awards)
        award = find_award(site, lock, credential)
        if award.withdrawn == withdrawn:
            state = "withdrawn" if withdrawn else "published (not withdrawn)"
            raise CredsiteError(f"award '{award.key}' is already {state}", award.location)
        shown = award.location.path
        path = config.root / shown
        if path.suffix.lower() in spreadsheet.SUFFIXES:
            value = "true" if withdrawn else None
            write_atomic(path, spreadsheet.set_cells(path, award.location, {"withdrawn": value}))
        else:
            edit_yaml(
                path,
                shown,
                lambda data: _locate(data, award.key, shown),
                {"withdrawn": True if withdrawn else None},
                f"set 'withdrawn: true' of award '{award.key}' by hand",
            )
        return Withdrawal(path, shown, award.key, withdrawn, award.status)


# -- finding the award ---------------------------------------------------------------------------


def find_award(site: model.Site, lock: Lockfile, credential: str) -> model.Award:
    """The award named by its id, one of its credential's URLs, or its credential token."""
    text = credential.strip()
    if not text:
        raise CredsiteError("no credential given: give an award id, a credential URL or a token")
    by_key = {a.key: a for a in site.awards}
    by_lock_key = {a.lock_key: a for a in site.awards}
    tokens = {e.credential: e.award for e in lock.awards.values()}
    urls = Urls(site.config.url, site.primary_issuer, site.config.languages)
    example = urls.url(urls.credential_path("TOKEN"))

    if "://" in text:
        token = _token_from_url(text, tokens, urls)
        if token is None:
            raise CredsiteError(f"no credential of this site has the URL {text} (credential "
                                f"URLs look like {example})")  # fmt: skip
    else:
        if text in by_key:
            return by_key[text]
        achievement, _, email = text.rpartition("/")
        if achievement and "@" in email:
            normalised = f"{achievement}/{normalise_email(email)}"
            if normalised in by_key:
                return by_key[normalised]
        token = text.lower().removesuffix(".json").removesuffix(".html")
        if token not in tokens and "/" in text:  # a path such as credentials/TOKEN.json
            token = _token_from_url("/" + text.lstrip("/"), tokens, urls) or token
        if token not in tokens:
            close = difflib.get_close_matches(text, list(by_key), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise CredsiteError(
                f"no award or credential '{text}'{hint}: give the award's id ('<achievement>/"
                f"<email>', or its 'id' field), its credential URL ({example}) or the token"
            )
    award = by_lock_key.get(tokens[token])
    if award is None:
        if (automatic := automatic_award(site, tokens[token])) is not None:
            slug, email = automatic
            raise CredsiteError(
                f"credential {token} is the pathway award of '{slug}' that the build made for "
                f"{email}: it has no line of its own to edit. To revoke or suspend it, write it "
                f"in {site.config.content}/awards/ (achievement: {slug}, name, email: {email}) "
                "with 'status', 'status_reason' and 'status_date' (see "
                f"{site.config.content}/README.md, pathways/)"
            )
        raise CredsiteError(
            f"credential {token} is recorded in {site.config.lockfile}, but its award is no longer "
            f"in {site.config.content}/ (deleted, or its achievement, email or id changed). "
            "Deleting an award does not revoke it: copies its recipient holds still verify. Put "
            "the award back as it was, then revoke it."
        )
    return award


def _token_from_url(url: str, tokens: dict[str, str], urls: Urls) -> str | None:
    """The token of a credential URL: this site's, or the same path served from elsewhere."""
    path = urlsplit(url).path
    for token in tokens:
        for suffix in ("json", "html", "png", "svg"):
            published = urls.credential_path(token, suffix)
            if path == urlsplit(urls.url(published)).path or path.endswith("/" + published):
                return token
    return None


def _check_transition(
    award: model.Award, new: str, reason: str | None, config: site_config.SiteConfig
) -> None:
    key, old = award.key, award.status
    since = f" (since {award.status_date.date().isoformat()})" if award.status_date else ""
    if new == old:
        raise CredsiteError(f"award '{key}' is already {old}{since}", award.location)
    if old == "revoked":
        verb = "reinstated" if new == "active" else "suspended"
        raise CredsiteError(
            f"award '{key}' is revoked{since}, and revocation is permanent: it cannot be {verb}. "
            "To award it again, add a new award with a distinct 'id'.",
            award.location,
        )
    if new == "suspended" and not config.status.suspension:
        raise CredsiteError(
            "suspension is off for this site: to use it, set 'status: {suspension: true}' in "
            "site.yaml. It is off by default because it adds a second status entry to every "
            "credential, which strict Open Badges 3.0 schema validators reject, and turning it on "
            "changes every credential already issued. Or revoke the award instead."
        )
    if new == "active" and reason:
        raise CredsiteError("a reason is recorded only when revoking or suspending an award")


# -- editing the file ----------------------------------------------------------------------------


def _edit_file(path: Path, shown: str, key: str, changes: dict[str, Any]) -> None:
    """Apply `changes` (None removes a key) to the award `key` in `path`, atomically."""
    edit_yaml(
        path,
        shown,
        lambda data: _locate(data, key, shown),
        changes,
        f"set {', '.join(STATUS_KEYS)} of award '{key}' by hand",
    )


def edit_yaml(
    path: Path,
    shown: str,
    locate: Callable[[Any], Where],
    changes: dict[str, Any],
    by_hand: str,
) -> None:
    """Apply `changes` (None removes a key) to one mapping of a YAML file, atomically, keeping
    every other byte (comments, layout, quotes). `locate` finds the mapping in the file as
    credsite reads it (``()`` for the whole file); `by_hand` ends the error shown when no edit
    reads back right ("set url by hand")."""
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    data = yamlsource.parse(text, shown)
    where = locate(data)
    expected = _plain(data)  # what the file must read as afterwards
    target = expected
    for step in where:
        target = target[step]
    for name, value in changes.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    new_text = _edit_lines(text, where, changes)
    if new_text is None or not _reads_as(new_text, expected, shown):
        new_text = _round_trip(text, where, changes)
        if new_text is not None:
            spliced = _splice(text, new_text, where)
            if _reads_as(spliced, expected, shown):
                new_text = spliced
        if new_text is None or not _reads_as(new_text, expected, shown):
            raise CredsiteError(f"could not edit this file safely: {by_hand}", Location(shown))
    write_atomic(path, (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8"))


def _locate(data: Any, key: str, shown: str) -> Where:
    """Where the award `key` is in a file, read as `model` reads award files."""
    entries: list[tuple[Where, Any, Any]] = []
    if isinstance(data, yamlsource.Seq):
        entries = [((i,), item, None) for i, item in enumerate(data)]
    elif isinstance(data, yamlsource.Map) and "awards" in data:
        if isinstance(data["awards"], yamlsource.Seq):
            entries = [(("awards", i), item, data) for i, item in enumerate(data["awards"])]
    elif isinstance(data, yamlsource.Map):
        entries = [((), data, None)]
    for where, item, defaults in entries:
        if isinstance(item, yamlsource.Map):
            award = model.read_award(item, defaults, Problems())
            if award is not None and key in (award.key, award.legacy_key):
                return where
    raise CredsiteError(f"award '{key}' is no longer in this file (was it edited meanwhile?)",
                        Location(shown))  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _reads_as(text: str, expected: Any, shown: str) -> bool:
    """Whether credsite's own loader reads `text` as exactly `expected`."""
    try:
        return bool(_plain(yamlsource.parse(text, shown)) == expected)
    except CredsiteError:
        return False


def _edit_lines(text: str, where: Where, changes: dict[str, Any]) -> str | None:
    """Rewrite only the status lines of the award's block mapping; None for another layout."""
    try:
        node = _follow(YAML().compose(text), where)
    except YAMLError:
        return None
    if not isinstance(node, MappingNode) or node.flow_style or not node.value:
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    indent = " " * node.start_mark.column
    pairs = {k.value: (k, v) for k, v in node.value if isinstance(k, ScalarNode)}
    edits: list[tuple[int, int, str]] = []
    inserts: dict[int, list[str]] = {}
    after = _line_end(text, _value_end(text, *node.value[-1]))  # after the award's last line
    for name in changes:
        value = changes[name]
        if name not in pairs:
            if value is not None:
                inserts.setdefault(after, []).extend(_render(name, value))
            continue
        key_node, value_node = pairs[name]
        lines = _render(name, value) if value is not None else []
        if (
            len(lines) == 1
            and isinstance(value_node, ScalarNode)
            and value_node.style in (None, "'", '"')
            and value_node.start_mark.index < value_node.end_mark.index
            and value_node.start_mark.line == value_node.end_mark.line
        ):  # a one-line value: replace just the value, keeping any comment after it
            start, end = value_node.start_mark.index, value_node.end_mark.index
            edits.append((start, end, lines[0][len(name) + 2 :]))
        else:
            span = _line_span(text, key_node, value_node)
            if span is None:
                return None
            edits.append((*span, "".join(indent + line + newline for line in lines)))
        if value is not None:  # keys still missing go right after this one
            after = _line_end(text, _value_end(text, key_node, value_node))
    for position, lines in inserts.items():
        block = "".join(indent + line + newline for line in lines)
        if position == len(text) and text and not text.endswith("\n"):
            block = newline + block
        edits.append((position, position, block))
    edits.sort(reverse=True)
    for (_, end, _), (next_start, _, _) in zip(edits[1:], edits, strict=False):
        if end > next_start:
            return None  # two edits overlap: leave it to the round trip
    for start, end, replacement in edits:
        text = text[:start] + replacement + text[end:]
    return text


def _follow(node: Any, where: Where) -> Any:
    for step in where:
        if isinstance(step, int):
            node = node.value[step]
        else:
            node = next(v for k, v in node.value if isinstance(k, ScalarNode) and k.value == step)
    return node


def _last_index(text: str, node: YamlNode) -> int | None:
    """Index of the last character of a value (not of a comment or blank line after it)."""
    if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _value_end(text, *last) if isinstance(last, tuple) else _last_index(text, last)
    content = text[node.start_mark.index : node.end_mark.index].rstrip()
    return node.start_mark.index + len(content) - 1 if content else None


def _line_end(text: str, index: int) -> int:
    """The index just after the line break that ends the line holding `index`."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _line_span(text: str, key: ScalarNode, value: YamlNode) -> tuple[int, int] | None:
    """The whole lines of one `key: value`, or None if the key shares its line (``- key:``)."""
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    if text[start : key.start_mark.index].strip():
        return None
    return start, _line_end(text, _value_end(text, key, value))


def _value_end(text: str, key: ScalarNode, value: YamlNode) -> int:
    """Index of the last character of `key: value` (the key's own when the value is empty)."""
    last = _last_index(text, value)
    return key.end_mark.index - 1 if last is None else last


def _render(name: str, value: Any) -> list[str]:
    """The lines of ``name: value`` as ruamel writes them."""
    return _dump({name: _safe_value(name, value)}).splitlines()


def _safe_value(name: str, value: Any) -> Any:
    """`value`, double-quoted if credsite's YAML 1.1 loader would misread it written plain.

    ruamel writes YAML 1.2, where ``yes`` or ``on`` is text; PyYAML (YAML 1.1) reads a boolean.
    """
    if isinstance(value, str) and yamlsource.parse(_dump({name: value}), "<edit>")[name] != value:
        return DoubleQuotedScalarString(value)
    return value


def _dump(data: Any) -> str:
    yaml = YAML()
    yaml.width = _WIDTH
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


# -- the fallback: a whole ruamel round trip ------------------------------------------------------


def _round_trip(text: str, where: Where, changes: dict[str, Any]) -> str | None:
    """Edit with ruamel's round-trip mode, indented as the file is (comments kept, not layout)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    try:
        yaml.indent(**_guess_indent(yaml.compose(text)))
        data = yaml.load(text)
    except YAMLError:
        return None
    target = data
    for step in where:
        target = target[step]
    if not isinstance(target, CommentedMap):
        return None
    anchor = len(target)  # new keys go last, or right after the status key before them
    for name in changes:
        value = changes[name]
        if value is None:
            target.pop(name, None)
        elif name in target:
            target[name] = _safe_value(name, value)
            anchor = list(target).index(name) + 1
        else:
            target.insert(anchor, name, _safe_value(name, value))
            anchor += 1
    newline = "\r\n" if "\r\n" in text else "\n"
    content = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    yaml.explicit_start = bool(content) and content[0].startswith("---")
    out = io.StringIO()
    try:
        yaml.dump(data, out)
    except YAMLError:
        return None
    return out.getvalue().replace("\n", newline)


def _splice(original: str, edited: str, where: Where) -> str:
    """The award's lines from `edited`, every other line from `original`.

    ruamel re-indents the whole file with one setting, so this keeps the other awards as they were.
    """
    try:
        (old_first, old_end), (new_first, new_end) = (
            _line_range(text, _follow(YAML().compose(text), where)) for text in (original, edited)
        )
    except YAMLError:
        return edited
    old, new = original.splitlines(keepends=True), edited.splitlines(keepends=True)
    return "".join(old[:old_first] + new[new_first:new_end] + old[old_end:])


def _line_range(text: str, node: YamlNode) -> tuple[int, int]:
    """The first line of a node and the line after its last value (0-based, end exclusive)."""
    last = _last_index(text, node)
    end = node.end_mark.index if last is None else last
    return text.count("\n", 0, node.start_mark.index), text.count("\n", 0, end) + 1


def _guess_indent(root: YamlNode | None) -> dict[str, int]:
    """The file's most common mapping indent, sequence indent and dash offset."""
    found: dict[str, Counter[int]] = {k: Counter() for k in ("mapping", "sequence", "offset")}

    def walk(node: YamlNode, parent: int) -> None:
        if isinstance(node, MappingNode) and not node.flow_style:
            for key, value in node.value:
                if isinstance(value, MappingNode) and not value.flow_style:
                    found["mapping"][value.start_mark.column - key.start_mark.column] += 1
                walk(value, key.start_mark.column)
        elif isinstance(node, SequenceNode) and not node.flow_style:
            for item in node.value:
                found["offset"][node.start_mark.column - parent] += 1
                found["sequence"][item.start_mark.column - parent] += 1
                walk(item, item.start_mark.column)

    if root is not None:
        walk(root, 0)
    defaults = {"mapping": 2, "sequence": 2, "offset": 0}
    return {k: (c.most_common(1)[0][0] if c else defaults[k]) for k, c in found.items()}
