package config_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/runtime/config"
)

// TestUnknownNamesSuggest: a misspelt name gets a "did you mean" with the name meant; a
// name near nothing gets none.
func TestUnknownNamesSuggest(t *testing.T) {
	t.Parallel()
	doc := `topology:
  dns: [{id: "Q@SW1", type: ACDQueue}, {id: "7001", type: Extension}]
statTypes:
  CallsAnswered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed]}
  Typos: {objects: [Queu], category: TotalNumbr, subject: DNActon, mainMask: [CallDistributd, "CallAnswered (Mediation DN)", Teleported]}
timeProfiles:
  Last15: {type: Sliding, window: 900, step: 60}
timeRanges: {SL20: "0-20"}
filters: {Gold: 'media == "voice"'}
statistics:
  - {id: a, statType: CallsAnswerd, object: {type: Queue, id: "Q@SW1"}, profile: Last51}
  - {id: b, statType: CallsAnswered, object: {type: Queue, id: "Q@SW1"}, profile: Defualt, filter: Gld}
  - {id: c, statType: Revenue, object: {type: Queue, id: "Q@SW1"}, profile: Monthly}
`
	got := loadErrors(t, doc, config.Options{})
	for _, want := range []string{
		`unknown object type "Queu" (did you mean "Queue"?)`,
		`unknown category "TotalNumbr" (did you mean "TotalNumber"?)`,
		`unknown subject "DNActon" (did you mean "DNAction"?)`,
		`unknown action "CallDistributd" (did you mean "CallDistributed"?)`,
		`unknown action "CallAnswered (Mediation DN)" (did you mean "CallAnswered (Mediation DNs)"?)`,
		`unknown action "Teleported"`,
		`unknown stat type "CallsAnswerd" (did you mean "CallsAnswered"?)`,
		`unknown time profile "Last51" (did you mean "Last15"?)`,
		`unknown time profile "Defualt" (did you mean "Default"?)`,
		`unknown filter "Gld" (did you mean "Gold"?)`,
		`unknown stat type "Revenue"`,
		`unknown time profile "Monthly"`,
	} {
		found := false
		for _, e := range got {
			if strings.Contains(e, want) {
				found = true
			}
		}
		assert.True(t, found, "no error %q in\n%s", want, strings.Join(got, "\n"))
	}
	for _, e := range got {
		if strings.Contains(e, `"Teleported"`) || strings.Contains(e, `"Revenue"`) || strings.Contains(e, `"Monthly"`) {
			assert.NotContains(t, e, "did you mean", "nothing is near")
		}
	}
}
