# Makes toolchain-go1.99.0.linux-amd64.zip (go-toolchain.test.ts): a stand-in for a golang.org/toolchain
# module zip, laid out like the real one, and prints its h1: hash (Go's dirhash Hash1), computed here
# independently of the TypeScript under test. Usage: python3 make-fake-toolchain-zip.py OUT.zip
import zipfile, hashlib, base64, sys
prefix = "golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64/"
go = """#!/bin/sh
# A stand-in for bin/go in the amc unit tests.
if [ "$1" = version ]; then echo "go version go1.99.0 linux/amd64"; exit 0; fi
echo "GOROOT=$GOROOT GOTOOLCHAIN=$GOTOOLCHAIN $*"
"""
files = {
    "VERSION": "go1.99.0\ntime 2026-01-01T00:00:00Z\n",
    "go.env": "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\nGOTOOLCHAIN=auto\n",
    "bin/go": go,
    "bin/gofmt": "#!/bin/sh\necho gofmt\n",
    "pkg/tool/linux_amd64/compile": "#!/bin/sh\necho compile\n",
    "src/_go.mod": "module std\n\ngo 1.99\n",
    "src/cmd/_go.mod": "module cmd\n\ngo 1.99\n",
    "src/fmt/print.go": "package fmt\n",
}
out = sys.argv[1]
with zipfile.ZipFile(out, "w") as z:
    for name, text in files.items():
        info = zipfile.ZipInfo(prefix + name, date_time=(2026, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = 0o100644 << 16  # no exec bits, like the proxy's toolchain zips for most files
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, text)
z = zipfile.ZipFile(out)
h = hashlib.sha256()
for n in sorted(i.filename for i in z.infolist()):
    h.update(("%s  %s\n" % (hashlib.sha256(z.read(n)).hexdigest(), n)).encode())
print("h1:" + base64.b64encode(h.digest()).decode())
