#!/usr/bin/env bash
# Check a built .deb: its contents, lintian's errors, then unpack it into a throwaway root and run the
# self-test from there (the /etc/databorder it ships is the policy in force). Usage: packaging/check_deb.sh FILE.deb
set -euo pipefail
deb=${1:?usage: packaging/check_deb.sh FILE.deb}
listing=$(dpkg-deb -c "$deb")
data=./opt/databorder/_internal/databorder/_data  # the shipped data, inside the package as in a wheel
for wanted in ./opt/databorder/databorder ./opt/databorder/databorder-gui "$data/rules/" \
    "$data/resources/geoip/asn.mmdb" "./usr/bin/databorder -> /opt/databorder/databorder" \
    "./usr/bin/databorder-gui -> /opt/databorder/databorder-gui" ./usr/share/applications/databorder.desktop \
    ./usr/share/icons/hicolor/scalable/apps/databorder.svg ./usr/share/icons/hicolor/256x256/apps/databorder.png \
    ./etc/databorder/policy.toml ./usr/share/doc/databorder/copyright \
    ./usr/lib/systemd/user/databorder-inventory.service ./usr/lib/systemd/user/databorder-inventory.timer; do
  grep -qF -- "$wanted" <<<"$listing" || { echo "missing from the package: $wanted"; exit 1; }
done
dpkg-deb -f "$deb" Depends | grep -q libxcb1 || { echo "Depends lacks the system libraries"; exit 1; }
grep -qx /etc/databorder/policy.toml < <(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles) \
  || { echo "policy.toml is not a conffile"; exit 1; }
if command -v lintian >/dev/null; then
  errors=$(lintian "$deb" 2>&1 | grep '^E:' || true)
  if [ -n "$errors" ]; then echo "lintian errors:"; echo "$errors"; exit 1; fi
  echo "lintian: no errors ($(lintian "$deb" 2>&1 | grep -c '^W:' || true) warnings)"
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
DATABORDER_SYSTEM_CONFIG="$root/etc/databorder" QT_QPA_PLATFORM=offscreen "$root/opt/databorder/databorder" selftest
echo "$deb: $(du -h "$deb" | cut -f1), installed $(du -sh "$root/opt/databorder" | cut -f1)"
