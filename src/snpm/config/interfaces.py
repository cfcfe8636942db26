"""The machine's interface addresses, in node's `os.networkInterfaces()` order.

npm's `local-address` type is `[null, ...every local address]`, so the "Must be one of:" warning
lists them. node gets them from libuv's `uv_interface_addresses` (getifaddrs, interfaces that are
up and running, no link-layer entries) and groups them per interface name in first-seen order.
Imported lazily: only a `local-address` value needs it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import socket

_IFF_UP = 0x1
_IFF_RUNNING = 0x40


class _Sockaddr(ctypes.Structure):
    _fields_ = [("sa_family", ctypes.c_ushort), ("sa_data", ctypes.c_byte * 14)]


class _SockaddrIn(ctypes.Structure):
    _fields_ = [
        ("sin_family", ctypes.c_ushort),
        ("sin_port", ctypes.c_uint16),
        ("sin_addr", ctypes.c_byte * 4),
    ]


class _SockaddrIn6(ctypes.Structure):
    _fields_ = [
        ("sin6_family", ctypes.c_ushort),
        ("sin6_port", ctypes.c_uint16),
        ("sin6_flowinfo", ctypes.c_uint32),
        ("sin6_addr", ctypes.c_byte * 16),
        ("sin6_scope_id", ctypes.c_uint32),
    ]


class _Ifaddrs(ctypes.Structure):
    pass


_Ifaddrs._fields_ = [
    ("ifa_next", ctypes.POINTER(_Ifaddrs)),
    ("ifa_name", ctypes.c_char_p),
    ("ifa_flags", ctypes.c_uint),
    ("ifa_addr", ctypes.POINTER(_Sockaddr)),
    ("ifa_netmask", ctypes.POINTER(_Sockaddr)),
    ("ifa_ifu", ctypes.POINTER(_Sockaddr)),
    ("ifa_data", ctypes.c_void_p),
]


def interface_addresses() -> tuple[str, ...]:
    """IPv4/IPv6 addresses of interfaces that are up and running, grouped by interface."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    head = ctypes.POINTER(_Ifaddrs)()
    if libc.getifaddrs(ctypes.byref(head)) != 0:
        return ()
    groups: dict[str, list[str]] = {}
    try:
        node = head
        while ctypes.cast(node, ctypes.c_void_p).value:
            entry = node.contents
            node = entry.ifa_next
            flags = entry.ifa_flags
            if not (flags & _IFF_UP and flags & _IFF_RUNNING) or not entry.ifa_addr:
                continue
            family = entry.ifa_addr.contents.sa_family
            if family == socket.AF_INET:
                sin = ctypes.cast(entry.ifa_addr, ctypes.POINTER(_SockaddrIn)).contents
                address = socket.inet_ntop(socket.AF_INET, bytes(bytearray(sin.sin_addr)))
            elif family == socket.AF_INET6:
                sin6 = ctypes.cast(entry.ifa_addr, ctypes.POINTER(_SockaddrIn6)).contents
                address = socket.inet_ntop(socket.AF_INET6, bytes(bytearray(sin6.sin6_addr)))
            else:
                continue
            name = (entry.ifa_name or b"").decode("utf-8", "replace")
            groups.setdefault(name, []).append(address)
    finally:
        libc.freeifaddrs(head)
    return tuple(addr for addrs in groups.values() for addr in addrs)
