#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# packaging/dist.sh SRCDIR VERSION OUT.tar.gz
#
# The source tarball netrace-VERSION.tar.gz (top directory netrace-VERSION/):
#   - a git checkout with a clean work tree: "git archive HEAD";
#   - a git checkout with changes: the files git would commit (tracked and
#     untracked-but-not-ignored) as they are in the work tree, so what you
#     test is what you have (a note on stderr says so);
#   - not a git checkout (e.g. an unpacked tarball): the source tree, less
#     build directories and build products.
# NETRACE_DIST=head forces "git archive HEAD" (a release), =worktree the
# work tree.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 SRCDIR VERSION OUT.tar.gz" >&2; exit 2; }
src=$(cd "$1" && pwd)
version=$2
out=$3
prefix=netrace-$version
mode=${NETRACE_DIST:-auto}

mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT

is_git=false
if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1 &&
   [ "$(git -C "$src" rev-parse --show-toplevel)" = "$src" ]; then
	is_git=true
fi

# Reproducible tar options for the non-"git archive" cases.
tar_opts=(--sort=name --owner=0 --group=0 --numeric-owner
	"--mode=u+rwX,go+rX,go-w" --transform "s,^,$prefix/,S")

if $is_git; then
	if [ "$mode" = auto ]; then
		if [ -z "$(git -C "$src" status --porcelain --untracked-files=normal)" ]; then
			mode="head"
		else
			mode="worktree"
		fi
	fi
	case $mode in
	head)
		git -C "$src" archive --format=tar --prefix="$prefix/" HEAD |
			gzip -n -9 >"$tmp" ;;
	worktree)
		echo "dist: the work tree has changes: archiving the work tree, not HEAD" >&2
		# Deleted but still tracked files are left out.
		mtime=$(git -C "$src" log -1 --format=%ct HEAD 2>/dev/null || date +%s)
		(cd "$src" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -e "$f" ] || [ -L "$f" ] || continue
				printf '%s\0' "$f"
			done |
			tar --null --no-recursion -T - "${tar_opts[@]}" \
				--mtime="@$mtime" -cf -) | gzip -n -9 >"$tmp" ;;
	*)
		echo "dist: NETRACE_DIST must be auto, head or worktree" >&2
		exit 2 ;;
	esac
else
	[ "$mode" != head ] || { echo "dist: $src is not a git checkout" >&2; exit 1; }
	# Not git: everything but build trees (the layout .gitignore names),
	# object files and packages.
	(cd "$src" && find . -mindepth 1 \
		\( -name .git -o -path './build*' -o -name '*.o' \
		   -o -name '*.rpm' -o -name 'netrace-*.tar.gz' \) -prune \
		-o \( -type f -o -type l \) -printf '%P\0' |
		tar --null --no-recursion -T - "${tar_opts[@]}" -cf -) |
		gzip -n -9 >"$tmp"
fi

chmod 644 "$tmp"	# mktemp made it 0600
mv "$tmp" "$out"
trap - EXIT
echo "dist: $out"
