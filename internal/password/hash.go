// Package password hashes and checks users' passwords (argon2id, PHC strings) and
// refuses weak ones.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. Default follows OWASP's password storage
// cheat sheet (19 MiB, 2 passes, 1 lane): about 30-60 ms here, and memory per
// concurrent sign-in stays small.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hash returns the PHC-encoded argon2id hash of pw with a fresh salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func Hash(pw string) string { return HashWith(pw, Default) }

// HashWith is Hash with other parameters.
func HashWith(pw string, p Params) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errMalformed = errors.New("password hash is not an argon2id PHC string")

// Verify reports whether pw matches encoded, with the parameters encoded names (so
// hashes made with older parameters keep working).
func Verify(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<21 || p.Time > 100 {
		return false, errMalformed
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errMalformed
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	// A stored hash is 32 bytes; a longer one is not ours (and would size argon2's output).
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false, errMalformed
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want))) //nolint:gosec // G115: len(want) is at most 64, checked above
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummy is hashed against when there is no hash to check (unknown email, no password
// set yet), so that such a sign-in takes as long as a real one.
var dummy = Hash("textdesk dummy password, never matches anything")

// VerifyOrDummy is Verify against encoded, or against a dummy hash (false) when
// encoded is empty: the time taken does not tell whether the user exists.
func VerifyOrDummy(pw, encoded string) bool {
	if encoded == "" {
		_, _ = Verify(pw, dummy)
		return false
	}
	ok, err := Verify(pw, encoded)
	return err == nil && ok
}
