"""What each service image holds and under which licenses; the policy those licenses must meet.

The packages come from uv.lock. An image holds what `uv sync --locked --no-dev --package
SERVICE` installs (deploy/images/service.Dockerfile): the closure of the service's locked
dependencies, markers evaluated for the image's platform (Linux, CPython 3.13, as the
interpreter running this). The licenses come from each package's own metadata (PEP 639's
License-Expression, the License field, the Trove classifiers) as CycloneDX's generator reads
it: the same generator, cyclonedx-py, that writes every image's SBOM at build time, run here
over the development environment, which holds every package of the lock.

Metadata that does not come to one SPDX expression (none, several entries, a classifier
naming no version) is settled in OVERRIDES, each with the reason and the metadata it was read
from: when that metadata changes, the override is stale and the tests say so.

The policy (why: docs/licensing.md): a package in an image must carry a license that
IN_IMAGES allows (permissive ones, and MPL-2.0's file-level copyleft on files shipped
unmodified); nothing copyleft beyond that ships. A development tool may carry another license
only if it is acknowledged in DEVELOPMENT_ONLY, and then never in an image.

`.venv/bin/python deploy/inventory.py` rewrites docs/third-party-licenses.md;
deploy/tests/test_licenses.py fails while it is stale or while the policy is broken, and the
container suite checks each built image's SBOM against the same lock and policy.
"""

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from license_expression import (
    AND,
    OR,
    LicenseExpression,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    get_spdx_licensing,
)
from packaging.markers import Marker

REPO_ROOT = Path(__file__).resolve().parent.parent
INVENTORY = REPO_ROOT / "docs" / "third-party-licenses.md"
# This repository's own license (LICENSE), which every workspace member declares.
PROJECT_LICENSE = "Apache-2.0"

# Licenses a package in a service image may carry (SPDX ids; an OR needs one of them allowed,
# an AND all). Permissive licenses, whose conditions are notices kept with the code (the
# SBOM and each package's dist-info in the image), and MPL-2.0: its copyleft covers the
# MPL-licensed files alone, which the images ship unmodified from PyPI.
IN_IMAGES = frozenset(
    {
        "0BSD",
        "Apache-2.0",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "CC0-1.0",
        "ICU",
        "ISC",
        "MIT",
        "MIT-0",
        # Pillow's (the historical PIL license): permissive, a notice to keep.
        "MIT-CMU",
        "MPL-2.0",
        "PSF-2.0",
        "Python-2.0",
        "Unlicense",
        "Zlib",
    }
)


@dataclass(frozen=True)
class Override:
    """The license of a package whose metadata does not state one SPDX expression."""

    declared: tuple[str, ...]  # the metadata's entries, as the SBOM shows them
    license: str  # SPDX expression
    reason: str


