package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/testenv"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a leaf certificate for name (a server's DNS name, or a client's common
// name) and returns its PEM certificate and key.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mtlsProxy terminates TLS in front of the dev server (which speaks plain gRPC only),
// requiring a client certificate signed by ca, as a cluster with mTLS does.
func mtlsProxy(t *testing.T, ca *testCA, serverName, backend string) string {
	t.Helper()
	certPEM, keyPEM := ca.issue(t, serverName, x509.ExtKeyUsageServerAuth)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool,
		NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) { mu.Lock(); conns = append(conns, c); mu.Unlock() }
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			track(in)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer in.Close()
				// The handshake (and its client-certificate check) happens here, not at Accept.
				if err := in.(*tls.Conn).Handshake(); err != nil {
					// With TLS 1.3 the client's handshake ends before ours, and it writes
					// at once: read until it closes (after reading our alert), so it sees
					// the alert rather than a broken pipe.
					raw := in.(*tls.Conn).NetConn()
					_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, _ = io.Copy(io.Discard, raw)
					return
				}
				out, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				track(out)
				defer out.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
				go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

// temporalEnv clears the Temporal client variables a developer's shell may have set,
// then sets vars, so FromEnv reads only what the test says.
func temporalEnv(t *testing.T, vars map[string]string) config.Config {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEMPORAL_") && k != "TEMPORAL_CLI" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	cfg.PayloadKeys = testenv.PayloadKeys
	return cfg
}

// TestTemporalMutualTLS: the TEMPORAL_TLS_* variables make a client that passes an
// mTLS cluster's checks; no client certificate, or the wrong CA, fail at start with
// an error that says why.
func TestTemporalMutualTLS(t *testing.T) {
	needEnv(t)
	dir := t.TempDir()
	ca := newTestCA(t, "textdesk test CA")
	const serverName = "temporal.textdesk.test"
	proxy := mtlsProxy(t, ca, serverName, env.TemporalAddress)
	clientCert, clientKey := ca.issue(t, "textdesk-worker", x509.ExtKeyUsageClientAuth)
	certPath, keyPath := writeFile(t, dir, "client.pem", clientCert), writeFile(t, dir, "client.key", clientKey)
	caPath := writeFile(t, dir, "ca.pem", ca.pem)
	wrongCAPath := writeFile(t, dir, "wrong-ca.pem", newTestCA(t, "someone else's CA").pem)
	log := slog.New(slog.DiscardHandler)

	base := map[string]string{"TEMPORAL_ADDRESS": proxy, "TEMPORAL_NAMESPACE": env.Namespace, "TEMPORAL_TLS_SERVER_NAME": serverName}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}

	t.Run("client certificate", func(t *testing.T) {
		cfg := temporalEnv(t, with(map[string]string{
			"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath, "TEMPORAL_TLS_CLIENT_KEY_PATH": keyPath,
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH": caPath,
		}))
		if cfg.TemporalAddress != proxy || cfg.TemporalNamespace != env.Namespace {
			t.Fatalf("config: address %q namespace %q", cfg.TemporalAddress, cfg.TemporalNamespace)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := DialTemporal(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "tls-probe-" + t.Name(), TaskQueue: "tls-probe-nobody-polls"}, "TLSProbe")
		if err != nil {
			t.Fatalf("start a workflow over mTLS: %v", err)
		}
		defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), run.GetRunID(), "test done") }()
		desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			t.Fatalf("describe over mTLS: %v", err)
		}
		if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t.Errorf("status %v, want running", st)
		}
	})

	refused := func(t *testing.T, cfg config.Config, want ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		c, err := DialTemporal(ctx, cfg, log)
		if err == nil {
			c.Close()
			t.Fatal("connected; want refused")
		}
		t.Logf("refused after %s: %v", time.Since(start).Round(time.Millisecond), err)
		for _, w := range append([]string{"connect to Temporal at " + proxy}, want...) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
	t.Run("no client certificate", func(t *testing.T) {
		refused(t, temporalEnv(t, with(map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": caPath})), "(namespace "+env.Namespace+", TLS)", "certificate required")
	})
	t.Run("wrong CA", func(t *testing.T) {
		refused(t, temporalEnv(t, with(map[string]string{
			"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath, "TEMPORAL_TLS_CLIENT_KEY_PATH": keyPath,
			"TEMPORAL_TLS_SERVER_CA_CERT_PATH": wrongCAPath,
		})), "mTLS", "certificate signed by unknown authority")
	})
	t.Run("unreadable client key", func(t *testing.T) {
		cfg := temporalEnv(t, with(map[string]string{
			"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath, "TEMPORAL_TLS_CLIENT_KEY_PATH": filepath.Join(dir, "missing.key"),
		}))
		_, err := DialTemporal(context.Background(), cfg, log)
		if err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS_") || !strings.Contains(err.Error(), "missing.key") {
			t.Errorf("err = %v; want the setting and the file named", err)
		}
	})
}

// systemInfoServer answers GetSystemInfo (what dialing calls first) and records the
// authorization header it got.
type systemInfoServer struct {
	workflowservice.UnimplementedWorkflowServiceServer
	auth chan []string
}

func (s *systemInfoServer) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	select {
	case s.auth <- md.Get("authorization"):
	default:
	}
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// TestTemporalAPIKey: TEMPORAL_API_KEY is sent as a bearer token, over TLS (as
// Temporal Cloud wants), with the server CA given inline (TEMPORAL_TLS_SERVER_CA_CERT_DATA).
func TestTemporalAPIKey(t *testing.T) {
	ca := newTestCA(t, "textdesk test CA")
	const serverName = "cloud.textdesk.test"
	certPEM, keyPEM := ca.issue(t, serverName, x509.ExtKeyUsageServerAuth)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	fake := &systemInfoServer{auth: make(chan []string, 1)}
	workflowservice.RegisterWorkflowServiceServer(srv, fake)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)

	cfg := temporalEnv(t, map[string]string{
		"TEMPORAL_ADDRESS": ln.Addr().String(), "TEMPORAL_API_KEY": "test-api-key-123",
		"TEMPORAL_TLS_SERVER_CA_CERT_DATA": string(ca.pem), "TEMPORAL_TLS_SERVER_NAME": serverName,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := DialTemporal(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case got := <-fake.auth:
		if len(got) != 1 || got[0] != "Bearer test-api-key-123" {
			t.Errorf("authorization = %q, want the API key as a bearer token", got)
		}
	default:
		t.Fatal("the server got no GetSystemInfo call")
	}
}
