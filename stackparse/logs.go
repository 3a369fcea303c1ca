package stackparse

import (
	"bufio"
	"bytes"
	"io"
)

// LogFormat is a log whose every line carries a prefix, under which a
// dump (SIGQUIT or panic output on standard error) can be read.
type LogFormat int

const (
	// LogNone is an input without a per-line prefix.
	LogNone LogFormat = iota
	// LogTimestamp is `kubectl logs --timestamps` and `docker logs -t`:
	// an RFC 3339 time and a space ("2026-12-06T07:00:00.123456789Z ").
	LogTimestamp
	// LogCRI is a container log file as the kubelet keeps it on the node
	// (/var/log/pods/…): time, stream, tag and a space
	// ("2026-12-06T07:00:00.123456789Z stderr F "); tag P marks a part of
	// a line the runtime split, joined to the next parts of the same
	// stream up to the F part.
	LogCRI
	// LogJournal is journalctl's short output ("Dec 06 07:00:00 host
	// app[123]: "), also with -o short-iso or short-precise times.
	LogJournal
)

// String names the log format for people.
func (l LogFormat) String() string {
	switch l {
	case LogTimestamp:
		return "timestamped log (kubectl logs --timestamps, docker logs -t)"
	case LogCRI:
		return "CRI container log"
	case LogJournal:
		return "journald log"
	}
	return ""
}

// sniffLog tells the log format of an input from its first lines: the
// first line (after blank lines and journalctl's "-- …" notes) must carry
// a known prefix, and three in four of the lines read so far the same
// one. A dump's own lines never do, so a plain dump costs one look at
// its first line.
func sniffLog(head []byte) LogFormat {
	kind := LogNone
	lines, matched := 0, 0
	for len(head) > 0 && lines < 16 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 || bytes.HasPrefix(line, []byte("-- ")) {
			continue
		}
		if kind == LogNone {
			if kind = logKind(line); kind == LogNone {
				return LogNone
			}
		}
		lines++
		if n, _, _ := kind.prefix(line); n > 0 {
			matched++
		}
	}
	if kind == LogNone || 4*matched < 3*lines {
		return LogNone
	}
	return kind
}

// logKind returns the format whose prefix line starts with.
func logKind(line []byte) LogFormat {
	for _, k := range []LogFormat{LogCRI, LogTimestamp, LogJournal} {
		if n, _, _ := k.prefix(line); n > 0 {
			return k
		}
	}
	return LogNone
}

// prefix returns the length of the format's prefix at the start of line
// (0 if it has none), and for a CRI log the stream (0 stdout, 1 stderr)
// and whether the line is a part of a longer one.
func (l LogFormat) prefix(line []byte) (n, stream int, partial bool) {
	switch l {
	case LogTimestamp:
		t := timeLen(line, false)
		switch {
		case t == 0:
			return 0, 0, false
		case t == len(line):
			return t, 0, false // an empty line
		case line[t] == ' ':
			return t + 1, 0, false
		}
	case LogCRI:
		t := timeLen(line, false)
		if t == 0 || len(line) < t+9 || line[t] != ' ' {
			return 0, 0, false
		}
		rest := line[t+1:]
		switch {
		case bytes.HasPrefix(rest, []byte("stdout ")):
		case bytes.HasPrefix(rest, []byte("stderr ")):
			stream = 1
		default:
			return 0, 0, false
		}
		tag := rest[7]
		if tag != 'F' && tag != 'P' || len(rest) > 8 && rest[8] != ' ' {
			return 0, 0, false
		}
		return min(t+1+9, len(line)), stream, tag == 'P'
	case LogJournal:
		return journalPrefix(line), 0, false
	}
	return 0, 0, false
}

