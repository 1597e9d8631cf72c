"""The supervisord config `sgz up` writes: parsed by supervisor itself, as supervisord would."""

from __future__ import annotations

from pathlib import Path

import pytest
from supervisor.options import ServerOptions

from deploy import preflight
from deploy.supervisor_conf import MODULES, Layout, child_environment, render
from sgz_runtime.config import SERVICES, Settings


def _settings(data_dir: Path, **kwargs: object) -> Settings:
    return Settings(data_dir=data_dir, internal_secret="k" * 40, **kwargs)  # type: ignore[arg-type]


def _load(settings: Settings, tmp_path: Path) -> ServerOptions:
    layout = Layout.of(settings)
    layout.run_dir.mkdir(parents=True)
    layout.logs_dir.mkdir(parents=True)
    conf = tmp_path / "supervisord.conf"
    conf.write_text(render(settings, layout, python="/opt/a python/bin/python"))
    options = ServerOptions()
    options.realize(args=["-c", str(conf)])
    return options


def test_every_service_and_the_gateway_is_a_restarted_program_with_its_own_log(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path / "data")
    options = _load(settings, tmp_path)

    groups = {g.name: g for g in options.process_group_configs}
    programs = {pc.name: pc for g in groups.values() for pc in g.process_configs}
    assert set(programs) == {*SERVICES, "gateway"}
    # Started together, stopped together, after the gateway has stopped.
    assert {pc.name for pc in groups["services"].process_configs} == set(SERVICES)
    assert groups["gateway"].priority > groups["services"].priority
    for name, program in programs.items():
        assert program.command == f"'/opt/a python/bin/python' -m {MODULES[name]}"
        assert program.autorestart is not False
        assert program.stopsignal == 15
        assert program.stopwaitsecs > settings.grace_s
        assert program.stdout_logfile == str(tmp_path / "data" / "logs" / f"{name}.log")
        assert program.redirect_stderr
    assert options.nodaemon
    [server] = options.server_configs
    assert server["file"] == str(tmp_path / "data" / "run" / "supervisor.sock")


def test_every_program_gets_the_same_resolved_ports_and_data_dir(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", roster_port=19051, gateway_port=19080)
    options = _load(settings, tmp_path)

    expected = child_environment(settings, Layout.of(settings))
    assert expected["SGZ_DATA_DIR"] == str(tmp_path / "data")
    assert expected["SGZ_ROSTER_PORT"] == "19051"
    assert expected["SGZ_GATEWAY_PORT"] == "19080"
    for group in options.process_group_configs:
        for program in group.process_configs:
            assert program.environment == expected


def test_a_data_dir_too_deep_for_a_unix_socket_keeps_its_socket_in_tmp(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    layout = Layout(deep)

    assert len(str(layout.socket)) < 100
    assert layout.socket != Layout(tmp_path / "other").socket


def test_a_data_dir_with_a_percent_sign_is_refused_before_start(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "100%")

    with pytest.raises(preflight.PreflightError, match="'%'"):
        preflight.check_paths(layout)
    with pytest.raises(ValueError):
        render(_settings(layout.data_dir), layout)
