"""Every file a command writes (fit, fit --approach isoflop, fit-downstream and suggest -o; plot -o; backtest --plot):
never renamed over a device, a FIFO or a file the command reads; written through a symbolic link.

Device nodes are the tests' own, made by os.mknod in tmp_path with the numbers of /dev/full (1, 7) and /dev/null
(1, 3): never the machine's, which everything on it shares. Making one needs root (CAP_MKNOD), as CI runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from scaling_plan.errors import OutputError, UsageError
from scaling_plan.output.files import output_file

from ..cli.test_isoflop import filled_grid
from ..conftest import ROOT, Cli

SARDANA = ROOT / "tests" / "data" / "sardana2024_training_runs.csv"
CORE = "eval_gauntlet/core_average"

FULL, NULL = os.makedev(1, 7), os.makedev(1, 3)  # /dev/full's and /dev/null's numbers (Linux devices.txt)

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="os.mknod of a device node needs root (CAP_MKNOD); CI runs as root, so it runs there"
)


@dataclass(frozen=True)
class Inputs:
    runs: str
    grid: str
    law: str


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    """The Sardana runs, a law fitted to them with refits (for suggest and plot), and an isoFLOP grid."""
    folder = tmp_path_factory.mktemp("inputs")
    runs, law = folder / "runs.csv", folder / "law.yaml"
    shutil.copy(SARDANA, runs)
    cli = Cli()
    assert cli.run("fit", str(runs), "--bootstrap", "20", "-o", str(law)).exit_code == 0
    return Inputs(str(runs), str(filled_grid(cli, folder / "grid.csv")), str(law))


@dataclass(frozen=True)
class Writer:
    args: Callable[[Inputs, str], list[str]]
    suffix: str  # what the output's name must end in
    flag: str
    reads: Callable[[Inputs], str]  # the runs file it reads
    looks_right: Callable[[bytes], bool]  # what it wrote, read back

    def run(self, cli: Cli, inputs: Inputs, out: Path | str) -> object:
        return cli.run(*self.args(inputs, str(out)))


def _yaml_with(key: str) -> Callable[[bytes], bool]:
    return lambda data: key in yaml.safe_load(data.decode())


def _png(data: bytes) -> bool:
    return data.startswith(b"\x89PNG\r\n\x1a\n")


WRITERS = {
    "fit -o": Writer(lambda i, out: ["fit", i.runs, "-o", out], ".yaml", "--output", lambda i: i.runs, _yaml_with("E")),
    "fit --approach isoflop -o": Writer(
        lambda i, out: ["fit", i.grid, "--approach", "isoflop", "-o", out], ".yaml", "--output", lambda i: i.grid,
        _yaml_with("k_n"),
    ),
    "fit-downstream -o": Writer(
        lambda i, out: ["fit-downstream", i.runs, "--metric", CORE, "-o", out], ".yaml", "--output", lambda i: i.runs,
        _yaml_with("constants"),
    ),
    "suggest -o": Writer(
        lambda i, out: ["suggest", i.runs, "--law", i.law, "--target", "1e24", "-n", "2", "-o", out], ".csv",
        "--output", lambda i: i.runs, lambda data: data.startswith(SARDANA.read_bytes().splitlines()[0]),
    ),
    "plot -o": Writer(
        lambda i, out: ["plot", i.law, "--runs", i.runs, "-o", out], ".png", "--output", lambda i: i.runs, _png
    ),
    "backtest --plot": Writer(
        lambda i, out: ["backtest", i.runs, "--holdout-top", "5", "--plot", out], ".png", "--plot", lambda i: i.runs,
        _png,
    ),
}  # fmt: skip


@pytest.fixture(params=sorted(WRITERS))
def writer(request: pytest.FixtureRequest) -> Writer:
    return WRITERS[request.param]


def _device(path: Path, numbers: int) -> Path:
    os.mknod(path, stat.S_IFCHR | 0o666, numbers)
    return path


def _is_device(path: Path, numbers: int) -> bool:
    status = path.lstat()
    return stat.S_ISCHR(status.st_mode) and status.st_rdev == numbers


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".scaling-plan-")]


@needs_root
@pytest.mark.slow
def test_a_full_device_is_written_in_place_exit_74_and_stays_a_device(
    cli: Cli, inputs: Inputs, writer: Writer, tmp_path: Path
) -> None:
    """Was: `wrote: /dev/full`, exit 0, and a regular file renamed over the device node."""
    full = _device(tmp_path / f"full{writer.suffix}", FULL)
    result = writer.run(cli, inputs, full)
    assert result.exit_code == 74, result.stderr  # type: ignore[attr-defined]
    assert result.stderr.splitlines() == [  # type: ignore[attr-defined]
        f"scaling-plan: error: {writer.flag}: cannot write {full}: {os.strerror(28)}"  # ENOSPC
    ]
    assert _is_device(full, FULL)
    assert _temporaries(tmp_path) == []


@needs_root
@pytest.mark.slow
def test_a_null_device_takes_the_output_and_stays_a_device(
    cli: Cli, inputs: Inputs, writer: Writer, tmp_path: Path
) -> None:
    null = _device(tmp_path / f"null{writer.suffix}", NULL)
    result = writer.run(cli, inputs, null)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert _is_device(null, NULL)
    assert sorted(p.name for p in tmp_path.iterdir()) == [null.name]


class FifoReader:
    """A FIFO and a thread reading it to the end, as a pipe's reader would."""

    def __init__(self, fifo: Path) -> None:
        os.mkfifo(fifo)
        self.fifo, self.received = fifo, b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.fifo, "rb") as handle:  # blocks until a writer opens the FIFO
            self.received = handle.read()

    def join(self) -> bytes:
        if self.thread.is_alive() and not self.received:  # unblock its open should the command never have opened it
            with contextlib.suppress(OSError):
                os.close(os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK))
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.received


