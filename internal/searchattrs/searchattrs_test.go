package searchattrs

import (
	"errors"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
)

func TestMissingAndTypes(t *testing.T) {
	want, err := Parse(map[string]string{"A": "keyword", "B": "KeywordList", "C": "Int"})
	if err != nil {
		t.Fatal(err)
	}
	missing, err := Missing(map[string]enumspb.IndexedValueType{"B": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST}, want)
	if err != nil || strings.Join(missing, ",") != "A,C" {
		t.Errorf("missing %v %v; want A,C", missing, err)
	}
	_, err = Missing(map[string]enumspb.IndexedValueType{"A": enumspb.INDEXED_VALUE_TYPE_TEXT}, want)
	var te *TypeError
	if !errors.As(err, &te) || te.Name != "A" || !strings.Contains(err.Error(), "registered as Text, not Keyword") {
		t.Errorf("type mismatch: %v", err)
	}
	if _, err := Parse(map[string]string{"A": "Keywrd"}); err == nil {
		t.Error("unknown type accepted")
	}
	want["D"] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	cmds := Commands("ns.acct", []string{"A", "B", "D"}, want)
	for _, w := range []string{"tcld namespace search-attributes add --namespace ns.acct --search-attribute A=Keyword --search-attribute B=KeywordList --search-attribute D=Keyword\n",
		"temporal operator search-attribute create --namespace ns.acct --name A --type Keyword\n",
		"temporal operator search-attribute create --namespace ns.acct --name D --type Keyword",
		"temporal operator search-attribute create --namespace ns.acct --name B --type KeywordList"} {
		if !strings.Contains(cmds, w) {
			t.Errorf("commands lack %q:\n%s", w, cmds)
		}
	}
}
