// Package statkit is the root of the statkit module: an open, spec-driven real-time
// statistics server for contact centers. See README.md.
//
// Running `go generate ./...` here regenerates generated/ and docs/ from spec/.
package statkit

//go:generate go run ./tools/statgen -write
