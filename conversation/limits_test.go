package conversation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/textdesk/textdesk/conversation"
)

// pending returns an active state with n pending scheduled messages of body.
func pending(n int, body string) conversation.State {
	s := life(active)()
	for i := range n {
		sc := sched(fmt.Sprintf("sc-%04d", i), t2)
		sc.Body = body
		s.Scheduled = append(s.Scheduled, sc)
	}
	return s
}

func scheduleEv(id, body string, capped bool) conversation.ScheduleRequested {
	sc := sched(id, t3)
	sc.Body = body
	return conversation.ScheduleRequested{Scheduled: sc, At: t1, Capped: capped}
}

// The caps bound the state the workflow carries: by count and by the bodies' bytes,
// each refusal (422) naming the cap. Uncapped events (runs recorded before the caps)
// keep the old limit, so their replay is unchanged.
func TestScheduledCaps(t *testing.T) {
	big := strings.Repeat("😀", conversation.MaxBodyLength) // 4000 bytes
	cases := []struct {
		name     string
		in       conversation.State
		ev       conversation.ScheduleRequested
		mentions string // "" : accepted
	}{
		{"under the count", pending(conversation.MaxScheduledCount-1, "x"), scheduleEv("new", "x", true), ""},
		{"at the count", pending(conversation.MaxScheduledCount, "x"), scheduleEv("new", "x", true), fmt.Sprint(conversation.MaxScheduledCount)},
		{"at the count, uncapped (old run)", pending(conversation.MaxScheduledCount, "x"), scheduleEv("new", "x", false), ""},
		{"bytes: one more big body fits", pending(conversation.MaxScheduledBytes/len(big)-1, big), scheduleEv("new", big, true), ""},
		{"bytes: past the total", pending(conversation.MaxScheduledBytes/len(big), big), scheduleEv("new", big, true), fmt.Sprint(conversation.MaxScheduledBytes)},
		{"bytes: past the total, uncapped (old run)", pending(conversation.MaxScheduledBytes/len(big), big), scheduleEv("new", big, false), ""},
		{"a retried id is not counted again", pending(conversation.MaxScheduledCount, "x"), scheduleEv("sc-0000", "x", true), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next, _, err := conversation.Apply(c.in, c.ev)
			if c.mentions == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if conversation.ErrorCode(err) != conversation.EUnprocessable || !strings.Contains(err.Error(), c.mentions) {
				t.Fatalf("err = %v; want unprocessable naming %s", err, c.mentions)
			}
			if len(next.Scheduled) != len(c.in.Scheduled) {
				t.Errorf("a refused schedule changed the pending list")
			}
		})
	}
}

func TestValidateTextRefusesControlCharacters(t *testing.T) {
	for _, ok := range []string{"hi", "line 1\nline 2", "a\tb", "café 😀"} {
		if err := conversation.ValidateText(ok); err != nil {
			t.Errorf("ValidateText(%q) = %v; want accepted", ok, err)
		}
	}
	for _, bad := range []string{"bell\a", "esc \x1b[31mred", "cr\r\n", "del\x7f", "c1 \u0085", "nul\x00"} {
		err := conversation.ValidateText(bad)
		if conversation.ErrorCode(err) != conversation.EInvalid {
			t.Errorf("ValidateText(%q) = %v; want invalid", bad, err)
		}
	}
}
