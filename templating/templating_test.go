package templating

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		src, kind, mention string
		pos                int
	}{
		{"Hi {{first name}}", Syntax, `"{{first name}}" is not closed`, 4},
		{"Hi {{1st}}", Syntax, "is not a placeholder", 4},
		{"Hi {{name", Syntax, "is not closed", 4},
		{"Hi {{{name}}}", Syntax, "is not a placeholder", 4},
		{"{{}}", Syntax, "is not a placeholder", 1},
		{"{{contact.}}", Syntax, "is not a placeholder", 1},
		{"{{a.b.c}}", Syntax, "is not closed", 1},
		{`{{contact.name | there}}`, Syntax, "fallback in double quotes", 1},
		{`{{contact.name | "there}}`, Syntax, "fallback in double quotes", 1},
		{`{{"open}}`, Syntax, "without its closing", 1},
		{"é€ {{contact.email}}", Unknown, `unknown variable "contact.email" at character 4`, 4},
		{"{{ order.id }}", Unknown, `"order.id"`, 1},
		{"ok {{team.name}} then {{Contact.Name}}", Unknown, `"Contact.Name" at character 23`, 23},
	} {
		_, err := Parse(c.src)
		var e *Error
		if !errors.As(err, &e) || e.Kind != c.kind || e.Pos != c.pos || !strings.Contains(e.Error(), c.mention) {
			t.Errorf("Parse(%q) = %v (%+v); want a %s error at %d mentioning %s", c.src, err, e, c.kind, c.pos, c.mention)
		}
		if c.kind == Unknown && (len(e.Variables) != 1 || !strings.Contains(c.src, e.Variables[0])) {
			t.Errorf("Parse(%q): unknown error names %q, not the variable", c.src, e.Variables)
		}
	}
}

func TestVariables(t *testing.T) {
	tp, err := Parse(`Hi {{contact.name | "there"}}, order {{ order_id }} for {{name}} {{order_id}} from {{ team.name }} {{"{{"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.Variables(); !slices.Equal(got, []string{"order_id", "name"}) {
		t.Errorf("Variables = %q", got)
	}
	if got := tp.Builtins(); !slices.Equal(got, []string{"contact.name", "team.name"}) {
		t.Errorf("Builtins = %q", got)
	}
	for _, src := range []string{"", "plain", "a single { brace } and }} are text"} {
		tp, err := Parse(src)
		if err != nil || len(tp.Variables()) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no variables", src, tp, err)
		}
	}
}

func TestRender(t *testing.T) {
	builtins := map[string]string{"contact.name": "Ana", "contact.ref": "", "agent.name": "Bo", "team.name": "Billing"}
	for _, c := range []struct {
		src  string
		vars map[string]string
		want string
	}{
		{"Hi {{contact.name}}, {{agent.name}} from {{team.name}}.", nil, "Hi Ana, Bo from Billing."},
		{`Hi {{contact.name | "there"}}`, nil, "Hi Ana"},
		{`Ref {{contact.ref | "none"}}`, nil, "Ref none"},
		{`Ref [{{contact.ref}}]`, nil, "Ref []"},
		{`{{ contact.ref|"" }}x`, nil, "x"},
		{`Order {{order}} ({{contact.name}})`, map[string]string{"order": "{{contact.name}}"}, "Order {{contact.name}} (Ana)"},
		{`Code {{ code | "n/a" }}`, nil, "Code n/a"},
		{`Code {{ code | "n/a" }}`, map[string]string{"code": ""}, "Code n/a"},
		{`Code {{ code | "n/a" }}`, map[string]string{"code": "7"}, "Code 7"},
		{`Write {{"{{"}}contact.name}} to use it; {{ "}}" }}`, nil, "Write {{contact.name}} to use it; }}"},
		{`é {{contact.name}} €`, nil, "é Ana €"},
	} {
		tp, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		got, err := tp.Render(builtins, c.vars)
		if err != nil || got != c.want {
			t.Errorf("Render(%q, %v) = %q, %v; want %q", c.src, c.vars, got, err, c.want)
		}
	}
	// A built-in without a value (a scheduled message has no conversation, a contact no
	// name) is empty, or its fallback.
	tp, _ := Parse(`Hi {{contact.name | "there"}}{{agent.name}}!`)
	if got, err := tp.Render(nil, nil); err != nil || got != "Hi there!" {
		t.Errorf("Render without built-ins = %q, %v", got, err)
	}
}

func TestRenderRequestVariables(t *testing.T) {
	tp, err := Parse("Hi {{name}}, your order {{ order }} is ready. {{opt|\"\"}}Thanks {{name}}!")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vars          map[string]string
		kind, mention string
	}{
		{nil, Missing, "variables missing for the template: name, order"},
		{map[string]string{"order": "1"}, Missing, "variables missing for the template: name"},
		{map[string]string{"name": "a", "order": "1", "zip": "x", "city": "y"}, Unused, "variables not in the template: city, zip"},
	} {
		_, err := tp.Render(nil, c.vars)
		var e *Error
		if !errors.As(err, &e) || e.Kind != c.kind || e.Error() != c.mention {
			t.Errorf("Render with %v: %v; want %s %q", c.vars, err, c.kind, c.mention)
		}
	}
}

// FuzzTemplate: no input panics; what parses renders, and a template without "{{"
// renders to itself.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "Hi {{contact.name | \"there\"}}", "{{a.b.c}}", "{{\"{{\"}}", "{{ x |\"", "é{{{", "{{contact.email}}", "\xff{{\xfe}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Pos < 1 || e.Pos > utf8.RuneCountInString(src) || e.Error() == "" {
				t.Fatalf("Parse(%q): %v (%+v): want an *Error with a position in the text", src, err, e)
			}
			return
		}
		vars := map[string]string{}
		for _, v := range tp.Variables() {
			vars[v] = "v"
		}
		out, err := tp.Render(map[string]string{"contact.name": "n"}, vars)
		if err != nil {
			t.Fatalf("Render(%q) with every variable: %v", src, err)
		}
		if !strings.Contains(src, "{{") && out != src {
			t.Fatalf("Render(%q) = %q; text without placeholders must be unchanged", src, out)
		}
	})
}
