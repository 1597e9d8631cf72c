"""The services the gateway fronts, found in the generated modules, and the proto comments,
read from the descriptor set that gen_protos.py builds with source info."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor, ServiceDescriptor

from sgz_runtime.config import SERVICES


def module_of(service: str) -> str:
    """The generated module of an sgz service: `sgz.roster.v1.roster_pb2` for roster."""
    return f"sgz.{service}.v1.{service}_pb2"


@dataclass(frozen=True)
class Backend:
    """One sgz service process (`roster`) and the gRPC services its proto file declares."""

    name: str
    file: FileDescriptor
    services: tuple[ServiceDescriptor, ...]


def load_backends(names: tuple[str, ...] = SERVICES) -> list[Backend]:
    backends = []
    for name in names:
        module = importlib.import_module(module_of(name))
        file = module.DESCRIPTOR
        backends.append(Backend(name, file, tuple(file.services_by_name.values())))
    return backends


def descriptor_set_path() -> Path:
    """gen/descriptors.binpb, beside the generated `sgz` package."""
    package = importlib.import_module("sgz")
    return Path(str(package.__file__)).resolve().parent.parent / "descriptors.binpb"


def _elements(
    file: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[str, tuple[int, ...]]]:
    """Every commentable element of a file: its full name and its source-info path."""
    prefix = f"{file.package}." if file.package else ""

    def enum(
        e: descriptor_pb2.EnumDescriptorProto, name: str, loc: tuple[int, ...]
    ) -> Iterator[tuple[str, tuple[int, ...]]]:
        yield name, loc
        for i, value in enumerate(e.value):
            yield f"{name}.{value.name}", (*loc, 2, i)

    def message(
        m: descriptor_pb2.DescriptorProto, name: str, loc: tuple[int, ...]
    ) -> Iterator[tuple[str, tuple[int, ...]]]:
        yield name, loc
        for i, field in enumerate(m.field):
            yield f"{name}.{field.name}", (*loc, 2, i)
        for i, nested in enumerate(m.nested_type):
            yield from message(nested, f"{name}.{nested.name}", (*loc, 3, i))
        for i, nested_enum in enumerate(m.enum_type):
            yield from enum(nested_enum, f"{name}.{nested_enum.name}", (*loc, 4, i))

    for i, m in enumerate(file.message_type):
        yield from message(m, prefix + m.name, (4, i))
    for i, e in enumerate(file.enum_type):
        yield from enum(e, prefix + e.name, (5, i))
    for i, service in enumerate(file.service):
        yield prefix + service.name, (6, i)
        for j, method in enumerate(service.method):
            yield f"{prefix}{service.name}.{method.name}", (6, i, 2, j)


def load_comments(path: Path | None = None) -> dict[str, str]:
    """Leading comments by full name: messages, fields (`pkg.Msg.field`), enums, enum values
    (`pkg.Enum.VALUE`), services and methods (`pkg.Service.Method`). Empty when the file is
    missing: descriptions are documentation, not behaviour."""
    path = path or descriptor_set_path()
    if not path.exists():
        return {}
    files = descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes())
    comments: dict[str, str] = {}
    for file in files.file:
        by_path = {
            tuple(loc.path): " ".join(line.strip() for line in loc.leading_comments.splitlines())
            for loc in file.source_code_info.location
            if loc.leading_comments.strip()
        }
        for name, loc in _elements(file):
            if loc in by_path:
                comments[name] = by_path[loc].strip()
    return comments
