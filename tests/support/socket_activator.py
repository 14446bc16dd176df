"""Start a command the way systemd starts a socket-activated service: the listening
socket on fd 3, ``LISTEN_FDS=1`` and ``LISTEN_PID`` the command's own PID (exec keeps it).

    python -m tests.support.socket_activator FD COMMAND...
"""

import os
import sys

SD_LISTEN_FDS_START = 3


def main() -> None:
    fd, command = int(sys.argv[1]), sys.argv[2:]
    if fd != SD_LISTEN_FDS_START:
        os.dup2(fd, SD_LISTEN_FDS_START)
        os.close(fd)
    os.set_inheritable(SD_LISTEN_FDS_START, True)
    os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="web")
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
