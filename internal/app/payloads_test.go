package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/textdesk/textdesk/config"
)

const testKeys = "new:dGV4dGRlc2stdGVzdC1vbmx5LXBheWxvYWQta2V5ISE=,old:bG9hZGdlbi1vbmx5LXBheWxvYWQta2V5LTAxMjM0NTY="

// Which configurations start with encryption, which without, and which are refused
// with a message that says what to do (and never shows a key).
func TestPayloadCodecFromConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(testKeys, ",", "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		cfg     config.Config
		wantIDs string // "" : no codec
		wantErr string
	}{
		{"inline", config.Config{PayloadKeys: testKeys}, "new old", ""},
		{"file", config.Config{PayloadKeysFile: file}, "new old", ""},
		{"explicitly off", config.Config{PayloadEncryption: "off"}, "", ""},
		{"no keys", config.Config{}, "", "TEXTDESK_PAYLOAD_KEYS"},
		{"no keys, on", config.Config{PayloadEncryption: "on"}, "", "TEXTDESK_PAYLOAD_ENCRYPTION=off"},
		{"off with keys", config.Config{PayloadEncryption: "off", PayloadKeys: testKeys}, "", "unset one or the other"},
		{"both", config.Config{PayloadKeys: testKeys, PayloadKeysFile: file}, "", "not both"},
		{"missing file", config.Config{PayloadKeysFile: file + ".missing"}, "", "TEXTDESK_PAYLOAD_KEYS_FILE"},
		{"short key", config.Config{PayloadKeys: "k:c2hvcnQ="}, "", `TEXTDESK_PAYLOAD_KEYS: key "k" is 5 bytes`},
	} {
		t.Run(c.name, func(t *testing.T) {
			codec, err := PayloadCodec(c.cfg)
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v; want one saying %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "dGV4dGRl") {
					t.Errorf("the error shows a key: %v", err)
				}
			case err != nil:
				t.Fatal(err)
			case c.wantIDs == "" && codec != nil:
				t.Fatal("a codec with encryption off")
			case c.wantIDs != "" && (codec == nil || strings.Join(codec.KeyIDs(), " ") != c.wantIDs):
				t.Fatalf("codec %v; want keys %s", codec, c.wantIDs)
			}
		})
	}
}

// A client configured by EncryptPayloads writes ciphertext and reads it back.
func TestEncryptPayloadsSetsConverters(t *testing.T) {
	var o client.Options
	if err := EncryptPayloads(config.Config{PayloadKeys: testKeys}, &o); err != nil {
		t.Fatal(err)
	}
	if o.DataConverter == nil || o.FailureConverter == nil {
		t.Fatal("no data or failure converter set")
	}
	p, err := o.DataConverter.ToPayload("+14155550123")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(p.Data), "4155550123") {
		t.Error("the data converter writes plain text")
	}
	var back string
	if err := o.DataConverter.FromPayload(p, &back); err != nil || back != "+14155550123" {
		t.Fatalf("read back %q %v", back, err)
	}
	// Error messages are encrypted too (Twilio's quote phone numbers).
	f := o.FailureConverter.ErrorToFailure(errString("invalid To number +14155550123"))
	if strings.Contains(f.GetMessage(), "4155550123") || f.GetEncodedAttributes() == nil {
		t.Errorf("failure message %q written in plain", f.GetMessage())
	}
	if got := o.FailureConverter.FailureToError(f).Error(); !strings.Contains(got, "+14155550123") {
		t.Errorf("failure read back as %q", got)
	}

	var off client.Options
	if err := EncryptPayloads(config.Config{PayloadEncryption: "off"}, &off); err != nil || off.DataConverter != nil || off.FailureConverter != nil {
		t.Errorf("encryption off: converters %v %v, err %v; want none", off.DataConverter, off.FailureConverter, err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
