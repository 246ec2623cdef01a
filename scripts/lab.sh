#!/usr/bin/env bash
# nanodock lab: real container engines on this machine (Debian 12, run as root).
#
#   scripts/lab.sh [up]     install packages, start all four engines, create the
#                           standing containers, print a summary, write lab.env
#   scripts/lab.sh status   print what is up (exit 0 if everything is up, else 3)
#   scripts/lab.sh down     stop the standing containers and all four engines
#
# Engines:
#   A  Docker (Debian docker.io)   unix:///var/run/docker.sock
#   B  Docker over TLS             tcp://127.0.0.1:2376 (+ unix:///var/run/docker-tls.sock),
#                                  client certs in /etc/nanodock-lab/tls (DOCKER_CERT_PATH)
#   C  Podman rootful              unix:///run/podman/podman.sock
#   D  Podman rootless (user ndlab), NO API socket: CLI only, port held by rootlessport
#
# Idempotent: safe to run again when everything is already up.
# Never sends traffic to container ports or container/bridge addresses: engines
# are only reached over their Unix sockets or the TLS API on 127.0.0.1:2376.
# Facts behind this script: /work/shared/LAB.md (if present).

set -euo pipefail

# Everything this script starts (dockerd, podman service, conmon) inherits its working
# directory: run from / so that removing the checkout it was started from breaks nothing.
SELF=$(readlink -f "$0")
LAB_TAG=lab
# shellcheck source=scripts/lab-lib.sh
. "$(dirname "$SELF")/lab-lib.sh"
cd /

# ---------------------------------------------------------------- settings
# Debian's binaries only (a newer docker client lives in /usr/local/bin).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT CONTAINER_HOST CONTAINER_CONNECTION || true

DOCKER_BIN=/usr/bin/docker
WAIT_SECS=${LAB_WAIT_SECS:-30}

LOG_DIR=/var/log/nanodock-lab
RUN_DIR=/run/nanodock-lab
STATE_DIR=/var/lib/nanodock-lab
TLS_DIR=/etc/nanodock-lab/tls
ENV_FILE=$RUN_DIR/lab.env

IMAGE=nanodock-lab/busybox:latest
PODMAN_IMAGE=localhost/nanodock-lab/busybox:latest

# Engine A
A_SOCK=/var/run/docker.sock
A_PID=/var/run/docker.pid
A_LOG=$LOG_DIR/dockerd.log
# Engine B
B_SOCK=/var/run/docker-tls.sock
B_PID=/var/run/docker-tls.pid
B_LOG=$LOG_DIR/dockerd-tls.log
B_TCP_ADDR=127.0.0.1
B_TCP_PORT=2376
B_TCP=tcp://$B_TCP_ADDR:$B_TCP_PORT
B_DATA=/var/lib/docker-tls
B_EXEC=/var/run/docker-tls
B_BRIDGE=nd-tls0
B_BRIDGE_CIDR=10.214.0.1/24
# Engine C
C_SOCK=/run/podman/podman.sock
C_PID=$RUN_DIR/podman-service.pid
C_LOG=$LOG_DIR/podman-service.log
# Engine D
D_USER=ndlab
D_SUBID_START=200000
D_SUBID_COUNT=65536

APT_PACKAGES=(docker.io podman uidmap slirp4netns busybox-static openssl iproute2 curl runc tmux htop python3 time util-linux)

# Standing containers: name and the `run` arguments after the name.
A_CTR=nd-web
A_ARGS=(--restart no --label com.docker.compose.project=ndlab --label nanodock.lab=1
        -p 18080:80 -p 18081:81/udp -p 18082-18084:82-84
        "$IMAGE" /bin/busybox httpd -f -p 80)
# The demo's victim (demo.tape kills it; the next `up` starts it again).
A_DEMO_CTR=nd-demo
A_DEMO_ARGS=(--restart no --label nanodock.lab=1 -p 18088:80
        "$IMAGE" /bin/busybox httpd -f -p 80)
B_CTR=nd-tls-web
B_ARGS=(--restart no --label nanodock.lab=1 -p 127.0.0.1:18095:80
        "$IMAGE" /bin/busybox httpd -f -p 80)
C_CTR=nd-podman-web
C_ARGS=(--restart no --label nanodock.lab=1 -p 18085:80 -p 18086:86/udp
        "$PODMAN_IMAGE" /bin/busybox httpd -f -p 80)
