"""YAML in and out, keeping line numbers so every message can name file:line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from lettergen.errors import InputError, Place

#: The largest YAML file read: a directory of a large state is a few hundred kilobytes.
MAX_BYTES = 10_000_000
#: The deepest nesting of mappings and lists: real files nest four or five levels.
MAX_DEPTH = 64
#: How many nodes aliases may add when expanded (`*name` repeats what `&name` marked): enough
#: for any hand-written file, far too few for an alias bomb (nine levels of nine aliases are
#: 387 million nodes from a file of a few hundred bytes).
MAX_ALIAS_NODES = 100_000


class Mapping(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Refused(Exception):
    """A file refused while loading, for a reason lettergen gives (not a YAML syntax error):
    load turns it into an InputError with the file's name. field: the dotted key path, filled
    in on the way out of the mappings that hold the value."""

    def __init__(self, message: str, line: int, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field


class _LineLoader(yaml.SafeLoader):
    """SafeLoader with line numbers, YAML 1.2 booleans, checked dates and bounded size."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # The composer recurses once per level: refuse deep nesting before Python's stack runs
        # out (RecursionError), at the line where it goes too deep.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self) -> yaml.Node | None:
        node: yaml.Node | None = super().compose_document()
        if node is not None:
            _check_expansion(node)
        return node


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it by more than MAX_ALIAS_NODES nodes, or that
    refers to itself, before anything is built from it.

    Nodes are shared by aliases, so the expanded size is counted once per node (memoised,
    children first): linear in the number of nodes however large the expansion."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            if size[key] - distinct > MAX_ALIAS_NODES:
                raise _Refused(
                    f"aliases expand this to more than {MAX_ALIAS_NODES:,} values (an alias bomb?)",
                    node.start_mark.line + 1,
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused("an alias refers to a value that holds it", node.start_mark.line + 1)
        distinct += 1
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in size)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Mapping:
    loader.flatten_mapping(node)
    result = Mapping()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain words", key_node.start_mark
            )
        if str(key) in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        try:
            result[str(key)] = loader.construct_object(value_node, deep=True)
        except _Refused as exc:
            exc.field = f"{key}.{exc.field}" if exc.field else str(key)
            raise
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> dt.date:
    """A date or date and time; one that looks like a date but is none (2002-13-45) is refused
    here, where its line is known, rather than raising ValueError from deep inside PyYAML."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        raise _Refused(f"not a valid date: {node.value}", node.start_mark.line + 1) from None


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int:
    """A whole number; one longer than Python converts (4,300 digits: a campaign `date` of
    5,000 digits, say) is refused with its line instead of a ValueError from inside PyYAML."""
    try:
        return int(loader.construct_yaml_int(node))
    except ValueError:
        raise _Refused(
            f"a number of {len(node.value):,} characters; no value lettergen reads is that "
            "long (a date is written YYYY-MM-DD)",
            node.start_mark.line + 1,
        ) from None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

# YAML 1.2 booleans: only true and false. YAML 1.1 (PyYAML's default) also reads yes, no, on
# and off as booleans, which turns Norway's code NO into false.
_BOOL = "tag:yaml.org,2002:bool"
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", Place(path)) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", Place(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", Place(path)
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Place(path)) from None


def load(path: Path) -> Any:
    """Parse a YAML file; malformed YAML becomes an InputError naming file:line."""
    return load_with_text(path)[0]


def load_with_text(path: Path) -> tuple[Any, str]:
    """The parsed YAML file and its text (for messages that point at a line and column).

    Safe loading (no Python objects), YAML 1.2 booleans, dates checked, and bounded: a file
    over MAX_BYTES, nested over MAX_DEPTH levels or whose aliases expand past MAX_ALIAS_NODES
    is refused with a message, not a MemoryError or RecursionError."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_text says what is wrong with the path
    if size > MAX_BYTES:
        raise InputError(
            f"{size:,} bytes; a YAML file of lettergen holds at most {MAX_BYTES:,}", Place(path)
        )
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_LineLoader), text  # a SafeLoader subclass
    except _Refused as exc:
        raise InputError(exc.message, Place(path, exc.line, exc.field)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"malformed YAML: {problem}", Place(path, line)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", Place(path)) from None
    except RecursionError:
        # Flow collections nest in the parser's own stack, so MAX_DEPTH should come first;
        # this is the last line of defence, not the expected path.
        raise InputError(f"nested too deep (at most {MAX_DEPTH} levels)", Place(path)) from None
