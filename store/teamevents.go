package store

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/textdesk/textdesk/conversation"
)

// previousState is what SaveConversation read of the row before changing it.
type previousState struct {
	status, teamID string
	version        int64
	visibleTo      []string
	assignees      []string // sorted, offers left out
	offeredTo      string
}

// teamEvents are the team-wide events of one saved change, for the members of the
// team(s) who may see the conversation:
//   - missed: it arrived while chat was off (the missed-conversation alert);
//   - conversation_new: it arrived in New (the first snapshot, or back in New, or
//     transferred in while new);
//   - conversation_left_new: it left New (accepted, assigned, missed, closed, moved);
//   - offer_taken: to the agent whose offer someone else took;
//   - inbox_counts_changed: its status, team, assignees or visibility changed, so
//     someone's counts did.
func teamEvents(ctx context.Context, tx pgx.Tx, old previousState, st conversation.State) ([]eventRow, error) {
	const statusNew = string(conversation.StatusNew)
	first := old.version == 0 // OpenConversation's row; the workflow's first snapshot
	moved := old.teamID != st.TeamID
	isNew := st.Status == conversation.StatusNew
	arrived := isNew && (first || old.status != statusNew || moved)
	left := !first && old.status == statusNew && (!isNew || moved)
	assignees := slices.Sorted(slices.Values(st.Assignees))
	if st.Closed() {
		assignees = nil
	}
	oldVisible, newVisible := slices.Sorted(slices.Values(old.visibleTo)), slices.Sorted(slices.Values(st.VisibleTo))
	counts := first || moved || old.status != string(st.Status) ||
		!slices.Equal(old.assignees, nonNil(assignees)) || !slices.Equal(nonNil(oldVisible), nonNil(newVisible))

	var rows []eventRow
	ev := func(teamID string, kind NotifyKind, text string, data map[string]any) eventRow {
		return eventRow{teamID: teamID, conversationID: st.ID, kind: kind, text: text, data: data}
	}
	missed := st.Status == conversation.StatusMissed && old.status != string(st.Status)
	var audience []string
	if missed || arrived || counts || (left && !moved) {
		// Most saves (a reply, a timer) change none of it and skip this query.
		var err error
		if audience, err = teamAudience(ctx, tx, st.TeamID, st.VisibleTo); err != nil {
			return nil, err
		}
	}
	if missed {
		rows = append(rows, toEach(audience, ev(st.TeamID, NotifyMissed, "a conversation was missed (chat is off)", nil))...)
	}
	if arrived {
		rows = append(rows, toEach(audience, ev(st.TeamID, NotifyConversationNew, "a conversation arrived in New", nil))...)
	}
	if counts {
		// Counts events name no conversation (they coalesce per team); when the
		// visibility changed, those who stopped seeing it have new counts too.
		told := audience
		if !slices.Equal(nonNil(oldVisible), nonNil(newVisible)) && !moved {
			before, err := teamAudience(ctx, tx, st.TeamID, old.visibleTo)
			if err != nil {
				return nil, err
			}
			told = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(audience), before...))))
		}
		rows = append(rows, toEach(told, eventRow{teamID: st.TeamID, kind: NotifyInboxCounts})...)
	}
	if moved || left {
		// The old team's members hear that it left their New, and their counts changed.
		was := audience
		if moved {
			var err error
			if was, err = teamAudience(ctx, tx, old.teamID, old.visibleTo); err != nil {
				return nil, err
			}
		}
		if left {
			rows = append(rows, toEach(was, ev(old.teamID, NotifyConversationLeftNew, "a conversation left New",
				map[string]any{"status": string(st.Status)}))...)
		}
		if moved {
			rows = append(rows, toEach(was, eventRow{teamID: old.teamID, kind: NotifyInboxCounts})...)
		}
	}
	if old.offeredTo != "" && len(st.Assignees) > 0 && !slices.Contains(st.Assignees, old.offeredTo) &&
		(st.Offer == nil || st.Offer.UserID != old.offeredTo) {
		rows = append(rows, eventRow{userID: old.offeredTo, teamID: st.TeamID, conversationID: st.ID, kind: NotifyOfferTaken,
			text: "someone else took the conversation offered to you", data: map[string]any{"taken_by": st.Assignees[0]}})
	}
	return rows, nil
}
