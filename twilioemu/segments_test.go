package twilioemu

import (
	"strings"
	"testing"
)

func TestCountSegments(t *testing.T) {
	cases := []struct {
		name string
		body string
		want int
	}{
		{"media only", "", 1},
		{"gsm single", strings.Repeat("a", 160), 1},
		{"gsm two", strings.Repeat("a", 161), 2},
		{"gsm two full", strings.Repeat("a", 306), 2},
		{"gsm three", strings.Repeat("a", 307), 3},
		{"gsm accents stay 7-bit", strings.Repeat("é", 160), 1},
		{"extension counts double", strings.Repeat("€", 80), 1},
		{"extension over", strings.Repeat("€", 81), 2},
		{"extension not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), 2},
		{"ucs2 single", strings.Repeat("ж", 70), 1},
		{"ucs2 two", strings.Repeat("ж", 71), 2},
		{"ucs2 three", strings.Repeat("ж", 135), 3},
		{"one emoji forces ucs2", strings.Repeat("a", 69) + "🙂", 2},
		{"surrogates not split", strings.Repeat("a", 66) + "🙂" + strings.Repeat("a", 10), 2},
		{"surrogate pushed to next part", strings.Repeat("ж", 66) + "🙂" + strings.Repeat("ж", 10), 2},
	}
	for _, c := range cases {
		if got := countSegments(c.body); got != c.want {
			t.Errorf("%s: countSegments = %d, want %d", c.name, got, c.want)
		}
	}
}
