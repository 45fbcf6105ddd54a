from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from databorder.logs import setup_logging


@pytest.fixture
def databorder_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("databorder")
    before = list(logger.handlers)
    yield logger
    for handler in logger.handlers[len(before) :]:
        handler.close()
        logger.removeHandler(handler)


def test_the_log_file_is_in_the_users_log_folder_and_gets_details(
    databorder_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = setup_logging(verbose=False)
    assert log_file is not None and "databorder" in str(log_file)
    logging.getLogger("databorder.test").debug("a detail for the log file")
    for handler in databorder_logger.handlers:
        handler.flush()
    assert "a detail for the log file" in log_file.read_text(encoding="utf-8")
    assert capsys.readouterr().err == ""  # not verbose: nothing on the terminal


def test_verbose_also_logs_to_stderr(databorder_logger: logging.Logger, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(verbose=True)
    logging.getLogger("databorder.test").info("said on stderr")
    assert "said on stderr" in capsys.readouterr().err


def test_a_log_folder_that_cannot_be_made_is_no_error(
    databorder_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    blocker = tmp_path_factory.mktemp("ro") / "state"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    assert setup_logging(verbose=False) is None
