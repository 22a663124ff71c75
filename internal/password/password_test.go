package password

import (
	"strings"
	"testing"
)

// Cheap parameters keep the tests fast; Verify reads them from the hash.
var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h := HashWith("correct horse battery staple", fast)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with its parameters", h)
	}
	if ok, err := Verify("correct horse battery staple", h); !ok || err != nil {
		t.Errorf("the right password: %v %v", ok, err)
	}
	if ok, err := Verify("correct horse battery stapler", h); ok || err != nil {
		t.Errorf("a wrong password: %v %v", ok, err)
	}
	if h2 := HashWith("correct horse battery staple", fast); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	// The default parameters are what Hash encodes.
	if d := Hash("x"); !strings.HasPrefix(d, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("Hash: %q", d)
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdA$aGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
		"$argon2id$v=19$m=9999999,t=1,p=1$c2FsdA$aGFzaA"} {
		if ok, err := Verify("pw", h); ok || err == nil {
			t.Errorf("Verify against %q: %v %v; want an error", h, ok, err)
		}
	}
	if VerifyOrDummy("anything", "") {
		t.Error("VerifyOrDummy without a hash matched")
	}
	if !VerifyOrDummy("pw-long-enough", HashWith("pw-long-enough", fast)) {
		t.Error("VerifyOrDummy with the right password did not match")
	}
}

func TestWeak(t *testing.T) {
	weak := map[string]string{
		"short1!":                 "at least 12",
		"":                        "at least 12",
		"password1234":            `"password"`,
		"Password!2024":           `"password"`,
		"qwerty123456":            `"qwerty"`,
		"1234qwertyuiop":          `"qwertyuiop"`,
		"123456789012":            "most common",
		"abc123abc123":            `"abc123"`,
		"aaaaaaaaaaaaaaaa":        "repeats",
		"xyxyxyxyxyxyxy":          "repeats",
		"ada.lovelace2024":        "email",
		strings.Repeat("x1", 200): "limit",
	}
	for pw, says := range weak {
		got := Weak(pw, "ada.lovelace@example.com")
		if !strings.Contains(got, says) {
			t.Errorf("Weak(%q) = %q; want it to mention %s", pw, got, says)
		}
	}
	for _, pw := range []string{"correct horse battery staple", "dev-only-admin-password", "monkey-business-42", "Tr0ub4dor&3-plus-more"} {
		if got := Weak(pw, "ada.lovelace@example.com"); got != "" {
			t.Errorf("Weak(%q) = %q; want it accepted", pw, got)
		}
	}
	if len(common) < 900 {
		t.Errorf("the embedded list has %d passwords", len(common))
	}
}
