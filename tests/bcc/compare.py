#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Compares what one BCC conformance VM recorded (tests/bcc/run): each
# case's BCC and netrace outputs, the -h texts, the bad-input exit
# statuses.  Identical bytes are required after mapping only timestamps
# and the named differences below (each documented, with its reason, in
# docs/bcc-differences.md).  Anything else fails with a diff.
#
#   compare.py --vm DIR [--src TREE]
#
# Exit status 0 when everything conforms, 1 otherwise.
import argparse
import difflib
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "guest"))
import traffic  # noqa: E402  (the comm names the traffic used)

TASK_COMM_LEN = 16


def has_opt(case, letter):
    """Does BCC's command line have -LETTER, alone or in a cluster (-stT)?"""
    return any(o.startswith("-") and not o.startswith("--") and
               o[1:].isalpha() and letter in o[1:]
               for o in case["bopts"].split())


def comm_shape(case):
    """BCC's COMM cell: (width, in characters?).  tcpconnect and tcpaccept
    print the raw bytes "%-12.12s"; tcpstates, tcplife and tcptracer
    decode the name first (Python 3 str: width in characters): "%-10.10s"
    ("%-16.16s" with -w), "%-16s"."""
    if case["applet"] == "tcpstates":
        return (16 if has_opt(case, "w") else 10), True
    if case["applet"] == "tcptracer":   # "%-16s", never cut
        return 16, True
    if case["applet"] == "tcplife":     # as tcpstates
        return (16 if has_opt(case, "w") else 10), True
    if case["applet"] == "tcpconnlat":  # "%-12.12s" of the decoded name
        return 12, True
    return 12, False


def bcc_comm(name, width, chars):
    """BCC's COMM cell for a comm set to name."""
    raw = name[:TASK_COMM_LEN - 1]
    if chars:
        return raw.decode("utf-8", "replace")[:width].ljust(width).encode()
    return raw[:width].ljust(width)


def nr_comm(name, width, chars):
    """netrace's: control characters '?', never half a UTF-8 character."""
    raw = name[:TASK_COMM_LEN - 1]
    out, used = b"", 0
    text = raw.decode("utf-8", "surrogateescape")
    for ch in text:
        enc = ch.encode("utf-8", "surrogateescape")
        if len(enc) == 1 and (enc[0] < 0x20 or enc[0] == 0x7f or enc[0] >= 0x80):
            enc = b"?"
        cost = 1 if chars else len(enc)
        if used + cost > width:
            break
        out += enc
        used += cost
    return out + b" " * (width - used)


def comm_geometry(case):
    """(width, in characters?, csv): with -s the whole name, neither cut
    nor padded."""
    width, chars = comm_shape(case)
    csv = case["applet"] in ("tcpstates", "tcplife") and has_opt(case, "s")
    return (TASK_COMM_LEN - 1 if csv else width), chars, csv


def comm_cells(case, pred):
    width, chars, csv = comm_geometry(case)
    cells = [(bcc_comm(n, width, chars), nr_comm(n, width, chars))
             for n in traffic.COMMS if pred(n)]
    if csv:
        cells = [(b.rstrip(b" "), n.rstrip(b" ")) for b, n in cells]
    return cells


def d_comm_control(case, b, n):
    # Control characters (C0, DEL): BCC prints them raw, netrace as '?'.
    for raw, safe in comm_cells(case, lambda n: any(c < 0x20 or c == 0x7f for c in n)):
        b = b.replace(raw, safe)
    return b, n


def d_comm_utf8_cut(case, b, n):
    # A 12-byte cut inside a UTF-8 character: BCC prints the first half
    # of it, netrace leaves the character out (and pads).  (tcpconnlat,
    # tcplife, tcpstates and tcptracer count characters, as BCC does: no
    # cut, no difference.)
    if comm_shape(case)[1]:
        return b, n
    for raw, safe in comm_cells(case, lambda n: any(c >= 0x80 for c in n)):
        b = b.replace(raw, safe)
    return b, n


def d_reset_lport(case, b, n):
    # tcpaccept: a connection reset before accept() has LPORT 0 in BCC
    # (skc_num is cleared at close), the port it came in on in netrace.
    if case["applet"] != "tcpaccept":
        return b, n
    port = str(traffic.RESET_PORT).encode()
    out = []
    for line in b.split(b"\n"):
        if b"srv_reset" in line:
            line = re.sub(rb" 0    $", b" " + port.ljust(5), line)
        out.append(line)
    return b"\n".join(out), n


