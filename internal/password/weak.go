package password

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinLength is the shortest password accepted, in characters.
const MinLength = 12

// MaxLength bounds what is hashed (argon2 takes any length; a megabyte is abuse).
const MaxLength = 256

// common is the 1,000 most common passwords of SecLists
// (Passwords/Common-Credentials/10-million-password-list-top-1000.txt, from Mark
// Burnett's 10 million password set; github.com/danielmiessler/SecLists, MIT), one a
// line. Almost all are shorter than MinLength, so Weak also refuses them padded with
// digits or symbols, or repeated ("password1234", "qwerty123456!", "abc123abc123").
//
//go:embed common-passwords.txt
var commonText string

var common = func() []string {
	var out []string
	for _, l := range strings.Split(commonText, "\n") {
		if l = strings.ToLower(strings.TrimSpace(l)); len(l) >= 4 {
			out = append(out, l)
		}
	}
	return out
}()

// Weak says why pw may not be used as a password ("" if it may). email, if given,
// is refused as a password too.
func Weak(pw, email string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return fmt.Sprintf("the password is %d characters; use at least %d (a few unrelated words make a good one)", n, MinLength)
	case n > MaxLength:
		return fmt.Sprintf("the password is %d characters; the limit is %d", n, MaxLength)
	}
	lower := strings.ToLower(pw)
	if local, _, _ := strings.Cut(strings.ToLower(email), "@"); len(local) >= 4 && strings.Contains(lower, local) &&
		strings.Trim(strings.ReplaceAll(lower, local, ""), padding) == "" {
		return "the password is your email address (or its name part); choose something else"
	}
	if repeatUnit(lower) != lower && utf8.RuneCountInString(repeatUnit(lower)) <= 4 {
		return "the password repeats a few characters; choose something less predictable"
	}
	for _, c := range common {
		if isCommonVariant(lower, c) {
			return fmt.Sprintf("the password is a variant of %q, one of the most common passwords; choose something less predictable", c)
		}
	}
	return ""
}

// padding is what people add to a common password to pass length rules.
const padding = "0123456789!@#$%^&*()-_=+.,;:?/\\|~`'\"[]{}<> "

// isCommonVariant: p is c repeated, or c with only digits and symbols before or after.
func isCommonVariant(p, c string) bool {
	if repeatUnit(p) == c || strings.Trim(p, padding) == c {
		return true
	}
	if rest, ok := strings.CutPrefix(p, c); ok && !hasLetter(rest) {
		return true
	}
	if rest, ok := strings.CutSuffix(p, c); ok && !hasLetter(rest) {
		return true
	}
	return false
}

// repeatUnit is the shortest s such that p is s repeated ("abcabc" -> "abc").
func repeatUnit(p string) string {
	for i := 1; i <= len(p)/2; i++ {
		if len(p)%i == 0 && strings.Repeat(p[:i], len(p)/i) == p {
			return p[:i]
		}
	}
	return p
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }
