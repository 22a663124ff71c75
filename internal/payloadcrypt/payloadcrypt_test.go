package payloadcrypt_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/textdesk/textdesk/internal/payloadcrypt"
)

func key(id string, b byte) payloadcrypt.Key {
	return payloadcrypt.Key{ID: id, Secret: bytes.Repeat([]byte{b}, payloadcrypt.KeySize)}
}

func mustCodec(t *testing.T, keys ...payloadcrypt.Key) *payloadcrypt.Codec {
	t.Helper()
	c, err := payloadcrypt.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func plainPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const secretText = "my card number is 4111 1111 1111 1111"

// Encode hides the data and the metadata (the encoding says json/plain, a hint of what
// is inside) and Decode gives back exactly what went in.
func TestRoundTripHidesEverything(t *testing.T) {
	c := mustCodec(t, key("k1", 1))
	in := []*commonpb.Payload{plainPayload(t, map[string]string{"body": secretText}), plainPayload(t, nil), plainPayload(t, []byte{0, 1, 2})}
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range enc {
		if bytes.Contains(p.Data, []byte("4111")) || bytes.Contains(p.Data, []byte("json/plain")) {
			t.Errorf("payload %d: plain text in the ciphertext", i)
		}
		if got := string(p.Metadata[converter.MetadataEncoding]); got != payloadcrypt.Encoding {
			t.Errorf("payload %d: encoding %q", i, got)
		}
		if got := string(p.Metadata[payloadcrypt.MetadataKeyID]); got != "k1" {
			t.Errorf("payload %d: key id %q", i, got)
		}
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !proto.Equal(in[i], dec[i]) {
			t.Errorf("payload %d: decoded %v; want %v", i, dec[i], in[i])
		}
	}
	// Two encryptions of the same payload differ (a fresh nonce each time).
	again, _ := c.Encode(in[:1])
	if bytes.Equal(again[0].Data, enc[0].Data) {
		t.Error("the same payload encrypted twice gives the same ciphertext: nonce reuse")
	}
}

// Through the data converter the workflow code sees: values in, ciphertext on the
// wire, values out.
func TestDataConverter(t *testing.T) {
	dc := mustCodec(t, key("k1", 1)).DataConverter()
	p, err := dc.ToPayload(map[string]string{"body": secretText})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("4111")) {
		t.Fatal("data converter wrote plain text")
	}
	var out map[string]string
	if err := dc.FromPayload(p, &out); err != nil || out["body"] != secretText {
		t.Fatalf("FromPayload: %v %v", out, err)
	}
}

// Payloads written before encryption pass through, so old histories replay.
func TestDecodePassesUnencryptedThrough(t *testing.T) {
	c := mustCodec(t, key("k1", 1))
	old := []*commonpb.Payload{plainPayload(t, "hello"), {}, {Metadata: map[string][]byte{"encoding": []byte("binary/zlib")}, Data: []byte{1}}}
	got, err := c.Decode(old)
	if err != nil {
		t.Fatal(err)
	}
	for i := range old {
		if got[i] != old[i] {
			t.Errorf("payload %d changed", i)
		}
	}
}

// Rotation: a new first key encrypts; payloads under the old key still decrypt while
// it is listed, and fail with its id (and no key material) once it is dropped.
func TestRotation(t *testing.T) {
	old := mustCodec(t, key("2025-01", 1))
	rotated := mustCodec(t, key("2026-01", 2), key("2025-01", 1))
	dropped := mustCodec(t, key("2026-01", 2))

	underOld, _ := old.Encode([]*commonpb.Payload{plainPayload(t, secretText)})
	underNew, _ := rotated.Encode([]*commonpb.Payload{plainPayload(t, secretText)})
	if got := string(underNew[0].Metadata[payloadcrypt.MetadataKeyID]); got != "2026-01" {
		t.Errorf("rotated codec encrypts under %q; want the first key, 2026-01", got)
	}
	for name, p := range map[string]*commonpb.Payload{"old": underOld[0], "new": underNew[0]} {
		if _, err := rotated.Decode([]*commonpb.Payload{p}); err != nil {
			t.Errorf("rotated codec cannot read the %s key's payload: %v", name, err)
		}
	}
	_, err := dropped.Decode([]*commonpb.Payload{underOld[0]})
	if err == nil || !strings.Contains(err.Error(), `"2025-01"`) {
		t.Fatalf("decode under a dropped key: %v; want an error naming key id 2025-01", err)
	}
	if strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))) {
		t.Error("the error shows the key")
	}
}

