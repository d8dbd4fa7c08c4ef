#!/usr/bin/env python3
"""Checks that every database table is read and written only by the feature that owns it.

The rule: each table belongs to exactly one folder (a feature under `Sources/HWC3D/Features/<Feature>/`, or a
cross-cutting area under `Sources/HWC3D/Platform/<Area>/`), namely the folder whose code creates it. Only that
folder's files may query the table, with raw SQL or with Fluent; everyone else goes through the owner's Swift API
(its services, reads types and exported SQL fragments, which are Swift values, so the table's name never appears
in the caller's file).

How it works, in three passes over the Swift sources (tests are not checked):

1. Fluent models: `static let schema = "name"` maps the enclosing type to its table.
2. Ownership: a table is owned by the folder that creates it: `database.schema(...)` chained to `.create()`,
   `CREATE [VIRTUAL] TABLE`, `CREATE [MATERIALIZED] VIEW`. A model whose table no migration creates is owned by the
   model's folder. Two creators, a table created in `App/`, or a model declared outside its table's owner are
   ownership errors.
3. References: SQL in string literals (`FROM t`, `JOIN t`, `UPDATE t`, `INSERT INTO t`, `DELETE FROM t`, ...; only
   known table names count), SQLKit table arguments (`.from("t")`, `on: "t"`, ...), and Fluent uses of a model type
   (`X.query(`, `X.find(`, `X.schema`, `X.self`, `\\X.$field`, `X(`, relation property wrappers, eager loads of
   relations, and `.save/.create/.update/.delete(on:)` on a variable whose declared type is a model).

Foreign keys (`@Parent`, `@OptionalParent`, `.references(...)`, SQL `REFERENCES t`) are part of the referencing
table's definition, not queries: they are allowed, and listed with `--verbose`.

Usage:
    scripts/check-feature-boundaries.py              violations only; exit 1 if any
    scripts/check-feature-boundaries.py --verbose    plus the ownership table and what each folder touches
    scripts/check-feature-boundaries.py --json       machine-readable result
    scripts/check-feature-boundaries.py --self-test  in-memory tests of the tokenizer and the matchers
"""

from __future__ import annotations

import argparse
import bisect
import functools
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# --- Layout ---------------------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = Path("Sources") / "HWC3D"
# Trees whose folders own tables and are checked; a folder this many levels below the tree is one owner, deeper
# folders are part of it (`Features/Models/Demo` belongs to `Features/Models`).
OWNER_TREES = ("Features", "Platform")
DEFAULT_DEPTH = 1
# Wiring: not checked, and may not own tables.
EXEMPT_TREES = ("App",)
# SQLite FTS5 keeps a virtual table's data in these shadow tables; they count as the virtual table.
FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")

READ, WRITE, FK = "read", "write", "fk"

# --- Swift tokenizer ------------------------------------------------------------------------------------------

INTERPOLATION_MARK = "\x01"  # stands for `\(...)` in the string view
DELIMITER_MARK = "\x02"  # stands for quotes in the string view, so two literals never read as one


@dataclass
class Literal:
    """One string literal: offsets of its opening delimiter, its content and its end (exclusive)."""

    start: int
    content_start: int
    content_end: int
    end: int
    nested: bool  # inside another literal's interpolation
    interpolated: bool = False


@dataclass
class Masked:
    """A Swift source split into two views of the same length, so offsets (and line numbers) stay shared.

    `code` is the source with comments and string-literal contents blanked (interpolated code stays);
    `strings` keeps only the contents of string literals, with each interpolation replaced by `\\x01` and each
    delimiter by `\\x02`. Literals nested inside an interpolation are values (bind parameters), not SQL text, so
    they are blank in `strings`.
    """

    source: str
    code: str
    strings: str
    literals: list[Literal]
    line_starts: list[int] = field(init=False)
    _by_start: dict[int, Literal] = field(init=False, repr=False)

    def line_of(self, offset: int) -> int:
        """1-based line number of a source offset."""
        return bisect.bisect_right(self.line_starts, offset)

    def literal_at(self, offset: int) -> Literal | None:
        """The literal whose opening delimiter starts at `offset`."""
        return self._by_start.get(offset)

    def literal_text(self, literal: Literal) -> str:
        """A literal's raw content (escapes and interpolations as written)."""
        return self.source[literal.content_start:literal.content_end]

    def __post_init__(self) -> None:
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
        self._by_start = {lit.start: lit for lit in self.literals}


