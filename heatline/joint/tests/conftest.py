from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    # Uploaded minutes and photos go to a temporary directory, not the working tree.
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
