// Package eventtest checks implementations of the event package's interfaces, for the
// tests of the packages that implement them.
package eventtest

import (
	"testing"

	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/runtime/event"
)

// CheckSourceResolver checks that r.ResolveSource answers, for every source class (and
// ClassNone) and each of ids, what the decoder's reference path asks of Known and
// DNType: known is Known(class, id), and the DN type is DNType(id) when id is known and
// a DN whose type is of that class, DNNone otherwise.
func CheckSourceResolver(t testing.TB, r event.SourceResolver, ids []string) {
	t.Helper()
	for _, class := range append(object.AllSourceClasses(), object.ClassNone) {
		for _, id := range ids {
			wantKnown := r.Known(class, id)
			wantDN := object.DNNone
			if dt, ok := r.DNType(id); wantKnown && ok && dt.Class() == class {
				wantDN = dt
			}
			dn, known := r.ResolveSource(class, id)
			if known != wantKnown || dn != wantDN {
				t.Errorf("ResolveSource(%s, %q) = %v, %v; want %v, %v", class, id, dn, known, wantDN, wantKnown)
			}
		}
	}
}
