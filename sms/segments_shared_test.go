package sms

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// sharedSegmentCases is testdata/segments.json: the one table of encoding and segment
// cases that the console's compose counter (web/test/sms.test.ts) is also tested
// against, so both count the same way.
type sharedSegmentCases struct {
	Cases []struct {
		Name     string  `json:"name"`
		Text     [][]any `json:"text"` // [piece, count] pairs, concatenated
		Encoding string  `json:"encoding"`
		Segments int     `json:"segments"`
	} `json:"cases"`
}

func TestSegmentsSharedWithConsole(t *testing.T) {
	b, err := os.ReadFile("testdata/segments.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc sharedSegmentCases
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) < 20 {
		t.Fatalf("only %d cases", len(doc.Cases))
	}
	for _, c := range doc.Cases {
		var sb strings.Builder
		for _, p := range c.Text {
			sb.WriteString(strings.Repeat(p[0].(string), int(p[1].(float64))))
		}
		enc, n := Segments(sb.String())
		if enc != c.Encoding || n != c.Segments {
			t.Errorf("%s: Segments = %s/%d; testdata/segments.json says %s/%d", c.Name, enc, n, c.Encoding, c.Segments)
		}
	}
}
