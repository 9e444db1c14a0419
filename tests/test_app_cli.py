"""The ``kontingent`` command: ``wsdl --write/--check`` and the gunicorn configuration of ``serve``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kontingent_ws import gunicorn_conf
from kontingent_ws.cli import build_parser, main
from kontingent_ws.commands.serve import KontingentServer
from kontingent_ws.registry import CONTRACTS


def test_wsdl_write_then_check_passes(tmp_path: Path) -> None:
    assert main(["wsdl", "--write", str(tmp_path)]) == 0

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{c.name}.wsdl" for c in CONTRACTS)
    assert main(["wsdl", "--check", str(tmp_path)]) == 0


def test_wsdl_check_fails_on_a_changed_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["wsdl", "--write", str(tmp_path)])
    golden = tmp_path / "ServiceInfo.wsdl"
    golden.write_text(golden.read_text(encoding="utf-8").replace("GetServiceInfo", "GetInfo"), encoding="utf-8")

    assert main(["wsdl", "--check", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "ServiceInfo" in error
    assert "kontingent wsdl --write wsdl/" in error


def test_wsdl_check_fails_on_a_missing_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wsdl", "--check", str(tmp_path)]) == 1
    assert "отсутствует" in capsys.readouterr().err


def test_wsdl_needs_exactly_one_mode(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["wsdl"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["wsdl", "--write", str(tmp_path), "--check", str(tmp_path)])


def test_serve_reads_the_gunicorn_module_and_applies_options() -> None:
    server = KontingentServer({"bind": ["127.0.0.1:9999"], "workers": 3})

    assert server.cfg.bind == ["127.0.0.1:9999"]
    assert server.cfg.workers == 3
    assert server.cfg.wsgi_app == "kontingent_ws.app:make_app()"
    assert server.cfg.timeout == gunicorn_conf.timeout
    assert "x-request-id" in server.cfg.access_log_format
    assert server.cfg.worker_class_str == "sync"


@pytest.mark.parametrize(("cpus", "workers"), [(1, 3), (4, 9), (64, gunicorn_conf.MAX_DEFAULT_WORKERS)])
def test_default_workers_are_two_per_core_plus_one_capped(cpus: int, workers: int) -> None:
    assert gunicorn_conf.default_workers(cpus) == workers
