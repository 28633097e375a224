#!/usr/bin/env python3
"""Time VMM commands through a pipe on their serial output, several runs, medians.

  measure.py firstbyte RUNS -- CMD1... [-- CMD2...]   process start -> first byte on stdout, and
                                                      process start -> exit
  measure.py pio RUNS -- CMD1... [-- CMD2...]         wall time between the pio-loop guest's
                                                      "start" and "done" lines, per exit, and the
                                                      guest's own TSC cycles per exit (its PIO
                                                      and MMIO phases)

The commands run alternately (1, 2, 1, 2 ...) so that load from elsewhere on the host hits both
alike. Prints "N key median min max" lines (N = command number) for bench/x86-boot.sh.
The clock starts right before the process is spawned, so interpreter start-up is not counted.
"""
import os
import re
import statistics
import subprocess
import sys
import time


def spawn(cmd):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, bufsize=0)


def run_firstbyte(cmd):
    t0 = time.perf_counter_ns()
    p = spawn(cmd)
    first = p.stdout.read(1)
    t1 = time.perf_counter_ns()
    p.stdout.read()
    rc = p.wait()
    t2 = time.perf_counter_ns()
    if not first:
        raise RuntimeError(f"no serial output (exit status {rc})")
    return {"first_byte_ms": (t1 - t0) / 1e6, "exit_ms": (t2 - t0) / 1e6, "status": rc}


def run_pio(cmd):
    """Each "<phase>-loop: start" / "<phase>-loop: done n=N ... cycles_per_exit=C" pair."""
    p = spawn(cmd)
    starts, out = {}, {}
    buf = b""
    while True:
        chunk = os.read(p.stdout.fileno(), 4096)
        now = time.perf_counter_ns()
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode(errors="replace").strip()
            m = re.match(r"(\w+)-loop: (start|done)", text)
            if not m:
                continue
            phase = m.group(1)
            if m.group(2) == "start":
                starts[phase] = now
                continue
            d = re.search(r"n=(\d+) tsc_cycles=\d+ cycles_per_exit=(\d+)", text)
            if d and phase in starts:
                n = int(d.group(1))
                out[f"{phase}_exit_us"] = (now - starts[phase]) / 1e3 / n
                out[f"{phase}_exit_cycles"] = int(d.group(2))
    rc = p.wait()
    if "pio_exit_us" not in out:
        raise RuntimeError(f"pio-loop lines missing (exit status {rc})")
    out["status"] = rc
    return out


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    mode, runs = sys.argv[1], int(sys.argv[2])
    cmds, cur = [], None
    for arg in sys.argv[3:]:
        if arg == "--":
            cur = []
            cmds.append(cur)
        else:
            cur.append(arg)
    fn = {"firstbyte": run_firstbyte, "pio": run_pio}[mode]
    results = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            try:
                results[i].append(fn(cmd))
            except RuntimeError as e:
                print(f"error command {i + 1}: {e}")
                sys.exit(1)
    for i, res in enumerate(results):
        for key in res[0]:
            vals = [r[key] for r in res]
            if key == "status":
                print(i + 1, "status", " ".join(sorted(set(str(v) for v in vals))))
                continue
            fmt = "{:.0f}" if key.endswith("cycles") else "{:.3f}"
            print(i + 1, key, *(fmt.format(v) for v in (statistics.median(vals), min(vals), max(vals))))


if __name__ == "__main__":
    main()
