"""The development mail catcher: an SMTP server on loopback that keeps every message as an .eml file.

`make run` starts it beside the web server and the scheduler, and points their MAIL_SERVER/MAIL_PORT at it, so
reminder e-mails can be read under instance/mail/ (open an .eml file with any mail program or a text editor)
instead of failing against localhost:25. Development only: production sends through its real SMTP relay.

    python -m app.devmail --port 8025 --dir instance/mail
"""

from __future__ import annotations

import argparse
import signal
import threading
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from app.core import clock


class EmlWriter:
    """aiosmtpd handler: each message accepted is written whole (headers and body, as received) to one file."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        name = f"{clock.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(content)
        partial.rename(self.folder / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """Start the catcher in a background thread (stop it with ``.stop()``)."""
    controller = Controller(EmlWriter(folder), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path("instance/mail"))
    args = parser.parse_args(argv)
    done = threading.Event()
    # Ctrl-C (SIGINT) and `kill` (SIGTERM) end it quietly: no traceback in the `make run` terminal.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    controller = start(args.dir, args.host, args.port)
    print(f"mail catcher: e-mails sent to {args.host}:{args.port} are kept in {args.dir.resolve()}/", flush=True)
    try:
        # A signal may be delivered to the SMTP thread; Python then runs the handler only when the main thread
        # next executes bytecode, so wake up twice a second rather than block for good.
        while not done.wait(0.5):
            pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