class _SwiftScanner:
    """Walks Swift source once, filling the code and string views (see `Masked`)."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.code = list(source)
        self.strings = [" "] * self.n
        self.literals: list[Literal] = []

    def run(self) -> Masked:
        """Scans the whole file."""
        self.scan_code(0, in_interpolation=False, nested=False)
        return Masked(self.src, "".join(self.code), "".join(self.strings), sorted(self.literals, key=lambda l: l.start))

    def _blank_code(self, start: int, end: int, keep_newlines: bool) -> None:
        for k in range(start, min(end, self.n)):
            if not (keep_newlines and self.src[k] == "\n"):
                self.code[k] = " "

    def scan_code(self, i: int, in_interpolation: bool, nested: bool) -> int:
        """Scans code from `i`; inside an interpolation, stops at its closing parenthesis and returns its offset."""
        src, n = self.src, self.n
        depth = 0
        while i < n:
            c = src[i]
            nxt = src[i + 1] if i + 1 < n else ""
            if c == "/" and nxt == "/":
                end = src.find("\n", i)
                end = n if end < 0 else end
                self._blank_code(i, end, keep_newlines=True)
                i = end
            elif c == "/" and nxt == "*":
                end = self._block_comment_end(i)
                self._blank_code(i, end, keep_newlines=True)
                i = end
            elif c == "#":
                k = i
                while k < n and src[k] == "#":
                    k += 1
                i = self.scan_string(i, k - i, nested) if k < n and src[k] == '"' else k
            elif c == '"':
                i = self.scan_string(i, 0, nested)
            else:
                if in_interpolation:
                    if c == "(":
                        depth += 1
                    elif c == ")":
                        if depth == 0:
                            return i
                        depth -= 1
                i += 1
        return i

    def _block_comment_end(self, i: int) -> int:
        """End offset of the (possibly nested) block comment starting at `i`."""
        depth = 0
        while i < self.n:
            if self.src.startswith("/*", i):
                depth += 1
                i += 2
            elif self.src.startswith("*/", i):
                depth -= 1
                i += 2
                if depth == 0:
                    return i
            else:
                i += 1
        return self.n

    def scan_string(self, start: int, hashes: int, nested: bool) -> int:
        """Scans the literal opening at `start` (`"`, `\"\"\"`, or raw `#"` / `#\"\"\"`); returns its end."""
        src, n = self.src, self.n
        quote = start + hashes
        multiline = src.startswith('"""', quote)
        delimiter = '"""' if multiline else '"'
        content_start = quote + len(delimiter)
        closing = delimiter + "#" * hashes
        escape = "\\" + "#" * hashes
        literal = Literal(start, content_start, content_start, content_start, nested)
        j = content_start
        while j < n:
            if src.startswith(escape, j):
                k = j + len(escape)
                if k < n and src[k] == "(":
                    end = self.scan_code(k + 1, in_interpolation=True, nested=True)
                    for p in range(j, min(end + 1, n)):
                        self.strings[p] = INTERPOLATION_MARK
                    self._blank_code(j, k, keep_newlines=False)
                    literal.interpolated = True
                    j = end + 1
                    continue
                # An escape sequence (`\"`, `\\`, `\n`, `\u{…}`): content, kept as written.
                for p in range(j, min(k + 1, n)):
                    self.strings[p] = " " if nested else src[p]
                self._blank_code(j, k + 1, keep_newlines=False)
                j = k + 1
                continue
            if src.startswith(closing, j):
                break
            if not multiline and src[j] == "\n":  # unterminated: stop at the line's end
                break
            self.strings[j] = " " if nested else src[j]
            self.code[j] = " "
            j += 1
        end = min(j + len(closing), n) if src.startswith(closing, j) else j
        for p in list(range(start, content_start)) + list(range(j, end)):
            self.strings[p] = DELIMITER_MARK
        literal.content_end, literal.end = j, end
        self.literals.append(literal)
        return end


def mask_swift(source: str) -> Masked:
    """Splits Swift source into its code view and its string-literal view."""
    return _SwiftScanner(source).run()


# --- Statements -----------------------------------------------------------------------------------------------


class Statements:
    """Approximate Swift statement boundaries in a code view, enough to see a Fluent chain whole.

    A newline ends a statement unless it is inside parentheses or brackets, the line ends with an operator or
    comma, or the next line starts with `.` (a chained call). A `{` ending a line and a `}` starting one are
    boundaries too, so a closure's body is separate from the call that takes it; the call's chain continues after
    the closing `}` (see `chain`).
    """

    _CONTINUES_AFTER = set("=,([+-*/&|.")
    _CONTINUES_BEFORE = set(".?&|")

    def __init__(self, code: str) -> None:
        self.code = code
        starts = [0]
        self.brace_match: dict[int, int] = {}
        stack: list[tuple[str, int]] = []
        line_start = 0
        for i, c in enumerate(code):
            if c in "([":
                stack.append((c, i))
            elif c in ")]":
                if stack and stack[-1][0] in "([":
                    stack.pop()
            elif c == "{":
                stack.append((c, i))
                if self._blank_until_eol(i + 1):
                    starts.append(i + 1)
            elif c == "}":
                while stack and stack[-1][0] != "{":
                    stack.pop()
                if stack:
                    self.brace_match[stack.pop()[1]] = i
                if not code[line_start:i].strip():
                    starts.append(i)
            elif c == ";":
                starts.append(i + 1)
            elif c == "\n":
                line_start = i + 1
                if (not stack or stack[-1][0] == "{") and not self._continues(i):
                    starts.append(i + 1)
        self.starts = sorted(set(starts))

    def _blank_until_eol(self, i: int) -> bool:
        end = self.code.find("\n", i)
        return not self.code[i:(len(self.code) if end < 0 else end)].strip()

    def _continues(self, newline: int) -> bool:
        """Whether the statement goes on past the newline at `newline`: the line ends with an operator or a
        comma, or the next non-blank line starts with `.` (a chained call) or a binary operator."""
        code = self.code
        i = newline - 1
        while i >= 0 and code[i] in " \t":
            i -= 1
        if i >= 0 and code[i] in self._CONTINUES_AFTER:
            return True
        j = newline + 1
        while j < len(code) and code[j] in " \t\r\n":
            j += 1
        return j < len(code) and code[j] in self._CONTINUES_BEFORE

    def span(self, offset: int) -> tuple[int, int]:
        """Start and end of the statement containing `offset`."""
        k = bisect.bisect_right(self.starts, offset) - 1
        end = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.code)
        return self.starts[k], end

    def chain(self, offset: int) -> str:
        """The code of the statement at `offset`, followed by what its chain continues with after a closure."""
        start, end = self.span(offset)
        parts = [self.code[start:end]]
        for _ in range(8):
            open_braces = [p for p in range(start, end) if self.code[p] == "{" and self.brace_match.get(p, -1) >= end]
            if not open_braces:
                break
            close = self.brace_match[open_braces[0]]
            _, end = self.span(close)
            start = close
            parts.append(self.code[close:end])
        return " ".join(parts)

    def after(self, offset: int) -> str:
        """The rest of the chain from `offset` on."""
        start, _ = self.span(offset)
        return self.chain(offset)[offset - start:]


# --- Project model --------------------------------------------------------------------------------------------


@dataclass
class SourceFile:
    """One Swift file with its owner folder and its masked views."""

    path: str  # relative to the source root, e.g. `Features/Users/User.swift`
    folder: str | None  # owner folder, e.g. `Features/Users`; None when not under an owner tree
    exempt: bool
    masked: Masked
    _statements: Statements | None = None

    @property
    def statements(self) -> Statements:
        """Statement boundaries, computed on first use."""
        if self._statements is None:
            self._statements = Statements(self.masked.code)
        return self._statements


@dataclass
class ModelType:
    """A Fluent model type and the table its `schema` names."""

    name: str
    table: str
    path: str
    line: int
    folder: str | None
    relations: dict[str, str] = field(default_factory=dict)  # property -> related model type


@dataclass
class Creation:
    """A place that creates a table."""

    table: str
    folder: str | None
    path: str
    line: int
    how: str


