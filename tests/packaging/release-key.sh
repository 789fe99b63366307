#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/release-key.sh --work DIR
#
# packaging/release.sh as a maintainer runs it, with the project's key
# from the caller's keyring (here a key this test makes in its own
# GNUPGHOME) and the URL the repository will be published at:
#   - bad arguments: exit 2 and one line naming the problem, nothing built;
#   - "--key FPR --url URL --arch x86_64": the RPMs carry that key's
#     signature, netrace.repo points baseurl and gpgkey at URL,
#     RPM-GPG-KEY-netrace is that key, SHA256SUMS.asc verifies with it,
#     and the caller's keyring is left as it was (no new secret keys).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"
release=$here/../../packaging/release.sh

[ $# -eq 2 ] && [ "$1" = --work ] || { echo "usage: $0 --work DIR" >&2; exit 2; }
work=$2
need_tools "rpm rpm2cpio cpio gpg gpg-agent createrepo-c" \
	rpmbuild rpmsign rpm2cpio cpio gpg gpgconf createrepo_c
rm -rf "$work"
mkdir -p "$work"
export GNUPGHOME=$work/gnupg
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all 2>/dev/null || :' EXIT

# bad_args NAMED ARGS...: exit 2, one line on stderr naming NAMED, no output.
bad_args() {
	local named=$1 rc=0
	shift
	"$release" "$@" --out "$work/bad" >"$work/bad.out" 2>"$work/bad.err" || rc=$?
	check "release.sh $*: exit 2 ($rc), stderr names $named, nothing built" \
		bash -c '[ "$1" = 2 ] && grep -qF -- "$3" "$2" && [ ! -e "$4" ]' \
		bash "$rc" "$work/bad.err" "$named" "$work/bad/rpm"
}
bad_args "--url" --key ABCDEF
bad_args "--ephemeral-key" --key ABCDEF --ephemeral-key
bad_args "--key KEYID" --url https://example.invalid
bad_args "'--frobnicate'" --frobnicate
bad_args "'sparc'" --ephemeral-key --arch sparc

gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-generate-key "netrace release-key test <netrace-test@invalid>" rsa3072 sign 1d 2>/dev/null
fpr=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
url=https://repo.example.invalid/netrace/el
if "$release" --key "$fpr" --url "$url" --arch x86_64 --out "$work/rel" \
	>"$work/release.log" 2>&1; then
	ok "release.sh --key FPR --url URL --arch x86_64"
else
	tail -30 "$work/release.log" | sed 's/^/#   /'
	not_ok "release.sh --key FPR --url URL --arch x86_64"
	finish
fi
r=$work/rel/repo
check "netrace.repo: baseurl=$url" grep -qx "baseurl=$url" "$r/netrace.repo"
check "netrace.repo: gpgkey=$url/RPM-GPG-KEY-netrace" \
	grep -qx "gpgkey=$url/RPM-GPG-KEY-netrace" "$r/netrace.repo"
check "RPM-GPG-KEY-netrace is the key ($fpr)" bash -c \
	'gpg --batch --with-colons --import-options show-only --import "$1" | grep -q "^fpr:*$2:"' \
	bash "$r/RPM-GPG-KEY-netrace" "$fpr"
root=$work/rpmdb
mkdir -p "$root"
rpm --root "$root" --initdb
rpm --root "$root" --import "$r/RPM-GPG-KEY-netrace"
for f in "$r"/*.rpm; do
	check "rpm -K ${f##*/}: signed by the key" bash -c \
		'rpm --root "$1" -K "$2" | grep -q ": digests signatures OK$"' bash "$root" "$f"
done
check "SHA256SUMS.asc: a good signature by the key" bash -c \
	'gpg --batch --status-fd 1 --verify "$1.asc" "$1" 2>/dev/null | grep -q "^\[GNUPG:\] VALIDSIG $2 "' \
	bash "$work/rel/SHA256SUMS" "$fpr"
check "the keyring has still one secret key" \
	test "$(gpg --batch --with-colons --list-secret-keys | grep -c '^sec:')" = 1

finish
