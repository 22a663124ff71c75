package sms

// Encodings an SMS body is sent in.
const (
	GSM7 = "GSM-7" // GSM 03.38 default alphabet, 7 bits per character
	UCS2 = "UCS-2" // 16 bits per UTF-16 code unit
)

// Segment capacities: a body that fits one segment uses the single capacity; a longer
// body is split into parts that each lose room to the concatenation header (UDH).
const (
	gsmSingle  = 160 // septets
	gsmPart    = 153
	ucs2Single = 70 // UTF-16 code units
	ucs2Part   = 67
)

// GSM 03.38 default alphabet (one septet each) and its extension table (escape plus a
// character: two septets each). A body with any other character is sent as UCS-2.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[]~|€"
)

// gsmSeptets maps every GSM-7 character to its cost in septets.
var gsmSeptets = func() map[rune]int {
	m := make(map[rune]int, len(gsmBasic)+len(gsmExtension))
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Segments reports the encoding Twilio sends body in and how many SMS segments it
// takes (each is billed as one message):
//
//   - GSM-7 when every character is in the GSM 03.38 alphabet: 160 septets fit one
//     segment, longer bodies take 153 per segment; the extension characters
//     ^ { } \ [ ] ~ | € and form feed take two septets (escape + character).
//   - UCS-2 otherwise: 70 UTF-16 code units fit one segment, longer bodies take 67 per
//     segment; characters outside the Basic Multilingual Plane (most emoji) are a
//     surrogate pair and count 2.
//
// A character is never split across two segments (an escape sequence or surrogate
// pair that does not fit moves to the next segment), as handsets and Twilio do. The
// empty body takes 0 segments (a media-only MMS is billed by Twilio as one message).
// Invalid UTF-8 bytes count as U+FFFD, as Go decodes them.
//
// It is pure and cheap: the API can call it on every keystroke of a compose box.
func Segments(body string) (encoding string, segments int) {
	if body == "" {
		return GSM7, 0
	}
	septets, gsm := 0, true
	for _, r := range body {
		c, ok := gsmSeptets[r]
		if !ok {
			gsm = false
			break
		}
		septets += c
	}
	if gsm {
		if septets <= gsmSingle {
			return GSM7, 1
		}
		return GSM7, pack(body, gsmPart, func(r rune) int { return gsmSeptets[r] })
	}
	units := 0
	for _, r := range body {
		units += utf16Units(r)
	}
	if units <= ucs2Single {
		return UCS2, 1
	}
	return UCS2, pack(body, ucs2Part, utf16Units)
}

func utf16Units(r rune) int {
	if r > 0xFFFF {
		return 2 // surrogate pair
	}
	return 1
}

// pack counts the parts of at most capacity units each, filled greedily without
// splitting a character.
func pack(body string, capacity int, cost func(rune) int) int {
	parts, used := 1, 0
	for _, r := range body {
		c := cost(r)
		if used+c > capacity {
			parts++
			used = 0
		}
		used += c
	}
	return parts
}
