// Package payloadcrypt encrypts the payloads textdesk writes to Temporal (workflow and
// activity inputs and results, signals, updates, query results, memos) with
// AES-256-GCM, so Temporal's database, its histories and whoever reads them without a
// key see ciphertext instead of phone numbers and message bodies.
//
// Every key has an id, kept beside the ciphertext in the payload's metadata, so keys
// rotate: the first key encrypts, every key decrypts. Payloads that were never
// encrypted (histories recorded before encryption was turned on) pass through Decode
// unchanged, so those workflows keep replaying.
package payloadcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	// Encoding is the metadata "encoding" of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key a payload is encrypted under.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the cipher, so a later one can be told apart.
	MetadataCipher = "encryption-cipher"
	// Cipher is the only cipher this package writes and reads.
	Cipher = "AES-256-GCM"
	// KeySize is the length of every key: AES-256.
	KeySize = 32
)

// Key is one encryption key and the id it is known by.
type Key struct {
	ID     string
	Secret []byte
}

// Codec is a converter.PayloadCodec that encrypts under the first key it was given and
// decrypts under any of them.
type Codec struct {
	encryptID string
	ids       []string // in the order given, for error messages
	aeads     map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec for keys; keys[0] encrypts. Ids must be unique and made of
// letters, digits, '.', '_' and '-'; every secret must be KeySize bytes.
func New(keys ...Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("payloadcrypt: no keys")
	}
	c := &Codec{encryptID: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if err := checkID(k.ID); err != nil {
			return nil, err
		}
		if _, dup := c.aeads[k.ID]; dup {
			return nil, fmt.Errorf("payloadcrypt: key id %q is listed twice", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("payloadcrypt: key %q is %d bytes; AES-256 needs exactly %d (generate one with: openssl rand -base64 32)", k.ID, len(k.Secret), KeySize)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
		c.ids = append(c.ids, k.ID)
	}
	return c, nil
}

// EncryptingKeyID is the id of the key Encode uses.
func (c *Codec) EncryptingKeyID() string { return c.encryptID }

// KeyIDs lists the ids of every key, the encrypting one first.
func (c *Codec) KeyIDs() []string { return slices.Clone(c.ids) }

// DataConverter is Temporal's default data converter with this codec applied to every
// payload it writes and reads.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// Encode encrypts each payload, metadata and data, under the encrypting key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.encryptID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("payloadcrypt: marshal payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("payloadcrypt: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.encryptID),
				MetadataCipher:             []byte(Cipher),
			},
			// The key id is authenticated too: a payload relabelled to another key fails.
			Data: aead.Seal(nonce, nonce, plain, []byte(c.encryptID)),
		}
	}
	return out, nil
}

// Decode decrypts the payloads Encode wrote and passes every other payload through
// unchanged (those written before encryption was turned on).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		inner, err := c.decrypt(p)
		if err != nil {
			return payloads, err
		}
		out[i] = inner
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	id := string(p.Metadata[MetadataKeyID])
	if ciph, ok := p.Metadata[MetadataCipher]; ok && string(ciph) != Cipher {
		return nil, fmt.Errorf("payloadcrypt: a payload is encrypted with cipher %q; this version reads %s only", ciph, Cipher)
	}
	aead, ok := c.aeads[id]
	if !ok {
		return nil, fmt.Errorf("payloadcrypt: a payload is encrypted under key id %q, which is not among the configured keys (%s): add that key back to the key list to read it",
			id, strings.Join(c.ids, ", "))
	}
	data := p.Data
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("payloadcrypt: a payload under key id %q is %d bytes, too short to be one this codec wrote", id, len(data))
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("payloadcrypt: a payload under key id %q fails authentication: it was altered, or key %q is not the key that encrypted it", id, id)
	}
	var inner commonpb.Payload
	if err := proto.Unmarshal(plain, &inner); err != nil {
		return nil, fmt.Errorf("payloadcrypt: a payload under key id %q decrypts to no Temporal payload: %w", id, err)
	}
	return &inner, nil
}

// ParseKeys reads a key list: "id:base64key" entries separated by commas, spaces or
// newlines (so one list fits an environment variable and a mounted secret file alike).
// The first entry is the encrypting key. Error messages name key ids, never keys.
func ParseKeys(s string) ([]Key, error) {
	entries := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
	if len(entries) == 0 {
		return nil, errors.New("no keys: want id:base64key[,id:base64key...] (generate a key with: openssl rand -base64 32)")
	}
	keys := make([]Key, 0, len(entries))
	for n, e := range entries {
		id, b64, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("entry %d is not id:base64key", n+1)
		}
		if err := checkID(id); err != nil {
			return nil, err
		}
		secret, err := decodeBase64(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q is not base64 (generate one with: openssl rand -base64 32)", id)
		}
		if len(secret) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes; AES-256 needs exactly %d (generate one with: openssl rand -base64 32)", id, len(secret), KeySize)
		}
		if slices.ContainsFunc(keys, func(k Key) bool { return k.ID == id }) {
			return nil, fmt.Errorf("key id %q is listed twice", id)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, nil
}

// NewKeyEntry returns "id:base64key" for a fresh random key: a line for a key list.
func NewKeyEntry(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	return id + ":" + base64.StdEncoding.EncodeToString(secret), nil
}

// decodeBase64 accepts standard and URL-safe base64, padded or not (openssl, Kubernetes
// and Go tools differ).
func decodeBase64(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

// checkID: ids are stored in every payload's metadata and shown in errors; keep them
// short and plain.
func checkID(id string) error {
	if id == "" || len(id) > 64 || strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) >= 0 {
		return fmt.Errorf("key id %q must be 1 to 64 letters, digits, '.', '_' or '-'", id)
	}
	return nil
}
