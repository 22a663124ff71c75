package sms

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twilio/twilio-go/client"
)

func TestClassify(t *testing.T) {
	rest := func(status, code int, msg string) error {
		return fmt.Errorf("send: %w", &client.TwilioRestError{Status: status, Code: code, Message: msg})
	}
	cases := []struct {
		name      string
		err       error
		permanent bool
		optedOut  bool
		mentions  string
	}{
		{"invalid To", rest(400, 21211, "The 'To' number +1555 is not a valid phone number."), true, false, "not a valid phone number"},
		{"not mobile", rest(400, 21614, "'To' number is not a valid mobile number"), true, false, "not a mobile number"},
		{"unsubscribed", rest(400, 21610, "Attempt to send to unsubscribed recipient"), true, true, "replied STOP"},
		{"region", rest(400, 21408, "Permission to send an SMS has not been enabled for the region"), true, false, "country"},
		{"From not capable", rest(400, 21606, "The From phone number is not a valid, SMS-capable number"), true, false, "team's number"},
		{"other 4xx keeps Twilio's words", rest(400, 21999, "Something new"), true, false, "Something new (Twilio error 21999)"},
		{"404", rest(404, 20404, "not found"), true, false, "20404"},
		{"429", rest(429, 20429, "Too Many Requests"), false, false, "rate limiting"},
		{"20429 with another status", rest(400, 20429, "Too Many Requests"), false, false, "20429"},
		{"500", rest(500, 20500, "Internal Server Error"), false, false, "20500"},
		{"sender queue full", rest(400, 21611, "This 'From' number has exceeded the maximum number of queued messages"), false, false, "10 hours"},
		{"503", rest(503, 0, ""), false, false, "Service Unavailable"},
		{"auth", rest(401, 20003, "Authenticate"), false, false, "TWILIO_AUTH_TOKEN"},
		{"timeout", fmt.Errorf("Post \"https://api.twilio.com\": %w", context.DeadlineExceeded), false, false, "did not answer"},
		{"network", errors.New("connection refused"), false, false, "connection refused"},
	}
	for _, c := range cases {
		f := Classify(c.err)
		if f.Permanent != c.permanent || f.OptedOut != c.optedOut || !strings.Contains(f.Reason, c.mentions) {
			t.Errorf("%s: %+v; want permanent=%v optedOut=%v, reason mentioning %q", c.name, f, c.permanent, c.optedOut, c.mentions)
		}
	}
}

func TestReason(t *testing.T) {
	if Reason(30003) == "" || Reason(21610) == "" || Reason(12345) != "" {
		t.Errorf("Reason: 30003=%q 21610=%q 12345=%q", Reason(30003), Reason(21610), Reason(12345))
	}
}
