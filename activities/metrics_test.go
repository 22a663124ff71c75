package activities

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Sends are counted by outcome and reason, with Twilio's error code when it is one
// textdesk knows and "other" otherwise, so the series stay few.
func TestSendMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collectors()...)
	countSend("sent", "created", 0)
	countSend("failed", "twilio", 21610)
	countSend("failed", "twilio", 63999)
	countSend("refused", "opted_out", 0)
	for _, c := range []struct {
		labels []string
	}{
		{[]string{"sent", "created", ""}},
		{[]string{"failed", "twilio", "21610"}},
		{[]string{"failed", "twilio", "other"}},
		{[]string{"refused", "opted_out", ""}},
	} {
		if v := testutil.ToFloat64(sends.WithLabelValues(c.labels...)); v < 1 {
			t.Errorf("textdesk_sms_sends_total%v = %v; want counted", c.labels, v)
		}
	}
	n, err := testutil.GatherAndCount(reg, "textdesk_sms_sends_total")
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Errorf("%d series", n)
	}
	if v := testutil.ToFloat64(sends.WithLabelValues("failed", "twilio", "63999")); v != 0 {
		t.Error("an unknown code became a label value")
	}
}
