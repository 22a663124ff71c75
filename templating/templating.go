// Package templating parses and renders message templates: text with {{placeholders}}
// that textdesk or the request fills in. It is deliberately small: no code, no loops,
// no conditions, only substitution with an optional fallback.
//
// Syntax (spaces inside the braces are allowed):
//
//	{{contact.name}}             a built-in variable (see Builtins), filled by textdesk
//	{{order_id}}                 a request variable (no dot), filled by the request's "variables"
//	{{contact.name | "there"}}   the fallback, used when the value is empty or not given
//	{{"{{"}}                     a quoted string alone is written as is: the way to write "{{"
//
// Names are a letter then letters, digits or _ (at most 64), with one dot for built-ins.
// A quoted string cannot hold a double quote. Any other "{{" is a syntax error, and a
// dotted name that is not a built-in is an unknown variable; both name the position.
package templating

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Builtins are the variables textdesk fills from the message's context: the contact
// texted, the agent (user) sending, the team sending.
var Builtins = []string{"contact.name", "contact.ref", "agent.name", "team.name"}

// Kinds of Error.
const (
	Syntax  = "syntax"  // a "{{" that does not open a placeholder
	Unknown = "unknown" // a dotted name that is not a built-in
	Missing = "missing" // request variables without a value (and without a fallback)
	Unused  = "unused"  // request values the template has no placeholder for
)

// Error says what is wrong with a template or its values.
type Error struct {
	Kind      string
	Variables []string // the variables concerned (none for most syntax errors)
	Pos       int      // 1-based character position of the "{{" concerned; 0 if none
	Detail    string
}

func (e *Error) Error() string {
	switch e.Kind {
	case Unknown:
		return fmt.Sprintf("unknown variable %q at character %d; the built-in variables are %s, and a name without a dot is filled from the request's \"variables\"",
			e.Variables[0], e.Pos, strings.Join(Builtins, ", "))
	case Missing:
		return "variables missing for the template: " + strings.Join(e.Variables, ", ")
	case Unused:
		return "variables not in the template: " + strings.Join(e.Variables, ", ")
	}
	return fmt.Sprintf("%s at character %d", e.Detail, e.Pos)
}

const maxName = 64

// part is literal text, or a placeholder when name or literal is set.
type part struct {
	text     string // literal text, or the quoted string of a {{"..."}} placeholder
	name     string
	fallback *string
	pos      int
}

// Template is a parsed template.
type Template struct {
	parts []part
}

// Parse reads src; the error, if any, is an *Error.
func Parse(src string) (*Template, error) {
	t := &Template{}
	pos := 1 // in characters, counted as the scan goes: linear on any input
	for i := 0; ; {
		j := strings.Index(src[i:], "{{")
		if j < 0 {
			if i < len(src) {
				t.parts = append(t.parts, part{text: src[i:]})
			}
			return t, nil
		}
		if j > 0 {
			t.parts = append(t.parts, part{text: src[i : i+j]})
		}
		pos += utf8.RuneCountInString(src[i : i+j])
		i += j
		p, n, err := placeholder(src, i, pos)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, p)
		pos += utf8.RuneCountInString(src[i : i+n])
		i += n
	}
}

