#!/usr/bin/env bash
# Real-client interoperability suite for the Nocker Hub (OCI distribution-spec v1.1).
#
# Drives the clients people actually use — skopeo, umoci, buildah, podman, oras, cosign, the
# docker CLI, containerd's ctr and a real dockerd — against a registry over plain HTTP, with
# authentication on (the Hub's default: the Docker token protocol), and checks that what goes in
# comes back out identical. Every client logs in through its own login command (docker login,
# skopeo/buildah/podman login, oras login, cosign login, nocker login), all of them sharing one
# Docker config file; ctr gets --user. Further checks: anonymous clients are refused, wrong
# passwords fail to log in, a robot account pushes only into its namespace, a user only where
# they own or hold a role, credentials saved by nocker login serve skopeo and oras, and logout
# removes the credentials.
#
# The build flow, end to end with the nocker CLI of this checkout: a root filesystem made from
# Debian's busybox-static is imported (nocker import) as sample/base:1.0; the sample project of
# conformance/fixtures/sample is built on it (nocker build: copy steps, a run step executed by
# runc, config-only steps; once more with --env testing) and pushed as sample/app; docker pull
# through the private dockerd, skopeo copy (whose layers are unpacked and inspected) and nocker
# pull must all see the image nocker build printed. These checks write into the namespace
# "sample" and need root, runc and /bin/busybox from busybox-static.
#
# Usage (as root, Debian 12, clients from conformance/install-clients.sh):
#   bash conformance/interop.sh                      # starts its own Hub from this checkout
#   REG=127.0.0.1:5000 REG_USER=admin REG_PASS=… bash conformance/interop.sh
#                                                    # against an already running registry
#
# Environment:
#   REG            host:port of the registry under test; unset = start `node cli/nocker.js hub serve`
#                  with authentication on and a generated NOCKER_ADMIN_PASSWORD
#   REG_USER, REG_PASS  credentials for REG (optional). Without them the clients do not log in
#                  and the authentication checks are skipped, as for a registry open to all.
#   INTEROP_ACCOUNT_CHECKS  1 runs the checks that create users, namespaces and robot accounts
#                  through the Hub's management API (needs an administrator); default 1 for the
#                  suite's own Hub, 0 for REG
#   WITH_DAEMONS   1 (default) also runs private containerd and dockerd instances; 0 skips them
#   CHECK_TIMEOUT  seconds allowed for each check (default 180)
#   INTEROP_DEADLINE  seconds for the whole suite (default 900); checks that would start later
#                  are reported as failed without running, so a hung registry still ends the run
#   INTEROP_NS     repository namespace the suite writes to (default "interop")
#   KEEP_WORKDIR   1 keeps the temporary work directory for post-mortem inspection
#   HUB_START_TIMEOUT  seconds to wait for a self-started Hub (default 60)
#   NOCKER_RUNTIME the OCI runtime nocker build runs the sample's run step with (default runc)
#
# Every check prints "ok - <name>" or "FAIL - <name>" followed by the tail of its log; a group of
# checks that cannot apply prints "# skip - <why>". The last line is "N passed, N failed"; the
# exit status is non-zero when anything failed. Everything the suite creates (client configs,
# containers-storage, daemon state, the Hub's data) lives in a temporary directory, and every
# process it starts is stopped on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WITH_DAEMONS=${WITH_DAEMONS:-1}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-180}
HUB_START_TIMEOUT=${HUB_START_TIMEOUT:-60}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
INTEROP_DEADLINE=${INTEROP_DEADLINE:-900}
NS=${INTEROP_NS:-interop}
export NOCKER_RUNTIME=${NOCKER_RUNTIME:-runc}

W=$(mktemp -d "${TMPDIR:-/tmp}/nocker-interop.XXXXXX") || { echo "cannot create a work directory" >&2; exit 2; }
chmod 755 "$W"

# ------------------------------------------------------------------------------ bookkeeping
PASS=0
FAIL=0
NCHECK=0
PIDS=()          # processes this script started, in start order
HUB_PID=""

summary() { echo "$PASS passed, $FAIL failed"; }

