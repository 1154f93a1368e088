package event

import (
	"errors"
	"fmt"
)

// Event times on the wire are RFC 3339 date-times: YYYY-MM-DDTHH:MM:SS, an optional
// fraction of a second (any number of digits; digits below the millisecond are truncated),
// and Z or a ±HH:MM offset. The T and Z are upper case, the separator of the fraction is a
// dot, and leap seconds (second 60) are refused, as time.Parse does. The instant must fall in
// years 0000–9999 in UTC, so that its canonical form is RFC 3339 too.

// MinTime and MaxTime bound the event times statkit accepts: 0000-01-01T00:00:00.000Z and
// 9999-12-31T23:59:59.999Z.
const (
	MinTime Time = -62167219200000
	MaxTime Time = 253402300799999
)

// MaxDuration is the longest duration, in milliseconds, that an event may carry: the span
// from MinTime to MaxTime, so that Time − duration never overflows.
const MaxDuration = int64(MaxTime - MinTime)

// errTimeSyntax is the cause of a time that does not have the RFC 3339 shape.
var errTimeSyntax = errors.New("want RFC 3339, e.g. 2026-11-26T09:00:03.250Z or 2026-11-26T11:00:03+02:00")

// fracMillis reads the optional fraction of a second at s[i:] (a dot and at least one
// digit; digits after the third are truncated) as milliseconds, and returns where the
// text after it starts; false for a dot without digits.
func fracMillis[T string | []byte](s T, i int) (ms int64, next int, ok bool) {
	if i >= len(s) || s[i] != '.' {
		return 0, i, true
	}
	i++
	start := i
	for i < len(s) && isDigit(s[i]) {
		if i-start < 3 {
			ms = ms*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, i, false
	}
	for n := i - start; n < 3; n++ {
		ms *= 10
	}
	return ms, i, true
}

// ParseTime parses an RFC 3339 date-time into a Time (see the rules above). It does not
// allocate unless it fails.
func ParseTime(s string) (Time, error) {
	const base = len("2006-01-02T15:04:05")
	if len(s) < base+1 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, errTimeSyntax
	}
	year, ok1 := atoiN(s[0:4])
	month, ok2 := atoiN(s[5:7])
	day, ok3 := atoiN(s[8:10])
	hour, ok4 := atoiN(s[11:13])
	minute, ok5 := atoiN(s[14:16])
	sec, ok6 := atoiN(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, errTimeSyntax
	}
	ms, i, ok := fracMillis(s, base)
	if !ok {
		return 0, errTimeSyntax
	}
	offset, err := parseOffset(s[i:])
	if err != nil {
		return 0, err
	}
	if err := checkFields(year, month, day, hour, minute, sec); err != nil {
		return 0, err
	}
	secs := daysFromCivil(int64(year), month, day)*86400 + int64(hour*3600+minute*60+sec) - offset
	t := Time(secs*1000 + ms)
	if t < MinTime || t > MaxTime {
		return 0, errors.New("out of range: the instant must be in years 0000-9999 in UTC")
	}
	return t, nil
}

// parseOffset parses the zone suffix "Z" or "±HH:MM" into seconds east of UTC.
func parseOffset(s string) (int64, error) {
	if s == "Z" {
		return 0, nil
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, errTimeSyntax
	}
	h, ok1 := atoiN(s[1:3])
	m, ok2 := atoiN(s[4:6])
	if !ok1 || !ok2 {
		return 0, errTimeSyntax
	}
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("zone offset %s out of range", s)
	}
	off := int64(h*3600 + m*60)
	if s[0] == '-' {
		off = -off
	}
	return off, nil
}

// checkFields checks the ranges of the date and time fields.
func checkFields(year, month, day, hour, minute, sec int) error {
	switch {
	case month < 1 || month > 12:
		return fmt.Errorf("month %d out of range", month)
	case day < 1 || day > daysIn(year, month):
		return fmt.Errorf("day %d out of range for %04d-%02d", day, year, month)
	case hour > 23:
		return fmt.Errorf("hour %d out of range", hour)
	case minute > 59:
		return fmt.Errorf("minute %d out of range", minute)
	case sec > 59:
		return fmt.Errorf("second %d out of range", sec)
	}
	return nil
}

// atoiN parses a string of decimal digits only.
func atoiN(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// daysIn returns the number of days in a month of the proleptic Gregorian calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date (Howard
// Hinnant's algorithm; valid for years ≥ 0 here).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// appendTime appends t (which must be in [MinTime, MaxTime]) in its canonical form,
// 2006-01-02T15:04:05.000Z, the same text as Time.String.
func appendTime(buf []byte, t Time) []byte {
	ms := int64(t)
	days := floorDiv(ms, 86_400_000)
	rem := ms - days*86_400_000
	y, m, d := civilFromDays(days)
	buf = appendDigits(buf, int(y), 4)
	buf = append(buf, '-')
	buf = appendDigits(buf, m, 2)
	buf = append(buf, '-')
	buf = appendDigits(buf, d, 2)
	buf = append(buf, 'T')
	buf = appendDigits(buf, int(rem/3_600_000), 2)
	buf = append(buf, ':')
	buf = appendDigits(buf, int(rem/60_000%60), 2)
	buf = append(buf, ':')
	buf = appendDigits(buf, int(rem/1000%60), 2)
	buf = append(buf, '.')
	buf = appendDigits(buf, int(rem%1000), 3)
	return append(buf, 'Z')
}

// appendDigits appends v (≥ 0) zero-padded to width digits.
func appendDigits(buf []byte, v, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || width > 0 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(buf, tmp[i:]...)
}
