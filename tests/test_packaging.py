"""The wheel carries the themes and finds them at run time, outside a checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is needed to build the wheel")
def test_wheel_ships_themes_and_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("newsreader-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        themes = [n for n in names if n.startswith("newsreader/themes/") and n.endswith(".toml")]
        assert len(themes) >= 4
        assert "newsreader/feeds/demo/feeds.json" in names
        zf.extractall(tmp_path / "site")
    code = (
        "import newsreader.paths as p, sys; d = p.builtin_themes_dir(); "
        "print(d); sys.exit(0 if len(list(d.glob('*.toml'))) >= 4 else 1)"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); {code}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_relative_to(tmp_path / "site")
