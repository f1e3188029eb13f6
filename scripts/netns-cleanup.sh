#!/usr/bin/env bash
# scripts/netns-cleanup.sh [PREFIX]
#
# Removes what a killed netns test or benchmark left behind: every network namespace whose
# name starts with PREFIX (default "fu-", the prefix of everything src/drivers/netns/ip.ts
# creates) after killing, by PID, the processes living in it, then the links with that prefix
# in the initial namespace. Touches nothing else. Root only; safe to run repeatedly.
set -euo pipefail
PREFIX="${1:-fu-}"
[[ "$PREFIX" == fu-* ]] || { echo "netns-cleanup: prefix must start with fu-" >&2; exit 2; }
[[ "$(id -u)" -eq 0 ]] || { echo "netns-cleanup: needs root" >&2; exit 1; }
mapfile -t NSS < <(ip netns list | awk '{print $1}' | grep "^${PREFIX}" || true)
for ns in "${NSS[@]}"; do
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
done
sleep 0.2
for ns in "${NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
mapfile -t LINKS < <(ip -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | grep "^${PREFIX}" || true)
for l in "${LINKS[@]}"; do ip link del "$l" 2>/dev/null || true; done
echo "netns-cleanup: removed ${#NSS[@]} namespace(s) and ${#LINKS[@]} link(s) starting with ${PREFIX}"
