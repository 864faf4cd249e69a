#!/usr/bin/env bash
# prepare-host.sh (installed as /usr/sbin/mgw-prepare-host): the runtime part of preparing a host
# for mgw-dataplane's DPDK backend. Dry run by default: it checks the host and prints what it
# would change; --apply makes the changes. Idempotent: what is already as asked is left alone.
#
# What it does (each step only when configured):
#   checks      CPU flags, IOMMU, kernel command line, io_uring (report only, never changes)
#   hugepages   reserve N pages of 2M or 1G (dpdk-hugepages.py, or sysfs when it is missing)
#   hugetlbfs   mount a hugetlbfs owned by the mgw user (only needed without --in-memory)
#   vfio        load vfio-pci
#   bind        bind NICs to vfio-pci with dpdk-devbind.py (never --force: it refuses NICs in use)
#   vfio perms  give group mgw access to the /dev/vfio/<group> of each bound NIC
#   irq         move IRQs (and the default IRQ affinity) onto housekeeping CPUs
# What it does not do: anything needing a reboot (kernel command line), persistent NIC binding
# other than through mgw-host-prep.service, udev rules. See HOST-PREP.md.
#
# Settings come from a shell-style file (--config, default /etc/mgw/host-prep.conf when it
# exists; example in /usr/share/doc/mgw/examples/host-prep.conf.example), then from options.
set -euo pipefail

prog=${0##*/}
usage() {
  cat <<EOF
Usage: $prog [--apply] [--config FILE] [options]

  --apply                   make the changes (default: dry run, print what would change)
  --config FILE             settings file (default: /etc/mgw/host-prep.conf if it exists)
  --hugepage-size 2M|1G     hugepage size                            (HUGEPAGE_SIZE, 2M)
  --hugepages N             pages to reserve, 0: leave as is         (HUGEPAGES, 0)
  --numa-node N             reserve on this NUMA node only           (HUGEPAGE_NODE, all)
  --hugetlbfs-dir DIR       mount a hugetlbfs there for the mgw user (HUGETLBFS_DIR, none)
  --driver DRIVER           driver for DPDK NICs                     (DPDK_DRIVER, vfio-pci)
  --bind PCI[,PCI...]       NICs to hand to DPDK, e.g. 0000:03:00.0  (DPDK_NICS, none)
  --housekeeping-cpus LIST  CPUs for IRQs, e.g. 0-1                  (HOUSEKEEPING_CPUS, none)
  --user USER               user the dataplane runs as               (MGW_USER, mgw)
  -h, --help                this text

Exit status: 0 done (or nothing to do), 1 a step failed, 2 bad usage.
EOF
}

# ---- settings -----------------------------------------------------------------------------
APPLY=0
CONFIG=""
HUGEPAGE_SIZE=2M
HUGEPAGES=0
HUGEPAGE_NODE=""
HUGETLBFS_DIR=""
DPDK_DRIVER=vfio-pci
DPDK_NICS=""
HOUSEKEEPING_CPUS=""
MGW_USER=mgw

# The config file is read first so that options override it; find --config before the rest.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --config) CONFIG=${args[i + 1]:-} ;;
    --config=*) CONFIG=${args[i]#--config=} ;;
  esac
done
if [[ -z "$CONFIG" && -f /etc/mgw/host-prep.conf ]]; then
  CONFIG=/etc/mgw/host-prep.conf
fi
if [[ -n "$CONFIG" ]]; then
  if [[ ! -r "$CONFIG" ]]; then
    echo "$prog: cannot read $CONFIG" >&2
    exit 2
  fi
  # shellcheck source=/dev/null
  . "$CONFIG"
fi

need_arg() { [[ $# -ge 2 && -n "$2" ]] || { echo "$prog: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --apply) APPLY=1 ;;
    --dry-run) APPLY=0 ;;
    --config) need_arg "$@"; shift ;;
    --config=*) ;;
    --hugepage-size) need_arg "$@"; HUGEPAGE_SIZE=$2; shift ;;
    --hugepages) need_arg "$@"; HUGEPAGES=$2; shift ;;
    --numa-node) need_arg "$@"; HUGEPAGE_NODE=$2; shift ;;
    --hugetlbfs-dir) need_arg "$@"; HUGETLBFS_DIR=$2; shift ;;
    --driver) need_arg "$@"; DPDK_DRIVER=$2; shift ;;
    --bind) need_arg "$@"; DPDK_NICS=$2; shift ;;
    --housekeeping-cpus) need_arg "$@"; HOUSEKEEPING_CPUS=$2; shift ;;
    --user) need_arg "$@"; MGW_USER=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$prog: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

