"""Reading a rubric file (YAML bytes) into a checked, JSON-safe definition.

One path for every way a rubric enters the database (``manage.py load_rubrics`` and the
provincial officers' upload), so that what is validated is exactly what is stored and compiled:
the parsed YAML is converted to JSON-safe data first (dates become ISO text, mapping keys become
text the way ``json.dumps`` writes them), then validated by the engine's ``validate_rubric``.

Errors and warnings are engine :class:`~scoring.engine.Message` objects (code, target, zh, en),
so a report can be shown in the reader's language and stored with the version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field

import yaml

from .constants import RUBRIC_FILE_MAX_BYTES
from .engine import Message
from .rubric_loader import validate_rubric

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
# A YAML file can make a small text expand into a huge tree through aliases ("billion laughs"):
# walking it node by node, shared nodes counted each time, stops such a file early.
MAX_NODES = 200_000


@dataclass
class RubricCheck:
    """The outcome of reading one rubric file."""

    sha256: str
    data: dict | None = None  # JSON-safe definition (None if the file could not be read)
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors

    @property
    def code(self) -> str:
        return str(self.data.get("code") or "") if isinstance(self.data, dict) else ""

    @property
    def province_code(self) -> str:
        """The GB/T 2260 code of the province that issued the rubric (``source.province``), if given."""
        if not isinstance(self.data, dict) or not isinstance(self.data.get("source"), dict):
            return ""
        return str(self.data["source"].get("province") or "")


class _TooComplex(Exception):
    pass


def _key(k) -> str:
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return repr(k)
    if isinstance(k, (dt.date, dt.datetime)):
        return k.isoformat()
    return str(k)


def _jsonable(obj, budget: list):
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooComplex
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"not a finite number: {obj!r}")
        return obj
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {_key(k): _jsonable(v, budget) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v, budget) for v in obj]
    raise ValueError(f"unsupported value of type {type(obj).__name__}")


def to_jsonable(obj):
    """JSON-safe copy of parsed YAML (raises ValueError when it cannot be stored as JSON)."""
    try:
        return _jsonable(obj, [MAX_NODES])
    except _TooComplex:
        raise ValueError("the file expands to more than %d values" % MAX_NODES) from None
    except RecursionError:
        raise ValueError("the file is nested too deeply") from None


def check_rubric_bytes(content: bytes) -> RubricCheck:
    """Read, convert and validate a rubric file. Never raises for a bad file: see ``errors``."""
    check = RubricCheck(sha256=hashlib.sha256(content).hexdigest())
    if len(content) > RUBRIC_FILE_MAX_BYTES:
        check.errors.append(Message(
            "file_too_large", "file",
            f"文件过大（{len(content)} 字节，上限 {RUBRIC_FILE_MAX_BYTES} 字节）",
            f"the file is too large ({len(content)} bytes; the limit is {RUBRIC_FILE_MAX_BYTES})",
        ))
        return check
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        check.errors.append(Message("not_utf8", "file", "文件不是 UTF-8 编码的文本", "the file is not UTF-8 text"))
        return check
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        detail = str(exc).replace("\n", " ")[:500]
        check.errors.append(Message("yaml_syntax", "file", f"YAML 语法错误：{detail}", f"YAML syntax error: {detail}"))
        return check
    try:
        data = to_jsonable(raw)
    except ValueError as exc:
        check.errors.append(Message("bad_value", "file", f"文件包含无法保存的内容：{exc}", f"the file holds content that cannot be stored: {exc}"))
        return check
    if not isinstance(data, dict):
        check.errors.append(Message("not_a_mapping", "rubric", "规则文件应为映射（字典）", "a rubric must be a mapping"))
        return check
    check.data = data
    errors, warnings = validate_rubric(data)
    check.errors.extend(errors)
    check.warnings.extend(warnings)
    code = data.get("code")
    if isinstance(code, str) and code and not CODE_RE.match(code):
        check.errors.append(Message(
            "bad_code", "code",
            "代码只能由小写字母、数字和连字符组成（2-64个字符），例如 gansu-2022-etc",
            "the code may hold only lower-case letters, digits and hyphens (2-64 characters), e.g. gansu-2022-etc",
        ))
    return check


def message_dict(m: Message) -> dict:
    return {"code": m.code, "target": m.target, "zh": m.zh, "en": m.en}
