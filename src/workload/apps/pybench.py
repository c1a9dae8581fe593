#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Python interpreter micro-benchmarks for virtbench, in the spirit of pybench.

The study ran Phoronix pts/pybench (`-n 20`, its "Totals" in ms). Debian 12
ships no pybench, so this is written here for virtbench (nothing is copied
from pybench): a set of small tests, one function each, that exercise the
interpreter's common paths. Python 3.11, standard library only.

Each test loops N * scale times (N from --iterations; the scale, 1 to 10, is
the test's own, in TESTS, so that all tests take about as long), doing the
same fixed work every iteration, and returns a result that is checked against an expected value
computed another way (a closed form, never by running the same code again);
a mismatch prints `error TEST: expected X, got Y` on stderr and exits 1.
Every round is checked. Like pybench, each round runs every test once, the
garbage collector is off while a test is timed, and a test's time is its
minimum over the rounds.

Usage: pybench.py [--iterations N] [--rounds R] [--only T[,T...]] [--list]
Output (stdout, nothing else): one line `test NAME SECONDS` per test, in the
order of --list, SECONDS the minimum over the rounds with 6 decimals; then
`total SECONDS`, the sum of the per-test minimums. Bad arguments: a message
on stderr, exit 2. VB_BENCH_BREAK=TEST corrupts that test's result (to show
that the self-check fails: exit 1).

Recommended settings (the defaults are the full ones) and their native run
times here (2 vCPUs, Debian 12, /usr/bin/python3 3.11.2; measured while other
jobs loaded the machine, load average 5-6, so wall time ran ~1.7x CPU time):
  quick: --iterations 20000 --rounds 2    wall 1.2-1.9 s, CPU 1.0-1.3 s;
                                          total line 0.52-0.69 s
  full:  --iterations 200000 --rounds 5   wall 44 s, CPU 26.5 s (2.0 s of
                                          CPU per test); total line 5.9 s,
                                          0.38-0.54 s per test
"""
import argparse
import gc
import math
import os
import sys
import time
import unicodedata

DEFAULT_ITERATIONS = 200000
DEFAULT_ROUNDS = 5
# N * scale <= 10**8 keeps arith_float's sums exact in doubles
MAX_ITERATIONS = 10**7
MAX_ROUNDS = 1000


# ---- closed forms used by the expected values ------------------------------

def sum_range(n):
    """0 + 1 + ... + (n-1)."""
    return n * (n - 1) // 2


def sum_mod(n, d):
    """sum of i % d for 0 <= i < n."""
    q, r = divmod(n, d)
    return q * d * (d - 1) // 2 + r * (r - 1) // 2


def sum_div(n, d):
    """sum of i // d for 0 <= i < n."""
    q, r = divmod(n, d)
    return d * q * (q - 1) // 2 + r * q


def count_mod(n, d, k):
    """how many 0 <= i < n have i % d == k."""
    q, r = divmod(n, d)
    return q + (1 if k < r else 0)


def xor_upto(m):
    """0 ^ 1 ^ ... ^ m (m >= -1)."""
    if m < 0:
        return 0
    return (m, 1, m + 1, 0)[m % 4]


def digits_sum(n, floor=0):
    """sum over 0 <= i < n of max(floor, number of decimal digits of i)."""
    total, d, lo = 0, 1, 0
    while lo < n:
        hi = 10**d
        total += max(floor, d) * (min(n, hi) - lo)
        lo, d = hi, d + 1
    return total


def leading_one(n):
    """how many 0 <= i < n are written with a leading digit 1."""
    total, p = 0, 1
    while p < n:
        total += min(n, 2 * p) - p
        p *= 10
    return total


