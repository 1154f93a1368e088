package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/statkit/statkit/internal/yamlpos"
	"github.com/statkit/statkit/runtime/config"
)

// wholeDoc as FuzzLoad's line means that text is the whole document.
const wholeDoc = 0xFFFF

// FuzzLoad checks that Load never panics and that every failure is a non-empty
// yamlpos.List naming the document. An input is either a whole document (line ==
// wholeDoc) or one replaced line of testdata/example.yaml, so that inputs stay small
// (quick to minimize) while still reaching the semantic checks behind a valid config.
func FuzzLoad(f *testing.F) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	example := strings.Split(string(data), "\n")
	for i, l := range example { // the example itself, then one broken line at a time
		f.Add(uint16(i), l)
	}
	for _, edit := range []struct {
		line int
		text string
	}{
		{lineOf(f, example, "mainMask: [CallDistributed]}"), strings.Replace(example[lineOf(f, example, "mainMask: [CallDistributed]}")], "CallDistributed", "WaitForNextCall", 1)},
		{lineOf(f, example, "Last15:"), "  Last15: {type: Sliding, window: 901, step: 60}"},
		{lineOf(f, example, "timeRanges:"), `timeRanges: {SL20: "20-0"}`},
		{lineOf(f, example, "Quarter:"), "  Quarter: {type: Growing, reset: [\"00:00\"], timezone: Mars/Olympus}"},
		{lineOf(f, example, "AgentState:"), "  AgentState: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ['*', '~LoggedOut']}"},
		{lineOf(f, example, "Last10:"), "  Last10: {type: Sliding, window: 1e300, step: 1e-300}"},
		{lineOf(f, example, "id: sl,"), "  - {id: sl, statType: ServiceLevel, object: {type: Queue, id: \"Support@SW1\"}, profile: Shift, notification: {mode: reset}}"},
		{lineOf(f, example, "places: [{id: P1}"), "  places: &p [{id: P1}, {id: P2}, *p]"},
	} {
		f.Add(uint16(edit.line), edit.text)
	}
	for _, doc := range []string{
		"{}",
		"- [",
		"x: &x [*x]\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c, *c]\n",
		"topology: &t {dns: [{id: \"1\", type: Extension}]}\nstatTypes: {A: {objects: [*t]}}\n",
		"topology: {tenants: [a, a], agents: [{id: 1, tenant: b}], groups: {agents: {G: {members: [1, 2]}}}}\n",
		"timeRanges: {R: \"0.5-1.25\", S: \"x\"}\nfilters: {F: ' '}\n",
	} {
		f.Add(uint16(wholeDoc), doc)
	}
	f.Fuzz(func(t *testing.T, line uint16, text string) {
		doc := text
		if int(line) < len(example) {
			lines := append([]string(nil), example...)
			lines[line] = text
			doc = strings.Join(lines, "\n")
		}
		c, err := config.Load(file, strings.NewReader(doc))
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			if _, ok := c.Profile(config.DefaultProfileName); !ok {
				t.Fatal("no Default profile")
			}
			return
		}
		var list yamlpos.List
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("want a non-empty yamlpos.List, got %T: %v", err, err)
		}
		for _, e := range list {
			if e.File != file || e.Msg == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
	})
}

// lineOf returns the index of the first line containing s.
func lineOf(f *testing.F, lines []string, s string) int {
	for i, l := range lines {
		if strings.Contains(l, s) {
			return i
		}
	}
	f.Fatalf("%q not in the example", s)
	return 0
}
