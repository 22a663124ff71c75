package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/textdesk/textdesk/config"
	"github.com/textdesk/textdesk/internal/searchattrs"
)

// TestMigrateRegistersSearchAttributes: on a namespace without them, api and worker
// refuse to start naming the missing search attributes; migrate adds them (and
// running it again changes nothing); then the check passes.
func TestMigrateRegistersSearchAttributes(t *testing.T) {
	needEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := fmt.Sprintf("migrate-%d", time.Now().UnixNano())
	c, err := client.DialContext(ctx, client.Options{HostPort: env.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for { // a new namespace takes a moment to be served
		if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err == nil {
			break
		} else if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cfg := workerConfig(t, "migrate")
	cfg.TemporalNamespace = ns
	log := slog.New(slog.DiscardHandler)

	err = RunWorker(ctx, cfg, log)
	var missing *searchattrs.MissingError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "ConversationStatus") || !strings.Contains(err.Error(), "temporal operator search-attribute create --namespace "+ns) {
		t.Fatalf("worker on a namespace without the search attributes: %v; want refused, naming them and the command", err)
	}
	for range 2 {
		if err := Migrate(ctx, cfg, log, MigrateOptions{}); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	if err := requireSearchAttributes(ctx, c, ns); err != nil {
		t.Errorf("after migrate: %v", err)
	}
}

// refusingOperator is a frontend whose operator API refuses search attributes, as
// Temporal Cloud's does.
type refusingOperator struct {
	operatorservice.UnimplementedOperatorServiceServer
}

func (refusingOperator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest) (*operatorservice.ListSearchAttributesResponse, error) {
	return &operatorservice.ListSearchAttributesResponse{}, nil
}

func (refusingOperator) AddSearchAttributes(context.Context, *operatorservice.AddSearchAttributesRequest) (*operatorservice.AddSearchAttributesResponse, error) {
	return nil, serviceerror.ToStatus(serviceerror.NewPermissionDenied("Request unauthorized.", "")).Err()
}

// TestMigrateWhereSearchAttributesAreRefused: migrate says which commands add them and
// fails, unless told to skip them.
func TestMigrateWhereSearchAttributesAreRefused(t *testing.T) {
	needEnv(t)
	srv := grpc.NewServer()
	workflowservice.RegisterWorkflowServiceServer(srv, &systemInfoServer{auth: make(chan []string, 1)})
	operatorservice.RegisterOperatorServiceServer(srv, refusingOperator{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	cfg := config.Config{DatabaseURL: env.DatabaseURL, TemporalAddress: ln.Addr().String(), TemporalNamespace: "acme.a1b2c"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.DiscardHandler)

	err = Migrate(ctx, cfg, log, MigrateOptions{})
	if err == nil {
		t.Fatal("migrate succeeded; want refused")
	}
	for _, want := range []string{"refused", "tcld namespace search-attributes add --namespace acme.a1b2c", "--search-attribute ConversationStatus=Keyword",
		"temporal operator search-attribute create --namespace acme.a1b2c", "--skip-search-attributes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if err := Migrate(ctx, cfg, log, MigrateOptions{SkipSearchAttributes: true}); err != nil {
		t.Errorf("migrate --skip-search-attributes: %v", err)
	}
}
