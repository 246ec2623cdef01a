#!/usr/bin/env bash
# nanodock lab, ssh part: a real sshd on loopback, for remote engines over ssh.
#
#   scripts/lab-ssh.sh [up]     install openssh, start sshd, write keys, root's ~/.ssh/config
#                               block and the docker context nd-ssh; print a summary
#   scripts/lab-ssh.sh status   print what is up (exit 0 if everything is up, else 3)
#   scripts/lab-ssh.sh down     stop sshd, remove the ~/.ssh/config block and the context
#
# One sshd (its own config, host key and authorised keys, all under /etc/nanodock-lab/ssh):
#   127.0.0.1:18222   root, the lab key; `docker system dial-stdio` reaches engine A
#   127.0.0.1:18223   the same, but the session's PATH is /nonexistent: "no docker there"
#   127.0.0.1:18224   the same, with $TOP_BIN first on the session's PATH: a test puts a
#                     nanodock-top there, for the dashboard's remote host view
# Host aliases in root's ~/.ssh/config (one block between `# nanodock-lab begin/end`):
#   nd-lab-ssh              port 18222, lab key, lab known_hosts, StrictHostKeyChecking yes
#   nd-lab-ssh-nodocker     port 18223, as nd-lab-ssh
#   nd-lab-ssh-top          port 18224, as nd-lab-ssh
#   nd-lab-ssh-wrongkey     port 18222, a key that is not authorised
#   nd-lab-ssh-unknownhost  port 18222, an empty known_hosts, StrictHostKeyChecking yes
# Docker context nd-ssh: host=ssh://root@nd-lab-ssh.
#
# Idempotent. Only loopback traffic: sshd listens on 127.0.0.1 and the engines behind it are
# the lab's own (scripts/lab.sh); nothing here talks to container ports.

set -euo pipefail

SELF=$(readlink -f "$0")
LAB_TAG=lab-ssh
# shellcheck source=scripts/lab-lib.sh
. "$(dirname "$SELF")/lab-lib.sh"
cd /

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_CONTEXT CONTAINER_HOST CONTAINER_CONNECTION || true

DOCKER_BIN=/usr/bin/docker
SSHD_BIN=/usr/sbin/sshd
WAIT_SECS=${LAB_WAIT_SECS:-30}

LOG_DIR=/var/log/nanodock-lab
RUN_DIR=/run/nanodock-lab
SSH_DIR=/etc/nanodock-lab/ssh
SSHD_CONF=$SSH_DIR/sshd_config
SSHD_PID=$RUN_DIR/sshd.pid
SSHD_LOG=$LOG_DIR/sshd.log
HOST_KEY=$SSH_DIR/ssh_host_ed25519_key
CLIENT_KEY=$SSH_DIR/client_ed25519
WRONG_KEY=$SSH_DIR/wrong_ed25519
AUTHORIZED=$SSH_DIR/authorized_keys
KNOWN_HOSTS=$SSH_DIR/known_hosts
EMPTY_KNOWN_HOSTS=$SSH_DIR/known_hosts.empty
ADDR=127.0.0.1
PORT=18222
PORT_NODOCKER=18223
PORT_TOP=18224
TOP_BIN=$RUN_DIR/ssh-top-bin
ALIAS=nd-lab-ssh
CONTEXT=nd-ssh
CONTEXT_HOST=ssh://root@$ALIAS
USER_CONFIG=/root/.ssh/config
MARK_BEGIN='# nanodock-lab begin (scripts/lab-ssh.sh; removed by its `down`)'
MARK_END='# nanodock-lab end'

APT_PACKAGES=(openssh-server openssh-client)

# ---------------------------------------------------------------- helpers (log, retry, install: lab-lib.sh)
# pid_is PID: alive, comm sshd, and /proc/PID/exe is the real sshd (a comm can be faked).
pid_is_sshd() {
  local pid=$1
  [[ $pid =~ ^[1-9][0-9]*$ && -d /proc/$pid ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == sshd ]] || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$SSHD_BIN" ]] || return 1
}
sshd_pid() {
  local pid
  [[ -r $SSHD_PID ]] || return 1
  pid=$(tr -dc 0-9 <"$SSHD_PID")
  pid_is_sshd "$pid" || return 1
  echo "$pid"
}
signal_sshd() { # SIGNAL PID: only after checking again that PID is still our sshd
  if pid_is_sshd "$2"; then kill "-$1" "$2" 2>/dev/null || true
  else log "pid $2 is no longer sshd; not sending SIG$1"; fi
}
sshd_gone() { ! pid_is_sshd "$1"; }