stop_pid() {     # TERM, up to 20 s grace, then KILL
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  local i m
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  # Daemons may leave mounts below the work directory; never recurse into a mounted tree.
  if [ -r /proc/self/mounts ]; then
    awk -v w="$W" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null; done
  fi
  if [ "$KEEP_WORKDIR" = 1 ]; then echo "work directory kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
exec </dev/null

ok()  { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

# check NAME COMMAND [ARGS...]: runs COMMAND (an external program or one of the functions below)
# with errexit and pipefail, bounded by CHECK_TIMEOUT, its output captured in its own log file.
check() {
  local name=$1 log rc limit left
  shift
  NCHECK=$((NCHECK + 1))
  log=$(printf '%s/logs/%03d.log' "$W" "$NCHECK")
  left=$((INTEROP_DEADLINE - SECONDS))
  if [ "$left" -le 0 ]; then
    bad "$name"
    echo "    | not run: the suite's deadline of ${INTEROP_DEADLINE}s has passed"
    return 1
  fi
  limit=$((left < CHECK_TIMEOUT ? left : CHECK_TIMEOUT))
  timeout -k 10 "$limit" bash -eo pipefail -c '"$@"' check "$@" >"$log" 2>&1
  rc=$?
  if [ "$rc" = 0 ]; then
    ok "$name"
  else
    bad "$name"
    [ "$rc" = 124 ] && echo "timed out after ${limit}s" >>"$log"
    tail -n 15 "$log" | sed 's/^/    | /'
  fi
  return "$rc"
}

# ------------------------------------------------------------------------------ isolation
mkdir -p "$W/logs" "$W/files" "$W/tmp" "$W/docker" "$W/cs/tmp" "$W/sigstore"
export DOCKER_CONFIG="$W/docker"                    # docker CLI, oras, cosign
export REGISTRY_AUTH_FILE="$W/docker/config.json"   # skopeo, buildah, podman
echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"
export TUF_ROOT="$W/sigstore"                       # cosign's trust-root cache
export COSIGN_PASSWORD=""
export COSIGN_YES=true
export TMPDIR="$W/tmp"
export NOCKER_CACHE_DIR="$W/nocker-cache"          # nocker build's step cache
export NOCKER_DATA_HOME="$W/nocker-data"           # nocker pull's local image store
unset DOCKER_HOST CONTAINER_HOST CONTAINERD_ADDRESS
RUN=$(date +%s%N)                                   # makes every layer, hence digest, unique
export W RUN NS

# ------------------------------------------------------------------------------ the registry
OWN_HUB=0
if [ -z "${REG:-}" ]; then
  OWN_HUB=1
  port=$(node -e 'const s = require("net").createServer();
                  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });') ||
    { bad "pick a free loopback port"; summary; exit 1; }
  mkdir -p "$W/hub-data"
  # The first start creates the account "admin" with this password.
  REG_USER=admin
  REG_PASS="interop-$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  (cd "$ROOT" && NOCKER_LISTEN="127.0.0.1:$port" NOCKER_DATA_DIR="$W/hub-data" NOCKER_ADMIN_PASSWORD="$REG_PASS" \
     exec node cli/nocker.js hub serve) >"$W/hub.log" 2>&1 &
  HUB_PID=$!
  PIDS+=("$HUB_PID")
  up=0
  for ((i = 0; i < HUB_START_TIMEOUT * 4; i++)); do
    # Any HTTP answer will do: with authentication on, GET /v2/ without credentials is a 401.
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/v2/")
    if [ "$code" = 200 ] || [ "$code" = 401 ]; then up=1; break; fi
    kill -0 "$HUB_PID" 2>/dev/null || break
    sleep 0.25
  done
  if [ "$up" != 1 ]; then
    bad "hub starts and answers GET /v2/ on 127.0.0.1:$port"
    echo "---- hub log ----"; cat "$W/hub.log"; echo "-----------------"
    summary
    exit 1
  fi
  ok "hub starts and answers GET /v2/ on 127.0.0.1:$port"
  REG="127.0.0.1:$port"
fi
REG_USER=${REG_USER:-}
REG_PASS=${REG_PASS:-}
AUTH=0
[ -n "$REG_USER" ] && AUTH=1
ACCOUNTS=${INTEROP_ACCOUNT_CHECKS:-$OWN_HUB}
[ "$AUTH" = 1 ] || ACCOUNTS=0
# Names of the accounts and namespaces the account checks create; unique per run on a shared Hub.
SFX=""
[ "$OWN_HUB" = 1 ] || SFX="-${RUN: -8}"
ROBOT="ci$SFX"                      # the robot account robot$ci
RNS="$NS-ci$SFX"                    # the only namespace the robot may push into
DEV="dev$SFX"                       # a user account without administrator rights
DEV_PASS="dev-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
TEAM="$NS-team$SFX"                 # a namespace the user joins as a developer
NCFG="$W/nocker-config"             # the Docker config nocker login writes (admin)
DCFG="$W/dev-config"                # the Docker config nocker login writes (the user)
RCFG="$W/robot-config"              # the Docker config docker login writes for the robot
NODOCKERD="unix://$W/no-dockerd.sock"   # a daemon address nothing listens on
export REG REG_USER REG_PASS AUTH OWN_HUB ROOT ROBOT RNS DEV DEV_PASS TEAM NCFG DCFG RCFG NODOCKERD
if [ "$AUTH" = 1 ]; then
  echo "# registry under test: http://$REG as $REG_USER  (work dir $W, run $RUN)"
else
  echo "# registry under test: http://$REG without credentials  (work dir $W, run $RUN)"
fi
skip() { echo "# skip - $1"; }

# ------------------------------------------------------------------------------ helpers
# Also available inside checks (exported below).
eq() { [ "$1" = "$2" ] || { echo "expected [$2] got [$1]"; return 1; }; }
contains() { grep -qxF -- "$2" <<<"$1" || { echo "[$2] not among:"; echo "$1"; return 1; }; }
# podman and buildah on a private containers-storage
pod() {
  podman --root "$W/cs/root" --runroot "$W/cs/run" --storage-driver vfs --tmpdir "$W/cs/tmp" \
         --events-backend none --cgroup-manager cgroupfs "$@"
}
bld() { buildah --root "$W/cs/root" --runroot "$W/cs/run" --storage-driver vfs "$@"; }
# digest of the exact manifest bytes the registry serves for a reference
raw_digest() { echo "sha256:$(skopeo inspect --tls-verify=false --raw "docker://$1" | sha256sum | cut -d' ' -f1)"; }
tagged_digest() {  # digest recorded for tag $2 in the OCI layout $1
  jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}
first_layer() {    # first layer digest of manifest $2 in the OCI layout $1
  jq -r '.layers[0].digest' "$1/blobs/sha256/${2#sha256:}"
}
# curl with the suite's credentials, sent as Basic (the Hub takes them on /v2 as well as at /token)
hcurl() { if [ -n "$REG_USER" ]; then curl -u "$REG_USER:$REG_PASS" "$@"; else curl "$@"; fi; }
http_status() { hcurl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@"; }
nocker() { node "$ROOT/cli/nocker.js" "$@"; }
# Credentials in a Docker-format auth file (default: the one every client shares) for $REG.
login_entry() { jq -c --arg r "$REG" '.auths[$r] // empty' "${1:-$REGISTRY_AUTH_FILE}"; }
logged_in() {     # the file holds a username and password, or an identity token, for $REG
  local f=${1:-$REGISTRY_AUTH_FILE}
  login_entry "$f" | jq -e '(.auth // "") != "" or (.identitytoken // "") != ""' >/dev/null ||
    { echo "no credentials for $REG in $f; it has: $(jq -c '.auths // {} | keys' "$f")"; return 1; }
}
logged_out() {
  local f=${1:-$REGISTRY_AUTH_FILE}
  [ -z "$(login_entry "$f")" ] || { echo "$f still holds credentials for $REG"; return 1; }
}
has_identity_token() {
  login_entry "${1:-$REGISTRY_AUTH_FILE}" | jq -e '(.identitytoken // "") != ""' >/dev/null ||
    { echo "no identitytoken saved for $REG"; return 1; }
}
forget_login() {  # removes $REG from an auth file, so the next login alone puts it back
  local f=${1:-$REGISTRY_AUTH_FILE}
  jq --arg r "$REG" 'del(.auths[$r])' "$f" >"$f.new" && mv "$f.new" "$f"
}
copy_config() {   # copy_config DIR: a private copy of the shared auth file, as DIR/config.json
  mkdir -p "$1" && cp "$REGISTRY_AUTH_FILE" "$1/config.json"
}
# refused PATTERN COMMAND [ARGS...]: COMMAND must fail, saying something that matches the
# extended regular expression PATTERN (case-insensitive).
refused() {
  local pattern=$1 out rc
  shift
  out=$("$@" 2>&1) && { echo "$out"; echo "unexpectedly succeeded: $*"; return 1; }
  rc=$?
  echo "$out"
  echo "(exit status $rc)"
  grep -qiE -- "$pattern" <<<"$out" || { echo "the error does not match /$pattern/"; return 1; }
}
# what a registry says when it refuses: 401 (log in) or 403 (not allowed)
NOPE='unauthori[sz]ed|authentication required|denied|forbidden|401|403'
ROBOT_SECRET="$W/robot.secret"
export NOPE ROBOT_SECRET
robot_creds() { printf 'robot$%s:%s' "$ROBOT" "$(cat "$ROBOT_SECRET")"; }

# ------------------------------------------------------------------------------ checks: authentication
t_anon_challenge() {
  local hdr="$W/anon-v2.hdr" code
  code=$(curl -s -o /dev/null -D "$hdr" -w '%{http_code}' --max-time 30 "http://$REG/v2/")
  cat "$hdr"
  eq "$code" 401
  grep -qiE '^www-authenticate: *bearer +realm="https?://[^"]+",service="[^"]+"' "$hdr"
  if [ "$OWN_HUB" = 1 ]; then grep -qiF "realm=\"http://$REG/token\",service=\"$REG\"" "$hdr"; fi
}
t_token_by_hand() {
  # the Docker token protocol as a client walks it: challenge, token with Basic, then Bearer
  local hdr realm service token
  hdr=$(curl -s -D - -o /dev/null --max-time 30 "http://$REG/v2/" | tr -d '\r')
  realm=$(sed -nE 's/^[Ww][Ww][Ww]-[Aa]uthenticate: *Bearer .*realm="([^"]*)".*/\1/p' <<<"$hdr")
  service=$(sed -nE 's/^[Ww][Ww][Ww]-[Aa]uthenticate: *Bearer .*service="([^"]*)".*/\1/p' <<<"$hdr")
  echo "realm=$realm service=$service"
  token=$(curl -sf --max-time 30 -u "$REG_USER:$REG_PASS" --get --data-urlencode "service=$service" \
            --data-urlencode "scope=repository:$NS/skopeo:pull,push" "$realm" | jq -r '.token // .access_token // empty')
  [ -n "$token" ] || { echo "no token from $realm"; return 1; }
  eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $token" "http://$REG/v2/")" 200
  eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer not.a.token" "http://$REG/v2/")" 401
}
t_skopeo_login_wrong() {
  forget_login
  refused "$NOPE|wrong|invalid" skopeo login --tls-verify=false -u "$REG_USER" --password-stdin "$REG" <<<"wrong-$RUN"
  logged_out
}
t_skopeo_login() {
  forget_login
  skopeo login --tls-verify=false -u "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
  logged_in
}
t_anon_skopeo() {
  refused "$NOPE" skopeo inspect --no-creds --tls-verify=false "docker://$REG/$NS/skopeo:v1"
}
t_anon_push() {
  refused "$NOPE" skopeo copy --dest-no-creds --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$NS/anonymous:v1"
  eq "$(http_status -I "http://$REG/v2/$NS/anonymous/manifests/v1")" 404
}
t_anon_curl() {
  local hdr="$W/anon-manifest.hdr" code
  code=$(curl -s -o /dev/null -D "$hdr" -w '%{http_code}' --max-time 30 "http://$REG/v2/$NS/skopeo/manifests/v1")
  cat "$hdr"
  eq "$code" 401
  grep -qiE '^www-authenticate: *bearer ' "$hdr"
  if [ "$OWN_HUB" = 1 ]; then grep -qiF "scope=\"repository:$NS/skopeo:pull\"" "$hdr"; fi
  eq "$(http_status "http://$REG/v2/$NS/skopeo/manifests/v1")" 200
}

# ------------------------------------------------------------------------------ checks: umoci + skopeo
t_umoci_build() {
  cd "$W"
  echo "hello from the nocker interop suite, run $RUN" >files/hello.txt
  umoci init --layout layout
  umoci new --image layout:v1
  umoci insert --image layout:v1 files/hello.txt /hello.txt
  umoci config --image layout:v1 --config.cmd /hello.txt --os linux --architecture amd64
  # a second image with one 8 MiB incompressible layer
  { echo "run $RUN"; head -c 8388608 /dev/urandom; } >files/big.bin
  umoci new --image layout:big
  umoci insert --image layout:big files/big.bin /big.bin
  umoci config --image layout:big --os linux --architecture amd64
}
t_skopeo_push()   { skopeo copy --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$NS/skopeo:v1"; }
t_skopeo_digest() { eq "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/$NS/skopeo:v1")" "$DIG"; }
t_skopeo_tags()   { skopeo list-tags --tls-verify=false "docker://$REG/$NS/skopeo" | jq -e '.Tags | index("v1") != null'; }
t_skopeo_pull() {
  skopeo copy --src-tls-verify=false "docker://$REG/$NS/skopeo:v1" "oci:$W/pulled:v1"
  eq "$(tagged_digest "$W/pulled" v1)" "$DIG"
  cmp "$W/layout/blobs/sha256/${LAYER#sha256:}" "$W/pulled/blobs/sha256/${LAYER#sha256:}"
}
t_skopeo_between() {
  skopeo copy --src-tls-verify=false --dest-tls-verify=false \
    "docker://$REG/$NS/skopeo:v1" "docker://$REG/$NS/skopeo-copy:v1"
  eq "$(raw_digest "$REG/$NS/skopeo-copy:v1")" "$DIG"
}
t_mount_by_client() {
  # A copy inside one registry should mount the layers from the source repository instead of
  # uploading them again; the copied image must be complete either way.
  skopeo --debug copy --src-tls-verify=false --dest-tls-verify=false \
    "docker://$REG/$NS/skopeo:v1" "docker://$REG/$NS/skopeo-mounted:v1" >"$W/mount-copy.log" 2>&1 ||
    { tail -n 20 "$W/mount-copy.log"; return 1; }
  eq "$(raw_digest "$REG/$NS/skopeo-mounted:v1")" "$DIG"
  eq "$(http_status -I "http://$REG/v2/$NS/skopeo-mounted/blobs/$LAYER")" 200
  # containers/image logs "Trying to mount ..." then "... mount OK" when the registry answered 201
  grep -i 'mount' "$W/mount-copy.log" | head -n 6
  grep -q 'mount OK' "$W/mount-copy.log" || { echo "skopeo did not get a successful cross-repository mount"; return 1; }
}
t_mount_raw() {
  # POST /v2/<to>/blobs/uploads/?mount=<digest>&from=<from> must answer 201 Created with the
  # blob's location, after which the blob is readable, byte-identical, from the new repository.
  local to="$NS/mount-target-$RUN" hdr="$W/mount.hdr"
  local code
  code=$(hcurl -s -o /dev/null -D "$hdr" -w '%{http_code}' --max-time 30 -X POST \
    "http://$REG/v2/$to/blobs/uploads/?mount=$LAYER&from=$NS/skopeo")
  cat "$hdr"
  eq "$code" 201
  grep -qi '^location:' "$hdr"
  eq "$(http_status -I "http://$REG/v2/$to/blobs/$LAYER")" 200
  eq "sha256:$(hcurl -sf --max-time 30 "http://$REG/v2/$to/blobs/$LAYER" | sha256sum | cut -d' ' -f1)" "$LAYER"
}
t_skopeo_delete() { skopeo delete --tls-verify=false "docker://$REG/$NS/skopeo-copy@$DIG"; }
t_deleted_gone() {
  if skopeo inspect --tls-verify=false --raw "docker://$REG/$NS/skopeo-copy@$DIG"; then
    echo "manifest still served after delete"; return 1
  fi
  eq "$(http_status -I "http://$REG/v2/$NS/skopeo-copy/manifests/$DIG")" 404
}
t_delete_scoped() { eq "$(raw_digest "$REG/$NS/skopeo@$DIG")" "$DIG"; }
t_big_layer() {
  # skopeo uploads layers as a streamed PATCH (chunked transfer encoding) before the closing PUT
  skopeo copy --dest-tls-verify=false "oci:$W/layout:big" "docker://$REG/$NS/big:v1"
  skopeo copy --src-tls-verify=false "docker://$REG/$NS/big:v1" "oci:$W/pulled-big:v1"
  eq "$(tagged_digest "$W/pulled-big" v1)" "$BIGDIG"
  cmp "$W/layout/blobs/sha256/${BIGLAYER#sha256:}" "$W/pulled-big/blobs/sha256/${BIGLAYER#sha256:}"
}

# ------------------------------------------------------------------------------ checks: buildah + podman
t_buildah_build() {
  local a c
  for a in amd64 arm64; do
    echo "$a image of the nocker interop suite, run $RUN" >"$W/files/arch-$a.txt"
    c=$(bld from --arch "$a" scratch)
    bld copy "$c" "$W/files/arch-$a.txt" /arch.txt
    bld config --arch "$a" --os linux --cmd /arch.txt "$c"
    bld commit -q "$c" "localhost/nocker-interop/img:$a"
    bld rm "$c"
  done
}
t_buildah_login() {
  forget_login
  bld login --tls-verify=false -u "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
  logged_in
}
t_podman_login() {
  forget_login
  pod login --tls-verify=false -u "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
  logged_in
  eq "$(pod login --get-login "$REG")" "$REG_USER"
}
t_buildah_push() { bld push --tls-verify=false localhost/nocker-interop/img:amd64 "docker://$REG/$NS/buildah:amd64"; }
t_podman_pull()  { pod pull --tls-verify=false "$REG/$NS/buildah:amd64"; }
t_podman_push() {
  pod push --tls-verify=false "$REG/$NS/buildah:amd64" "docker://$REG/$NS/podman:amd64"
  skopeo inspect --tls-verify=false --raw "docker://$REG/$NS/podman:amd64" | jq -e '.layers | length == 1'
}
t_manifest_create() {
  pod manifest create localhost/nocker-interop/multi:v1
  pod manifest add localhost/nocker-interop/multi:v1 containers-storage:localhost/nocker-interop/img:amd64
  pod manifest add localhost/nocker-interop/multi:v1 containers-storage:localhost/nocker-interop/img:arm64
}
t_manifest_push() { pod manifest push --all --tls-verify=false localhost/nocker-interop/multi:v1 "docker://$REG/$NS/multi:v1"; }
t_index_platforms() {
  eq "$(skopeo inspect --tls-verify=false --raw "docker://$REG/$NS/multi:v1" |
        jq -r '[.manifests[].platform | "\(.os)/\(.architecture)"] | sort | join(",")')" "linux/amd64,linux/arm64"
}
t_copy_all() {
  skopeo copy --all --src-tls-verify=false --dest-tls-verify=false \
    "docker://$REG/$NS/multi:v1" "docker://$REG/$NS/multi-copy:v1"
  eq "$(raw_digest "$REG/$NS/multi-copy:v1")" "$(raw_digest "$REG/$NS/multi:v1")"
}
t_podman_pull_arm64() {
  pod pull --tls-verify=false --arch arm64 "$REG/$NS/multi:v1"
  eq "$(pod image inspect --format '{{.Architecture}}' "$REG/$NS/multi:v1")" arm64
}

# ------------------------------------------------------------------------------ checks: oras
ART=application/vnd.nocker.interop.thing.v1
SIGT=application/vnd.nocker.interop.sig.v1
export ART SIGT
referrers_of() {   # prints the number of referrers of $1 with artifact type $2, via the referrers API
  oras discover --plain-http --distribution-spec v1.1-referrers-api --format json "$1" |
    jq --arg t "$2" '[(.manifests // .referrers // [])[] | select(.artifactType == $t)] | length'
}
t_oras_login() {
  forget_login
  oras login --plain-http -u "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
  logged_in
}
t_oras_push() {
  cd "$W/files"
  echo "payload of run $RUN" >payload.txt
  oras push --plain-http --artifact-type "$ART" "$REG/$NS/oras:v1" payload.txt:text/plain
}
t_oras_pull() {
  oras pull --plain-http -o "$W/oras-out" "$REG/$NS/oras:v1"
  cmp "$W/oras-out/payload.txt" "$W/files/payload.txt"
}
t_oras_tags() { contains "$(oras repo tags --plain-http "$REG/$NS/oras")" v1; }
t_oras_attach() {
  cd "$W/files"
  echo "{\"signature-of-run\":\"$RUN\"}" >sig.json
  oras attach --plain-http --artifact-type "$SIGT" "$REG/$NS/oras:v1" sig.json:application/json
}
t_no_tag_fallback() {
  # a registry with the referrers API answers OCI-Subject, so the client must not have fallen
  # back to the "sha256-<hex>" referrers tag schema
  local tags
  tags=$(oras repo tags --plain-http "$REG/$NS/oras")
  echo "$tags"
  ! grep -q '^sha256-' <<<"$tags"
}
t_oras_discover() { eq "$(referrers_of "$REG/$NS/oras:v1" "$SIGT")" 1; }
t_referrers_raw() {
  local d code
  d=$(oras resolve --plain-http "$REG/$NS/oras:v1")
  code=$(hcurl -s --max-time 30 -D "$W/referrers.hdr" -o "$W/referrers.json" -w '%{http_code}' \
    "http://$REG/v2/$NS/oras/referrers/$d")
  cat "$W/referrers.hdr" "$W/referrers.json"; echo
  eq "$code" 200
  grep -qi '^content-type: *application/vnd.oci.image.index.v1+json' "$W/referrers.hdr"
  jq -e --arg t "$SIGT" '.schemaVersion == 2 and ([.manifests[] | select(.artifactType == $t)] | length == 1)' "$W/referrers.json"
}
t_oras_cp() {
  oras cp -r --from-plain-http --to-plain-http "$REG/$NS/oras:v1" "$REG/$NS/oras-copy:v1"
  eq "$(oras resolve --plain-http "$REG/$NS/oras-copy:v1")" "$(oras resolve --plain-http "$REG/$NS/oras:v1")"
  eq "$(referrers_of "$REG/$NS/oras-copy:v1" "$SIGT")" 1
}
t_oras_delete() { oras manifest delete --plain-http --force "$REG/$NS/oras-copy:v1"; }
t_oras_gone()   { ! oras manifest fetch --plain-http "$REG/$NS/oras-copy:v1"; }
t_oras_big() {
  mkdir -p "$W/oras-big" && cd "$W/oras-big"
  { echo "run $RUN"; head -c 8388608 /dev/urandom; } >big.bin
  oras push --plain-http "$REG/$NS/oras-big:v1" big.bin:application/octet-stream
  oras pull --plain-http -o "$W/oras-big-out" "$REG/$NS/oras-big:v1"
  cmp "$W/oras-big/big.bin" "$W/oras-big-out/big.bin"
}
t_sbom_referrers() {   # the Hub scans what skopeo pushed and attaches its SBOMs as referrers
  local type file i ref
  for type in application/vnd.cyclonedx+json application/spdx+json; do
    for i in $(seq 60); do
      [ "$(referrers_of "$REG/$NS/skopeo:v1" "$type")" = 1 ] && break
      sleep 1
    done
    eq "$(referrers_of "$REG/$NS/skopeo:v1" "$type")" 1
    ref=$(oras discover --plain-http --distribution-spec v1.1-referrers-api --format json "$REG/$NS/skopeo:v1" |
      jq -r --arg t "$type" '[(.manifests // .referrers // [])[] | select(.artifactType == $t)][0].digest')
    rm -rf "$W/sbom-out" && oras pull --plain-http -o "$W/sbom-out" "$REG/$NS/skopeo@$ref"
    file=$(ls "$W/sbom-out")
    case "$type" in
      *cyclonedx*) eq "$file" sbom.cdx.json; jq -e '.bomFormat == "CycloneDX" and .specVersion == "1.6"' "$W/sbom-out/$file" ;;
      *) eq "$file" sbom.spdx.json; jq -e '.spdxVersion == "SPDX-2.3"' "$W/sbom-out/$file" ;;
    esac
  done
}

# ------------------------------------------------------------------------------ checks: cosign
t_cosign_login() {
  forget_login
  cosign login "$REG" -u "$REG_USER" --password-stdin <<<"$REG_PASS"
  logged_in
}
t_cosign_keys() {
  mkdir -p "$W/cosign" "$W/cosign-other"
  (cd "$W/cosign" && cosign generate-key-pair)
  (cd "$W/cosign-other" && cosign generate-key-pair)
}
t_cosign_sign() {
  cosign sign --allow-http-registry --allow-insecure-registry --key "$W/cosign/cosign.key" \
    --tlog-upload=false --yes "$REG/$NS/skopeo@$DIG"
}
t_cosign_verify() {
  cosign verify --allow-http-registry --allow-insecure-registry --key "$W/cosign/cosign.pub" \
    --insecure-ignore-tlog=true "$REG/$NS/skopeo@$DIG"
}
t_cosign_wrong_key() {
  ! cosign verify --allow-http-registry --allow-insecure-registry --key "$W/cosign-other/cosign.pub" \
    --insecure-ignore-tlog=true "$REG/$NS/skopeo@$DIG"
}

# ------------------------------------------------------------------------------ checks: docker CLI
# Without a daemon to ask, the docker CLI logs in by itself (and saves the Hub's refresh token).
t_docker_cli_login_wrong() {
  forget_login
  DOCKER_HOST=$NODOCKERD refused "$NOPE|wrong|incorrect" docker login -u "$REG_USER" --password-stdin "$REG" <<<"wrong-$RUN"
  logged_out
}
t_docker_cli_login() {
  forget_login
  DOCKER_HOST=$NODOCKERD docker login -u "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
  logged_in
  has_identity_token
}
t_docker_manifest() {
  docker manifest inspect --insecure "$REG/$NS/multi:v1" |
    jq -e '[.manifests[].platform.architecture] | sort == ["amd64", "arm64"]'
}

# ------------------------------------------------------------------------------ checks: nocker login, users, robots
t_nocker_login() {
  mkdir -p "$NCFG"
  DOCKER_CONFIG=$NCFG nocker login "$REG" -u "$REG_USER" --password-stdin <<<"$REG_PASS"
  logged_in "$NCFG/config.json"
}
t_nocker_reuse() {
  # skopeo and oras read the Docker config nocker login wrote, and nothing else
  export DOCKER_CONFIG=$NCFG REGISTRY_AUTH_FILE=$NCFG/config.json
  eq "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/$NS/skopeo:v1")" "$DIG"
  skopeo copy --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$NS/nocker-login:v1"
  contains "$(oras repo tags --plain-http "$REG/$NS/oras")" v1
  oras pull --plain-http -o "$W/oras-nocker-out" "$REG/$NS/oras:v1"
  cmp "$W/oras-nocker-out/payload.txt" "$W/files/payload.txt"
}
t_user_create() {
  export DOCKER_CONFIG=$NCFG
  nocker hub user create "$DEV" --password-stdin --hub "$REG" <<<"$DEV_PASS"
  nocker hub user list --json --hub "$REG" | jq -e --arg u "$DEV" '[.users[] | select(.name == $u)] | length == 1'
}
t_user_login() {
  mkdir -p "$DCFG"
  DOCKER_CONFIG=$DCFG nocker login "$REG" -u "$DEV" --password-stdin <<<"$DEV_PASS"
  logged_in "$DCFG/config.json"
}
t_user_own_ns() {
  # a user may push into the namespace named after them; the first push creates it
  export DOCKER_CONFIG=$DCFG REGISTRY_AUTH_FILE=$DCFG/config.json
  skopeo copy --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$DEV/app:v1"
  eq "$(raw_digest "$REG/$DEV/app:v1")" "$DIG"
  contains "$(oras repo tags --plain-http "$REG/$DEV/app")" v1
}
t_user_refused() {
  # the suite's namespace was created by the administrator's first push: private, no members
  export DOCKER_CONFIG=$DCFG REGISTRY_AUTH_FILE=$DCFG/config.json
  refused "$NOPE" skopeo inspect --tls-verify=false "docker://$REG/$NS/skopeo:v1"
  refused "$NOPE" skopeo copy --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$NS/$DEV-intrusion:v1"
}
t_user_member() {
  # a private namespace made by the administrator; the user pushes once they hold a role there
  DOCKER_CONFIG=$NCFG nocker hub namespace create "$TEAM" --hub "$REG"
  REGISTRY_AUTH_FILE=$DCFG/config.json refused "$NOPE" \
    skopeo copy --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$TEAM/app:v1"
  DOCKER_CONFIG=$NCFG nocker hub namespace member add "$TEAM" "$DEV" developer --hub "$REG"
  REGISTRY_AUTH_FILE=$DCFG/config.json \
    skopeo copy --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$TEAM/app:v1"
  eq "$(raw_digest "$REG/$TEAM/app:v1")" "$DIG"
}
t_robot_create() {
  DOCKER_CONFIG=$NCFG nocker hub robot create "$ROBOT" --access "$RNS/*:pull,push" --hub "$REG" --json >"$W/robot.json"
  jq 'del(.secret)' "$W/robot.json"
  eq "$(jq -r .name "$W/robot.json")" "robot\$$ROBOT"
  jq -r '.secret // empty' "$W/robot.json" >"$ROBOT_SECRET"
  [ -s "$ROBOT_SECRET" ] || { echo "no secret in the answer"; return 1; }
}
t_robot_skopeo() {
  skopeo copy --dest-creds "$(robot_creds)" --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/$RNS/skopeo:v1"
  eq "$(skopeo inspect --creds "$(robot_creds)" --tls-verify=false --format '{{.Digest}}' "docker://$REG/$RNS/skopeo:v1")" "$DIG"
}
t_robot_refused() {
  refused "$NOPE" skopeo copy --dest-creds "$(robot_creds)" --dest-tls-verify=false \
    "oci:$W/layout:v1" "docker://$REG/$NS/robot-intrusion:v1"
  refused "$NOPE" skopeo inspect --creds "$(robot_creds)" --tls-verify=false "docker://$REG/$NS/skopeo:v1"
  eq "$(http_status -I "http://$REG/v2/$NS/robot-intrusion/manifests/v1")" 404
}
t_robot_audit() {
  # the refused push is in the audit log, under the robot's name
  local i
  for ((i = 0; i < 20; i++)); do
    DOCKER_CONFIG=$NCFG nocker hub audit --actor "robot\$$ROBOT" --limit 100 --json --hub "$REG" >"$W/audit.json"
    jq -e --arg r "$NS/robot-intrusion" '[.entries[] | select(.repository == $r and .outcome == "denied")] | length > 0' \
      "$W/audit.json" && return 0
    sleep 0.5
  done
  jq -c '.entries[]' "$W/audit.json"; return 1
}
t_nocker_logout() {
  DOCKER_CONFIG=$DCFG nocker logout "$REG"
  logged_out "$DCFG/config.json"
  REGISTRY_AUTH_FILE=$DCFG/config.json DOCKER_CONFIG=$DCFG refused "$NOPE" \
    skopeo inspect --tls-verify=false "docker://$REG/$DEV/app:v1"
}

