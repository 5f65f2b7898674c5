"""A real Varnish (Debian's varnish and varnish-modules, for vmod xkey) in front of the
live test server, started from deploy/varnish/default.vcl with its backend pointed at
the live server: the pages a reader gets through the edge, and the purges a takedown
sends."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "default.vcl"
VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
XKEY = "/usr/lib/x86_64-linux-gnu/varnish/vmods/libvmod_xkey.so"


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Varnish:
    def __init__(self, backend_url: str):
        backend = urlsplit(backend_url)
        self.workdir = Path(tempfile.mkdtemp(prefix="courtesy-varnish-"))
        os.chmod(self.workdir, 0o755)  # varnishd's unprivileged children read it
        vcl = VCL.read_text().replace('.port = "8000";', f'.port = "{backend.port}";')
        vcl = vcl.replace('.host = "127.0.0.1";', f'.host = "{backend.hostname}";')
        (self.workdir / "default.vcl").write_text(vcl)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.workdir / "varnishd.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                VARNISHD,
                "-F",
                "-n",
                str(self.workdir / "n"),
                "-a",
                f"127.0.0.1:{self.port}",
                "-T",
                "none",
                "-f",
                str(self.workdir / "default.vcl"),
                "-s",
                "malloc,32m",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"varnishd exited:\n{self.output()}")
            try:
                requests.get(f"{self.url}/healthz", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"varnishd did not answer:\n{self.output()}")

    def output(self) -> str:
        return (self.workdir / "varnishd.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def varnish_missing() -> str:
    """Why Varnish cannot run here ("" when it can)."""
    if not os.path.exists(VARNISHD):
        return "varnishd is missing: `apt-get install varnish varnish-modules`"
    if not os.path.exists(XKEY):
        return "vmod xkey is missing: `apt-get install varnish-modules`"
    return ""


@pytest.fixture
def varnish(live_server):
    reason = varnish_missing()
    if reason:
        pytest.skip(reason)
    edge = Varnish(live_server.url)
    yield edge
    edge.stop()