OVERRIDES: dict[str, Override] = {
    "aiohappyeyeballs": Override(
        ("PSF-2.0", "Python-2.0"),
        "PSF-2.0",
        "License field PSF-2.0; the classifier (PSF License) reads as Python-2.0. "
        "The LICENSE is CPython's",
    ),
    "aiosignal": Override(
        ("License :: OSI Approved :: Apache Software License",),
        "Apache-2.0",
        "License field 'Apache 2.0' (no SPDX id); its LICENSE is the Apache License 2.0",
    ),
    "arrow": Override(
        ("License :: OSI Approved :: Apache Software License",),
        "Apache-2.0",
        "classifier only; its LICENSE is the Apache License 2.0",
    ),
    "certifi": Override(
        ("MPL-2.0", "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)"),
        "MPL-2.0",
        "License field and classifier agree",
    ),
    "cyclonedx-bom": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree",
    ),
    "cyclonedx-python-lib": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree",
    ),
    "future": Override(
        ("MIT", "License :: OSI Approved"),
        "MIT",
        "License field MIT; the other classifier names no license",
    ),
    "http-message-signatures": Override(
        ("License :: OSI Approved :: Apache Software License",),
        "Apache-2.0",
        "License field 'Apache Software License' (no SPDX id); its LICENSE is the Apache "
        "License 2.0, with a NOTICE",
    ),
    "httpx": Override(
        ("BSD-3-Clause", "License :: OSI Approved :: BSD License"),
        "BSD-3-Clause",
        "License field and classifier agree (the classifier names no BSD variant)",
    ),
    "jinja2": Override(
        ("License :: OSI Approved :: BSD License",),
        "BSD-3-Clause",
        "classifier only (BSD, no version); its LICENSE.txt is the 3-clause BSD license",
    ),
    "jsonschema-path": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree",
    ),
    "kubernetes-validate": Override(
        (),
        "Apache-2.0",
        "License field 'Apache' (no SPDX id); its LICENSE grants the Apache License 2.0",
    ),
    "openapi-schema-validator": Override(
        ("BSD-3-Clause", "License :: OSI Approved :: BSD License"),
        "BSD-3-Clause",
        "License field; the classifier (BSD) names no version; its LICENSE is BSD 3-Clause",
    ),
    "pathable": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree",
    ),
    "pathspec": Override(
        ("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",),
        "MPL-2.0",
        "classifier only; its LICENSE is the MPL 2.0",
    ),
    "py-serializable": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree",
    ),
    "pytest-timeout": Override(
        ("MIT", "License :: DFSG approved"),
        "MIT",
        "License field MIT; the DFSG classifier names no license",
    ),
    "requests": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree",
    ),
    "rfc8785": Override(
        ("License :: OSI Approved :: Apache Software License",),
        "Apache-2.0",
        "classifier only; its LICENSE is the Apache License 2.0",
    ),
    "sortedcontainers": Override(
        ("License :: OSI Approved :: Apache Software License",),
        "Apache-2.0",
        "License field 'Apache 2.0' (no SPDX id); its LICENSE is the Apache License 2.0",
    ),
    "swagger-ui-bundle": Override(
        ("Apache-2.0", "License :: OSI Approved :: Apache Software License"),
        "Apache-2.0",
        "License field and classifier agree; the Swagger UI it bundles is Apache-2.0 too",
    ),
    "uvloop": Override(
        ("MIT", "License :: OSI Approved :: Apache Software License"),
        "MIT OR Apache-2.0",
        "dual-licensed, as its README says, with both texts (LICENSE-MIT, LICENSE-APACHE)",
    ),
    "webcolors": Override(
        ("BSD-3-Clause", "License :: OSI Approved :: BSD License"),
        "BSD-3-Clause",
        "License field and classifier agree (the classifier names no BSD variant)",
    ),
}

# Development tools whose license IN_IMAGES does not allow: acknowledged here, with why they
# may be used at all, and refused in any image.
DEVELOPMENT_ONLY: dict[str, str] = {
    "secantusdb": (
        "the embedded MongoDB server of local runs and tests (shared.embedded_mongo): started "
        "as a separate process and spoken to over the wire protocol, never imported, never "
        "distributed"
    ),
}

# Images that run no CoPost service but a Debian program, the Debian packages their Dockerfile
# (deploy/images/<image>.Dockerfile) installs: under the same policy as the service images'
# Debian packages, each with its SBOM (/sbom.cdx.json).
DEBIAN_PROGRAM_IMAGES: dict[str, list[str]] = {"haproxy": ["haproxy"]}

