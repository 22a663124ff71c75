package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route of Handler; e2e tests validate real requests
// and answers against it, and api/openapi_test.go checks it lists exactly the routes.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// openAPI: GET /openapi.yaml — the OpenAPI 3.0 description of this API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIDocument)
}
