package sms

import (
	"strings"
	"unicode"
)

// Keyword is what an inbound message asks for when it is one of the consent keywords
// carriers and Twilio honour.
type Keyword string

const (
	NoKeyword Keyword = ""
	OptOut    Keyword = "opt_out" // STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT
	OptIn     Keyword = "opt_in"  // START, UNSTOP, YES
	Help      Keyword = "help"    // HELP, INFO
)

var keywords = map[string]Keyword{
	"STOP": OptOut, "STOPALL": OptOut, "UNSUBSCRIBE": OptOut, "CANCEL": OptOut,
	"END": OptOut, "QUIT": OptOut, "REVOKE": OptOut, "OPTOUT": OptOut,
	"START": OptIn, "UNSTOP": OptIn, "YES": OptIn,
	"HELP": Help, "INFO": Help,
}

// ParseKeyword reports which keyword body is. The whole message must be the keyword:
// case is ignored, and so are whitespace anywhere ("stop all", " Stop ") and
// punctuation around it ("STOP."); "please stop texting me" is not a keyword.
func ParseKeyword(body string) Keyword {
	word := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, body)
	word = strings.TrimFunc(word, unicode.IsPunct)
	return keywords[word]
}