@pytest.fixture
def fifo(tmp_path: Path, writer: Writer) -> Iterator[FifoReader]:
    reader = FifoReader(tmp_path / f"pipe{writer.suffix}")
    yield reader
    reader.join()


@pytest.mark.slow
def test_a_fifo_is_written_in_place_and_stays_a_fifo(
    cli: Cli, inputs: Inputs, writer: Writer, fifo: FifoReader
) -> None:
    result = writer.run(cli, inputs, fifo.fifo)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert writer.looks_right(fifo.join())
    assert stat.S_ISFIFO(fifo.fifo.lstat().st_mode)


@pytest.mark.slow
def test_a_symbolic_link_is_written_through_and_stays_a_link(
    cli: Cli, inputs: Inputs, writer: Writer, tmp_path: Path
) -> None:
    (tmp_path / "files").mkdir()
    real = tmp_path / "files" / f"real{writer.suffix}"
    real.write_text("the old file\n")
    real.chmod(0o640)
    link = tmp_path / f"link{writer.suffix}"
    link.symlink_to(real)
    result = writer.run(cli, inputs, link)
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert writer.looks_right(real.read_bytes())
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the file replaced keeps its permissions
    assert _temporaries(tmp_path) == [] and _temporaries(tmp_path / "files") == []


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_an_input_under_another_name_is_refused_before_any_work(
    cli: Cli, inputs: Inputs, writer: Writer, tmp_path: Path, link: str
) -> None:
    """Through a symbolic link or a hard link named as the output must be: still the runs file being read."""
    runs = tmp_path / "runs.csv"
    shutil.copy(writer.reads(inputs), runs)
    before = runs.read_bytes()
    out = tmp_path / f"alias{writer.suffix}"
    if link == "symbolic":
        out.symlink_to(runs)
    else:
        os.link(runs, out)
    args = [str(runs) if arg == writer.reads(inputs) else arg for arg in writer.args(inputs, str(out))]
    line = cli.error(*args)  # one line, nothing on stdout: refused before the fit
    assert line == f"scaling-plan: error: {writer.flag}: {out} is the runs file being read; write to another file"
    assert runs.read_bytes() == before


