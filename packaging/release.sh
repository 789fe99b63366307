#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# packaging/release.sh --key KEYID --url URL [--out DIR] [--arch LIST]
# packaging/release.sh --ephemeral-key [--url URL] [--out DIR] [--arch LIST]
#
# A release in one command, from the source tree:
#   DIR/rpm/           rpmbuild's tree (SOURCES, SRPMS, RPMS: packaging/build-rpm.sh)
#   DIR/repo/          the yum/dnf repository to publish at URL:
#                        the signed binary RPMs, repodata/ (createrepo_c,
#                        gzip metadata) with its detached signature
#                        repomd.xml.asc, RPM-GPG-KEY-netrace, netrace.repo
#   DIR/netrace-VERSION-RELEASE.src.rpm   the signed source RPM
#   DIR/netrace-VERSION-linux-ARCH.tar.gz the release tarball of each
#                        architecture: the binary taken out of its binary
#                        RPM, install.sh, man pages, examples, completion,
#                        README.md, LICENSE
#   DIR/SHA256SUMS, SHA256SUMS.asc        sums of the above, signed
# DIR defaults to build/release in the source tree.
#
# --key KEYID signs with that key of the caller's gpg keyring (GNUPGHOME);
# --ephemeral-key makes a new key in a scratch keyring, signs with it and
# throws the secret away (tests, dry runs: only RPM-GPG-KEY-netrace
# remains).  --url is where DIR/repo/ will be served from (netrace.repo's
# baseurl; needed with --key; default with --ephemeral-key:
# file://DIR/repo).  --arch: the architectures, x86_64
# and/or aarch64 (default x86_64,aarch64: aarch64 is cross-compiled on an
# x86_64 host, see packaging/build-rpm.sh).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build/release
key=
ephemeral=0
url=
arches=x86_64,aarch64

die() { echo "release: $*" >&2; exit 1; }
usage() { sed -n '3,29s/^# \{0,1\}//p' "$0"; }

while [ $# -gt 0 ]; do
	case $1 in
	--out)		out=${2:?}; shift 2 ;;
	--key)		key=${2:?}; shift 2 ;;
	--ephemeral-key) ephemeral=1; shift ;;
	--url)		url=${2:?}; shift 2 ;;
	--arch)		arches=${2:?}; shift 2 ;;
	-h|--help)	usage; exit 0 ;;
	*)		echo "release: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
if [ -n "$key" ] && [ $ephemeral = 1 ]; then
	echo "release: --key and --ephemeral-key exclude each other" >&2
	exit 2
fi
if [ -z "$key" ] && [ $ephemeral = 0 ]; then
	echo "release: name the signing key (--key KEYID) or ask for a throw-away one (--ephemeral-key)" >&2
	exit 2
fi
if [ -n "$key" ] && [ -z "$url" ]; then
	echo "release: --key makes a release to publish: say where with --url URL (netrace.repo's baseurl)" >&2
	exit 2
fi
for a in ${arches//,/ }; do
	case $a in
	x86_64|aarch64)	;;
	*)	echo "release: --arch: '$a' is not x86_64 or aarch64" >&2; exit 2 ;;
	esac
done
for tool in gpg rpmsign rpm2cpio cpio createrepo_c sha256sum; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: install gnupg, rpm, cpio and createrepo-c (Debian) or gnupg2, rpm-sign, cpio and createrepo_c (Fedora/RHEL)"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -n "$url" ] || url=file://$out/repo
url=${url%/}
scratch=$(mktemp -d)
cleanup() {
	# The ephemeral keyring's gpg-agent would outlive its directory.
	[ $ephemeral = 0 ] || gpgconf --kill all 2>/dev/null || :
	rm -rf "$scratch"
}
trap cleanup EXIT

# --- the key ----------------------------------------------------------------
if [ $ephemeral = 1 ]; then
	export GNUPGHOME=$scratch/gnupg
	mkdir -m 700 "$GNUPGHOME"
	# RSA (which rpm 4.14 verifies; EdDSA it may not), SHA-256
	# self-signatures (RHEL 9's crypto policy refuses SHA-1), no
	# passphrase, a day to live.
	gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-generate-key "netrace release test key (ephemeral) <netrace-test@invalid>" \
		rsa3072 sign 1d 2>"$scratch/gpg.log" ||
		{ cat "$scratch/gpg.log" >&2; die "gpg could not make a key"; }
	key=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
	echo "release: ephemeral key $key" >&2
fi
gpg --batch --list-secret-keys "$key" >/dev/null 2>&1 ||
	die "no secret key '$key' in ${GNUPGHOME:-~/.gnupg}"

