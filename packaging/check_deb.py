"""Install the .deb as a user would, use both programs, remove it: `make deb-check` (root; CI).

    python packaging/check_deb.py dist/tajweed-desktop_<version>_<arch>.deb [CLIP]

1. `apt install -y ./FILE.deb` (apt fetches the system libraries it depends on).
2. Every ELF file under /opt/tajweed-desktop finds all its libraries (ldd: no "not found"), so
   the package's Depends are complete; the menu entry, the icon and both launchers are in place.
3. `/usr/bin/tajweed-check CLIP --json` (from outside the checkout, without PYTHONPATH) gives the
   dev environment's verdict (`tajweed-check --device cpu --precision fp32`), every probability
   within 1e-6, with each bundled model.
4. `/usr/bin/tajweed-desktop CLIP` started headless with the startup probe (check_build.launch):
   the model loads, torch is never imported, and the verdict is the checker's.
5. `apt remove -y tajweed-desktop`: the package is gone from dpkg's records and none of the files
   it installed is left (nor /opt/tajweed-desktop).
Prints the .deb's size and the installed size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_build import DEFAULT_CLIP, MODELS, PROB_TOLERANCE, checker, launch  # noqa: E402

PACKAGE = "tajweed-desktop"
FOLDER = Path("/opt/tajweed-desktop")
EXPECTED = [Path("/usr/bin/tajweed-desktop"), Path("/usr/bin/tajweed-check"), FOLDER / "tajweed-desktop",
            Path("/usr/share/applications/tajweed-desktop.desktop"),
            Path("/usr/share/icons/hicolor/scalable/apps/tajweed-desktop.svg")]


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=check, capture_output=True, text=True,
                          env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def unresolved_libraries() -> list[str]:
    bad = set()
    for f in FOLDER.rglob("*"):
        if not f.is_file() or f.is_symlink() or not (f.suffix == ".so" or ".so." in f.name or f.name == "tajweed-desktop"):
            continue
        with f.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", str(f)], capture_output=True, text=True).stdout
        bad.update(f"{line.split()[0]} ({f.relative_to(FOLDER)})" for line in out.splitlines() if "not found" in line)
    return sorted(bad)


def main() -> int:
    deb = Path(sys.argv[1]).resolve()
    clip = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else DEFAULT_CLIP
    ok = True
    installed_kb = None
    files: list[Path] = []
    sh("apt", "install", "-y", "-q", str(deb))
    try:
        files = [Path(p) for p in sh("dpkg", "-L", PACKAGE).stdout.splitlines() if p.strip()]
        installed_kb = int(sh("dpkg-query", "-W", "-f=${Installed-Size}", PACKAGE).stdout)
        missing = [str(p) for p in EXPECTED if not p.exists()]
        print(f"installed: {len(files)} paths; launchers, menu entry and icon: {'ok' if not missing else 'MISSING ' + ', '.join(missing)}")
        ok &= not missing
        unresolved = unresolved_libraries()
        print(f"libraries the installed folder cannot find: {', '.join(unresolved) or 'none'}")
        ok &= not unresolved

        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TAJWEED_MODELS_DIR")}
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            env = dict(env, XDG_CACHE_HOME=str(tmp / "cache"), TAJWEED_CACHE_DIR=str(tmp / "cache"))
            top = None
            for model in MODELS:
                args = [str(clip), "--model", model, "--json", "--device", "cpu", "--precision", "fp32"]
                got = checker(["/usr/bin/tajweed-check", *args], dict(env, HOME=str(tmp)))
                dev = checker([sys.executable, "-m", "tajweed_desktop.cli", *args], dict(env, PYTHONPATH=str(Path(__file__).resolve().parents[1])))
                worst = max(abs(got["probabilities"][k] - dev["probabilities"][k]) for k in dev["probabilities"])
                same = got["top_rule"] == dev["top_rule"] and worst <= PROB_TOLERANCE
                ok &= same
                print(f"/usr/bin/tajweed-check, {model}: {got['top_rule']} ({got['confidence']:.3f}); the checkout's "
                      f"{dev['top_rule']}; largest probability difference {worst:.1e} {'ok' if same else 'FAILED'}")
                top = top or got["top_rule"]
            genv = dict(env, HOME=str(tmp), QT_QPA_PLATFORM="offscreen", TAJWEED_STARTUP_PROBE=str(tmp / "probe.json"),
                        XDG_CONFIG_HOME=str(tmp / "cfg"), XDG_STATE_HOME=str(tmp / "state"))
            rec = launch(Path("/usr/bin/tajweed-desktop"), genv, tmp, clip)
            gui_ok = rec["model_ok"] and not rec.get("torch_imported") and rec.get("top_rule") == top
            ok &= gui_ok
            print(f"/usr/bin/tajweed-desktop (offscreen, startup probe): window {rec['window_s']:.2f} s, ready "
                  f"{rec['ready_s']:.2f} s, {rec['rss_mb']:.0f} MB, model loaded: {rec['model_ok']}, torch imported: "
                  f"{rec.get('torch_imported')}, verdict {rec.get('top_rule') or rec.get('analysis_error')} "
                  f"{'ok' if gui_ok else 'FAILED'}")
    finally:
        sh("apt", "remove", "-y", "-q", PACKAGE)
    status = sh("dpkg-query", "-W", "-f=${Status}", PACKAGE, check=False)
    gone = status.returncode != 0 or "not-installed" in status.stdout
    left = [str(p) for p in files if p.exists() and not p.is_dir()]
    left += [str(FOLDER)] if FOLDER.exists() else []
    print(f"after apt remove: package {'gone' if gone else 'still recorded: ' + status.stdout}; "
          f"files left: {', '.join(left[:5]) or 'none'}{' …' if len(left) > 5 else ''}")
    ok &= gone and not left
    print(f"{deb.name}: {deb.stat().st_size / 1e6:.1f} MB; installed {installed_kb / 1024 if installed_kb else 0:.1f} MiB")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
