#!/usr/bin/env bash
# nanodock lab, Swarm part: a Docker engine of its own that is a one-node Swarm manager,
# and (tried) a second one that joins it as a worker. Called by scripts/lab.sh up/down.
#
#   scripts/lab-swarm.sh [up]   start the swarm engines, init/join, create the services
#   scripts/lab-swarm.sh status print what is up (exit 0 if everything is up, else 3)
#   scripts/lab-swarm.sh down   remove the services, leave the swarm, stop both engines
#
# Engines (neither is one of lab.sh's four):
#   S  Swarm manager  unix:///var/run/docker-swarm.sock         bridge nd-swarm0 10.215.0.1/24
#   W  Swarm worker   unix:///var/run/docker-swarm-worker.sock  bridge nd-swarmw0 10.216.0.1/24
# Services (on S):
#   nd-swarm-web   replicated, 2 replicas, --publish 18410:80        (ingress: no host socket)
#   nd-swarm-host  replicated, 1 replica,  --publish mode=host,18411:80 (a docker-proxy holds it)
#
# Swarm's own host-wide names are made ours before the engines could make them: each engine
# gets a `docker_gwbridge` network created by hand with a bridge of its own (nd-swgw0,
# nd-swgw1), so neither makes a Linux bridge called docker_gwbridge that another engine on
# this host would share. `swarm leave --force` leaves that network behind: `down` removes it.
#
# The worker (W): on one host it joins the control plane (raft and the dispatcher, over
# 127.0.0.1:2377) and answers as a worker, but its network agent cannot start: the gossip
# of Docker 20.10's networking (memberlist) listens on TCP/UDP port 7946, fixed, and the
# manager already holds 127.0.0.1:7946 ("listen tcp 127.0.0.1:7946: bind: address already
# in use" in W's log). Without it no task with a network (ingress or overlay) can start on
# W, so the manager drains W: it is a worker that says it cannot list services, no more.
# A worker that runs tasks needs a network namespace (or a machine) of its own.
#
# Idempotent. Never sends traffic to published ports or container addresses: engines are
# reached over their Unix sockets only. Facts: /work/shared/LAB.md.

set -euo pipefail

SELF=$(readlink -f "$0")
LAB_TAG=lab-swarm
# shellcheck source=scripts/lab-lib.sh
. "$(dirname "$SELF")/lab-lib.sh"
cd /

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT CONTAINER_HOST CONTAINER_CONNECTION || true

DOCKER_BIN=/usr/bin/docker
WAIT_SECS=${LAB_WAIT_SECS:-30}
LOG_DIR=/var/log/nanodock-lab
RUN_DIR=/run/nanodock-lab
STATE_DIR=/var/lib/nanodock-lab
IMAGE=nanodock-lab/busybox:latest

# Engine S: the manager
S_SOCK=/var/run/docker-swarm.sock
S_PID=/var/run/docker-swarm.pid
S_LOG=$LOG_DIR/dockerd-swarm.log
S_DATA=/var/lib/docker-swarm
S_EXEC=/var/run/docker-swarm
S_BRIDGE=nd-swarm0
S_BRIDGE_CIDR=10.215.0.1/24
S_GW_BRIDGE=nd-swgw0
S_GW_SUBNET=10.215.1.0/24
S_LISTEN=127.0.0.1:2377
# Overlay networks (ingress included) come from this pool, clear of the other lab ranges.
S_ADDR_POOL=10.215.128.0/17
# Engine W: the worker
W_SOCK=/var/run/docker-swarm-worker.sock
W_PID=/var/run/docker-swarm-worker.pid
W_LOG=$LOG_DIR/dockerd-swarm-worker.log
W_DATA=/var/lib/docker-swarm-worker
W_EXEC=/var/run/docker-swarm-worker
W_BRIDGE=nd-swarmw0
W_BRIDGE_CIDR=10.216.0.1/24
W_GW_BRIDGE=nd-swgw1
W_GW_SUBNET=10.216.1.0/24
W_LISTEN=127.0.0.1:2378
W_STATUS=$RUN_DIR/swarm-worker.status

WEB_SVC=nd-swarm-web
WEB_ARGS=(--replicas 2 --publish published=18410,target=80 --label nanodock.lab=1
          "$IMAGE" /bin/busybox httpd -f -p 80)
HOST_SVC=nd-swarm-host
HOST_ARGS=(--replicas 1 --publish mode=host,published=18411,target=80 --label nanodock.lab=1
           "$IMAGE" /bin/busybox httpd -f -p 80)

