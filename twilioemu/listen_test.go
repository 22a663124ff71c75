package twilioemu_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/textdesk/textdesk/twilioemu"
)

func TestListenAndServe(t *testing.T) {
	// Reserve a free port, then hand it to ListenAndServe.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	emu := twilioemu.New(twilioemu.Config{
		AccountSID: testAccount, AuthToken: testToken,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	defer emu.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- emu.ListenAndServe(ctx, addr) }()

	waitFor(t, "healthz", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after cancel")
	}
}
