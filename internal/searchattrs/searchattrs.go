// Package searchattrs registers and checks the custom search attributes textdesk's
// workflows set (workflows.SearchAttributes) on a Temporal namespace. migrate
// registers them; api and worker refuse to start without them; the dev stack and the
// tests use it too.
package searchattrs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Parse validates names and type names (Keyword, KeywordList, Text, Int, Datetime,
// Bool, Double; case-insensitively, as the CLI takes them).
func Parse(m map[string]string) (map[string]enumspb.IndexedValueType, error) {
	out := make(map[string]enumspb.IndexedValueType, len(m))
	for name, typ := range m {
		if name == "" || strings.ContainsAny(name, "= \t") {
			return nil, fmt.Errorf("invalid search attribute name %q", name)
		}
		var found enumspb.IndexedValueType
		for short, v := range enumspb.IndexedValueType_shorthandValue {
			if v != 0 && strings.EqualFold(short, typ) {
				found = enumspb.IndexedValueType(v)
			}
		}
		if found == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return nil, fmt.Errorf("search attribute %s: unknown type %q (want Keyword, KeywordList, Text, Int, Datetime, Bool or Double)", name, typ)
		}
		out[name] = found
	}
	return out, nil
}

// TypeError: an attribute exists with another type. Waiting or re-registering does
// not fix it.
type TypeError struct {
	Name      string
	Got, Want enumspb.IndexedValueType
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("search attribute %s is registered as %s, not %s (an existing database keeps the old type: remove it or rename the attribute)",
		e.Name, ShortType(e.Got), ShortType(e.Want))
}

// ShortType is the CLI's name of t (Keyword, Int, ...).
func ShortType(t enumspb.IndexedValueType) string {
	for name, v := range enumspb.IndexedValueType_shorthandValue {
		if enumspb.IndexedValueType(v) == t {
			return name
		}
	}
	return t.String()
}

// Missing returns the wanted attributes have lacks, sorted; a *TypeError if one has
// another type.
func Missing(have, want map[string]enumspb.IndexedValueType) ([]string, error) {
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		got, ok := have[name]
		if !ok {
			missing = append(missing, name)
		} else if got != want[name] {
			return nil, &TypeError{Name: name, Got: got, Want: want[name]}
		}
	}
	return missing, nil
}

// List returns the namespace's custom search attributes. Where the operator API is
// refused (Temporal Cloud API keys may not list), it falls back to DescribeNamespace,
// whose aliases name the attributes but not their types (reported as want's).
func List(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) (map[string]enumspb.IndexedValueType, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err == nil {
		return resp.GetCustomAttributes(), nil
	}
	if !refused(err) {
		return nil, fmt.Errorf("list the search attributes of namespace %s: %w", namespace, err)
	}
	desc, derr := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if derr != nil {
		return nil, fmt.Errorf("list the search attributes of namespace %s: %w (and describe it: %w)", namespace, err, derr)
	}
	have := map[string]enumspb.IndexedValueType{}
	for _, name := range desc.GetConfig().GetCustomSearchAttributeAliases() {
		have[name] = want[name]
	}
	return have, nil
}

// Require fails, naming what is missing and how to add it, unless namespace has every
// attribute of want (with its type, where the server says).
func Require(ctx context.Context, c client.Client, namespace string, want map[string]string) error {
	w, err := Parse(want)
	if err != nil {
		return err
	}
	have, err := List(ctx, c, namespace, w)
	if err != nil {
		return err
	}
	missing, err := Missing(have, w)
	if err != nil {
		return fmt.Errorf("Temporal namespace %s: %w", namespace, err)
	}
	if len(missing) > 0 {
		return &MissingError{Namespace: namespace, Missing: missing, Want: w}
	}
	return nil
}

// MissingError: the namespace lacks search attributes textdesk's workflows set.
type MissingError struct {
	Namespace string
	Missing   []string
	Want      map[string]enumspb.IndexedValueType
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("Temporal namespace %s lacks textdesk's search attributes %s: run `textdesk migrate` with credentials that may add them, or:\n%s",
		e.Namespace, strings.Join(e.Missing, ", "), Commands(e.Namespace, e.Missing, e.Want))
}

// RefusedError: the credentials may not add search attributes (Temporal Cloud, or a
// role without operator rights).
type RefusedError struct {
	MissingError
	Err error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("Temporal refused to add search attributes %s to namespace %s (%v). Add them with:\n%s",
		strings.Join(e.Missing, ", "), e.Namespace, e.Err, Commands(e.Namespace, e.Missing, e.Want))
}

func (e *RefusedError) Unwrap() error { return e.Err }

// Commands are the CLI commands that add missing to namespace: tcld on Temporal
// Cloud, the temporal CLI elsewhere (one command per attribute: that CLI pairs each
// --name with its own --type and silently drops names without one).
func Commands(namespace string, missing []string, want map[string]enumspb.IndexedValueType) string {
	var b strings.Builder
	b.WriteString("  Temporal Cloud:  tcld namespace search-attributes add --namespace " + namespace)
	for _, name := range missing {
		fmt.Fprintf(&b, " --search-attribute %s=%s", name, ShortType(want[name]))
	}
	for _, name := range missing {
		fmt.Fprintf(&b, "\n  self-hosted:     temporal operator search-attribute create --namespace %s --name %s --type %s", namespace, name, ShortType(want[name]))
	}
	return b.String()
}

// refused: the server will not let these credentials do it (or does not implement it).
func refused(err error) bool {
	var denied *serviceerror.PermissionDenied
	var unimpl *serviceerror.Unimplemented
	return errors.As(err, &denied) || errors.As(err, &unimpl)
}

// Ensure registers the attributes of want that namespace lacks and waits (until ctx
// ends) until they are listed. It is idempotent. A *RefusedError says the credentials
// may not; a *TypeError that one exists with another type.
func Ensure(ctx context.Context, c client.Client, namespace string, want map[string]string) error {
	w, err := Parse(want)
	if err != nil {
		return err
	}
	added := false
	wait := 20 * time.Millisecond
	for {
		have, err := List(ctx, c, namespace, w)
		if err != nil {
			return err
		}
		missing, err := Missing(have, w)
		if err != nil {
			return fmt.Errorf("Temporal namespace %s: %w", namespace, err)
		}
		if len(missing) == 0 {
			return nil
		}
		if !added {
			add := map[string]enumspb.IndexedValueType{}
			for _, name := range missing {
				add[name] = w[name]
			}
			_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: add})
			var exists *serviceerror.AlreadyExists
			switch {
			case refused(err):
				return &RefusedError{MissingError: MissingError{Namespace: namespace, Missing: missing, Want: w}, Err: err}
			case err != nil && !errors.As(err, &exists):
				return fmt.Errorf("add search attributes to namespace %s: %w", namespace, err)
			}
			added = true
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s: search attributes %s still not listed: %w", namespace, strings.Join(missing, ", "), ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*3/2, 250*time.Millisecond)
	}
}
