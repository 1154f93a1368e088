// Package spec embeds statkit's source of truth: the Stat Server action table and the
// object, status and category models as YAML, with a JSON Schema for each file, and the
// handwritten bases of the config file's and the event's JSON Schemas
// (schema/config.base.schema.json, schema/event.base.schema.json), into which the generator
// fills the names of the spec to write docs/config.schema.json and docs/event.schema.json.
//
// The generator (package gen) reads these files; nothing else should. Edit the YAML and run
// `go generate ./...` to regenerate the Go tables in generated/ and the reference in docs/.
package spec

import "embed"

// Files holds the spec YAML files, their schemas, the config schema's base
// (schema/*.schema.json) and the source mappings (sources/*.yaml).
//
//go:embed *.yaml schema/*.schema.json sources/*.yaml
var Files embed.FS

// The spec files, in the order the generator loads them.
const (
	ObjectsFile    = "objects.yaml"
	ActionsFile    = "actions.yaml"
	StatusesFile   = "statuses.yaml"
	CategoriesFile = "categories.yaml"
)

// SourcesDir is the directory in Files of the source mappings, one file per input format
// (sources/<format>.yaml), all validated by SourcesSchema.
const SourcesDir = "sources"

// SourcesSchema is the path in Files of the source mappings' JSON Schema.
const SourcesSchema = "schema/sources.schema.json"

// ConfigBaseSchema is the path in Files of the config schema's handwritten base.
const ConfigBaseSchema = "schema/config.base.schema.json"

// EventBaseSchema is the path in Files of the event schema's handwritten base: the wire
// fields of one event, described, into which the generator fills the spec's names
// (docs/event.schema.json; docs/events.md renders the same descriptions).
const EventBaseSchema = "schema/event.base.schema.json"

// Names lists the spec files in load order.
func Names() []string {
	return []string{ObjectsFile, ActionsFile, StatusesFile, CategoriesFile}
}

// SchemaFor returns the path in Files of the JSON Schema for a spec file name.
func SchemaFor(file string) string {
	return "schema/" + file[:len(file)-len(".yaml")] + ".schema.json"
}
