from pathlib import Path

from services.ward_api.domain.sources import DATA_DIR_ENV, data_dir


def test_data_dir_comes_from_the_environment_variable(tmp_path: Path) -> None:
    assert data_dir({DATA_DIR_ENV: str(tmp_path)}) == tmp_path


def test_data_dir_defaults_to_shared_data_beside_the_repo() -> None:
    repo_root = Path(__file__).resolve().parents[3]
    assert data_dir({}) == (repo_root.parent / "shared" / "data").resolve()
