"""Doubles for the outside world: a local SMTP server (aiosmtpd) and a local receiver for the
national platform's webhook. Their fixtures (`smtp`, `receiver`) are in tests/conftest.py."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.support.services import free_port

SECRET = "test-webhook-secret"


# --- SMTP: aiosmtpd on 127.0.0.1, stoppable and restartable on the same port -------------------

@dataclass
class Received:
    rcpt_tos: list
    message: object

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_body(("plain",)).get_content()


class SMTPServer:
    def __init__(self):
        self.port = free_port()
        self.messages: list[Received] = []
        self.refuse: set[str] = set()  # addresses answered "550 no such mailbox"
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.original_content, policy=policy.default)))
        return "250 OK"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_SENDER": "feedback@office.example"}


# --- the platform's webhook: http.server in a thread ------------------------------------------

@dataclass
class Hit:
    headers: dict
    body: bytes
    status: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    hits: list = field(default_factory=list)
    script: list = field(default_factory=list)  # statuses to answer in turn; then 200
    server: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feedback/replies"

    @property
    def acknowledged(self) -> list:
        return [h for h in self.hits if 200 <= h.status < 300]

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.hits.append(Hit(dict(self.headers), body, status))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def config(self) -> dict:
        return {"PLATFORM_WEBHOOK_URL": self.url, "PLATFORM_WEBHOOK_SECRET": SECRET}
