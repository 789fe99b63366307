#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Traffic for the BCC conformance VM (tests/bcc): loopback connections
# that every tracer of the batch sees at once.  Runs inside the VM, with
# Debian's python3 (BCC needs it there anyway).
#
#   traffic.py run SCENARIO...   the scenarios, in the order given, each
#                                followed by a settle (below)
#   traffic.py actor NAME        a process that exists before the tracers
#                                start (for -p PID and --mntnsmap): writes
#                                its facts to $NRBCC_WORK/actor.NAME, then
#                                waits for SIGUSR1, makes its traffic, exits
#
# Settle: wait until no tracer output in $NRBCC_OUT has changed for
# SETTLE_QUIET seconds.  BCC reads IPv4 and IPv6 events (and DNS answers)
# from separate perf buffers, so two events close together may be printed
# in either order; settling between scenarios whose events must stay in
# order keeps both tracers' row order the order of the traffic.
import ctypes
import os
import signal
import socket
import struct
import sys
import time

OUT = os.environ.get("NRBCC_OUT", "/run/nrbcc/out")
WORK = os.environ.get("NRBCC_WORK", "/run/nrbcc/work")
SETTLE_QUIET = float(os.environ.get("NRBCC_SETTLE", "2"))
SETTLE_MAX = 120

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NAME = 15
CLONE_NEWNS = 0x20000
NOBODY = 65534
RESET_PORT = 5007
SLOW_PORT = 5014

# Comm names: 1, 15 and 16 characters (the kernel keeps 15), control
# characters (BCC prints them raw, netrace as '?': docs/bcc-differences.md)
# and UTF-8 whose 12-byte cut falls inside a character.
COMMS = [b"a", b"fifteen_chars__", b"sixteen_chars___", b"tab\tname",
         b"esc\x1b[31mred", b"del\x7fname", b"nl\nname", b"utf8__\xc3\xa9\xc3\xa9x\xc3\xa9z"]


T0 = time.monotonic()


def log(msg):
    """To stderr, and to the VM's console, which the host keeps."""
    line = "traffic: %5.1fs %s" % (time.monotonic() - T0, msg)
    print(line, file=sys.stderr, flush=True)
    try:
        with open("/dev/console", "w") as con:
            print(line, file=con)
    except OSError:
        pass


def set_comm(name):
    if libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")


def settle():
    """Wait until the tracers' outputs stop changing."""
    def sizes():
        s = {}
        for f in os.listdir(OUT):
            try:
                s[f] = os.stat(os.path.join(OUT, f)).st_size
            except FileNotFoundError:
                pass
        return s
    t0 = time.monotonic()
    last = sizes()
    log("settle")
    quiet_since = time.monotonic()
    while time.monotonic() - t0 < SETTLE_MAX:
        time.sleep(0.25)
        now = sizes()
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= SETTLE_QUIET:
            return
    log("settle: outputs still changing after %ds" % SETTLE_MAX)


def listener(family, addr, port, dual=False, backlog=1100):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if dual else 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def child(fn, *args):
    """Run fn(*args) in a forked process; returns its pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            fn(*args)
        except BaseException as e:      # report, never fall back into the parent
            log("child %s: %r" % (fn.__name__, e))
            code = 1
        os._exit(code)
    return pid


def reap(pids):
    """Wait for each; after a failure the rest are killed (a server would
    wait for a client that failed for ever)."""
    bad = 0
    for p in pids:
        if bad:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, st = os.waitpid(p, 0)
        if os.waitstatus_to_exitcode(st) != 0:
            bad += 1
    if bad:
        raise RuntimeError("%d traffic process(es) failed" % bad)


def become(comm=None, uid=None):
    """The traffic process's name and user, as the case asks."""
    if comm:
        set_comm(comm)
    if uid is not None:
        os.setgid(uid)
        os.setuid(uid)


def accept_n(lsock, n, comm=None, uid=None):
    become(comm, uid)
    for _ in range(n):
        c, _ = lsock.accept()
        c.close()


def connect_to(family, addr, port, comm=None, uid=None, n=1, refused=False):
    become(comm, uid)
    for _ in range(n):
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.connect((addr, port))
        except ConnectionRefusedError:
            if not refused:
                raise
        s.close()


