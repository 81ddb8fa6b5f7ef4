#!/usr/bin/env bash
# Installs the real OCI clients that conformance/interop.sh drives against the Hub.
#
#   From Debian 12 (bookworm):  skopeo umoci buildah podman jq curl containerd docker.io
#                               runc busybox-static   (nocker build's run steps, and the
#                                                      busybox base image the suite builds on)
#   From Debian 13 (trixie):    oras cosign   (not packaged for bookworm; the trixie packages are
#                                              static Go programs that install cleanly on bookworm)
#
# Run as root on Debian 12. Idempotent: packages already present are left alone, so a second
# run performs no network access at all. Packaged services (containerd, docker) are kept from
# starting while installing: the interop suite starts private instances of its own.
#
# Usage: bash conformance/install-clients.sh
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

BOOKWORM_PKGS=(skopeo umoci buildah podman jq curl containerd docker.io runc busybox-static golang-github-containers-common)
TRIXIE_PKGS=(oras cosign)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf '[install-clients] %s\n' "$*"; }
die() { printf '[install-clients] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
command -v apt-get >/dev/null || die "apt-get not found: this script targets Debian 12"

is_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

# ---------------------------------------------------------------------------------------------
# Keep maintainer scripts from starting daemons: invoke-rc.d honours /usr/sbin/policy-rc.d and
# exit code 101 means "action forbidden". Any policy file that was already there is restored.
POLICY=/usr/sbin/policy-rc.d
POLICY_SAVED=""
WORK=""
restore() {
  if [ -n "$POLICY_SAVED" ]; then mv -f "$POLICY_SAVED" "$POLICY"; else rm -f "$POLICY"; fi
  [ -z "$WORK" ] || rm -rf "$WORK"
}
block_services() {
  if [ -e "$POLICY" ]; then POLICY_SAVED=$(mktemp "$POLICY.saved.XXXXXX"); cp -p "$POLICY" "$POLICY_SAVED"; fi
  trap restore EXIT
  printf '#!/bin/sh\n# written by conformance/install-clients.sh while installing\nexit 101\n' > "$POLICY"
  chmod 755 "$POLICY"
}

# ---------------------------------------------------------------------------------------------
# The Debian mirror this machine already uses (first non-security archive), from deb822 sources
# or from the one-line format.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" \
          | grep -v -- '-security' | grep -m1 -E '^(https?|file)://' || true)
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # deb [opt=val ...] URI suite components
    uri=$(sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "$f" \
          | grep -v -- '-security' | grep -m1 -E '^(https?|file)://' || true)
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
need=()
for p in "${BOOKWORM_PKGS[@]}"; do is_installed "$p" || need+=("$p"); done
for p in "${TRIXIE_PKGS[@]}"; do is_installed "$p" || command -v "$p" >/dev/null || need+=("$p"); done

if [ ${#need[@]} -eq 0 ]; then
  log "all clients already installed"
else
  block_services

  missing_bookworm=()
  for p in "${BOOKWORM_PKGS[@]}"; do is_installed "$p" || missing_bookworm+=("$p"); done
  if [ ${#missing_bookworm[@]} -gt 0 ]; then
    log "installing from Debian 12: ${missing_bookworm[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_bookworm[@]}" >/dev/null
  fi

  missing_trixie=()
  for p in "${TRIXIE_PKGS[@]}"; do is_installed "$p" || command -v "$p" >/dev/null || missing_trixie+=("$p"); done
  if [ ${#missing_trixie[@]} -gt 0 ]; then
    [ -r "$KEYRING" ] || apt-get install -y -qq debian-archive-keyring >/dev/null
    mirror=$(debian_mirror) || die "cannot find the Debian mirror in /etc/apt/sources.list(.d)"
    log "fetching from Debian 13 ($mirror trixie): ${missing_trixie[*]}"

    # A private apt state: its own sources list, package lists and cache. The system's sources,
    # lists and pinning are not modified, so bookworm stays the only suite apt knows about.
    WORK=$(mktemp -d)
    chmod 755 "$WORK"                      # apt downloads as the unprivileged _apt user
    mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/debs"
    echo "deb [signed-by=$KEYRING] $mirror trixie main" > "$WORK/sources.list"
    private=(-o "Dir::Etc::sourcelist=$WORK/sources.list"
             -o "Dir::Etc::sourceparts=/nonexistent"
             -o "Dir::State::Lists=$WORK/lists"
             -o "Dir::Cache=$WORK/cache")
    apt-get "${private[@]}" update -qq
    (cd "$WORK/debs" && chown _apt "$WORK/debs" 2>/dev/null; apt-get "${private[@]}" download "${missing_trixie[@]}" >/dev/null)
    debs=()
    for p in "${missing_trixie[@]}"; do
      f=$(ls "$WORK/debs/${p}"_*.deb 2>/dev/null | head -n1 || true)
      [ -n "$f" ] || die "download of $p from trixie failed"
      debs+=("$f")
    done
    # Installed with the system's own sources, so any dependency comes from bookworm.
    apt-get install -y -qq --no-install-recommends "${debs[@]}" >/dev/null
  fi
fi

# ---------------------------------------------------------------------------------------------
for c in skopeo umoci buildah podman jq curl containerd ctr docker dockerd runc oras cosign; do
  command -v "$c" >/dev/null || die "$c is still missing after installation"
done
[ -x /bin/busybox ] || die "/bin/busybox (busybox-static) is still missing after installation"
log "skopeo:     $(skopeo --version 2>&1 | head -n1)"
log "umoci:      $(umoci --version 2>&1 | head -n1)"
log "buildah:    $(buildah --version 2>&1 | head -n1)"
log "podman:     $(podman --version 2>&1 | head -n1)"
log "containerd: $(containerd --version 2>&1 | head -n1)"
log "docker:     $(docker --version 2>&1 | head -n1)"
log "runc:       $(runc --version 2>&1 | head -n1)"
log "busybox:    $(/bin/busybox 2>&1 | head -n1)"
log "oras:       $(oras version 2>&1 | head -n1)"
log "cosign:     $(cosign version 2>&1 | grep -m1 GitVersion || echo unknown)"