# ------------------------------------------------------------------------------ checks: nocker build
# The build flow end to end with the nocker CLI of this checkout: a busybox root filesystem
# imported as sample/base:1.0, the sample project of conformance/fixtures/sample built on it
# (copy steps, a run step executed with runc, config-only steps, an environment) and pushed,
# then read back by skopeo, nocker pull and (further below) docker pull through dockerd.
BLD="$W/build"
APP="sample/app"
BASE="sample/base:1.0"
export BLD APP BASE
app_digest() { cat "$BLD/app.digest"; }
t_build_rootfs() {
  # Debian's busybox-static is one static binary: the root filesystem needs nothing else
  [ -f /bin/busybox ] || { echo "/bin/busybox is missing: install the Debian package busybox-static"; return 1; }
  if ldd /bin/busybox >/dev/null 2>&1; then
    echo "/bin/busybox is dynamically linked: install the Debian package busybox-static"; return 1
  fi
  local r="$BLD/rootfs" a
  rm -rf "$r"
  mkdir -p "$r/bin" "$r/etc"
  cp /bin/busybox "$r/bin/busybox"
  for a in sh ls cat echo rm mkdir; do ln -s busybox "$r/bin/$a"; done
  echo "busybox base of the nocker interop suite, run $RUN" >"$r/etc/motd"   # the sample deletes it
  printf 'NAME="BusyBox"\nID=busybox\nPRETTY_NAME="BusyBox (nocker interop sample base)"\n' >"$r/etc/os-release"
  tar --numeric-owner --owner=0 --group=0 -czf "$BLD/rootfs.tar.gz" -C "$r" .
  tar -tvzf "$BLD/rootfs.tar.gz"
}
t_build_login() {
  forget_login
  nocker login "$REG" -u "$REG_USER" --password-stdin <<<"$REG_PASS"
  logged_in
  copy_config "$BLD/docker-config"     # what docker pull reads later: nocker's login alone
}
t_build_import() {
  nocker import "$BLD/rootfs.tar.gz" "$REG/$BASE" >"$BLD/base.digest"
  cat "$BLD/base.digest"
  grep -qxE 'sha256:[0-9a-f]{64}' "$BLD/base.digest"
  eq "$(raw_digest "$REG/$BASE")" "$(cat "$BLD/base.digest")"
  skopeo inspect --tls-verify=false --raw "docker://$REG/$BASE" | jq -e '.layers | length == 1'
}
t_build_push() {
  # the sample's run step needs an OCI runtime; CI installs runc, so its absence is a failure
  command -v "$NOCKER_RUNTIME" >/dev/null ||
    { echo "the OCI runtime $NOCKER_RUNTIME is not on PATH (conformance/install-clients.sh installs runc)"; return 1; }
  # a copy of the project: nocker build writes Nockerfile.lock beside the Nockerfile
  rm -rf "$BLD/ctx"
  cp -R "$ROOT/conformance/fixtures/sample" "$BLD/ctx"
  rm -f "$BLD/ctx/Nockerfile.lock"
  nocker build -f "$BLD/ctx/Nockerfile.yml" --push --hub "$REG" >"$BLD/app.digest"
  cat "$BLD/app.digest"
  grep -qxE 'sha256:[0-9a-f]{64}' "$BLD/app.digest"
  eq "$(raw_digest "$REG/$APP:latest")" "$(app_digest)"
}
t_build_env() {
  nocker build -f "$BLD/ctx/Nockerfile.yml" --env testing -t "$REG/$APP:testing" --push >"$BLD/testing.digest"
  cat "$BLD/testing.digest"
  eq "$(raw_digest "$REG/$APP:testing")" "$(cat "$BLD/testing.digest")"
  [ "$(cat "$BLD/testing.digest")" != "$(app_digest)" ] || { echo "the testing image is the production one"; return 1; }
  skopeo inspect --tls-verify=false --config "docker://$REG/$APP:testing" >"$BLD/testing-config.json"
  jq -c '.config' "$BLD/testing-config.json"
  contains "$(jq -r '.config.Env[]' "$BLD/testing-config.json")" APP_ENV=testing
  contains "$(jq -r '.config.Env[]' "$BLD/testing-config.json")" MODE=release
  if jq -r '.config.Env[]' "$BLD/testing-config.json" | grep -qxF APP_ENV=production; then
    echo "the testing image still has APP_ENV=production"; return 1
  fi
}
t_build_layers() {
  local oci="$BLD/oci" m n i d runs lst
  skopeo copy --src-tls-verify=false "docker://$REG/$APP:latest" "oci:$oci:latest"
  m=$(tagged_digest "$oci" latest)
  eq "$m" "$(app_digest)"
  cp "$oci/blobs/sha256/${m#sha256:}" "$BLD/manifest.json"
  jq . "$BLD/manifest.json"
  n=$(jq '.layers | length' "$BLD/manifest.json")
  mkdir -p "$BLD/layers"
  for ((i = 0; i < n; i++)); do
    d=$(jq -r ".layers[$i].digest" "$BLD/manifest.json")
    mkdir -p "$BLD/layers/$i"
    tar -tzf "$oci/blobs/sha256/${d#sha256:}" | sed 's#^\./##' >"$BLD/layers/$i.list"
    tar -xzf "$oci/blobs/sha256/${d#sha256:}" -C "$BLD/layers/$i" --no-same-owner
    echo "layer $i ($d):"; grep -v '^bin/' "$BLD/layers/$i.list" | sed 's/^/    /'
  done
  # the base's one layer comes first, unchanged
  eq "$(jq -r '.layers[0].digest' "$BLD/manifest.json")" \
     "$(skopeo inspect --tls-verify=false --raw "docker://$REG/$BASE" | jq -r '.layers[0].digest')"
  # app/built.txt, written by the run step (MODE is set by a later step), is in one layer only
  runs=$(cd "$BLD/layers" && grep -lxF app/built.txt ./*.list || true)
  [ -n "$runs" ] || { echo "no layer holds app/built.txt"; return 1; }
  eq "$(wc -l <<<"$runs")" 1
  i=$(basename "$runs" .list)
  lst="$BLD/layers/$i.list"
  eq "$(cat "$BLD/layers/$i/app/built.txt")" "sample app in  mode"
  # the same layer records the deleted /etc/motd as a whiteout, and the new directory
  grep -qxF etc/.wh.motd "$lst" || { echo "no whiteout etc/.wh.motd in layer $i"; return 1; }
  grep -qxE 'var/lib/sample/?' "$lst" || { echo "no var/lib/sample in layer $i"; return 1; }
  [ "$i" -gt 0 ] && [ "$i" -lt $((n - 1)) ] || { echo "the run step's layer is layer $i of $n"; return 1; }
  # the last copy step is the last layer
  grep -qxF usr/local/bin/start "$BLD/layers/$((n - 1)).list"
  cmp "$BLD/layers/$((n - 1))/usr/local/bin/start" "$ROOT/conformance/fixtures/sample/bin/start.sh"
}
t_build_annotations() {
  jq -c '.annotations' "$BLD/manifest.json"
  eq "$(jq -r '.annotations["org.opencontainers.image.base.name"]' "$BLD/manifest.json")" "$REG/$BASE"
  eq "$(jq -r '.annotations["org.opencontainers.image.base.digest"]' "$BLD/manifest.json")" "$(cat "$BLD/base.digest")"
  jq -e '.annotations["dev.nocker.policies"] | fromjson | .security.level == "high"' "$BLD/manifest.json"
}
t_build_nocker_pull() {
  local d
  nocker pull "$REG/$APP:latest" --output "$BLD/nocker-pulled" >"$BLD/pulled.digest"
  eq "$(cat "$BLD/pulled.digest")" "$(app_digest)"
  eq "$(tagged_digest "$BLD/nocker-pulled" latest)" "$(app_digest)"
  for d in $(jq -r '.config.digest, .layers[].digest' "$BLD/manifest.json"); do
    cmp "$BLD/oci/blobs/sha256/${d#sha256:}" "$BLD/nocker-pulled/blobs/sha256/${d#sha256:}"
  done
}
t_build_docker_pull() {
  local ref="$REG/$APP:latest" f="$BLD/docker-inspect.json" env
  # with the credentials nocker login saved, as after the README's quick start
  DOCKER_CONFIG=$BLD/docker-config docker pull -q "$ref"
  docker image inspect "$ref" >"$f"
  jq '.[0] | {RepoDigests, Config: (.Config | {Cmd, Env, WorkingDir, User})}' "$f"
  contains "$(jq -r '.[0].RepoDigests[]' "$f")" "$REG/$APP@$(app_digest)"
  eq "$(jq -c '.[0].Config.Cmd' "$f")" '["/usr/local/bin/start"]'
  env=$(jq -r '.[0].Config.Env[]' "$f")
  contains "$env" MODE=release
  contains "$env" APP_ENV=production
  eq "$(jq -r '.[0].Config.WorkingDir' "$f")" /app
  eq "$(jq -r '.[0].Config.User' "$f")" 1000:1000
}

# ------------------------------------------------------------------------------ checks: trust policy
# The namespace "prod" enforces nocker.pub's signature: the image nocker build pushed, tagged
# there and signed, is pulled by docker; an unsigned one is refused with the policy's reason.
t_policy_setup() {
  nocker tag "$(signed_ref)" "$REG/prod/app:signed"
  nocker tag "$REG/$BASE" "$REG/prod/unsigned:v1"
  nocker sign "$REG/prod/app:signed" --key "$NKEY"
  nocker hub policy set prod --mode enforce --key "$NPUB" --hub "$REG"
  nocker hub policy show prod --hub "$REG"
}
# The README's CI flow: a robot that may push to prod/* (and read the base) builds the sample,
# pushes it signed into the enforcing namespace, and the signature verifies.
t_policy_ci_flow() {
  local cfg="$SGN/ci-config"
  DOCKER_CONFIG=$NCFG nocker hub robot create "release$SFX" --access 'prod/*:pull,push' --access 'sample/*:pull' \
    --hub "$REG" --json >"$SGN/release-robot.json"
  mkdir -p "$cfg"
  jq -r .secret "$SGN/release-robot.json" |
    DOCKER_CONFIG=$cfg nocker login "$REG" -u "robot\$release$SFX" --password-stdin
  DOCKER_CONFIG=$cfg nocker build -f "$BLD/ctx/Nockerfile.yml" -t "$REG/prod/app:ci" --push --sign --key "$NKEY" >"$SGN/ci.digest"
  cat "$SGN/ci.digest"
  DOCKER_CONFIG=$cfg nocker verify "$REG/prod/app:ci"
}
# The end of the CI flow: the image the robot built and signed runs under its production
# policy (high security, restricted network, 64 MB), trusted by the signing key.
t_policy_ci_run() {
  local out
  out=$(DOCKER_CONFIG=$SGN/ci-config nocker run --verify-key "$NPUB" --rm "$REG/prod/app:ci" 2>&1)
  echo "$out"
  grep -qF 'sample app in release mode' <<<"$out"
}
# Without a trusted key the Hub's policy for production decides: unsigned is refused (exit 125).
t_policy_run_unsigned() {
  local out code=0
  out=$(nocker run "$REG/prod/unsigned:v1" sh -c true 2>&1) || code=$?
  echo "$out"
  eq "$code" 125
  grep -qF 'refused to run' <<<"$out"
  grep -qF 'is not signed' <<<"$out"
}
t_policy_docker_signed() {
  DOCKER_CONFIG=$BLD/docker-config docker pull -q "$REG/prod/app:signed"
  DOCKER_CONFIG=$BLD/docker-config docker pull -q "$REG/prod/app:ci"
}
t_policy_docker_unsigned() {
  local out
  if out=$(DOCKER_CONFIG=$BLD/docker-config docker pull "$REG/prod/unsigned:v1" 2>&1); then
    echo "$out"; echo "docker pull of an unsigned image from an enforcing namespace succeeded"; return 1
  fi
  echo "$out"
  grep -qF 'refused by trust policy' <<<"$out"
  grep -qF 'prod/unsigned@sha256:' <<<"$out"
  grep -qF 'is not signed' <<<"$out"
}

# ------------------------------------------------------------------------------ checks: signing, nocker <-> cosign
# nocker sign / attest / verify against cosign 2.5, both ways, on the image nocker build pushed
# ($APP:latest), with $APP:testing for cosign's OCI 1.1 simple signature (so that no .sig tag
# stands beside it) and the unsigned $BASE. cosign stays on loopback: a dead proxy for anything
# but 127.0.0.1, no cache, and a HOME of its own, since verify-attestation writes
# ~/.sigstore/root even with TUF_ROOT set; bundles are verified against a trusted root with empty
# lists (conformance/fixtures/cosign/README.md).
SGN="$W/signing"
NKEY="$SGN/nocker.key"
NPUB="$SGN/nocker.pub"
CKEY="$W/cosign/cosign.key"
CPUB="$W/cosign/cosign.pub"
EMPTY_ROOT="$ROOT/conformance/fixtures/cosign/crafted-bundle-sign/trusted_root_empty.json"
SIGN_PRED=https://sigstore.dev/cosign/sign/v1
CUSTOM_PRED=https://cosign.sigstore.dev/attestation/v1
TEST_PRED=https://example.com/test/v1
export SGN NKEY NPUB CKEY CPUB EMPTY_ROOT SIGN_PRED CUSTOM_PRED TEST_PRED
cosign_local() {
  mkdir -p "$SGN/home"
  HOME=$SGN/home SIGSTORE_NO_CACHE=true \
    HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1 \
    https_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 no_proxy=127.0.0.1 cosign "$@"
}
cosign_verify_bundle() {   # cosign_verify_bundle PUB PREDICATE-TYPE REF: the statements, one a line
  cosign_local verify-attestation --key "$1" --insecure-ignore-tlog=true --allow-http-registry \
    --allow-insecure-registry --new-bundle-format --trusted-root "$EMPTY_ROOT" --type "$2" "$3" |
    jq -c '.payload | @base64d | fromjson'
}
signed_ref() { echo "$REG/$APP@$(app_digest)"; }
testing_ref() { echo "$REG/$APP@$(cat "$BLD/testing.digest")"; }
# nocker_verify_json REF PUB...: nocker verify --json (exit status 0 or 1) into $SGN/verify.json
nocker_verify_json() {
  local ref=$1 k args=() rc=0
  shift
  for k in "$@"; do args+=(--key "$k"); done
  nocker verify "$ref" "${args[@]}" --json >"$SGN/verify.json" || rc=$?
  jq . "$SGN/verify.json"
  [ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "nocker verify --json exited $rc"; return 1; }
  eq "$(jq -r .digest "$SGN/verify.json")" "${ref##*@}"
}
# has_signature JQ-FILTER: one entry of $SGN/verify.json's signatures matches
has_signature() {
  jq -e "[.signatures[] | select($1)] | length >= 1" "$SGN/verify.json" >/dev/null ||
    { echo "no signature matches: $1"; return 1; }
}
t_sign_keys() {
  unset NOCKER_KEY_PASSWORD
  mkdir -p "$SGN"
  nocker key generate --out "$SGN"
  [ -s "$NKEY" ] && [ -s "$NPUB" ]
  grep -q 'BEGIN PUBLIC KEY' "$NPUB"
  [ -s "$CPUB" ] || { echo "$CPUB is missing: the cosign group makes it"; return 1; }
}
t_nocker_sign() {
  unset NOCKER_KEY_PASSWORD
  nocker sign "$(signed_ref)" --key "$NKEY" >"$SGN/sign.digest"
  cat "$SGN/sign.digest"
  grep -qxE 'sha256:[0-9a-f]{64}' "$SGN/sign.digest"
  # a referrer of the image, in bundle form
  eq "$(referrers_of "$(signed_ref)" application/vnd.dev.sigstore.bundle.v0.3+json)" 1
  nocker verify "$(signed_ref)" --key "$NPUB"
  nocker_verify_json "$(signed_ref)" "$NPUB"
  eq "$(jq -r .valid "$SGN/verify.json")" true
  has_signature ".format == \"bundle\" and .valid == true and .signer == \"$NPUB\" and
                 .artifact == \"$(cat "$SGN/sign.digest")\" and .predicateType == \"$SIGN_PRED\""
}
t_nocker_verify_untrusted() {
  local out rc=0
  out=$(nocker verify "$(signed_ref)" --key "$CPUB" 2>&1) || rc=$?
  echo "$out"
  eq "$rc" 1
  grep -qF 'no valid signature by a trusted key' <<<"$out" || { echo "no reason given for the refusal"; return 1; }
  grep -qF 'does not verify with any trusted key' <<<"$out" || { echo "the bundle's line does not say why"; return 1; }
  nocker_verify_json "$(signed_ref)" "$CPUB"
  eq "$(jq -r .valid "$SGN/verify.json")" false
  has_signature ".format == \"bundle\" and .valid == false and (.reason // \"\" | length > 0)"
}
t_cosign_verifies_nocker() {
  cosign_verify_bundle "$NPUB" "$SIGN_PRED" "$(signed_ref)" >"$SGN/cosign-sign.statements"
  cat "$SGN/cosign-sign.statements"
  jq -e --arg d "$(app_digest)" --arg t "$SIGN_PRED" \
    '.predicateType == $t and .subject[0].digest.sha256 == ($d | ltrimstr("sha256:"))' "$SGN/cosign-sign.statements"
  # and refuses it with another key
  ! cosign_verify_bundle "$CPUB" "$SIGN_PRED" "$(signed_ref)"
}
t_nocker_verifies_cosign_legacy() {
  local d
  d=$(app_digest)
  cosign_local sign --allow-http-registry --allow-insecure-registry --key "$CKEY" --tlog-upload=false --yes "$(signed_ref)"
  eq "$(http_status -I "http://$REG/v2/$APP/manifests/sha256-${d#sha256:}.sig")" 200
  nocker verify "$(signed_ref)" --key "$CPUB"
  nocker_verify_json "$(signed_ref)" "$CPUB"
  eq "$(jq -r .valid "$SGN/verify.json")" true
  has_signature ".format == \"simple-signing\" and .valid == true and .signer == \"$CPUB\" and
                 (.artifact | endswith(\"(tag sha256-${d#sha256:}.sig)\"))"
}
t_nocker_verifies_cosign_oci11() {
  local d
  d=$(cat "$BLD/testing.digest")
  COSIGN_EXPERIMENTAL=1 cosign_local sign --allow-http-registry --allow-insecure-registry --key "$CKEY" \
    --tlog-upload=false --yes --registry-referrers-mode=oci-1-1 "$(testing_ref)"
  # no .sig tag: only the referrer can be what verifies
  eq "$(http_status -I "http://$REG/v2/$APP/manifests/sha256-${d#sha256:}.sig")" 404
  cosign_local verify --allow-http-registry --allow-insecure-registry --key "$CPUB" \
    --insecure-ignore-tlog=true --experimental-oci11 "$(testing_ref)" >/dev/null
  nocker verify "$(testing_ref)" --key "$CPUB"
  nocker_verify_json "$(testing_ref)" "$CPUB"
  eq "$(jq -r .valid "$SGN/verify.json")" true
  has_signature '.format == "simple-signing" and .valid == true and (.artifact | test("^sha256:[0-9a-f]{64}$"))'
  # that artifact is the image's cosign referrer
  oras discover --plain-http --distribution-spec v1.1-referrers-api --format json "$(testing_ref)" |
    jq -r '(.manifests // .referrers // [])[] | select(.artifactType == "application/vnd.dev.cosign.artifact.sig.v1+json") | .digest' \
    >"$SGN/oci11.referrers"
  cat "$SGN/oci11.referrers"
  contains "$(cat "$SGN/oci11.referrers")" \
    "$(jq -r '[.signatures[] | select(.format == "simple-signing" and .valid)][0].artifact' "$SGN/verify.json")"
}
t_nocker_verifies_cosign_bundle() {
  echo "{\"run\":\"$RUN\"}" >"$SGN/cosign-predicate.json"
  cosign_local attest --allow-http-registry --allow-insecure-registry --key "$CKEY" --tlog-upload=false --yes \
    --new-bundle-format --predicate "$SGN/cosign-predicate.json" --type custom "$(signed_ref)"
  nocker_verify_json "$(signed_ref)" "$CPUB"
  has_signature ".format == \"bundle\" and .valid == true and .signer == \"$CPUB\" and .predicateType == \"$CUSTOM_PRED\""
  # nocker's own bundle is still there, not valid under cosign's key
  has_signature ".format == \"bundle\" and .valid == false and .artifact == \"$(cat "$SGN/sign.digest")\""
}
t_cosign_verifies_nocker_attest() {
  unset NOCKER_KEY_PASSWORD
  echo "{\"suite\":\"nocker interop\",\"run\":\"$RUN\"}" >"$SGN/predicate.json"
  nocker attest "$(signed_ref)" --predicate "$SGN/predicate.json" --type "$TEST_PRED" --key "$NKEY" >"$SGN/attest.digest"
  cat "$SGN/attest.digest"
  grep -qxE 'sha256:[0-9a-f]{64}' "$SGN/attest.digest"
  cosign_verify_bundle "$NPUB" "$TEST_PRED" "$(signed_ref)" >"$SGN/cosign-attest.statements"
  cat "$SGN/cosign-attest.statements"
  jq -e --arg d "$(app_digest)" --arg t "$TEST_PRED" --slurpfile p "$SGN/predicate.json" \
    '.predicateType == $t and .subject[0].digest.sha256 == ($d | ltrimstr("sha256:")) and .predicate == $p[0]' \
    "$SGN/cosign-attest.statements"
  # nocker verify lists it as a valid attestation, beside the signature
  nocker_verify_json "$(signed_ref)" "$NPUB"
  has_signature ".format == \"bundle\" and .valid == true and .artifact == \"$(cat "$SGN/attest.digest")\" and .predicateType == \"$TEST_PRED\""
}
t_nocker_verify_unsigned() {
  local ref out rc=0
  ref="$REG/${BASE%:*}@$(cat "$BLD/base.digest")"
  out=$(nocker verify "$ref" --key "$NPUB" --key "$CPUB" 2>&1) || rc=$?
  echo "$out"
  eq "$rc" 1
  grep -qF 'not signed' <<<"$out" || { echo "does not say the image is not signed"; return 1; }
  nocker_verify_json "$ref" "$NPUB" "$CPUB"
  jq -e '.valid == false and .signatures == []' "$SGN/verify.json"
}

# ------------------------------------------------------------------------------ checks: containerd
CTD="$W/containerd"
export CTD
ctrc() { ctr --address "$CTD/containerd.sock" --namespace nocker-interop "$@"; }
t_containerd_start() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ -S "$CTD/containerd.sock" ] && ctrc version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -n 30 "$CTD/containerd.log"; return 1
}
# ctr has no login of its own: credentials go with each command
t_ctr_anon() { refused "$NOPE" ctrc images pull --plain-http --snapshotter native "$REG/$NS/skopeo:v1"; }
t_ctr_pull() { ctrc images pull --plain-http ${REG_USER:+--user "$REG_USER:$REG_PASS"} --snapshotter native "$REG/$NS/skopeo:v1"; }
t_ctr_push() {
  ctrc images tag --force "$REG/$NS/skopeo:v1" "$REG/$NS/ctr:v1"
  ctrc images push --plain-http ${REG_USER:+--user "$REG_USER:$REG_PASS"} "$REG/$NS/ctr:v1"
}
t_ctr_digest() { eq "$(raw_digest "$REG/$NS/ctr:v1")" "$DIG"; }
t_ctr_pull_arm64() {
  ctrc images pull --plain-http ${REG_USER:+--user "$REG_USER:$REG_PASS"} --snapshotter native \
    --platform linux/arm64 "$REG/$NS/multi:v1"
}

# ------------------------------------------------------------------------------ checks: dockerd
DKD="$W/dockerd"
export DKD
t_dockerd_start() {
  local i
  for ((i = 0; i < 300; i++)); do
    docker version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -n 30 "$DKD/dockerd.log"; return 1
}
t_dockerd_login_wrong() {
  forget_login
  refused "$NOPE|wrong|incorrect" docker login -u "$REG_USER" --password-stdin "$REG" <<<"wrong-$RUN"
  logged_out
}
t_dockerd_login() {
  # dockerd checks the credentials and hands the CLI a refresh token to save as identitytoken
  forget_login
  docker login -u "$REG_USER" --password-stdin "$REG" <<<"$REG_PASS"
  logged_in
  has_identity_token
}
t_docker_pull() { docker pull -q "$REG/$NS/skopeo:v1"; }
t_docker_push() {
  docker tag "$REG/$NS/skopeo:v1" "$REG/$NS/docker:v1"
  docker push -q "$REG/$NS/docker:v1"
  skopeo inspect --tls-verify=false "docker://$REG/$NS/docker:v1" | jq -e '.Layers | length == 1'
}
t_docker_pull_arm64() {
  docker pull -q --platform linux/arm64 "$REG/$NS/multi:v1"
  eq "$(docker image inspect --format '{{.Architecture}}' "$REG/$NS/multi:v1")" arm64
}
t_docker_robot_login() {
  mkdir -p "$RCFG"
  DOCKER_CONFIG=$RCFG docker login -u "robot\$$ROBOT" --password-stdin "$REG" <<<"$(cat "$ROBOT_SECRET")"
  logged_in "$RCFG/config.json"
}
t_docker_robot_push() {
  docker tag "$REG/$NS/skopeo:v1" "$REG/$RNS/docker:v1"
  DOCKER_CONFIG=$RCFG docker push -q "$REG/$RNS/docker:v1"
  skopeo inspect --tls-verify=false "docker://$REG/$RNS/docker:v1" | jq -e '.Layers | length == 1'
}
t_docker_robot_refused() {
  docker tag "$REG/$NS/skopeo:v1" "$REG/$NS/docker-robot-intrusion:v1"
  DOCKER_CONFIG=$RCFG refused "$NOPE" docker push -q "$REG/$NS/docker-robot-intrusion:v1"
  eq "$(http_status -I "http://$REG/v2/$NS/docker-robot-intrusion/manifests/v1")" 404
}
t_docker_robot_logout() {
  DOCKER_CONFIG=$RCFG docker logout "$REG"
  logged_out "$RCFG/config.json"
  docker tag "$REG/$NS/skopeo:v1" "$REG/$RNS/docker:after-logout"
  DOCKER_CONFIG=$RCFG refused "$NOPE" docker push -q "$REG/$RNS/docker:after-logout"
}

# ------------------------------------------------------------------------------ checks: logout
t_docker_logout() {
  copy_config "$W/logout-docker"
  DOCKER_HOST=$NODOCKERD DOCKER_CONFIG=$W/logout-docker docker logout "$REG"
  logged_out "$W/logout-docker/config.json"
  REGISTRY_AUTH_FILE=$W/logout-docker/config.json DOCKER_CONFIG=$W/logout-docker refused "$NOPE" \
    skopeo inspect --tls-verify=false "docker://$REG/$NS/skopeo:v1"
}
t_oras_logout() {
  copy_config "$W/logout-oras"
  DOCKER_CONFIG=$W/logout-oras oras logout "$REG"
  logged_out "$W/logout-oras/config.json"
  DOCKER_CONFIG=$W/logout-oras refused "$NOPE" oras manifest fetch --plain-http "$REG/$NS/oras:v1"
}
t_podman_logout() {
  copy_config "$W/logout-podman"
  pod logout --authfile "$W/logout-podman/config.json" "$REG"
  logged_out "$W/logout-podman/config.json"
}
t_skopeo_logout() {
  # the shared auth file itself: every client is anonymous afterwards
  skopeo logout "$REG"
  logged_out
  refused "$NOPE" skopeo inspect --tls-verify=false "docker://$REG/$NS/skopeo:v1"
}

export -f $(compgen -A function)

# ============================================================================== run
if [ "$AUTH" = 1 ]; then
  echo "# authentication"
  check "GET /v2/ without credentials: 401 with a Bearer challenge" t_anon_challenge
  check "token by hand: /token with Basic credentials, then GET /v2/ with the Bearer token" t_token_by_hand
  check "skopeo login with a wrong password fails and saves nothing" t_skopeo_login_wrong
  check "skopeo login (into the shared auth file)" t_skopeo_login
else
  skip "authentication: no REG_USER for $REG"
fi

echo "# umoci + skopeo"
check "umoci builds OCI layouts (small and 8 MiB layer)" t_umoci_build
DIG=$(tagged_digest "$W/layout" v1 2>/dev/null)
LAYER=$(first_layer "$W/layout" "$DIG" 2>/dev/null)
BIGDIG=$(tagged_digest "$W/layout" big 2>/dev/null)
BIGLAYER=$(first_layer "$W/layout" "$BIGDIG" 2>/dev/null)
export DIG LAYER BIGDIG BIGLAYER
check "skopeo copy oci layout -> registry" t_skopeo_push
check "skopeo inspect digest equals the layout's manifest digest" t_skopeo_digest
if [ "$AUTH" = 1 ]; then
  check "anonymous skopeo inspect --no-creds of the private repository is refused" t_anon_skopeo
  check "anonymous skopeo copy --dest-no-creds (push) is refused" t_anon_push
  check "anonymous GET of a manifest: 401 with a challenge for its pull scope" t_anon_curl
fi
check "skopeo list-tags" t_skopeo_tags
check "skopeo copy registry -> oci layout (same digest, identical layer)" t_skopeo_pull
check "skopeo copy between repositories" t_skopeo_between
check "skopeo copy into a third repository (cross-repository mount)" t_mount_by_client
check "cross-repository blob mount: POST ?mount=&from= answers 201" t_mount_raw
check "skopeo delete by digest" t_skopeo_delete
check "deleted manifest is gone (404)" t_deleted_gone
check "delete leaves the same digest in other repositories" t_delete_scoped
check "8 MiB layer round-trips byte-identically (skopeo, streamed upload)" t_big_layer

echo "# buildah + podman"
check "buildah builds from scratch (amd64, arm64)" t_buildah_build
[ "$AUTH" = 1 ] && check "buildah login" t_buildah_login
check "buildah push" t_buildah_push
[ "$AUTH" = 1 ] && check "podman login" t_podman_login
check "podman pull" t_podman_pull
check "podman push to another repository" t_podman_push
check "podman manifest create + add (2 arches)" t_manifest_create
check "podman manifest push --all" t_manifest_push
check "index lists linux/amd64 and linux/arm64" t_index_platforms
check "skopeo copy --all of the index (same digest)" t_copy_all
check "podman pull --arch arm64 from the index" t_podman_pull_arm64

echo "# oras"
[ "$AUTH" = 1 ] && check "oras login" t_oras_login
check "oras push artifact" t_oras_push
check "oras pull (content identical)" t_oras_pull
check "oras repo tags" t_oras_tags
check "oras attach (subject)" t_oras_attach
check "attach used the referrers API (no sha256-* fallback tag)" t_no_tag_fallback
check "oras discover --distribution-spec v1.1-referrers-api finds the attached artifact" t_oras_discover
check "GET /v2/<name>/referrers/<digest> returns an OCI index" t_referrers_raw
check "oras cp -r (artifact and its referrers)" t_oras_cp
check "oras manifest delete" t_oras_delete
# Only a Nocker Hub scans what is pushed to it.
[ "$OWN_HUB" = 1 ] && check "oras discovers and pulls the CycloneDX and SPDX SBOMs the Hub attached to an image" t_sbom_referrers
check "deleted artifact is gone" t_oras_gone
check "8 MiB blob round-trips byte-identically (oras)" t_oras_big

echo "# cosign"
[ "$AUTH" = 1 ] && check "cosign login" t_cosign_login
check "cosign generate-key-pair" t_cosign_keys
check "cosign sign --key (no tlog)" t_cosign_sign
check "cosign verify --key" t_cosign_verify
check "cosign verify rejects another key" t_cosign_wrong_key

echo "# docker CLI"
if [ "$AUTH" = 1 ]; then
  check "docker login with a wrong password fails (CLI, no daemon)" t_docker_cli_login_wrong
  check "docker login (CLI, no daemon): saves an identity token" t_docker_cli_login
fi
check "docker manifest inspect --insecure of the index" t_docker_manifest

if [ "$AUTH" = 1 ]; then
  echo "# nocker login"
  check "nocker login saves the credentials in a Docker config" t_nocker_login
  check "skopeo and oras use the credentials nocker login saved" t_nocker_reuse
else
  skip "nocker login: no REG_USER for $REG"
fi
if [ "$ACCOUNTS" = 1 ]; then
  echo "# accounts: users, namespaces, robots"
  check "nocker hub user create (as the account nocker login saved)" t_user_create
  check "nocker login as that user" t_user_login
  check "the user pushes into their own namespace (skopeo, oras with nocker's config)" t_user_own_ns
  check "the user may neither pull from nor push into a private namespace" t_user_refused
  check "the user pushes into a namespace once a developer there" t_user_member
  check "nocker hub robot create --access $RNS/*:pull,push" t_robot_create
  check "the robot pushes into its namespace (skopeo --creds)" t_robot_skopeo
  check "the robot is refused outside its namespace (skopeo --creds)" t_robot_refused
  check "the audit log records the robot's refused push" t_robot_audit
  check "nocker logout removes the credentials; the user is then anonymous" t_nocker_logout
elif [ "$AUTH" = 1 ]; then
  skip "accounts: INTEROP_ACCOUNT_CHECKS is not 1"
fi

if [ "$AUTH" = 1 ]; then
  echo "# nocker build (busybox base, sample project, run step with $NOCKER_RUNTIME)"
  mkdir -p "$BLD"
  check "a busybox root filesystem tarball from busybox-static" t_build_rootfs
  check "nocker login (into the shared Docker config)" t_build_login
  check "nocker import of the busybox tarball as $BASE" t_build_import
  check "nocker build --push of the sample project (copy, run, env, workdir steps)" t_build_push
  check "nocker build --env testing --push under another tag (APP_ENV=testing)" t_build_env
  check "skopeo copy of the built image: layers hold the run step's output and whiteout" t_build_layers
  check "the built image's manifest names its base and its policies" t_build_annotations
  check "nocker pull --output gives the built image's digest and blobs" t_build_nocker_pull
else
  skip "nocker build: no REG_USER for $REG (nocker build --push needs nocker login)"
fi

if [ "$AUTH" = 1 ]; then
  echo "# signing: nocker <-> cosign"
  check "nocker key generate (an unencrypted key pair)" t_sign_keys
  check "nocker sign (bundle referrer); nocker verify --key nocker.pub accepts it" t_nocker_sign
  check "nocker verify with cosign's key only: exit 1, and why" t_nocker_verify_untrusted
  check "cosign verify-attestation --new-bundle-format accepts nocker's signature" t_cosign_verifies_nocker
  check "nocker verify accepts cosign sign's legacy .sig signature" t_nocker_verifies_cosign_legacy
  check "nocker verify accepts cosign sign --registry-referrers-mode=oci-1-1 (referrer)" t_nocker_verifies_cosign_oci11
  check "nocker verify lists cosign attest --new-bundle-format as a valid attestation" t_nocker_verifies_cosign_bundle
  check "nocker attest; cosign verify-attestation --type accepts it" t_cosign_verifies_nocker_attest
  check "nocker verify of an unsigned image: exit 1, not signed" t_nocker_verify_unsigned
  check "nocker hub policy set prod --mode enforce (a signed and an unsigned image in prod)" t_policy_setup
  check "CI flow: a robot runs nocker build --push --sign into prod; nocker verify against the Hub's policy" t_policy_ci_flow
  check "CI flow: nocker run of the signed image under its production policy" t_policy_ci_run
  check "nocker run of an unsigned image in an enforcing namespace is refused (125), saying why" t_policy_run_unsigned
else
  skip "signing: no REG_USER for $REG (signs the image nocker build pushed)"
fi

if [ "$WITH_DAEMONS" = 1 ]; then
  echo "# containerd (private instance)"
  mkdir -p "$CTD"
  cat >"$CTD/config.toml" <<EOF
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$CTD/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTD/opt"
EOF
  containerd --config "$CTD/config.toml" >"$CTD/containerd.log" 2>&1 &
  PIDS+=($!)
  if check "containerd starts" t_containerd_start; then
    [ "$AUTH" = 1 ] && check "ctr images pull without --user is refused" t_ctr_anon
    check "ctr images pull --plain-http" t_ctr_pull
    check "ctr images tag + push --plain-http" t_ctr_push
    check "ctr pushed manifest keeps its digest" t_ctr_digest
    check "ctr images pull --platform linux/arm64 from the index" t_ctr_pull_arm64

    echo "# dockerd (private instance on that containerd)"
    mkdir -p "$DKD"
    echo '{}' >"$DKD/daemon.json"
    dockerd --config-file "$DKD/daemon.json" --data-root "$DKD/data" --exec-root "$DKD/exec" \
      --pidfile "$DKD/dockerd.pid" -H "unix://$DKD/docker.sock" --containerd "$CTD/containerd.sock" \
      --storage-driver vfs --iptables=false --ip6tables=false --bridge=none \
      --insecure-registry "$REG" >"$DKD/dockerd.log" 2>&1 &
    PIDS+=($!)
    export DOCKER_HOST="unix://$DKD/docker.sock"
    if check "dockerd starts" t_dockerd_start; then
      if [ "$AUTH" = 1 ]; then
        check "docker login through dockerd with a wrong password fails" t_dockerd_login_wrong
        check "docker login through dockerd: saves an identity token" t_dockerd_login
      fi
      check "docker pull" t_docker_pull
      check "docker push to another repository" t_docker_push
      check "docker pull --platform linux/arm64 from the index" t_docker_pull_arm64
      [ "$AUTH" = 1 ] && check "docker pull of the image nocker build pushed: its digest and config" t_build_docker_pull
      if [ "$AUTH" = 1 ]; then
        check "docker pull of signed images (nocker sign, nocker build --sign) from an enforcing namespace" t_policy_docker_signed
        check "docker pull of an unsigned image from an enforcing namespace is refused, saying why" t_policy_docker_unsigned
      fi
      if [ "$ACCOUNTS" = 1 ]; then
        check "docker login as robot\$$ROBOT (own Docker config)" t_docker_robot_login
        check "the robot docker-pushes into its namespace" t_docker_robot_push
        check "the robot's docker push outside its namespace is refused" t_docker_robot_refused
        check "docker logout removes the robot's credentials; its push is then refused" t_docker_robot_logout
      fi
    fi
    unset DOCKER_HOST
  fi
else
  skip "containerd, dockerd (and docker pull of the image nocker build pushed): WITH_DAEMONS is not 1"
fi

if [ "$AUTH" = 1 ]; then
  echo "# logout"
  check "docker logout removes the credentials" t_docker_logout
  check "oras logout removes the credentials" t_oras_logout
  check "podman logout removes the credentials" t_podman_logout
  check "skopeo logout removes the credentials; skopeo is then refused" t_skopeo_logout
fi

if [ "$FAIL" -gt 0 ] && [ -n "$HUB_PID" ]; then
  echo "---- last 60 lines of the hub log ----"
  tail -n 60 "$W/hub.log"
  echo "--------------------------------------"
fi
summary
[ "$FAIL" = 0 ]
