"""One data-directory setting, passed into domain code as an argument (issue #10 §2).

`shared/settings.py`, `ward_api/domain/sources.py` and the equity reference catalogue each
worked the directory out, the last two from ``os.environ`` inside domain code.
"""

from __future__ import annotations

import ast
from pathlib import Path

from shared.settings import DATA_DIR_ENV, DataSettings, ServiceSettings

REPO = Path(__file__).resolve().parents[3]
DOMAIN_CODE = sorted(
    [*REPO.glob("services/*/domain/**/*.py"), *(REPO / "shared" / "reference").rglob("*.py")]
)


def _reads_environment(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            lines.append(node.lineno)
    return lines


def test_no_domain_module_reads_the_environment() -> None:
    assert DOMAIN_CODE
    found = [f"{p.relative_to(REPO)}:{n}" for p in DOMAIN_CODE for n in _reads_environment(p)]
    assert found == []


def test_only_the_settings_name_the_data_dir_variable() -> None:
    sources = [*REPO.glob("services/**/*.py"), *(REPO / "shared" / "reference").rglob("*.py")]
    quoted = (f'"{DATA_DIR_ENV}"', f"'{DATA_DIR_ENV}'")
    naming = [str(p.relative_to(REPO)) for p in sources if any(q in p.read_text() for q in quoted)]
    assert naming == []


def test_the_data_dir_comes_from_the_environment_variable(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert DataSettings().data_dir == tmp_path


def test_the_data_dir_expands_a_home_directory(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(DATA_DIR_ENV, "~/data")
    assert DataSettings().data_dir == tmp_path / "data"


def test_the_data_dir_defaults_to_shared_data_beside_the_repo(monkeypatch) -> None:
    assert (REPO / "pyproject.toml").is_file()
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert DataSettings().data_dir == (REPO.parent / "shared" / "data").resolve()
    monkeypatch.setenv(DATA_DIR_ENV, "  ")
    assert DataSettings().data_dir == (REPO.parent / "shared" / "data").resolve()


def test_every_service_reads_the_same_setting() -> None:
    assert issubclass(ServiceSettings, DataSettings)
