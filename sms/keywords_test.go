package sms

import "testing"

func TestParseKeyword(t *testing.T) {
	cases := map[string]Keyword{
		"STOP": OptOut, "stop": OptOut, " Stop ": OptOut, "\tSTOP\n": OptOut, "STOP.": OptOut, "Stop!": OptOut,
		"stopall": OptOut, "STOP ALL": OptOut, "Unsubscribe": OptOut, "cancel": OptOut, "END": OptOut,
		"quit": OptOut, "REVOKE": OptOut, "optout": OptOut, "opt out": OptOut,
		"START": OptIn, "unstop": OptIn, "Yes": OptIn, " yes ": OptIn,
		"HELP": Help, "help": Help, "Info": Help, "INFO?": Help,
		"":                       NoKeyword,
		"please stop":            NoKeyword,
		"stop texting me":        NoKeyword,
		"STOPP":                  NoKeyword,
		"yes please":             NoKeyword,
		"I need help":            NoKeyword,
		"ＳＴＯＰ":                   NoKeyword, // full-width letters are not the keyword
		"Is my order ready? END": NoKeyword,
	}
	for body, want := range cases {
		if got := ParseKeyword(body); got != want {
			t.Errorf("ParseKeyword(%q) = %q; want %q", body, got, want)
		}
	}
}
