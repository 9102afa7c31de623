"""Build and drive the host test program of the reference firmware's portable C.

The C sources in ``firmware_bridge/firmware/lib/emgf_core/src/`` (crc16.c, emgf.c,
ringbuf.c: the one copy, which the ESP32 build uses as an Arduino library) are compiled
with ``gcc -std=c99 -Wall -Wextra -Werror -pedantic`` and AddressSanitizer +
UndefinedBehaviorSanitizer, together with the test driver
``firmware_bridge/firmware/tests/host_main.c``, into pytest's temporary
directory (never into the repository). One driver process serves the whole
session over a line protocol (see host_main.c): one command line in, one reply
line out. At the end of the session the driver must exit 0 with an empty
stderr, i.e. no sanitizer report (leaks included).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FW_DIR = REPO / "firmware_bridge" / "firmware"
CORE_DIR = FW_DIR / "lib" / "emgf_core" / "src"
"""The portable C, once: the ESP32 sketch's library and what these tests compile."""
PORTABLE_SOURCES = ("crc16.c", "emgf.c", "ringbuf.c")
PORTABLE_HEADERS = ("crc16.h", "emgf.h", "ringbuf.h", "emgf_core.h")
DRIVER_SOURCES = ("tests/host_main.c", "tests/host_crc_bitwise.c")

STRICT_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}


def gcc_path() -> str | None:
    return shutil.which("gcc")


def require_gcc() -> str:
    gcc = gcc_path()
    if gcc is None:
        pytest.skip("gcc not found on PATH: the firmware C code cannot be host-compiled here")
    return gcc


def run_gcc(args: list[str], cwd: Path = FW_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


class SanitizerProbe:
    """Whether -fsanitize=address,undefined binaries build and run on this machine."""

    def __init__(self, ok: bool, reason: str) -> None:
        self.ok = ok
        self.reason = reason


def probe_sanitizers(gcc: str, workdir: Path) -> SanitizerProbe:
    src = workdir / "probe.c"
    exe = workdir / "probe"
    src.write_text("#include <stdlib.h>\nint main(void){void *p = malloc(4); free(p); return 0;}\n")
    r = run_gcc([gcc, *STRICT_FLAGS, *SANITIZE_FLAGS, str(src), "-o", str(exe)], cwd=workdir)
    if r.returncode != 0:
        return SanitizerProbe(False, f"gcc cannot build sanitized programs: {r.stderr.strip()}")
    run = subprocess.run(
        [str(exe)], capture_output=True, text=True, timeout=60, env={**os.environ, **SANITIZER_ENV}
    )
    if run.returncode != 0 or run.stderr.strip():
        return SanitizerProbe(False, f"sanitized programs do not run here: {run.stderr.strip()}")
    return SanitizerProbe(True, "")


class HostProgram:
    """The running test driver: ``cmd("crc 31")`` -> reply line."""

    def __init__(self, exe: Path, stderr_path: Path, env: dict[str, str]) -> None:
        self.exe = exe
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "w")  # closed in close()
        self.proc = subprocess.Popen(
            [str(exe)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
            env=env,
        )

    def stderr_text(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text()

    def cmd(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"firmware host driver exited ({self.proc.returncode}):\n{self.stderr_text()}"
            )
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            self.proc.wait(timeout=30)
            raise RuntimeError(
                f"firmware host driver died on {line[:80]!r} (exit {self.proc.returncode}):\n"
                f"{self.stderr_text()}"
            )
        return reply.rstrip("\n")

    def close(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        self._stderr.close()
        return self.proc.returncode, self.stderr_path.read_text()


@pytest.fixture(scope="session")
def fw_build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("firmware_host")


@pytest.fixture(scope="session")
def sanitizer_probe(fw_build_dir: Path) -> SanitizerProbe:
    return probe_sanitizers(require_gcc(), fw_build_dir)


@pytest.fixture(scope="session")
def fw_host_exe(fw_build_dir: Path, sanitizer_probe: SanitizerProbe) -> Path:
    """The driver binary: strict C99 warnings as errors, ASan + UBSan when they work here."""
    gcc = require_gcc()
    exe = fw_build_dir / "emgf_host"
    flags = [*STRICT_FLAGS, "-g", "-O1", "-pthread"]
    if sanitizer_probe.ok:
        flags += SANITIZE_FLAGS
    sources = [str(CORE_DIR / s) for s in PORTABLE_SOURCES]
    sources += [str(FW_DIR / s) for s in DRIVER_SOURCES]
    r = run_gcc([gcc, *flags, *sources, "-o", str(exe)])
    if r.returncode != 0:
        pytest.fail(f"host build of the firmware C failed:\n{r.stderr}")
    return exe


@pytest.fixture(scope="session")
def fw(fw_host_exe: Path, fw_build_dir: Path):
    """One driver process for the session; sanitizer-clean exit is checked at teardown."""
    host = HostProgram(
        fw_host_exe, fw_build_dir / "emgf_host.stderr", {**os.environ, **SANITIZER_ENV}
    )
    yield host
    code, err = host.close()
    assert code == 0 and not err.strip(), f"driver exit {code}, stderr:\n{err}"
