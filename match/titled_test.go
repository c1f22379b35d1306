package match

import (
	"encoding/csv"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
)

// Name.titled lets an explanation skip looking for titles; it must be set on every name
// nameTitles finds one in, however the name is written, and it must survive the index.
func TestTitledCoversNameTitles(t *testing.T) {
	names := []string{
		"LAVILLA, Ruben, Jr.", "GARCIA JR., Luis", "Haji Mohammad Ali", "NASRALLAH, Sayyed Hassan",
		"Dr. Ayman al-Zawahiri", "Abu Bakr al-Baghdadi", "AL-SAYYID, Ali Sulayman", "SHEIKH, Muhammad Yaqub",
		"Сайед Хасан", "Пан Олександр Петренко", "Доктор Іван Франко", "김정은", "Mr, Smith", ", Dr Who",
		"ДР. Haji Ясин", "Sheikh" + strings.Repeat(" Ali", 60) + " Haji",
		strings.Repeat("Ali ", 60) + ", Dr Hassan", "Omar, Dr Hassan" + strings.Repeat(" Ali", 60),
	}
	sdn := testdata.Path(t, "names", "ofac", "sdn.csv")
	for _, f := range []struct {
		path string
		col  int
	}{{sdn, 1}, {strings.TrimSuffix(sdn, "sdn.csv") + "alt.csv", 3}} {
		file, err := os.Open(f.path)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(file)
		r.FieldsPerRecord, r.LazyQuotes = -1, true
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rec) > f.col {
				names = append(names, rec[f.col])
			}
		}
		file.Close()
	}
	found := 0
	for _, s := range names {
		if len(nameTitles(s)) == 0 {
			continue
		}
		found++
		if !Prepare(s).titled {
			t.Errorf("nameTitles(%q) = %q, but Prepare did not mark it titled", s, nameTitles(s))
		}
	}
	if found < 100 {
		t.Errorf("only %d of %d names hold a title; the list is not what this test expects", found, len(names))
	}

	// Through the index: a hit's explanation names the titles of both names.
	ix := NewIndex()
	ix.Add(Entry{ID: "1", Person: Person{Names: []string{"Karim Benali", "Sheikh Hassan Dahir Aweys"}}})
	hs := ix.SearchName("Dr Hassan Dahir Aweys", 1)
	if len(hs) != 1 {
		t.Fatalf("found %d, want 1", len(hs))
	}
	notes := strings.Join(hs[0].Explanation.Notes, "\n")
	for _, want := range []string{`query title "Dr" set aside`, `candidate title "Sheikh" set aside`} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q, want %q", notes, want)
		}
	}
}
