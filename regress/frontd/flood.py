#!/usr/bin/python3
# Connections that never start their TLS handshake, held open and opened
# again as the server drops them, from several local addresses: what a
# client without a certificate can do to take frontd's slots.
#
#	flood.py port count seconds addr...
#
# Prints, at the end: "opened N dropped N held N" (held: open at the end).
import errno
import select
import socket
import sys
import time


def opensock(port, addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((addr, 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    return s


def main():
    port, count, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    addrs = sys.argv[4:]
    socks = {}
    opened = dropped = 0
    ep = select.epoll()
    for i in range(count):
        s = opensock(port, addrs[i % len(addrs)])
        socks[s.fileno()] = (s, addrs[i % len(addrs)])
        ep.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
        opened += 1
    end = time.time() + secs
    while time.time() < end:
        for fd, ev in ep.poll(0.1):
            s, addr = socks.pop(fd)
            ep.unregister(fd)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
            dropped += 1
            # Reopened at once: the server sees a steady flood.
            try:
                n = opensock(port, addr)
            except OSError as e:
                if e.errno in (errno.EADDRNOTAVAIL, errno.EMFILE):
                    continue
                raise
            socks[n.fileno()] = (n, addr)
            ep.register(n.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
            opened += 1
    print("opened %d dropped %d held %d" % (opened, dropped, len(socks)))
    sys.stdout.flush()


main()
