package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/textdesk/textdesk/conversation"
	"github.com/textdesk/textdesk/store"
)

// Concurrent reservations never over-fill an agent: 20 conversations race for one
// Available agent with capacity 3; exactly 3 get her.
func TestReserveAgentNeverOverfills(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	team, err := st.CreateTeam(ctx, "Race "+t.Name(), true, "", []string{newPhone()})
	if err != nil {
		t.Fatal(err)
	}
	agent, err := st.UpsertUser(ctx, "racer", "racer-"+team.ID+"@e2e.invalid", store.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddTeamMember(ctx, team.ID, agent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetPresence(ctx, agent.ID, store.PresenceAvailable); err != nil {
		t.Fatal(err)
	}
	var convs []string
	for range 20 {
		contact, err := st.EnsureContact(ctx, newPhone())
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := st.OpenConversation(ctx, team.ID, contact.ID, team.Numbers[0], conversation.StatusNew)
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, c.ID)
	}
	now := time.Now()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		got  int
		errs []error
	)
	for _, id := range convs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user, err := st.ReserveAgent(ctx, id, team.ID, nil, 3, now, now.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if user == agent.ID {
				got++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("reservations failed: %v", errs)
	}
	if got != 3 {
		t.Fatalf("%d conversations reserved the agent; capacity is 3", got)
	}
}