# Debian packages beyond the base system: a service names the programs it runs in
# services/<service>/debian-packages, and its image installs them with their dependencies.
# Copyleft is refused there as for Python packages, except the source packages named here for
# that one image, each with why it may ship. All of them are separate programs the service runs
# by subprocess on files (aggregation: nothing of them is linked with CoPost's code, which
# stays Apache-2.0), installed unmodified from Debian, with their copyright files and the
# source offer of docs/licensing.md. A package whose copyright file is not machine-readable
# (so its licenses are not known here) must be named too, its license read by hand.
FFMPEG = (
    "ffmpeg and ffprobe (GPL-2+ as Debian builds them, --enable-gpl), which the media service "
    "runs as separate programs to probe and process videos"
)
FFMPEG_DEPENDENCY = (
    "a library or its data that Debian's ffmpeg depends on (SDL, Mesa, codecs...), loaded only "
    "by ffmpeg's processes; its copyright file names GPL or LGPL for all or some of its files"
)
FFMPEG_DEPENDENCY_UNREAD = (
    "a library or its data that Debian's ffmpeg depends on (X11, krb5, GCC's runtime...), "
    "loaded only by ffmpeg's processes; its copyright file is not machine-readable"
)
HAPROXY = (
    "HAProxy (GPL-2+), the load balancer in front of the gateways of the replicated compose "
    "stack: a program of its own in an image of its own, which CoPost's code only talks to "
    "over HTTP"
)
ADDUSER = (
    "adduser (GPL-2+), which haproxy's installation runs to create its system user; a separate "
    "program, not run afterwards"
)
DEBIAN_COPYLEFT_IN_IMAGES: dict[str, dict[str, str]] = {
    "haproxy": {"haproxy": HAPROXY, "adduser": ADDUSER},
    "media": {
        "ffmpeg": FFMPEG,
        **dict.fromkeys(
            (
                "alsa-lib",
                "chromaprint",
                "codec2",
                "dbus",
                "e2fsprogs",
                "elfutils",
                "fftw3",
                "flac",
                "fonts-dejavu",
                "freetype",
                "fribidi",
                "game-music-emu",
                "gdk-pixbuf",
                "glib2.0",
                "graphite2",
                "harfbuzz",
                "jackd2",
                "keyutils",
                "lame",
                "lcms2",
                "libass",
                "libavc1394",
                "libbluray",
                "libbs2b",
                "libcaca",
                "libcdio",
                "libcdio-paranoia",
                "libdatrie",
                "libdc1394",
                "libdecor-0",
                "libdvdnav",
                "libdvdread",
                "libglvnd",
                "libidn2",
                "libiec61883",
                "libmysofa",
                "libopenmpt",
                "libpgm",
                "libplacebo",
                "libpng1.6",
                "librsvg",
                "libsamplerate",
                "libsdl2",
                "libsndfile",
                "libsodium",
                "libsoxr",
                "libssh",
                "libthai",
                "libtheora",
                "libudfread",
                "libunistring",
                "libusb-1.0",
                "libva",
                "libvidstab",
                "lm-sensors",
                "mbedtls",
                "mesa",
                "mpg123",
                "openal-soft",
                "p11-kit",
                "pango1.0",
                "pocketsphinx",
                "pulseaudio",
                "rubberband",
                "shine",
                "slang2",
                "speex",
                "sphinxbase",
                "srt",
                "svt-av1",
                "twolame",
                "x264",
                "x265",
                "xvidcore",
                "z3",
                "zeromq3",
                "zimg",
                "zvbi",
            ),
            FFMPEG_DEPENDENCY,
        ),
        **dict.fromkeys(
            (
                "cairo",
                "flite",
                "fontconfig",
                "gcc-14",
                "gnutls28",
                "jbigkit",
                "krb5",
                "libasyncns",
                "libdrm",
                "libpciaccess",
                "libraw1394",
                "libtasn1-6",
                "libx11",
                "libxau",
                "libxcb",
                "libxcursor",
                "libxdmcp",
                "libxext",
                "libxfixes",
                "libxi",
                "libxkbcommon",
                "libxrandr",
                "libxrender",
                "libxshmfence",
                "libxss",
                "libxv",
                "libxxf86vm",
                "numactl",
                "pixman",
                "shared-mime-info",
                "xkeyboard-config",
                "xorg",
            ),
            FFMPEG_DEPENDENCY_UNREAD,
        ),
    },
}
# A license name of a Debian copyright file (DEP-5: GPL-2+, LGPL-2.1+, ...) that is copyleft
# beyond what IN_IMAGES allows (MPL-2.0's file-level copyleft is allowed here too).
DEBIAN_COPYLEFT = re.compile(r"(^|[^A-Za-z])(A|L)?GPL|EUPL|SSPL|CC-BY-SA", re.IGNORECASE)

_SPDX = get_spdx_licensing()


