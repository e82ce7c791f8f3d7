"""The few Linux calls the isolation layers need that the os module lacks (Python 3.10+), through ctypes."""

from __future__ import annotations

import ctypes
import os
import resource
import struct

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
AT_RECURSIVE, MOUNT_ATTR_RDONLY = 0x8000, 1

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def check(what: str, result: int) -> None:
    """Raise OSError (with errno) where a libc call failed."""
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, arg: int = 0) -> None:
    check("prctl", libc().prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                                ctypes.c_ulong(0)))


def set_name(name: str) -> None:
    """Name this process as ps, top and perf show it (PR_SET_NAME; at most 15 bytes kept)."""
    try:
        libc().prctl(15, ctypes.c_char_p(name.encode()[:15]), ctypes.c_ulong(0), ctypes.c_ulong(0),
                     ctypes.c_ulong(0))
    except (OSError, AttributeError):
        pass


def unshare(flags: int) -> None:
    check("unshare", libc().unshare(flags))


def setns(fd: int, kind: int) -> None:
    check("setns", libc().setns(fd, kind))


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    check(f"mount {target}", libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)))


def readonly_tree(root: str) -> None:
    """Make every mount under `root` read-only (mount_setattr, Linux 5.12+; else remount each one)."""
    attr = struct.pack("QQQQ", MOUNT_ATTR_RDONLY, 0, 0, 0)
    fn = getattr(libc(), "mount_setattr", None)
    if fn is not None and fn(-100, root.encode(), AT_RECURSIVE, attr, len(attr)) == 0:
        return
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            target = fields[4].encode().decode("unicode_escape")
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY
            for option, bit in (("nosuid", MS_NOSUID), ("nodev", MS_NODEV), ("noexec", MS_NOEXEC)):
                if option in fields[5].split(","):
                    flags |= bit
            if target == root or target.startswith(root.rstrip("/") + "/"):
                try:
                    mount(None, target, None, flags)
                except OSError:
                    pass


def drop_capabilities() -> None:
    """Give up every capability, for good: bounding set, ambient set, then effective/permitted/inheritable."""
    for cap in range(64):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            break
    try:
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    check("capset", libc().capset(struct.pack("Ii", 0x20080522, 0), bytes(24)))


def set_limit(kind: int, soft: float, hard: float | None = None) -> None:
    """Set a limit, never above the current hard limit; `hard=None` keeps the hard limit."""
    try:
        _, current_hard = resource.getrlimit(kind)
        hard = current_hard if hard is None else int(hard)
        if current_hard != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > current_hard):
            hard = current_hard
        soft = min(int(soft), hard) if hard != resource.RLIM_INFINITY else int(soft)
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        pass


def close_all_but(*keep: int) -> None:
    """Close every descriptor except `keep`."""
    low = 0
    for fd in sorted(k for k in keep if k >= 0):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