def d_tcpaccept_uid(case, b, n):
    # tcpaccept -U: netrace's UID column (BCC's tcpaccept has no -U); the
    # case runs BCC without it, and the column is cut out of netrace's.
    if case["applet"] != "tcpaccept" or "-U" not in case["nopts"].split():
        return b, n
    skip = 9 * (("-T" in case["nopts"].split()) + ("-t" in case["nopts"].split()))
    lines = n.split(b"\n")
    n = b"\n".join(l[:skip] + l[skip + 6:] if l else l for l in lines)
    return b, n


def d_count_ties(case, b, n):
    # tcpconnect -c: rows with the same count come in BPF hash-map order
    # in BCC (unspecified); sorted within equal counts on both sides.
    if case["applet"] != "tcpconnect" or "-c" not in case["bopts"].split():
        return b, n

    def norm(text):
        lines = text.split(b"\n")
        out, run, runkey = [], [], None
        for line in lines:
            f = line.split()
            key = f[-1] if len(f) == 4 and f[-1].isdigit() else None
            if key is not None and key == runkey:
                run.append(line)
                continue
            out.extend(sorted(run))
            run, runkey = ([line], key) if key is not None else ([], None)
            if key is None:
                out.append(line)
        out.extend(sorted(run))
        return b"\n".join(out)
    return norm(b), norm(n)


def d_dns_unconnected(case, b, n):
    # tcpconnect -d: BCC reads DNS answers only as a connected UDP socket
    # receives them (its probe checks the socket's destination port);
    # netrace reads every answer in its network namespace.  The traffic
    # asks one question from an unconnected socket.
    if case["applet"] != "tcpconnect" or "-d" not in case["bopts"].split():
        return b, n
    name = [k for k, v in traffic.DNS_TABLE.items()
            if ("A", traffic.DNS_UNCONNECTED_ADDR) in v][0]
    addr = traffic.DNS_UNCONNECTED_ADDR.encode()
    out = []
    for line in b.split(b"\n"):
        f = line.split()
        if len(f) > 5 and f[4] == addr and line.endswith(b" No DNS Query"):
            line = line[:-len(b"No DNS Query")] + name + b" (0.000ms)"
        out.append(line)
    return b"\n".join(out), n


def d_connect6_mapped(case, b, n):
    # tcpconnect -6: BCC's family filter runs in the return probe of
    # tcp_v4_connect without clearing its state, so an IPv6 socket's
    # connect to an IPv4-mapped address, IP 4 in BCC's unfiltered
    # output, comes out of the tcp_v6_connect probe as IP 6 with
    # ::ffff: addresses.  netrace's -6 keeps exactly the IP 6 rows of
    # its unfiltered output (where the row is IP 4, as in BCC's).
    if case["applet"] != "tcpconnect" or "-6" not in case["bopts"].split():
        return b, n
    out = [l for l in b.split(b"\n")
           if not re.search(rb" 6  ::ffff:\d+\.\d+\.\d+\.\d+ ", l)]
    return b"\n".join(out), n


def d_tracer_mapped_connect(case, b, n):
    # tcptracer: BCC misses the connect of an IPv6 socket to an IPv4-mapped
    # address (its tcp_v4_connect return probe files it under the IPv4
    # tuple, its tcp_set_state probe looks it up under the IPv6 one);
    # netrace shows it, IP 6 as the accept and close rows of that socket.
    # With -6 BCC probes tcp_v6_connect alone, and shows it too.
    if case["applet"] != "tcptracer" or "-6" in case["bopts"].split():
        return b, n
    out = []
    for line in n.split(b"\n"):
        f = line.split()
        if (b"C" in f[:2] or b"connect" in f[:2]) and b" 6  [::ffff:" in line:
            continue
        out.append(line)
    return b, b"\n".join(out)


def d_tracer_reset_accept(case, b, n):
    # tcptracer: the accept of a connection reset before accept() has
    # local port 0 in BCC, which drops the row; netrace shows it with the
    # port it came in on (as tcpaccept-reset-lport).
    if case["applet"] != "tcptracer":
        return b, n
    out = [l for l in n.split(b"\n")
           if not (b" srv_reset " in l and
                   (b"A" in l.split()[:2] or b"accept" in l.split()[:2]))]
    return b, b"\n".join(out)


