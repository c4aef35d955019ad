# The DevPi test on the admin's workstation (88_test_workstation), run over SSH as the login
# user with the devpi-client 85_cli_setup installed. From the environment (sent on stdin,
# never on a command line): API_URL, INDEX (root/<name>), DEVPI_ROOT_PASSWORD, CA_FILE
# (`~/…` or empty when the certificates chain to a public CA). $1: the smoke wheel maker (Python).
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
python3 -c "$1" helix-devpi-smoke "$version" "$work/dist" >/dev/null

dv use "$API_URL/$INDEX" >/dev/null
echo "devpi-client: using $API_URL/$INDEX"
printf '%s\n' "$DEVPI_ROOT_PASSWORD" | dv login root >/dev/null 2>&1 || { echo "FAILED: devpi login as root" >&2; exit 1; }
echo "devpi-client: logged in as root"
dv index -c "$scratch" type=stage bases= volatile=True >/dev/null
made=1
echo "devpi-client: created $scratch"
dv logoff >/dev/null
dv use "$API_URL/$scratch" >/dev/null
if out=$(dv upload --from-dir "$work/dist" 2>&1); then echo "FAILED: an anonymous upload to $scratch was accepted" >&2; exit 1; fi
case "$out" in *401*|*403*|*[Uu]nauthorized*|*[Ff]orbidden*) echo "devpi-client: anonymous upload refused" ;; *) echo "FAILED: anonymous upload failed for another reason: $out" >&2; exit 1 ;; esac
printf '%s\n' "$DEVPI_ROOT_PASSWORD" | dv login root >/dev/null 2>&1
dv upload --from-dir "$work/dist" >/dev/null
echo "devpi-client: uploaded helix-devpi-smoke $version"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --index-url "$API_URL/$scratch/+simple/" "helix-devpi-smoke==$version"
got=$("$work/venv/bin/python" -c 'import helix_devpi_smoke as m; print(m.VERSION)')
[ "$got" = "$version" ] || { echo "FAILED: pip installed version $got, expected $version" >&2; exit 1; }
echo "pip: installed helix-devpi-smoke $version through $API_URL"
