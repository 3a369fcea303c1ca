package stackparse

import (
	"bytes"
	"strconv"
)

// header is what a goroutine header line says.
type header struct {
	id      int64
	state   []byte // as printed, with marks, without wait minutes and flags
	wait    int
	locked  bool
	leaked  bool
	labels  []byte // the text between "labels:{" and "}", nil if none
	indent  int    // bytes of white space before "goroutine"
	badTail bool   // looked like a header but did not parse
	bigID   []byte // an ID too large to read, if that was why
}

var (
	goroutinePrefix = []byte("goroutine ")
	labelsMark      = []byte(" labels:{")
	leakedMark      = []byte(" (leaked)")
	commaSpace      = []byte(", ")
	minutesSuffix   = []byte(" minutes")
	lockedFlag      = []byte("locked to thread")
)

// parseHeader reads a line such as
//
//	goroutine 7 gp=0xc000002380 m=nil [chan receive (leaked), 12 minutes, locked to thread labels:{"k": "v"}]:
//
// The line has no trailing newline. ok is false when the line is not a
// header at all.
func parseHeader(line []byte) (h header, ok bool) {
	rest := line
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	h.indent = len(line) - len(rest)
	if !bytes.HasPrefix(rest, goroutinePrefix) {
		return h, false
	}
	rest = rest[len(goroutinePrefix):]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n > 40 || n == len(rest) || rest[n] != ' ' {
		return h, false
	}
	id, err := strconv.ParseInt(string(rest[:n]), 10, 64)
	if err != nil {
		// The runtime's IDs are unsigned; none comes near 2^63.
		h.bigID = rest[:n]
		h.badTail = true
		return h, true
	}
	h.id = id
	rest = rest[n+1:]
	// Optional "gp=0x… m=N mp=0x…" (GOTRACEBACK=system and crashes).
	for len(rest) > 0 && rest[0] != '[' {
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 || !bytes.Contains(rest[:sp], []byte("=")) {
			return h, false
		}
		rest = rest[sp+1:]
	}
	if len(rest) < 3 || !bytes.HasSuffix(rest, []byte("]:")) {
		h.badTail = true
		return h, true
	}
	inner := rest[1 : len(rest)-2]
	if i := bytes.Index(inner, labelsMark); i >= 0 && inner[len(inner)-1] == '}' {
		h.labels = inner[i+len(labelsMark) : len(inner)-1]
		inner = inner[:i]
	}
	// "state[ (leaked)][ (scan)][ (durable)][, N minutes][, locked to thread][, synctest bubble N]"
	parts := inner
	first := true
	for len(parts) > 0 {
		var item []byte
		if i := bytes.Index(parts, commaSpace); i >= 0 {
			item, parts = parts[:i], parts[i+2:]
		} else {
			item, parts = parts, nil
		}
		if first {
			h.state = item
			first = false
			continue
		}
		switch {
		case bytes.Equal(item, lockedFlag):
			h.locked = true
		case bytes.HasSuffix(item, minutesSuffix):
			if m, err := strconv.Atoi(string(item[:len(item)-len(minutesSuffix)])); err == nil {
				h.wait = m
			}
		}
	}
	h.leaked = bytes.Contains(h.state, leakedMark)
	return h, true
}

// baseState drops the marks the runtime appends to a state: "(leaked)",
// "(scan)".
func baseState(state []byte) []byte {
	for _, mark := range [][]byte{leakedMark, []byte(" (scan)")} {
		if i := bytes.Index(state, mark); i >= 0 {
			state = append(state[:i:i], state[i+len(mark):]...)
		}
	}
	return state
}

// parseLabels reads `"k": "v", "k2": "v2"` as printed by the runtime's
// quoted(). A value it cannot unquote is kept as printed.
func parseLabels(text []byte) []Label {
	var out []Label
	rest := text
	for len(rest) > 0 {
		key, r, ok := quotedPrefix(rest)
		if !ok || !bytes.HasPrefix(r, []byte(": ")) {
			return append(out, Label{Key: "labels", Value: string(text)})
		}
		val, r2, ok := quotedPrefix(r[2:])
		if !ok {
			return append(out, Label{Key: key, Value: string(r[2:])})
		}
		out = append(out, Label{Key: key, Value: val})
		rest = bytes.TrimPrefix(r2, commaSpace)
	}
	return out
}

// quotedPrefix unquotes the Go string literal at the start of b.
func quotedPrefix(b []byte) (s string, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", b, false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			s, err := strconv.Unquote(string(b[:i+1]))
			if err != nil {
				return "", b, false
			}
			return s, b[i+1:], true
		}
	}
	return "", b, false
}
