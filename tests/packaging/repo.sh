#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# tests/packaging/repo.sh --release DIR --version V --work DIR
#
# The release's yum repository as an admin uses it: dnf with the
# release's netrace.repo (gpgcheck=1, repo_gpgcheck=1, the key from
# gpgkey=) installs into an empty root (--installroot):
#   - netrace, then netrace-bcc-compat; the installed tools run there
#     (chroot: nothing else is installed) and dnf removes them again;
#   - the aarch64 package, as an aarch64 host's dnf picks it
#     (--forcearch); its tools run under qemu-user;
#   - dnf repoquery reads the repository (name, version, provides, and
#     requirements that a minimal RHEL 8 meets);
# and refuses, each time in a fresh root with a copy of the repository
# whose metadata was made anew (as an attacker who controls the server
# can), and with nothing installed:
#   - a package whose signed header was changed;
#   - a package whose payload was changed;
#   - a package without a signature;
#   - metadata that the key did not sign (repo_gpgcheck=1).
# Needs root, dnf, createrepo_c and rpmsign; in CI a missing one is a
# failure, elsewhere a skip.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/packaging/lib.sh
. "$here/lib.sh"

release= version= work=
u="--release DIR --version V --work DIR"
release_test_args "$u" "$@"
[ -d "$release" ] && [ -n "$version" ] && [ -n "$work" ] || release_test_args "$u" --missing
need_tools "rpm dnf createrepo-c gpgconf" rpm rpmsign dnf createrepo_c chroot gpgconf python3
need_root "dnf --installroot and chroot"

# dnf (librepo, through gpgme) keeps a keyring per repository in its
# cache, and a gpg-agent per keyring that outlives dnf: stop them.
stop_agents() {
	[ -d "$work" ] || return 0
	find "$work" -type d -name pubring -exec gpgconf --homedir {} --kill gpg-agent \; \
		2>/dev/null || :
}
trap stop_agents EXIT
stop_agents
rm -rf "$work"
mkdir -p "$work"
repo=$release/repo
[ -f "$repo/netrace.repo" ] && [ -f "$repo/repodata/repomd.xml.asc" ] ||
	{ not_ok "the release has repo/netrace.repo and signed metadata"; finish; }

# dnf_in NAME REPODIR [netrace.repo settings...] -- DNF-ARGS...: dnf with
# only the netrace repository (the release's netrace.repo, its baseurl
# and gpgkey pointed at REPODIR), a scratch cache and the install root
# $work/NAME/root.  Its output goes to $work/NAME/dnf.log.
dnf_in() {
	local name=$1 dir=$2 d=$work/$1
	shift 2
	mkdir -p "$d/repos" "$d/root"
	sed -e "s,^baseurl=.*,baseurl=file://$dir," \
	    -e "s,^gpgkey=.*,gpgkey=file://$dir/RPM-GPG-KEY-netrace," \
	    "$repo/netrace.repo" >"$d/repos/netrace.repo"
	while [ "$1" != -- ]; do
		sed -i "s,^${1%%=*}=.*,$1," "$d/repos/netrace.repo"
		shift
	done
	shift
	printf '[main]\ngpgcheck=1\ninstall_weak_deps=0\n' >"$d/dnf.conf"
	# --releasever: Debian's dnf has no system release to read it from.
	dnf -y -c "$d/dnf.conf" --installroot "$d/root" --releasever 1 \
		--setopt=reposdir="$d/repos" --setopt=cachedir="$d/cache" \
		"$@" >>"$d/dnf.log" 2>&1
}
installed() { rpm --root "$work/$1/root" -q "$2" >/dev/null 2>&1; }
show_log() { sed 's/^/#   /' "$work/$1/dnf.log" | tail -"${2:-15}"; }

# --- install from the repository as published ------------------------------
check "netrace.repo asks for signed packages and metadata" \
	grep -qx 'gpgcheck=1' "$repo/netrace.repo"
