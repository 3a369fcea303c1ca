package stackparse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes text from a dump safe to show: control characters (C0, DEL,
// C1), bidirectional overrides and other invisible format characters, line
// and paragraph separators, Hangul fillers and invalid UTF-8 become
// visible escapes such as \x1b, \u2028 or \U000e0041, so no byte of a
// dump reaches a terminal as a control sequence or hides as blank text.
// Text longer than most runes is cut with "…"; most <= 0 keeps it whole.
func Clean(s string, most int) string {
	if isClean(s, most) {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		if most > 0 && n >= most {
			b.WriteString("…")
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigit[s[i]>>4])
			b.WriteByte(hexDigit[s[i]&15])
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			b.WriteString(`\x`)
			b.WriteByte(hexDigit[byte(r)>>4])
			b.WriteByte(hexDigit[byte(r)&15])
		case unsafeFormat(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
		n++
	}
	return b.String()
}

const hexDigit = "0123456789abcdef"

// isClean is the fast path of Clean: plain printable text, short enough.
func isClean(s string, most int) bool {
	if most > 0 && len(s) > most {
		if utf8.RuneCountInString(s) > most {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unsafeFormat(r) {
					return false
				}
			}
			return utf8.ValidString(s[i:])
		}
	}
	return true
}

// escapeRune writes r as Go does in a string literal: \u and four hex
// digits, or \U and eight above U+FFFF.
func escapeRune(r rune) string {
	digits, prefix := 4, `\u`
	if r > 0xffff {
		digits, prefix = 8, `\U`
	}
	b := []byte(prefix)
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b = append(b, hexDigit[(r>>shift)&15])
	}
	return string(b)
}

// unsafeFormat reports characters that can reorder, break or hide text:
// bidirectional controls and other format characters, line and paragraph
// separators (a line break to some terminals and editors), and the Hangul
// fillers, letters that show as nothing.
func unsafeFormat(r rune) bool {
	switch r {
	case 0x2028, 0x2029, 0x115f, 0x1160, 0x3164, 0xffa0:
		return true
	}
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c ||
		r != 0x200d && unicode.Is(unicode.Cf, r) && r != 0xad
}
