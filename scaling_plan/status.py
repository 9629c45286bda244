"""The exit statuses of the command line, in one place (the Python API raises instead).

0 success; 1 an answer that is not an error but fails what was asked (a policy rule in `check`, a fit that did not
converge in `fit`, an interval still wider than asked in `suggest --max-relative-width`); 2 bad input (usage, flags,
config, law, downstream or runs files); 3 an internal error (a bug: please report it); 74 an output could not be
written (a full disk, a closed stdout, a write cut short; EX_IOERR in sysexits.h); 130 Ctrl-C (128 + SIGINT); 141 the
reader closed stdout early, `| head` (128 + SIGPIPE, what a shell reports for a writer killed by it).

This module imports nothing but enum, which the interpreter has loaded before any of the tool's code runs: the console
script uses it before the heavy imports.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    INTERNAL = 3
    OUTPUT = 74
    INTERRUPTED = 130
    BROKEN_PIPE = 141