case "$HUGEPAGE_SIZE" in
  2M | 2m | 2048K | 2048k) HUGEPAGE_SIZE=2M; hp_kb=2048 ;;
  1G | 1g | 1048576K | 1048576k) HUGEPAGE_SIZE=1G; hp_kb=1048576 ;;
  *) echo "$prog: --hugepage-size must be 2M or 1G" >&2; exit 2 ;;
esac
[[ "$HUGEPAGES" =~ ^[0-9]+$ ]] || { echo "$prog: --hugepages must be a number" >&2; exit 2; }
[[ -z "$HUGEPAGE_NODE" || "$HUGEPAGE_NODE" =~ ^[0-9]+$ ]] ||
  { echo "$prog: --numa-node must be a number" >&2; exit 2; }
[[ -z "$HOUSEKEEPING_CPUS" || "$HOUSEKEEPING_CPUS" =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] ||
  { echo "$prog: --housekeeping-cpus must be a CPU list like 0-1,4" >&2; exit 2; }

if [[ $APPLY -eq 1 && $(id -u) -ne 0 ]]; then
  echo "$prog: --apply needs root" >&2
  exit 2
fi

# ---- output -------------------------------------------------------------------------------
failures=0
changes=0
say() { printf '%-7s %s\n' "$1" "$2"; }
ok() { say "ok" "$*"; }
info() { say "info" "$*"; }
warn() { say "warn" "$*"; }
fail() { say "FAIL" "$*"; failures=$((failures + 1)); }
# change DESCRIPTION COMMAND...: runs the command with --apply, prints it otherwise.
change() {
  local what=$1
  shift
  changes=$((changes + 1))
  if [[ $APPLY -eq 1 ]]; then
    say "change" "$what"
    if ! "$@"; then
      fail "$what: '$*' failed"
      return 1
    fi
  else
    say "would" "$what: $*"
  fi
}
write_file() { printf '%s\n' "$2" >"$1"; }

[[ $APPLY -eq 1 ]] && mode="apply" || mode="dry run (use --apply to make changes)"
echo "$prog: $mode"

# ---- checks (report only) -----------------------------------------------------------------
cmdline=$(cat /proc/cmdline 2>/dev/null || true)
cpuflags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has_flag() { [[ " ${cpuflags#*:} " == *" $1 "* ]]; }

if [[ "$(uname -m)" == x86_64 ]]; then
  if has_flag sse4_2; then ok "CPU has sse4_2"; else fail "CPU lacks sse4_2, which Debian's DPDK requires"; fi
  if has_flag pdpe1gb; then ok "CPU supports 1G pages (pdpe1gb)"
  elif [[ $HUGEPAGE_SIZE == 1G ]]; then fail "CPU lacks pdpe1gb: use --hugepage-size 2M"
  else info "CPU lacks pdpe1gb: 2M pages only"; fi
  if has_flag avx2; then info "CPU has avx2"; else info "CPU lacks avx2 (slower DPDK vector paths)"; fi
fi

iommu_groups=0
if [[ -d /sys/kernel/iommu_groups ]]; then
  iommu_groups=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 -type d | wc -l)
fi
if [[ $iommu_groups -gt 0 ]]; then
  ok "IOMMU on ($iommu_groups groups)"
else
  warn "IOMMU off or absent: vfio-pci needs it (kernel command line intel_iommu=on or amd_iommu=on, and VT-d/AMD-Vi in firmware)"
