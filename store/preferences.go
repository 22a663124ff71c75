package store

import "context"

// Preferences are a user's alert settings. Events they make alerting carry
// "alert": true (the agent_events_alert trigger decides at insert); Sound is for
// clients only.
type Preferences struct {
	MissedConversationAlerts bool `json:"missed_conversation_alerts"`
	YourConversationAlerts   bool `json:"your_conversation_alerts"`
	NewConversationAlerts    bool `json:"new_conversation_alerts"`
	Sound                    bool `json:"sound"`
}

// PreferencesPatch changes some preferences; nil fields stay.
type PreferencesPatch struct {
	MissedConversationAlerts, YourConversationAlerts, NewConversationAlerts, Sound *bool
}

// GetPreferences returns the user's preferences (every default is true).
func (s *Store) GetPreferences(ctx context.Context, userID string) (Preferences, error) {
	p := Preferences{true, true, true, true}
	err := s.pool.QueryRow(ctx, `SELECT
			coalesce((SELECT missed_conversation_alerts FROM user_preferences WHERE user_id = $1), true),
			coalesce((SELECT your_conversation_alerts FROM user_preferences WHERE user_id = $1), true),
			coalesce((SELECT new_conversation_alerts FROM user_preferences WHERE user_id = $1), true),
			coalesce((SELECT sound FROM user_preferences WHERE user_id = $1), true)`, userID).
		Scan(&p.MissedConversationAlerts, &p.YourConversationAlerts, &p.NewConversationAlerts, &p.Sound)
	return p, err
}

// SetPreferences applies p and returns the preferences afterwards.
func (s *Store) SetPreferences(ctx context.Context, userID string, p PreferencesPatch) (Preferences, error) {
	var out Preferences
	err := s.pool.QueryRow(ctx, `INSERT INTO user_preferences AS p (user_id, missed_conversation_alerts,
			your_conversation_alerts, new_conversation_alerts, sound)
		VALUES ($1, coalesce($2, true), coalesce($3, true), coalesce($4, true), coalesce($5, true))
		ON CONFLICT (user_id) DO UPDATE SET
			missed_conversation_alerts = coalesce($2, p.missed_conversation_alerts),
			your_conversation_alerts = coalesce($3, p.your_conversation_alerts),
			new_conversation_alerts = coalesce($4, p.new_conversation_alerts),
			sound = coalesce($5, p.sound), updated_at = now()
		RETURNING missed_conversation_alerts, your_conversation_alerts, new_conversation_alerts, sound`,
		userID, p.MissedConversationAlerts, p.YourConversationAlerts, p.NewConversationAlerts, p.Sound).
		Scan(&out.MissedConversationAlerts, &out.YourConversationAlerts, &out.NewConversationAlerts, &out.Sound)
	return out, err
}