def lcg_jump(x0, a, c, m, n):
    """x after n steps of x = (a*x + c) % m, by the geometric series."""
    p = pow(a, n, m * (a - 1))
    return (pow(a, n, m) * x0 + c * ((p - 1) // (a - 1))) % m


# ---- the tests --------------------------------------------------------------
# Each test: t_NAME(n) returns a tuple; e_NAME(n) the tuple it must equal.

LCG_A, LCG_C, LCG_M = 1103515245, 12345, 2**31


def t_arith_int(n):
    s1 = s2 = s3 = s4 = 0
    x = 1
    for i in range(n):
        s1 += i * 3 - 1
        s2 += i % 7 + i // 3
        s3 ^= i
        s4 += (i << 2) - (i >> 1) + (i & 3)
        x = (x * LCG_A + LCG_C) % LCG_M
    return (s1, s2, s3, s4, x)


def e_arith_int(n):
    return (3 * sum_range(n) - n, sum_mod(n, 7) + sum_div(n, 3),
            xor_upto(n - 1), 4 * sum_range(n) - sum_div(n, 2) + sum_mod(n, 4),
            lcg_jump(1, LCG_A, LCG_C, LCG_M, n))


def t_arith_float(n):
    q = t = g = r = 0.0
    for i in range(n):
        f = float(i)
        q += f * 0.75 - f / 2.0
        t += 1.0 / ((f + 1.0) * (f + 2.0))
        g = g * 0.5 + 1.0
        r += abs(-f) - math.sqrt(f * f) + 0.5
    return (q, t, g, r)


def e_arith_float(n):
    return (sum_range(n) / 4.0, 1.0 - 1.0 / (n + 1), 2.0 - 2.0 ** (1 - n),
            n * 0.5)


def f0():
    return 1


def f1(a):
    return a


def f2(a, b):
    return a - b


def f3(a, b=2, c=3):
    return a + b + c


def fvar(*args):
    return len(args)


def fkw(**kw):
    return len(kw)


def frec(k):
    return 0 if k == 0 else 1 + frec(k - 1)


def t_calls(n):
    s = 0
    for i in range(n):
        s += f0() + f1(i) + f2(i, 1) + f3(i) + f3(i, c=0)
        s += fvar(i, i, i) + fkw(a=i, b=i) + frec(3)
    return (s,)


def e_calls(n):
    # 1 + i + (i-1) + (i+5) + (i+2) + 3 + 2 + 3 per iteration
    return (4 * sum_range(n) + 15 * n,)


class Acc:
    def __init__(self):
        self.v = 0

    def add(self, x):
        self.v += x

    def get(self):
        return self.v

    @staticmethod
    def twice(x):
        return 2 * x

    @classmethod
    def one(cls):
        return 1


class SubAcc(Acc):
    def add(self, x):
        super().add(x)


def make_adder(k):
    def add(x):
        return x + k
    return add


def t_methods(n):
    a = SubAcc()
    bound = a.add
    add3 = make_adder(3)
    count = 0

    def bump():
        nonlocal count
        count += 1

    s = 0
    for i in range(n):
        a.add(i)
        bound(1)
        s += Acc.twice(i) + a.one() + add3(i) + (lambda y: y - 1)(i)
        bump()
    return (a.get(), s, count)


def e_methods(n):
    return (sum_range(n) + n, 4 * sum_range(n) + 3 * n, n)


def t_strings(n):
    length = hits = 0
    for i in range(n):
        s = str(i)
        t = "<" + s + ">"
        u = t[1:-1]
        v = "%s-%d" % (u, i % 10)
        w = f"{i:08d}|{u}"
        x = "{}:{}".format(s, "ab")
        length += len(t) + len(v) + len(w) + len(x)
        hits += w.find("|") + t.find(">") + t.index(s)
        hits += s.startswith("1") + s.endswith("7") + x.count("a")
        hits += len("-".join([s, u, s]).split("-"))
        hits += ("x" + s).upper().lower().endswith(s[-1:])
    return (length, hits)


def e_strings(n):
    d = digits_sum(n)
    # t: D+2, v: D+2, w: max(8,D)+1+D, x: D+3
    length = 4 * d + 8 * n + digits_sum(n, 8)
    hits = digits_sum(n, 8) + d + n + n + leading_one(n) + count_mod(n, 10, 7)
    hits += n + 3 * n + n
    return (length, hits)


def t_unicode(n):
    nbytes = nchars = acc = 0
    nfd = unicodedata.normalize
    for i in range(n):
        c = chr(0x3B1 + i % 24)
        s = c + "é" + str(i % 10) + "€"
        e = s.encode("utf-8")
        nbytes += len(e)
        d = e.decode("utf-8")
        nchars += len(d.upper()) + len(d[::-1].casefold())
        acc += ord(d[0]) - 0x3B1 + (d[1] == "é") + d.find("€")
        acc += len(nfd("NFD", d[1])) + d[2].isdigit() + c.isalpha()
    return (nbytes, nchars, acc)


def e_unicode(n):
    # Greek small letter 2 bytes, é 2, a digit 1, € 3; é decomposes into 2.
    return (8 * n, 8 * n, sum_mod(n, 24) + n + 3 * n + 2 * n + n + n)


def t_lists(n):
    s = 0
    block = []
    base = [9, 8, 7, 6, 5]
    for i in range(n):
        lst = [i + 3, i, i + 2, i + 1, i + 4]
        lst.append(i + 5)
        lst.sort()
        s += lst[0] + lst[-1] + lst[2]
        mid = lst[1:4]
        s += mid[0] + len(mid) + lst.index(i + 4)
        lst.reverse()
        lst.extend(base[:2])
        s += lst.pop() + lst.pop(0) + len(lst)
        block.append((i * 37) % 256)
        if len(block) == 256:
            block.sort()
            s += block[17] + block[-1]
            block = []
    s += len(block)
    return (s,)


def e_lists(n):
    # per iteration: (3i+7) + (i+1 + 3 + 4) + (8 + i+5 + 6); a full block of
    # 256 holds (i*37) % 256, a permutation of 0..255 (37 is odd)
    return (5 * sum_range(n) + 34 * n + (n // 256) * (17 + 255) + n % 256,)


def t_tuples(n):
    s = 0
    for i in range(n):
        t = (i, i + 1, i + 2)
        a, b, c = t
        u = t + (a,)
        v = u[1:3]
        s += c - a + len(u) + v[0] + u[-1]
        if (a, b) < (b, a):
            s += 1
        s += hash(t) == hash((i, i + 1, i + 2))
        x, *rest = u
        a, b = b, a
        s += len(rest) + a - b + (x == i) + t.count(i) + t.index(i + 2)
    return (s,)


def e_tuples(n):
    # (2 + 4 + i+1 + i) + 1 + 1 + (3 + 1 + 1 + 1 + 2)
    return (2 * sum_range(n) + 17 * n,)


STR_KEYS = ["key%d" % k for k in range(1024)]


def t_dicts(n):
    d = {}
    named = {}
    keys = STR_KEYS
    s = 0
    for i in range(n):
        k = i & 1023
        d[k] = i
        named[keys[k]] = k
        s += d[k] + named[keys[k]] + (k in d) + d.get(-1, 0)
        s += ("key0" in named) + named.get("nokey", 0)
        if i & 3 == 0:
            del d[k]
        elif i & 3 == 1:
            s += d.pop(k)
            d[k] = i
    s += len(d) + len(named) + sum(v for _, v in named.items())
    return (s,)


def e_dicts(n):
    # the keys seen; the last visit of key k deletes it when k % 4 == 0
    m = min(n, 1024)
    c = count_mod(n, 4, 1)  # the pops: i = 4j + 1
    return (sum_range(n) + sum_mod(n, 1024) + 2 * n + 4 * sum_range(c) + c
            + (m - (m + 3) // 4) + m + sum_range(m),)


def t_comprehensions(n):
    r8 = range(8)
    r3 = range(3)
    s = 0
    for i in range(n):
        s += sum([x + i for x in r8])
        s += len({x: x for x in r8 if x & 1})
        s += len({x % 5 for x in r8})
        s += sum(x * x for x in r8)
        s += len([(a, b) for a in r3 for b in r3 if a != b])
    return (s,)


def e_comprehensions(n):
    return (8 * sum_range(n) + (28 + 4 + 5 + 140 + 6) * n,)


GLOBAL_K = 3


class Node:
    ck = 5

    def __init__(self):
        self.a = 1
        self.b = 2
        self.child = None


def t_lookups(n):
    o = Node()
    o.child = Node()
    local = 7
    tri = (1, 2, 3)
    s = 0
    for i in range(n):
        o.c = i
        s += o.a + o.b + o.ck + Node.ck + GLOBAL_K + local + o.c
        s += o.child.a + getattr(o, "b") + len(tri) + abs(-1) + math.floor(0.5)
    return (s,)


def e_lookups(n):
    return (sum_range(n) + (1 + 2 + 5 + 5 + 3 + 7 + 1 + 2 + 3 + 1) * n,)


class BenchError(Exception):
    pass


def thrower(i):
    raise BenchError(i)


def t_exceptions(n):
    s = 0
    for i in range(n):
        try:
            raise ValueError
        except ValueError:
            s += 1
        try:
            thrower(i)
        except BenchError as e:
            s += e.args[0] & 7
        try:
            s += 1
        except KeyError:
            s -= 1000
        finally:
            s += 1
        try:
            {}[i]
        except LookupError:
            s += 1
        try:
            try:
                raise KeyError(i)
            except KeyError:
                raise TypeError from None
        except TypeError:
            s += 1
    return (s,)


def e_exceptions(n):
    return (5 * n + sum_mod(n, 8),)


def t_loops(n):
    s = c0 = c1 = c2 = 0
    r5 = range(5)
    for i in range(n):
        j = 0
        while j < 4:
            s += j
            j += 1
        for k in r5:
            if k == 3:
                continue
            s += k
        for k in r5:
            if k == 2:
                break
            s += 1
        m = i % 3
        if m == 0:
            c0 += 1
        elif m == 1:
            c1 += 1
        else:
            c2 += 1
    return (s, c0, c1, c2)


def e_loops(n):
    return ((6 + 7 + 2) * n, count_mod(n, 3, 0), count_mod(n, 3, 1),
            count_mod(n, 3, 2))


# The tests in their order, each with its scale: with --iterations N a test
# runs N * scale inner iterations, the scales chosen so that every test takes
# about as long (within 1.5x of each other here).
TESTS = {
    "arith_int": 7,
    "arith_float": 10,
    "calls": 4,
    "methods": 3,
    "strings": 1,
    "unicode": 2,
    "lists": 3,
    "tuples": 3,
    "dicts": 6,
    "comprehensions": 1,
    "lookups": 10,
    "exceptions": 1,
    "loops": 5,
}


# ---- running, checking, reporting -------------------------------------------

def same(expected, got):
    if not isinstance(got, tuple) or len(got) != len(expected):
        return False
    for e, g in zip(expected, got):
        if isinstance(e, float):
            if not isinstance(g, float) or not math.isclose(
                    g, e, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif type(g) is not type(e) or g != e:
            return False
    return True


def show(values):
    return " ".join(repr(v) for v in values)


def corrupt(values):
    """VB_BENCH_BREAK's doing: the first value of a result, off by one."""
    return (values[0] + 1,) + values[1:]


def positive(limit):
    def parse(text):
        if not text.isascii() or not text.isdigit() or text.startswith("0"):
            raise argparse.ArgumentTypeError(
                "%r is not a positive integer" % text)
        value = int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(
                "%s is out of range (1..%d)" % (text, limit))
        return value
    return parse


def test_names(text):
    names = text.split(",")
    for name in names:
        if name == "":
            raise argparse.ArgumentTypeError("empty test name in %r" % text)
        if name not in TESTS:
            raise argparse.ArgumentTypeError(
                "unknown test %r (see --list)" % name)
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError("a test named twice in %r" % text)
    return names


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="pybench.py", allow_abbrev=False,
        description="Python interpreter micro-benchmarks (virtbench).")
    p.add_argument("--iterations", type=positive(MAX_ITERATIONS),
                   default=DEFAULT_ITERATIONS, metavar="N",
                   help="inner iterations of each test (default %(default)s)")
    p.add_argument("--rounds", type=positive(MAX_ROUNDS),
                   default=DEFAULT_ROUNDS, metavar="R",
                   help="rounds; each test reports its minimum "
                        "(default %(default)s)")
    p.add_argument("--only", type=test_names, metavar="TEST[,TEST]",
                   help="run these tests only")
    p.add_argument("--list", action="store_true",
                   help="print the test names and exit")
    args = p.parse_args(argv)
    brk = os.environ.get("VB_BENCH_BREAK", "")
    if brk and brk not in TESTS:
        p.error("VB_BENCH_BREAK: unknown test %r" % brk)
    args.brk = brk
    return args


def main(argv):
    args = parse_args(argv)
    if args.list:
        sys.stdout.write("".join(name + "\n" for name in TESTS))
        return 0
    chosen = [name for name in TESTS if args.only is None or name in args.only]
    loops = {name: args.iterations * TESTS[name] for name in chosen}
    expected = {name: globals()["e_" + name](loops[name]) for name in chosen}
    best = {}
    for _ in range(args.rounds):
        for name in chosen:
            fn = globals()["t_" + name]
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                got = fn(loops[name])
                elapsed = time.perf_counter() - start
            finally:
                gc.enable()
            if name == args.brk:
                got = corrupt(got)
            if not same(expected[name], got):
                sys.stderr.write("error %s: expected %s, got %s\n" % (
                    name, show(expected[name]), show(got)))
                return 1
            best[name] = min(best.get(name, elapsed), elapsed)
    out = ["test %s %.6f\n" % (name, best[name]) for name in chosen]
    out.append("total %.6f\n" % sum(best[name] for name in chosen))
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