fi
for word in iommu=pt isolcpus= nohz_full= rcu_nocbs= default_hugepagesz= hugepages=; do
  if [[ " $cmdline " == *" $word"* ]]; then
    ok "kernel command line has ${word%=}: $(tr ' ' '\n' <<<"$cmdline" | grep -m1 "^$word" || true)"
  else
    info "kernel command line lacks ${word%=} (see HOST-PREP.md)"
  fi
done
if [[ -r /proc/sys/kernel/io_uring_disabled ]]; then
  v=$(cat /proc/sys/kernel/io_uring_disabled)
  case "$v" in
    0) ok "io_uring enabled (kernel.io_uring_disabled=0)" ;;
    1) warn "io_uring restricted to the io_uring_group (kernel.io_uring_disabled=1): use backend posix or add mgw to that group" ;;
    *) warn "io_uring disabled (kernel.io_uring_disabled=$v): use backend dpdk or posix" ;;
  esac
else
  info "kernel.io_uring_disabled not present (kernel before 6.6): io_uring available unless seccomp forbids it"
fi
if ! getent passwd "$MGW_USER" >/dev/null 2>&1; then
  warn "user $MGW_USER does not exist yet (install the mgw package first); ownership steps are skipped"
  have_user=0
else
  have_user=1
fi

# ---- hugepages ----------------------------------------------------------------------------
hp_sys=/sys/kernel/mm/hugepages/hugepages-${hp_kb}kB
if [[ $HUGEPAGES -gt 0 ]]; then
  if [[ -n "$HUGEPAGE_NODE" ]]; then
    hp_file=/sys/devices/system/node/node$HUGEPAGE_NODE/hugepages/hugepages-${hp_kb}kB/nr_hugepages
    where="NUMA node $HUGEPAGE_NODE"
  else
    hp_file=$hp_sys/nr_hugepages
    where="all nodes"
  fi
  if [[ ! -e "$hp_file" ]]; then
    fail "no $HUGEPAGE_SIZE hugepages on $where ($hp_file missing)"
  else
    have=$(cat "$hp_file")
    if [[ $have -eq $HUGEPAGES ]]; then
      ok "$have hugepages of $HUGEPAGE_SIZE reserved on $where"
    else
      size_g=$((HUGEPAGES * hp_kb / 1024))M
      if command -v dpdk-hugepages.py >/dev/null 2>&1; then
        cmd=(dpdk-hugepages.py --pagesize "$HUGEPAGE_SIZE" --reserve "$size_g")
        [[ -n "$HUGEPAGE_NODE" ]] && cmd+=(--node "$HUGEPAGE_NODE")
      else
        cmd=(write_file "$hp_file" "$HUGEPAGES")
      fi
      if change "reserve $HUGEPAGES x $HUGEPAGE_SIZE hugepages on $where (now $have)" "${cmd[@]}"; then
        if [[ $APPLY -eq 1 ]]; then
          got=$(cat "$hp_file")
          if [[ $got -lt $HUGEPAGES ]]; then
            fail "only $got of $HUGEPAGES hugepages could be reserved (memory fragmented: reserve them on the kernel command line instead)"
          fi
        fi
      fi
    fi
  fi
else
  if [[ -r $hp_sys/nr_hugepages ]]; then
    info "hugepages of $HUGEPAGE_SIZE: $(cat "$hp_sys/nr_hugepages") reserved, $(cat "$hp_sys/free_hugepages") free (not managed: --hugepages 0)"
  fi
fi

