package api

import "testing"

// inboundSender keeps every sender Twilio may deliver: numbers become E.164, anything
// else is kept as a sender id a contact's address may hold; only nothing is refused.
func TestInboundSender(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"+14155550123", "+14155550123"},
		{"(415) 555-0123", "+14155550123"},
		{"+15551234567", "+15551234567"}, // E.164 the metadata refuses: kept as Twilio wrote it
		{"MyBank", "MyBank"},
		{"72345", "72345"},
		{" +Bank<script>", "Bankscript"},
		{"A very long sender name that goes on and on", "A very long sender name that goe"},
	} {
		got, err := inboundSender(c.raw, "US")
		if err != nil || got != c.want {
			t.Errorf("inboundSender(%q) = %q, %v; want %q", c.raw, got, err, c.want)
		}
	}
	for _, raw := range []string{"", "  ", "+++", "<>"} {
		if got, err := inboundSender(raw, "US"); err == nil {
			t.Errorf("inboundSender(%q) = %q; want refused", raw, got)
		}
	}
}