@dataclass(frozen=True)
class Ref:
    """One reference from a file to a table."""

    path: str
    line: int
    table: str
    access: str  # READ, WRITE or FK
    via: str


@dataclass
class Context:
    """What the reference matchers need to know about the project."""

    tables: dict[str, str]  # lower-case name (including FTS5 shadow tables) -> canonical table
    models: dict[str, ModelType]  # type name -> model
    property_types: dict[str, str] = field(default_factory=dict)  # property name -> model type, where unanimous

    def table(self, name: str) -> str | None:
        """The canonical table for a name as written, or None if it is not a known table."""
        return self.tables.get(name.lower())

    def relation_target(self, prop: str, root: str | None) -> str | None:
        """The model type a relation property points at: on `root` if given, else wherever it is unambiguous."""
        if root in self.models and prop in self.models[root].relations:
            return self.models[root].relations[prop]
        targets = {m.relations[prop] for m in self.models.values() if prop in m.relations}
        return targets.pop() if len(targets) == 1 else None


def owner_folder(path: str, depth: int) -> tuple[str | None, bool]:
    """Owner folder of a source path and whether the path is exempt (`App/`)."""
    parts = path.split("/")
    if parts[0] in EXEMPT_TREES:
        return parts[0], True
    if parts[0] in OWNER_TREES:
        folders = parts[1:-1]
        return ("/".join([parts[0]] + folders[:depth]) if folders else parts[0]), False
    return None, False


def load_sources(source_root: Path, depth: int) -> list[SourceFile]:
    """Reads and masks every Swift file under the source root."""
    files = []
    for file in sorted(source_root.rglob("*.swift")):
        rel = file.relative_to(source_root).as_posix()
        folder, exempt = owner_folder(rel, depth)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"warning: cannot read {rel}: {error}", file=sys.stderr)
            continue
        files.append(SourceFile(rel, folder, exempt, mask_swift(text)))
    return files


# --- Pass 1: Fluent models ------------------------------------------------------------------------------------

TYPE_DECL = re.compile(r"\b(?:class|struct|enum|actor|extension)\s+([A-Za-z_]\w*)")
SCHEMA_DECL = re.compile(r"\bstatic\s+(?:let|var)\s+schema\s*(?::\s*String\s*)?(?:=|\{\s*(?:return\s+)?)\s*(?=\")")
RELATION_WRAPPER = re.compile(
    r"@(?P<wrapper>Parent|OptionalParent|Children|OptionalChild|Siblings)\s*\((?:[^()]|\([^()]*\))*\)\s*"
    r"(?:(?:public|internal|private|fileprivate)\s+)?var\s+(?P<prop>\w+)\s*:\s*\[?\s*(?P<type>[A-Za-z_]\w*)")


def enclosing_type(f: SourceFile, offset: int) -> str | None:
    """Name of the innermost type declaration (`class`, `struct`, `enum`, `actor`, `extension`) whose body
    encloses `offset`."""
    code = f.masked.code
    braces = f.statements.brace_match
    found = None
    for match in TYPE_DECL.finditer(code, 0, offset):
        body = code.find("{", match.end())
        if 0 <= body < offset and braces.get(body, len(code)) > offset:
            found = match.group(1)
    return found


def find_models(files: list[SourceFile]) -> dict[str, ModelType]:
    """Fluent model types, from `static let schema = "name"`, with their relation properties."""
    models: dict[str, ModelType] = {}
    for f in files:
        m = f.masked
        for match in SCHEMA_DECL.finditer(m.code):
            literal = m.literal_at(match.end())
            type_name = enclosing_type(f, match.start())
            if literal and type_name and not literal.interpolated:
                models[type_name] = ModelType(type_name, m.literal_text(literal), f.path, m.line_of(match.start()), f.folder)
    for f in files:
        for match in RELATION_WRAPPER.finditer(f.masked.code):
            owner = enclosing_type(f, match.start())
            if owner in models:
                models[owner].relations[match.group("prop")] = match.group("type")
    return models


# --- Pass 2: ownership ----------------------------------------------------------------------------------------

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
SCHEMA_CALL = re.compile(rf"\.\s*schema\s*\(\s*(?:(?P<type>{IDENT})\s*\.\s*schema\b|(?=\"))")
SQLKIT_DDL = re.compile(rf"\.\s*(?P<verb>create|drop|alter)\s*\(\s*(?:table|view)\s*:\s*(?:(?P<type>{IDENT})\s*\.\s*schema\b|(?=\"))")
SQL_CREATE = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED|VIRTUAL|MATERIALIZED)\s+)?(?P<kind>TABLE|VIEW)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<q>\\?[\"`]?)(?P<name>[A-Za-z_]\w*|\x01+)", re.I)
CHAIN_TERMINAL = re.compile(r"\.\s*(create|update|delete)\s*\(\s*\)")
INTERPOLATED_SCHEMA = re.compile(rf"({IDENT})\s*\.\s*schema\b")


def schema_argument(f: SourceFile, match: re.Match, models: dict[str, ModelType]) -> str | None:
    """The table a `.schema(...)`-like call names: `X.schema` or a string literal."""
    if match.group("type"):
        model = models.get(match.group("type"))
        return model.table if model else None
    literal = f.masked.literal_at(match.end())
    return f.masked.literal_text(literal) if literal and not literal.interpolated else None


def chain_terminal(f: SourceFile, offset: int) -> str | None:
    """`create`, `update` or `delete` if the schema-builder chain at `offset` ends with that call."""
    terminals = CHAIN_TERMINAL.findall(f.statements.after(offset))
    return terminals[-1] if terminals else None


def find_creations(files: list[SourceFile], models: dict[str, ModelType]) -> list[Creation]:
    """Every place that creates a table: Fluent `.schema(…).create()`, SQLKit `create(table:)`, SQL CREATE."""
    creations = []
    for f in files:
        m = f.masked
        for match in SCHEMA_CALL.finditer(m.code):
            table = schema_argument(f, match, models)
            if table and chain_terminal(f, match.start()) == "create":
                creations.append(Creation(table, f.folder, f.path, m.line_of(match.start()), "Fluent schema create"))
        for match in SQLKIT_DDL.finditer(m.code):
            table = schema_argument(f, match, models)
            if table and match.group("verb") == "create":
                creations.append(Creation(table, f.folder, f.path, m.line_of(match.start()), "SQLKit create"))
        for match in SQL_CREATE.finditer(m.strings):
            name = match.group("name")
            if name.startswith("\x01"):  # CREATE TABLE \(ident: X.schema)
                code = m.code[match.start("name"):m.strings.find(DELIMITER_MARK, match.start("name"))]
                typed = INTERPOLATED_SCHEMA.search(code)
                name = models[typed.group(1)].table if typed and typed.group(1) in models else None
            if name:
                how = "SQL CREATE " + ("VIRTUAL TABLE" if "VIRTUAL" in match.group(0).upper() else match.group("kind").upper())
                creations.append(Creation(name, f.folder, f.path, m.line_of(match.start()), how))
    return creations


