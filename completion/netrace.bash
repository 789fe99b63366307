# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# bash completion for netrace and its applet links (tcpconnect, tcpaccept,
# ... in /usr/share/netrace/tools).  Installed as
# /usr/share/bash-completion/completions/netrace, with a link to it per
# applet name, so bash-completion loads it for either.
#
# The applets and options are read from the binary itself ("netrace
# --list", "APPLET --help": the help every applet prints from the one
# option table), so completion never lags behind the binary.  Only the
# values of --attach and --buffer are spelled out here (and checked
# against --help by tests/packaging/docs.sh).
#
# A command named like an applet that is not netrace (bcc-tools'
# /usr/share/bcc/tools/tcpconnect) gets bash's default completion.

# The binary behind a command word: prints its path if it is netrace.
_netrace_binary()
{
	local cmd=$1 path
	cmd=${cmd/#\~/$HOME}
	if [[ $cmd == */* ]]; then
		path=$cmd
	else
		path=$(type -P -- "$cmd") || return 1
	fi
	path=$(readlink -f -- "$path" 2>/dev/null) || return 1
	[[ ${path##*/} == netrace && -x $path ]] || return 1
	printf '%s\n' "$path"
}

# "OPT [METAVAR]" per line for each option the applet's --help lists.
_netrace_options()
{
	"$@" --help 2>/dev/null | awk '
		/^(optional arguments|options):$/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  -/ {
			sub(/^  /, ""); sub(/  .*/, "")
			n = split($0, forms, ", ")
			for (i = 1; i <= n; i++) print forms[i]
		}'
}

_netrace()
{
	local cur prev cmd applet opt line word
	local -a runner opts
	local -A metavar=()

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--attach=kp": COMP_WORDBREAKS splits at "=".
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	cmd=${COMP_WORDS[0]}
	if ! _netrace_binary "$cmd" >/dev/null; then
		# Not netrace (bcc's own tcpconnect, say): bash's default.
		compopt -o default 2>/dev/null
		return 0
	fi
	cmd=${cmd/#\~/$HOME}

	if [[ ${cmd##*/} == netrace ]]; then
		if ((COMP_CWORD == 1)); then
			if [[ $cur == -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W \
					'--list --help --version' -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -W \
					"$("$cmd" --list 2>/dev/null)" -- "$cur")
			fi
			return 0
		fi
		applet=${COMP_WORDS[1]}
		[[ $applet == -* ]] && return 0
		runner=("$cmd" "$applet")
	else
		runner=("$cmd")
	fi

	while read -r opt word; do
		[[ -n $opt ]] || continue
		opts+=("$opt")
		[[ -n $word ]] && metavar[$opt]=$word
	done < <(_netrace_options "${runner[@]}")

	# The value of an option that takes one.
	if [[ $prev == -* && -n ${metavar[$prev]:-} ]]; then
		case $prev in
		--attach)
			mapfile -t COMPREPLY < <(compgen -W \
				'auto fentry kprobe tracepoint' -- "$cur") ;;
		--buffer)
			mapfile -t COMPREPLY < <(compgen -W \
				'auto ringbuf perfbuf' -- "$cur") ;;
		-p|--pid)
			mapfile -t COMPREPLY < <(compgen -W \
				"$(command ls /proc 2>/dev/null | grep -E '^[0-9]+$')" \
				-- "$cur") ;;
		-u|--uid)
			mapfile -t COMPREPLY < <(compgen -W \
				"$(getent passwd 2>/dev/null | cut -d: -f3)" -- "$cur") ;;
		-i|--interface)
			# A comma-separated list: complete its last name.
			line=
			[[ $cur == *,* ]] && line=${cur%,*},
			mapfile -t COMPREPLY < <(compgen -P "$line" -W \
				"$(command ls /sys/class/net 2>/dev/null)" \
				-- "${cur##*,}")
			compopt -o nospace 2>/dev/null ;;
		--cgroupmap|--mntnsmap)
			# Pinned maps live in the BPF file system.
			compopt -o filenames 2>/dev/null
			[[ -z $cur ]] && cur=/sys/fs/bpf/
			mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
		*)
			;;	# PORTS and other free values
		esac
		return 0
	fi

	mapfile -t COMPREPLY < <(compgen -W "${opts[*]}" -- "$cur")
	return 0
}

# netrace, the applet name this file was loaded for (bash-completion
# sources it from the per-applet link with the command word as $1) and the
# applets of the netrace in PATH.  A name that turns out not to be netrace
# falls back to the default completion (above).
_netrace_register()
{
	local name
	complete -F _netrace netrace
	for name in "${1##*/}" $(command netrace --list 2>/dev/null); do
		[[ $name =~ ^[a-z0-9_]+$ ]] && complete -F _netrace "$name"
	done
	return 0
}
_netrace_register "${1-}"
unset -f _netrace_register
