"""Running the sandbox: `SandboxServer` (in-process, for tests) and `serve` (the CLI, in the foreground)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from types import FrameType, TracebackType

import uvicorn

from provisioner.sandbox.app import SandboxApp, create_app
from provisioner.sandbox.options import SandboxOptions, configure
from provisioner.sandbox.seed import admin_token_of
from provisioner.sandbox.state import State

SAVE_EVERY_SECONDS = 1.0


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it; without it, Nagle and delayed ACKs cost 40 ms per keep-alive answer.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def build(options: SandboxOptions) -> SandboxApp:
    """The app, with its world loaded from `options.state_file` when that file exists."""
    path = options.state_file
    if path is not None and path.exists():
        state = State.load(path)
        token = admin_token_of(state)
        # The command line says which GitLab is served, whatever the saved world was served as.
        return SandboxApp(
            configure(state, options), SandboxOptions(**{**vars(options), "admin_token": token})
        )
    return create_app(None, options)


class _Server(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM after shutdown, which would end the process with -15;
    the CLI contract is exit 0, so signals only ask for a graceful exit here."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handlers = {sig: signal.signal(sig, self._exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _exit(self, sig: int, frame: FrameType | None) -> None:
        self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        if isinstance(app, SandboxApp):
            app.runtime.closing.set()
        await super().shutdown(sockets)


def _config(app: SandboxApp) -> uvicorn.Config:
    # httptools is required: dropped connections rely on how its protocol handles a bad header.
    return uvicorn.Config(
        app,
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )


async def _persist(app: SandboxApp, path: Path | None, server: uvicorn.Server) -> None:
    while not server.should_exit:
        await asyncio.sleep(SAVE_EVERY_SECONDS)
        if path is not None and app.runtime.dirty:
            app.runtime.dirty = False
            app.state.save(path)


def serve(
    options: SandboxOptions, host: str, port: int, announce: Callable[[str], None] | None = None
) -> int:
    """Serve in the foreground until SIGINT or SIGTERM; print the one JSON line once ready."""
    app = build(options)
    sock = bind(host, port)
    server = _Server(_config(app))
    url = f"http://{host}:{sock.getsockname()[1]}"

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        saver = asyncio.create_task(_persist(app, options.state_file, server))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        if server.started:
            line = json.dumps({"url": url, "token": app.runtime.admin_token})
            (announce or _print)(line)
        await task
        saver.cancel()

    asyncio.run(main())
    if options.state_file is not None:
        app.state.save(options.state_file)
    return 0


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class SandboxServer:
    """An in-process sandbox on 127.0.0.1 and an ephemeral port, in a background thread.

    >>> with SandboxServer(SandboxOptions(seed="demo")) as sandbox:
    ...     gl = gitlab.Gitlab(sandbox.url, private_token=sandbox.token)
    """

    def __init__(self, options: SandboxOptions | None = None, host: str = "127.0.0.1") -> None:
        self.options = options or SandboxOptions()
        self.app = build(self.options)
        self._sock = bind(host, 0)
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._server = _Server(_config(self.app))
        self._thread = threading.Thread(target=self._run, name="sandbox", daemon=True)

    @property
    def token(self) -> str:
        return self.app.runtime.admin_token

    @property
    def state(self) -> State:
        return self.app.state

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        if self.options.state_file is not None:
            self.app.state.save(self.options.state_file)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
