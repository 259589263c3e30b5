"""This process's resident memory, for the startup probe, the benchmarks and the endurance tests."""


def resident_mb() -> float:
    """VmRSS in MB (Linux; 0.0 where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return 0.0
