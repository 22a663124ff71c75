package twilioemu

import "strings"

// GSM 03.38 default alphabet (one septet each) and its extension table
// (escape + char, two septets each). Anything else forces UCS-2.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtended = "\f^{}\\[~]|€"
)

// countSegments estimates how many SMS segments body needs: GSM-7 fits
// 160 septets in one segment or 153 per concatenated part; UCS-2 fits 70
// UTF-16 units or 67 per part. Characters are never split across parts,
// as real concatenation avoids splitting escapes and surrogate pairs.
// A media-only message counts as one segment, as Twilio reports.
func countSegments(body string) int {
	if body == "" {
		return 1
	}
	if costs, ok := gsmCosts(body); ok {
		return pack(costs, 160, 153)
	}
	return pack(ucs2Costs(body), 70, 67)
}

func gsmCosts(body string) ([]int, bool) {
	costs := make([]int, 0, len(body))
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			costs = append(costs, 1)
		case strings.ContainsRune(gsmExtended, r):
			costs = append(costs, 2)
		default:
			return nil, false
		}
	}
	return costs, true
}

func ucs2Costs(body string) []int {
	costs := make([]int, 0, len(body))
	for _, r := range body {
		if r > 0xFFFF {
			costs = append(costs, 2) // surrogate pair
		} else {
			costs = append(costs, 1)
		}
	}
	return costs
}

// pack counts parts: one if everything fits in single, else greedy parts
// of at most multi units without splitting a character.
func pack(costs []int, single, multi int) int {
	total := 0
	for _, c := range costs {
		total += c
	}
	if total <= single {
		return 1
	}
	parts, used := 1, 0
	for _, c := range costs {
		if used+c > multi {
			parts++
			used = 0
		}
		used += c
	}
	return parts
}
