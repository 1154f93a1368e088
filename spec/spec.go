// Package spec embeds statkit's source of truth: the Stat Server action table and the
// object, status and category models as YAML, with a JSON Schema for each file.
//
// The generator (package gen) reads these files; nothing else should. Edit the YAML and run
// `go generate ./...` to regenerate the Go tables in generated/ and the reference in docs/.
package spec

import "embed"

// Files holds the spec YAML files and their schemas (schema/*.schema.json).
//
//go:embed *.yaml schema/*.schema.json
var Files embed.FS

// The spec files, in the order the generator loads them.
const (
	ObjectsFile    = "objects.yaml"
	ActionsFile    = "actions.yaml"
	StatusesFile   = "statuses.yaml"
	CategoriesFile = "categories.yaml"
)

// Names lists the spec files in load order.
func Names() []string {
	return []string{ObjectsFile, ActionsFile, StatusesFile, CategoriesFile}
}

// SchemaFor returns the path in Files of the JSON Schema for a spec file name.
func SchemaFor(file string) string {
	return "schema/" + file[:len(file)-len(".yaml")] + ".schema.json"
}
