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
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "guest"))
import traffic  # noqa: E402  (the comm names the traffic used)

COMM_WIDTH = 12
TASK_COMM_LEN = 16


# ---- named differences ---------------------------------------------------
#
# Each takes (case, bcc_bytes, netrace_bytes) and returns the pair mapped;
# DIFFERENCES lists them by the name docs/bcc-differences.md uses.

def bcc_comm(name):
    """BCC's COMM cell for a comm set to name: "%-12.12s" of raw bytes."""
    return name[:TASK_COMM_LEN - 1][:COMM_WIDTH].ljust(COMM_WIDTH)


def nr_comm(name):
    """netrace's: control characters '?', never half a UTF-8 character."""
    raw = name[:TASK_COMM_LEN - 1]
    out = b""
    text = raw.decode("utf-8", "surrogateescape")
    for ch in text:
        enc = ch.encode("utf-8", "surrogateescape")
        if len(enc) == 1 and (enc[0] < 0x20 or enc[0] == 0x7f or enc[0] >= 0x80):
            enc = b"?"
        if len(out) + len(enc) > COMM_WIDTH:
            break
        out += enc
    return out.ljust(COMM_WIDTH)


def comm_cells(pred):
    return [(bcc_comm(n), nr_comm(n)) for n in traffic.COMMS if pred(n)]


def d_comm_control(case, b, n):
    # Control characters (C0, DEL): BCC prints them raw, netrace as '?'.
    for raw, safe in comm_cells(lambda n: any(c < 0x20 or c == 0x7f for c in n)):
        b = b.replace(raw, safe)
    return b, n


def d_comm_utf8_cut(case, b, n):
    # A 12-byte cut inside a UTF-8 character: BCC prints the first half
    # of it, netrace leaves the character out (and pads).  Not tcpconnlat:
    # BCC's cuts the decoded name at 12 characters, and so does netrace's.
    if case["applet"] == "tcpconnlat":
        return b, n
    for raw, safe in comm_cells(lambda n: any(c >= 0x80 for c in n)):
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


def d_tcpconnlat_verbose(case, b, n):
    # tcpconnlat -v: BCC prints its BPF program on stdout before the
    # header; netrace prints its own on stderr (stdout is for rows).
    if case["applet"] != "tcpconnlat" or "-v" not in case["bopts"].split():
        return b, n
    m = re.search(rb"^(TIME\(s\) +)?PID +COMM ", b, re.M)
    return (b[m.start():] if m else b), n


# Under TCG a connect passes eight tracers' probes at each hook, each
# taking tens to hundreds of microseconds: the same row was measured up to
# 2.3 ms apart by two BCC instances.  The check is for gross errors (a
# wrong hook, unit, or a missed retransmission: 1000 ms).
LAT_TOL_MS = 5.0    # or LAT_TOL_REL of the larger, whichever is more
LAT_TOL_REL = 0.05
LAT_RE = re.compile(rb" (\d+\.\d\d)$")


def d_tcpconnlat_latency(case, b, n):
    # tcpconnlat LAT(ms): each tracer measures the same connect with its
    # own probes and clock reads, so the values differ by microseconds
    # (milliseconds under TCG).  Row for row, values within LAT_TOL_MS (or
    # LAT_TOL_REL) of each other are masked on both sides; any other
    # stays, and shows in the diff.
    if case["applet"] != "tcpconnlat":
        return b, n
    bl, nl = b.split(b"\n"), n.split(b"\n")
    brows = [i for i, l in enumerate(bl) if LAT_RE.search(l)]
    nrows = [i for i, l in enumerate(nl) if LAT_RE.search(l)]
    if len(brows) != len(nrows):
        return b, n     # a row is missing: the diff says which
    for i, j in zip(brows, nrows):
        x = float(LAT_RE.search(bl[i]).group(1))
        y = float(LAT_RE.search(nl[j]).group(1))
        if abs(x - y) <= max(LAT_TOL_MS, LAT_TOL_REL * max(x, y)):
            bl[i] = LAT_RE.sub(b" LAT", bl[i])
            nl[j] = LAT_RE.sub(b" LAT", nl[j])
    return b"\n".join(bl), b"\n".join(nl)


DIFFERENCES = {
    "comm-control": d_comm_control,
    "comm-utf8-cut": d_comm_utf8_cut,
    "tcpaccept-reset-lport": d_reset_lport,
    "tcpaccept-uid-column": d_tcpaccept_uid,
    "count-ties": d_count_ties,
    "dns-unconnected": d_dns_unconnected,
    "connect6-mapped": d_connect6_mapped,
    "tcpconnlat-verbose": d_tcpconnlat_verbose,
    "tcpconnlat-latency": d_tcpconnlat_latency,
}


# ---- timestamps ----------------------------------------------------------

TIME_TOL_S = 1.0    # TIME(s): seconds since the first event, same events
CLOCK_TOL_S = 3     # TIME: wall clock, BCC reads it when it prints


def map_times(case, b, n, problems):
    """Mask the timestamp columns (keeping their widths) after checking
    that BCC's and netrace's values agree within a tolerance."""
    opts = case["bopts"].split()
    has_T = "-T" in opts
    has_t = "-t" in opts
    pat = rb""
    if has_T:
        pat += rb"(?P<T>\d\d:\d\d:\d\d) "
    if has_t:
        pat += rb"(?P<t>\d+\.\d{3}) *"
    dns_age = re.compile(rb" \(\d+\.\d{3}ms\)$")

    def mask(text):
        lines, values = [], []
        for line in text.split(b"\n"):
            line = dns_age.sub(b" (AGE)", line)
            m = re.match(pat, line) if pat else None
            if m:
                values.append(m.groupdict())
                for g in ("T", "t"):
                    if m.groupdict().get(g):
                        s, e = m.span(g)
                        line = line[:s] + re.sub(rb"\d", b"x", line[s:e]) + line[e:]
            lines.append(line)
        return b"\n".join(lines), values

    b, bv = mask(b)
    n, nv = mask(n)
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
        # BCC's "Possibly lost N samples", netrace's "N events lost"
        # (not any "lost": netrace -v prints its BPF source on stderr).
        if re.search(rb"[Ll]ost \d+ samples|\d+ events lost", text):
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
                "tcpconnlat": {"-j", "--attach", "--buffer", "--ebpf"}}
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
