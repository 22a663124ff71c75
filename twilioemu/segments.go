package twilioemu

import "github.com/textdesk/textdesk/sms"

// countSegments is the num_segments Twilio reports for body: the product's own
// counter (sms.Segments), with a media-only message counted as one segment.
func countSegments(body string) int {
	_, n := sms.Segments(body)
	return max(n, 1)
}
