"""A real WordPress for the tests (scripts/wordpress-up: Debian's package on MariaDB, PHP's
built-in server) and a few calls of its REST API to play the importer's part."""

import json
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "wordpress-up"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class WordPress:
    url: str
    user: str
    password: str
    folder: Path

    @classmethod
    def start(cls, folder: Path) -> "WordPress":
        done = subprocess.run(
            [str(SCRIPT), "start", str(free_port()), str(folder)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise RuntimeError(f"scripts/wordpress-up failed:\n{done.stderr[-3000:]}")
        info = json.loads(done.stdout.strip().splitlines()[-1])
        return cls(info["url"], info["user"], info["password"], folder)

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", str(self.folder)], check=False, timeout=60)

    def _api(self, method: str, route: str, **kwargs) -> dict:
        response = requests.request(
            method,
            f"{self.url}/wp-json/wp/v2{route}",
            auth=(self.user, self.password),
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    def import_post(self, *, title: str, content: str, meta: dict | None = None) -> dict:
        """What an importer plugin does: publish a post, keeping the original URL in meta."""
        return self._api(
            "POST",
            "/posts",
            json={"title": title, "content": content, "status": "publish", "meta": meta or {}},
        )

    def post(self, post_id: int) -> dict:
        return self._api("GET", f"/posts/{post_id}", params={"context": "edit"})

    def reader_status(self, url: str) -> int:
        """What an anonymous reader gets at a URL, redirects followed."""
        return requests.get(url, timeout=30).status_code
