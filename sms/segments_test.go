package sms

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestSegments(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		encoding string
		segments int
	}{
		{"empty", "", GSM7, 0},
		{"plain", "Hi, is my order ready?", GSM7, 1},
		{"gsm accents and greek", "Café à Zürich? ΔΦΓ ¿Qué tal? Ñoño £5 ¥3 §2 ¤", GSM7, 1},
		{"newlines", "line 1\nline 2\r\nline 3", GSM7, 1},
		{"gsm 160", strings.Repeat("a", 160), GSM7, 1},
		{"gsm 161", strings.Repeat("a", 161), GSM7, 2},
		{"gsm 306", strings.Repeat("a", 306), GSM7, 2},
		{"gsm 307", strings.Repeat("a", 307), GSM7, 3},
		{"gsm 1530", strings.Repeat("a", 1530), GSM7, 10},
		{"extension chars count double", "{[~^|\\]}€", GSM7, 1},
		{"80 euro signs fill one segment", strings.Repeat("€", 80), GSM7, 1},
		{"81 euro signs need two", strings.Repeat("€", 81), GSM7, 2},
		{"159 plus one extension is 161 septets", strings.Repeat("a", 159) + "€", GSM7, 2},
		{"158 plus one extension is 160 septets", strings.Repeat("a", 158) + "€", GSM7, 1},
		{"escape not split across parts", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 8), GSM7, 2},
		{"escape moves to third part", strings.Repeat("a", 305) + "{", GSM7, 3},
		{"form feed is an extension", "a\fb", GSM7, 1},
		{"lowercase c-cedilla is not GSM", "Garçon", UCS2, 1},
		{"acute u is not GSM (grave u is)", "menú", UCS2, 1},
		{"grave u is GSM", "où", GSM7, 1},
		{"curly quote forces UCS-2", "It’s ready", UCS2, 1},
		{"ucs2 70", strings.Repeat("ж", 70), UCS2, 1},
		{"ucs2 71", strings.Repeat("ж", 71), UCS2, 2},
		{"ucs2 134", strings.Repeat("ж", 134), UCS2, 2},
		{"ucs2 135", strings.Repeat("ж", 135), UCS2, 3},
		{"chinese", "您好，您的订单已准备好", UCS2, 1},
		{"one emoji", "Hi 👋", UCS2, 1},
		{"35 emoji are 70 units", strings.Repeat("😀", 35), UCS2, 1},
		{"36 emoji are 72 units", strings.Repeat("😀", 36), UCS2, 2},
		{"emoji pushes GSM text to UCS-2", strings.Repeat("a", 69) + "🙂", UCS2, 2},
		{"BMP symbol counts one", strings.Repeat("a", 69) + "☕", UCS2, 1},
		{"surrogate pair not split", strings.Repeat("a", 66) + "🙂" + strings.Repeat("a", 10), UCS2, 2},
		{"surrogate moves to third part", strings.Repeat("ж", 133) + "🙂", UCS2, 3},
		{"mixed GSM extension and emoji", "Price: 5€ 🎉 {promo}", UCS2, 1},
		{"invalid UTF-8 is U+FFFD", "ok\xff", UCS2, 1},
	}
	for _, c := range cases {
		enc, n := Segments(c.body)
		if enc != c.encoding || n != c.segments {
			t.Errorf("%s: Segments = %s/%d; want %s/%d", c.name, enc, n, c.encoding, c.segments)
		}
	}
}

// FuzzSegments checks Segments against the definition: the encoding is GSM-7 exactly
// when every character is in the GSM alphabet, and the count agrees with a plain
// reimplementation over the character costs. Seeds: testdata/fuzz/FuzzSegments.
func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("€", 81), strings.Repeat("😀", 36), "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		enc, n := Segments(body)
		if body == "" {
			if n != 0 {
				t.Fatalf("empty body: %d segments", n)
			}
			return
		}
		allGSM := true
		for _, r := range body {
			if !strings.ContainsRune(gsmBasic, r) && !strings.ContainsRune(gsmExtension, r) {
				allGSM = false
			}
		}
		var costs []int
		single, part := ucs2Single, ucs2Part
		if allGSM {
			single, part = gsmSingle, gsmPart
			for _, r := range body {
				if strings.ContainsRune(gsmExtension, r) {
					costs = append(costs, 2)
				} else {
					costs = append(costs, 1)
				}
			}
		} else {
			for _, r := range body {
				costs = append(costs, len(utf16.Encode([]rune{r})))
			}
		}
		if (enc == GSM7) != allGSM {
			t.Fatalf("%q: encoding %s, all GSM %v", body, enc, allGSM)
		}
		total := 0
		for _, c := range costs {
			total += c
		}
		want := 1
		if total > single {
			used := 0
			for _, c := range costs {
				if used+c > part {
					want++
					used = 0
				}
				used += c
			}
			// Greedy packing is within one character per part of the ideal.
			if lo, hi := ceilDiv(total, part), ceilDiv(total, part-1); want < lo || want > hi {
				t.Fatalf("%q: reference %d outside [%d, %d]", body, want, lo, hi)
			}
		}
		if n != want {
			t.Fatalf("%q: %d segments; want %d (%d units)", body, n, want, total)
		}
		// Appending a GSM character keeps the encoding and never lowers the count.
		if moreEnc, more := Segments(body + "a"); more < n || moreEnc != enc {
			t.Fatalf("%q + a: %s/%d after %s/%d", body, moreEnc, more, enc, n)
		}
		if !utf8.ValidString(body) && enc != UCS2 {
			t.Fatalf("invalid UTF-8 %q encoded as %s", body, enc)
		}
	})
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