@dataclass
class Ownership:
    """Who owns each table, and what is wrong with ownership."""

    owner: dict[str, str]  # table -> owner folder
    origin: dict[str, str]  # table -> `path:line (how)`
    errors: list[dict]


def decide_ownership(creations: list[Creation], models: dict[str, ModelType]) -> Ownership:
    """Owner of each table: its creator; a model's folder when nothing creates its table. Reports conflicts."""
    owner: dict[str, str] = {}
    origin: dict[str, str] = {}
    errors: list[dict] = []
    by_table: dict[str, list[Creation]] = defaultdict(list)
    for creation in creations:
        by_table[creation.table].append(creation)
    for table, found in sorted(by_table.items()):
        allowed = [c for c in found if c.folder and c.folder not in EXEMPT_TREES]
        for c in found:
            if c.folder is None or c.folder in EXEMPT_TREES:
                errors.append({"kind": "exempt-creates", "table": table, "file": c.path, "line": c.line,
                               "message": f"{c.path}:{c.line}: creates table {table}, but {c.folder or 'this folder'} may not own tables"})
        folders = sorted({c.folder for c in allowed})
        if len(folders) > 1:
            where = ", ".join(f"{c.folder} ({c.path}:{c.line})" for c in allowed)
            errors.append({"kind": "owned-twice", "table": table, "folders": folders,
                           "message": f"table {table} owned twice: created by {where}"})
        if allowed:
            owner[table] = allowed[0].folder
            origin[table] = f"{allowed[0].path}:{allowed[0].line} ({allowed[0].how})"
    for model in sorted(models.values(), key=lambda mt: mt.name):
        if model.table not in owner:
            if model.folder and model.folder not in EXEMPT_TREES:
                owner[model.table] = model.folder
                origin[model.table] = f"{model.path}:{model.line} (model {model.name}; no migration found)"
            else:
                errors.append({"kind": "exempt-creates", "table": model.table, "file": model.path, "line": model.line,
                               "message": f"{model.path}:{model.line}: model {model.name} maps table {model.table}, but {model.folder or 'this folder'} may not own tables"})
        elif model.folder != owner[model.table]:
            errors.append({"kind": "model-outside-owner", "table": model.table, "file": model.path, "line": model.line,
                           "message": f"{model.path}:{model.line}: model {model.name} maps table {model.table}, which {owner[model.table]} creates; declare it there"})
    return Ownership(owner, origin, errors)


def table_names(owner: dict[str, str], creations: list[Creation]) -> dict[str, str]:
    """Lower-case names that mean a table, including FTS5 shadow tables of virtual tables."""
    names = {table.lower(): table for table in owner}
    for creation in creations:
        if creation.how == "SQL CREATE VIRTUAL TABLE":
            for suffix in FTS5_SHADOW_SUFFIXES:
                names.setdefault((creation.table + suffix).lower(), creation.table)
    return names


# --- Pass 3: references ---------------------------------------------------------------------------------------

SQL_REF = re.compile(
    r"\b(?P<kw>"
    r"INSERT(?:\s+OR\s+[A-Za-z]+)?\s+INTO|REPLACE\s+INTO|DELETE\s+FROM|UPDATE(?:\s+OR\s+[A-Za-z]+)?(?:\s+ONLY)?"
    r"|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?"
    r"|(?:CREATE|ALTER|DROP)\s+(?:(?:OR\s+REPLACE|TEMP|TEMPORARY|UNLOGGED|VIRTUAL|MATERIALIZED)\s+)*(?:TABLE|VIEW)"
    r"(?:\s+IF\s+(?:NOT\s+)?EXISTS)?(?:\s+ONLY)?"
    r"|INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?[A-Za-z_]\w*\s+ON(?:\s+ONLY)?"
    r"|REFERENCES|FROM(?:\s+ONLY)?|JOIN|USING|INTO"
    r")\s+(?P<q>\\?[\"`]?)(?P<name>[A-Za-z_]\w*)", re.I)
# `FROM a x, b y`: further tables of a comma-separated FROM list.
SQL_FROM_LIST = re.compile(r"\s*\\?[\"`]?(?:\s+(?:AS\s+)?(?!(?:WHERE|ON|JOIN|GROUP|ORDER|LIMIT|SET)\b)[A-Za-z_]\w*)?\s*,\s*\\?[\"`]?(?P<name>[A-Za-z_]\w*)", re.I)
SQL_READ_KEYWORDS = ("FROM", "JOIN", "USING")

# A string literal that is a table name by position: SQLKit builders, `table:` / `on:` arguments, Fluent schema.
TABLE_ARGUMENT = re.compile(r"\b(?P<call>schema|from|join|update|into|table|on|references|SQLIdentifier|SQLQualifiedTable)\s*[(:]\s*(?=\")")
# A helper taking a table name writes when its name starts with one of these verbs (`markOnce`, `create`).
WRITE_CALL = re.compile(r"^(?:create|update|delete|save|insert|upsert|replace|remove|mark|claim|set|drop|alter|truncate"
                        r"|increment|decrement|bump|purge|erase|clear)(?![a-z])")
FLUENT_WRITES = re.compile(r"\.\s*(?:create|update|delete|save|restore|forceDelete|upsert|set)\s*\(")
INSTANCE_WRITE = re.compile(
    r"(?<![\w$.\]\)])(?P<recv>(?:self|[a-z_]\w*)(?:\s*\.\s*[a-z_]\w*)*\s*\.\s*)?"
    r"(?P<op>create|save|update|delete|restore)\s*\(\s*(?:force\s*:\s*\w+\s*,\s*)?on\s*:")
