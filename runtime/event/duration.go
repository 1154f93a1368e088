package event

import (
	"errors"
	"strconv"
)

// Durations on the wire are JSON numbers of seconds. They are converted to milliseconds
// exactly from the decimal literal (no floating point: 12.4 is 12400 ms), truncating digits
// below the millisecond (0.0019 is 1 ms). Negative values and values above MaxDuration are
// refused; -0 is 0.

var (
	errNegative = errors.New("is negative")
	errTooLarge = errors.New("is too large")
)

// parseDurationMillis converts a JSON number literal of seconds (already checked by the
// scanner) into milliseconds.
func parseDurationMillis(lit string) (int64, error) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	mant, exp := lit, int64(0)
	if i := indexExp(lit); i >= 0 {
		mant, exp = lit[:i], parseExp(lit[i+1:])
	}
	intPart, frac := mant, ""
	for i := 0; i < len(mant); i++ {
		if mant[i] == '.' {
			intPart, frac = mant[:i], mant[i+1:]
			break
		}
	}
	// The value is D × 10^(exp − len(frac)) seconds, where D is the digits of intPart and
	// frac without leading zeros; in milliseconds the exponent is 3 higher.
	shift := exp - int64(len(frac)) + 3
	intPart = trimLeadingZeros(intPart)
	if intPart == "" {
		frac = trimLeadingZeros(frac) // dropping leading zeros keeps the scale in shift
	}
	n := int64(len(intPart) + len(frac))
	if n == 0 {
		return 0, nil
	}
	if neg {
		return 0, errNegative
	}
	keep := n // digits of D kept after truncation below the millisecond
	if shift < 0 {
		keep, shift = n+shift, 0
		if keep <= 0 {
			return 0, nil
		}
	}
	if keep+shift > 18 {
		return 0, errTooLarge
	}
	var v int64
	for i := int64(0); i < keep; i++ {
		c := byte('0')
		if i < int64(len(intPart)) {
			c = intPart[i]
		} else {
			c = frac[i-int64(len(intPart))]
		}
		v = v*10 + int64(c-'0')
	}
	for ; shift > 0; shift-- {
		v *= 10
	}
	if v > MaxDuration {
		return 0, errTooLarge
	}
	return v, nil
}

// indexExp returns the index of the exponent marker of a number literal, or -1.
func indexExp(lit string) int {
	for i := 0; i < len(lit); i++ {
		if lit[i] == 'e' || lit[i] == 'E' {
			return i
		}
	}
	return -1
}

// parseExp parses an exponent, clamping its magnitude at 1e15: a mantissa is never that
// long, so the clamped value decides every case the same way.
func parseExp(s string) int64 {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	var e int64
	for i := 0; i < len(s); i++ {
		if e < 1e15 {
			e = e*10 + int64(s[i]-'0')
		}
	}
	if neg {
		e = -e
	}
	return e
}

// trimLeadingZeros drops leading '0' digits.
func trimLeadingZeros(s string) string {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// appendDuration appends ms (≥ 0) as seconds: an integer part and up to three decimals
// without trailing zeros (12400 → 12.4, 5 → 0.005, 3000 → 3).
func appendDuration(buf []byte, ms int64) []byte {
	buf = strconv.AppendInt(buf, ms/1000, 10)
	frac := int(ms % 1000)
	if frac == 0 {
		return buf
	}
	buf = append(buf, '.')
	width := 3
	for frac%10 == 0 {
		frac /= 10
		width--
	}
	return appendDigits(buf, frac, width)
}
