"""A fake DNS and canary listeners, so SSRF tests never leave 127.0.0.0/8.

The guard under test sees the addresses a real resolver would give (10.0.0.5,
169.254.169.254, a "public" 93.184.216.34, ...) and judges them as what they are.
Only the last step, the address actually dialled, is replaced: every checked address
is sent to a loopback stand-in (``FakeGuard.dial``), and anything unknown goes to a
canary.  So even a broken guard can only ever reach a canary on 127.0.0.x.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.safety import Guard

ENV = "OFFERMAP_TEST_FAKE_DNS"

#: A fake-DNS answer meaning "no answer this time" (EAI_AGAIN): worth a retry.
TRANSIENT = "EAI_AGAIN"

#: Where a checked address that has no stand-in is dialled: a canary.
CATCH_ALL = "127.0.0.254"


@dataclass
class FakeDns:
    """names: host -> list of answers, one per lookup (the last one repeats); the
    answer ``["EAI_AGAIN"]`` is a resolver that did not answer this time;
    dial: checked address -> the loopback address that stands for it."""

    names: dict[str, list[list[str]]] = field(default_factory=dict)
    dial: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps({"names": self.names, "dial": self.dial}))
        return path


class FakeGuard(Guard):
    """The production guard with a scripted resolver and loopback-only dialling."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        table = json.loads(Path(os.environ[ENV]).read_text())
        self._names: dict[str, list[list[str]]] = table["names"]
        self._dial: dict[str, str] = table["dial"]
        self._lookups: dict[str, int] = {}
        self.lookup = self._fake_lookup

    def _fake_lookup(self, host: str) -> list[str]:
        answers = self._names.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: not in the fake DNS")
        count = self._lookups.get(host, 0)
        self._lookups[host] = count + 1
        answer = answers[min(count, len(answers) - 1)]
        if answer == [TRANSIENT]:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return answer

    def dial(self, address: str) -> str:
        if address in self._dial:
            return self._dial[address]
        parsed = ipaddress.ip_address(address)
        if parsed.version == 4 and parsed in ipaddress.ip_network("127.0.0.0/8"):
            return address
        return CATCH_ALL


class Canary:
    """A TCP listener that counts the connections it accepts (it should see none)."""

    def __init__(self, host: str, port: int = 0) -> None:
        self.host = host
        self.accepted = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(64)
        self.port = self._socket.getsockname()[1]
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self._closed = True
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._socket.close()
