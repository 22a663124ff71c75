package activities

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/textdesk/textdesk/sms"
)

// sends counts what became of SendSMS attempts. Every label is bounded: outcome and
// reason are fixed words, and twilio_error_code is one of the codes textdesk knows
// (sms.Reason) or "other".
var sends = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "textdesk_sms_sends_total",
	Help: "Send attempts by outcome: sent (reason created, or reconciled: an earlier attempt's message found at Twilio), " +
		"failed (Twilio refused it for good; twilio_error_code), retried (Twilio failed for now or did not answer; retried by Temporal), " +
		"refused (not handed to Twilio; reason blocked, opted_out, not_a_phone, stale, region, quota).",
}, []string{"outcome", "reason", "twilio_error_code"})

// Collectors are the worker's own metrics, for its registry.
func Collectors() []prometheus.Collector { return []prometheus.Collector{sends} }

func countSend(outcome, reason string, twilioCode int) {
	sends.WithLabelValues(outcome, reason, twilioCodeLabel(twilioCode)).Inc()
}

func twilioCodeLabel(code int) string {
	switch {
	case code == 0:
		return ""
	case sms.Reason(code) != "":
		return strconv.Itoa(code)
	}
	return "other"
}
