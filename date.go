package forewarn

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Precision says how much of a PartialDate is known.
type Precision int

// The precisions of a PartialDate.
const (
	PrecisionNone  Precision = iota // unknown
	PrecisionYear                   // 1985
	PrecisionMonth                  // 1985-11
	PrecisionDay                    // 1985-11-21
)

// PartialDate is a calendar date of which only the year, or the year and month, may be
// known: birth dates and travel dates in intelligence reporting often are.
type PartialDate struct {
	Year  int
	Month int // 0 when unknown
	Day   int // 0 when unknown
}

// Precision returns how much of the date is known.
func (d PartialDate) Precision() Precision {
	switch {
	case d.Year == 0:
		return PrecisionNone
	case d.Month == 0:
		return PrecisionYear
	case d.Day == 0:
		return PrecisionMonth
	default:
		return PrecisionDay
	}
}

// IsZero reports whether the date is unknown.
func (d PartialDate) IsZero() bool { return d.Year == 0 }

// String formats the date as YYYY, YYYY-MM or YYYY-MM-DD, or "" when unknown.
func (d PartialDate) String() string {
	switch d.Precision() {
	case PrecisionYear:
		return fmt.Sprintf("%04d", d.Year)
	case PrecisionMonth:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	case PrecisionDay:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	return ""
}

// Start returns the first instant the date may denote.
func (d PartialDate) Start() time.Time {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// End returns the first instant after the period the date may denote.
func (d PartialDate) End() time.Time {
	switch d.Precision() {
	case PrecisionYear:
		return d.Start().AddDate(1, 0, 0)
	case PrecisionMonth:
		return d.Start().AddDate(0, 1, 0)
	default:
		return d.Start().AddDate(0, 0, 1)
	}
}

// ParsePartialDate parses YYYY, YYYY-MM or YYYY-MM-DD; "" is the unknown date.
func ParsePartialDate(s string) (PartialDate, error) {
	var d PartialDate
	if s == "" {
		return d, nil
	}
	// Built only when refused: dates are read with every message and record.
	bad := func() error { return fmt.Errorf("%q is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD", s) }
	var parts [3]string
	n, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' {
			if n == len(parts) {
				return d, bad()
			}
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if len(parts[0]) != 4 {
		return d, bad()
	}
	var nums [3]int
	for i, p := range parts[:n] {
		if (i > 0 && len(p) != 2) || p == "" {
			return d, bad()
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return d, bad()
		}
		nums[i] = v
	}
	d.Year = nums[0]
	if d.Year < 1 {
		return d, bad()
	}
	if n > 1 {
		d.Month = nums[1]
		if d.Month < 1 || d.Month > 12 {
			return d, fmt.Errorf("%q has no month %d", s, d.Month)
		}
	}
	if n > 2 {
		d.Day = nums[2]
		if d.Day < 1 || time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).Day() != d.Day {
			return d, fmt.Errorf("%q is not a day of the calendar", s)
		}
	}
	return d, nil
}

// plainJSONString returns the string a JSON string literal of printable ASCII without
// escapes holds, as json.Unmarshal would, without its decoder; ok is false for any other.
func plainJSONString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	for _, c := range b[1 : len(b)-1] {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(b[1 : len(b)-1]), true
}

// MarshalJSON writes the date as its string form, or null when unknown.
func (d PartialDate) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	// Digits and dashes only: quoted as they are, as json.Marshal would quote them.
	s := d.String()
	return append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"'), nil
}

// UnmarshalJSON reads the string form written by MarshalJSON.
func (d *PartialDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = PartialDate{}
		return nil
	}
	var s string
	if plain, ok := plainJSONString(b); ok {
		s = plain
	} else if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := ParsePartialDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}
