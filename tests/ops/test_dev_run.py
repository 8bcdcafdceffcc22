"""`make run`'s processes (scripts/dev-run.sh): e-mails are caught as .eml files; Ctrl-C stops all, quietly."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from app.devmail import start
from tests.conftest import TEST_KEYS

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "noreply@jinengtong.example", "hr@example.com", subject
    message.set_content("报名截止前1天提醒")
    return message


def test_the_mail_catcher_keeps_each_message_as_an_eml_file(tmp_path):
    port = _free_port()
    catcher = start(tmp_path, port=port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
            smtp.send_message(_message("提醒：报名即将截止"))
    finally:
        catcher.stop()
    [eml] = tmp_path.glob("*.eml")
    kept = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert kept["Subject"] == "提醒：报名即将截止"
    assert kept.get_content().strip() == "报名截止前1天提醒"


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="make run is the SQLite development setup; this runs in the SQLite part of the suite")
def test_make_run_catches_mail_and_ctrl_c_stops_every_process_without_a_traceback(app, tmp_path):
    web_port, mail_port = _free_port(), _free_port()
    env = {**os.environ, **TEST_KEYS, "APP_ENV": "development", "DATABASE_URL": os.environ["_TEST_DATABASE_URI"],
           "BIN": str(Path(sys.executable).parent), "HOST": "127.0.0.1", "PORT": str(web_port),
           "DEV_MAIL_PORT": str(mail_port), "MAIL_DIR": str(tmp_path / "mail"),
           "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "25"}  # what the shell had: make run overrides it
    output = tmp_path / "output.txt"
    with output.open("w") as sink:
        # A session of its own, like a terminal: Ctrl-C sends SIGINT to every process of the foreground group.
        run = subprocess.Popen(["bash", "scripts/dev-run.sh"], cwd=ROOT, env=env, stdout=sink, stderr=sink,
                               start_new_session=True)
        try:
            _until(lambda: _listening(web_port) and _listening(mail_port), 60, "the web server and the catcher")
            assert urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10).status == 200
            # The web server and the scheduler send to the catcher, whatever MAIL_* the shell had.
            children = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True).stdout.split()
            environments = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in children]
            assert len(environments) == 3
            assert all(f"MAIL_PORT={mail_port}".encode() in e and b"MAIL_SERVER=127.0.0.1" in e for e in environments)
            with smtplib.SMTP("127.0.0.1", mail_port, timeout=5) as smtp:
                smtp.send_message(_message("reminder"))
            _until(lambda: any((tmp_path / "mail").glob("*.eml")), 10, "the .eml file")
            os.killpg(run.pid, signal.SIGINT)
            try:
                run.wait(timeout=20)
            except subprocess.TimeoutExpired:
                raise AssertionError(subprocess.run(["ps", "-o", "pid,stat,wchan:20,args", "-g", str(run.pid)],
                                                    capture_output=True, text=True).stdout) from None
            assert run.returncode == 0
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    text = output.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert not _listening(web_port) and not _listening(mail_port)
    assert subprocess.run(["pgrep", "-g", str(run.pid)], capture_output=True).returncode == 1  # nothing left
