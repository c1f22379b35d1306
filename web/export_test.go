package web

// EnglishKeys returns the catalogue's English keys whose French differs, for the browser
// test that looks for English left on French pages.
func EnglishKeys() []string {
	var out []string
	for k, v := range french.table {
		if k != v {
			out = append(out, k)
		}
	}
	return out
}
