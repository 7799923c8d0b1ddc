"""tldextract must never reach the network nor write a cache (DESIGN.md, Testing).

By default tldextract downloads the public suffix list on first use and caches it
under the user's home; :mod:`pipeline.urls` builds its extractor from the bundled
snapshot only.  These tests make every connection attempt fail loudly and check that nothing
is written.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline import urls

REPO = Path(__file__).resolve().parents[2]


class NetworkUsed(AssertionError):
    pass


def _forbid(*args: object, **kwargs: object) -> None:
    raise NetworkUsed(f"network access attempted: {args!r}")


# Everything that reaches another host goes through one of these.  Creating a socket
# is allowed: importing requests (a tldextract dependency) probes IPv6 support by
# binding a socket to ::1, which is not network access.
_SOCKET_METHODS = ("connect", "connect_ex", "sendto", "sendmsg")
_SOCKET_FUNCTIONS = ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex")


def test_extractor_uses_no_socket_and_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in _SOCKET_METHODS:
        monkeypatch.setattr(socket.socket, name, _forbid)
    for name in _SOCKET_FUNCTIONS:
        monkeypatch.setattr(socket, name, _forbid)
    # Point every cache location tldextract knows at an empty folder.
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path / "tld"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # An environment asking for a download must not win over the explicit setting.
    monkeypatch.setenv("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "https://psl.invalid/list.dat")

    extractor = urls._make_extractor()  # a fresh one: the first use is the risky one
    result = extractor.extract_str("www.cs.uni-example.co.uk")
    assert result.top_domain_under_public_suffix == "uni-example.co.uk"
    assert list(tmp_path.iterdir()) == []


def test_first_use_in_a_fresh_process_is_offline(tmp_path: Path) -> None:
    """Import and first call in a new interpreter, with sockets disabled."""
    script = f"METHODS = {_SOCKET_METHODS!r}\nFUNCTIONS = {_SOCKET_FUNCTIONS!r}\n"
    script += textwrap.dedent(
        """
        import socket

        def forbid(*args, **kwargs):
            raise SystemExit("network access attempted: %r" % (args,))

        for name in METHODS:
            setattr(socket.socket, name, forbid)
        for name in FUNCTIONS:
            setattr(socket, name, forbid)

        from pipeline.urls import registered_domain
        print(registered_domain("https://www.cs.uni-example.de/kurse"))
        print(registered_domain("127.0.0.2:8080"))
        """
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "TLDEXTRACT_CACHE": str(tmp_path / "tld"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["uni-example.de", "127.0.0.2"]
    assert list(tmp_path.iterdir()) == []


def test_the_guard_catches_a_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Control: an extractor allowed to download does hit the guard, so the tests
    above would notice if pipeline.urls ever let tldextract fetch the list."""
    import tldextract

    for name in _SOCKET_METHODS:
        monkeypatch.setattr(socket.socket, name, _forbid)
    for name in _SOCKET_FUNCTIONS:
        monkeypatch.setattr(socket, name, _forbid)
    downloading = tldextract.TLDExtract(
        cache_dir=str(tmp_path), suffix_list_urls=("https://psl.invalid/list.dat",)
    )
    with pytest.raises(NetworkUsed):
        downloading.extract_str("www.example.co.uk")