# Rows of IPv6 sockets, and the header lines, of the applets whose BCC
# tool has a perf buffer for each family.
FAMILY_ORDER = {
    "tcpstates": (1, lambda l: b"::" in l),
    "tcplife": (1, lambda l: b"::" in l),
    "tcptracer": (2, lambda l: b" 6  [" in l),
}


def d_family_order(case, b, n):
    # BCC has a perf buffer for IPv4 events and another for IPv6 ones,
    # and prints what it reads from one, then the other: rows of sockets
    # of different families (an IPv4 client of a dual-stack listener,
    # whose side is IPv6) come in an order that depends on when it
    # polled.  netrace has one buffer, in event order.  Compared: each
    # family's rows, in order.
    if case["applet"] not in FAMILY_ORDER:
        return b, n
    heads, is_v6 = FAMILY_ORDER[case["applet"]]

    def split(text):
        lines = text.split(b"\n")
        rows = lines[heads:]
        v4 = [l for l in rows if l and not is_v6(l)]
        v6 = [l for l in rows if is_v6(l)]
        rest = [l for l in rows if not l]
        return b"\n".join(lines[:heads] + v4 + v6 + rest)
    return split(b), split(n)


# tcplife rows: (the match, its head being PID and COMM, (LADDR, LPORT, RADDR, RPORT),
# the span of MS), from the end of the line, where the columns are known.
def life_row(case, line):
    csv = has_opt(case, "s")
    pre = rb""
    if has_opt(case, "T"):
        pre += rb"\d\d:\d\d:\d\d[ ,]"
    if has_opt(case, "t"):
        pre += rb"\d+\.\d{6}(?:,| +)"
    if csv:
        pat = rb"\d+,(?P<comm>[^,]*),[46],"
        rest = rb"(?P<la>[^,]+),(?P<lp>\d+),(?P<ra>[^,]+),(?P<rp>\d+),\d+,\d+,(?P<ms>\d+\.\d\d)$"
    else:
        pat = rb"\d+ +(?P<comm>.*?) " + (rb"[46] +" if has_opt(case, "w") else rb"")
        rest = rb"(?P<la>\S+) +(?P<lp>\d+) +(?P<ra>\S+) +(?P<rp>\d+) +\d+ +\d+ (?P<ms>\d+\.\d\d)$"
    m = re.match(pre + rb"(?P<head>" + pat + rb")" + rest, line)
    if not m:
        return None
    return m, (m["la"], int(m["lp"]), m["ra"], int(m["rp"]))


def life_server_comms():
    """The traffic's listening ports, and who accepts on each (b"-": no
    process, the connection was reset before accept())."""
    m = {5001: [b"srv_v4"], 5002: [b"srv_v6"], 5003: [b"srv_dual"],
         5004: [b"srv_dual"], 5005: [b"srv_nobody"], 5006: traffic.COMMS,
         traffic.RESET_PORT: [b"-"], 5008: [b"srv_burst"],
         traffic.BYTES_PORT: [b"srv_bytes"],
         traffic.SLOW_PORT: [b"python3", b"-"]}
    for name, (port, _, _) in traffic.ACTORS.items():
        m[port] = [("act_" + name).encode()]
    return m


def d_life_server_owner(case, b, n):
    # tcplife: a server's row names the process that accepted the
    # session.  BCC takes the task current when the socket closes unless
    # the server closed last (LAST_ACK); when the server closed first or
    # was reset, that is a softirq's task (on loopback, the client).
    # Each netrace server row must name the server the traffic ran on
    # that port; BCC's row of the same session then gets its PID and
    # COMM.
    if case["applet"] != "tcplife":
        return b, n
    servers = life_server_comms()
    heads = {}
    for line in n.split(b"\n"):
        r = life_row(case, line)
        if not r or r[1][1] not in servers:
            continue
        m, key = r
        comm = m["comm"].rstrip()
        width, chars, _ = comm_geometry(case)
        ok = [x for x in servers[key[1]]
              if (x if x == b"-" else nr_comm(x, width, chars)).rstrip() == comm]
        if not ok:
            continue    # a wrong owner stays in the diff
        heads.setdefault(key, []).append(m["head"])
    out = []
    for line in b.split(b"\n"):
        r = life_row(case, line)
        if r and heads.get(r[1]):
            m, key = r
            line = line[:m.start("head")] + heads[key].pop(0) + line[m.end("head"):]
        out.append(line)
    return b"\n".join(out), n


