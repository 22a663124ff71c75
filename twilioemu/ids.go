package twilioemu

import (
	"crypto/rand"
	"encoding/hex"
)

// newSid returns prefix + 32 lowercase hex digits, the shape of Twilio SIDs.
func newSid(prefix string) string {
	var b [16]byte
	// crypto/rand.Read never returns an error (it panics on failure).
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
