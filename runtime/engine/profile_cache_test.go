package engine

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
)

// TestGrowingBoundsCache: the interval a profile caches is the one computed afresh for
// every instant inside it, across daylight-saving changes, skipped days and odd zones,
// with time going forward in small and large steps and occasionally back.
func TestGrowingBoundsCache(t *testing.T) {
	zones := []string{"UTC", "Europe/Paris", "America/Sao_Paulo", "Australia/Lord_Howe",
		"Pacific/Apia", "America/St_Johns", "Africa/Casablanca", "America/Santiago",
		"Antarctica/Troll", "Europe/Dublin", "America/Havana", "Asia/Gaza", "Pacific/Kiritimati"}
	if testing.Short() {
		zones = []string{"Europe/Paris", "Pacific/Apia", "America/Havana"}
	}
	profiles := []config.TimeProfile{
		{Resets: []time.Duration{0}},
		{Resets: []time.Duration{2*time.Hour + 30*time.Minute}},
		{Resets: []time.Duration{23*time.Hour + 45*time.Minute}},
		{Period: 15 * time.Minute},
		{Resets: []time.Duration{30 * time.Minute}, Period: 15 * time.Minute},
		{Resets: []time.Duration{8 * time.Hour, 12*time.Hour + 30*time.Minute}, Period: 2 * time.Hour},
	}
	// 2011 has Apia's skipped 30 December and midnight changes in Sao Paulo and Havana.
	from := event.TimeOf(time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC))
	to := event.TimeOf(time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		require.NoError(t, err)
		for pi, p := range profiles {
			p.Type, p.Location = config.ProfileGrowing, loc
			g := newGrowing(&p)
			r := rand.New(rand.NewPCG(uint64(pi), 7))
			for tt := from; tt < to; {
				s, e := g.bounds(tt)
				ws, we := g.compute(tt)
				if s != ws || e != we {
					t.Fatalf("%s profile %d at %v: cached [%v, %v), computed [%v, %v)", z, pi, tt, s, e, ws, we)
				}
				switch k := r.IntN(10); {
				case k < 3:
					tt = e // exactly the next reset
				case k < 4:
					tt = e - 1
				case k < 5:
					tt -= event.Time(r.Int64N(int64(6 * time.Hour / time.Millisecond)))
				default:
					tt += event.Time(r.Int64N(int64(8 * time.Hour / time.Millisecond)))
				}
			}
		}
	}
}