def d_life_pid_server(case, b, n):
    # tcplife -p PID: the server end of a session PID accepted, closed by
    # the peer first.  BCC records no owner for it and filters on the
    # task current at CLOSE, a softirq's: it shows the row only when PID
    # happened to be running.  netrace's owner is the acceptor, PID.  A
    # netrace server row (its local port a listener of the traffic) that
    # BCC lacks is taken out.
    if case["applet"] != "tcplife" or not has_opt(case, "p"):
        return b, n
    servers = life_server_comms()
    theirs = {r[1] for r in (life_row(case, l) for l in b.split(b"\n")) if r}
    out = []
    for line in n.split(b"\n"):
        r = life_row(case, line)
        if r and r[1][1] in servers and r[1] not in theirs:
            continue
        out.append(line)
    return b, b"\n".join(out)


def d_tcpconnlat_verbose(case, b, n):
    # tcpconnlat -v: BCC prints its BPF program on stdout before the
    # header; netrace prints its own on stderr (stdout is for rows).
    if case["applet"] != "tcpconnlat" or "-v" not in case["bopts"].split():
        return b, n
    m = re.search(rb"^(TIME\(s\) +)?PID +COMM ", b, re.M)
    return (b[m.start():] if m else b), n


# At most this many rows may be missing from BCC's tcpstates output.
BCC_SKIPPED_MAX = 3
SKADDR_RE = re.compile(rb"\bffff[0-9a-f]{12}\b")
MS_RE = re.compile(rb"(?<=[ ,])(\d+\.\d{3})$")


def d_bcc_skipped(case, b, n):
    # The kernel skips a kprobe or tracepoint program while another one
    # runs on the CPU (bpf_prog_active): a softirq's state change during
    # the program of a kprobe, BCC's or another tool's.  BCC's
    # tcpstates (a classic tracepoint) then misses the row without a
    # word (6.1 counts no such misses), and its `last` time of the socket
    # stays, so the socket's next row spans both states.  netrace's BTF
    # tracepoint is guarded per program.  Taken: up to BCC_SKIPPED_MAX
    # rows netrace has and BCC lacks, nothing the other way, each
    # followed in BCC by its socket's next row whose MS is the sum of
    # netrace's two (within 5 ms); that row's MS is then netrace's sum.
    if case["applet"] != "tcpstates":
        return b, n
    bl, nl = b.split(b"\n"), n.split(b"\n")
    key = lambda l: MS_RE.sub(b"", l)
    sm = difflib.SequenceMatcher(None, [key(l) for l in bl],
                                 [key(l) for l in nl], autojunk=False)
    ops = [o for o in sm.get_opcodes() if o[0] != "equal"]
    extra = sum(j2 - j1 for _, _, _, j1, j2 in ops)
    if not ops or any(o[0] != "insert" for o in ops) or extra > BCC_SKIPPED_MAX:
        return b, n
    match = {j: i for blk in sm.get_matching_blocks()
             for i, j in zip(range(blk.a, blk.a + blk.size),
                             range(blk.b, blk.b + blk.size))}
    drop, fixed = set(), {}
    for _, _, _, j1, j2 in ops:
        for j in range(j1, j2):
            sk, ms = SKADDR_RE.search(nl[j]), MS_RE.search(nl[j])
            if not sk or not ms:
                return b, n
            # The socket's next row in netrace, and BCC's of it.
            nxt = next((k for k in range(j + 1, len(nl))
                        if SKADDR_RE.search(nl[k]) and
                        SKADDR_RE.search(nl[k]).group() == sk.group()), None)
            if nxt is not None:
                if nxt not in match or nxt in range(j1, j2):
                    return b, n
                x = float(MS_RE.search(bl[match[nxt]]).group(1))
                y = float(ms.group(1)) + float(MS_RE.search(nl[nxt]).group(1))
                if abs(x - y) > 5.0:
                    return b, n
                fixed[nxt] = MS_RE.sub(b"%.3f" % y, nl[nxt])
            drop.add(j)
    out = [fixed.get(k, l) for k, l in enumerate(nl) if k not in drop]
    return b, b"\n".join(out)


DIFFERENCES = {
    "tcptracer-reset-accept": d_tracer_reset_accept,
    "comm-control": d_comm_control,
    "comm-utf8-cut": d_comm_utf8_cut,
    "tcpaccept-reset-lport": d_reset_lport,
    "tcpaccept-uid-column": d_tcpaccept_uid,
    "count-ties": d_count_ties,
    "dns-unconnected": d_dns_unconnected,
    "connect6-mapped": d_connect6_mapped,
    "family-order": d_family_order,
    "tcptracer-mapped-connect": d_tracer_mapped_connect,
    "tcplife-server-owner": d_life_server_owner,
    "tcplife-pid-server": d_life_pid_server,
    "tcpconnlat-verbose": d_tcpconnlat_verbose,
    "bcc-skipped": d_bcc_skipped,
}


