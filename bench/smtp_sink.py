"""`python -m bench.smtp_sink --port N`: a lean SMTP sink on loopback for the reminders benchmark.

It speaks just enough SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA with dot-stuffed bodies, RSET, NOOP, QUIT),
accepts every message and throws it away, counting them. It stands in for a production mail server: aiosmtpd,
which the tests use because it checks what it receives, spends about a millisecond of Python per message and
would measure itself rather than our tick. Run in a process of its own, as a mail server would be.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

END_OF_DATA = b"\r\n.\r\n"


class SinkProtocol(asyncio.Protocol):
    received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""
        self.in_data = False
        self.transport.write(b"220 bench-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                # "\r\n.\r\n" ends the body; the body's own first line may be the "." line when it is empty.
                end = self.buffer.find(END_OF_DATA)
                if end < 0:
                    return
                self.buffer = self.buffer[end + len(END_OF_DATA):]
                self.in_data = False
                SinkProtocol.received += 1
                self.transport.write(b"250 2.0.0 accepted\r\n")
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return
            line, self.buffer = self.buffer[:line_end], self.buffer[line_end + 2:]
            self._command(line)

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self.transport.write(b"250-bench-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n")
        elif verb == b"DATA":
            self.in_data = True
            # The terminator is searched with a leading CRLF: put one before the body.
            self.buffer = b"\r\n" + self.buffer
            self.transport.write(b"354 end data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 bye\r\n")
            self.transport.close()
        elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            self.transport.write(b"250 OK\r\n")
        else:
            self.transport.write(b"502 command not implemented\r\n")


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(SinkProtocol, host, port)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    async with server:
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
