"""Without Chromium the browser tests skip, saying why; under CI they fail instead."""

from __future__ import annotations

import pytest
from browser_kit import require_chromium


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("MLGOV_CHROMIUM", str(tmp_path / "no-such-chromium"))


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_a_missing_chromium_skips_locally_with_the_reason(no_chromium: None, monkeypatch: pytest.MonkeyPatch,
                                                          ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="no Chromium at .*apt-get install chromium"):
        require_chromium()


@pytest.mark.parametrize("ci", ["1", "true"])
def test_a_missing_chromium_fails_under_ci(no_chromium: None, monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="under CI the browser tests must run, not skip"):
        require_chromium()


def test_a_named_chromium_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("")
    monkeypatch.setenv("MLGOV_CHROMIUM", str(browser))
    assert require_chromium() == str(browser)
