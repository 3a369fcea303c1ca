package main

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// pprofTotal is the goroutine count of a pprof goroutine profile.
func pprofTotal(b []byte) string {
	p, err := profile.ParseData(b)
	if err != nil {
		return "?"
	}
	n := int64(0)
	for _, s := range p.Sample {
		n += s.Value[0]
	}
	return strconv.FormatInt(n, 10)
}

// pprofFacts lists the samples of a pprof goroutine profile: count,
// labels and the innermost frame of package main.
func pprofFacts(b []byte) string {
	p, err := profile.ParseData(b)
	if err != nil {
		return "Not readable: " + err.Error() + "\n"
	}
	var out strings.Builder
	fmt.Fprintf(&out, "Sample type `%s/%s`, %d samples, %d locations.\n\n", p.SampleType[0].Type, p.SampleType[0].Unit, len(p.Sample), len(p.Location))
	out.WriteString("| count | labels | first main frame | site |\n|---:|---|---|---|\n")
	for _, s := range p.Sample {
		var labels []string
		for k, vs := range s.Label {
			for _, v := range vs {
				labels = append(labels, strconv.Quote(k)+":"+strconv.Quote(v))
			}
		}
		sort.Strings(labels)
		fn, site := "(none in main)", ""
	find:
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				if strings.HasPrefix(l.Function.Name, "main.") {
					fn = "`" + l.Function.Name + "`"
					site = fmt.Sprintf("%s:%d", l.Function.Filename[strings.LastIndexByte(l.Function.Filename, '/')+1:], l.Line)
					break find
				}
			}
		}
		label := ""
		if len(labels) > 0 {
			label = "`{" + strings.Join(labels, ", ") + "}`"
		}
		fmt.Fprintf(&out, "| %d | %s | %s | %s |\n", s.Value[0], label, fn, site)
	}
	return out.String()
}

// inLog makes a dump as quitted does and writes its stderr as a log
// format would.
func inLog(format func(stderr []byte, pid int) []byte) func(r *runner, d dump) ([]byte, error) {
	return func(r *runner, d dump) ([]byte, error) {
		b, err := r.crash(d.child, d.env, true)
		if err != nil {
			return nil, err
		}
		pid := 4000 + len(b)%1000
		return format(b, pid), nil
	}
}

// logStart is the time of a log's first line; each line is a few
// microseconds after the one before.
var logStart = time.Date(2026, 12, 6, 7, 0, 0, 120000000, time.UTC)

// logLines splits a child's stderr into lines without their newlines.
func logLines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// timestampLog prefixes each line as kubectl logs --timestamps and docker
// logs -t do: RFC 3339 with nanoseconds, then a space.
func timestampLog(b []byte, _ int) []byte {
	var out bytes.Buffer
	for i, line := range logLines(b) {
		at := logStart.Add(time.Duration(i) * 7 * time.Microsecond)
		out.WriteString(at.Format("2006-01-02T15:04:05.000000000Z07:00") + " " + line + "\n")
	}
	return out.Bytes()
}

// criSplit is where criLog splits long lines into parts (the kubelet
// splits at 16 KiB; a smaller size makes the parts show in a small dump).
const criSplit = 48

// criLog writes lines as the kubelet writes a container's log file:
// "TIME STREAM TAG content", TAG P for a part of a longer line and F for
// its last part, the child's one line of stdout among them.
func criLog(b []byte, _ int) []byte {
	var out bytes.Buffer
	at := logStart
	write := func(stream, tag, content string) {
		at = at.Add(5 * time.Microsecond)
		fmt.Fprintf(&out, "%s %s %s %s\n", at.Format(time.RFC3339Nano), stream, tag, content)
	}
	for i, line := range logLines(b) {
		if i == 3 {
			write("stdout", "F", "ready")
		}
		for len(line) > criSplit {
			write("stderr", "P", line[:criSplit])
			line = line[criSplit:]
		}
		write("stderr", "F", line)
	}
	return out.Bytes()
}

// journalLog writes lines as journalctl's default short output shows a
// unit's standard error: "Mon DD HH:MM:SS host identifier[PID]: ".
func journalLog(b []byte, pid int) []byte {
	var out bytes.Buffer
	out.WriteString("-- Boot 3f1c2a9d8e7b4c5a9d8e7b4c5a9d8e7b --\n")
	for i, line := range logLines(b) {
		at := logStart.Add(time.Duration(i) * time.Millisecond)
		fmt.Fprintf(&out, "%s build-7 dumpgen[%d]: %s\n", at.Format("Jan 02 15:04:05"), pid, line)
	}
	return out.Bytes()
}

// logPrefix matches the prefixes the log formats above write.
var logPrefix = regexp.MustCompile(`^(?:-- Boot .* --$|\d{4}-\d\d-\d\dT[\d:.]+Z (?:std(?:out|err) [PF] )?|[A-Z][a-z]{2} [ \d]\d [\d:]{8} build-7 dumpgen\[\d+\]: )`)

// unLog takes the log prefixes off again, joining CRI parts and dropping
// stdout, to read the dump for the README.
func unLog(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range logLines(b) {
		m := logPrefix.FindString(line)
		switch {
		case strings.HasPrefix(m, "-- Boot"), strings.Contains(m, " stdout "):
			continue
		case strings.HasSuffix(m, " P "):
			out.WriteString(line[len(m):])
			continue
		}
		out.WriteString(line[len(m):] + "\n")
	}
	return out.Bytes()
}

// logTotal counts the goroutines of a dump inside a log.
func logTotal(b []byte) string { return strconv.Itoa(len(parseDump(unLog(b)))) }

// logFacts is the facts table of a dump inside a log.
func logFacts(b []byte) string {
	return "The dump under the prefixes:\n\n" + factsTable(parseDump(unLog(b)))
}