def normalized(name: str) -> str:
    """A distribution's name as uv.lock and purls write it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- what uv.lock puts in each image ----------------------------------------------------------


@cache
def locked_packages() -> dict[str, dict[str, Any]]:
    """Every package of uv.lock by name (the lock holds one version of each)."""
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    packages: dict[str, dict[str, Any]] = {}
    for package in lock["package"]:
        if package["name"] in packages:
            raise ValueError(f"uv.lock holds two versions of {package['name']}")
        packages[package["name"]] = package
    return packages


def workspace_members() -> set[str]:
    """The workspace's own packages (the root project `copost`, which installs nothing, aside)."""
    return {name for name, package in locked_packages().items() if "editable" in package["source"]}


Requirement = tuple[str, frozenset[str]]  # a package's name and the extras asked of it


def _requirements(dependencies: Iterable[Mapping[str, Any]]) -> list[Requirement]:
    """The dependencies of a lock entry that apply here (their markers hold)."""
    return [
        (dep["name"], frozenset(dep.get("extra", ())))
        for dep in dependencies
        if "marker" not in dep or Marker(dep["marker"]).evaluate()
    ]


def closure(roots: Iterable[Requirement]) -> dict[str, str]:
    """Name -> version of every locked package the roots need here, the roots included."""
    packages = locked_packages()
    seen: dict[str, set[str]] = {}
    pending = list(roots)
    while pending:
        name, extras = pending.pop()
        if name in seen and extras <= seen[name]:
            continue
        seen.setdefault(name, set()).update(extras)
        package = packages[name]
        pending += _requirements(package.get("dependencies", []))
        for extra in extras:
            pending += _requirements(package.get("optional-dependencies", {}).get(extra, []))
    return {name: packages[name]["version"] for name in seen}


def runtime_closure(service: str) -> dict[str, str]:
    """What `uv sync --no-dev --package SERVICE` installs here."""
    return closure([(service, frozenset())])


def development_closure() -> dict[str, str]:
    """What `make install` (`uv sync --all-packages`, with the dev group) installs here."""
    groups = locked_packages()["copost"].get("dev-dependencies", {})
    dev = [req for deps in groups.values() for req in _requirements(deps)]
    return closure([*((name, frozenset[str]()) for name in workspace_members()), *dev])


def service_names() -> list[str]:
    return sorted(path.parent.name for path in REPO_ROOT.glob("services/*/pyproject.toml"))


def image_contents() -> dict[str, dict[str, str]]:
    """Each service -> the packages (name -> version) uv.lock says its image holds."""
    return {service: runtime_closure(service) for service in service_names()}


# -- licenses -------------------------------------------------------------------------------


def sbom_of_this_environment() -> dict[str, Any]:
    """cyclonedx-py's CycloneDX document of the environment running this (the dev .venv)."""
    command = [sys.executable, "-m", "cyclonedx_py", "environment", "--no-validate"]
    completed = subprocess.run(  # noqa: S603 -- this interpreter, fixed arguments
        [*command, "--output-reproducible", sys.prefix],
        capture_output=True,
        text=True,
        check=True,
    )
    document: dict[str, Any] = json.loads(completed.stdout)
    return document