def pair(family, laddr, caddr, port, n=1, lcomm=None, ccomm=None, uid=None,
         dual=False, cfamily=None):
    """A server that accepts n connections and a client (of cfamily,
    default the server's) that makes them."""
    ls = listener(family, laddr, port, dual=dual)
    srv = child(accept_n, ls, n, lcomm, uid)
    ls.close()
    cli = child(connect_to, cfamily or family, caddr, port, ccomm, uid, n)
    reap([cli, srv])


# ---- scenarios ---------------------------------------------------------

def sc_v4():
    pair(socket.AF_INET, "127.0.0.1", "127.0.0.1", 5001, n=2,
         lcomm=b"srv_v4", ccomm=b"cli_v4")


def sc_v6():
    pair(socket.AF_INET6, "::1", "::1", 5002, n=2,
         lcomm=b"srv_v6", ccomm=b"cli_v6")


def sc_mapped():
    # An AF_INET6 client to ::ffff:127.0.0.1, accepted by a dual-stack
    # listener on ::.
    pair(socket.AF_INET6, "::", "::ffff:127.0.0.1", 5003, lcomm=b"srv_dual",
         ccomm=b"cli_mapped", dual=True)


def sc_dual():
    # A plain IPv4 client accepted by the dual-stack listener, then an
    # IPv6 one (settled apart: separate BCC perf buffers).
    pair(socket.AF_INET6, "::", "127.0.0.1", 5004, lcomm=b"srv_dual",
         ccomm=b"cli_dual4", dual=True, cfamily=socket.AF_INET)
    settle()
    pair(socket.AF_INET6, "::", "::1", 5004, lcomm=b"srv_dual",
         ccomm=b"cli_dual6", dual=True)


def sc_refused():
    reap([child(connect_to, socket.AF_INET, "127.0.0.1", 5009, b"cli_refused",
                None, 1, True)])
    settle()
    reap([child(connect_to, socket.AF_INET6, "::1", 5009, b"cli_refused6",
                None, 1, True)])


def sc_uid():
    pair(socket.AF_INET, "127.0.0.1", "127.0.0.1", 5005, lcomm=b"srv_nobody",
         ccomm=b"cli_nobody", uid=NOBODY)


def sc_comm():
    for name in COMMS:
        pair(socket.AF_INET, "127.0.0.1", "127.0.0.1", 5006, lcomm=name,
             ccomm=name)


def sc_reset():
    # The client resets the connection (SO_LINGER 0) before the server
    # accepts it: accept() still returns it, closed.
    ls = listener(socket.AF_INET, "127.0.0.1", RESET_PORT)

    def rst():
        set_comm(b"cli_reset")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(("127.0.0.1", RESET_PORT))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    reap([child(rst)])
    time.sleep(0.5)
    reap([child(accept_n, ls, 1, b"srv_reset")])
    ls.close()


BYTES_PORT = 5010
BYTES_C2S = 300 * 1024 + 517     # tcplife's TX_KB/RX_KB: bytes / 1024
BYTES_S2C = 200 * 1024 + 99


def bytes_server(ls):
    """Read to EOF, answer, close (last: LAST_ACK in this process)."""
    set_comm(b"srv_bytes")
    c, _ = ls.accept()
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    if n != BYTES_C2S:
        raise RuntimeError("srv_bytes read %d bytes, want %d" % (n, BYTES_C2S))
    c.sendall(b"s" * BYTES_S2C)
    c.close()


def bytes_client():
    set_comm(b"cli_bytes")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", BYTES_PORT))
    s.sendall(b"c" * BYTES_C2S)
    s.shutdown(socket.SHUT_WR)
    n = 0
    while True:
        d = s.recv(65536)
        if not d:
            break
        n += len(d)
    if n != BYTES_S2C:
        raise RuntimeError("cli_bytes read %d bytes, want %d" % (n, BYTES_S2C))
    s.close()


def sc_bytes():
    # A session that moves data both ways (tcplife's TX_KB and RX_KB),
    # the client's FIN first.
    ls = listener(socket.AF_INET, "127.0.0.1", BYTES_PORT)
    srv = child(bytes_server, ls)
    ls.close()
    reap([child(bytes_client), srv])


