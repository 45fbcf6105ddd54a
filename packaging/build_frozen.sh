#!/usr/bin/env bash
# Build the frozen onedir app (dist/databorder/ holding `databorder` and `databorder-gui`), then self-test it.
# Run from anywhere; needs the dev extra (pyinstaller). Prints the build time and the installed size.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
python3 -m PyInstaller packaging/databorder.spec --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller
echo "frozen build: $(( $(date +%s) - started )) s, $(du -sh dist/databorder | cut -f1) in dist/databorder/"
# Every library the kept Qt libraries and plugins need must be in the bundle or on any desktop (the .deb's Depends).
missing=$(find dist/databorder/_internal -name '*.so*' -type f -exec ldd {} + 2>/dev/null | grep 'not found' | sort -u || true)
if [ -n "$missing" ]; then echo "libraries missing from the bundle:"; echo "$missing"; exit 1; fi
QT_QPA_PLATFORM=offscreen dist/databorder/databorder selftest
