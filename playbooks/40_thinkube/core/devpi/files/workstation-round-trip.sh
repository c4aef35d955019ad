# The DevPi test on the admin's workstation (88_test_workstation), run over SSH as the login
# user with the devpi-client 85_cli_setup installed. From the environment (sent on stdin,
# never on a command line): API_URL, INDEX (root/<name>), DEVPI_ROOT_PASSWORD, CA_FILE
# (`~/…` or empty when the certificates chain to a public CA), SHELL_CONFIG (`~/…`, bash).
# WHEEL_MAKER: the smoke wheel maker (Python), set in front of this script by 88_test_workstation.
# Everything happens in a throwaway volatile index, deleted at the end whatever happened; the
# real index is only read. Prints one line per step; exits non-zero naming the failed one.
set -euo pipefail
work=$(mktemp -d)
scratch="root/helix-ws-$(date +%s)-$$"
made=''
dv() { "$HOME/.local/bin/devpi" --clientdir "$work/client" "$@"; }
cleanup() {
  if [ -n "$made" ]; then
    dv index -y --delete "$scratch" >/dev/null 2>&1 || true
    if dv getjson "$API_URL/$scratch" >/dev/null 2>&1; then echo "FAILED: the throwaway index $scratch is still there" >&2; rm -rf "$work"; exit 1; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT
CA_FILE="${CA_FILE:-}"
case "$CA_FILE" in "~/"*) CA_FILE="$HOME/${CA_FILE#\~/}" ;; esac
if [ -n "$CA_FILE" ]; then export REQUESTS_CA_BUNDLE="$CA_FILE" PIP_CERT="$CA_FILE"; fi
version="0.0.$(date +%s)"
mkdir -p "$work/dist"
python3 -c "$WHEEL_MAKER" helix-devpi-smoke "$version" "$work/dist" >/dev/null

login() { out=$(printf '%s\n' "$DEVPI_ROOT_PASSWORD" | dv login root 2>&1) || { echo "FAILED: devpi login as root: $out" >&2; exit 1; }; }
# What the user's shell loads (86_shell_config): DEVPI_INDEX names the index devpi-client uses.
shell_config="$HOME/${SHELL_CONFIG#\~/}"
[ -f "$shell_config" ] || { echo "FAILED: $SHELL_CONFIG is missing" >&2; exit 1; }
. "$shell_config"
[ "${DEVPI_INDEX:-}" = "$API_URL/$INDEX" ] || { echo "FAILED: $SHELL_CONFIG sets DEVPI_INDEX=${DEVPI_INDEX:-}, expected $API_URL/$INDEX" >&2; exit 1; }
out=$(dv use 2>&1) || { echo "FAILED: devpi use: $out" >&2; exit 1; }
case "$out" in *"current devpi index: $API_URL/$INDEX "*) ;; *) echo "FAILED: devpi use does not show $API_URL/$INDEX: $out" >&2; exit 1 ;; esac
echo "devpi-client: using $API_URL/$INDEX (DEVPI_INDEX from $SHELL_CONFIG)"
# From here on the index is chosen with `devpi use`, which DEVPI_INDEX would override: every
# write goes to the throwaway index, never to the real one.
unset DEVPI_INDEX
dv use "$API_URL/$INDEX" >/dev/null
login
echo "devpi-client: logged in as root"
out=$(dv index -c "$scratch" type=stage bases= volatile=True 2>&1) || { echo "FAILED: devpi index -c $scratch: $out" >&2; exit 1; }
made=1
echo "devpi-client: created $scratch"
dv logoff >/dev/null
dv use "$API_URL/$scratch" >/dev/null
if out=$(dv upload --index "$scratch" --from-dir "$work/dist" 2>&1); then echo "FAILED: an anonymous upload to $scratch was accepted" >&2; exit 1; fi
case "$out" in *401*|*403*|*[Uu]nauthorized*|*[Ff]orbidden*) echo "devpi-client: anonymous upload refused" ;; *) echo "FAILED: anonymous upload failed for another reason: $out" >&2; exit 1 ;; esac
login
out=$(dv upload --index "$scratch" --from-dir "$work/dist" 2>&1) || { echo "FAILED: devpi upload to $scratch: $out" >&2; exit 1; }
echo "devpi-client: uploaded helix-devpi-smoke $version"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --index-url "$API_URL/$scratch/+simple/" "helix-devpi-smoke==$version"
got=$("$work/venv/bin/python" -c 'import helix_devpi_smoke as m; print(m.VERSION)')
[ "$got" = "$version" ] || { echo "FAILED: pip installed version $got, expected $version" >&2; exit 1; }
echo "pip: installed helix-devpi-smoke $version through $API_URL"