# ---- timestamps ----------------------------------------------------------

TIME_TOL_S = 1.0    # TIME(s): seconds since the first event, same events
CLOCK_TOL_S = 3     # TIME: wall clock, BCC reads it when it prints
# A time the tool measures itself, the last column of its rows: each
# tracer reads the clock in its own program, so the two differ a little.
# Column, tolerance in ms, and relative to the larger value.  tcplife:
# under TCG the first runs of each program are slow (their code is
# translated then): 2.2 ms apart at most over 4,000 rows of its runs.
# tcpconnlat: a connect passes eight tracers' probes at each hook under
# TCG, each taking tens to hundreds of microseconds: two BCC instances
# measured the same row 2.3 ms apart.  The check is for gross errors (a
# wrong hook or unit, a missed retransmission: 1000 ms).
SPAN_LAST = {"tcpstates": ("MS", 5.0, 0.0), "tcplife": ("MS", 3.0, 0.05),
             "tcpconnlat": ("LAT", 5.0, 0.05)}


def span_pairs(span_re, bl, bs, nl, ns):
    """BCC's and netrace's rows with a span that are the same row: in
    order, one for one when both have as many; else matched on the rest of
    the row, so that a missing or extra row stays unmasked and the diff
    shows it alone rather than every span after it."""
    if len(bs) == len(ns):
        return list(zip(bs, ns))
    bk = [span_re.sub(b"", bl[i]) for i in bs]
    nk = [span_re.sub(b"", nl[j]) for j in ns]
    sm = difflib.SequenceMatcher(None, bk, nk, autojunk=False)
    return [(bs[blk.a + k], ns[blk.b + k])
            for blk in sm.get_matching_blocks() for k in range(blk.size)]


def map_times(case, b, n, problems):
    """Mask the timestamp columns (keeping their widths) and the measured
    spans after checking that BCC's and netrace's values agree within a
    tolerance."""
    opts = case["bopts"].split()
    has_T = has_opt(case, "T")
    has_t = has_opt(case, "t")
    pat = rb""
    if has_T:
        pat += rb"(?P<T>\d\d:\d\d:\d\d)[ ,]"
    if has_t:
        pat += rb"(?P<t>\d+\.\d+)(?:,| *)"
    dns_age = re.compile(rb" \(\d+\.\d{3}ms\)$")
    span = SPAN_LAST.get(case["applet"])
    span_re = re.compile(rb"(?<=[ ,])(?P<s>\d+\.\d+)$")

    def mask(text):
        lines, values, spans = [], [], []
        for line in text.split(b"\n"):
            line = dns_age.sub(b" (AGE)", line)
            m = re.match(pat, line) if pat else None
            if m:
                values.append(m.groupdict())
                for g in ("T", "t"):
                    if m.groupdict().get(g):
                        s, e = m.span(g)
                        line = line[:s] + re.sub(rb"\d", b"x", line[s:e]) + line[e:]
            if span and span_re.search(line):
                spans.append(len(lines))
            lines.append(line)
        return lines, values, spans

    bl, bv, bs = mask(b)
    nl, nv, ns = mask(n)
    if span:
        for i, j in span_pairs(span_re, bl, bs, nl, ns):
            x = float(span_re.search(bl[i]).group("s"))
            y = float(span_re.search(nl[j]).group("s"))
            tol = max(span[1], span[2] * max(x, y))
            if abs(x - y) <= tol:
                bl[i] = span_re.sub(b"<" + span[0].encode() + b">", bl[i])
                nl[j] = span_re.sub(b"<" + span[0].encode() + b">", nl[j])
            else:
                problems.append("row %d: %s %s (BCC) and %s (netrace) differ by more than %.1f ms"
                                % (i, span[0], x, y, tol))
    b, n = b"\n".join(bl), b"\n".join(nl)
    if len(bv) != len(nv):
        return b, n     # a row is missing: the diff says which
    for i, (x, y) in enumerate(zip(bv, nv)):
        if x.get("t") and abs(float(x["t"]) - float(y["t"])) > TIME_TOL_S:
            problems.append("row %d: TIME(s) %s (BCC) and %s (netrace) differ by more than %.1f s"
                            % (i + 1, x["t"].decode(), y["t"].decode(), TIME_TOL_S))
        if x.get("T"):
            def secs(v):
                h, m, s = map(int, v.split(b":"))
                return h * 3600 + m * 60 + s
            d = abs(secs(x["T"]) - secs(y["T"])) % 86400
            if min(d, 86400 - d) > CLOCK_TOL_S:
                problems.append("row %d: TIME %s (BCC) and %s (netrace) differ by more than %d s"
                                % (i + 1, x["T"].decode(), y["T"].decode(), CLOCK_TOL_S))
    return b, n



