package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

const completionUsage = `Usage: gorotop completion bash|zsh|fish

Print a shell completion script: commands, flags, flag values (--format,
--group) and file names for TARGETs.

Examples:
  source <(gorotop completion bash)                  # bash, this shell
  gorotop completion bash > /etc/bash_completion.d/gorotop
  gorotop completion zsh > "${fpath[1]}/_gorotop"    # zsh
  gorotop completion fish > ~/.config/fish/completions/gorotop.fish
`

// commandFlags says which flags each command takes; "" is the UI.
var commandFlags = map[string]flagSet{
	"":         withFetch | withPoll | withUI,
	"demo":     withPoll | withUI,
	"snapshot": withFetch | withOutput,
	"check":    withFetch | withPoll | withOutput | withFor | withMetrics,
	"record":   withFetch | withPoll | withFor | withFile | withMetrics,
	"watch":    withFetch | withPoll | withMetrics,
	"diff":     diffFlags,
}

// commandNames lists the commands, for completion.
var commandNames = []string{"demo", "snapshot", "check", "record", "watch", "diff", "completion", "version", "help"}

// flagValues lists the values a flag takes, for completion.
var flagValues = map[string]string{
	"group": "code exact pointer",
}

// fileFlags take a path.
var fileFlags = []string{"output", "o", "bearer-token-file", "export-dir", "src", "record"}

func runCompletion(args []string, stdout io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(stdout, completionUsage)
		return errHelp
	}
	if len(args) != 1 {
		return usagef("completion", "want one shell: bash, zsh or fish")
	}
	switch args[0] {
	case "bash":
		return bashCompletion(stdout)
	case "zsh":
		fmt.Fprint(stdout, "#compdef gorotop\nautoload -U +X bashcompinit && bashcompinit\n")
		return bashCompletion(stdout)
	case "fish":
		return fishCompletion(stdout)
	}
	return usagef("completion", "unknown shell %q: want bash, zsh or fish", args[0])
}

// flagNames returns the flags of a command as typed: --name or -n.
func flagNames(cmd string) []string {
	var o options
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	o.register(fs, commandFlags[cmd])
	var out []string
	fs.VisitAll(func(f *flag.Flag) { out = append(out, dashed(f.Name)) })
	return append(out, "--help")
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func bashCompletion(w io.Writer) error {
	var cases strings.Builder
	for _, cmd := range slices.Sorted(maps.Keys(commandFlags)) {
		label := cmd
		if cmd == "" {
			label = `""`
		}
		fmt.Fprintf(&cases, "    %s) flags=%q ;;\n", label, strings.Join(flagNames(cmd), " "))
	}
	var values strings.Builder
	for _, name := range slices.Sorted(maps.Keys(flagValues)) {
		fmt.Fprintf(&values, "    --%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", name, flagValues[name])
	}
	var files []string
	for _, f := range fileFlags {
		files = append(files, dashed(f))
	}
	_, err := fmt.Fprintf(w, `# bash completion for gorotop
_gorotop() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" w flags
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in %s) cmd="$w"; break ;; esac
  done
  case "$prev" in
    --format) if [ "$cmd" = diff ]; then COMPREPLY=($(compgen -W "text json" -- "$cur")); else COMPREPLY=($(compgen -W "text json html pprof" -- "$cur")); fi; return ;;
%s    %s) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --interval|-i|--timeout|--for|--max-bytes|--header|-H|--metrics) return ;;
  esac
  if [ "$cmd" = completion ]; then COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return; fi
  case "$cmd" in
%s    *) flags="--help" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W %q -- "$cur") $(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _gorotop gorotop
`, strings.Join(commandNames, "|"), values.String(), strings.Join(files, "|"), cases.String(), strings.Join(commandNames, " "))
	return err
}

func fishCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for gorotop\ncomplete -c gorotop -f\n")
	fmt.Fprintf(&b, "complete -c gorotop -n __fish_use_subcommand -a %q\n", strings.Join(commandNames, " "))
	b.WriteString("complete -c gorotop -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	for _, cmd := range slices.Sorted(maps.Keys(commandFlags)) {
		cond := "__fish_use_subcommand"
		if cmd != "" {
			cond = "__fish_seen_subcommand_from " + cmd
		}
		var o options
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		o.register(fs, commandFlags[cmd])
		fs.VisitAll(func(f *flag.Flag) {
			opt := "-l " + f.Name
			if len(f.Name) == 1 {
				opt = "-s " + f.Name
			}
			extra := ""
			if f.Name == "format" {
				extra = fmt.Sprintf(" -x -a %q", strings.Join(formats(commandFlags[cmd]), " "))
			} else if v, ok := flagValues[f.Name]; ok {
				extra = fmt.Sprintf(" -x -a %q", v)
			} else if slices.Contains(fileFlags, f.Name) {
				extra = " -r -F"
			} else if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool {
				extra = " -x"
			}
			fmt.Fprintf(&b, "complete -c gorotop -n %q %s -d %q%s\n", cond, opt, f.Usage, extra)
		})
	}
	b.WriteString("complete -c gorotop -n 'not __fish_seen_subcommand_from completion version help' -F\n")
	_, err := io.WriteString(w, b.String())
	return err
}
