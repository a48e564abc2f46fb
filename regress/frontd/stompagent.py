#!/usr/bin/python3
# A capture agent on the queue front, for regress/frontd/stomp-e2e.t: a
# real STOMP client (stomp.py) and raw frames over TLS for what a client
# library would never send.  Prints "ok - ..." / "not ok - ..." lines and
# "# ..." notes; the test relays them.
#
#	stompagent.py HOST PORT PKI-DIR TRACE-FILE WORKDIR
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time

import stomp

HOST, PORT, PKI, TRACE, WORK = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    sys.argv[4], sys.argv[5]
FAILED = 0


def report(ok, what, detail=""):
    global FAILED
    if ok:
        print("ok - " + what)
    else:
        FAILED += 1
        print("not ok - %s%s" % (what, ": " + detail if detail else ""))
    sys.stdout.flush()


def trace(i):
    with open(TRACE) as f:
        t = f.read()
    return t.replace("<IDSession>1</IDSession>",
                     "<IDSession>stomp-%d</IDSession>" % i)


class Collector(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.receipts = []
        self.errors = []
        self.cond = threading.Condition()

    def on_message(self, frame):
        with self.cond:
            self.messages.append(frame)
            self.cond.notify_all()

    def on_receipt(self, frame):
        with self.cond:
            self.receipts.append(frame.headers.get("receipt-id"))
            self.cond.notify_all()

    def on_error(self, frame):
        with self.cond:
            self.errors.append(frame)
            self.cond.notify_all()

    def wait(self, pred, timeout=20):
        end = time.time() + timeout
        with self.cond:
            while not pred() and time.time() < end:
                self.cond.wait(0.2)
            return pred()


def client(who, listener):
    # stomp.py 8.0 may offer no certificate on its first TLS attempt
    # (frontd rightly refuses the handshake), then reconnects without
    # sending CONNECT again: a new connection is made instead.
    for attempt in range(3):
        c = stomp.Connection12([(HOST, PORT)], heartbeats=(0, 0))
        c.set_ssl(for_hosts=[(HOST, PORT)],
                  key_file=os.path.join(PKI, who + ".key"),
                  cert_file=os.path.join(PKI, who + ".pem"),
                  ca_certs=os.path.join(PKI, "ca.pem"))
        c.set_listener("collect", listener)
        try:
            c.connect(wait=True)
            return c
        except stomp.exception.ConnectFailedException:
            print("# %s: STOMP connect failed, a new connection" % who)
            try:
                c.disconnect()
            except Exception:
                pass
    raise stomp.exception.ConnectFailedException()


def raw(who="depositor"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(PKI, "ca.pem"))
    ctx.load_cert_chain(os.path.join(PKI, who + ".pem"),
                        os.path.join(PKI, who + ".key"))
    ctx.check_hostname = False
    s = ctx.wrap_socket(socket.create_connection((HOST, PORT), timeout=10))
    return s


def read_frames(s, n=1, timeout=10):
    """Up to n frames, or until the server closes; [(command, headers, body)]."""
    s.settimeout(timeout)
    buf = b""
    frames = []
    closed = False
    while len(frames) < n:
        while buf.startswith(b"\n") or buf.startswith(b"\r\n"):
            buf = buf[1:] if buf.startswith(b"\n") else buf[2:]
        if b"\0" in buf and b"\n\n" in buf.split(b"\0", 1)[0]:
            head, rest = buf.split(b"\n\n", 1)
            lines = head.decode().split("\n")
            hdrs = {}
            for ln in lines[1:]:
                k, v = ln.split(":", 1)
                hdrs.setdefault(k, v)
            if "content-length" in hdrs:
                ln = int(hdrs["content-length"])
                body, buf = rest[:ln], rest[ln + 1:]
            else:
                body, buf = rest.split(b"\0", 1)
            frames.append((lines[0], hdrs, body))
            continue
        if closed:
            break
        try:
            d = s.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            break
        if not d:
            closed = True
            continue
        buf += d
    return frames, closed


def connect_raw(s, version="1.2"):
    s.sendall(("CONNECT\naccept-version:%s\nhost:vault\n\n\0" % version)
              .encode())
    return read_frames(s, 1)[0]


def main():
    # 1. A real client: answers on /queue/events.out after durability,
    #    RECEIPTs, one MESSAGE a SEND, in order.
    lst = Collector()
    c = client("depositor", lst)
    c.subscribe("/queue/events.out", id="answers", ack="auto")
    c.subscribe("/queue/archive.out", id="notices", ack="auto")
    n = 20
    sent = {}
    for i in range(1, n + 1):
        body = trace(i)
        sent["stomp-%d" % i] = body
        c.send("/queue/events.in", body, content_type="application/xml",
               headers={"client-id": "stomp-%d" % i,
                        "digest-algo": "SHA-256",
                        "digest": hashlib.sha256(body.encode()).hexdigest(),
                        "timestamp": "2026-12-03T10:00:00Z",
                        "receipt": "r-%d" % i})
    answers = lambda: [m for m in lst.messages
                       if m.headers.get("destination") == "/queue/events.out"]
    report(lst.wait(lambda: len(answers()) >= n), "%d answers received" % n,
           "%d" % len(answers()))
    a = answers()
    report(all(m.headers.get("status") == "CFJL_OK" for m in a),
           "every answer CFJL_OK")
    ids = [int(m.headers.get("idevt", "0")) for m in a]
    report(ids == sorted(ids) and len(set(ids)) == n,
           "answers in the order of the SENDs, one IDEvt each", str(ids))
    report([m.headers.get("client-id") for m in a] ==
           ["stomp-%d" % i for i in range(1, n + 1)],
           "each answer names its client-id")
    report(all(m.headers.get("subscription") == "answers" for m in a),
           "answers on the client's subscription")
    bodies = [json.loads(m.body) for m in a]
    report(all(b["idevt"] == int(m.headers["idevt"]) and
               b["digest"] == m.headers["digest"] for b, m in zip(bodies, a)),
           "the JSON body repeats the headers")
    report(lst.wait(lambda: len(lst.receipts) >= n),
           "a RECEIPT for every SEND", "%d" % len(lst.receipts))
    with open(os.path.join(WORK, "acks"), "w") as f:
        for m in a:
            f.write("%s %s\n" % (m.headers["idevt"], m.headers["digest"]))

    # 2. The same client-id again: the first answer, marked duplicate.
    c.send("/queue/events.in", sent["stomp-1"],
           headers={"client-id": "stomp-1"})
    report(lst.wait(lambda: len(answers()) >= n + 1),
           "a resent client-id is answered")
    d = answers()[-1]
    report(d.headers.get("status") == "CFJL_DUPLICATE_EVENT" and
           d.headers.get("idevt") == a[0].headers["idevt"],
           "a resent client-id gets its IDEvt back, duplicate",
           "%s %s" % (d.headers.get("status"), d.headers.get("idevt")))

    # 3. The archive notice once the lot is sealed.
    notices = lambda: [m for m in lst.messages
                       if m.headers.get("destination") == "/queue/archive.out"]
    report(lst.wait(lambda: len(notices()) >= 1, 30),
           "an archive notice on /queue/archive.out")
    if notices():
        h = notices()[0].headers
        report(h.get("subscription") == "notices" and h.get("lot") and
               int(h.get("first", 0)) <= ids[0] <= int(h.get("last", 0)),
               "the notice names the lot that holds the events",
               str(h))
    c.disconnect()

    # 4. Raw frames: refusals are ERROR frames with the HTTP status and
    #    the CFJL_ code, and the connection closes.
    s = raw()
    fr = connect_raw(s)
    report(fr and fr[0][0] == "CONNECTED" and fr[0][1].get("version") ==
           "1.2" and fr[0][1].get("heart-beat") == "10000,10000",
           "CONNECTED, version 1.2, heart-beats offered", str(fr))
    bad = trace(99).replace("<IDOper>", "<Nonsense/><IDOper>", 1)
    s.sendall(("SEND\ndestination:/queue/events.in\nreceipt:bad-1\n"
               "content-length:%d\n\n" % len(bad.encode())).encode() +
              bad.encode() + b"\0")
    fr, closed = read_frames(s, 2)
    e = fr[0] if fr else ("", {}, b"")
    report(e[0] == "ERROR" and e[1].get("status") in ("400", "422") and
           e[1].get("code", "").startswith("CFJL_") and
           e[1].get("receipt-id") == "bad-1",
           "an invalid trace: ERROR with status, code and receipt-id",
           str(e[1]))
    report(closed and len(fr) == 1, "the connection closes after ERROR")
    with open(os.path.join(WORK, "refused-code"), "w") as f:
        f.write(e[1].get("status", "") + "\n")

    for what, frame, status in [
        ("wrong destination", "SEND\ndestination:/queue/other\n\n<a/>\0",
         "404"),
        ("a transaction", "BEGIN\ntransaction:t1\n\n\0", "501"),
        ("a malformed frame", "SEND\nbad header\n\n\0", "400"),
        ("an undefined escape", "SEND\nx:\\t\n\n\0", "400"),
        ("a body on SUBSCRIBE", "SUBSCRIBE\nid:1\ndestination:"
         "/queue/events.out\n\nx\0", "400"),
        ("an unknown queue", "SUBSCRIBE\nid:1\ndestination:/queue/x\n\n\0",
         "404"),
        ("ack:client", "SUBSCRIBE\nid:1\ndestination:/queue/events.out\n"
         "ack:client\n\n\0", "501"),
    ]:
        s = raw()
        connect_raw(s)
        s.sendall(frame.encode())
        fr, closed = read_frames(s, 2)
        e = fr[0] if fr else ("", {}, b"")
        report(e[0] == "ERROR" and e[1].get("status") == status and closed,
               "%s: ERROR %s, closed" % (what, status), str(e[:2]))

    s = raw()
    s.sendall(b"SEND\ndestination:/queue/events.in\n\n<a/>\0")
    fr, closed = read_frames(s, 2)
    report(fr and fr[0][0] == "ERROR" and closed,
           "a frame before CONNECT: ERROR, closed")
    s = raw()
    fr = connect_raw(s, "1.0,1.1")
    report(fr and fr[0][0] == "ERROR" and fr[0][1].get("status") == "505",
           "STOMP 1.1 only: ERROR 505")
    s = raw("nobody")
    fr = connect_raw(s)
    report(fr and fr[0][0] == "ERROR" and fr[0][1].get("status") == "403",
           "a certificate without the depositor role: ERROR 403",
           str(fr[0][1]) if fr else "nothing")

    # 5. Pipelined: 100 SENDs in one write are all answered, in order,
    #    though at most 16 wait at once.
    s = raw()
    connect_raw(s)
    s.sendall(b"SUBSCRIBE\nid:p\ndestination:/queue/events.out\n"
              b"receipt:sub\n\n\0")
    read_frames(s, 1)
    burst = b""
    for i in range(100):
        b = trace(1000 + i).encode()
        burst += ("SEND\ndestination:/queue/events.in\nclient-id:burst-%d\n"
                  "content-length:%d\n\n" % (i, len(b))).encode() + b + b"\0"
    s.sendall(burst)
    fr, closed = read_frames(s, 100, 60)
    cids = [f[1].get("client-id") for f in fr if f[0] == "MESSAGE"]
    report(cids == ["burst-%d" % i for i in range(100)],
           "100 pipelined SENDs: 100 answers, in order",
           "%d answers" % len(cids))
    s.sendall(b"DISCONNECT\nreceipt:bye\n\n\0")
    fr, closed = read_frames(s, 1)
    report(fr and fr[0][0] == "RECEIPT" and fr[0][1].get("receipt-id") ==
           "bye" and read_frames(s, 1, 5)[1],
           "DISCONNECT: RECEIPT, then closed")

    # 6. Heart-beats, both ways at once: the server beats when the client
    #    asks (at most every 10 s), and ends a session silent for twice
    #    the interval it announced.
    res = {}

    def beat_out():
        s = raw()
        s.sendall(b"CONNECT\naccept-version:1.2\nheart-beat:0,10000\n\n\0")
        read_frames(s, 1)
        s.settimeout(14)
        t0 = time.time()
        try:
            res["beat"] = (s.recv(16), time.time() - t0)
        except (socket.timeout, ssl.SSLError, OSError) as e:
            res["beat"] = (b"", str(e))

    def silent():
        s = raw()
        s.sendall(b"CONNECT\naccept-version:1.2\nheart-beat:10000,0\n\n\0")
        read_frames(s, 1)
        t0 = time.time()
        fr, closed = read_frames(s, 1, 30)
        res["silent"] = (closed, time.time() - t0)

    th = [threading.Thread(target=beat_out), threading.Thread(target=silent)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    b, when = res.get("beat", (b"", "?"))
    report(b == b"\n", "the server sends heart-beats when asked",
           "%r after %s s" % (b, when))
    closed, when = res.get("silent", (False, 0))
    report(closed and 19 <= when <= 25,
           "a client silent past its heart-beats is disconnected",
           "closed %s after %.1f s" % (closed, when))
    return FAILED


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
