#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/release.sh --out DIR
#
# The packaging.release fixture: packaging/release.sh --ephemeral-key
# --out DIR, a whole release signed with a key made for it, for the RPM,
# repository and tarball tests and the VM matrix.  A missing tool skips
# it on a developer's machine (and the tests that need it with it) and
# fails it in CI.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

[ $# -eq 2 ] && [ "$1" = --out ] || { echo "usage: $0 --out DIR" >&2; exit 2; }
need_tools "rpm rpm2cpio cpio gpg createrepo-c" \
	rpmbuild rpmspec rpmsign rpm2cpio cpio gpg createrepo_c sha256sum git
exec "$here/../../packaging/release.sh" --ephemeral-key --out "$2"
