package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gorotop/gorotop/internal/diff"
	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/record"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
	"github.com/gorotop/gorotop/tui"
)

// errHelp ends a command that printed its help.
var errHelp = errors.New("help shown")

// usageError is a mistake on the command line: exit 2 with the message and
// a pointer to --help.
type usageError struct {
	cmd string
	msg string
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%s (see 'gorotop %s--help')", e.msg, e.cmd)
}

func usagef(cmd, format string, args ...any) error {
	if cmd != "" {
		cmd += " "
	}
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// leakError says that check found suspected, rising or proven leaks.
type leakError struct{ n int }

func (e *leakError) Error() string { return fmt.Sprintf("%d suspected leak(s)", e.n) }

// notJudgedError says that check's polls could not have shown a leak; the
// report says so, and msg how long to run it.
type notJudgedError struct{ msg string }

func (e *notJudgedError) Error() string { return e.msg }

// options holds every flag; each command registers the ones it takes.
type options struct {
	interval        time.Duration
	timeout         time.Duration
	headers         headerList
	bearerTokenFile string
	insecure        bool
	maxBytes        byteSize
	group           string
	exportDir       string
	forDur          time.Duration
	output          string
	format          string
	force           bool
	noColor         bool
	src             string
	record          string
	maxStall        stallBudget
	which           flagSet // the flags registered
	metrics         string
}

// flagSet is the set of flags a command takes.
type flagSet int

const (
	withFetch flagSet = 1 << iota
	withPoll
	withUI
	withOutput // --output, --force and --format
	withFile   // --output and --force alone
	withFor
	withDiffFormat // --format takes diff's formats, not the exports'
	withMetrics
)

func (o *options) register(fs *flag.FlagSet, which flagSet) {
	o.which = which
	o.interval = poll.DefaultInterval
	o.timeout = source.DefaultTimeout
	o.maxBytes = byteSize(source.DefaultMaxBytes)
	o.group = "code"
	o.exportDir = "."
	o.forDur = 30 * time.Second
	o.format = "text"
	o.maxStall = stallBudget(poll.DefaultMaxShare)
	if which&withFetch != 0 {
		fs.DurationVar(&o.timeout, "timeout", o.timeout, "one fetch, connect to last byte")
		fs.Var(&o.headers, "header", "extra request header 'Name: value' (repeatable)")
		fs.Var(&o.headers, "H", "short for --header")
		fs.StringVar(&o.bearerTokenFile, "bearer-token-file", "", "send 'Authorization: Bearer' with the token in this file (or set GOROTOP_BEARER_TOKEN)")
		fs.BoolVar(&o.insecure, "insecure-skip-verify", false, "do not verify TLS certificates (explicit opt-in)")
		fs.Var(&o.maxBytes, "max-bytes", "cap on one dump, e.g. 1GiB, 64MiB")
		fs.StringVar(&o.group, "group", o.group, "grouping: code (same code locations, args ignored), exact, pointer")
	}
	if which&withPoll != 0 {
		fs.DurationVar(&o.interval, "interval", o.interval, "time between polls (a floor: see --max-stall)")
		fs.DurationVar(&o.interval, "i", o.interval, "short for --interval")
		fs.Var(&o.maxStall, "max-stall", "share of wall time a live target may spend stopped by polls, e.g. 1% or 0.5%: the interval stretches, cheap ?debug=1 polls come between full dumps; off: a full dump every --interval")
	}
	if which&withUI != 0 {
		fs.StringVar(&o.exportDir, "export-dir", o.exportDir, "where 'e' writes exports")
		fs.BoolVar(&o.noColor, "no-color", false, "no colours (NO_COLOR is honoured too)")
		fs.StringVar(&o.src, "src", "", "directory with the target's source, to show blocking lines (default: the working directory)")
	}
	if which&(withOutput|withUI) != 0 {
		fs.StringVar(&o.format, "format", o.format, "output format: "+orList(formats(which)))
	}
	if which&withUI != 0 {
		fs.StringVar(&o.record, "record", "", "also record every dump into this file (replay it with 'gorotop FILE')")
	}
	if which&(withOutput|withFile|withUI) != 0 {
		fs.BoolVar(&o.force, "force", false, "let --output or --record replace an existing file")
	}
	if which&(withOutput|withFile) != 0 {
		fs.StringVar(&o.output, "output", "", "write to this file (atomically) instead of stdout")
		fs.StringVar(&o.output, "o", "", "short for --output")
	}
	if which&withFor != 0 {
		fs.DurationVar(&o.forDur, "for", o.forDur, "how long to watch")
	}
	if which&withMetrics != 0 {
		fs.StringVar(&o.metrics, "metrics", "", "serve what gorotop sees as Prometheus metrics at http://ADDR/metrics (ADDR: host:port or :port)")
	}
}

// formats returns the --format values a command with flags which
// takes: diff's, or the exports'.
func formats(which flagSet) []string {
	if which&withDiffFormat != 0 {
		return diff.Formats
	}
	var out []string
	for _, f := range export.Formats {
		out = append(out, string(f))
	}
	return out
}

// fileFlags are the flags that take a path.
var fileFlags = []string{"output", "o", "bearer-token-file", "export-dir", "src", "record"}

// flagValues returns the values flag name takes in a command with flags
// which, for completion; nil when any value goes.
func flagValues(name string, which flagSet) []string {
	switch name {
	case "format":
		return formats(which)
	case "group":
		var out []string
		for _, g := range stackparse.Groupings {
			out = append(out, g.String())
		}
		return out
	}
	return nil
}

// orList is a list for people: "text, json, html or pprof".
func orList(items []string) string {
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// sourceOptions turns flags into source.Options.
func (o *options) sourceOptions(stdin io.Reader) source.Options {
	return source.Options{
		Timeout:            o.timeout,
		MaxBytes:           int64(o.maxBytes),
		Headers:            http.Header(o.headers.h),
		BearerTokenFile:    o.bearerTokenFile,
		InsecureSkipVerify: o.insecure,
		Stdin:              stdin,
	}
}

// open checks the --group and --format flags of command cmd, opens target
// and returns the loop that polls it, with po's groupings (--group's alone
// when po has none), the pace and budget of the flags, and --record's
// recording (full dumps only). With po.Stream, standard input is read as
// a stream of dumps, each a sample as it arrives; else as one input.
func (o *options) open(cmd, target string, stdin io.Reader, po poll.Options) (*poll.Loop, export.Format, error) {
	g, err := stackparse.ParseGrouping(o.group)
	if err != nil {
		return nil, "", usagef(cmd, "--group: %v", err)
	}
	format, err := export.ParseFormat(o.format)
	if err != nil {
		return nil, "", usagef(cmd, "--format: %v", err)
	}
	if o.which&withUI != 0 {
		if err := writableDir(o.exportDir); err != nil {
			return nil, "", usagef(cmd, "--export-dir %s: %v", stackparse.Clean(o.exportDir, 200), err)
		}
	}
	if err := oneProcess(cmd, target); err != nil {
		return nil, "", err
	}
	t, err := source.ParseTarget(target)
	if err != nil {
		return nil, "", err
	}
	src, err := source.Open(t, o.sourceOptions(stdin))
	if err != nil {
		return nil, "", err
	}
	if o.record != "" {
		if t.Kind == source.Stdin {
			src.Close()
			return nil, "", usagef(cmd, "--record does not take standard input: record the dumps where they come from")
		}
		w, err := record.Create(o.record, o.force)
		if err != nil {
			src.Close()
			return nil, "", err
		}
		src = recordingSource{source.Tee(src, w), w}
		po.FullOnly = true
	}
	po.Stream = po.Stream && t.Kind == source.Stdin
	po.Interval, po.MaxShare = o.interval, float64(o.maxStall)
	po.Groupings = slices.DeleteFunc(slices.Clone(po.Groupings), func(x stackparse.Grouping) bool { return x == g })
	po.Groupings = append([]stackparse.Grouping{g}, po.Groupings...)
	return poll.NewLoop(src, po), format, nil
}

// parseArgs parses flags wherever they stand among the arguments, so that
// "gorotop localhost:6060 -i 1s" works, and returns the rest.
func parseArgs(fs *flag.FlagSet, cmd string, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var rest []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, errHelp
		}
		if err != nil {
			return nil, usagef(cmd, "%v", err)
		}
		args = fs.Args()
		if len(args) == 0 || args[0] == "--" {
			if badHeaders(fs) {
				return nil, usagef(cmd, "-H wants 'Name: value', the name a token such as X-Api-Key")
			}
			if len(args) == 0 {
				return rest, nil
			}
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// writableDir says why exports cannot go to dir, or nil: it is checked at
// start, not when e is first pressed.
func writableDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such directory")
	case err != nil:
		return errors.Unwrap(err)
	case !info.IsDir():
		return errors.New("not a directory")
	}
	f, err := os.CreateTemp(dir, ".gorotop-check-*")
	if err != nil {
		return errors.New("cannot write there (is the directory writable?)")
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// recordingOf returns how src's recording (--record) goes, for the UI's
// header, or nil when src records nothing.
func recordingOf(src source.Source) func() tui.Recording {
	if _, ok := source.RecordStatus(src); !ok {
		return nil
	}
	return func() tui.Recording {
		st, _ := source.RecordStatus(src)
		return tui.Recording(st)
	}
}

// recordingSource records its dumps into w and closes w after itself.
type recordingSource struct {
	source.Source
	w *record.Writer
}

// Unwrap returns the recording Tee, so that the goroutineleak profile is
// recorded too (source.Leaks).
func (r recordingSource) Unwrap() source.Source { return r.Source }

func (r recordingSource) Close() error {
	err := r.Source.Close()
	if werr := r.w.Close(); err == nil {
		err = werr
	}
	return err
}

// headerList is a repeatable -H 'Name: value'.
type headerList struct {
	h   http.Header
	bad bool // an argument was not 'Name: value'
}

func (l *headerList) String() string { return "" }

// Set adds a header. A malformed one is noted, not refused: the flag
// package would repeat the argument in its error, and the value may be a
// secret; parseArgs reports it (badHeaders).
func (l *headerList) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r > '~' }) {
		l.bad = true
		return nil
	}
	if l.h == nil {
		l.h = http.Header{}
	}
	l.h.Add(name, strings.TrimSpace(value))
	return nil
}

