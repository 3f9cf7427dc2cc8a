#!/usr/bin/env bash
# Makes the Dockerfile's two base images, debian:bookworm and debian:bookworm-slim, in podman's local
# storage from Debian's archive, for hosts that reach deb.debian.org but no container registry.
#   sudo ./scripts/container-base-images.sh          makes them unless both exist (about 1 min)
#   sudo ./scripts/container-base-images.sh --force  makes them again (to pick up Debian's updates)
# Both are one debootstrap --variant=minbase root with apt set up as in Debian's official images
# (bookworm, bookworm-updates and bookworm-security over http, no package caches, no translations).
# The slim one also drops documentation, man pages and locales and keeps dpkg from installing them,
# as debian:bookworm-slim does (the copyright files stay). Needs root, debootstrap and podman;
# CONTAINERS_CONF is honoured (tests/integration/containers.conf on hosts like the CI machines).
set -euo pipefail

mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

case "${1:-}" in
  "") if podman image exists debian:bookworm && podman image exists debian:bookworm-slim; then exit 0; fi ;;
  --force) ;;
  *) echo "container-base-images: unknown option '$1' (expected --force or nothing)" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "container-base-images: debootstrap needs root (sudo $0)" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/mc-base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

echo "container-base-images: debootstrap bookworm from $mirror" >&2
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -20 "$work/debootstrap.log" >&2
  echo "container-base-images: debootstrap failed (log above)" >&2
  exit 1
fi

rm -f "$root/etc/apt/sources.list" "$root/etc/resolv.conf" "$root/etc/hostname"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
// As in Debian's official images: no package caches left in image layers.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
# Services are never started while packages install in an image.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*

import_root() {  # import_root NAME: the root as one layer, bash as the default command
  tar -C "$root" --numeric-owner -c . | podman import --quiet --change 'CMD ["bash"]' - "$1" >/dev/null
  echo "container-base-images: made $1 ($(podman image inspect --format '{{.Size}}' "$1") bytes)" >&2
}
import_root debian:bookworm

cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As in debian:bookworm-slim: no documentation, man pages or locales (the copyright files stay).
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$root"/usr/share/{groff,info,linda,lintian/overrides,man}/*
import_root debian:bookworm-slim