D_CTR=nd-rootless-web
D_ARGS=(--restart no --label nanodock.lab=1 -p 18090:80
        "$PODMAN_IMAGE" /bin/busybox httpd -f -p 80)

# ---------------------------------------------------------------- helpers (log, retry, install: lab-lib.sh)
# Engines are always addressed explicitly, never through DOCKER_HOST or contexts.
dk_a() { "$DOCKER_BIN" -H "unix://$A_SOCK" "$@"; }
dk_b() { "$DOCKER_BIN" -H "unix://$B_SOCK" "$@"; }
dk_b_tls() {
  "$DOCKER_BIN" -H "$B_TCP" --tlsverify --tlscacert "$TLS_DIR/ca.pem" \
    --tlscert "$TLS_DIR/cert.pem" --tlskey "$TLS_DIR/key.pem" "$@"
}
pm() { podman "$@"; }

d_uid() { id -u "$D_USER"; }
d_xdg() { echo "/run/user/$(d_uid)"; }
# Run a command as the rootless user in a login shell, XDG_RUNTIME_DIR exported.
as_d() {
  local cmd
  cmd=$(printf '%q ' "$@")
  su - "$D_USER" -s /bin/bash -c "export XDG_RUNTIME_DIR=$(d_xdg); unset DBUS_SESSION_BUS_ADDRESS CONTAINER_HOST CONTAINER_CONNECTION; cd ~ && $cmd"
}
pm_d() { as_d podman "$@"; }

