from pathlib import Path

from services.ward_api.settings import WardSettings
from shared.settings import DATA_DIR_ENV


def test_ward_api_reads_the_shared_data_dir_setting(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert WardSettings().data_dir == tmp_path
