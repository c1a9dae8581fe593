#!/usr/bin/python3
# Writes the hand-made results documents tests/unit/test-recommend.c and
# tests/integration/recommend.sh read (run it here after changing it):
# a compare run (ratios to the host), an ops run, an isolation run and a
# features run of made-up platforms, with numbers chosen so that each test
# has one thing to find: container leads on overhead and operations, kvm
# on isolation, xen is measured by ops alone (overhead unknown), and
# container and kvm are close on the broker.
import copy, json, os

here = os.path.dirname(os.path.abspath(__file__))
base = json.load(open(os.path.join(here, "..", "results", "run-host.json")))


def platform(name, emulated=0):
    return {"name": name, "emulated": emulated,
            "spec": {"vcpus": 0, "memory_bytes": 0, "disk_bytes": 0, "net": "none", "image": None},
            "agent_sha256": "0" * 64}


def verdict_of(ratio, half, higher):
    """As virtbench decides: the interval off 1 (faster or slower by the metric's
    direction), within 1 +- 5 % (equivalent), else inconclusive."""
    lo, hi = ratio * (1 - half), ratio * (1 + half)
    if lo > 1 or hi < 1:
        return "faster" if (lo > 1) == higher else "slower"
    return "equivalent" if lo >= 0.95 and hi <= 1.05 else "inconclusive"


def summary(p, w, m, mean, ratio=None, half=0.05, higher=True):
    s = {"platform": p, "workload": w, "metric": m, "n": 5, "mean": mean, "median": mean,
         "stdev": mean * 0.02, "min": mean * 0.97, "max": mean * 1.03,
         "ci_low": mean * 0.97, "ci_high": mean * 1.03,
         "ratio": ratio, "ratio_low": None if ratio is None else ratio * (1 - half),
         "ratio_high": None if ratio is None else ratio * (1 + half),
         "verdict": "none" if ratio is None else verdict_of(ratio, half, higher), "outliers": 0}
    return s


def doc(run_id, experiment, platforms, workloads, summaries, baseline=None, extra=None):
    d = copy.deepcopy(base)
    d["run"]["id"] = run_id
    d["run"]["tag"] = "vb-%08x" % (0x1000 + run_id)
    d["run"]["experiment"] = experiment
    d["run"]["command"] = "virtbench %s (made up: tests/data/recommend/make-fixtures.py)" % experiment
    d["run"]["config"] = {"platforms": [p["name"] for p in platforms],
                          "workloads": [w["name"] for w in workloads],
                          "baseline": baseline, "equivalence": 0.05}
    d["platforms"] = platforms
    d["workloads"] = workloads
    d["samples"] = []
    d["summaries"] = summaries
    if extra:
        d.update(extra)
    return d


def metric(name, unit, higher):
    return {"name": name, "unit": unit, "higher_is_better": higher}


W = {
    "mw.broker": ("middleware", [metric("publish_rate", "msg/s", True), metric("start_s", "s", False)]),
    "mw.docstore": ("middleware", [metric("insert_rate", "ops/s", True)]),
    "cpu.primes": ("w1", [metric("elapsed", "s", False)]),
    "mem.memcpy": ("w2", [metric("bandwidth", "MiB/s", True)]),
    "disk.fileio": ("w4", [metric("seq_write", "MiB/s", True)]),
}


def workloads(names):
    return [{"name": n, "group": W[n][0], "params": {}, "metrics": W[n][1]} for n in names]


# Overhead: ratios to the host (goodness: rate as is, times inverted).
ratios = {
    "container": {"mw.broker": (0.97, 1.05), "mw.docstore": (0.86,), "cpu.primes": (1.0,),
                  "mem.memcpy": (0.98,), "disk.fileio": (0.95,)},
    "kvm": {"mw.broker": (0.95, 1.10), "mw.docstore": (0.70,), "cpu.primes": (1.05,),
            "mem.memcpy": (0.97,), "disk.fileio": (0.60,)},
    "qemu-tcg": {"mw.broker": (0.04, 7.0), "mw.docstore": (0.05,), "cpu.primes": (12.0,),
                 "mem.memcpy": (0.13,), "disk.fileio": (0.3,)},
}
names = list(W)
sums = []
for w in names:
    for m in W[w][1]:
        sums.append(summary("host", w, m["name"], 100.0))
