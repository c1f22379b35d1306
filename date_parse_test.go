package forewarn

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// parsePartialDateBefore is ParsePartialDate as it was before it stopped building its
// refusal for every date: the two must agree on every input, refusals word for word.
func parsePartialDateBefore(s string) (PartialDate, error) {
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

var partialDateCorpus = []string{"", "1980", "1980-02", "1980-02-29", "1981-02-29", "2024-13", "2024-00", "0000", "198", "19800",
	"1980-2", "1980-02-3", "1980-02-03-04", "1980--02", "-1980", "1980-", "+980", "1e10", "abcd", "1980-ab", "2014-12-31", "9999-12-31",
	"1980-02-00", "1980-1-01", "１９８０", "1980\n"}

func TestParsePartialDateAsBefore(t *testing.T) {
	for _, s := range partialDateCorpus {
		checkPartialDateAsBefore(t, s)
	}
}

func checkPartialDateAsBefore(t *testing.T, s string) {
	t.Helper()
	got, err := ParsePartialDate(s)
	want, wantErr := parsePartialDateBefore(s)
	if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("ParsePartialDate(%q) = %v, %v; before: %v, %v", s, got, err, want, wantErr)
	}
	// Read from JSON as encoding/json reads the string, whether written plain or escaped.
	for _, lit := range []string{strconv.Quote(s), `"` + escapeAll(s) + `"`} {
		if !json.Valid([]byte(lit)) {
			continue
		}
		var text string
		if json.Unmarshal([]byte(lit), &text) != nil {
			continue
		}
		want, wantErr := parsePartialDateBefore(text) // invalid UTF-8 reads as U+FFFD
		if wantErr != nil {
			want = PartialDate{} // a refused date is not read
		}
		var d PartialDate
		err := json.Unmarshal([]byte(lit), &d)
		if d != want || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("unmarshal %s = %v, %v; want %v, %v", lit, d, err, want, wantErr)
		}
		if err == nil && !d.IsZero() {
			b, err := json.Marshal(d)
			if want, _ := json.Marshal(d.String()); err != nil || string(b) != string(want) {
				t.Fatalf("marshal %v = %s, %v; want %s", d, b, err, want)
			}
		}
	}
}

// escapeAll writes every character of s as a \u escape.
func escapeAll(s string) string {
	out := ""
	for _, r := range s {
		out += fmt.Sprintf(`\u%04x`, r)
	}
	return out
}

func FuzzParsePartialDateAsBefore(f *testing.F) {
	for _, s := range partialDateCorpus {
		f.Add(s)
	}
	f.Fuzz(checkPartialDateAsBefore)
}