# ---- tcpstates -Y: the journal entries ------------------------------------

# BCC's fields (its journal_fields()); the rest of an entry is journald's
# (_PID, __CURSOR, ...), python-systemd's (CODE_FILE, CODE_LINE,
# CODE_FUNC: where in the Python script the call was) or journald's
# OBJECT_* additions for a root sender.
JOURNAL_KEYS = ("SYSLOG_IDENTIFIER", "PRIORITY", "OBJECT_PID",
                "OBJECT_IPV4_SOURCE_ADDRESS", "OBJECT_IPV6_SOURCE_ADDRESS",
                "OBJECT_TCP_SOURCE_PORT", "OBJECT_IPV4_DESTINATION_ADDRESS",
                "OBJECT_IPV6_DESTINATION_ADDRESS",
                "OBJECT_TCP_DESTINATION_PORT", "OBJECT_TCP_OLD_STATE",
                "OBJECT_TCP_NEW_STATE", "OBJECT_TCP_SPAN_TIME", "MESSAGE")
JOURNAL_SPAN_TOL_US = 5000


def journal_value(v):
    # journalctl prints a value that is not valid UTF-8 text (a control
    # character) as an array of bytes.
    if isinstance(v, list):
        return bytes(v).decode("utf-8", "replace")
    return v


def compare_journal(vm, case, bcc_file, problems):
    res = os.path.join(vm, "guest", "res")
    path = os.path.join(res, "journal.json")
    if not os.path.exists(path):
        problems.append("-Y: no journal was recorded (no journald in the VM's root file system?)")
        return
    pids = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(res, "pids")))
    entries = [json.loads(l) for l in open(path) if l.strip()]

    def of(pid):
        out = []
        for e in entries:
            if e.get("_PID") != pid:
                continue
            d = {k: journal_value(e[k]) for k in JOURNAL_KEYS if k in e}
            # comm-control: BCC logs control characters raw, netrace '?'
            for name in traffic.COMMS:
                raw = name[:TASK_COMM_LEN - 1].decode("utf-8", "replace")
                safe = nr_comm(name, TASK_COMM_LEN - 1, True).decode().rstrip(" ")
                if raw != safe and d.get("MESSAGE", "").startswith(raw + " "):
                    d["MESSAGE"] = safe + d["MESSAGE"][len(raw):]
            out.append(d)
        return out
    b = of(pids.get(bcc_file))
    n = of(pids.get("nr." + case["name"]))
    if not b:
        problems.append("-Y: BCC logged nothing to the journal")
    if len(b) != len(n):
        problems.append("-Y: %d journal entries from BCC, %d from netrace" % (len(b), len(n)))
        return
    for i, (x, y) in enumerate(zip(b, n)):
        xs, ys = x.get("OBJECT_TCP_SPAN_TIME"), y.get("OBJECT_TCP_SPAN_TIME")
        if xs and ys and abs(int(xs) - int(ys)) <= JOURNAL_SPAN_TOL_US:
            y["OBJECT_TCP_SPAN_TIME"] = xs
        if x != y:
            keys = sorted(set(x) | set(y))
            problems.append("-Y: journal entry %d differs: %s" % (i + 1, "; ".join(
                "%s: BCC %r, netrace %r" % (k, x.get(k), y.get(k))
                for k in keys if x.get(k) != y.get(k))))
            return


# ---- one case ----------------------------------------------------------------

def visible(line):
    return repr(line)[2:-1]


