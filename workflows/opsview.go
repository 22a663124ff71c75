package workflows

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/textdesk/textdesk/conversation"
)

// What ops read about a conversation in Temporal Web (docs/ops.md): a summary and
// details fixed at start, current details the workflow keeps up to date, and a summary
// on every timer and Twilio send. They hold ids, statuses, times and team names only:
// never a phone number, a contact's name or a message's text.

// Started says how a conversation's workflow run started.
type Started string

const (
	StartedInbound   Started = "inbound text"       // the customer texted the team
	StartedAgentText Started = "agent-started text" // an agent texted the contact first (also how a chat handoff starts)
	StartedScheduled Started = "scheduled message"  // a message was scheduled for a contact with no open conversation
	StartedReopened  Started = "reopened"           // an agent unarchived a closed conversation
)

// StartMetadata is the static summary and details (markdown) of a conversation run:
// the team it opened in, how it started and, for runs an agent started, who.
func StartMetadata(teamName, teamID, conversationID string, how Started, byUserID string) (summary, details string) {
	team := plainText(teamName, 80)
	if team == "" {
		team = teamID
	}
	summary = fmt.Sprintf("%s · %s", team, how)
	var b strings.Builder
	fmt.Fprintf(&b, "**Team:** %s (`%s`)  \n", team, teamID)
	fmt.Fprintf(&b, "**Started by:** %s", how)
	if byUserID != "" {
		fmt.Fprintf(&b, " (user `%s`)", byUserID)
	}
	fmt.Fprintf(&b, "  \n**Conversation:** `%s`", conversationID)
	return summary, b.String()
}

// deadlineSummary says what the deadline dl of st is (the earliest of them, as
// conversation.State.NextDeadline picks it): the timer's summary and the current
// details' "next deadline".
func deadlineSummary(st conversation.State, dl time.Time) string {
	switch {
	case dl.IsZero():
		return ""
	case st.Offer != nil && st.Offer.ExpiresAt.Equal(dl):
		if st.Offer.Kind == conversation.OfferRoute {
			return "offer to " + st.Offer.UserID + " expires"
		}
		return fmt.Sprintf("%s offer to %s expires", st.Offer.Kind, st.Offer.UserID)
	case st.Status == conversation.StatusWrapUp && st.WrapUpDeadline.Equal(dl):
		return "wrap-up deadline"
	case len(st.Scheduled) > 0 && st.Scheduled[0].SendAt.Equal(dl):
		return "scheduled message " + st.Scheduled[0].ID
	case st.InactiveAt().Equal(dl):
		return "inactivity close"
	}
	return "deadline"
}

// currentDetails is the markdown Temporal Web shows as the run's current details;
// continuedFrom, when set, is the static summary of the run this one continued.
func currentDetails(st conversation.State, continuedFrom string) string {
	var b strings.Builder
	if continuedFrom != "" {
		fmt.Fprintf(&b, "**Started as:** %s (this run continued an earlier one)  \n", continuedFrom)
	}
	fmt.Fprintf(&b, "**Status:** %s", st.Status)
	if st.Closed() && st.CloseReason != "" {
		fmt.Fprintf(&b, " (%s)", st.CloseReason)
	} else if st.NextAction != "" && st.NextAction != conversation.ActorNone {
		fmt.Fprintf(&b, " · waiting for the %s", st.NextAction)
	}
	fmt.Fprintf(&b, "  \n**Team:** `%s`", st.TeamID)
	b.WriteString("  \n**Assignees:** ")
	if len(st.Assignees) == 0 {
		b.WriteString("none")
	}
	for i, id := range st.Assignees {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`%s`", id)
		if i == 0 {
			b.WriteString(" (owner)")
		}
	}
	if o := st.Offer; o != nil {
		fmt.Fprintf(&b, "  \n**Offer:** %s to `%s` since %s", o.Kind, o.UserID, stamp(o.OfferedAt))
	}
	if n := len(st.Scheduled); n > 0 {
		fmt.Fprintf(&b, "  \n**Scheduled messages:** %d pending", n)
	}
	if dl := st.NextDeadline(); !dl.IsZero() {
		fmt.Fprintf(&b, "  \n**Next deadline:** %s, %s", stamp(dl), deadlineSummary(st, dl))
	}
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// plainText makes an admin-entered name safe for one markdown line: no line breaks or
// markdown punctuation, at most limit characters.
func plainText(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune("*_`[]<>#|\\", r) {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit-1]) + "…"
	}
	return s
}
