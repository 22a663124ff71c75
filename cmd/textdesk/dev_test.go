//go:build !production

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/textdesk/textdesk/internal/payloadcrypt"
)

// make dev's payload key is made once, readable by its owner only, and kept: a
// restarted dev must read the workflows the last one encrypted.
func TestDevPayloadKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "payload-key")
	if _, err := devPayloadKey(file); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("the dev key file is %v; want 0600", fi.Mode().Perm())
	}
	if keys, err := payloadcrypt.ParseKeys(string(first)); err != nil || len(keys) != 1 {
		t.Fatalf("the dev key file does not hold one key: %v", err)
	}
	if _, err := devPayloadKey(file); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(file); string(again) != string(first) {
		t.Error("a second start replaced the dev key: the first run's workflows are unreadable now")
	}
}