EAGER_LOAD = re.compile(r"\.\s*(?:with|join)\s*\(\s*(?:(?:parent|children|siblings)\s*:\s*)?\\\s*\.\s*\$(?P<prop>\w+)")
RELATION_ACCESS = re.compile(r"\.\s*\$(?P<prop>\w+)\s*\.\s*(?P<op>get|load|query|attach|detach|create)\s*\(")
QUERY_ROOT = re.compile(rf"({IDENT})\s*\.\s*query\s*\(")


def strip_closures(code: str) -> str:
    """`code` with the bodies of `{…}` blocks removed, so a chain's own calls are not confused with a closure's."""
    out, depth = [], 0
    for c in code:
        if c == "{":
            if depth == 0:
                out.append(c)
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
            if depth == 0:
                out.append(c)
        elif depth == 0:
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=4)
def model_pattern(type_names: frozenset[str]) -> re.Pattern | None:
    """One regex for every Fluent use of a model type worth counting."""
    if not type_names:
        return None
    names = "|".join(sorted((re.escape(n) for n in type_names), key=len, reverse=True))
    return re.compile(
        rf"(?P<keypath>\\\s*)?(?<![\w.$])(?P<type>{names})\b"
        r"(?P<tail>\s*\.\s*(?:query|find)\s*\(|\s*\.\s*schema\b|\s*\.\s*self\b|\s*\.\s*\$|\s*\()")


def enclosing_call(code: str, offset: int) -> tuple[str | None, int]:
    """Name and offset of the call whose parentheses enclose `offset` (`foo` in `a.foo(x, |)`)."""
    depth = 0
    i = offset - 1
    while i >= 0:
        c = code[i]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                match = re.search(rf"({IDENT})\s*$", code[max(0, i - 80):i])
                return (match.group(1) if match else None), i
            depth -= 1
        elif c in "{};" and depth == 0:
            return None, -1
        i -= 1
    return None, -1


def _within_references(code: str, offset: int) -> bool:
    """Whether `offset` is an argument of a `.references(...)` foreign-key declaration."""
    name, at = enclosing_call(code, offset)
    while name is not None:
        if name == "references":
            return True
        name, at = enclosing_call(code, at)
    return False