def sbom_components(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's Python packages, its main component (an image's service) included."""
    main = document.get("metadata", {}).get("component")
    components = [*([main] if main else []), *document.get("components", [])]
    return [component for component in components if _is_python_package(component)]


def _is_python_package(component: Mapping[str, Any]) -> bool:
    if component["type"] not in ("library", "application"):
        return False  # an image's operating system
    # The workspace's own packages, installed from the repository, carry no purl.
    purl = component.get("purl")
    return purl is None or purl.startswith("pkg:pypi/")


def declared(component: Mapping[str, Any]) -> tuple[str, ...]:
    """The license entries of a component as cyclonedx-py wrote them from the metadata."""
    entries = component.get("licenses", [])
    return tuple(
        entry.get("expression") or entry["license"].get("id") or entry["license"]["name"]
        for entry in entries
    )


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    declared: tuple[str, ...]

    @property
    def license(self) -> str | None:
        """The SPDX expression it is licensed under; None if its metadata does not say."""
        override = OVERRIDES.get(self.name)
        if override is not None:
            return override.license if override.declared == self.declared else None
        if len(self.declared) == 1 and not _SPDX.validate(self.declared[0]).errors:
            return str(_SPDX.parse(self.declared[0]))
        return None


def packages_of(document: Mapping[str, Any]) -> dict[str, Package]:
    """Name -> package of every Python package in a CycloneDX document."""
    return {
        normalized(component["name"]): Package(
            normalized(component["name"]), component["version"], declared(component)
        )
        for component in sbom_components(document)
    }


def allowed(expression: str) -> bool:
    """Whether an SPDX expression can be met with IN_IMAGES alone (an exception: never)."""
    return _allowed(_SPDX.parse(expression, validate=True, strict=True))


def _allowed(node: LicenseExpression) -> bool:
    if isinstance(node, OR):
        return any(_allowed(arg) for arg in node.args)
    if isinstance(node, AND):
        return all(_allowed(arg) for arg in node.args)
    if isinstance(node, LicenseWithExceptionSymbol):
        return False
    assert isinstance(node, LicenseSymbol), node
    return node.key in IN_IMAGES


# -- the policy -----------------------------------------------------------------------------


def image_problems(service: str, packages: Mapping[str, Package]) -> list[str]:
    """What the policy refuses among the packages of one image."""
    found = []
    for name, package in sorted(packages.items()):
        license = package.license
        if license is None:
            found.append(f"{service}: {name} {package.version} states no single license")
        elif name in DEVELOPMENT_ONLY or not allowed(license):
            found.append(f"{service}: {name} {package.version} is {license}, refused in images")
    return found


def problems(environment: Mapping[str, Package]) -> list[str]:
    """Everything the policy refuses: over the lock, this environment and every image."""
    expected = development_closure()
    found = [
        f"{name}: {_version(environment.get(name))} installed, uv.lock says "
        f"{expected.get(name, 'none')} (run make install)"
        for name in sorted(set(expected) | set(environment))
        if expected.get(name) != _version(environment.get(name))
    ]
    contents = image_contents()
    for service, names in contents.items():
        found += image_problems(service, {n: environment[n] for n in names if n in environment})
    in_images = {name for names in contents.values() for name in names}
    own = workspace_members()
    for name, package in sorted(environment.items()):
        license = package.license
        if license is None:
            found.append(f"{name}: its metadata {package.declared} states no single license")
        elif name in own and license != PROJECT_LICENSE:
            found.append(f"{name}, of this workspace, declares {license}, not {PROJECT_LICENSE}")
        elif not allowed(license) and name not in DEVELOPMENT_ONLY and name not in in_images:
            found.append(f"{name} ({license}): not allowed in images and not acknowledged")
    for name in sorted((OVERRIDES.keys() | DEVELOPMENT_ONLY.keys()) - environment.keys()):
        found.append(f"{name} has an override or an acknowledgement but is not installed")
    for name in sorted(DEVELOPMENT_ONLY.keys() & environment.keys()):
        license = environment[name].license
        if license is not None and allowed(license):
            found.append(f"{name} ({license}) is allowed anywhere: drop its acknowledgement")
    for name, override in sorted(OVERRIDES.items()):
        if name in environment and environment[name].declared != override.declared:
            now = environment[name].declared
            found.append(f"{name}'s metadata is now {now}: review its override")
        if _SPDX.validate(override.license).errors:
            found.append(f"{name}'s override {override.license!r} is no SPDX expression")
    return found


def debian_packages_named(service: str) -> list[str]:
    """The Debian packages services/<service>/debian-packages asks its image for (or those of
    an image of DEBIAN_PROGRAM_IMAGES)."""
    if service in DEBIAN_PROGRAM_IMAGES:
        return DEBIAN_PROGRAM_IMAGES[service]
    path = REPO_ROOT / "services" / service / "debian-packages"
    return path.read_text().split() if path.is_file() else []


def debian_problems(service: str, added: Iterable[Mapping[str, Any]]) -> list[str]:
    """What the policy refuses among the Debian packages (SBOM components) an image adds to
    its base."""
    allowed_sources = DEBIAN_COPYLEFT_IN_IMAGES.get(service, {})
    found, sources = [], set()
    for component in sorted(added, key=lambda c: str(c["name"])):
        properties = {p["name"]: p["value"] for p in component.get("properties", [])}
        source = properties["copost:deb:source_package"]
        sources.add(source)
        names = [entry["license"]["name"] for entry in component.get("licenses", [])]
        if source in allowed_sources:
            continue
        if not names:
            found.append(f"{service}: {component['name']} (source {source}) states no license")
        elif any(DEBIAN_COPYLEFT.search(name) for name in names):
            copyleft = ", ".join(n for n in names if DEBIAN_COPYLEFT.search(n))
            found.append(f"{service}: {component['name']} (source {source}) is {copyleft}")
    for source in sorted(allowed_sources.keys() - sources):
        found.append(f"{service}: {source} is allowed but not in the image: drop it")
    return found


def _version(package: Package | None) -> str:
    return "none" if package is None else package.version


# -- the document ---------------------------------------------------------------------------

HEADER = """\
# Third-party licenses

