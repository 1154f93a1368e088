package event

import (
	"testing"

	"github.com/statkit/statkit/generated/action"
)

// TestDesignExamples decodes the two example lines of DESIGN.md §3 verbatim. The second
// gives the variant "Mediation DNs" for CallAbandoned, which has a single row: a variant
// that only names the source class is accepted.
func TestDesignExamples(t *testing.T) {
	first := mustDecode(t, `{"time":"2026-11-26T09:00:03.250Z","action":"CallInbound","phase":"start",
 "source":{"class":"regular_dn","id":"7001"},"interaction":"c-42","media":"voice",
 "agent":"1001","data":{"Segment":"Gold"}}`, withTopo)
	if first.Action != action.CallInbound || first.Phase != PhaseStart || first.Time != Time(1795683603250) {
		t.Fatalf("first example decoded as %+v", first)
	}
	if v, _ := first.Data.Get("Segment"); v != "Gold" {
		t.Fatalf("Segment = %q, want Gold", v)
	}
	second := mustDecode(t, `{"time":"2026-11-26T09:00:15Z","action":"CallAbandoned","variant":"Mediation DNs",
 "source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":"c-43","duration":12.4}`, withTopo)
	if second.Action != action.CallAbandoned || second.Duration != 12_400 {
		t.Fatalf("second example decoded as %+v", second)
	}
}
