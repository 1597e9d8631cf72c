"""The contracts pass buf's STANDARD and COMMENTS lint (run offline on a protoc-built image),
and the lint really refuses a contract that breaks the style."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from grpc_tools import protoc  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"


def _lint(image: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(BUF),
            "lint",
            str(image),
            "--config",
            str(ROOT / "protos" / "buf.yaml"),
            "--path",
            "sgz",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _image(protos: Path, out: Path) -> Path:
    import grpc_tools  # type: ignore[import-untyped]
    from google.api import http_pb2

    includes = [
        protos,
        Path(http_pb2.__file__).resolve().parents[2],
        Path(grpc_tools.__file__).resolve().parent / "_proto",
    ]
    sources = sorted(str(p.relative_to(protos)) for p in protos.rglob("*.proto"))
    code = protoc.main(
        [
            "protoc",
            *[f"-I{i}" for i in includes],
            f"--descriptor_set_out={out}",
            "--include_imports",
            "--include_source_info",
            *sources,
        ]
    )
    assert code == 0
    return out


def test_every_contract_passes_the_lint(tmp_path: Path) -> None:
    result = _lint(_image(ROOT / "protos", tmp_path / "image.binpb"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_refuses_an_enum_without_unspecified_zero_and_comments(tmp_path: Path) -> None:
    protos = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", protos)
    bad = protos / "sgz" / "hr" / "v1" / "hr.proto"
    bad.write_text(bad.read_text() + "\nenum Shift { DAY = 0; }\n")
    result = _lint(_image(protos, tmp_path / "image.binpb"))
    assert result.returncode != 0
    assert 'Enum zero value name "DAY" should be suffixed with "_UNSPECIFIED"' in result.stdout
    assert 'Enum "Shift" should have a non-empty comment' in result.stdout


@pytest.mark.parametrize("service", ["roster", "hr", "visit", "finance", "assessment"])
def test_each_service_has_one_versioned_package(service: str) -> None:
    folder = ROOT / "protos" / "sgz" / service / "v1"
    protos = list(folder.glob("*.proto"))
    assert protos, folder
    for proto in protos:
        assert f"package sgz.{service}.v1;" in proto.read_text()