Generated by `deploy/inventory.py` from `uv.lock` and the packages' metadata (read by
cyclonedx-py, as in the images' SBOMs); do not edit. After `uv lock`, run
`.venv/bin/python deploy/inventory.py`: `deploy/tests/test_licenses.py` fails while this file
is stale. The policy, and each image's SBOM with its Debian packages:
[licensing.md](licensing.md).
"""


def render(environment: Mapping[str, Package]) -> str:
    """The inventory: every third-party package of the lock, where it goes, its license."""
    contents = image_contents()
    services = list(contents)
    own = workspace_members() | {"copost"}
    locked = {name: p["version"] for name, p in locked_packages().items() if name not in own}
    in_images = {name for name in locked if any(name in names for names in contents.values())}
    installed = development_closure().keys()
    lines = [
        HEADER,
        "## In the service images",
        "",
        "| package | version | license | images |",
        "|---|---|---|---|",
    ]
    for name in sorted(in_images):
        images = [service for service in services if name in contents[service]]
        where = "all" if images == services else ", ".join(images)
        lines.append(f"| {name} | {locked[name]} | {_license(environment[name])} | {where} |")
    lines += [
        "",
        "## Development only (never in an image)",
        "",
        "| package | version | license | note |",
        "|---|---|---|---|",
    ]
    for name in sorted((locked.keys() & installed) - in_images):
        note = DEVELOPMENT_ONLY.get(name, "")
        lines.append(f"| {name} | {locked[name]} | {_license(environment[name])} | {note} |")
    other_platforms = sorted(locked.keys() - installed)
    lines += [
        "",
        "## Locked for other platforms only",
        "",
        "Never installed on Linux, so in no image, and not read here: "
        + ", ".join(f"{name} {locked[name]}" for name in other_platforms)
        + ".",
        "",
        "## Overrides",
        "",
        "The packages marked * state no single SPDX expression in their metadata; their license",
        "above was read from their license files:",
        "",
    ]
    lines += [f"- {name}: {override.reason}." for name, override in sorted(OVERRIDES.items())]
    lines += [
        "",
        "## Debian copyleft allowed in an image",
        "",
        "Beyond the Debian base, an image holds the Debian programs its service names in",
        "`services/<service>/debian-packages` (or, for an image that runs no service, those",
        "`DEBIAN_PROGRAM_IMAGES` names), with their dependencies. Copyleft among them ships",
        "only from these source packages (`DEBIAN_COPYLEFT_IN_IMAGES`), as separate programs;",
        "the source offer is in [licensing.md](licensing.md).",
        "",
        "| image | why it may ship | Debian source packages |",
        "|---|---|---|",
    ]
    for service, sources in sorted(DEBIAN_COPYLEFT_IN_IMAGES.items()):
        for reason in dict.fromkeys(sources.values()):
            named = ", ".join(sorted(s for s, why in sources.items() if why == reason))
            lines.append(f"| {service} | {reason} | {named} |")
    return "\n".join(lines) + "\n"


def _license(package: Package) -> str:
    return f"{package.license}{' *' if package.name in OVERRIDES else ''}"


def main() -> None:
    environment = packages_of(sbom_of_this_environment())
    INVENTORY.parent.mkdir(exist_ok=True)
    INVENTORY.write_text(render(environment))
    print(f"wrote {INVENTORY.relative_to(REPO_ROOT)}")
    for problem in problems(environment):
        print(f"refused: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