# ---- hugetlbfs mount (only for DPDK without --in-memory) -----------------------------------
if [[ -n "$HUGETLBFS_DIR" ]]; then
  if [[ $have_user -eq 0 ]]; then
    warn "hugetlbfs: skipped, user $MGW_USER missing"
  elif findmnt -n -t hugetlbfs --mountpoint "$HUGETLBFS_DIR" >/dev/null 2>&1; then
    opts=$(findmnt -n -o OPTIONS --mountpoint "$HUGETLBFS_DIR")
    uid=$(id -u "$MGW_USER")
    if [[ ",$opts," == *",pagesize=$HUGEPAGE_SIZE,"* && ",$opts," == *",uid=$uid,"* ]]; then
      ok "hugetlbfs mounted at $HUGETLBFS_DIR ($opts)"
    else
      warn "hugetlbfs at $HUGETLBFS_DIR has options $opts, expected pagesize=$HUGEPAGE_SIZE,uid=$uid: left alone, fix by hand"
    fi
  else
    if [[ ! -d "$HUGETLBFS_DIR" ]]; then
      change "create $HUGETLBFS_DIR" mkdir -p "$HUGETLBFS_DIR" || true
    fi
    # Owner: the user and its primary group, as numbers (group "mgw" for the mgw user).
    change "mount hugetlbfs ($HUGEPAGE_SIZE) at $HUGETLBFS_DIR for $MGW_USER" \
      mount -t hugetlbfs -o "pagesize=$HUGEPAGE_SIZE,uid=$(id -u "$MGW_USER"),gid=$(id -g "$MGW_USER"),mode=0770" \
      nodev "$HUGETLBFS_DIR" || true
  fi
fi

# ---- vfio-pci and NIC binding --------------------------------------------------------------
nics=()
if [[ -n "$DPDK_NICS" ]]; then
  IFS=', ' read -r -a nics <<<"$DPDK_NICS"
