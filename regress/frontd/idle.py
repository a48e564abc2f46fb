#!/usr/bin/python3
# Idle TLS clients for the memory test: opens N connections with a
# client certificate, asks one GET on each (so that every buffer has
# been used), reads the answer, then holds them all open and idle until
# its standard input closes.  Prints "ready N" once all are idle.
#
#	idle.py port pkidir name count
import socket
import ssl
import sys

port, pki, name, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=pki + "/ca.pem")
ctx.check_hostname = False
ctx.load_cert_chain(pki + "/%s.pem" % name, pki + "/%s.key" % name)
conns = []
for i in range(count):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.settimeout(10)
    s.sendall(b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):
        b = s.recv(65536)
        if not b:
            break
        got += b
    conns.append(s)
print("ready %d" % len(conns))
sys.stdout.flush()
sys.stdin.read()
for s in conns:
    s.close()