// Any change to the ciphertext, the nonce, or the key id label fails authentication.
func TestTamperDetected(t *testing.T) {
	c := mustCodec(t, key("a", 1), key("b", 2))
	enc, _ := c.Encode([]*commonpb.Payload{plainPayload(t, secretText)})
	for _, tc := range []struct {
		name   string
		change func(p *commonpb.Payload)
		want   string
	}{
		{"flipped ciphertext bit", func(p *commonpb.Payload) { p.Data[len(p.Data)-20] ^= 1 }, "fails authentication"},
		{"flipped nonce bit", func(p *commonpb.Payload) { p.Data[0] ^= 0x80 }, "fails authentication"},
		{"truncated", func(p *commonpb.Payload) { p.Data = p.Data[:10] }, "too short"},
		{"relabelled to the other key", func(p *commonpb.Payload) { p.Metadata[payloadcrypt.MetadataKeyID] = []byte("b") }, "fails authentication"},
		{"unknown cipher", func(p *commonpb.Payload) { p.Metadata[payloadcrypt.MetadataCipher] = []byte("ROT13") }, "ROT13"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := proto.Clone(enc[0]).(*commonpb.Payload)
			tc.change(p)
			if _, err := c.Decode([]*commonpb.Payload{p}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decode: %v; want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	k32 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	k32url := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
	keys, err := payloadcrypt.ParseKeys(" new:" + k32url + ",\nold:" + k32 + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != "new" || keys[1].ID != "old" || keys[1].Secret[0] != 7 || keys[0].Secret[0] != 0xfb {
		t.Fatalf("parsed %+v", keys)
	}
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	for in, want := range map[string]string{
		"":                           "no keys",
		" , ":                        "no keys",
		k32:                          "not id:base64key",
		"a:" + short:                 `key "a" is 16 bytes`,
		"a:@@@@@@@@":                 `key "a" is not base64`,
		"bad id:" + k32:              "not id:base64key", // split at the space
		"b/ad:" + k32:                `key id "b/ad"`,
		"a:" + k32 + ",a:" + k32:     `"a" is listed twice`,
		":" + k32:                    `key id ""`,
		"a:" + k32 + ",b:" + short:   `key "b" is 16 bytes`,
		"a:" + k32 + ",b:" + k32[1:]: `key "b"`,
	} {
		_, err := payloadcrypt.ParseKeys(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%q): %v; want an error containing %q", in, err, want)
			continue
		}
		if strings.Contains(err.Error(), k32) || strings.Contains(err.Error(), short) {
			t.Errorf("ParseKeys(%q): the error shows key material: %v", in, err)
		}
	}
}

func TestNewKeyEntry(t *testing.T) {
	e, err := payloadcrypt.NewKeyEntry("dev")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := payloadcrypt.ParseKeys(e)
	if err != nil || len(keys) != 1 || keys[0].ID != "dev" {
		t.Fatalf("ParseKeys(NewKeyEntry): %+v %v", keys, err)
	}
	if e2, _ := payloadcrypt.NewKeyEntry("dev"); e2 == e {
		t.Error("two fresh keys are equal")
	}
	if _, err := payloadcrypt.NewKeyEntry("has space"); err == nil {
		t.Error("NewKeyEntry accepted a bad id")
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	for name, keys := range map[string][]payloadcrypt.Key{
		"none":      nil,
		"short":     {{ID: "a", Secret: make([]byte, 16)}},
		"duplicate": {key("a", 1), key("a", 2)},
		"bad id":    {key("", 1)},
	} {
		if _, err := payloadcrypt.New(keys...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// FuzzDecode: no input makes Decode panic, and whatever it accepts as ciphertext it
// accepted because it authenticated (a random blob never decrypts).
func FuzzDecode(f *testing.F) {
	c, err := payloadcrypt.New(key("k1", 1), key("k2", 2))
	if err != nil {
		f.Fatal(err)
	}
	// Fuzz workers are separate processes, each with its own random nonce: compare what
	// a ciphertext decrypts to, not the ciphertext.
	hi := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hi"`)}
	enc, _ := c.Encode([]*commonpb.Payload{hi})
	f.Add([]byte(payloadcrypt.Encoding), []byte("k1"), []byte(payloadcrypt.Cipher), enc[0].Data)
	f.Add([]byte(payloadcrypt.Encoding), []byte("k2"), []byte(""), []byte{})
	f.Add([]byte("json/plain"), []byte(""), []byte(""), []byte(`"x"`))
	f.Add([]byte(payloadcrypt.Encoding), []byte("nope"), []byte(payloadcrypt.Cipher), make([]byte, 40))
	f.Fuzz(func(t *testing.T, encoding, keyID, ciph, data []byte) {
		md := map[string][]byte{"encoding": encoding, payloadcrypt.MetadataKeyID: keyID}
		if len(ciph) > 0 {
			md[payloadcrypt.MetadataCipher] = ciph
		}
		in := &commonpb.Payload{Metadata: md, Data: data}
		out, err := c.Decode([]*commonpb.Payload{in, nil})
		if err != nil {
			return
		}
		if string(encoding) != payloadcrypt.Encoding && out[0] != in {
			t.Fatal("an unencrypted payload was changed")
		}
		if string(encoding) == payloadcrypt.Encoding && !proto.Equal(out[0], hi) {
			t.Fatalf("forged ciphertext %x accepted", data)
		}
	})
}

// BenchmarkEncodeDecode: the cost per payload of a conversation-state-sized payload.
func BenchmarkEncodeDecode(b *testing.B) {
	c, err := payloadcrypt.New(key("k1", 1))
	if err != nil {
		b.Fatal(err)
	}
	p := []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: bytes.Repeat([]byte("x"), 2048)}}
	b.SetBytes(2048)
	for b.Loop() {
		enc, err := c.Encode(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