// timeLen returns the length of an RFC 3339 time at the start of b
// ("2026-12-06T07:00:00Z", "2026-12-06T07:00:00.123+01:00"), 0 if none;
// with compact, the offset may also be "+0100" (journalctl -o short-iso).
func timeLen(b []byte, compact bool) int {
	const date = "0000-00-00T00:00:00"
	if len(b) < len(date)+1 {
		return 0
	}
	for i := 0; i < len(date); i++ {
		if date[i] == '0' {
			if b[i] < '0' || b[i] > '9' {
				return 0
			}
		} else if b[i] != date[i] {
			return 0
		}
	}
	i := len(date)
	if b[i] == '.' || b[i] == ',' {
		j := i + 1
		for j < len(b) && j-i <= 9 && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i+1 {
			return 0
		}
		i = j
	}
	switch {
	case i < len(b) && b[i] == 'Z':
		return i + 1
	case i+6 <= len(b) && (b[i] == '+' || b[i] == '-') && isDigits(b[i+1:i+3]) && b[i+3] == ':' && isDigits(b[i+4:i+6]):
		return i + 6
	case compact && i+5 <= len(b) && (b[i] == '+' || b[i] == '-') && isDigits(b[i+1:i+5]):
		return i + 5
	}
	return 0
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// journalPrefix returns the length of journalctl's prefix at the start
// of line: a time ("Dec 06 07:00:00", with ".123456" for short-precise,
// or short-iso's "2026-12-06T07:00:00+0000"), the host, and the
// identifier with its process ID ("app[123]:"), each followed by a space
// (the identifier's colon ends an empty message's line); 0 if none.
func journalPrefix(line []byte) int {
	i := timeLen(line, true)
	if i == 0 {
		i = syslogTimeLen(line)
	}
	if i == 0 || i >= len(line) || line[i] != ' ' {
		return 0
	}
	host := i + 1
	sp := bytes.IndexByte(line[host:], ' ')
	if sp <= 0 {
		return 0
	}
	ident := host + sp + 1
	colon := bytes.Index(line[ident:], []byte(":"))
	if colon <= 0 || colon > 256 || bytes.IndexByte(line[ident:ident+colon], ' ') >= 0 {
		return 0
	}
	end := ident + colon + 1
	switch {
	case end == len(line):
		return end
	case line[end] == ' ':
		return end + 1
	}
	return 0
}

// syslogTimeLen returns the length of "Dec 06 07:00:00" (or "Dec  6",
// with ".123456") at the start of b; 0 if none.
func syslogTimeLen(b []byte) int {
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	if len(b) < 15 || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return 0
	}
	m := bytes.Index([]byte(months), b[:3])
	if m < 0 || m%3 != 0 {
		return 0
	}
	if !(b[4] == ' ' || b[4] >= '0' && b[4] <= '3') || !isDigits(b[5:6]) || !isDigits(b[7:9]) || !isDigits(b[10:12]) || !isDigits(b[13:15]) {
		return 0
	}
	i := 15
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		i = j
	}
	return i
}

// logReader strips a log format's prefix from every line that carries
// it and passes other lines through; for a CRI log it joins the parts of
// a split line.
type logReader struct {
	br      *bufio.Reader
	kind    LogFormat
	out     []byte // stripped text not yet read
	off     int
	partial [2][]byte // CRI: the parts of a line read so far, per stream
	mid     bool      // the line being read is longer than br's buffer
	err     error
}

func newLogReader(r io.Reader, kind LogFormat) *logReader {
	return &logReader{br: bufio.NewReaderSize(r, 64<<10), kind: kind}
}

// Read implements io.Reader.
func (l *logReader) Read(p []byte) (int, error) {
	for l.off == len(l.out) {
		if l.err != nil {
			return 0, l.err
		}
		l.out, l.off = l.out[:0], 0
		l.fill()
	}
	n := copy(p, l.out[l.off:])
	l.off += n
	return n, nil
}

// fill strips lines into out until it holds 32 KiB or the input ends.
func (l *logReader) fill() {
	for len(l.out) < 32<<10 && l.err == nil {
		line, err := l.br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			if !l.mid {
				line = line[l.strip(line):]
			}
			l.mid = true
			l.out = append(l.out, line...)
			continue
		case err != nil:
			l.err = err
			if len(line) == 0 {
				l.flush()
				return
			}
		}
		if l.mid {
			l.mid = false
			l.out = append(l.out, line...)
			continue
		}
		l.line(line)
		if err != nil {
			l.flush()
		}
	}
}

// strip returns the length of the prefix of a line that is not handled
// as a CRI part.
func (l *logReader) strip(line []byte) int {
	n, _, _ := l.kind.prefix(bytes.TrimRight(line, "\r\n"))
	return n
}

// line handles one whole line, with its newline if it had one.
func (l *logReader) line(line []byte) {
	body := bytes.TrimRight(line, "\r\n")
	n, stream, partial := l.kind.prefix(body)
	if n == 0 {
		l.out = append(l.out, line...)
		return
	}
	if l.kind != LogCRI {
		l.out = append(l.out, body[n:]...)
		l.out = append(l.out, '\n')
		return
	}
	if partial && len(l.partial[stream])+len(body)-n <= maxLine {
		l.partial[stream] = append(l.partial[stream], body[n:]...)
		return
	}
	l.out = append(l.out, l.partial[stream]...)
	l.out = append(l.out, body[n:]...)
	l.out = append(l.out, '\n')
	l.partial[stream] = l.partial[stream][:0]
}

// flush hands out the parts of split lines the log ended in.
func (l *logReader) flush() {
	for i := range l.partial {
		if len(l.partial[i]) > 0 {
			l.out = append(l.out, l.partial[i]...)
			l.out = append(l.out, '\n')
			l.partial[i] = l.partial[i][:0]
		}
	}
}