// placeholder parses the placeholder starting at src[at:] (which starts with "{{", at
// character pos) and returns it with its length in bytes.
func placeholder(src string, at, pos int) (part, int, error) {
	s := src[at+2:]
	fail := func(detail string) (part, int, error) {
		return part{}, 0, &Error{Kind: Syntax, Pos: pos, Detail: fmt.Sprintf("%s %s", quoteStart(src[at:]), detail)}
	}
	s = strings.TrimLeft(s, " ")
	p := part{pos: pos}
	if strings.HasPrefix(s, `"`) {
		lit, rest, ok := quoted(s)
		if !ok {
			return fail(`has a quoted string without its closing "`)
		}
		p.text, s = lit, rest
	} else {
		name, rest := nameAt(s)
		if name == "" {
			return fail(`is not a placeholder; write {{name}}, {{contact.name}} or {{contact.name | "fallback"}}`)
		}
		p.name, s = name, strings.TrimLeft(rest, " ")
		if strings.HasPrefix(s, "|") {
			s = strings.TrimLeft(s[1:], " ")
			fb, rest, ok := quoted(s)
			if !ok {
				return fail(`needs a fallback in double quotes after "|", as in {{contact.name | "there"}}`)
			}
			p.fallback, s = &fb, rest
		}
	}
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "}}") {
		return fail(`is not closed by "}}"`)
	}
	if strings.Contains(p.name, ".") && !slices.Contains(Builtins, p.name) {
		return part{}, 0, &Error{Kind: Unknown, Variables: []string{p.name}, Pos: pos}
	}
	return p, len(src[at:]) - len(s) + 2, nil
}

// nameAt reads a name at the start of s: one or two dot-separated words, each a letter
// then letters, digits or _, at most maxName long.
func nameAt(s string) (name, rest string) {
	n := 0
	for words := 0; words < 2; words++ {
		w := 0
		for n+w < len(s) {
			c := s[n+w]
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || w > 0 && (c >= '0' && c <= '9' || c == '_') {
				w++
				continue
			}
			break
		}
		if w == 0 || w > maxName {
			return "", s
		}
		n += w
		if words == 1 || n >= len(s) || s[n] != '.' {
			break
		}
		n++ // the dot; a word must follow
	}
	return s[:n], s[n:]
}

// quoted reads a double-quoted string (no escapes) at the start of s.
func quoted(s string) (text, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return "", s, false
	}
	return s[1 : 1+end], s[end+2:], true
}

// quoteStart quotes the start of a bad placeholder for an error message.
func quoteStart(s string) string {
	if end := strings.Index(s, "}}"); end >= 0 && end < 70 {
		return fmt.Sprintf("%q", s[:end+2])
	}
	if len(s) > 20 {
		n := 20
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return fmt.Sprintf("%q", s[:n]+"…")
	}
	return fmt.Sprintf("%q", s)
}

// Variables lists the request variables (names without a dot) in order of first
// appearance, once each.
func (t *Template) Variables() []string {
	out := []string{}
	for _, p := range t.parts {
		if p.name != "" && !strings.Contains(p.name, ".") && !slices.Contains(out, p.name) {
			out = append(out, p.name)
		}
	}
	return out
}

// Builtins lists the built-in variables the template uses, in order, once each.
func (t *Template) Builtins() []string {
	out := []string{}
	for _, p := range t.parts {
		if strings.Contains(p.name, ".") && !slices.Contains(out, p.name) {
			out = append(out, p.name)
		}
	}
	return out
}

// Render fills the placeholders: built-ins from builtins (a missing one is empty),
// request variables from vars. An empty value takes the placeholder's fallback. A
// request variable without a value or fallback, or a value without a placeholder, is
// an *Error. Values are written as they are, never read as placeholders again.
func (t *Template) Render(builtins, vars map[string]string) (string, error) {
	var missing, unused []string
	names := t.Variables()
	for _, p := range t.parts {
		if p.name == "" || strings.Contains(p.name, ".") || p.fallback != nil {
			continue
		}
		if _, ok := vars[p.name]; !ok && !slices.Contains(missing, p.name) {
			missing = append(missing, p.name)
		}
	}
	for n := range vars {
		if !slices.Contains(names, n) {
			unused = append(unused, n)
		}
	}
	switch {
	case len(missing) > 0:
		return "", &Error{Kind: Missing, Variables: missing}
	case len(unused) > 0:
		slices.Sort(unused)
		return "", &Error{Kind: Unused, Variables: unused}
	}
	var out strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			out.WriteString(p.text)
			continue
		}
		v := vars[p.name]
		if strings.Contains(p.name, ".") {
			v = builtins[p.name]
		}
		if v == "" && p.fallback != nil {
			v = *p.fallback
		}
		out.WriteString(v)
	}
	return out.String(), nil
}
