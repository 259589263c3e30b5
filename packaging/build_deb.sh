#!/usr/bin/env bash
# A Debian package of the one-folder desktop build: `make deb` (after `make package`).
#
#   packaging/build_deb.sh [BUILD_FOLDER] [OUT_DIR]     (defaults: dist/tajweed-desktop, dist)
#
# It holds the PyInstaller folder as /opt/tajweed-desktop, /usr/bin launchers for both programs
# (tajweed-desktop, and tajweed-check, which is the same executable's `check` command), the menu
# entry and the icon. Depends: the system libraries the folder's programs and libraries link to
# that PyInstaller leaves to the system (found with ldd and mapped to their packages with dpkg -S on
# this build machine), plus the few that Qt's xcb and wayland plugins need and a build machine
# without a desktop may lack. No maintainer scripts: dpkg installs files and removes exactly them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-dist/tajweed-desktop}
OUT=${2:-dist}
NAME=tajweed-desktop
[ -x "$BUILD/$NAME" ] || { echo "no desktop build in $BUILD: run 'make package' first" >&2; exit 2; }
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
ARCH=$(dpkg --print-architecture)
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/root"

mkdir -p "$ROOT/opt" "$ROOT/usr/bin" "$ROOT/usr/share/applications" "$ROOT/usr/share/icons/hicolor/scalable/apps" \
         "$ROOT/usr/share/doc/$NAME" "$ROOT/DEBIAN"
cp -a "$BUILD" "$ROOT/opt/$NAME"
printf '#!/bin/sh\nexec /opt/%s/%s "$@"\n' "$NAME" "$NAME" > "$ROOT/usr/bin/tajweed-desktop"
printf '#!/bin/sh\nexec /opt/%s/%s check "$@"\n' "$NAME" "$NAME" > "$ROOT/usr/bin/tajweed-check"
chmod 0755 "$ROOT/usr/bin/tajweed-desktop" "$ROOT/usr/bin/tajweed-check"
install -m 0644 packaging/tajweed-desktop.desktop "$ROOT/usr/share/applications/$NAME.desktop"
install -m 0644 packaging/tajweed-desktop.svg "$ROOT/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
install -m 0644 packaging/deb-copyright "$ROOT/usr/share/doc/$NAME/copyright"

# The system libraries the folder links to: every ELF file's ldd, the libraries outside the folder,
# their packages. A library ldd cannot find here must be in KNOWN_MISSING (its package named).
declare -A KNOWN_MISSING=(
  [libxcb-icccm.so.4]=libxcb-icccm4 [libxcb-keysyms.so.1]=libxcb-keysyms1
  [libwayland-cursor.so.0]=libwayland-cursor0 [libwayland-egl.so.1]=libwayland-egl1
  [libxcb-cursor.so.0]=libxcb-cursor0
)
declare -A PKGS=()
missing=()
while IFS= read -r -d '' f; do
  head -c 4 "$f" | grep -q $'\x7fELF' || continue
  while read -r lib arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if [ "$path" = "not" ]; then
      if [ -n "${KNOWN_MISSING[$lib]:-}" ]; then PKGS[${KNOWN_MISSING[$lib]}]=1; else missing+=("$lib (${f#"$BUILD"/})"); fi
      continue
    fi
    case "$(readlink -f "$path")" in "$(readlink -f "$BUILD")"/*) continue ;; esac
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || true)
    [ -n "$pkg" ] || { missing+=("$lib (no package owns $path)"); continue; }
    PKGS[${pkg%%:*}]=1
  done < <(ldd "$f" 2>/dev/null || true)
done < <(find "$BUILD" -type f \( -name '*.so*' -o -name "$NAME" \) -print0)
if [ ${#missing[@]} -gt 0 ]; then
  printf 'libraries with no known package:\n' >&2; printf '  %s\n' "${missing[@]}" | sort -u >&2; exit 1
fi
for p in "${KNOWN_MISSING[@]}"; do PKGS[$p]=1; done
DEPENDS=$(printf '%s\n' "${!PKGS[@]}" | sort -u | paste -sd, | sed 's/,/, /g')

SIZE_KB=$(du -sk --apparent-size "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<EOF
Package: $NAME
Version: $VERSION
Architecture: $ARCH
Maintainer: Tajweed Checker developers <tajweed-desktop@localhost>
Installed-Size: $SIZE_KB
Depends: $DEPENDS
Recommends: libportaudio2, fonts-hosny-amiri
Section: education
Priority: optional
Homepage: https://localhost/tajweed-desktop
Description: desktop checker for Tajweed rules in Quranic recitation
 Checks the Tajweed rules of noon sakinah and tanween (Idgham, Ikhfa, Iqlab,
 Izhar) in a short recitation: a desktop app for learners and teachers and the
 command-line checker tajweed-check. Runs offline on the CPU; the models and
 the Quran text ship inside the package.
EOF

mkdir -p "$OUT"
DEB="$OUT/${NAME}_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "$DEB: $(stat -c %s "$DEB" | awk '{printf "%.1f MB", $1/1e6}') (installed $((SIZE_KB / 1024)) MiB); Depends: $DEPENDS"
