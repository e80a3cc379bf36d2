#!/bin/bash
# systemd-analyze verify on the fabric's unit, as an instance. The unit names the packaged
# /usr/bin/constellation-fabric, which verify requires to exist: the copy checked here names the
# daemon just built instead, and nothing else differs.
#   verify_systemd_unit.sh UNIT FABRIC_BINARY SCRATCH_DIR
set -euo pipefail
unit=$1 fabric=$2 scratch=$3
rm -rf "$scratch" && mkdir -p "$scratch"
grep -q '^ExecStart=/usr/bin/constellation-fabric ' "$unit" || { echo "the unit must start /usr/bin/constellation-fabric" >&2; exit 1; }
for key in 'Delegate=yes' 'Restart=on-failure' 'LoadCredential=secret:' 'KillMode=control-group'; do
  grep -q "^$key" "$unit" || { echo "the unit lacks $key" >&2; exit 1; }
done
sed "s|^ExecStart=/usr/bin/constellation-fabric |ExecStart=$fabric |" "$unit" > "$scratch/constellation-fabric@.service"
# An instance name without ':' (verify reads "a:b" as a path and a unit); ':' is fine for systemctl.
ln -s constellation-fabric@.service "$scratch/constellation-fabric@node1.service"
output=$(systemd-analyze verify --man=no "$scratch/constellation-fabric@node1.service" 2>&1) || {
  echo "$output" >&2
  exit 1
}
# verify reports some problems without failing: any line about our unit is one.
if grep -q 'constellation-fabric' <<< "$output"; then
  echo "$output" >&2
  exit 1
fi
echo "systemd-analyze verify: constellation-fabric@.service is valid"