def compare_case(vm, case, bcc_file, status):
    problems = []
    name = case["name"]
    bpath = os.path.join(vm, "guest", "out", bcc_file)
    npath = os.path.join(vm, "guest", "out", "nr." + name)
    if not os.path.exists(bpath) or not os.path.exists(npath):
        return ["no output (BCC %s, netrace %s)" % (os.path.exists(bpath),
                                                    os.path.exists(npath))], []
    b = open(bpath, "rb").read()
    n = open(npath, "rb").read()
    for who, f in (("BCC", bcc_file), ("netrace", "nr." + name)):
        st = status.get(f)
        if st != "0":
            problems.append("%s exited with status %s at SIGINT" % (who, st))
        err = os.path.join(vm, "guest", "work", f + ".err")
        text = open(err, "rb").read() if os.path.exists(err) else b""
        # BCC's "Possibly lost N samples", netrace's "N events lost" and
        # "skipped netrace's programs N times" (not any "lost": netrace
        # -v prints its BPF source on stderr).
        if re.search(rb"[Ll]ost \d+ samples|\d+ events lost|skipped netrace's programs", text):
            problems.append("%s lost events: %s" % (who, text.decode(errors="replace").strip()[-300:]))
    # Something must have been traced: a header alone proves nothing.
    rows = [l for l in n.split(b"\n")[1:] if l.strip()]
    if not rows:
        problems.append("netrace printed no row (the case's traffic did not reach it)")
    applied = []
    for dname, fn in DIFFERENCES.items():
        b2, n2 = fn(case, b, n)
        if (b2, n2) != (b, n):
            applied.append(dname)
        b, n = b2, n2
    if case["applet"] == "tcpstates" and "-Y" in case["bopts"].split():
        compare_journal(vm, case, bcc_file, problems)
    b, n = map_times(case, b, n, problems)
    if b != n:
        bl = [visible(l) for l in b.split(b"\n")]
        nl = [visible(l) for l in n.split(b"\n")]
        diff = list(difflib.unified_diff(bl, nl, "BCC " + bcc_file,
                                         "netrace " + name, lineterm="", n=2))
        more = len(diff) - 60
        problems.append("outputs differ (after mapping timestamps%s):\n    %s%s" % (
            "".join(", " + a for a in applied),
            "\n    ".join(diff[:60]),
            "\n    ... %d more diff lines" % more if more > 0 else ""))
    return problems, applied


# ---- -h and bad input ------------------------------------------------------------

# netrace's options BCC lacks, and its metavariables where BCC's argparse
# names them after the option.
NETRACE_ONLY = {"tcpconnect": {"-j", "--attach", "--buffer", "--ebpf", "-v"},
                "tcpaccept": {"-j", "--attach", "--buffer", "--ebpf", "-v", "-U"},
                "tcpconnlat": {"-j", "--attach", "--buffer", "--ebpf"},
                "tcplife": {"-j", "--attach", "--buffer", "--ebpf", "-v"},
                "tcpstates": {"-j", "--attach", "--buffer", "--ebpf", "-v"},
                # tcptracer's -v is BCC's (NETNS column), same help text.
                "tcptracer": {"-j", "--attach", "--buffer", "--ebpf"}}
METAVAR = {"PORT": "PORTS", "CGROUPMAP": "PATH", "MNTNSMAP": "PATH"}
# Bad input whose exit status differs on purpose: BCC prints an error for
# -c with -d and exits 0; netrace's usage errors exit 2.
# tcpconnlat inf: BCC takes it as a float, then crashes (exit 1) making
# microseconds of it; netrace rejects it as a usage error.
BAD_INPUT_EXIT = {("tcpconnect", "-c -d"): ("0", "2"),
                  ("tcpconnlat", "inf"): ("1", "2")}


def help_parse(text):
    lines = text.split("\n")
    desc, opts, examples, i = None, [], [], 0
    while i < len(lines):
        line = lines[i]
        if line in ("options:", "optional arguments:"):
            i += 1
            while i < len(lines) and lines[i].strip():
                inv, _, d = lines[i][2:].partition("  ")
                i += 1
                while i < len(lines) and lines[i].startswith(" " * 20):
                    d += " " + lines[i].strip()
                    i += 1
                opts.append((inv.strip(), " ".join(d.split())))
            continue
        if line == "examples:":
            i += 1
            while i < len(lines) and lines[i].startswith("    "):
                examples.append(lines[i].strip())
                i += 1
            continue
        if desc is None and i > 0 and line and not line.startswith(" ") and \
                not lines[i - 1].strip() and not line.startswith("usage"):
            desc = line
        i += 1
    return desc, opts, examples


def first_words(inv):
    return {w.rstrip(",") for w in inv.split() if w.startswith("-")}


