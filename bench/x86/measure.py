#!/usr/bin/env python3
"""Time one VMM command through a pipe on its serial output, several runs, medians.

  measure.py firstbyte RUNS -- CMD...   process start -> first byte on stdout; process start -> exit
  measure.py pio RUNS -- CMD...         wall time between the pio-loop guest's "start" and "done"
                                        lines, per exit, and the guest's own TSC cycles per exit

Prints "key value" lines (medians over RUNS; also min and max) for bench/x86-boot.sh.
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
    p = spawn(cmd)
    start = done = None
    n = cycles = None
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
            if text.startswith("pio-loop: start"):
                start = now
            elif text.startswith("pio-loop: done"):
                done = now
                m = re.search(r"n=(\d+) tsc_cycles=\d+ cycles_per_exit=(\d+)", text)
                if m:
                    n, cycles = int(m.group(1)), int(m.group(2))
    rc = p.wait()
    if start is None or done is None or not n:
        raise RuntimeError(f"pio-loop lines missing (exit status {rc})")
    return {"pio_exit_us": (done - start) / 1e3 / n, "pio_exit_cycles": cycles, "status": rc}


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    mode, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
    fn = {"firstbyte": run_firstbyte, "pio": run_pio}[mode]
    results = []
    for _ in range(runs):
        try:
            results.append(fn(cmd))
        except RuntimeError as e:
            print(f"error {e}")
            sys.exit(1)
    for key in results[0]:
        vals = [r[key] for r in results]
        if key == "status":
            print(f"status {' '.join(sorted(set(str(v) for v in vals)))}")
            continue
        fmt = "{:.0f}" if key.endswith("cycles") else "{:.3f}"
        print(key, *(fmt.format(v) for v in (statistics.median(vals), min(vals), max(vals))))


if __name__ == "__main__":
    main()
