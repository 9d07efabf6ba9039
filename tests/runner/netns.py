"""Two "hosts" for the tests: Linux network namespaces, each with its own network stack and a
veth link to this machine, and a TCP relay on this machine's side of the links to the real
Redis and PostgreSQL (which listen on 127.0.0.1 only, unreachable from inside a namespace).

    with Hosts(2) as hosts:
        url = hosts.expose("127.0.0.1", 6379)    # "10.x.1.1:port", reachable from every host
        hosts.popen(0, [...])                    # a process on host 0

Namespaces are deleted on leaving the block, whatever happened (their veth pairs go with them).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import uuid
from types import TracebackType
from typing import Any

import pytest


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def netns_available() -> None:
    """Fail under CI=true, skip elsewhere, when this process may not make namespaces."""
    name = f"ml-probe-{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", name)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        message = f"`ip netns` is not available here (needs root): {detail.strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    _ip("netns", "delete", name)


class Hosts:
    def __init__(self, count: int) -> None:
        tag = uuid.uuid4().hex[:6]
        self.names = [f"ml-{tag}-{i}" for i in range(count)]
        self.subnet = f"10.{200 + int(tag[:2], 16) % 50}"
        self.relays: list[_Relay] = []

    def address(self, host: int) -> str:
        """This machine's side of host `host`'s link."""
        return f"{self.subnet}.{host + 1}.1"

    def __enter__(self) -> Hosts:
        try:
            for i, name in enumerate(self.names):
                outside, inside = f"{name}-o"[-15:], f"{name}-i"[-15:]
                _ip("netns", "add", name)
                _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
                _ip("link", "set", inside, "netns", name)
                _ip("addr", "add", f"{self.address(i)}/24", "dev", outside)
                _ip("link", "set", outside, "up")
                ns = ("-n", name)
                _ip(*ns, "addr", "add", f"{self.subnet}.{i + 1}.2/24", "dev", inside)
                _ip(*ns, "link", "set", inside, "up")
                _ip(*ns, "link", "set", "lo", "up")
                _ip(*ns, "route", "add", "default", "via", self.address(i))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for relay in self.relays:
            relay.close()
        for name in self.names:
            subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)

    def expose(self, host: str, port: int) -> tuple[str, int]:
        """A relay on this machine's side of host 0's link to host:port; every host reaches it
        (the others through their default route to this machine)."""
        relay = _Relay(self.address(0), (host, port))
        self.relays.append(relay)
        return relay.address

    def popen(self, host: int, command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """Run `command` on host `host` (`ip netns exec` execs it: the pid is the command's)."""
        return subprocess.Popen(["ip", "netns", "exec", self.names[host], *command], **kwargs)

    def run(self, host: int, command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ip", "netns", "exec", self.names[host], *command],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )


class _Relay:
    """A TCP relay: connections to `listen`:port are piped to `target`."""

    def __init__(self, listen: str, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server((listen, 0))
        self.address: tuple[str, int] = self.server.getsockname()[:2]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
        for end in self.open:
            end.close()
