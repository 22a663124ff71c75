package chaos

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTableVerdicts(t *testing.T) {
	ok := Result{Scenario: Scenario{Name: "clean"}, Outcome: Outcome{Offered: 10, Stored: 10, ExpectedSends: 4, Sent: 4, Complete: true, Recovery: 1500 * time.Millisecond}}
	lost := Result{Scenario: Scenario{Name: "lossy"}, Outcome: Outcome{Offered: 10, Stored: 9, Lost: 1}}
	dup := Result{Scenario: Scenario{Name: "dup"}, Outcome: Outcome{Offered: 10, Stored: 10, SendDup: 1, Complete: true}}
	broken := Result{Scenario: Scenario{Name: "broken"}, Err: errors.New("stack did not start")}
	tb, failed := table([]Result{ok, lost, dup, broken})
	if failed != 3 {
		t.Fatalf("failed = %d, want 3", failed)
	}
	md := tb.Markdown()
	for _, want := range []string{"| clean |", "| 1.5s | ok |", "| lossy |", "| - | **FAIL** |"} {
		if !strings.Contains(md, want) {
			t.Fatalf("table lacks %q:\n%s", want, md)
		}
	}
}
