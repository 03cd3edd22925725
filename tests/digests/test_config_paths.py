"""Relative paths in the TOML file are relative to the file: the daemon may start anywhere."""

from pathlib import Path

from digests.config import load_settings


def test_relative_out_dir_is_relative_to_the_config_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    (conf_dir / "raqib.toml").write_text('[digest]\nout_dir = "digests-out"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(conf_dir / "raqib.toml", env={})
    assert settings.out_dir == conf_dir.resolve() / "digests-out"


def test_absolute_out_dir_is_kept(tmp_path: Path) -> None:
    (tmp_path / "raqib.toml").write_text(f'[digest]\nout_dir = "{tmp_path / "abs"}"\n', encoding="utf-8")
    assert load_settings(tmp_path / "raqib.toml", env={}).out_dir == tmp_path / "abs"