fi
if [[ ${#nics[@]} -gt 0 ]]; then
  if [[ "$DPDK_DRIVER" == vfio-pci ]]; then
    if [[ -d /sys/bus/pci/drivers/vfio-pci ]]; then
      ok "vfio-pci loaded"
    else
      change "load vfio-pci" modprobe vfio-pci || true
    fi
    if [[ $iommu_groups -eq 0 ]]; then
      fail "vfio-pci without an IOMMU only works in unsafe noiommu mode; enable the IOMMU (HOST-PREP.md)"
    fi
  fi
  if ! command -v dpdk-devbind.py >/dev/null 2>&1; then
    fail "dpdk-devbind.py not found (apt install dpdk)"
  fi
  for pci in "${nics[@]}"; do
    [[ "$pci" == *:*:*.* ]] || pci="0000:$pci"
    dev=/sys/bus/pci/devices/$pci
    if [[ ! -e "$dev" ]]; then
      fail "$pci: no such PCI device (see dpdk-devbind.py --status-dev net)"
      continue
    fi
    class=$(cat "$dev/class" 2>/dev/null || echo unknown)
    if [[ "$class" != 0x02* ]]; then
      fail "$pci: not a network controller (PCI class $class); not touched"
      continue
    fi
    drv=""
    [[ -e "$dev/driver" ]] && drv=$(basename "$(readlink -f "$dev/driver")")
    if [[ "$drv" == "$DPDK_DRIVER" ]]; then
      ok "$pci bound to $DPDK_DRIVER"
    else
      netdevs=""
      in_use=""
      # Kernel interfaces of the device (virtio NICs have them one level down).
      for n in "$dev"/net/* "$dev"/virtio*/net/*; do
        [[ -e "$n" ]] || continue
        netdevs+="${n##*/} "
        if command -v ip >/dev/null 2>&1 && [[ -n "$(ip -o addr show dev "${n##*/}" scope global 2>/dev/null)" ]]; then
          in_use+="${n##*/} "
        fi
      done
      if [[ -n "$in_use" ]]; then
        fail "$pci: interface ${in_use% } has addresses (in use); dpdk-devbind.py would refuse. Deconfigure it first (HOST-PREP.md)"
        continue
      fi
      change "bind $pci (now ${drv:-no driver}${netdevs:+, interface ${netdevs% }}) to $DPDK_DRIVER" \
        dpdk-devbind.py --bind="$DPDK_DRIVER" "$pci" || continue
    fi
    # /dev/vfio/<group> is root:root 0600 when created; the dataplane runs as $MGW_USER.
    if [[ "$DPDK_DRIVER" == vfio-pci && -e "$dev/iommu_group" ]]; then
      group=$(basename "$(readlink -f "$dev/iommu_group")")
      node=/dev/vfio/$group
      if [[ $have_user -eq 0 ]]; then
        warn "$node: not given to $MGW_USER (user missing)"
      elif [[ -e "$node" && "$(stat -c '%G %a' "$node")" == "$MGW_USER 660" ]]; then
        ok "$node owned by group $MGW_USER (0660)"
      elif [[ -e "$node" || $APPLY -eq 0 ]]; then
        change "give group $MGW_USER access to $node (IOMMU group of $pci)" \
          sh -c "chgrp '$MGW_USER' '$node' && chmod 0660 '$node'" || true
      else
        fail "$node missing after binding $pci"
      fi
    fi
  done
fi

# ---- IRQ affinity -------------------------------------------------------------------------
# CPU list -> hex mask in /proc/irq's format (32-bit words, comma-separated, highest first).
cpulist_to_mask() {
  local -a words=()
  local part a b c w maxw=0
  IFS=',' read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    a=${part%-*}
    b=${part#*-}
    for ((c = a; c <= b; c++)); do
      w=$((c / 32))
      words[w]=$(( ${words[w]:-0} | (1 << (c % 32)) ))
      ((w > maxw)) && maxw=$w
    done
  done
  local out="" i
  for ((i = maxw; i >= 0; i--)); do
    out+=$(printf '%08x' "${words[i]:-0}")
    ((i > 0)) && out+=","
  done
  echo "$out"
}
mask_equal() { # compares two masks ignoring leading zero words and case
  local x y
  x=$(tr -d ',' <<<"$1" | tr 'A-F' 'a-f' | sed 's/^0*//')
  y=$(tr -d ',' <<<"$2" | tr 'A-F' 'a-f' | sed 's/^0*//')
  [[ "$x" == "$y" ]]
}
if [[ -n "$HOUSEKEEPING_CPUS" ]]; then
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet irqbalance 2>/dev/null; then
    warn "irqbalance is running and will move IRQs back: set IRQBALANCE_BANNED_CPULIST to the worker CPUs in /etc/default/irqbalance"
  fi
  want=$(cpulist_to_mask "$HOUSEKEEPING_CPUS")
  have=$(cat /proc/irq/default_smp_affinity 2>/dev/null || echo "")
  if mask_equal "$have" "$want"; then
    ok "default IRQ affinity is $HOUSEKEEPING_CPUS"
  else
    change "default IRQ affinity $have -> $want (CPUs $HOUSEKEEPING_CPUS)" \
      write_file /proc/irq/default_smp_affinity "$want" || true
  fi
  moved=0 same=0 fixed=0
  for d in /proc/irq/[0-9]*; do
    [[ -r "$d/smp_affinity_list" ]] || continue
    if [[ "$(cat "$d/smp_affinity_list")" == "$HOUSEKEEPING_CPUS" ]]; then
      same=$((same + 1))
    elif [[ $APPLY -eq 1 ]]; then
      # Kernel-managed IRQs (per-queue NVMe/NIC vectors) refuse with EIO: they follow their queue.
      if write_file "$d/smp_affinity_list" "$HOUSEKEEPING_CPUS" 2>/dev/null; then
        moved=$((moved + 1))
      else
        fixed=$((fixed + 1))
      fi
    else
      moved=$((moved + 1))
    fi
  done
  if [[ $moved -eq 0 ]]; then
    ok "IRQs on CPUs $HOUSEKEEPING_CPUS ($same; $fixed managed by the kernel)"
  else
    changes=$((changes + 1))
    [[ $APPLY -eq 1 ]] && verb=change || verb=would
    say "$verb" "move $moved IRQs to CPUs $HOUSEKEEPING_CPUS ($same already there, $fixed kernel-managed left alone)"
  fi
fi

# ---- summary ------------------------------------------------------------------------------
if [[ ${#nics[@]} -gt 0 ]] && command -v dpdk-devbind.py >/dev/null 2>&1; then
  echo
  dpdk-devbind.py --status-dev net || true
fi
echo
if [[ $failures -gt 0 ]]; then
  echo "$prog: $failures problem(s), $changes change(s) $([[ $APPLY -eq 1 ]] && echo made || echo needed)"
  exit 1
fi
if [[ $APPLY -eq 1 ]]; then
  echo "$prog: done, $changes change(s) made"
else
  echo "$prog: $changes change(s) needed; run again with --apply to make them"
fi