def compare_help(vm, applet):
    problems = []
    res = os.path.join(vm, "guest", "res")
    bt = open(os.path.join(res, "help.%s.bcc" % applet)).read()
    nt = open(os.path.join(res, "help.%s.nr" % applet)).read()
    bdesc, bopts, bex = help_parse(bt)
    ndesc, nopts, nex = help_parse(nt)
    if not bopts:
        problems.append("-h: no options parsed from BCC's help")
    if bdesc != ndesc:
        problems.append("-h description: BCC %r, netrace %r" % (bdesc, ndesc))
    only = NETRACE_ONLY[applet]
    mine = [(inv, d) for inv, d in nopts if not first_words(inv) & only]

    def mapped(inv):
        return " ".join(METAVAR.get(w.rstrip(","), w.rstrip(",")) +
                        ("," if w.endswith(",") else "") for w in inv.split())
    theirs = [(mapped(inv), d) for inv, d in bopts]
    if theirs != mine:
        diff = difflib.unified_diff(["%-28s %s" % o for o in theirs],
                                    ["%-28s %s" % o for o in mine],
                                    "BCC -h options", "netrace -h options",
                                    lineterm="", n=1)
        problems.append("-h options differ:\n    " + "\n    ".join(diff))
    # Examples: BCC's, without "./", in order; netrace's own lines are
    # the ones that use a netrace-only option.
    bex = [e[2:] if e.startswith("./") else e for e in bex]
    nex = [e for e in nex if not (set(e.split("#")[0].split()) & only)]
    if bex != nex:
        diff = difflib.unified_diff(bex, nex, "BCC examples", "netrace examples",
                                    lineterm="", n=1)
        problems.append("-h examples differ:\n    " + "\n    ".join(diff))
    for line in open(os.path.join(res, "badinput." + applet)):
        args, brc, nrc = line.rstrip("\n").split("\t")
        want = BAD_INPUT_EXIT.get((applet, args), (brc, brc))
        if (brc, nrc) != want:
            problems.append("bad input '%s %s': BCC exits %s, netrace %s"
                            % (applet, args, brc, nrc))
    return problems


# ---- main ----------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vm", required=True)
    ap.add_argument("--src")
    a = ap.parse_args()
    vm = a.vm
    res = os.path.join(vm, "guest", "res")
    tag = os.path.basename(vm.rstrip("/"))
    cases = []
    for line in open(os.path.join(vm, "cases.sel")):
        f = line.rstrip("\n").split("|")
        cases.append(dict(name=f[0], applet=f[1], bopts=f[2],
                          nopts=f[2] if f[3] == "-" else f[3]))
    failed = 0
    if not os.path.exists(os.path.join(res, "bcc-of")):
        con = os.path.join(vm, "console.log")
        tail = open(con, errors="replace").read().splitlines()[-15:] if os.path.exists(con) else []
        print("FAIL %s: the VM recorded no results; console (%s) ends:\n    %s"
              % (tag, con, "\n    ".join(tail)))
        return 1
    bcc_of = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(res, "bcc-of")))
    status = {}
    if os.path.exists(os.path.join(res, "exit-status")):
        status = dict(l.rstrip("\n").split("\t") for l in open(os.path.join(res, "exit-status")))
    for f in ("traffic-rc",):
        v = open(os.path.join(res, f)).read().strip() if os.path.exists(os.path.join(res, f)) else "missing"
        if v != "0":
            print("FAIL %s: traffic exited %s: %s" % (tag, v, open(os.path.join(res, "traffic.err"), errors="replace").read()[-800:]))
            failed += 1
    for case in cases:
        problems, applied = compare_case(vm, case, bcc_of.get(case["name"], "?"), status)
        opts = case["bopts"] + (" (netrace: %s)" % case["nopts"] if case["nopts"] != case["bopts"] else "")
        if problems:
            failed += 1
            print("FAIL %s %s [%s]" % (case["name"], case["applet"], opts))
            for p in problems:
                print("    " + p)
        else:
            print("PASS %s %s [%s]%s" % (case["name"], case["applet"], opts,
                                        " (named differences: %s)" % ", ".join(applied) if applied else ""))
    for applet in sorted({c["applet"] for c in cases}):
        problems = compare_help(vm, applet)
        if problems:
            failed += 1
            print("FAIL help.%s" % applet)
            for p in problems:
                print("    " + p)
        else:
            print("PASS help.%s (options, order, examples, bad-input exit statuses)" % applet)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
