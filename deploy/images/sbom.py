"""Adds the Debian packages of the filesystem it runs in to a CycloneDX SBOM.

    python3 sbom.py PYTHON_SBOM OUTPUT

deploy/images/service.Dockerfile runs it in its `sbom` stage, which is the finished image
(FROM runtime), so dpkg lists exactly the image's Debian packages. PYTHON_SBOM is what
cyclonedx-py wrote from the image's venv; OUTPUT gets that document with, added:
- Debian itself, a component of type operating-system (from /etc/os-release);
- the Python interpreter, when no Debian package holds it (python:3.13-slim builds its own);
- each installed Debian package, a component of type library: its version, a purl
  pkg:deb/<os>/<name>@<version>?arch=<arch>&distro=<os>-<version>, its source package and
  version as properties, and the licenses its copyright file names when that file is in
  Debian's machine-readable format (else the file's path, as a property).
Standard library only: it runs on the image's own python3, and nothing of it stays there.
"""

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

DPKG_FIELDS = ("Package", "Version", "Architecture", "source:Package", "source:Version")
MACHINE_READABLE = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0"
LICENSE_FIELD = re.compile(r"^License:[ \t]*(\S.*?)\s*$", re.MULTILINE)


def os_release() -> dict[str, str]:
    fields = {}
    for line in Path("/etc/os-release").read_text().splitlines():
        key, _, value = line.partition("=")
        if key:
            fields[key] = value.strip().strip('"')
    return fields


def installed_packages() -> list[dict[str, str]]:
    """Every package dpkg has installed, with the fields of DPKG_FIELDS."""
    format_ = "${db:Status-Abbrev}\t" + "\t".join(f"${{{field}}}" for field in DPKG_FIELDS)
    listing = subprocess.run(  # noqa: S603 -- fixed arguments
        ["/usr/bin/dpkg-query", "--show", f"--showformat={format_}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split("\t") for line in listing.splitlines()]
    return [dict(zip(DPKG_FIELDS, row[1:], strict=True)) for row in rows if row[0] == "ii "]


def licenses_of(package: str) -> tuple[list[str], str | None]:
    """The licenses a package's copyright file names (machine-readable files only), and the
    file's path if it is there."""
    path = Path("/usr/share/doc") / package / "copyright"
    if not path.is_file():
        return [], None
    text = path.read_text(errors="replace")
    if not text.startswith("Format:") or MACHINE_READABLE not in text.splitlines()[0]:
        return [], str(path)
    return sorted(set(LICENSE_FIELD.findall(text))), str(path)


def debian_components(release: dict[str, str]) -> list[dict[str, Any]]:
    distro = f"{release['ID']}-{release.get('VERSION_ID', 'unstable')}"
    components: list[dict[str, Any]] = [
        {
            "type": "operating-system",
            "bom-ref": f"os:{distro}",
            "name": release["ID"],
            "version": release.get("VERSION_ID", ""),
            "description": release.get("PRETTY_NAME", ""),
        }
    ]
    for package in installed_packages():
        name, version = package["Package"], package["Version"]
        purl = (
            f"pkg:deb/{release['ID']}/{quote(name, safe='')}@{quote(version, safe='')}"
            f"?arch={package['Architecture']}&distro={distro}"
        )
        licenses, copyright_file = licenses_of(name)
        properties = [
            {"name": "copost:deb:source_package", "value": package["source:Package"]},
            {"name": "copost:deb:source_version", "value": package["source:Version"]},
        ]
        if copyright_file and not licenses:
            properties.append({"name": "copost:deb:copyright_file", "value": copyright_file})
        component: dict[str, Any] = {
            "type": "library",
            "bom-ref": purl,
            "name": name,
            "version": version,
            "purl": purl,
            "properties": properties,
        }
        if licenses:
            component["licenses"] = [
                {"license": {"name": license, "acknowledgement": "declared"}}
                for license in licenses
            ]
        components.append(component)
    return components


def interpreter_components() -> list[dict[str, Any]]:
    """The interpreter running this (the image's), unless a Debian package holds it."""
    executable = os.path.realpath(sys.executable)
    owner = subprocess.run(  # noqa: S603 -- fixed arguments
        ["/usr/bin/dpkg-query", "--search", executable], capture_output=True, check=False
    )
    if owner.returncode == 0:
        return []
    version = platform.python_version()
    purl = f"pkg:generic/cpython@{version}"
    return [
        {
            "type": "library",
            "bom-ref": purl,
            "name": "cpython",
            "version": version,
            "purl": purl,
            "licenses": [{"license": {"id": "PSF-2.0", "acknowledgement": "declared"}}],
            "properties": [{"name": "copost:python:executable", "value": executable}],
        }
    ]


def main(python_sbom: str, output: str) -> None:
    document = json.loads(Path(python_sbom).read_text())
    added = interpreter_components() + debian_components(os_release())
    document["components"] = document.get("components", []) + added
    Path(output).write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
