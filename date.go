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
	bad := fmt.Errorf("%q is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD", s)
	parts := []string{}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if len(parts) > 3 || len(parts[0]) != 4 {
		return d, bad
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		if (i > 0 && len(p) != 2) || p == "" {
			return d, bad
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return d, bad
		}
		nums[i] = n
	}
	d.Year = nums[0]
	if d.Year < 1 {
		return d, bad
	}
	if len(nums) > 1 {
		d.Month = nums[1]
		if d.Month < 1 || d.Month > 12 {
			return d, fmt.Errorf("%q has no month %d", s, d.Month)
		}
	}
	if len(nums) > 2 {
		d.Day = nums[2]
		if d.Day < 1 || time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).Day() != d.Day {
			return d, fmt.Errorf("%q is not a day of the calendar", s)
		}
	}
	return d, nil
}

// MarshalJSON writes the date as its string form, or null when unknown.
func (d PartialDate) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads the string form written by MarshalJSON.
func (d *PartialDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = PartialDate{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := ParsePartialDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}
