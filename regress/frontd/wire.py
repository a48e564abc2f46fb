#!/usr/bin/python3
# A TLS client for the frontd tests that needs exact bytes on the wire:
# sends its standard input in one write, reads until the server closes
# (or -t seconds), then prints one line per answer:
#
#	STATUS CONTENT-LENGTH BODY-BYTES SECONDS
#
# the answers split by the methods given with -m (HEAD answers carry no
# body, whatever their Content-Length says), then "end SECONDS" at the
# close, or "timeout SECONDS".  With -r, the raw answer bytes instead.
#
#	wire.py [-r] [-t secs] [-m HEAD,GET,...] port pkidir name
import getopt
import socket
import ssl
import sys
import time


def answers(data, methods, t0, times):
    out = []
    i = 0
    n = 0
    while i < len(data):
        end = data.find(b"\r\n\r\n", i)
        if end == -1 or not data.startswith(b"HTTP/1.1 ", i):
            out.append("garbage at %d: %r" % (i, data[i:i + 40]))
            break
        head = data[i:end].decode("latin-1").split("\r\n")
        status = head[0].split(" ")[1]
        cl = None
        chunked = False
        for h in head[1:]:
            k, _, v = h.partition(":")
            if k.lower() == "content-length":
                cl = int(v.strip())
            if k.lower() == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
        i = end + 4
        method = methods[n] if n < len(methods) else "GET"
        body = 0
        if method != "HEAD":
            if chunked:
                while True:
                    e = data.find(b"\r\n", i)
                    size = int(data[i:e].split(b";")[0], 16)
                    i = e + 2 + size + 2
                    body += size
                    if size == 0:
                        break
            elif cl is not None:
                body = min(cl, len(data) - i)
                i += body
            else:
                body = len(data) - i
                i = len(data)
        at = times[-1][1] if times else 0.0
        for off, t in times:
            if off >= i:
                at = t
                break
        out.append("%s %s %d %.2f" % (status, "-" if cl is None else cl,
                                      body, at - t0))
        n += 1
    return out


def main():
    opts, args = getopt.getopt(sys.argv[1:], "rt:m:")
    raw = False
    limit = 20.0
    methods = []
    for o, v in opts:
        if o == "-r":
            raw = True
        elif o == "-t":
            limit = float(v)
        elif o == "-m":
            methods = v.split(",")
    port, pki, name = int(args[0]), args[1], args[2]
    req = sys.stdin.buffer.read()
    ctx = ssl.create_default_context(cafile=pki + "/ca.pem")
    ctx.check_hostname = False
    ctx.load_cert_chain(pki + "/%s.pem" % name, pki + "/%s.key" % name)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    t0 = time.time()
    s.sendall(req)
    s.settimeout(0.2)
    data = b""
    times = []
    how = "end"
    while True:
        if time.time() - t0 > limit:
            how = "timeout"
            break
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except (ssl.SSLError, OSError):
            break
        if not b:
            break
        data += b
        times.append((len(data), time.time()))
    if raw:
        sys.stdout.buffer.write(data)
        return
    for line in answers(data, methods, t0, times):
        print(line)
    print("%s %.2f" % (how, time.time() - t0))


main()
