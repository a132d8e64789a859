#!/usr/bin/env python3
"""Set up and run the dealer register, or its tests, with nothing but Python 3.11+.

    python3 dev.py serve   # virtualenv, install, migrate, demo data; web, worker, police demo
    python3 dev.py test    # virtualenv, install with test tools; the whole test suite

Extra arguments after ``test`` go to pytest. Set TEST_DATABASE_URL to also run on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed")
    command = argv[0] if argv else "help"
    if command == "serve":
        return serve()
    if command == "test":
        return test(argv[1:])
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (again only when pyproject.toml changed)."""
    if not PYTHON.exists():
        print("creating virtual environment in .venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    marker = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if marker.exists() and marker.read_text() == digest:
        return
    print(f"installing dependencies ({extras or 'runtime'})", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-e", target], check=True, cwd=ROOT)
    marker.write_text(digest)


def flask(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "register", *args], check=True, cwd=ROOT, env=env
    )


def serve() -> int:
    ensure_venv("postgres")
    flask("db", "upgrade")
    flask("seed-demo")
    env = dict(os.environ)
    env.setdefault("REGISTER_POLICE_WEBHOOK_URL", "http://127.0.0.1:5001/webhook")
    # Mail goes to the demonstration mail catcher (SMTP 1025, page 1080) unless set.
    env.setdefault("REGISTER_MAIL_SERVER", "127.0.0.1")
    env.setdefault("REGISTER_MAIL_PORT", "1025")
    env.setdefault("REGISTER_MAIL_USE_TLS", "false")
    env.setdefault("REGISTER_PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    processes = []
    flask_cmd = [str(BIN / "flask"), "--app", "register"]
    # The police demo receiver first, so the worker's first delivery finds it listening.
    processes.append(
        subprocess.Popen([*flask_cmd, "police-receiver", "--port", "5001"], cwd=ROOT, env=env)
    )
    wait_for_port(5001)
    if env["REGISTER_MAIL_SERVER"] == "127.0.0.1" and env["REGISTER_MAIL_PORT"] == "1025":
        processes.append(
            subprocess.Popen(
                [*flask_cmd, "mail-catcher", "--port", "1025", "--web-port", "1080"],
                cwd=ROOT,
                env=env,
            )
        )
        wait_for_port(1025)
    processes.append(subprocess.Popen([*flask_cmd, "worker"], cwd=ROOT, env=env))
    print(
        "started the police demo receiver, the mail catcher and the notification worker",
        flush=True,
    )
    print(
        "\nThe register runs at http://127.0.0.1:5000 — log in as dealer@demo.nl, "
        "gemeente@demo.nl, boa@demo.nl, politie@demo.nl or admin@demo.nl with password "
        "'demo-password'. The police demo endpoint shows hits at http://127.0.0.1:5001 ; "
        "mail the register sends (invitations, password resets) is at "
        "http://127.0.0.1:1080 . Stop with Ctrl+C.\n",
        flush=True,
    )
    web = subprocess.Popen(
        [str(BIN / "flask"), "--app", "register", "run", "--host", "127.0.0.1", "--port", "5000"],
        cwd=ROOT,
        env=env,
    )
    processes.append(web)
    try:
        return web.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)


def ensure_chromium() -> str:
    """Browser tests use the system Chromium (Debian's package), never a downloaded one."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if apt_install("chromium", "for the browser tests"):
        return CHROMIUM_CANDIDATES[0]
    sys.exit(
        "The browser tests need Chromium: install your system's chromium package "
        "(Debian: apt-get install chromium) or set CHROMIUM_PATH."
    )


def apt_install(package: str, why: str) -> bool:
    """Install a Debian package when running as root on Debian; whether it was installed."""
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    print(f"installing Debian's {package} {why}", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", package],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return True


AXE_DIR = ROOT / "tests" / "axe"


def ensure_axe() -> None:
    """axe-core for the accessibility checks, pinned by tests/axe/package-lock.json (npm ci)."""
    lock = AXE_DIR / "package-lock.json"
    marker = AXE_DIR / "node_modules" / ".installed"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if marker.exists() and marker.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None and apt_install("npm", "for the accessibility tests"):
        npm = shutil.which("npm")
    if npm is None:
        sys.exit("The accessibility tests need Node.js and npm (Debian: apt-get install npm).")
    print("installing axe-core (npm ci)", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], check=True, cwd=AXE_DIR)
    marker.write_text(digest)


def test(pytest_args: list[str]) -> int:
    ensure_venv("dev")
    ensure_axe()
    env = dict(os.environ)
    env["CHROMIUM_PATH"] = ensure_chromium()
    result = subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