for p, rs in ratios.items():
    for w in names:
        for m, r in zip(W[w][1], rs[w]):
            sums.append(summary(p, w, m["name"], 100.0 * r, r, 0.08 if w == "mw.broker" else 0.03,
                                m["higher_is_better"]))
compare = doc(11, "compare", [platform("host"), platform("container"), platform("kvm"),
                              platform("qemu-tcg", 1)], workloads(names), sums, "host")

# ops: container fastest, xen slowest; xen has no overhead figures anywhere.
ops_w = [{"name": "ops.lifecycle", "group": "ops", "params": {},
          "metrics": [metric(m, u, False) for m, u in (("provision_s", "s"), ("boot_s", "s"),
                                                      ("clone_s", "s"), ("footprint_bytes", "B"))]}]
ops_means = {"container": (0.01, 0.05, 0.004, 8e6), "kvm": (0.4, 2.0, 0.02, 1.5e8),
             "qemu-tcg": (0.4, 20.0, 0.02, 1.6e8), "xen": (1.0, 30.0, 3.0, 2.5e8)}
sums = []
for p, ms in ops_means.items():
    for m, v in zip(ops_w[0]["metrics"], ms):
        sums.append(summary(p, "ops.lifecycle", m["name"], v))
ops = doc(12, "ops", [platform("container"), platform("kvm"), platform("qemu-tcg", 1),
                      platform("xen")], ops_w, sums)

# isolation: the victim cpu.primes (elapsed, lower is better) beside stress.cpu.
iso_w = workloads(["cpu.primes"]) + [{"name": "stress.cpu", "group": "aggressor", "params": {},
                                      "metrics": [metric("bogo_ops", "ops/s", True)]}]
slow = {"container": {"noisy": 1.9, "noisy+pin": 1.2}, "kvm": {"noisy": 1.15, "noisy+pin": 1.05},
        "qemu-tcg": {"noisy": 1.5}, "xen": {"noisy": 1.1}, "host": {"noisy": 2.0}}
plats, sums = [], []
for p, conds in slow.items():
    plats.append(platform(p + ":alone", 1 if p == "qemu-tcg" else 0))
    sums.append(summary(p + ":alone", "cpu.primes", "elapsed", 1.0))
    for c, r in conds.items():
        plats.append(platform(p + ":" + c, 1 if p == "qemu-tcg" else 0))
        sums.append(summary(p + ":" + c, "cpu.primes", "elapsed", r, r, 0.05, False))
        sums.append(summary(p + ":" + c, "stress.cpu", "bogo_ops", 1000.0))
iso = doc(13, "isolation", plats, iso_w, sums)
iso["run"]["config"]["baseline"] = None

feat_rows = []
for p, mig, kern in (("container", "no", "no"), ("kvm", "yes", "yes"), ("qemu-tcg", "yes", "yes"),
                     ("xen", "yes", "yes"), ("host", "n/a", "n/a")):
    feat_rows.append({"platform": p, "feature": "live-migration", "value": mig, "how": "probed",
                      "detail": "made up"})
    feat_rows.append({"platform": p, "feature": "isolated-kernel-updates", "value": kern,
                      "how": "by design", "detail": "made up"})
features = doc(14, "features", [platform("host"), platform("container"), platform("kvm"),
                                platform("qemu-tcg", 1), platform("xen")], [], [],
               extra={"features": feat_rows})

for name, d in (("compare", compare), ("ops", ops), ("isolation", iso), ("features", features)):
    with open(os.path.join(here, name + ".json"), "w") as f:
        json.dump(d, f, indent=1)
        f.write("\n")
