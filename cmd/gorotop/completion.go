package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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

// shells are the shells gorotop writes completion scripts for.
var shells = []string{"bash", "zsh", "fish"}

func runCompletion(_ context.Context, _ options, args []string, e env) error {
	stdout := e.stdout
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(stdout, completionUsage)
		return errHelp
	}
	if len(args) != 1 {
		return usagef("completion", "want one shell: %s", orList(shells))
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
	return usagef("completion", "unknown shell %q: want %s", args[0], orList(shells))
}

// withFlags returns the commands that take flags, by name: the UI ("")
// first.
func withFlags() []*command {
	var out []*command
	for i := range commands {
		if commands[i].flags != 0 {
			out = append(out, &commands[i])
		}
	}
	slices.SortFunc(out, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return out
}

// flagsOf returns the flags c takes.
func flagsOf(c *command) []*flag.Flag {
	var o options
	var out []*flag.Flag
	c.flagSet(&o).VisitAll(func(f *flag.Flag) { out = append(out, f) })
	return out
}

// commandNames returns the names of the commands, as typed.
func commandNames() []string {
	var out []string
	for _, c := range commands {
		if c.name != "" {
			out = append(out, c.name)
		}
	}
	return out
}

// isBool reports whether f takes no value.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func bashCompletion(w io.Writer) error {
	var cases, values strings.Builder
	var free []string // flags that take any value
	done := map[string]bool{}
	var formatCmds []string
	for _, c := range withFlags() {
		label := c.name
		if c.name == "" {
			label = `""`
		}
		var flags []string
		for _, f := range flagsOf(c) {
			flags = append(flags, dashed(f.Name))
			if f.Name == "format" && c.flags&withDiffFormat != 0 {
				formatCmds = append(formatCmds, c.name)
			}
			if done[f.Name] {
				continue
			}
			done[f.Name] = true
			switch {
			case f.Name == "format" || isBool(f):
			case flagValues(f.Name, 0) != nil:
				fmt.Fprintf(&values, "    --%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", f.Name, strings.Join(flagValues(f.Name, 0), " "))
			case !slices.Contains(fileFlags, f.Name):
				free = append(free, dashed(f.Name))
			}
		}
		fmt.Fprintf(&cases, "    %s) flags=%q ;;\n", label, strings.Join(append(flags, "--help"), " "))
	}
	// --format takes diff's formats after diff, the exports' elsewhere.
	var diffCmd strings.Builder
	for i, name := range formatCmds {
		if i > 0 {
			diffCmd.WriteString(" || ")
		}
		fmt.Fprintf(&diffCmd, "[ \"$cmd\" = %s ]", name)
	}
	format := fmt.Sprintf("if %s; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else COMPREPLY=($(compgen -W %q -- \"$cur\")); fi",
		diffCmd.String(), strings.Join(formats(withDiffFormat), " "), strings.Join(formats(0), " "))
	var files []string
	for _, f := range fileFlags {
		files = append(files, dashed(f))
	}
	cmds := commandNames()
	_, err := fmt.Fprintf(w, `# bash completion for gorotop
_gorotop() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" w flags
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in %s) cmd="$w"; break ;; esac
  done
  case "$prev" in
    --format) %s; return ;;
%s    %s) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    %s) return ;;
  esac
  if [ "$cmd" = completion ]; then COMPREPLY=($(compgen -W %q -- "$cur")); return; fi
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
`, strings.Join(cmds, "|"), format, values.String(), strings.Join(files, "|"), strings.Join(free, "|"),
		strings.Join(shells, " "), cases.String(), strings.Join(cmds, " "))
	return err
}

func fishCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for gorotop\ncomplete -c gorotop -f\n")
	fmt.Fprintf(&b, "complete -c gorotop -n __fish_use_subcommand -a %q\n", strings.Join(commandNames(), " "))
	fmt.Fprintf(&b, "complete -c gorotop -n '__fish_seen_subcommand_from completion' -a '%s'\n", strings.Join(shells, " "))
	var noFiles []string // commands without flags take no file either
	for _, c := range commands {
		if c.flags == 0 {
			noFiles = append(noFiles, c.name)
		}
	}
	for _, c := range withFlags() {
		cond := "__fish_use_subcommand"
		if c.name != "" {
			cond = "__fish_seen_subcommand_from " + c.name
		}
		for _, f := range flagsOf(c) {
			opt := "-l " + f.Name
			if len(f.Name) == 1 {
				opt = "-s " + f.Name
			}
			extra := ""
			if v := flagValues(f.Name, c.flags); v != nil {
				extra = fmt.Sprintf(" -x -a %q", strings.Join(v, " "))
			} else if slices.Contains(fileFlags, f.Name) {
				extra = " -r -F"
			} else if !isBool(f) {
				extra = " -x"
			}
			fmt.Fprintf(&b, "complete -c gorotop -n %q %s -d %q%s\n", cond, opt, f.Usage, extra)
		}
	}
	fmt.Fprintf(&b, "complete -c gorotop -n 'not __fish_seen_subcommand_from %s' -F\n", strings.Join(noFiles, " "))
	_, err := io.WriteString(w, b.String())
	return err
}