# --- build the RPMs -----------------------------------------------------------
# This machine's architecture first: its build makes the source RPM.
host=$(uname -m)
arches=$(tr ',' '\n' <<<"$arches" | awk -v h="$host" '$0 == h { print; next } { rest = rest " " $0 } END { print rest }' | xargs)
"$src/packaging/build-rpm.sh" --out "$out/rpm" --arch "${arches// /,}"
version=$(rpmspec -q --srpm --qf '%{version}' "$out/rpm/SPECS/netrace.spec")
mapfile -t rpms < <(find "$out/rpm/RPMS" -name '*.rpm' | sort)
srpm=$(find "$out/rpm/SRPMS" -name '*.src.rpm')
[ -n "$srpm" ] || die "rpmbuild made no source RPM"
for arch in $arches; do
	[ -n "$(find "$out/rpm/RPMS/$arch" -name "netrace-$version-*.$arch.rpm")" ] ||
		die "rpmbuild made no netrace-$version $arch RPM"
done

# --- sign ---------------------------------------------------------------------
# rpm's gpg path is a build-time guess (Debian's: /usr/bin/gpg2, which
# gnupg 2.2 no longer installs): name the one in PATH.
rpmsign --addsign --define "__gpg $(command -v gpg)" \
	--define "_gpg_name $key" --define "_gpg_digest_algo sha256" \
	"${rpms[@]}" "$srpm" >"$scratch/rpmsign.log" 2>&1 ||
	{ cat "$scratch/rpmsign.log" >&2; die "rpmsign failed"; }

# --- the repository ------------------------------------------------------------
rm -rf "$out/repo"
mkdir -p "$out/repo"
cp -p "${rpms[@]}" "$out/repo/"
rm -f "$out"/netrace-*.src.rpm
cp -p "$srpm" "$out/"
gpg --batch --armor --export "$key" >"$out/repo/RPM-GPG-KEY-netrace"
# gzip metadata, which every dnf and yum reads (createrepo_c's newer
# releases default to zstd, which EL8's does not).
createrepo_c --quiet --checksum sha256 --general-compress-type gz "$out/repo"
gpg --batch --yes --armor --local-user "$key" --digest-algo SHA256 \
	--detach-sign --output "$out/repo/repodata/repomd.xml.asc" \
	"$out/repo/repodata/repomd.xml"
cat >"$out/repo/netrace.repo" <<EOF
[netrace]
name=netrace: BCC-compatible network tracers
baseurl=$url
enabled=1
# Every package and the repository's metadata are signed with this key.
gpgcheck=1
repo_gpgcheck=1
gpgkey=$url/RPM-GPG-KEY-netrace
EOF

# --- the tarballs, from the binary RPMs: the binary users install -------------
# make_tarball RPM: DIR/netrace-VERSION-linux-ARCH.tar.gz from RPM's files.
make_tarball() {
	local rpm=$1 arch name stage root r mtime
	arch=$(rpm -qp --nosignature --qf '%{ARCH}' "$rpm")
	name=netrace-$version-linux-$arch
	stage=$scratch/$name
	root=$scratch/root-$arch
	r=$root/usr
	mkdir -p "$root" "$stage"
	(cd "$root" && rpm2cpio "$rpm" | cpio -idm --quiet)
	install -D -m 755 "$r/sbin/netrace" "$stage/sbin/netrace"
	install -D -m 755 "$src/packaging/install.sh" "$stage/install.sh"
	install -m 644 "$r/share/doc/netrace/README.md" \
		"$r/share/licenses/netrace/LICENSE" "$stage/"
	mkdir -p "$stage/share/man/man8" "$stage/share/netrace/doc" \
		"$stage/share/bash-completion/completions"
	cp -p "$r"/share/man/man8/netrace*.8* "$stage/share/man/man8/"
	cp -p "$r"/share/netrace/doc/*_example.txt "$stage/share/netrace/doc/"
	# The completion script; install.sh links the applets' names to it.
	cp -p "$r/share/bash-completion/completions/netrace" \
		"$stage/share/bash-completion/completions/"
	# The applets, as the package links them: install.sh makes the links
	# from this list (it cannot run a binary of another architecture).
	ls "$r/share/netrace/tools" >"$stage/share/netrace/applets"
	mtime=$(rpm -qp --nosignature --qf '%{BUILDTIME}' "$rpm")
	tar -C "$scratch" --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$mtime" -cf - "$name" | gzip -n -9 >"$out/$name.tar.gz"
	echo "release: tarball      $out/$name.tar.gz"
}
rm -f "$out"/netrace-*-linux-*.tar.gz
for arch in $arches; do
	make_tarball "$(find "$out/repo" -name "netrace-$version-*.$arch.rpm")"
done

# --- sums ------------------------------------------------------------------------
(cd "$out" && sha256sum netrace-*-linux-*.tar.gz "$(basename "$srpm")" repo/*.rpm) \
	>"$out/SHA256SUMS"
gpg --batch --yes --armor --local-user "$key" --digest-algo SHA256 \
	--detach-sign --output "$out/SHA256SUMS.asc" "$out/SHA256SUMS"

echo "release: repository   $out/repo (netrace.repo: baseurl=$url)"
echo "release: source RPM   $out/$(basename "$srpm")"
echo "release: sums         $out/SHA256SUMS (.asc)"