ping_sock() { [[ -S $1 ]] && [[ $(curl -fsS --max-time 3 --unix-socket "$1" http://localhost/_ping 2>/dev/null) == OK ]]; }
ping_tls() {
  [[ $(curl -fsS --max-time 3 --cacert "$TLS_DIR/ca.pem" --cert "$TLS_DIR/cert.pem" \
        --key "$TLS_DIR/key.pem" "https://$B_TCP_ADDR:$B_TCP_PORT/_ping" 2>/dev/null) == OK ]]
}

# The program each pid file names: a pid read from a file may be stale (reused by another
# process), so it is trusted only while its executable is this one.
declare -A EXE_OF=([dockerd]=/usr/sbin/dockerd [podman]=/usr/bin/podman)

# pid_is PID COMM: PID is alive, its comm is COMM, and /proc/PID/exe is COMM's real binary
# (a comm can be set by anyone; the executable link cannot).
pid_is() {
  local pid=$1 comm=$2 exe=${EXE_OF[$2]:-}
  [[ $pid =~ ^[1-9][0-9]*$ && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
  [[ -n $exe && $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || return 1
}

# pid from a pid file, only if that process is alive and is the program COMM (pid_is)
pid_of() {
  local file=$1 comm=$2 pid
  [[ -r $file ]] || return 1
  pid=$(tr -dc 0-9 <"$file")
  pid_is "$pid" "$comm" || return 1
  echo "$pid"
}

# signal_pid SIGNAL PID COMM: sends SIGNAL only after checking again that PID is still COMM.
signal_pid() {
  if pid_is "$2" "$3"; then kill "-$1" "$2" 2>/dev/null || true
  else log "pid $2 is no longer $3; not sending SIG$1"; fi
}

# ---------------------------------------------------------------- 1. packages

# ---------------------------------------------------------------- 2. image
image_tar() {
  local tar=$STATE_DIR/busybox-rootfs.tar
  if [[ -s $tar && $tar -nt /bin/busybox ]]; then echo "$tar"; return 0; fi
  [[ -x /bin/busybox ]] || die "/bin/busybox missing (package busybox-static)"
  file_is_static /bin/busybox || warn "/bin/busybox does not look static"
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
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

import_image() { # label cli-function name
  local what=$1 cli=$2 name=$3 tar
  if "$cli" image inspect "$name" >/dev/null 2>&1; then log "$what: image $name present"; return 0; fi
  tar=$(image_tar)
  log "$what: importing $name"
  "$cli" import - "$name" <"$tar" >>"$LOG_DIR/import.log" 2>&1 \
    || { tail -n 5 "$LOG_DIR/import.log" >&2; die "$what: import of $name failed; see $LOG_DIR/import.log"; }
}

# ---------------------------------------------------------------- containers
# Create NAME with ARGS unless a running container NAME made from the same ARGS
# (recorded as label nanodock.lab.spec) exists and VERIFY passes (its ports are
# held on the host). Otherwise remove and recreate, then wait for VERIFY.
ensure_ctr() { # label cli-function name verify-function args...
  local what=$1 cli=$2 name=$3 verify=$4; shift 4
  local spec state
  spec=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
  if state=$("$cli" container inspect -f '{{.State.Running}} {{index .Config.Labels "nanodock.lab.spec"}}' "$name" 2>/dev/null); then
    if [[ $state == "true $spec" ]] && "$verify"; then log "$what: container $name running"; return 0; fi
    case $state in
      "true $spec") log "$what: container $name runs but its ports are not held; recreating" ;;
      true*)        log "$what: container $name runs with other settings; recreating" ;;
      *)            log "$what: container $name exists but is not running; recreating" ;;
    esac
    "$cli" rm -f "$name" >/dev/null || die "$what: cannot remove $name"
  fi
  log "$what: creating container $name"
  "$cli" run -d --name "$name" --label "nanodock.lab.spec=$spec" "$@" >/dev/null \
    || die "$what: run $name failed"
  retry 15 "$verify" || die "$what: $name started but its ports are not held as expected; holders: $(ss -H -ltunp | grep -E ':180[0-9][0-9][[:space:]]' | grep -o '("[^"]*",pid=[0-9]*' | tr '\n' ' ')"
}

# Wait until PROTO(t|u) PORT is held by a process named COMM (optionally owned by USER).
port_holder() { # proto port -> "comm pid" lines
  ss -H -ln"$1"p "sport = :$2" 2>/dev/null | grep -o '("[^"]*",pid=[0-9]*' | sed 's/("\([^"]*\)",pid=\([0-9]*\)/\1 \2/' | sort -u
}
port_held_by() { # proto port comm [user]
  local line c p
  while read -r c p; do
    [[ $c == "$3" ]] || continue
    if [[ -n ${4:-} ]]; then [[ $(stat -c %U "/proc/$p") == "$4" ]] || continue; fi
    return 0
  done < <(port_holder "$1" "$2")
  return 1
}
# expected host-port holders of each standing container
verify_a() { port_held_by t 18080 docker-proxy && port_held_by u 18081 docker-proxy && port_held_by t 18084 docker-proxy; }
verify_b() { port_held_by t 18095 docker-proxy; }
verify_demo() { port_held_by t 18088 docker-proxy; }
verify_c() { port_held_by t 18085 conmon && port_held_by u 18086 conmon; }
verify_d() { port_held_by t 18090 rootlessport "$D_USER"; }

# ---------------------------------------------------------------- engine start/stop
# start_daemon what sock pidfile comm log [cmd...]
#   Already answering -> nothing. Process alive but silent -> wait on it.
#   Otherwise start CMD with setsid, output to LOG, and wait on _ping.
start_daemon() {
  local what=$1 sock=$2 pidfile=$3 comm=$4 logf=$5; shift 5
  if ping_sock "$sock"; then log "$what: up ($sock)"; return 0; fi
  local pid
  if pid=$(pid_of "$pidfile" "$comm"); then
    log "$what: process $pid alive but $sock not answering yet; waiting"
  else
    [[ -S $sock ]] && rm -f "$sock"
    log "$what: starting (log: $logf)"
    printf '\n===== %s: %s\n' "$(date -Is)" "$*" >>"$logf"
    # From /: a service started from a checkout that is later removed has no working
    # directory, and conmon then fails every container start ("Failed to get working directory").
    (cd / && exec setsid "$@" >>"$logf" 2>&1 </dev/null) &
    pid=$!
    # dockerd writes its own pid file; for the others we keep one.
    [[ $comm == dockerd ]] || echo "$pid" >"$pidfile"
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

stop_pid() { # what pidfile comm
  local what=$1 pidfile=$2 comm=$3 pid
  if ! pid=$(pid_of "$pidfile" "$comm"); then log "$what: not running"; return 0; fi
  log "$what: stopping pid $pid"
  signal_pid TERM "$pid" "$comm"
  if ! retry 30 pid_gone "$pid" "$comm"; then
    warn "$what: pid $pid ignored SIGTERM for 30s, sending SIGKILL"
    signal_pid KILL "$pid" "$comm"
    retry 5 pid_gone "$pid" "$comm" || warn "$what: pid $pid still alive"
  fi
}
# gone, or reused by another program (then it is no longer ours to wait for)
pid_gone() { ! pid_is "$1" "$2"; }

# ---------------------------------------------------------------- A: docker
up_docker() {
  start_daemon "docker(A)" "$A_SOCK" "$A_PID" dockerd "$A_LOG" \
    dockerd --host "unix://$A_SOCK" --pidfile "$A_PID" --iptables=false --ip-masq=false
  import_image "docker(A)" dk_a "$IMAGE"
  ensure_ctr "docker(A)" dk_a "$A_CTR" verify_a "${A_ARGS[@]}"
  ensure_ctr "docker(A)" dk_a "$A_DEMO_CTR" verify_demo "${A_DEMO_ARGS[@]}"
}

# ---------------------------------------------------------------- B: docker over TLS
tls_valid() {
  local d=$TLS_DIR f
  for f in ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem; do [[ -s $d/$f ]] || return 1; done
  openssl verify -CAfile "$d/ca.pem" "$d/server-cert.pem" "$d/cert.pem" >/dev/null 2>&1 || return 1
  for f in ca.pem server-cert.pem cert.pem; do openssl x509 -checkend 86400 -noout -in "$d/$f" >/dev/null 2>&1 || return 1; done
  openssl x509 -noout -ext subjectAltName -in "$d/server-cert.pem" 2>/dev/null | grep -q 'IP Address:127.0.0.1' || return 1
  openssl x509 -noout -ext extendedKeyUsage -in "$d/cert.pem" 2>/dev/null | grep -q 'TLS Web Client Authentication' || return 1
  [[ $(openssl x509 -noout -pubkey -in "$d/server-cert.pem") == "$(openssl pkey -pubout -in "$d/server-key.pem")" ]] || return 1
  [[ $(openssl x509 -noout -pubkey -in "$d/cert.pem") == "$(openssl pkey -pubout -in "$d/key.pem")" ]] || return 1
}

make_tls() {
  if tls_valid; then tls_modes; log "tls: certificates in $TLS_DIR valid"; return 1; fi
  log "tls: generating CA, server and client certificates in $TLS_DIR"
  mkdir -p "$TLS_DIR"; chmod 755 "$TLS_DIR"
  local t; t=$(mktemp -d)
  (
    cd "$t"
    openssl genrsa -out ca-key.pem 2048
    openssl req -x509 -new -key ca-key.pem -sha256 -days 825 -subj "/CN=nanodock-lab CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
    openssl genrsa -out server-key.pem 2048
    openssl req -new -key server-key.pem -subj "/CN=localhost" -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -set_serial "0x$(openssl rand -hex 8)" \
      -days 825 -sha256 -extfile server.ext -out server-cert.pem
    openssl genrsa -out key.pem 2048
    openssl req -new -key key.pem -subj "/CN=nanodock-lab-client" -out client.csr
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -set_serial "0x$(openssl rand -hex 8)" \
      -days 825 -sha256 -extfile client.ext -out cert.pem
  ) >"$LOG_DIR/openssl.log" 2>&1 || { rm -rf "$t"; die "tls: openssl failed; see $LOG_DIR/openssl.log"; }
  local f
  for f in ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem; do
    install -o root -g root -m 600 "$t/$f" "$TLS_DIR/$f"
  done
  rm -rf "$t"
  tls_modes
  tls_valid || die "tls: freshly generated certificates do not verify"
  return 0
}

# Certificates are public (644); every private key is root's alone (600): whoever can read
# the client key drives the root TLS engine and kills its containers. Run on every `up`, so a
# lab made by an older script (client key 644) is fixed without new certificates.
TLS_PUBLIC=(ca.pem server-cert.pem cert.pem)
TLS_PRIVATE=(ca-key.pem server-key.pem key.pem)
tls_modes() {
  local f changed=()
  chown root:root "$TLS_DIR"; chmod 755 "$TLS_DIR"
  for f in "${TLS_PRIVATE[@]}"; do
    [[ -f $TLS_DIR/$f ]] || continue
    [[ $(stat -c '%a %U %G' "$TLS_DIR/$f") == '600 root root' ]] || changed+=("$f")
    chown root:root "$TLS_DIR/$f"; chmod 600 "$TLS_DIR/$f"
  done
  for f in "${TLS_PUBLIC[@]}"; do
    [[ -f $TLS_DIR/$f ]] && chown root:root "$TLS_DIR/$f" && chmod 644 "$TLS_DIR/$f"
  done
  if ((${#changed[@]} > 0)); then log "tls: made ${changed[*]} root-only (600)"; fi
  return 0
}

up_bridge() {
  if ! ip link show "$B_BRIDGE" >/dev/null 2>&1; then
    log "docker-tls(B): creating bridge $B_BRIDGE $B_BRIDGE_CIDR"
    ip link add name "$B_BRIDGE" type bridge
  fi
  ip -o -4 addr show dev "$B_BRIDGE" | grep -qw "${B_BRIDGE_CIDR}" || ip addr add "$B_BRIDGE_CIDR" dev "$B_BRIDGE"
  ip link set "$B_BRIDGE" up
}

up_docker_tls() {
  local regenerated=0
  make_tls && regenerated=1
  if ((regenerated)) && pid_of "$B_PID" dockerd >/dev/null; then
    log "docker-tls(B): certificates changed, restarting"
    stop_pid "docker-tls(B)" "$B_PID" dockerd
  fi
  up_bridge
  mkdir -p "$B_DATA" "$B_EXEC"
  start_daemon "docker-tls(B)" "$B_SOCK" "$B_PID" dockerd "$B_LOG" \
    dockerd --data-root "$B_DATA" --exec-root "$B_EXEC" --pidfile "$B_PID" \
      --host "unix://$B_SOCK" --host "$B_TCP" --tlsverify \
      --tlscacert "$TLS_DIR/ca.pem" --tlscert "$TLS_DIR/server-cert.pem" --tlskey "$TLS_DIR/server-key.pem" \
      --bridge "$B_BRIDGE" --iptables=false --ip-masq=false
  retry "$WAIT_SECS" ping_tls || die "docker-tls(B): unix socket answers but $B_TCP/_ping with client cert does not; see $B_LOG"
  if curl -fsS --max-time 3 --cacert "$TLS_DIR/ca.pem" "https://$B_TCP_ADDR:$B_TCP_PORT/_ping" >/dev/null 2>&1; then
    die "docker-tls(B): $B_TCP accepted a request WITHOUT a client certificate (--tlsverify not in force?)"
  fi
  log "docker-tls(B): $B_TCP answers with client cert, refuses without"
  import_image "docker-tls(B)" dk_b "$IMAGE"
  # created over the TLS endpoint, proving DOCKER_CERT_PATH-style certs work end to end
  ensure_ctr "docker-tls(B)" dk_b_tls "$B_CTR" verify_b "${B_ARGS[@]}"
}

# ---------------------------------------------------------------- C: podman rootful
CONTAINERS_CONF='# written by nanodock scripts/lab.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
'

write_if_changed() { # path content [owner]
  local path=$1 content=$2 owner=${3:-}
  if [[ -f $path && $(cat "$path") == "${content%$'\n'}" ]]; then return 0; fi
  mkdir -p "$(dirname "$path")"
  if [[ -f $path ]] && ! grep -q 'nanodock scripts/lab.sh' "$path"; then
    cp -p "$path" "$path.nanodock-lab.bak"; log "backed up $path to $path.nanodock-lab.bak"
  fi
  printf '%s' "$content" >"$path"
  [[ -n $owner ]] && chown "$owner" "$path"
  log "wrote $path"
}

up_podman() {
  write_if_changed /etc/containers/containers.conf "$CONTAINERS_CONF"
  mkdir -p "$(dirname "$C_SOCK")"
  start_daemon "podman(C)" "$C_SOCK" "$C_PID" podman "$C_LOG" \
    podman system service --time=0 "unix://$C_SOCK"
  import_image "podman(C)" pm "$PODMAN_IMAGE"
  ensure_ctr "podman(C)" pm "$C_CTR" verify_c "${C_ARGS[@]}"
}

# ---------------------------------------------------------------- D: podman rootless
up_rootless_user() {
  if ! id -u "$D_USER" >/dev/null 2>&1; then
    log "rootless(D): creating user $D_USER"
    useradd -m -s /bin/bash "$D_USER"
  fi
  local f
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    if ! grep -q "^$D_USER:" "$f"; then
      if awk -F: -v s="$D_SUBID_START" -v c="$D_SUBID_COUNT" '($2+0 < s+c) && (s < $2+$3) {bad=1} END {exit !bad}' "$f"; then
        die "rootless(D): $f already has a range overlapping $D_SUBID_START+$D_SUBID_COUNT; add $D_USER by hand"
      fi
      echo "$D_USER:$D_SUBID_START:$D_SUBID_COUNT" >>"$f"
      log "rootless(D): added $D_USER:$D_SUBID_START:$D_SUBID_COUNT to $f"
    fi
  done
  # slirp4netns needs /dev/net/tun; it is root-only here
  [[ -c /dev/net/tun ]] || die "rootless(D): /dev/net/tun missing"
  [[ $(stat -c %a /dev/net/tun) == 666 ]] || chmod 666 /dev/net/tun
  local uid xdg; uid=$(d_uid); xdg=$(d_xdg)
  mkdir -p "$xdg"
  chown "$D_USER:" "$xdg"; chmod 700 "$xdg"
  local home; home=$(getent passwd "$D_USER" | cut -d: -f6)
  install -d -o "$D_USER" -g "$(id -gn "$D_USER")" "$home/.config" "$home/.config/containers"
  write_if_changed "$home/.config/containers/containers.conf" "$CONTAINERS_CONF" "$D_USER:"
}

up_rootless() {
  up_rootless_user
  local sock; sock="$(d_xdg)/podman/podman.sock"
  if [[ -S $sock ]] && ping_sock "$sock"; then
    warn "rootless(D): an API service answers on $sock; the lab wants it OFF (not touching it)"
  fi
  # A killed pause process (e.g. everything SIGKILLed at the end of a session)
  # leaves "invalid internal status ... podman system migrate": reset it.
  local out errf=$LOG_DIR/rootless.log
  if ! out=$(pm_d info --format '{{.Store.GraphDriverName}} {{.Store.GraphRoot}}' 2>>"$errf"); then
    if tail -n 5 "$errf" | grep -q 'system migrate'; then
      log "rootless(D): stale pause process, running podman system migrate"
      pm_d system migrate >>"$LOG_DIR/rootless.log" 2>&1 || warn "rootless(D): podman system migrate failed"
    fi
    out=$(pm_d info --format '{{.Store.GraphDriverName}} {{.Store.GraphRoot}}' 2>>"$LOG_DIR/rootless.log") \
      || die "rootless(D): podman info fails as $D_USER; see $LOG_DIR/rootless.log"
  fi
  ROOTLESS_STORE=$out
  if pm_d image exists "$PODMAN_IMAGE" >/dev/null 2>&1; then
    log "rootless(D): image $PODMAN_IMAGE present"
  else
    log "rootless(D): importing $PODMAN_IMAGE"
    as_d podman import - "$PODMAN_IMAGE" <"$(image_tar)" >>"$LOG_DIR/import.log" 2>&1 \
      || { tail -n 5 "$LOG_DIR/import.log" >&2; die "rootless(D): import failed; see $LOG_DIR/import.log"; }
  fi
  ensure_ctr "rootless(D)" pm_d "$D_CTR" verify_d "${D_ARGS[@]}"
}

ROOTLESS_STORE=
rootless_store() { # prints "driver graphroot" (cached)
  [[ -n $ROOTLESS_STORE ]] || ROOTLESS_STORE=$(pm_d info --format '{{.Store.GraphDriverName}} {{.Store.GraphRoot}}' 2>/dev/null) || return 1
  echo "$ROOTLESS_STORE"
}

# ---------------------------------------------------------------- summary / env / status
ctr_line() { # cli name -> "status ports"
  "$@" 2>/dev/null || echo "(missing)"
}

write_env() {
  local drv_root driver graphroot
  drv_root=$(rootless_store || true)
  driver=${drv_root%% *}; graphroot=${drv_root#* }
  mkdir -p "$RUN_DIR"
  local tmp=$ENV_FILE.tmp
  {
    echo "# nanodock lab, written by scripts/lab.sh on $(date -Is); source it"
    printf 'NANODOCK_LAB_IMAGE=%q\n' "$IMAGE"
    printf 'NANODOCK_LAB_PODMAN_IMAGE=%q\n' "$PODMAN_IMAGE"
    printf 'NANODOCK_LAB_DOCKER_SOCK=%q\n' "$A_SOCK"
    printf 'NANODOCK_LAB_DOCKER_HOST=%q\n' "unix://$A_SOCK"
    printf 'NANODOCK_LAB_DOCKER_CONTAINER=%q\n' "$A_CTR"
    printf 'NANODOCK_LAB_DOCKER_PORTS=%q\n' "18080/tcp 18081/udp 18082-18084/tcp"
    printf 'NANODOCK_LAB_TLS_HOST=%q\n' "$B_TCP"
    printf 'NANODOCK_LAB_TLS_CERTS=%q\n' "$TLS_DIR"
    printf 'NANODOCK_LAB_TLS_SOCK=%q\n' "$B_SOCK"
    printf 'NANODOCK_LAB_TLS_CONTAINER=%q\n' "$B_CTR"
    printf 'NANODOCK_LAB_TLS_PORTS=%q\n' "127.0.0.1:18095/tcp"
    printf 'NANODOCK_LAB_PODMAN_SOCK=%q\n' "$C_SOCK"
    printf 'NANODOCK_LAB_PODMAN_HOST=%q\n' "unix://$C_SOCK"
    printf 'NANODOCK_LAB_PODMAN_CONTAINER=%q\n' "$C_CTR"
    printf 'NANODOCK_LAB_PODMAN_PORTS=%q\n' "18085/tcp 18086/udp"
    printf 'NANODOCK_LAB_ROOTLESS_USER=%q\n' "$D_USER"
    printf 'NANODOCK_LAB_ROOTLESS_UID=%q\n' "$(d_uid)"
    printf 'NANODOCK_LAB_ROOTLESS_XDG_RUNTIME_DIR=%q\n' "$(d_xdg)"
    printf 'NANODOCK_LAB_ROOTLESS_GRAPHROOT=%q\n' "$graphroot"
    printf 'NANODOCK_LAB_ROOTLESS_DRIVER=%q\n' "$driver"
    printf 'NANODOCK_LAB_ROOTLESS_API=off\n'
    printf 'NANODOCK_LAB_ROOTLESS_CONTAINER=%q\n' "$D_CTR"
    printf 'NANODOCK_LAB_ROOTLESS_PORTS=%q\n' "18090/tcp"
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
}

summary() {
  local drv_root; drv_root=$(rootless_store || echo "? ?")
  cat <<EOF

================ nanodock lab ================
image (docker)  $IMAGE
image (podman)  $PODMAN_IMAGE

A docker        unix://$A_SOCK                 log $A_LOG
  $A_CTR          0.0.0.0:18080->80/tcp, 0.0.0.0:18081->81/udp, 0.0.0.0:18082-18084->82-84/tcp
  $A_DEMO_CTR         0.0.0.0:18088->80/tcp (demo.tape kills it)
B docker TLS    $B_TCP (certs: DOCKER_CERT_PATH=$TLS_DIR, DOCKER_TLS_VERIFY=1)
                also unix://$B_SOCK            log $B_LOG
  $B_CTR      127.0.0.1:18095->80/tcp
C podman        unix://$C_SOCK               log $C_LOG
  $C_CTR   0.0.0.0:18085->80/tcp, 0.0.0.0:18086->86/udp   (held by conmon)
D podman rootless user $D_USER uid $(d_uid) XDG_RUNTIME_DIR=$(d_xdg)
                driver ${drv_root%% *}, graphroot ${drv_root#* }
                API socket OFF (would be $(d_xdg)/podman/podman.sock)
  $D_CTR 0.0.0.0:18090->80/tcp   (held by rootlessport, user $D_USER)

env file        $ENV_FILE
host ports:
$(ss -H -ltunp 2>/dev/null | grep -E ':180[0-9][0-9][[:space:]]' || echo '  (none)')
==============================================
EOF
}

status() {
  local bad=0
  row() { printf '%-16s %s\n' "$1" "$2"; }
  if ping_sock "$A_SOCK"; then row "docker(A)" "up   unix://$A_SOCK"
    row "  $A_CTR" "$(dk_a container inspect -f '{{.State.Status}}' "$A_CTR" 2>/dev/null || echo missing)"
  else row "docker(A)" "DOWN (log $A_LOG)"; bad=1; fi
  if ping_sock "$B_SOCK" && ping_tls; then row "docker-tls(B)" "up   $B_TCP certs $TLS_DIR"
    row "  $B_CTR" "$(dk_b container inspect -f '{{.State.Status}}' "$B_CTR" 2>/dev/null || echo missing)"
  else row "docker-tls(B)" "DOWN (log $B_LOG)"; bad=1; fi
  local f open_keys=()
  for f in "${TLS_PRIVATE[@]}"; do
    [[ ! -e $TLS_DIR/$f || $(stat -c '%a %U' "$TLS_DIR/$f") == '600 root' ]] || open_keys+=("$f")
  done
  if ((${#open_keys[@]} > 0)); then row "  tls keys" "NOT root-only: ${open_keys[*]} (run: $SELF up)"; bad=1
  else row "  tls keys" "root-only (600)"; fi
  if ping_sock "$C_SOCK"; then row "podman(C)" "up   unix://$C_SOCK"
  else row "podman(C)" "DOWN (log $C_LOG)"; bad=1; fi
  if command -v podman >/dev/null; then
    row "  $C_CTR" "$(pm container inspect -f '{{.State.Status}}' "$C_CTR" 2>/dev/null || echo missing)"
  fi
  if id -u "$D_USER" >/dev/null 2>&1 && command -v podman >/dev/null; then
    local st; st=$(pm_d container inspect -f '{{.State.Status}}' "$D_CTR" 2>/dev/null || echo missing)
    row "rootless(D)" "user $D_USER uid $(d_uid) XDG_RUNTIME_DIR=$(d_xdg) store: $(rootless_store || echo '?')"
    row "  $D_CTR" "$st"
    [[ $st == running ]] || bad=1
    if [[ -S $(d_xdg)/podman/podman.sock ]] && ping_sock "$(d_xdg)/podman/podman.sock"; then
      row "  API socket" "ON (the lab expects it off)"
    else row "  API socket" "off"; fi
  else row "rootless(D)" "not set up"; bad=1; fi
  echo "host ports:"
  ss -H -ltunp 2>/dev/null | grep -E ':180[0-9][0-9][[:space:]]' || echo "  (none)"
  return $(( bad ? 3 : 0 ))
}

# ---------------------------------------------------------------- up / down
cmd_up() {
  local t0; t0=$(date +%s)
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$STATE_DIR"
  install_packages
  up_docker
  up_docker_tls
  up_podman
  up_rootless
  bash "$(dirname "$SELF")/lab-swarm.sh" up
  bash "$(dirname "$SELF")/lab-ssh.sh" up
  write_env
  summary
  log "lab up in $(( $(date +%s) - t0 ))s"
}

cmd_down() {
  mkdir -p "$RUN_DIR"
  bash "$(dirname "$SELF")/lab-swarm.sh" down || warn "swarm lab: down failed"
  bash "$(dirname "$SELF")/lab-ssh.sh" down
  # D: rootless containers (no service to stop; its API stays off)
  if id -u "$D_USER" >/dev/null 2>&1 && command -v podman >/dev/null; then
    local ids; ids=$(pm_d ps -q 2>/dev/null || true)
    if [[ -n $ids ]]; then log "rootless(D): killing running containers"; pm_d kill $ids >/dev/null 2>&1 || warn "rootless(D): kill failed"; fi
  fi
  # C: podman containers outlive the API service: kill them, then the service
  if command -v podman >/dev/null; then
    local ids; ids=$(pm ps -q 2>/dev/null || true)
    if [[ -n $ids ]]; then log "podman(C): killing running containers"; pm kill $ids >/dev/null 2>&1 || warn "podman(C): kill failed"; fi
  fi
  stop_pid "podman(C)" "$C_PID" podman
  rm -f "$C_SOCK"
  # B and A: kill containers (busybox httpd ignores SIGTERM), then the daemons
  if ping_sock "$B_SOCK"; then
    local ids; ids=$(dk_b ps -q 2>/dev/null || true)
    if [[ -n $ids ]]; then log "docker-tls(B): killing running containers"; dk_b kill $ids >/dev/null 2>&1 || true; fi
  fi
  stop_pid "docker-tls(B)" "$B_PID" dockerd
  if ping_sock "$A_SOCK"; then
    local ids; ids=$(dk_a ps -q 2>/dev/null || true)
    if [[ -n $ids ]]; then log "docker(A): killing running containers"; dk_a kill $ids >/dev/null 2>&1 || true; fi
  fi
  stop_pid "docker(A)" "$A_PID" dockerd
  rm -f "$ENV_FILE"
  log "lab down"
}

# ---------------------------------------------------------------- main
main() {
  local cmd=${1:-up}
  case $cmd in
    up|down|status) ;;
    -h|--help|help) sed -n '2,20p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown command '$cmd' (use: up | down | status)" ;;
  esac
  [[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $SELF $cmd)"
  [[ -r /etc/debian_version ]] || die "needs Debian (apt, docker.io, podman packages)"
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    status) status ;;
  esac
}

main "$@"
