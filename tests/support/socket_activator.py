"""Start a command the way systemd starts a socket-activated service: the listening
socket on fd 3, ``LISTEN_FDS=1`` and ``LISTEN_PID`` the command's own PID (exec keeps it).

    python -m tests.support.socket_activator FD COMMAND...

FD ``closed`` leaves fd 3 closed; ``$ACTIVATOR_LISTEN_FDS`` replaces the count it passes.
"""

import contextlib
import os
import sys

SD_LISTEN_FDS_START = 3


def main() -> None:
    given, command = sys.argv[1], sys.argv[2:]
    if given == "closed":
        with contextlib.suppress(OSError):
            os.close(SD_LISTEN_FDS_START)
    else:
        fd = int(given)
        if fd != SD_LISTEN_FDS_START:
            os.dup2(fd, SD_LISTEN_FDS_START)
            os.close(fd)
        os.set_inheritable(SD_LISTEN_FDS_START, True)
    count = os.environ.pop("ACTIVATOR_LISTEN_FDS", "1")
    os.environ.update(LISTEN_FDS=count, LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="web")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
