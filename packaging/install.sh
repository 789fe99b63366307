#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# install.sh [--prefix DIR] [--destdir DIR]
#
# Installs netrace from the release tarball this script came in, for hosts
# without rpm.  Under PREFIX (default /usr/local), inside DESTDIR if given
# (a staging root):
#   sbin/netrace                                  the static binary
#   share/netrace/tools/APPLET -> ../../../sbin/netrace   a link per applet
#   share/man/man8/netrace.8.gz, netrace-APPLET.8.gz
#   share/netrace/doc/APPLET_example.txt
#   share/bash-completion/completions/netrace, APPLET -> netrace
#   share/doc/netrace/README.md, share/licenses/netrace/LICENSE
# The same layout as the RPM's under /usr.  Run the applets as
# "netrace APPLET", or put PREFIX/share/netrace/tools in PATH.  Files it
# installed are listed on stdout; run it again to update them.
# POSIX sh: it runs where bash is not installed.
set -eu

prefix=/usr/local
destdir=

usage() { sed -n '3,18s/^# \{0,1\}//p' "$0"; }
bad() { echo "install.sh: $*" >&2; usage >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--prefix)	[ $# -ge 2 ] || bad "--prefix needs a directory"
			prefix=$2; shift 2 ;;
	--prefix=*)	prefix=${1#*=}; shift ;;
	--destdir)	[ $# -ge 2 ] || bad "--destdir needs a directory"
			destdir=$2; shift 2 ;;
	--destdir=*)	destdir=${1#*=}; shift ;;
	-h|--help)	usage; exit 0 ;;
	*)		bad "unknown argument '$1'" ;;
	esac
done
case $prefix in
/*)	;;
*)	bad "--prefix must be an absolute path: '$prefix'" ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/sbin/netrace" ] || { echo "install.sh: no sbin/netrace next to $0" >&2; exit 1; }
# The applets the package links (release.sh wrote the list from the RPM).
applets=$(cat "$here/share/netrace/applets") ||
	{ echo "install.sh: no share/netrace/applets next to $0" >&2; exit 1; }

root=$destdir$prefix
put() {	# put MODE FILE DIR: install FILE into DIR
	mkdir -p "$root/$3"
	cp "$here/$2" "$root/$3/"
	chmod "$1" "$root/$3/$(basename "$2")"
	echo "$prefix/$3/$(basename "$2")"
}
link() {	# link TARGET DIR NAME
	mkdir -p "$root/$2"
	ln -sfn "$1" "$root/$2/$3"
	echo "$prefix/$2/$3 -> $1"
}

put 755 sbin/netrace sbin
for f in "$here"/share/man/man8/*; do
	put 644 "share/man/man8/$(basename "$f")" share/man/man8
done
for f in "$here"/share/netrace/doc/*; do
	put 644 "share/netrace/doc/$(basename "$f")" share/netrace/doc
done
put 644 share/bash-completion/completions/netrace share/bash-completion/completions
put 644 README.md share/doc/netrace
put 644 LICENSE share/licenses/netrace
for a in $applets; do
	link ../../../sbin/netrace share/netrace/tools "$a"
	link netrace share/bash-completion/completions "$a"
done
