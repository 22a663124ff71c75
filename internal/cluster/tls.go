package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	tlog "go.temporal.io/sdk/log"
)

// tlsServerName is the name in the frontend's certificate that clients verify.
const tlsServerName = "temporal-frontend.cluster.local"

// EnsureCertificates makes (once) a dev CA, a frontend server certificate and a client
// certificate under dir, and returns their paths. Dev only: the CA key sits beside them.
func EnsureCertificates(dir string) (TLSFiles, error) {
	f := TLSFiles{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
		ServerName: tlsServerName,
	}
	if _, err := os.Stat(f.ClientKey); err == nil {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, err
	}
	caKey, caCert, err := newCert("textdesk cluster dev CA", nil, nil, true, nil)
	if err != nil {
		return f, err
	}
	if err := writePEM(f.CA, "CERTIFICATE", caCert.Raw, 0o644); err != nil {
		return f, err
	}
	if err := writePEM(filepath.Join(dir, "ca-key.pem"), "EC PRIVATE KEY", mustEC(caKey), 0o600); err != nil {
		return f, err
	}
	for _, leaf := range []struct {
		cn, cert, key string
		server        bool
	}{{tlsServerName, f.ServerCert, f.ServerKey, true}, {"textdesk", f.ClientCert, f.ClientKey, false}} {
		key, cert, err := newCert(leaf.cn, caCert, caKey, false, func(t *x509.Certificate) {
			if leaf.server {
				t.DNSNames = []string{tlsServerName, "localhost"}
				t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
				t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
			} else {
				t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			}
		})
		if err != nil {
			return f, err
		}
		if err := writePEM(leaf.cert, "CERTIFICATE", cert.Raw, 0o644); err != nil {
			return f, err
		}
		if err := writePEM(leaf.key, "EC PRIVATE KEY", mustEC(key), 0o600); err != nil {
			return f, err
		}
	}
	return f, nil
}

func newCert(cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool, edit func(*x509.Certificate)) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	t := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: []string{"textdesk dev"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(2, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if ca {
		t.IsCA, t.BasicConstraintsValid = true, true
		t.KeyUsage |= x509.KeyUsageCertSign
		parent, parentKey = t, key
	}
	if edit != nil {
		edit(t)
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return key, cert, err
}

func mustEC(k *ecdsa.PrivateKey) []byte {
	b, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		panic(err) // only for keys we just generated
	}
	return b
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

// clientConfig is a TLS client configuration with the client certificate, trusting
// only the cluster's CA.
func (t TLSFiles) clientConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
	if err != nil {
		return nil, fmt.Errorf("cluster: client certificate: %w", err)
	}
	caPEM, err := os.ReadFile(t.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("cluster: no certificate in " + t.CA)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: t.ServerName, MinVersion: tls.VersionTLS12}, nil
}

func quietLogger() tlog.Logger { return tlog.NewStructuredLogger(slog.New(slog.DiscardHandler)) }
