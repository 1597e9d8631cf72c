"""`google.api.http` path templates: parsed once, matched against request paths.

Template = "/" Segments [ ":" Verb ] ;  Segment = "*" | "**" | LITERAL | Variable ;
Variable = "{" FieldPath [ "=" Segments ] "}" ;
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote


class TemplateError(ValueError):
    """A path template in an annotation that this grammar does not accept."""


@dataclass(frozen=True)
class Segment:
    """One path segment: a literal, or a wildcard (`*` one segment, `**` the rest).
    `variable` is the request field the segment is bound to, if any."""

    literal: str | None
    wildcard: str = ""
    variable: str | None = None


@dataclass(frozen=True)
class PathTemplate:
    text: str
    segments: tuple[Segment, ...]
    verb: str
    regex: re.Pattern[str]
    #: Field paths bound by the template, in order; group i of the regex is variables[i].
    variables: tuple[str, ...]

    @property
    def literal_count(self) -> int:
        """How specific the template is: routes with more literals win a tie."""
        return sum(1 for s in self.segments if s.literal is not None) + (1 if self.verb else 0)

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The bound field values for a raw (still percent-encoded) path, decoded; None if
        the path does not match."""
        found = self.regex.fullmatch(raw_path)
        if found is None:
            return None
        return {var: unquote(found.group(i + 1)) for i, var in enumerate(self.variables)}


def _split(text: str, sep: str) -> list[str]:
    """Splits on sep outside of braces."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise TemplateError("unbalanced '}'")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise TemplateError("unbalanced '{'")
    parts.append("".join(current))
    return parts


def _plain_segment(text: str, variable: str | None) -> Segment:
    if text in ("*", "**"):
        return Segment(None, text, variable)
    if not text or any(ch in text for ch in "{}*="):
        raise TemplateError(f"bad segment {text!r}")
    return Segment(text, "", variable)


def parse(text: str) -> PathTemplate:
    """The template of an annotation's path, e.g. `/v1/{name=towns/*/villages/*}`."""
    if not text.startswith("/"):
        raise TemplateError(f"{text!r} does not start with '/'")
    body = text[1:]
    verb = ""
    head, _, tail = body.rpartition(":")
    if head and "/" not in tail and "}" not in tail:
        body, verb = head, tail
    segments: list[Segment] = []
    for part in _split(body, "/"):
        if part.startswith("{") and part.endswith("}"):
            inner = part[1:-1]
            variable, eq, sub = inner.partition("=")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", variable):
                raise TemplateError(f"bad variable {variable!r}")
            if any(s.variable == variable for s in segments):
                raise TemplateError(f"{variable} is bound twice")
            for sub_part in sub.split("/") if eq else ["*"]:
                segments.append(_plain_segment(sub_part, variable))
        else:
            segments.append(_plain_segment(part, None))
    return _compile(text, tuple(segments), verb)


def _compile(text: str, segments: tuple[Segment, ...], verb: str) -> PathTemplate:
    pattern: list[str] = []
    variables: list[str] = []
    i = 0
    while i < len(segments):
        var = segments[i].variable
        j = i
        while j < len(segments) and var is not None and segments[j].variable == var:
            j += 1
        group = segments[i : max(j, i + 1)]
        piece = "/".join(_segment_regex(s) for s in group)
        if var is not None:
            variables.append(var)
            piece = f"({piece})"
        pattern.append("/" + piece)
        i += len(group)
    if verb:
        pattern.append(":" + re.escape(verb))
    return PathTemplate(text, segments, verb, re.compile("".join(pattern)), tuple(variables))


def _segment_regex(segment: Segment) -> str:
    if segment.literal is not None:
        return re.escape(segment.literal)
    return "[^/]+" if segment.wildcard == "*" else ".+"
