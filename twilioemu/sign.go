package twilioemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Sign returns the X-Twilio-Signature Twilio sends with a request to url
// carrying form params: base64(HMAC-SHA1(authToken, url + params)), where
// params are appended as name+value sorted by name. Repeated names are
// handled like Twilio's reference validators: values sorted, duplicates
// dropped, each appended as name+value.
func Sign(authToken, url string, params url.Values) string {
	var b strings.Builder
	b.WriteString(url)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		vals := slices.Clone(params[k])
		slices.Sort(vals)
		for _, v := range slices.Compact(vals) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