def test_suggest_refuses_to_write_over_its_runs_file_or_its_law_file(cli: Cli, inputs: Inputs, tmp_path: Path) -> None:
    """Was: `suggest myruns.csv ... -o myruns.csv` replaced the 47 runs with the suggested ones."""
    runs, law = tmp_path / "runs.csv", tmp_path / "law.yaml"
    shutil.copy(inputs.runs, runs)
    shutil.copy(inputs.law, law)
    before = (runs.read_bytes(), law.read_bytes())
    for out, what in ((runs, "the runs file"), (law, "the law file")):
        line = cli.error("suggest", str(runs), "--law", str(law), "--target", "1e24", "-o", str(out))
        assert line == f"scaling-plan: error: --output: {out} is {what} being read; write to another file"
    assert (runs.read_bytes(), law.read_bytes()) == before


def test_plot_refuses_to_write_over_its_law_file(cli: Cli, inputs: Inputs, tmp_path: Path) -> None:
    law = tmp_path / "law.yaml"
    shutil.copy(inputs.law, law)
    out = tmp_path / "law.png"
    out.symlink_to(law)
    line = cli.error("plot", str(law), "-o", str(out))
    assert line == f"scaling-plan: error: --output: {out} is the law file being read; write to another file"


def test_a_runs_file_on_stdin_is_an_input_too(cli: Cli, inputs: Inputs, tmp_path: Path) -> None:
    """`suggest - ... -o runs.csv < runs.csv`: stdin is that file (compared by device and inode)."""
    runs = tmp_path / "runs.csv"
    shutil.copy(inputs.runs, runs)
    with open(runs, "rb") as stdin:
        saved = os.dup(0)
        os.dup2(stdin.fileno(), 0)
        try:
            with pytest.raises(UsageError, match="is the runs file being read"):
                output_file(str(runs), "--output", [("-", "the runs file")])
        finally:
            os.dup2(saved, 0)
            os.close(saved)


@needs_root
def test_a_block_device_is_refused_and_never_opened(cli: Cli, tmp_path: Path) -> None:
    """A disk is never an output. The node is numbered 0:0, which no driver serves (opening it fails), so that even a
    regression could not write to a real disk."""
    disk = tmp_path / "disk.png"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(0, 0))
    line = cli.error("plot", "epoch-2024", "-o", str(disk))
    assert line == f"scaling-plan: error: --output: {disk} is a block device (a disk); give a file"
    assert stat.S_ISBLK(disk.lstat().st_mode)


def test_a_socket_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "s.png"
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(path))
        line = cli.error("plot", "epoch-2024", "-o", str(path))
    assert line == f"scaling-plan: error: --output: {path} is a socket; give a file"


def test_a_loop_of_links_is_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    assert cli.error("plot", "epoch-2024", "-o", str(loop)) == (
        f"scaling-plan: error: --output: cannot write {loop}: {os.strerror(40)}"  # ELOOP
    )


def test_a_dangling_link_is_written_through(cli: Cli, tmp_path: Path) -> None:
    link, real = tmp_path / "figure.png", tmp_path / "made.png"
    link.symlink_to(real)
    assert cli.run("plot", "epoch-2024", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and _png(real.read_bytes())


def test_a_new_file_gets_the_permissions_open_would_give_it(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        output_file(str(tmp_path / "new.yaml"), "--output").write(lambda handle: handle.write(b"x"))
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644


def test_a_path_that_turned_into_a_directory_is_not_replaced(tmp_path: Path) -> None:
    """Checked again when written: the path may have changed while the command worked."""
    out = output_file(str(tmp_path / "law.yaml"), "--output")
    (tmp_path / "law.yaml").mkdir()
    with pytest.raises(OutputError, match=r"law\.yaml is now a directory: not replaced"):
        out.write(lambda handle: handle.write(b"x"))
    assert (tmp_path / "law.yaml").is_dir()