check "netrace.repo: repo_gpgcheck=1" grep -qx 'repo_gpgcheck=1' "$repo/netrace.repo"
if dnf_in good "$repo" -- install netrace; then
	ok "dnf install netrace: signature checks on, into an empty root"
else
	show_log good
	not_ok "dnf install netrace: signature checks on, into an empty root"
	finish
fi
check "dnf imported RPM-GPG-KEY-netrace from gpgkey=" \
	grep -q 'Importing GPG key' "$work/good/dnf.log"
r=$work/good/root
check "installed netrace --version is 'netrace $version' (chroot)" \
	test "$(chroot "$r" /usr/sbin/netrace --version 2>&1)" = "netrace $version"
out=$(chroot "$r" /usr/share/netrace/tools/tcpconnect --help 2>&1) || :
check "installed tcpconnect --help (chroot)" \
	bash -c '[[ $1 == "usage: tcpconnect "* ]]' bash "$out"
if dnf_in good "$repo" -- install netrace-bcc-compat; then
	ok "dnf install netrace-bcc-compat"
	out=$(chroot "$r" /usr/share/bcc/tools/tcpaccept --help 2>&1) || :
	check "/usr/share/bcc/tools/tcpaccept --help runs netrace's (chroot)" \
		bash -c '[[ $1 == "usage: tcpaccept "* ]]' bash "$out"
else
	show_log good
	not_ok "dnf install netrace-bcc-compat"
fi
if dnf_in good "$repo" -- remove netrace && ! installed good netrace &&
   ! installed good netrace-bcc-compat; then
	ok "dnf remove netrace takes netrace-bcc-compat with it"
else
	show_log good
	not_ok "dnf remove netrace takes netrace-bcc-compat with it"
fi

# --- the other architecture ------------------------------------------------------
other=aarch64
[ "$(uname -m)" != aarch64 ] || other=x86_64
need_qemu_for "$other"
if dnf_in "$other" "$repo" -- --forcearch "$other" install netrace &&
   [ "$(rpm --root "$work/$other/root" -q --qf '%{ARCH}' netrace)" = "$other" ]; then
	ok "dnf --forcearch $other install netrace: the $other package"
	r=$work/$other/root
	check "installed $other netrace --version (qemu-user)" \
		test "$(in_root "$other" "$r" /usr/sbin/netrace --version 2>&1)" = "netrace $version"
	out=$(in_root "$other" "$r" /usr/share/netrace/tools/tcpconnect --help 2>&1) || :
	check "installed $other tcpconnect --help (qemu-user)" \
		bash -c '[[ $1 == "usage: tcpconnect "* ]]' bash "$out"
else
	show_log "$other"
	not_ok "dnf --forcearch $other install netrace: the $other package"
fi

# --- what dnf reads of it --------------------------------------------------------
dnfq() {
	dnf_in query "$repo" -- -q repoquery "$@" >/dev/null &&
		dnf -q -c "$work/query/dnf.conf" --installroot "$work/query/root" \
			--releasever 1 --setopt=reposdir="$work/query/repos" \
			--setopt=cachedir="$work/query/cache" -C repoquery "$@"
}
if info=$(dnfq --info netrace); then
	echo "$info" | sed 's/^/#   /'
	check "dnf repoquery --info: Name netrace" grep -Eq '^Name +: netrace$' <<<"$info"
	check "dnf repoquery --info: Version $version" grep -Eq "^Version +: $version\$" <<<"$info"
else
	show_log query
	not_ok "dnf repoquery --info netrace"
fi
main=$(find "$repo" -name "netrace-$version-*.$(uname -m).rpm")
rel=$(rpm -qp --nosignature --qf '%{RELEASE}' "$main")
if provides=$(dnfq --provides netrace); then
	check "dnf repoquery --provides: netrace = $version-$rel" \
		grep -qx "netrace = $version-$rel" <<<"$provides"
else
	not_ok "dnf repoquery --provides netrace"
