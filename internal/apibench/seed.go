package apibench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/textdesk/textdesk/store"
)

// Data shape. The team under test ("Support") holds Config.Conversations; the other
// teams hold Config.OtherConversations each, so that every list has conversations of
// other teams to skip. The status mix is that of a contact center whose history is
// mostly closed: a queue of new and missed conversations, a few thousand in progress
// (most of them waiting for the customer, which stay open until the inactivity
// timeout), the rest closed over the past year.
var statusMix = []struct {
	status   string
	perMille int
}{
	{"new", 10},
	{"missed", 30},
	{"active", 80},
	{"wrap_up", 10},
	// closed: the rest
}

const (
	supportAgents  = 100 // generic agents of the team under test
	otherAgents    = 20  // per other team
	heavyContacts  = 20  // contacts with many (closed) conversations in the team under test
	heavyEach      = 40  // closed conversations each of them has there
	restrictedPerK = 10  // conversations per thousand restricted with visible_to (if the column exists)
)

// dataset is what the seeding made and what the requests are built from.
type dataset struct {
	supportID, billingID string
	teams                []teamInfo
	agentToken           string // member of Support and Billing, ~1% of their in-progress conversations
	lightToken           string // member of Support, owns 3 conversations in progress
	adminToken           string // admin, member of Support
	agentMine            int    // in-progress conversations the agent is on
	contacts             []contactRow
	visible              []int // indexes of contacts with a conversation in Support or Billing
	heavy                []int // indexes of the heavy contacts
	statusCounts         map[string]int
	total                int
	restricted           int
}

type teamInfo struct {
	id, name, number string
	conversations    int
	agents           []uuid.UUID
}

type contactRow struct {
	id                uuid.UUID
	phone, name, ref  string
	createdAt         time.Time
	national, country string // how an agent would type the number: "(415) 555-0142"
}