def sc_burst():
    # 1,000 connections in bursts of 100: BCC's perf buffer (8 pages a
    # CPU) holds a burst of 100 events, and Python reads them slowly
    # under TCG; settling between bursts keeps BCC from losing any.
    ls = listener(socket.AF_INET, "127.0.0.1", 5008)
    for _ in range(10):
        srv = child(accept_n, ls, 100, b"srv_burst")
        cli = child(connect_to, socket.AF_INET, "127.0.0.1", 5008,
                    b"cli_burst", None, 100)
        reap([cli, srv])
        settle()
    ls.close()


def listen_overflows():
    """TcpExt ListenOverflows: SYNs a full accept queue dropped."""
    with open("/proc/net/netstat") as f:
        lines = f.read().split("\n")
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["ListenOverflows"])
    raise RuntimeError("no TcpExt ListenOverflows in /proc/net/netstat")


def sc_slow():
    # A slow peer (tcpconnlat): the accept queue of a listener of backlog
    # 1 holds two connections, so it drops the client's SYN; once the
    # drop is counted, one is accepted, and the SYN the client sends
    # again after 1 s (its initial retransmission timeout) gets through.
    ls = listener(socket.AF_INET, "127.0.0.1", SLOW_PORT, backlog=1)
    fill = [socket.create_connection(("127.0.0.1", SLOW_PORT))
            for _ in range(2)]
    before = listen_overflows()
    cli = child(connect_to, socket.AF_INET, "127.0.0.1", SLOW_PORT,
                b"cli_slow")
    deadline = time.monotonic() + 30
    while listen_overflows() == before:
        if time.monotonic() > deadline:
            raise RuntimeError("the full listener dropped no SYN")
        time.sleep(0.01)
    c, _ = ls.accept()
    reap([cli])
    for s in fill + [c, ls]:
        s.close()


# DNS: a server on 127.0.0.1:53 answering from a table, a client asking
# and then connecting to the answers' addresses.  Resolvers such as
# glibc's connect() their UDP socket; one question is asked from an
# unconnected socket (sendto), as others do: BCC reads only answers to
# connected sockets (docs/bcc-differences.md, dns-unconnected).
DNS_UNCONNECTED_ADDR = "127.0.0.44"
DNS_TABLE = {
    b"www.nrbcc.test": [("A", "127.0.0.42")],
    b"alias.nrbcc.test": [("CNAME", b"real.nrbcc.test"), ("A", "127.0.0.43")],
    b"six.nrbcc.test": [("AAAA", "::1")],
    b"raw.nrbcc.test": [("A", DNS_UNCONNECTED_ADDR)],
}


def dns_name(name):
    return b"".join(bytes([len(p)]) + p for p in name.split(b".")) + b"\0"


def dns_answer(query):
    qid = query[:2]
    i = 12
    labels = []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]])
        i += 1 + query[i]
    qname = b".".join(labels)
    question = query[12:i + 5]
    rrs = b""
    owner = b"\xc0\x0c"             # pointer to the question's name
    recs = DNS_TABLE.get(qname, [])
    for kind, value in recs:
        if kind == "A":
            data = socket.inet_pton(socket.AF_INET, value)
            rrs += owner + struct.pack(">HHIH", 1, 1, 60, 4) + data
        elif kind == "AAAA":
            data = socket.inet_pton(socket.AF_INET6, value)
            rrs += owner + struct.pack(">HHIH", 28, 1, 60, 16) + data
        else:
            data = dns_name(value)
            rrs += owner + struct.pack(">HHIH", 5, 1, 60, len(data)) + data
            owner = dns_name(value)
    hdr = qid + struct.pack(">HHHHH", 0x8180, 1, len(recs), 0, 0)
    return hdr + question + rrs


def dns_server(sock, n):
    set_comm(b"nrbcc_dns")
    for _ in range(n):
        q, peer = sock.recvfrom(512)
        sock.sendto(dns_answer(q), peer)