class ReferenceFinder:
    """Finds the table references of one file."""

    def __init__(self, f: SourceFile, ctx: Context) -> None:
        self.f = f
        self.m = f.masked
        self.ctx = ctx
        self.refs: list[Ref] = []
        self.own_types = {name for name, model in ctx.models.items() if model.path == f.path}

    def add(self, offset: int, table: str | None, access: str, via: str) -> None:
        """Records a reference to a known table."""
        if table:
            self.refs.append(Ref(self.f.path, self.m.line_of(offset), table, access, via))

    def find(self) -> list[Ref]:
        """All references in the file."""
        self.find_sql()
        self.find_table_arguments()
        self.find_model_uses()
        self.find_relations()
        self.find_instance_writes()
        return self.refs

    # SQL text

    def find_sql(self) -> None:
        """Tables after SQL keywords in string literals."""
        text = self.m.strings
        for match in SQL_REF.finditer(text):
            keyword = re.sub(r"\s+", " ", match.group("kw").upper())
            if keyword.startswith("REFERENCES"):
                access = FK
            elif keyword.startswith(SQL_READ_KEYWORDS):
                access = READ
            else:
                access = WRITE
            verb = keyword.split(" ")[0] if not keyword.startswith("INDEX") else "CREATE INDEX"
            self.add(match.start("name"), self.ctx.table(match.group("name")), access, f"SQL {verb}")
            if keyword.startswith("FROM"):
                pos = match.end()
                while (more := SQL_FROM_LIST.match(text, pos)) is not None:
                    self.add(more.start("name"), self.ctx.table(more.group("name")), READ, "SQL FROM")
                    pos = more.end()

    def find_table_arguments(self) -> None:
        """String literals that name a known table where a table goes: `.from("t")`, `on: "t"`, `schema("t")`."""
        code = self.m.code
        for match in TABLE_ARGUMENT.finditer(code):
            literal = self.m.literal_at(match.end())
            if not literal or literal.interpolated:
                continue
            table = self.ctx.table(self.m.literal_text(literal))
            if not table:
                continue
            call = match.group("call")
            if call == "references" or _within_references(code, match.end()):
                self.add(match.end(), table, FK, f'.{call}("{table}")')
            elif call == "schema":
                terminal = chain_terminal(self.f, match.start())
                if terminal != "create":
                    self.add(match.end(), table, WRITE if terminal else READ, f'schema("{table}")' + (f".{terminal}()" if terminal else ""))
            else:
                name, _ = enclosing_call(code, match.end())
                write = call in ("update", "into") or bool(name and WRITE_CALL.match(name))
                self.add(match.end(), table, WRITE if write else READ, f"{name or call}(… \"{table}\")")

    # Fluent

    def find_model_uses(self) -> None:
        """`X.query(`, `X.find(`, `X.schema`, `X.self`, `\\X.$field` and `X(` for Fluent model types X."""
        pattern = model_pattern(frozenset(self.ctx.models))
        if not pattern:
            return
        code = self.m.code
        for match in pattern.finditer(code):
            name = match.group("type")
            if name in self.own_types:
                continue
            table = self.ctx.models[name].table
            tail = re.sub(r"\s+", "", match.group("tail"))
            start = match.start("type")
            if match.group("keypath") is not None:
                if tail == ".$":
                    self.add(start, table, READ, f"\\{name}.$…")
                continue
            if tail == ".$":
                continue
            if tail == "(":
                self.add(start, table, WRITE if self._chain_writes(start, construction=True) else READ, f"{name}(…)")
            elif tail in (".query(", ".find("):
                self.add(start, table, WRITE if self._chain_writes(start) else READ, f"{name}{tail}")
            elif tail == ".self":
                self.add(start, table, READ, f"{name}.self")
            elif tail == ".schema":
                self._schema_use(start, name, table)

    def _chain_writes(self, offset: int, construction: bool = False) -> bool:
        """Whether the Fluent chain at `offset` writes (`.delete()`, `.set(…).update()`, `.create(on:)`, …), or,
        when it is assigned to a variable, whether that variable is written later: a query builder with
        `.update()` / `.delete()`, or (for `construction`, a new model instance) with `.create/.save(on:)`."""
        if FLUENT_WRITES.search(strip_closures(self.f.statements.after(offset))):
            return True
        start, end = self.f.statements.span(offset)
        assigned = re.search(rf"(?:\b(?:let|var)\s+|^\s*)({IDENT})\s*(?::[^=]*)?=(?!=)", self.m.code[start:offset])
        if not assigned:
            return False
        name = re.escape(assigned.group(1))
        later = (rf"(?<![\w.$]){name}\s*\.\s*(?:create|save|update)\s*\(\s*on\s*:" if construction
                 else rf"(?<![\w.$]){name}\b[^\n;{{}}]*?\.\s*(?:update|delete)\s*\(\s*\)")
        return bool(re.search(later, self.m.code[end:]))

    def _schema_use(self, offset: int, name: str, table: str) -> None:
        """`X.schema`: a foreign key, a schema-builder target, or a table name handed to a helper."""
        code = self.m.code
        if _within_references(code, offset):
            self.add(offset, table, FK, f".references({name}.schema)")
            return
        call, _ = enclosing_call(code, offset)
        if call == "schema":
            terminal = chain_terminal(self.f, offset)
            if terminal != "create":  # the creation itself is ownership, not a reference
                self.add(offset, table, WRITE if terminal else READ, f"schema({name}.schema)" + (f".{terminal}()" if terminal else ""))
            return
        write = bool(call and WRITE_CALL.match(call))
        self.add(offset, table, WRITE if write else READ, f"{call}({name}.schema)" if call else f"{name}.schema")

    def find_relations(self) -> None:
        """Relation property wrappers (`@Parent` is a foreign key), eager loads and relation fetches."""
        code = self.m.code
        for match in RELATION_WRAPPER.finditer(code):
            target = self.ctx.models.get(match.group("type"))
            if not target:
                continue
            wrapper = match.group("wrapper")
            access = FK if wrapper in ("Parent", "OptionalParent") else READ
            self.add(match.start(), target.table, access, f"@{wrapper} var {match.group('prop')}: {target.name}")
        for match in EAGER_LOAD.finditer(code):
            statement_start, _ = self.f.statements.span(match.start())
            roots = [r for r in QUERY_ROOT.findall(code, statement_start, match.start()) if r in self.ctx.models]
            target = self.ctx.relation_target(match.group("prop"), roots[-1] if roots else None)
            if target in self.ctx.models and target not in self.own_types:
                self.add(match.start(), self.ctx.models[target].table, READ, f"eager load \\.${match.group('prop')} ({target})")
        for match in RELATION_ACCESS.finditer(code):
            target = self.ctx.relation_target(match.group("prop"), None)
            if target in self.ctx.models and target not in self.own_types:
                access = READ if match.group("op") in ("get", "load", "query") else WRITE
                self.add(match.start(), self.ctx.models[target].table, access, f"${match.group('prop')}.{match.group('op')}(on:)")

    def find_instance_writes(self) -> None:
        """`x.save(on:)`, `x.update(on:)`, ... where `x`'s declared type is a model (or `self` in a model)."""
        code = self.m.code
        for match in INSTANCE_WRITE.finditer(code):
            receiver = re.sub(r"\s+", "", match.group("recv") or "").rstrip(".")
            names = receiver.split(".") if receiver else []
            if not names or names == ["self"]:
                type_name = enclosing_type(self.f, match.start())
            elif len(names) == 1:
                type_name = self.resolve(names[0], match.start())
            else:
                type_name = self.ctx.property_types.get(names[-1])
            if type_name in self.ctx.models and type_name not in self.own_types:
                self.add(match.start(), self.ctx.models[type_name].table, WRITE,
                         f"{receiver or 'self'}.{match.group('op')}(on:) ({type_name})")

    def resolve(self, name: str, offset: int, depth: int = 0) -> str | None:
        """The declared type of variable `name` at `offset`, from its nearest earlier declaration in the file:
        `name: X` / `name: [X]`, `let name = X(…)`, `let name = try await X.query/find(…)…`, `let name = other` or
        `let name = a.b` (typed through `other` or property `b`), `for name in xs`. With no declaration in the
        file, the project-wide unanimous type of a property or parameter of that name."""
        if depth > 3:
            return None
        n = re.escape(name)
        declarations = (
            ("type", rf"(?<![\w.$]){n}\s*:\s*(?:inout\s+)?\[?\s*(?P<v>[A-Z]\w*)\s*\]?\s*[?!]?(?![\w.(<])"),
            ("type", rf"\b(?:let|var)\s+{n}\s*=\s*(?:try\s*[?!]?\s*)?(?:await\s+)?(?P<v>[A-Z]\w*)\s*(?:\(|\.\s*(?:query|find)\s*\()"),
            ("var", rf"\bfor\s+(?:case\s+)?(?:let\s+|var\s+)?{n}\s+in\s+(?P<v>[a-z_]\w*)\b(?!\s*[.(])"),
            ("expr", rf"\b(?:let|var)\s+{n}\s*=\s*(?:try\s*[?!]?\s*)?(?:await\s+)?(?P<v>[a-z_]\w*(?:\s*\.\s*[a-z_]\w*)*)\s*(?=$|[\n;,)?!]|\s+else\b)"),
            ("unknown", rf"\b(?:let|var)\s+{n}\s*=(?!=)"),
        )
        best: tuple[int, int, str, str] | None = None  # (start, -priority, kind, value)
        for priority, (kind, pattern) in enumerate(declarations):
            for match in re.finditer(pattern, self.m.code[:offset], re.M):
                candidate = (match.start(), -priority, kind, match.groupdict().get("v") or "")
                best = candidate if best is None or candidate[:2] > best[:2] else best
        if best is None:
            return self.ctx.property_types.get(name)
        _, _, kind, value = best
        if kind == "type":
            return value
        if kind in ("var", "expr"):
            parts = re.sub(r"\s+", "", value).split(".")
            if len(parts) == 1:
                return self.resolve(parts[0], best[0], depth + 1) if parts[0] != name else None
            return self.ctx.property_types.get(parts[-1])
        return None