fi
if requires=$(dnfq --requires netrace); then
	echo "$requires" | sed 's/^/#   requires: /'
	check "dnf repoquery --requires netrace: nothing (a static binary)" \
		test -z "$(grep -v '^rpmlib(' <<<"$requires")"
else
	not_ok "dnf repoquery --requires netrace"
fi

# --- what it must refuse ----------------------------------------------------------
# copy_repo NAME: a copy of the published repository to spoil.
copy_repo() {
	local d=$work/$1/repo
	mkdir -p "$d"
	cp -p "$repo"/*.rpm "$repo/RPM-GPG-KEY-netrace" "$d/"
	echo "$d"
}
# remake NAME: new metadata for the spoiled copy, as its server would
# serve it (unsigned: only the key's holder can sign).
remake() { createrepo_c --quiet --general-compress-type gz "$work/$1/repo"; }
# refused WHAT NAME PATTERN REPO-SETTINGS...: dnf install netrace fails,
# says so (PATTERN), and installs nothing.
refused() {
	local what=$1 name=$2 pattern=$3
	shift 3
	if dnf_in "$name" "$work/$name/repo" "$@" -- install netrace; then
		not_ok "$what: refused (dnf installed it)"
	elif installed "$name" netrace; then
		not_ok "$what: refused (dnf failed, yet netrace is installed)"
	elif grep -Eq "$pattern" "$work/$name/dnf.log"; then
		ok "$what: refused ($(grep -Eom1 "[^:]*($pattern).{0,40}" "$work/$name/dnf.log"))"
	else
		show_log "$name"
		not_ok "$what: refused for its signature (/$pattern/)"
	fi
}
# flip RPM TEXT: change one byte of TEXT where it first occurs in RPM.
flip() {
	python3 - "$1" "$2" <<'EOF'
import sys
path, text = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
at = data.find(text)
if at < 0:
	sys.exit("no %r in %s" % (text, path))
data[at] ^= 0x20
open(path, "wb").write(data)
EOF
}

d=$(copy_repo header)
flip "$d/${main##*/}" "BCC-compatible network tracers and XDP tools"
remake header
refused "a package whose signed header was changed" header \
	'GPG check FAILED|BAD|signature' repo_gpgcheck=0

d=$(copy_repo payload)
# The last bytes of the xz payload (its index and footer), well past the
# header and its signature.
python3 - "$d/${main##*/}" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[-64] ^= 0xff
open(sys.argv[1], "wb").write(data)
EOF
remake payload
refused "a package whose payload was changed" payload \
	'GPG check FAILED|[Dd]igest|MISMATCH|checksum|corrupt|[Pp]ayload|unpacking' repo_gpgcheck=0

d=$(copy_repo unsigned)
rpmsign --delsign "$d/${main##*/}" >/dev/null
check "rpmsign --delsign left no signature" \
	bash -c '[ "$(rpm -qp --nosignature --qf "%{RSAHEADER:pgpsig}" "$1")" = "(none)" ]' \
	bash "$d/${main##*/}"
remake unsigned
refused "an unsigned package" unsigned \
	'GPG check FAILED|not signed|[Ss]ignature' repo_gpgcheck=0

# Metadata made anew for a spoiled copy (the unsigned package) but signed
# by no one: with the old detached signature next to it (which no longer
# matches), and with none.
for how in stale none; do
	d=$(copy_repo "meta-$how")
	cp -p "$work/unsigned/repo/${main##*/}" "$d/"
	remake "meta-$how"
	[ $how = none ] || cp -p "$repo/repodata/repomd.xml.asc" "$d/repodata/"
done
refused "metadata the key did not sign (repo_gpgcheck=1, stale repomd.xml.asc)" \
	meta-stale 'repomd.xml GPG signature verification error|Bad GPG signature' \
	repo_gpgcheck=1
refused "metadata the key did not sign (repo_gpgcheck=1, no repomd.xml.asc)" \
	meta-none 'GPG signature is not available' repo_gpgcheck=1

finish
