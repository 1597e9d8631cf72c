"""Generates Python code, gRPC stubs and typed stubs from protos/ into gen/ (never edited).

Also writes gen/descriptors.binpb, the protoc-built image that `buf lint` reads offline.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import grpc_tools
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT / "gen"


def _include_dirs() -> list[Path]:
    # googleapis-common-protos ships google/api/*.proto and google/type/*.proto.
    from google.api import http_pb2

    site = Path(http_pb2.__file__).resolve().parent.parent.parent
    return [PROTOS, site, Path(grpc_tools.__file__).resolve().parent / "_proto"]


def main() -> int:
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    # Generate beside gen/ and swap it in, so a process importing gen/ never sees it half-made.
    work = Path(tempfile.mkdtemp(prefix=".gen-", dir=ROOT))
    includes = [f"-I{d}" for d in _include_dirs()]
    # The mypy-protobuf plugins live beside this interpreter, which may not be on PATH.
    bindir = Path(sys.executable).parent
    args = [
        "grpc_tools.protoc",
        f"--plugin=protoc-gen-mypy={bindir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bindir / 'protoc-gen-mypy_grpc'}",
        *includes,
        f"--python_out={work}",
        f"--grpc_python_out={work}",
        f"--mypy_out={work}",
        f"--mypy_grpc_out={work}",
        f"--descriptor_set_out={work / 'descriptors.binpb'}",
        "--include_imports",
        "--include_source_info",
        *sources,
    ]
    code = protoc.main(args)
    if code != 0:
        shutil.rmtree(work)
        print("protoc failed", file=sys.stderr)
        return int(code)
    # Make every generated folder a regular package, and mark the tree as typed.
    for folder in [p for p in work.rglob("*") if p.is_dir()]:
        (folder / "__init__.py").touch()
    (work / "sgz" / "py.typed").touch()
    old = ROOT / f".gen-old-{os.getpid()}"
    if OUT.exists():
        OUT.rename(old)
    work.rename(OUT)
    shutil.rmtree(old, ignore_errors=True)
    print(f"generated {len(sources)} proto files into {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
