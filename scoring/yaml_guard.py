"""A YAML loader that refuses hostile documents before they cost time or memory.

Plain `yaml.safe_load` is safe from code execution but not from size: the
"billion laughs" document (nine aliases of nine aliases of ...) composes into a
few dozen nodes that expand into a billion, and every walk over the result
(our line recorder, the constructor's merge keys, pydantic) pays for the
expansion. A 10,000-deep `[[[...]]]` overflows Python's stack in the composer.

`guarded_loader` counts, while it composes, the size of the document as it will
be once every alias is expanded, and stops at `YamlLimits.max_nodes`; it
refuses nesting deeper than `max_depth` and an alias to a node that contains
it. `read_limited` refuses a file over `max_bytes` without reading all of it.
Each refusal is a `YamlRefused(line, sentence)` that the caller locates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, NodeEvent
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser as _CParser

    HAVE_LIBYAML = True
except ImportError:  # PyYAML built without libyaml: the pure-Python parser only
    HAVE_LIBYAML = False

__all__ = [
    "DEFAULT_LIMITS",
    "YamlLimits",
    "YamlRefused",
    "guarded_loader",
    "read_limited",
    "too_deep",
]


@dataclass(frozen=True)
class YamlLimits:
    """What a document may cost. Our largest real files (team rules) are far below these."""

    max_bytes: int = 1024 * 1024
    max_nodes: int = 100_000  # counted with every alias expanded
    max_depth: int = 64


DEFAULT_LIMITS = YamlLimits()


class YamlRefused(Exception):
    """A document the loader will not build; `line` is 1-based (0: the file as a whole)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_limited(path: Path, limits: YamlLimits = DEFAULT_LIMITS) -> str:
    """The file's text; refuses more than `max_bytes` after reading only that much.

    Raises OSError / UnicodeDecodeError as reading does, YamlRefused if too large.
    """
    with path.open("rb") as stream:
        raw = stream.read(limits.max_bytes + 1)
    if len(raw) > limits.max_bytes:
        raise YamlRefused(
            0,
            f"the file is larger than {_size(limits.max_bytes)}, far more than any"
            " configuration needs; check that this is the right file",
        )
    return raw.decode("utf-8")


def too_deep(line: int, limits: YamlLimits) -> YamlRefused:
    """The refusal of nesting deeper than `limits.max_depth` (libyaml's own limit too)."""
    return YamlRefused(
        line,
        f"the document nests deeper than {limits.max_depth} levels; a configuration"
        " needs a handful, so check the brackets and indentation here",
    )


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    return f"{count} bytes"


class _Guard(Composer, SafeConstructor, Resolver):
    """The composer's budget of expanded nodes and of depth, over either parser.

    The parser (pure Python or libyaml) comes from the class it is mixed into;
    `_events` is that parser, typed.
    """

    def _start_guard(self, limits: YamlLimits) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.limits = limits
        self._expanded = 0  # nodes of the document so far, each alias counted as its expansion
        self._composed = 0  # nodes really composed (aliases not expanded)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its expanded size, once complete

    def _next_event(self) -> tuple[bool, NodeEvent]:
        parser: Any = self
        event = parser.peek_event()
        return isinstance(event, AliasEvent), event

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        is_alias, event = self._next_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if is_alias:
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # its anchor's node is still open: the alias is inside it
                raise YamlRefused(
                    line,
                    f"alias *{event.anchor} refers to a node that contains it (a recursive"
                    " YAML alias); write the value out instead",
                )
            self._count(line, size)
            return node
        self._composed += 1
        if self._composed > self.limits.max_nodes:
            raise YamlRefused(
                line,
                f"the document has more than {self.limits.max_nodes} nodes, far more than any"
                " configuration needs; check that this is the right file",
            )
        self._count(line, 1)
        self._depth += 1
        if self._depth > self.limits.max_depth:
            raise too_deep(line, self.limits)
        start = self._expanded - 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._sizes[id(node)] = self._expanded - start
        return node

    def _count(self, line: int, size: int) -> None:
        self._expanded += size
        if self._expanded > self.limits.max_nodes:
            raise YamlRefused(
                line,
                f"the document expands past {self.limits.max_nodes} nodes through aliases"
                " (a YAML alias bomb?); write the values out, or use fewer aliases",
            )

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        # Python refuses int() of more than 4300 digits with a bare ValueError.
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise YamlRefused(
                node.start_mark.line + 1 if node.start_mark is not None else 1,
                f"a number of {len(str(node.value))} digits is longer than any value here"
                " can be; quote it if it is text",
            ) from None

    def dispose(self) -> None:
        parser: Any = super()
        parser.dispose()


_Guard.yaml_constructors = {
    **SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:int": _Guard.construct_yaml_int,
}


class _PyLoader(_Guard, Reader, Scanner, Parser):
    def __init__(self, stream: str, limits: YamlLimits) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        self._start_guard(limits)


def safe_load_text(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """`yaml.safe_load` of a short text (a `--param` value) under the same limits.

    Raises YamlRefused (an unlocated sentence) or yaml.YAMLError.
    """
    if len(text.encode("utf-8")) > limits.max_bytes:
        raise YamlRefused(0, f"the value is longer than {_size(limits.max_bytes)}")
    loader = guarded_loader(text, limits)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def guarded_loader(text: str, limits: YamlLimits = DEFAULT_LIMITS) -> _Guard:
    """A safe loader for one document of `text`, over libyaml when it is installed."""
    if HAVE_LIBYAML:
        return _CLoader(text, limits)
    return _PyLoader(text, limits)


if HAVE_LIBYAML:

    class _CLoader(_Guard, _CParser):
        # libyaml scans and parses about six times faster; composing stays ours.
        def __init__(self, stream: str, limits: YamlLimits) -> None:
            _CParser.__init__(self, stream)
            self._start_guard(limits)
