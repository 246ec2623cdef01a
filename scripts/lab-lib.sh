# Shared by scripts/lab.sh, lab-ssh.sh and lab-swarm.sh (sourced, never run): logging with the
# script's tag ($LAB_TAG), bounded polling, and the apt install of $APT_PACKAGES (log in $LOG_DIR).

log()  { printf '[%s] %s\n' "$LAB_TAG" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$LAB_TAG" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$LAB_TAG" "$*" >&2; exit 1; }

# Bounded poll: retry SECS CMD... (every 0.25 s, up to SECS seconds)
retry() {
  local secs=$1; shift
  local deadline=$(( $(date +%s) + secs ))
  while :; do
    if "$@"; then return 0; fi
    (( $(date +%s) >= deadline )) && return 1
    sleep 0.25
  done
}

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# Installs what of APT_PACKAGES is missing; dies, naming the log, when apt cannot.
install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do is_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then log "packages: all present"; return 0; fi
  log "packages: installing ${missing[*]} (log: $LOG_DIR/apt.log)"
  mkdir -p "$LOG_DIR"
  # No init system here: keep postinst scripts from starting services (dockerd, sshd).
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# nanodock lab: temporary, no service starts during install\nexit 101\n' >"$policy"
    chmod 755 "$policy"; made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >>"$LOG_DIR/apt.log" 2>&1 || rc=$?
  ((made_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc); see $LOG_DIR/apt.log"
  for p in "${missing[@]}"; do is_installed "$p" || die "package $p still not installed; see $LOG_DIR/apt.log"; done
}