# ---------------------------------------------------------------- helpers (log, retry, install: lab-lib.sh)
dk_s() { "$DOCKER_BIN" -H "unix://$S_SOCK" "$@"; }
dk_w() { "$DOCKER_BIN" -H "unix://$W_SOCK" "$@"; }

ping_sock() { [[ -S $1 ]] && [[ $(curl -fsS --max-time 3 --unix-socket "$1" http://localhost/_ping 2>/dev/null) == OK ]]; }

pid_is() {
  local pid=$1 comm=$2
  [[ $pid =~ ^[1-9][0-9]*$ && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == /usr/sbin/dockerd ]] || return 1
}
pid_of() {
  local file=$1 comm=$2 pid
  [[ -r $file ]] || return 1
  pid=$(tr -dc 0-9 <"$file")
  pid_is "$pid" "$comm" || return 1
  echo "$pid"
}
signal_pid() {
  if pid_is "$2" "$3"; then kill "-$1" "$2" 2>/dev/null || true
  else log "pid $2 is no longer $3; not sending SIG$1"; fi
}
pid_gone() { ! pid_is "$1" "$2"; }

start_daemon() { # what sock pidfile log cmd...
  local what=$1 sock=$2 pidfile=$3 logf=$4; shift 4
  if ping_sock "$sock"; then log "$what: up ($sock)"; return 0; fi
  local pid
  if pid=$(pid_of "$pidfile" dockerd); then
    log "$what: process $pid alive but $sock not answering yet; waiting"
  else
    [[ -S $sock ]] && rm -f "$sock"
    log "$what: starting (log: $logf)"
    printf '\n===== %s: %s\n' "$(date -Is)" "$*" >>"$logf"
    (cd / && exec setsid "$@" >>"$logf" 2>&1 </dev/null) &
    pid=$!
  fi
  local deadline=$(( $(date +%s) + WAIT_SECS ))
  until ping_sock "$sock"; do
    if [[ ! -d /proc/$pid ]]; then
      tail -n 15 "$logf" >&2 || true
      die "$what: process exited before answering on $sock; see $logf"
    fi
    if (( $(date +%s) >= deadline )); then
      tail -n 15 "$logf" >&2 || true
      die "$what: no answer on $sock/_ping after ${WAIT_SECS}s (pid $pid still running); see $logf"
    fi
    sleep 0.25
  done
  log "$what: up ($sock, pid $pid)"
}

stop_pid() { # what pidfile
  local what=$1 pidfile=$2 pid
  if ! pid=$(pid_of "$pidfile" dockerd); then log "$what: not running"; return 0; fi
  log "$what: stopping pid $pid"
  signal_pid TERM "$pid" dockerd
  if ! retry 30 pid_gone "$pid" dockerd; then
    warn "$what: pid $pid ignored SIGTERM for 30s, sending SIGKILL"
    signal_pid KILL "$pid" dockerd
    retry 5 pid_gone "$pid" dockerd || warn "$what: pid $pid still alive"
  fi
}

up_bridge() { # name cidr
  if ! ip link show "$1" >/dev/null 2>&1; then
    log "creating bridge $1 $2"
    ip link add name "$1" type bridge
  fi
  ip -o -4 addr show dev "$1" | grep -qw "$2" || ip addr add "$2" dev "$1"
  ip link set "$1" up
}

# The lab image, from the tar lab.sh builds (busybox-static; see lab.sh image_tar).
image_tar() {
  local tar=$STATE_DIR/busybox-rootfs.tar
  if [[ -s $tar ]]; then echo "$tar"; return 0; fi
  [[ -x /bin/busybox ]] || die "/bin/busybox missing (package busybox-static)"
  mkdir -p "$STATE_DIR"
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local a; for a in sh httpd sleep nc; do ln -s busybox "$root/bin/$a"; done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'nanodock lab\n' >"$root/www/index.html"
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$tar.tmp" .
  rm -rf "$root"
  mv "$tar.tmp" "$tar"
  echo "$tar"
}
import_image() { # label cli-function
  local what=$1 cli=$2 tar
  if "$cli" image inspect "$IMAGE" >/dev/null 2>&1; then log "$what: image $IMAGE present"; return 0; fi
  tar=$(image_tar)
  log "$what: importing $IMAGE"
  "$cli" import - "$IMAGE" <"$tar" >>"$LOG_DIR/import.log" 2>&1 \
    || die "$what: import of $IMAGE failed; see $LOG_DIR/import.log"
}

# docker_gwbridge made by hand, on a bridge named by us (see the header).
gw_network() { # label cli-function bridge subnet
  local what=$1 cli=$2 bridge=$3 subnet=$4
  if "$cli" network inspect docker_gwbridge >/dev/null 2>&1; then return 0; fi
  log "$what: creating network docker_gwbridge on bridge $bridge $subnet"
  "$cli" network create --driver bridge --subnet "$subnet" \
    --opt com.docker.network.bridge.name="$bridge" \
    --opt com.docker.network.bridge.enable_icc=false \
    --opt com.docker.network.bridge.enable_ip_masquerade=false \
    docker_gwbridge >/dev/null || die "$what: cannot create docker_gwbridge"
}

swarm_state() { "$@" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null; }

# A service NAME made from ARGS (recorded as label nanodock.lab.spec), with all its replicas running.
ensure_service() { # name args...
  local name=$1; shift
  local spec have
  spec=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
  if have=$(dk_s service inspect -f '{{index .Spec.Labels "nanodock.lab.spec"}}' "$name" 2>/dev/null); then
    if [[ $have == "$spec" ]]; then log "manager(S): service $name present"
    else log "manager(S): service $name has other settings; recreating"; dk_s service rm "$name" >/dev/null; have=; fi
  fi
  if [[ -z $have ]]; then
    log "manager(S): creating service $name"
    dk_s service create -d --no-resolve-image --name "$name" --label "nanodock.lab.spec=$spec" "$@" >/dev/null \
      || die "manager(S): service create $name failed"
  fi
  retry 60 service_converged "$name" || die "manager(S): service $name: replicas never all running: $(dk_s service ps --no-trunc "$name" 2>&1 | tail -n 4)"
}
service_converged() { # name: running tasks == desired replicas
  local want run
  want=$(dk_s service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "$1" 2>/dev/null) || return 1
  run=$(dk_s service ps -q -f desired-state=running -f "name=$1" --format '{{.CurrentState}}' "$1" 2>/dev/null | grep -c '^Running' || true)
  [[ $run -eq $want ]]
}

# ---------------------------------------------------------------- S: the manager
up_manager() {
  up_bridge "$S_BRIDGE" "$S_BRIDGE_CIDR"
  mkdir -p "$S_DATA" "$S_EXEC"
  start_daemon "manager(S)" "$S_SOCK" "$S_PID" "$S_LOG" \
    dockerd --data-root "$S_DATA" --exec-root "$S_EXEC" --pidfile "$S_PID" \
      --host "unix://$S_SOCK" --bridge "$S_BRIDGE" --iptables=false --ip-masq=false
  import_image "manager(S)" dk_s
  gw_network "manager(S)" dk_s "$S_GW_BRIDGE" "$S_GW_SUBNET"
  case $(swarm_state dk_s) in
    "active true") log "manager(S): swarm manager" ;;
    inactive*)
      log "manager(S): swarm init on $S_LISTEN"
      dk_s swarm init --advertise-addr 127.0.0.1 --listen-addr "$S_LISTEN" \
        --default-addr-pool "$S_ADDR_POOL" >/dev/null || die "manager(S): swarm init failed" ;;
    *) die "manager(S): swarm state '$(swarm_state dk_s)' (neither inactive nor an active manager)" ;;
  esac
  ensure_service "$WEB_SVC" "${WEB_ARGS[@]}"
  ensure_service "$HOST_SVC" "${HOST_ARGS[@]}"
}

# ---------------------------------------------------------------- W: the worker (tried)
up_worker() {
  up_bridge "$W_BRIDGE" "$W_BRIDGE_CIDR"
  mkdir -p "$W_DATA" "$W_EXEC"
  start_daemon "worker(W)" "$W_SOCK" "$W_PID" "$W_LOG" \
    dockerd --data-root "$W_DATA" --exec-root "$W_EXEC" --pidfile "$W_PID" \
      --host "unix://$W_SOCK" --bridge "$W_BRIDGE" --iptables=false --ip-masq=false
  import_image "worker(W)" dk_w
  gw_network "worker(W)" dk_w "$W_GW_BRIDGE" "$W_GW_SUBNET"
  case $(swarm_state dk_w) in
    "active false") log "worker(W): swarm worker" ;;
    inactive*|error*|pending*)
      [[ $(swarm_state dk_w) == inactive* ]] || dk_w swarm leave --force >/dev/null 2>&1 || true
      forget_old_workers
      local token; token=$(dk_s swarm join-token -q worker) || die "manager(S): no worker token"
      log "worker(W): swarm join $S_LISTEN (listen $W_LISTEN)"
      if ! dk_w swarm join --token "$token" --listen-addr "$W_LISTEN" --advertise-addr "$W_LISTEN" \
          "$S_LISTEN" >>"$W_LOG" 2>&1; then
        echo "join failed: $(tail -n 1 "$W_LOG")" >"$W_STATUS"
        warn "worker(W): swarm join failed; see $W_LOG"; return 0
      fi ;;
    *) warn "worker(W): swarm state '$(swarm_state dk_w)'" ;;
  esac
  # Its network agent cannot start (7946 is the manager's, see the header): no task goes there.
  local self; self=$(dk_w info --format '{{.Swarm.NodeID}}')
  if [[ -n $self && $(dk_s node inspect -f '{{.Spec.Availability}}' "$self" 2>/dev/null) != drain ]]; then
    log "worker(W): draining node $self (no tasks: its network agent is down)"
    dk_s node update --availability drain "$self" >/dev/null || warn "worker(W): drain failed"
  fi
  echo "worker $(swarm_state dk_w), node $self" >"$W_STATUS"
}

