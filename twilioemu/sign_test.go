package twilioemu_test

import (
	"net/url"
	"testing"

	"github.com/textdesk/textdesk/twilioemu"
	"github.com/twilio/twilio-go/client"
)

// Known answer from Twilio's documented example (also in twilio-go's
// validator tests); "Reason" must sort before "ReasonConferenceEnded".
func TestSignKnownAnswer(t *testing.T) {
	params := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"},
		"ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	got := twilioemu.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
	if want := "vOEb5UThFn24KEfnOFLQY2AE5FY="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestSignMatchesValidator(t *testing.T) {
	v := client.NewRequestValidator(testToken)
	const target = "https://example.com:8443/hooks/sms?tenant=a%20b&x=1"
	params := url.Values{
		"Body":      {"Ünïcødé & spaces = + % \n newline ✨"},
		"From":      {"+15551112222"},
		"a":         {"lower sorts after upper"},
		"Empty":     {""},
		"MediaUrl0": {"https://example.com/a.jpg?x=1&y=2"},
	}
	sig := twilioemu.Sign(testToken, target, params)
	single := map[string]string{}
	for k, vals := range params {
		single[k] = vals[0]
	}
	if !v.Validate(target, single, sig) {
		t.Error("validator rejects Sign output for special characters")
	}
	single["Body"] += "!"
	if v.Validate(target, single, sig) {
		t.Error("validator accepts tampered params")
	}

	// Repeated names: Twilio appends name+value for each distinct value in
	// sorted order. twilio-go's Validate takes one value per name, so the
	// equivalent input folds the run "Tagb" + "Tagc" into Tag => "b"+"Tag"+"c".
	repeated := url.Values{"Tag": {"c", "b", "c"}, "Body": {"x"}}
	sig = twilioemu.Sign(testToken, target, repeated)
	if !v.Validate(target, map[string]string{"Tag": "bTagc", "Body": "x"}, sig) {
		t.Error("repeated keys: signature is not name+value per sorted distinct value")
	}
	if v.Validate(target, map[string]string{"Tag": "c", "Body": "x"}, sig) {
		t.Error("repeated keys: only the first value was signed")
	}
}