// badHeaders reports whether an -H argument of fs was malformed.
func badHeaders(fs *flag.FlagSet) bool {
	bad := false
	fs.Visit(func(f *flag.Flag) {
		if l, ok := f.Value.(*headerList); ok && l.bad {
			bad = true
		}
	})
	return bad
}

// byteSize is a size flag: 1GiB, 64MiB, 500MB, 1048576.
type byteSize int64

func (b *byteSize) String() string { return human.FlagSize(int64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad size %q: want e.g. 1GiB, 64MiB, 500MB", s)
	}
	mult := map[string]float64{"": 1, "B": 1, "K": 1 << 10, "KB": 1e3, "KIB": 1 << 10, "M": 1 << 20, "MB": 1e6, "MIB": 1 << 20, "G": 1 << 30, "GB": 1e9, "GIB": 1 << 30}[strings.ToUpper(unit)]
	if mult == 0 {
		return 0, fmt.Errorf("bad size %q: unknown unit %q", s, unit)
	}
	return int64(f * mult), nil
}

// noColor reports whether colour is off by flag or NO_COLOR.
func (o *options) noColorWanted() bool {
	return o.noColor || os.Getenv("NO_COLOR") != ""
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return stackparse.Clean(s, 400)
}

// stallBudget is the --max-stall flag: the share of wall time the target
// may spend stalled by gorotop's polls, as a percentage ("1%", "0.5%") or
// "off" (a full dump at every --interval, whatever it costs).
type stallBudget float64

func (b stallBudget) String() string {
	if b <= 0 {
		return "off"
	}
	return strconv.FormatFloat(float64(b)*100, 'f', -1, 64) + "%"
}

func (b *stallBudget) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "off" || v == "0" || v == "0%" {
		*b = 0
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || !strings.HasSuffix(v, "%") || f <= 0 || f > 100 {
		return fmt.Errorf("want a percentage of wall time such as 1%% or 0.5%%, or off")
	}
	*b = stallBudget(f / 100)
	return nil
}

// version is the module version when installed with go install.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