write_if_changed() { # path mode content
  local path=$1 mode=$2 content=$3
  if [[ -f $path && $(cat "$path") == "${content%$'\n'}" ]]; then chmod "$mode" "$path"; return 0; fi
  install -m "$mode" /dev/null "$path"
  printf '%s' "$content" >"$path"
  log "wrote $path"
}

# ---------------------------------------------------------------- keys and config
make_key() { # path comment
  [[ -s $1 && -s $1.pub ]] && return 0
  rm -f "$1" "$1.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1"
  log "made key $1"
}

sshd_config() {
  cat <<EOF
# nanodock lab sshd, written by scripts/lab-ssh.sh: loopback only, keys only.
ListenAddress $ADDR:$PORT
ListenAddress $ADDR:$PORT_NODOCKER
ListenAddress $ADDR:$PORT_TOP
HostKey $HOST_KEY
PidFile $SSHD_PID
AuthorizedKeysFile $AUTHORIZED
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitUserEnvironment no
AllowStreamLocalForwarding yes
# Podman form: sshd gates forwarded sockets with the same "local" permission as TCP.
AllowTcpForwarding local
X11Forwarding no
PrintMotd no
MaxSessions 64
MaxStartups 64:30:128
LogLevel INFO
# The "no docker" case: the session finds no docker on its PATH.
Match LocalPort $PORT_NODOCKER
  SetEnv PATH=/nonexistent
# The remote host view: a nanodock-top the tests place on this session's PATH.
Match LocalPort $PORT_TOP
  SetEnv PATH=$TOP_BIN:/usr/local/bin:/usr/bin:/bin
EOF
}

up_files() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  install -d -m 700 "$SSH_DIR"
  install -d -m 755 "$TOP_BIN"
  [[ -s $HOST_KEY ]] || { rm -f "$HOST_KEY" "$HOST_KEY.pub"; ssh-keygen -q -t ed25519 -N '' -C nanodock-lab-host -f "$HOST_KEY"; log "made host key"; }
  make_key "$CLIENT_KEY" nanodock-lab-client
  make_key "$WRONG_KEY" nanodock-lab-wrong
  write_if_changed "$AUTHORIZED" 600 "$(cat "$CLIENT_KEY.pub")"
  # HostKeyAlias: both ports and every alias check the one lab host key under one name.
  write_if_changed "$KNOWN_HOSTS" 600 "$ALIAS $(cut -d' ' -f1,2 "$HOST_KEY.pub")"
  write_if_changed "$EMPTY_KNOWN_HOSTS" 600 ''
  write_if_changed "$SSHD_CONF" 600 "$(sshd_config)"
  # sshd refuses to start without its privilege separation folder.
  install -d -m 755 /run/sshd
}

client_block() {
  cat <<EOF
$MARK_BEGIN
Host $ALIAS $ALIAS-nodocker $ALIAS-top $ALIAS-wrongkey $ALIAS-unknownhost
  HostName $ADDR
  User root
  IdentitiesOnly yes
  HostKeyAlias $ALIAS
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  CheckHostIP no
  BatchMode yes
Host $ALIAS
  Port $PORT
  IdentityFile $CLIENT_KEY
  UserKnownHostsFile $KNOWN_HOSTS
Host $ALIAS-nodocker
  Port $PORT_NODOCKER
  IdentityFile $CLIENT_KEY
  UserKnownHostsFile $KNOWN_HOSTS
Host $ALIAS-top
  Port $PORT_TOP
  IdentityFile $CLIENT_KEY
  UserKnownHostsFile $KNOWN_HOSTS
Host $ALIAS-wrongkey
  Port $PORT
  IdentityFile $WRONG_KEY
  UserKnownHostsFile $KNOWN_HOSTS
Host $ALIAS-unknownhost
  Port $PORT
  IdentityFile $CLIENT_KEY
  UserKnownHostsFile $EMPTY_KNOWN_HOSTS
$MARK_END
EOF
}

# root's ~/.ssh/config without our block (empty when there is no file)
config_without_block() {
  [[ -f $USER_CONFIG ]] || return 0
  awk -v b="$MARK_BEGIN" -v e="$MARK_END" '$0 == b {skip = 1; next} $0 == e && skip {skip = 0; next} !skip' "$USER_CONFIG"
}

