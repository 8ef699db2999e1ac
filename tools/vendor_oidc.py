"""Vendor the dashboard's OIDC client library: `make vendor-oidc`.

oauth4webapi (MIT, no dependencies, one ES module) runs the sign-in page's authorization
code flow with PKCE: discovery, the authorization request, the callback's state and the
ID token's nonce, the token request. This downloads exactly the pinned npm tarball below,
checks its committed integrity, and writes the module and its licence beside the
dashboard, where the service serves them. The result is committed, so `make run` needs
neither npm nor the network; run this only to change the pinned version.
"""

import io
import tarfile

from vendor_map import DASHBOARD, download

PACKAGE = "oauth4webapi"
VERSION = "3.8.8"
TARBALL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
INTEGRITY = (
    "sha512-8N28E+a/oxfXWBgOMt+ZP/JUf/XR+IFbvkAEPP3gznXOMv9BpAAwi"
    "Ij0TFNz3tGTPc0ZQ8zmWBNgN1nAys0gng=="
)
OUTPUT = DASHBOARD / "oauth4webapi.js"
NOTICE = DASHBOARD / "oauth4webapi.NOTICE.txt"


def main() -> None:
    tarball = download(TARBALL, INTEGRITY)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        module, licence = (
            archive.extractfile(f"package/{n}") for n in ("build/index.js", "LICENSE.md")
        )
        assert module is not None and licence is not None
        # The source map is not vendored: drop the comment that asks for it.
        code = module.read().decode().replace("//# sourceMappingURL=index.js.map", "").rstrip()
        text = licence.read().decode()
    OUTPUT.write_text(code + "\n")
    NOTICE.write_text(
        f"oauth4webapi.js is build/index.js of the npm package {PACKAGE} {VERSION}\n"
        f"({TARBALL}, integrity {INTEGRITY}),\n"
        "unchanged but for its source-map comment, vendored by tools/vendor_oidc.py.\n"
        "Its licence:\n\n" + text
    )
    print(f"{OUTPUT.name}: {OUTPUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