def property_types(files: list[SourceFile], models: dict[str, ModelType]) -> dict[str, str]:
    """Names declared (as properties or parameters) with one model type everywhere in the project."""
    seen: dict[str, set[str]] = defaultdict(set)
    annotation = re.compile(r"(?<![\w.$])([a-z_]\w*)\s*:\s*\[?\s*([A-Z]\w*)\s*\]?\s*[?!]?(?![\w.(<])")
    for f in files:
        for match in annotation.finditer(f.masked.code):
            seen[match.group(1)].add(match.group(2))
    return {name: types.pop() for name, types in seen.items() if len(types) == 1 and next(iter(types)) in models}


# --- Evaluation -----------------------------------------------------------------------------------------------


@dataclass
class Report:
    """The result of a run."""

    models: dict[str, ModelType]
    ownership: Ownership
    refs: list[Ref]
    folder_of: dict[str, str]
    violations: list[dict]


def merge_refs(refs: list[Ref]) -> list[Ref]:
    """One reference per file, line, table and access class (a line that reads and writes a table writes it)."""
    best: dict[tuple[str, int, str, bool], Ref] = {}
    for ref in refs:
        key = (ref.path, ref.line, ref.table, ref.access == FK)
        if key not in best or (best[key].access == READ and ref.access == WRITE):
            best[key] = ref
    return sorted(best.values(), key=lambda r: (r.path, r.line, r.table))


def analyse(repo_root: Path, depth: int = DEFAULT_DEPTH) -> Report:
    """Runs the three passes over the repository's sources."""
    files = load_sources(repo_root / SOURCE_ROOT, depth)
    models = find_models(files)
    creations = find_creations(files, models)
    ownership = decide_ownership(creations, models)
    ctx = Context(table_names(ownership.owner, creations), models, property_types(files, models))
    refs: list[Ref] = []
    folder_of = {}
    for f in files:
        folder_of[f.path] = f.folder
        if f.folder is None or f.exempt:
            continue
        refs.extend(ReferenceFinder(f, ctx).find())
    refs = merge_refs(refs)
    violations = []
    for ref in refs:
        owner = ownership.owner.get(ref.table)
        folder = folder_of[ref.path]
        if ref.access != FK and owner and owner != folder:
            violations.append({"file": ref.path, "line": ref.line, "table": ref.table, "access": ref.access,
                               "owner": owner, "folder": folder, "via": ref.via})
    return Report(models, ownership, refs, folder_of, violations)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def print_text(report: Report, verbose: bool) -> None:
    """Human-readable output: violations grouped by folder, then a summary."""
    if verbose:
        types_of: dict[str, list[str]] = defaultdict(list)
        for model in report.models.values():
            types_of[model.table].append(model.name)
        print("Ownership (table -> owner, Fluent type, created at):")
        width = max((len(t) for t in report.ownership.owner), default=0)
        for table, owner in sorted(report.ownership.owner.items(), key=lambda item: (item[1], item[0])):
            types = ", ".join(sorted(types_of.get(table, []))) or "-"
            print(f"  {table:<{width}}  {owner:<22}  {types:<20}  {report.ownership.origin[table]}")
        print()
        touched: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for ref in report.refs:
            folder = report.folder_of[ref.path]
            owner = report.ownership.owner.get(ref.table)
            kind = "own" if owner == folder else ("foreign keys (allowed)" if ref.access == FK else "other features'")
            touched[folder][kind].add(ref.table)
        print("Tables touched per folder:")
        for folder in sorted(touched):
            print(f"  {folder}")
            for kind in ("own", "other features'", "foreign keys (allowed)"):
                if touched[folder][kind]:
                    print(f"    {kind}: {', '.join(sorted(touched[folder][kind]))}")
        print()
    for error in report.ownership.errors:
        print(f"ownership: {error['message']}")
    by_folder: dict[str, list[dict]] = defaultdict(list)
    for violation in report.violations:
        by_folder[violation["folder"]].append(violation)
    for index, folder in enumerate(sorted(by_folder)):
        items = by_folder[folder]
        tables = sorted({(v["table"], v["owner"]) for v in items})
        if index or report.ownership.errors:
            print()
        print(f"{folder} reaches into " + ", ".join(f"{t} ({o})" for t, o in tables) + ":")
        for v in items:
            verb = "writes" if v["access"] == WRITE else "reads"
            suffix = f"  [{v['via']}]" if verbose else ""
            print(f"{v['file']}:{v['line']}: {verb} {v['table']} (owned by {v['owner']}){suffix}")
    if report.violations or report.ownership.errors:
        files = len({v["file"] for v in report.violations})
        errors = len(report.ownership.errors)
        print(f"\n{plural(len(report.violations), 'reach', 'reaches')} into other features' tables in {plural(files, 'file')}"
              + (f"; {plural(errors, 'ownership error')}" if errors else ""))
    else:
        print(f"feature boundaries hold: {len(report.ownership.owner)} tables, each touched only by its owner")


def print_json(report: Report) -> None:
    """Machine-readable output."""
    types_of: dict[str, list[str]] = defaultdict(list)
    for model in report.models.values():
        types_of[model.table].append(model.name)
    print(json.dumps({
        "violations": report.violations,
        "ownership_errors": report.ownership.errors,
        "tables": {table: {"owner": owner, "types": sorted(types_of.get(table, [])), "created": report.ownership.origin[table]}
                   for table, owner in sorted(report.ownership.owner.items())},
        "foreign_keys": [{"file": r.path, "line": r.line, "table": r.table, "via": r.via} for r in report.refs if r.access == FK
                         and report.ownership.owner.get(r.table) != report.folder_of[r.path]],
    }, indent=2))


# --- Self-test ------------------------------------------------------------------------------------------------


