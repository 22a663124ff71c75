package app

import (
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/payloadcrypt"
)

// PayloadCodec is the codec that encrypts what textdesk writes to Temporal, from
// TEXTDESK_PAYLOAD_KEYS or TEXTDESK_PAYLOAD_KEYS_FILE; nil when
// TEXTDESK_PAYLOAD_ENCRYPTION=off. Without keys (and not off) it fails, saying how to
// make one: customers' texts must not reach Temporal in plain text by accident.
func PayloadCodec(cfg config.Config) (*payloadcrypt.Codec, error) {
	list, source := cfg.PayloadKeys, "TEXTDESK_PAYLOAD_KEYS"
	if cfg.PayloadEncryption == "off" {
		if list != "" || cfg.PayloadKeysFile != "" {
			return nil, errors.New("TEXTDESK_PAYLOAD_ENCRYPTION=off, yet payload keys are set: unset one or the other (turning encryption off leaves encrypted workflows unreadable)")
		}
		return nil, nil
	}
	if cfg.PayloadKeysFile != "" {
		if list != "" {
			return nil, errors.New("set TEXTDESK_PAYLOAD_KEYS or TEXTDESK_PAYLOAD_KEYS_FILE, not both")
		}
		b, err := os.ReadFile(cfg.PayloadKeysFile)
		if err != nil {
			return nil, fmt.Errorf("TEXTDESK_PAYLOAD_KEYS_FILE: %w", err)
		}
		list, source = string(b), "TEXTDESK_PAYLOAD_KEYS_FILE "+cfg.PayloadKeysFile
	}
	if list == "" {
		return nil, errors.New(`payloads sent to Temporal are encrypted and no key is set: set TEXTDESK_PAYLOAD_KEYS="<id>:<32 bytes, base64>" ` +
			`(e.g. TEXTDESK_PAYLOAD_KEYS="k1:$(openssl rand -base64 32)") or TEXTDESK_PAYLOAD_KEYS_FILE, the same in a file; ` +
			"TEXTDESK_PAYLOAD_ENCRYPTION=off runs without encryption (development only; see docs/security.md)")
	}
	keys, err := payloadcrypt.ParseKeys(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return payloadcrypt.New(keys...)
}

// EncryptPayloads sets o's data and failure converters so that every payload, error
// message and stack trace the client writes to Temporal is encrypted under cfg's keys
// (and read back through them). Every Temporal client textdesk makes goes through
// here; with encryption off it leaves o alone.
func EncryptPayloads(cfg config.Config, o *client.Options) error {
	codec, err := PayloadCodec(cfg)
	if err != nil || codec == nil {
		return err
	}
	o.DataConverter = codec.DataConverter()
	// Failure messages can quote a phone number (Twilio's "invalid To number ...").
	o.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: o.DataConverter, EncodeCommonAttributes: true,
	})
	return nil
}