# Our block goes first: ssh takes the first value it finds, so a `Host *` of the user's
# further down cannot change how the lab aliases connect.
up_client_config() {
  install -d -m 700 /root/.ssh
  local rest want
  rest=$(config_without_block)
  want="$(client_block)"
  [[ -n $rest ]] && want+=$'\n'"$rest"
  if [[ -f $USER_CONFIG && $(cat "$USER_CONFIG") == "$want" ]]; then log "~/.ssh/config: block present"; return 0; fi
  if [[ -f $USER_CONFIG ]] && ! grep -qF "$MARK_BEGIN" "$USER_CONFIG"; then
    cp -p "$USER_CONFIG" "$USER_CONFIG.nanodock-lab.bak"; log "backed up $USER_CONFIG to $USER_CONFIG.nanodock-lab.bak"
  fi
  [[ -f $USER_CONFIG ]] || install -m 600 /dev/null "$USER_CONFIG"
  printf '%s\n' "$want" >"$USER_CONFIG"
  log "wrote the lab block of $USER_CONFIG"
}

down_client_config() {
  [[ -f $USER_CONFIG ]] && grep -qF "$MARK_BEGIN" "$USER_CONFIG" || return 0
  local rest; rest=$(config_without_block)
  if [[ -n $rest ]]; then printf '%s\n' "$rest" >"$USER_CONFIG"; else rm -f "$USER_CONFIG"; fi
  log "removed the lab block of $USER_CONFIG"
}

# ---------------------------------------------------------------- sshd
ssh_works() { # alias: a command runs through it without a prompt
  timeout 10 ssh -o BatchMode=yes -o ConnectTimeout=5 -- "$1" true >/dev/null 2>&1
}
listening() { ss -H -ltn "sport = :$1" 2>/dev/null | grep -q "$ADDR:$1"; }

up_sshd() {
  "$SSHD_BIN" -t -f "$SSHD_CONF" || die "sshd refuses $SSHD_CONF"
  local pid
  if pid=$(sshd_pid); then
    # The config may have changed since it started: SIGHUP makes sshd read it again.
    # The pid file's time marks the config it last read (touched at each start and reload).
    if [[ $SSHD_CONF -nt $SSHD_PID ]]; then
      log "sshd: config changed, reloading pid $pid"; signal_sshd HUP "$pid"; touch "$SSHD_PID"
    fi
    log "sshd: running (pid $pid)"
  else
    log "sshd: starting (log: $SSHD_LOG)"
    printf '\n===== %s: sshd -D -f %s\n' "$(date -Is)" "$SSHD_CONF" >>"$SSHD_LOG"
    (cd / && exec setsid "$SSHD_BIN" -D -f "$SSHD_CONF" -E "$SSHD_LOG" </dev/null >>"$SSHD_LOG" 2>&1) &
    pid=$!
    echo "$pid" >"$SSHD_PID"
  fi
  retry "$WAIT_SECS" listening "$PORT" && retry 5 listening "$PORT_NODOCKER" && retry 5 listening "$PORT_TOP" \
    || { tail -n 15 "$SSHD_LOG" >&2; die "sshd: not listening on $ADDR:$PORT, :$PORT_NODOCKER and :$PORT_TOP"; }
  retry 10 ssh_works "$ALIAS" || die "sshd: 'ssh $ALIAS true' fails; see $SSHD_LOG"
  log "sshd: up ($ADDR:$PORT, $ADDR:$PORT_NODOCKER, pid $pid)"
}

down_sshd() {
  local pid
  if ! pid=$(sshd_pid); then log "sshd: not running"; rm -f "$SSHD_PID"; return 0; fi
  log "sshd: stopping pid $pid"
  signal_sshd TERM "$pid"
  retry 10 sshd_gone "$pid" || { signal_sshd KILL "$pid"; retry 5 sshd_gone "$pid" || warn "sshd: pid $pid still alive"; }
  rm -f "$SSHD_PID"
}

