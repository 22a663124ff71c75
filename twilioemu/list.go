package twilioemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	defaultPageSize = 50
	maxPageSize     = 1000
	maxPage         = 1 << 20 // keeps Page*PageSize far from overflow

	// Cursor prefixes, as in Twilio's PageToken: "PA"+sid pages after a
	// message, "PB"+sid pages before it. Cursors keep paging stable while
	// new messages arrive at the head of the newest-first list.
	cursorAfter  = "PA"
	cursorBefore = "PB"
)

// listQuery is a parsed GET Messages.json request.
type listQuery struct {
	filters  url.Values // To, From, DateSent* as received, echoed in page URIs
	to, from string
	on       *time.Time // DateSent: that UTC day
	onOrBef  *time.Time // DateSent<: on or before that day
	onOrAft  *time.Time // DateSent>: on or after that day
	pageSize int
	page     int
	token    string
}

func parseListQuery(q url.Values) (listQuery, *apiError) {
	lq := listQuery{filters: url.Values{}, pageSize: defaultPageSize}
	bad := func(format string, args ...any) (listQuery, *apiError) {
		return listQuery{}, errorf(http.StatusBadRequest, codeInvalidParam, format, args...)
	}
	for _, k := range []string{"To", "From", "DateSent", "DateSent<", "DateSent>"} {
		if v := q.Get(k); v != "" {
			lq.filters.Set(k, v)
		}
	}
	lq.to, lq.from = q.Get("To"), q.Get("From")
	dates := []struct {
		key string
		dst **time.Time
	}{{"DateSent", &lq.on}, {"DateSent<", &lq.onOrBef}, {"DateSent>", &lq.onOrAft}}
	for _, d := range dates {
		if v := q.Get(d.key); v != "" {
			day, ok := parseDay(v)
			if !ok {
				return bad("Invalid %s %q: want YYYY-MM-DD", d.key, v)
			}
			*d.dst = &day
		}
	}
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return bad("Invalid PageSize %q", v)
		}
		lq.pageSize = min(n, maxPageSize)
	}
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxPage {
			return bad("Invalid Page %q", v)
		}
		lq.page = n
	}
	lq.token = q.Get("PageToken")
	return lq, nil
}

// parseDay accepts Twilio's documented YYYY-MM-DD and the RFC 3339
// timestamps twilio-go actually sends, and keeps only the UTC day, since
// Twilio filters DateSent by day.
func parseDay(v string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			return time.Time{}, false
		}
	}
	return utcDay(t), true
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (lq listQuery) matches(m Message) bool {
	if (lq.to != "" && m.To != lq.to) || (lq.from != "" && m.From != lq.from) {
		return false
	}
	if lq.on == nil && lq.onOrBef == nil && lq.onOrAft == nil {
		return true
	}
	if m.DateSent.IsZero() {
		return false // not sent yet, so no date to match
	}
	day := utcDay(m.DateSent)
	return (lq.on == nil || day.Equal(*lq.on)) &&
		(lq.onOrBef == nil || !day.After(*lq.onOrBef)) &&
		(lq.onOrAft == nil || !day.Before(*lq.onOrAft))
}

// listMessages handles GET Messages.json: newest first, paged.
func (e *Emulator) listMessages(w http.ResponseWriter, r *http.Request) {
	lq, apiErr := parseListQuery(r.URL.Query())
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	all := e.store.newestFirst(lq.matches)
	start, end, apiErr := e.pageBounds(lq, all)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	page := all[start:end]

	uri := func(pageNum int, token string) string {
		q := url.Values{}
		for k, v := range lq.filters {
			q[k] = v
		}
		q.Set("PageSize", strconv.Itoa(lq.pageSize))
		q.Set("Page", strconv.Itoa(pageNum))
		if token != "" {
			q.Set("PageToken", token)
		}
		return pageURI(e.cfg.AccountSID, q)
	}
	out := messageList{
		Messages:     make([]messageResource, 0, len(page)),
		FirstPageURI: uri(0, ""),
		Page:         lq.page,
		PageSize:     lq.pageSize,
		Start:        lq.page * lq.pageSize,
		URI:          uri(lq.page, lq.token),
	}
	out.End = out.Start + max(len(page)-1, 0)
	for _, l := range page {
		out.Messages = append(out.Messages, newMessageResource(l.msg))
	}
	if end < len(all) {
		next := uri(lq.page+1, cursorAfter+page[len(page)-1].msg.Sid)
		out.NextPageURI = &next
	}
	if start > 0 && len(page) > 0 {
		prev := uri(max(lq.page-1, 0), cursorBefore+page[0].msg.Sid)
		out.PreviousPageURI = &prev
	}
	writeJSON(w, http.StatusOK, out)
}

// pageBounds returns the page as the half-open range [start, end) of all
// (newest first): after or before the PageToken cursor if present, else
// at Page * PageSize.
func (e *Emulator) pageBounds(lq listQuery, all []listed) (int, int, *apiError) {
	if lq.token == "" {
		start := min(lq.page*lq.pageSize, len(all))
		return start, min(start+lq.pageSize, len(all)), nil
	}
	sid, after := strings.CutPrefix(lq.token, cursorAfter)
	if !after {
		sid, _ = strings.CutPrefix(lq.token, cursorBefore)
	}
	seq, ok := e.store.seqOf(sid)
	if !ok || sid == lq.token {
		return 0, 0, errorf(http.StatusBadRequest, codeInvalidParam, "Invalid PageToken %q", lq.token)
	}
	// Sequences strictly decrease along all, so each boundary is the first
	// index past the cursor's position.
	first := func(pred func(uint64) bool) int {
		for i, l := range all {
			if pred(l.seq) {
				return i
			}
		}
		return len(all)
	}
	if after {
		start := first(func(s uint64) bool { return s < seq })
		return start, min(start+lq.pageSize, len(all)), nil
	}
	end := first(func(s uint64) bool { return s <= seq })
	return max(end-lq.pageSize, 0), end, nil
}