var (
	firstNames = strings.Fields(`James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
		Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra
		Mark Ashley Maria Jose Juan Carmen Luis Ana Carlos Sofia Wei Mei Jun Hana Minh Linh Anh Priya Rahul Aisha Omar
		Fatima Olga Ivan Giulia Marco Lena Jonas Chloe Lucas Emma Noah Olivia Liam Ava Ethan Mia Zoe`)
	lastNames = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
		Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez
		Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
		Campbell Mitchell Carter Roberts Kim Park Chen Wang Patel Singh Khan Ali Muller Schmidt Rossi Dubois Kowalski
		Ivanova Okafor Mensah Tanaka Sato`)
	areaCodes = []string{"212", "213", "206", "305", "312", "404", "415", "469", "503", "512", "602", "617",
		"646", "702", "713", "720", "786", "808", "818", "917"}
)

// seeder fills an empty, migrated database.
type seeder struct {
	pool *pgxpool.Pool
	st   *store.Store
	rng  *rand.Rand
	cfg  Config
	now  time.Time
	logf func(string, ...any)

	benchAgent, lightAgent uuid.UUID
}

func (s *seeder) uuid() uuid.UUID {
	var u uuid.UUID
	a, b := s.rng.Uint64(), s.rng.Uint64()
	for i := range 8 {
		u[i], u[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

// between returns a random instant in [from, to).
func (s *seeder) between(from, to time.Time) time.Time {
	d := to.Sub(from)
	if d <= 0 {
		return from
	}
	return from.Add(time.Duration(s.rng.Int64N(int64(d)))).Truncate(time.Microsecond)
}

func (s *seeder) seed(ctx context.Context) (*dataset, error) {
	d := &dataset{statusCounts: map[string]int{}}
	if err := s.seedTeams(ctx, d); err != nil {
		return nil, err
	}
	if err := s.seedUsers(ctx, d); err != nil {
		return nil, err
	}
	if err := s.seedContacts(ctx, d); err != nil {
		return nil, err
	}
	if err := s.seedConversations(ctx, d); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return d, nil
}

func (s *seeder) seedTeams(ctx context.Context, d *dataset) error {
	names := []string{"Support", "Billing", "Sales", "Returns", "VIP"}
	for i := 0; i <= s.cfg.OtherTeams; i++ {
		name := fmt.Sprintf("Team %d", i)
		if i < len(names) {
			name = names[i]
		}
		n := s.cfg.OtherConversations
		if i == 0 {
			n = s.cfg.Conversations
		}
		number := fmt.Sprintf("+1500555%04d", 10+i)
		t, err := s.st.CreateTeam(ctx, name, true, "", []string{number})
		if err != nil {
			return fmt.Errorf("create team %s: %w", name, err)
		}
		d.teams = append(d.teams, teamInfo{id: t.ID, name: name, number: number, conversations: n})
	}
	d.supportID = d.teams[0].id
	if len(d.teams) > 1 {
		d.billingID = d.teams[1].id
	}
	return nil
}

// seedUsers copies the teams' agents in bulk and creates the three users the requests
// are made as through the store, as `textdesk create-admin` and the admin API do.
func (s *seeder) seedUsers(ctx context.Context, d *dataset) error {
	var users, members [][]any
	for ti := range d.teams {
		n := otherAgents
		if ti == 0 {
			n = supportAgents
		}
		for i := range n {
			id := s.uuid()
			name := firstNames[s.rng.IntN(len(firstNames))] + " " + lastNames[s.rng.IntN(len(lastNames))]
			users = append(users, []any{id, name, fmt.Sprintf("agent%d.%d@bench.example", ti, i), store.RoleAgent})
			members = append(members, []any{uuid.MustParse(d.teams[ti].id), id})
			d.teams[ti].agents = append(d.teams[ti].agents, id)
		}
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id", "name", "email", "role"}, pgx.CopyFromRows(users)); err != nil {
		return fmt.Errorf("copy users: %w", err)
	}
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"team_members"}, []string{"team_id", "user_id"}, pgx.CopyFromRows(members)); err != nil {
		return fmt.Errorf("copy team members: %w", err)
	}

	mk := func(name, email, role string, teams ...string) (uuid.UUID, string, error) {
		u, err := s.st.UpsertUser(ctx, name, email, role)
		if err != nil {
			return uuid.Nil, "", err
		}
		for _, t := range teams {
			if t == "" {
				continue
			}
			if err := s.st.AddTeamMember(ctx, t, u.ID); err != nil {
				return uuid.Nil, "", err
			}
		}
		token := store.NewToken()
		if err := s.st.AddToken(ctx, u.ID, token, "apibench"); err != nil {
			return uuid.Nil, "", err
		}
		return uuid.MustParse(u.ID), token, nil
	}
	agent, agentToken, err := mk("Bench Agent", "agent@bench.example", store.RoleAgent, d.supportID, d.billingID)
	if err != nil {
		return fmt.Errorf("create bench agent: %w", err)
	}
	light, lightToken, err := mk("Bench Light", "light@bench.example", store.RoleAgent, d.supportID)
	if err != nil {
		return fmt.Errorf("create bench agent: %w", err)
	}
	_, adminToken, err := mk("Bench Admin", "admin@bench.example", store.RoleAdmin, d.supportID)
	if err != nil {
		return fmt.Errorf("create bench admin: %w", err)
	}
	d.agentToken, d.lightToken, d.adminToken = agentToken, lightToken, adminToken
	// The bench agent takes conversations like any other agent of its teams; the light
	// one is given exactly three (see seedConversations), so it is kept out of the draw.
	d.teams[0].agents = append(d.teams[0].agents, agent)
	if len(d.teams) > 1 {
		d.teams[1].agents = append(d.teams[1].agents, agent)
	}
	s.benchAgent, s.lightAgent = agent, light
	return nil
}

func (s *seeder) seedContacts(ctx context.Context, d *dataset) error {
	seen := make(map[string]bool, s.cfg.Contacts)
	rows := make([][]any, 0, s.cfg.Contacts)
	d.contacts = make([]contactRow, 0, s.cfg.Contacts)
	for i := 0; len(d.contacts) < s.cfg.Contacts; i++ {
		c := contactRow{id: s.uuid(), createdAt: s.between(s.now.AddDate(-2, 0, 0), s.now.AddDate(0, 0, -1))}
		switch r := s.rng.IntN(100); {
		case r < 90: // US
			ac := areaCodes[s.rng.IntN(len(areaCodes))]
			exch := 200 + s.rng.IntN(800)
			line := s.rng.IntN(10000)
			c.phone = fmt.Sprintf("+1%s%03d%04d", ac, exch, line)
			c.national, c.country = fmt.Sprintf("(%s) %03d-%04d", ac, exch, line), "US"
		case r < 95: // UK mobile
			c.phone = fmt.Sprintf("+447%09d", s.rng.IntN(1e9))
		case r < 98: // Mexico
			c.phone = fmt.Sprintf("+52%010d", 1e9+s.rng.IntN(9e9))
		default: // Germany
			c.phone = fmt.Sprintf("+4915%09d", s.rng.IntN(1e9))
		}
		if seen[c.phone] {
			continue
		}
		seen[c.phone] = true
		if s.rng.IntN(100) >= 12 { // 12% never gave a name
			c.name = firstNames[s.rng.IntN(len(firstNames))] + " " + lastNames[s.rng.IntN(len(lastNames))]
		}
		if s.rng.IntN(100) < 55 { // 55% are linked to the CRM
			c.ref = fmt.Sprintf("CRM-%07d", 1000000+i)
		}
		d.contacts = append(d.contacts, c)
		rows = append(rows, []any{c.id, c.phone, c.name, c.ref, c.createdAt, c.createdAt})
	}
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"contacts"}, []string{"id", "phone", "name", "ref", "created_at", "updated_at"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy contacts: %w", err)
	}
	s.logf("seeded %d contacts", n)
	return nil
}

// conversationRow is one conversations row as copied.
type conversationRow struct {
	id, team, contact          uuid.UUID
	number, status, nextAction string
	nextActionSince, openedAt  time.Time
	lastMessageAt, closedAt    *time.Time
	deletedAt                  *time.Time
	closeReason, wrapUpReason  *string
	visibleTo                  []uuid.UUID
	owner, member, offered     uuid.UUID
	offeredAt                  time.Time
	contactIndex               int
	inProgress                 bool
}

func (s *seeder) seedConversations(ctx context.Context, d *dataset) error {
	hasVisibleTo, err := s.hasColumn(ctx, "conversations", "visible_to")
	if err != nil {
		return err
	}
	cols := []string{"id", "team_id", "contact_id", "team_number", "status", "next_action", "next_action_since",
		"last_message_at", "opened_at", "closed_at", "close_reason", "wrap_up_reason", "deleted_at", "version", "updated_at"}
	if hasVisibleTo {
		cols = append(cols, "visible_to")
	}
	visible := make([]bool, len(d.contacts))
	var rows, assignees [][]any
	var lightGiven int
	for ti, team := range d.teams {
		convs := s.teamConversations(team, len(d.contacts), ti == 0, d)
		for i := range convs {
			c := &convs[i]
			if ti == 0 && c.inProgress && c.status == "active" && lightGiven < 3 && s.rng.IntN(100) == 0 {
				c.owner, c.member = s.lightAgent, uuid.Nil
				lightGiven++
			}
			if hasVisibleTo && s.rng.IntN(1000) < restrictedPerK {
				// A restricted conversation: its owner (or, closed, an agent of the team) only.
				who := c.owner
				if who == uuid.Nil {
					who = team.agents[s.rng.IntN(len(team.agents))]
				}
				c.visibleTo = []uuid.UUID{who}
				d.restricted++
			}
			if c.owner == s.benchAgent || c.member == s.benchAgent {
				d.agentMine++
			}
			if ti <= 1 && c.deletedAt == nil {
				visible[c.contactIndex] = true
			}
			if ti == 0 {
				d.statusCounts[c.status]++
				if c.deletedAt != nil {
					d.statusCounts["deleted"]++
				}
			}
			row := []any{c.id, c.team, c.contact, c.number, c.status, c.nextAction, c.nextActionSince,
				c.lastMessageAt, c.openedAt, c.closedAt, c.closeReason, c.wrapUpReason, c.deletedAt, int64(1), c.nextActionSince}
			if hasVisibleTo {
				vt := c.visibleTo
				if vt == nil {
					vt = []uuid.UUID{}
				}
				row = append(row, vt)
			}
			rows = append(rows, row)
			if c.owner != uuid.Nil {
				assignees = append(assignees, []any{c.id, c.owner, "owner", nil, nil, nil, nil, c.openedAt})
			}
			if c.member != uuid.Nil && c.member != c.owner {
				assignees = append(assignees, []any{c.id, c.member, "member", nil, nil, nil, nil, c.nextActionSince})
			}
			if c.offered != uuid.Nil {
				assignees = append(assignees, []any{c.id, c.offered, "offered", "route", nil, c.offeredAt, c.offeredAt.Add(30 * time.Second), c.offeredAt})
			}
		}
		d.total += len(convs)
	}
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"conversations"}, cols, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy conversations: %w", err)
	}
	s.logf("seeded %d conversations", n)
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"conversation_assignees"},
		[]string{"conversation_id", "user_id", "role", "offer_kind", "offered_by", "offered_at", "expires_at", "created_at"},
		pgx.CopyFromRows(assignees)); err != nil {
		return fmt.Errorf("copy conversation assignees: %w", err)
	}
	s.logf("seeded %d assignee rows", len(assignees))
	for i, v := range visible {
		if v {
			d.visible = append(d.visible, i)
		}
	}
	return nil
}

// teamConversations makes a team's conversations. The open ones get distinct contacts
// (one open conversation per team and contact); the closed ones reuse contacts, and in
// the team under test a few contacts have heavyEach closed conversations each.
func (s *seeder) teamConversations(team teamInfo, nContacts int, underTest bool, d *dataset) []conversationRow {
	n := team.conversations
	counts := map[string]int{}
	open := 0
	for _, m := range statusMix {
		counts[m.status] = n * m.perMille / 1000
		open += counts[m.status]
	}
	open = min(open, nContacts)
	perm := s.rng.Perm(nContacts)
	teamID := uuid.MustParse(team.id)
	statusAt := func(k int) string {
		for _, m := range statusMix {
			if k < counts[m.status] {
				return m.status
			}
			k -= counts[m.status]
		}
		return "closed"
	}
	heavyStart := open
	if underTest {
		for j := range heavyContacts {
			d.heavy = append(d.heavy, perm[open+j])
		}
	}
	out := make([]conversationRow, 0, n)
	for k := range n {
		ci := perm[k%nContacts]
		if underTest && k >= heavyStart && k < heavyStart+heavyContacts*heavyEach {
			ci = perm[open+(k-heavyStart)%heavyContacts]
		}
		c := conversationRow{id: s.uuid(), team: teamID, contact: d.contacts[ci].id, contactIndex: ci, number: team.number}
		c.status = statusAt(k)
		if k >= open {
			c.status = "closed"
		}
		agent := func() uuid.UUID { return team.agents[s.rng.IntN(len(team.agents))] }
		switch c.status {
		case "new":
			c.openedAt = s.between(s.now.Add(-6*time.Hour), s.now)
			c.nextAction, c.nextActionSince = "agent", c.openedAt
			if s.rng.IntN(100) < 30 {
				c.offered = agent()
				c.offeredAt = s.between(s.now.Add(-25*time.Second), s.now)
			}
		case "missed":
			c.openedAt = s.between(s.now.Add(-72*time.Hour), s.now)
			c.nextAction, c.nextActionSince = "agent", c.openedAt
		case "active":
			c.inProgress = true
			c.openedAt = s.between(s.now.AddDate(0, 0, -10), s.now.Add(-time.Minute))
			c.nextActionSince = s.between(c.openedAt, s.now)
			c.nextAction = "customer"
			if s.rng.IntN(100) < 25 {
				c.nextAction = "agent"
			}
			c.owner = agent()
			if s.rng.IntN(100) < 5 {
				c.member = agent()
			}
		case "wrap_up":
			c.inProgress = true
			c.openedAt = s.between(s.now.AddDate(0, 0, -2), s.now.Add(-10*time.Minute))
			c.nextAction, c.nextActionSince = "none", s.between(s.now.Add(-10*time.Minute), s.now)
			c.owner = agent()
		default:
			c.openedAt = s.between(s.now.AddDate(-1, 0, 0), s.now.AddDate(0, 0, -2))
			closed := c.openedAt.Add(time.Duration(5+s.rng.IntN(3*24*60)) * time.Minute)
			reason := "wrapped_up"
			switch r := s.rng.IntN(1000); {
			case r < 300:
				reason = "inactive"
			case r < 395:
				reason = "archived"
			case r < 400:
				reason = "deleted"
				c.deletedAt = &closed
			}
			c.closeReason = &reason
			if reason == "wrapped_up" {
				w := []string{"Resolved", "Order status", "Refund issued", "No reason given"}[s.rng.IntN(4)]
				c.wrapUpReason = &w
			}
			c.closedAt = &closed
			c.nextAction, c.nextActionSince = "none", closed
		}
		last := c.nextActionSince
		if c.status == "closed" {
			last = s.between(c.openedAt, *c.closedAt)
		}
		c.lastMessageAt = &last
		out = append(out, c)
	}
	return out
}

func (s *seeder) hasColumn(ctx context.Context, table, column string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2)`, table, column).Scan(&ok)
	return ok, err
}
