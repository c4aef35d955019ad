"""Writes a minimal pure-Python wheel (name, version) into a folder; prints its path."""
import base64, hashlib, sys, zipfile, os

name, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
mod = name.replace("-", "_")
dist = f"{mod}-{version}.dist-info"
files = {
    f"{mod}/__init__.py": f'VERSION = "{version}"\n'.encode(),
    f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: helix devpi smoke test\n".encode(),
    f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: helix\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(data)}")
record.append(f"{dist}/RECORD,,")
files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
path = os.path.join(out, f"{mod}-{version}-py3-none-any.whl")
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for p, data in files.items():
        z.writestr(p, data)
print(path)