def self_test() -> int:
    """In-memory cases for the tokenizer and the matchers; returns the exit status."""
    user = ModelType("User", "users", "Features/Users/User.swift", 1, "Features/Users")
    model = ModelType("ModelAsset", "models", "Features/Models/ModelAsset.swift", 1, "Features/Models")
    ctx = Context({"users": "users", "models": "models", "jobs": "jobs"}, {"User": user, "ModelAsset": model},
                  {"user": "User"})

    def refs(source: str) -> set[tuple[str, str]]:
        f = SourceFile("Features/Other/Test.swift", "Features/Other", False, mask_swift(source))
        return {(r.table, r.access) for r in merge_refs(ReferenceFinder(f, ctx).find())}

    cases = [
        ("table name in a comment is ignored",
         '// SELECT * FROM users\n/* DELETE FROM models /* nested */ */\nlet x = 1 /// FROM jobs\n', set()),
        ("table name in an interpolation is code, not SQL",
         'sql.raw("SELECT id FROM \\(users.table) WHERE a = \\(bind: "FROM models")")\n', set()),
        ("multi-line literal",
         'let rows = try await sql.raw("""\n    SELECT *\n    FROM models m\n    WHERE m.id = \\(bind: id)\n    """).all()\n',
         {("models", READ)}),
        ("FROM with alias and JOIN", 'sql.raw("SELECT 1 FROM users u JOIN models m ON m.owner_id = u.id")\n',
         {("users", READ), ("models", READ)}),
        ("comma-separated FROM list", 'sql.raw("SELECT 1 FROM models m, users u WHERE m.owner_id = u.id")\n',
         {("users", READ), ("models", READ)}),
        ("writes, escaped quotes, raw strings",
         'sql.raw("UPDATE \\"users\\" SET n = 1")\nsql.raw(#"DELETE FROM jobs WHERE p = "\\#(x)""#)\n',
         {("users", WRITE), ("jobs", WRITE)}),
        ("ON CONFLICT and DO UPDATE are not tables",
         'sql.raw("INSERT INTO jobs (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = excluded.id")\n',
         {("jobs", WRITE)}),
        ("unknown names and column qualifiers do not count", 'sql.raw("SELECT users.id FROM accounts users")\n', set()),
        ("Fluent read and write",
         'let u = try await User.query(on: db).first()\ntry await ModelAsset.query(on: db)\n    .filter(\\.$id == id)\n    .delete()\n',
         {("users", READ), ("models", WRITE)}),
        ("foreign keys are allowed",
         '@Parent(key: "owner_id") var owner: User\n.field("owner_id", .uuid, .references(User.schema, .id))\n',
         {("users", FK)}),
        ("instance write on a typed variable", 'func f(user: User) async throws {\n    try await user.update(on: db)\n}\n',
         {("users", WRITE)}),
        ("SQLKit table argument", 'try await sql.select().column("*").from("models").all()\n', {("models", READ)}),
    ]
    failures = 0
    for name, source, expected in cases:
        got = refs(source)
        if got != expected:
            failures += 1
            print(f"FAIL {name}: expected {sorted(expected)}, got {sorted(got)}")
        else:
            print(f"ok   {name}")
    owned = decide_ownership([Creation("jobs", "Platform/Jobs", "a.swift", 1, "SQL CREATE TABLE"),
                              Creation("jobs", "Features/Other", "b.swift", 2, "SQL CREATE TABLE"),
                              Creation("tmp", "App", "App/configure.swift", 3, "SQL CREATE TABLE")], {})
    kinds = sorted(error["kind"] for error in owned.errors)
    cases_run = len(cases) + 2
    if kinds != ["exempt-creates", "owned-twice"] or "tmp" in owned.owner:
        failures += 1
        print(f"FAIL ownership errors: {kinds}")
    else:
        print("ok   ownership errors (owned twice, created in App/)")
    masked = mask_swift('let a = "x\\"y" // "z"\nlet b = #"q"#\n')
    if len(masked.literals) != 2 or "z" in masked.strings or "q" not in masked.strings or '"z"' in masked.code.replace(" ", ""):
        failures += 1
        print(f"FAIL tokenizer views: {masked.strings!r}")
    else:
        print("ok   tokenizer views")
    print(f"{cases_run - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Checks that each database table is touched only by its owning feature.")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print ownership and per-folder tables")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--self-test", action="store_true", help="run the built-in tests and exit")
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH,
                        help="folder levels under Features/ and Platform/ that make one owner (default 1)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root (default: the script's repository)")
    parser.add_argument("--baseline", type=Path,
                        help="a file of known reaches (file | table | access) still to remove: those pass, any other "
                             "reach fails, and so does a listed reach that no longer exists, so the list only shrinks")
    parser.add_argument("--update-baseline", action="store_true", help="rewrite --baseline with the reaches found now")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    if not (args.root / SOURCE_ROOT).is_dir():
        print(f"error: no {SOURCE_ROOT} under {args.root}", file=sys.stderr)
        return 2
    report = analyse(args.root, max(1, args.depth))
    if args.baseline:
        return check_baseline(report, args.baseline, args.update_baseline, args.verbose)
    if args.json:
        print_json(report)
    else:
        print_text(report, args.verbose)
    return 1 if report.violations or report.ownership.errors else 0


def baseline_key(violation: dict) -> str:
    """A reach without its line number, so moving code around does not change it."""
    return f"{violation['file']} | {violation['table']} | {violation['access']}"


def check_baseline(report: Report, path: Path, update: bool, verbose: bool) -> int:
    """The ratchet: known reaches pass, new ones and stale entries fail."""
    found = {baseline_key(v): v for v in report.violations}
    if update:
        lines = ["# Known reaches into other features' tables, still to be replaced by calls to the owner's API.",
                 "# scripts/check-feature-boundaries.py --baseline fails on any reach not listed here and on any listed",
                 "# reach that is gone (delete its line). Regenerate with --update-baseline only to remove lines."]
        path.write_text("\n".join(lines + sorted(found)) + "\n")
        print(f"wrote {plural(len(found), 'known reach', 'known reaches')} to {path}")
        return 0
    known = {line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")}
    new = sorted(set(found) - known)
    stale = sorted(known - set(found))
    for error in report.ownership.errors:
        print(f"ownership: {error['message']}")
    for key in new:
        v = found[key]
        verb = "writes" if v["access"] == WRITE else "reads"
        print(f"{v['file']}:{v['line']}: {verb} {v['table']} (owned by {v['owner']}): not allowed; call {v['owner']}'s API")
    for key in stale:
        print(f"{path.name}: '{key}' no longer happens; delete the line")
    remaining = len(known & set(found))
    if new or stale or report.ownership.errors:
        print(f"\nfeature boundaries: {plural(len(new), 'new reach', 'new reaches')}, {plural(len(stale), 'stale baseline line')}")
        return 1
    print(f"feature boundaries hold: {len(report.ownership.owner)} tables; no new reach "
          f"({plural(remaining, 'known reach', 'known reaches')} left to remove, listed in {path.name})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # output piped into `head`
        sys.exit(1)