# ---------------------------------------------------------------- checks of the cases
check_cases() {
  local out rc
  out=$(timeout 15 ssh -- "$ALIAS" docker version --format '{{.Server.APIVersion}}' 2>&1) \
    || die "docker through $ALIAS failed: $out (is the lab's docker up? scripts/lab.sh up)"
  log "docker through $ALIAS: API $out"
  rc=0; out=$(timeout 15 ssh -- "$ALIAS-nodocker" docker version 2>&1) || rc=$?
  ((rc == 127)) || die "$ALIAS-nodocker should find no docker (exit 127), got exit $rc: $out"
  out=$(timeout 15 ssh -- "$ALIAS-top" 'echo $PATH' 2>&1) || true
  # (root's shell startup files may put their own folders in front; ours is still there)
  [[ :$out: == *":$TOP_BIN:"* ]] || die "$ALIAS-top should have $TOP_BIN on its PATH, got: $out"
  rc=0; out=$(timeout 15 ssh -- "$ALIAS-wrongkey" true 2>&1) || rc=$?
  [[ $rc == 255 && $out == *'Permission denied'* ]] || die "$ALIAS-wrongkey should be refused, got exit $rc: $out"
  rc=0; out=$(timeout 15 ssh -- "$ALIAS-unknownhost" true 2>&1) || rc=$?
  [[ $rc == 255 && $out == *'Host key verification failed'* ]] || die "$ALIAS-unknownhost should fail its host key check, got exit $rc: $out"
  log "cases: nodocker exit 127, wrongkey refused, unknownhost host key check fails"
}

# ---------------------------------------------------------------- docker context
up_context() {
  local host
  if host=$("$DOCKER_BIN" context inspect -f '{{.Endpoints.docker.Host}}' "$CONTEXT" 2>/dev/null); then
    if [[ $host == "$CONTEXT_HOST" ]]; then log "context $CONTEXT: present"; return 0; fi
    "$DOCKER_BIN" context rm -f "$CONTEXT" >/dev/null
  fi
  "$DOCKER_BIN" context create "$CONTEXT" --description 'nanodock lab: engine A over ssh' \
    --docker "host=$CONTEXT_HOST" >/dev/null 2>&1 || die "docker context create $CONTEXT failed"
  log "context $CONTEXT: created ($CONTEXT_HOST)"
}

down_context() {
  if "$DOCKER_BIN" context inspect "$CONTEXT" >/dev/null 2>&1; then
    "$DOCKER_BIN" context rm -f "$CONTEXT" >/dev/null && log "context $CONTEXT: removed"
  fi
}

# ---------------------------------------------------------------- up / down / status
status() {
  local bad=0 pid
  row() { printf '%-16s %s\n' "$1" "$2"; }
  if pid=$(sshd_pid) && listening "$PORT" && ssh_works "$ALIAS"; then row "sshd" "up   $ADDR:$PORT, $ADDR:$PORT_NODOCKER, $ADDR:$PORT_TOP (pid $pid)"
  else row "sshd" "DOWN (log $SSHD_LOG)"; bad=1; fi
  if [[ -f $USER_CONFIG ]] && grep -qF "$MARK_BEGIN" "$USER_CONFIG"; then row "  ~/.ssh/config" "aliases $ALIAS{,-nodocker,-top,-wrongkey,-unknownhost}"
  else row "  ~/.ssh/config" "no lab block"; bad=1; fi
  if command -v "$DOCKER_BIN" >/dev/null && "$DOCKER_BIN" context inspect "$CONTEXT" >/dev/null 2>&1; then row "  context" "$CONTEXT ($CONTEXT_HOST)"
  else row "  context" "$CONTEXT missing"; bad=1; fi
  return $(( bad ? 3 : 0 ))
}

cmd_up() {
  install_packages
  up_files
  up_client_config
  up_sshd
  check_cases
  up_context
  cat <<EOF

================ nanodock lab: ssh ================
sshd            $ADDR:$PORT (root, lab key)   log $SSHD_LOG
                $ADDR:$PORT_NODOCKER (PATH=/nonexistent: no docker)
                $ADDR:$PORT_TOP ($TOP_BIN on PATH: a test's nanodock-top)
aliases         $ALIAS, $ALIAS-nodocker, $ALIAS-top, $ALIAS-wrongkey, $ALIAS-unknownhost (root's ~/.ssh/config)
docker          DOCKER_HOST=ssh://root@$ALIAS   or   DOCKER_CONTEXT=$CONTEXT
podman          ssh://root@$ALIAS/run/podman/podman.sock
===================================================
EOF
}

cmd_down() {
  mkdir -p "$RUN_DIR"
  down_context
  down_sshd
  down_client_config
  log "ssh lab down"
}

main() {
  local cmd=${1:-up}
  case $cmd in
    up|down|status) ;;
    -h|--help|help) sed -n '2,20p' "$SELF" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown command '$cmd' (use: up | down | status)" ;;
  esac
  [[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $SELF $cmd)"
  [[ -r /etc/debian_version ]] || die "needs Debian (apt, openssh-server)"
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    status) status ;;
  esac
}

main "$@"
