package activities

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/textdesk/textdesk/store"
)

// defaultDailySendQuota matches api's default (TEXTDESK_DAILY_SEND_QUOTA).
const defaultDailySendQuota = 5000

// checkLimits is the hand-off's check of the team's outbound abuse limits (the API
// checks them too, but scheduled messages, auto-responses and help replies reach
// Twilio only through here): a destination outside the team's allowed countries, or a
// team past its daily quota, fails the message with the reason (refused true). A
// message is counted against the quota once, however often its send is retried.
func (a *Activities) checkLimits(ctx context.Context, m store.OutboundToSend) (SendResult, bool, error) {
	allow, err := a.Store.SendAllowanceFor(ctx, m.ID)
	if err != nil {
		return SendResult{}, false, temporalError(err)
	}
	region := "ZZ"
	if num, err := phonenumbers.Parse(m.To, ""); err == nil {
		region = phonenumbers.GetRegionCodeForNumber(num)
	}
	if !slices.Contains(allow.Regions, region) {
		res, err := a.refuse(ctx, m.ID, "region", fmt.Sprintf("not sent: the team may not text numbers of %s (allowed destination countries: %s)",
			region, strings.Join(allow.Regions, ", ")))
		return res, true, err
	}
	quota := cmp.Or(a.DailySendQuota, defaultDailySendQuota)
	if allow.Quota != nil {
		quota = *allow.Quota
	}
	ok, err := a.Store.ClaimDailySend(ctx, allow.TeamID, m.ID, quota, a.now())
	if err != nil {
		return SendResult{}, false, temporalError(err)
	}
	if !ok {
		res, err := a.refuse(ctx, m.ID, "quota", fmt.Sprintf("not sent: the team has sent its daily quota of %d messages today (UTC)", quota))
		return res, true, err
	}
	return SendResult{}, false, nil
}
