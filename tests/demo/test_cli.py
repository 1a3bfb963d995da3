"""`vward up --demo` and `vward demo` are wired into the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from vward.cli import app


def test_up_offers_the_demo_and_demo_its_options() -> None:
    runner = CliRunner()
    up = runner.invoke(app, ["up", "--help"], terminal_width=200)
    assert up.exit_code == 0 and "--demo" in up.output and "--demo-seed" in up.output
    demo = runner.invoke(app, ["demo", "--help"], terminal_width=200)
    assert demo.exit_code == 0
    assert all(o in demo.output for o in ("--duration", "--seed", "--beds", "--icb"))


def test_demo_fails_cleanly_without_services(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        ["demo", "--duration", "1", "--ward-api", "http://127.0.0.1:9"],
    )
    assert result.exit_code == 1
    assert "not ready" in result.output
