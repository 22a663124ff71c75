// Package web holds the agent console's built assets (web/public, produced by `make web`),
// embedded into the binary so the api process serves the console with no other files.
// A fresh clone compiles without a build: public/ then holds only .gitkeep, and Built
// reports false so the api can say how to build it.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:public
var public embed.FS

// Dist is the built console (web/public): index.html, assets/ and their .gz copies.
func Dist() fs.FS {
	sub, err := fs.Sub(public, "public")
	if err != nil {
		panic(err) // the directory is embedded by the directive above
	}
	return sub
}

// Built reports whether the console has been built into the binary.
func Built() bool {
	_, err := fs.Stat(Dist(), "index.html")
	return err == nil
}