def dns_ask(name, qtype, connected):
    set_comm(b"cli_dnsq")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + dns_name(name) + \
        struct.pack(">HH", qtype, 1)
    if connected:
        s.connect(("127.0.0.1", 53))
        s.send(q)
    else:
        s.sendto(q, ("127.0.0.1", 53))
    s.recvfrom(512)
    s.close()


def sc_dns():
    srv_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv_sock.bind(("127.0.0.1", 53))
    asks = [(b"www.nrbcc.test", 1, True), (b"alias.nrbcc.test", 1, True),
            (b"six.nrbcc.test", 28, True), (b"raw.nrbcc.test", 1, False)]
    srv = child(dns_server, srv_sock, len(asks))
    srv_sock.close()
    for name, qtype, connected in asks:
        reap([child(dns_ask, name, qtype, connected)])
    reap([srv])
    # The answers must be read by both tracers before the connects.
    settle()
    for addr in ["127.0.0.42", "127.0.0.43", DNS_UNCONNECTED_ADDR,
                 "127.0.0.7", "127.0.0.1"]:
        reap([child(connect_to, socket.AF_INET, addr, 5019, b"cli_dns",
                    None, 1, True)])
    settle()
    reap([child(connect_to, socket.AF_INET6, "::1", 5019, b"cli_dns6",
                None, 1, True)])


def sc_actors():
    """SIGUSR1 to every actor; wait until each has done its traffic."""
    pids = []
    for f in sorted(os.listdir(WORK)):
        if f.startswith("actor.") and not f.endswith(".tmp"):
            facts = dict(l.split("=", 1) for l in
                         open(os.path.join(WORK, f)).read().split())
            pids.append(int(facts["pid"]))
    for p in pids:
        os.kill(p, signal.SIGUSR1)
        # Not our child: poll until it is gone (or a zombie of init).
        for _ in range(600):
            try:
                with open("/proc/%d/stat" % p) as st:
                    if st.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except FileNotFoundError:
                break
            time.sleep(0.1)
        settle()


SCENARIOS = {
    "v4": sc_v4, "v6": sc_v6, "mapped": sc_mapped, "dual": sc_dual,
    "refused": sc_refused, "uid": sc_uid, "comm": sc_comm,
    "reset": sc_reset, "dns": sc_dns, "actors": sc_actors,
    "burst": sc_burst, "bytes": sc_bytes, "slow": sc_slow,
}


# ---- actors ------------------------------------------------------------

ACTORS = {
    # name: (port, unshare the mount namespace, join the test cgroup)
    "pid": (5011, False, False),
    "mntns": (5012, True, False),
    "cgroup": (5013, False, True),
}


def actor(name):
    port, mntns, cgroup = ACTORS[name]
    if mntns and libc.unshare(CLONE_NEWNS):
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if cgroup:
        with open(os.environ["NRBCC_CGROUP"] + "/cgroup.procs", "w") as f:
            f.write("%d\n" % os.getpid())
    set_comm(("act_" + name).encode())
    got = []
    signal.signal(signal.SIGUSR1, lambda *_: got.append(1))
    facts = "pid=%d\nmntns=%d\n" % (os.getpid(),
                                   os.stat("/proc/self/ns/mnt").st_ino)
    path = os.path.join(WORK, "actor." + name)
    with open(path + ".tmp", "w") as f:
        f.write(facts)
    os.rename(path + ".tmp", path)
    while not got:
        signal.pause()
    # Accept in this process (tcpaccept -p), connect from it too
    # (tcpconnect -p): a thread would do, but a second connect from a
    # child shows the filter leaves other PIDs out.
    ls = listener(socket.AF_INET, "127.0.0.1", port)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    c, _ = ls.accept()
    c.close()
    s.close()
    reap([child(connect_to, socket.AF_INET, "127.0.0.1", port, b"act_kid")])
    c, _ = ls.accept()
    c.close()


def main(argv):
    if len(argv) >= 2 and argv[0] == "actor":
        actor(argv[1])
        return 0
    if len(argv) >= 1 and argv[0] == "run":
        settle()
        for sc in argv[1:]:
            log("scenario %s" % sc)
            SCENARIOS[sc]()
            settle()
        return 0
    print("usage: traffic.py run SCENARIO... | actor NAME", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