# Worker nodes the manager still lists from an earlier join of W (W left with --force) are
# removed, so the node list holds the current worker only.
forget_old_workers() {
  local id
  for id in $(dk_s node ls -q -f role=worker 2>/dev/null); do
    [[ $(dk_s node inspect -f '{{.Status.State}}' "$id" 2>/dev/null) == down ]] || continue
    log "manager(S): removing stale worker node $id"
    dk_s node rm --force "$id" >/dev/null 2>&1 || true
  done
}

# ---------------------------------------------------------------- up / down / status
cmd_up() {
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$STATE_DIR"
  up_manager
  up_worker
  status || true
}

leave_and_stop() { # label cli-function sock pidfile gw-bridge
  local what=$1 cli=$2 sock=$3 pidfile=$4 gw=$5
  if ping_sock "$sock"; then
    if [[ $(swarm_state "$cli") != inactive* ]]; then
      log "$what: leaving the swarm"
      "$cli" swarm leave --force >/dev/null 2>&1 || warn "$what: swarm leave failed"
    fi
    local ids; ids=$("$cli" ps -q 2>/dev/null || true)
    if [[ -n $ids ]]; then log "$what: killing running containers"; "$cli" kill $ids >/dev/null 2>&1 || true; fi
    # swarm leave keeps docker_gwbridge (LAB.md): remove it, and its bridge goes with it.
    "$cli" network rm docker_gwbridge >/dev/null 2>&1 || true
  fi
  stop_pid "$what" "$pidfile"
  # A bridge the engine could not remove (it was stopped first) goes too.
  ip link show "$gw" >/dev/null 2>&1 && ip link delete "$gw" || true
}

cmd_down() {
  mkdir -p "$RUN_DIR"
  if ping_sock "$S_SOCK" && [[ $(swarm_state dk_s) == "active true" ]]; then
    dk_s service rm "$WEB_SVC" "$HOST_SVC" >/dev/null 2>&1 || true
  fi
  leave_and_stop "worker(W)" dk_w "$W_SOCK" "$W_PID" "$W_GW_BRIDGE"
  leave_and_stop "manager(S)" dk_s "$S_SOCK" "$S_PID" "$S_GW_BRIDGE"
  rm -f "$W_STATUS"
  log "swarm lab down"
}

status() {
  local bad=0
  if ping_sock "$S_SOCK"; then
    echo "manager(S): unix://$S_SOCK swarm=$(swarm_state dk_s)"
    dk_s service ls --format '  {{.Name}} {{.Mode}} {{.Replicas}} {{.Ports}}' 2>/dev/null || true
    [[ $(swarm_state dk_s) == "active true" ]] || bad=1
  else echo "manager(S): down"; bad=1; fi
  if ping_sock "$W_SOCK"; then
    echo "worker(W):  unix://$W_SOCK swarm=$(swarm_state dk_w)"
  else echo "worker(W):  down"; fi
  [[ -r $W_STATUS ]] && echo "  last join: $(cat "$W_STATUS")"
  return $(( bad ? 3 : 0 ))
}

main() {
  local cmd=${1:-up}
  case $cmd in
    up|down|status) ;;
    -h|--help|help) sed -n '2,22p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown command '$cmd' (use: up | down | status)" ;;
  esac
  [[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $SELF $cmd)"
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    status) status ;;
  esac
}

main "$@"
