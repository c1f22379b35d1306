package match

import (
	"fmt"
	"strings"
	"testing"
)

func zzName(i int) string {
	given := strings.Fields("Karim Samir Yassine Mehdi Olga Ivan Ahmet Fatma Jean Marie Hans Anna Ali Layla Pedro Lucia Tomasz Ewa " +
		"Omar Nadia Sergei Irina Mustafa Elif Pierre Claire Jürgen Petra Hassan Salma Diego Carmen Piotr Agata Rashid Amina Dmitri Yulia Kemal Zeynep " +
		"Luc Sophie Klaus Greta Tariq Hiba Javier Elena Marek Zofia")
	family := strings.Fields("Benali Haddad Ouali Laroussi Petrova Sokolov Yilmaz Demir Dupont Martin Müller Schmidt Hassan Nasser Alvarez Romero " +
		"Nowak Kowalska Mansour Bouzid Ivanov Smirnova Kaya Sahin Lefebvre Moreau Fischer Weber Khalil Saleh Garcia Lopez Wisniewski Lewandowska " +
		"Karimi Rahimi Volkov Orlova Aydin Celik Girard Bonnet Wagner Becker Farouk Zaki Navarro Torres Zielinski Wojcik")
	return given[i%len(given)] + " " + family[(i/len(given))%len(family)]
}

func TestZZCount(t *testing.T) {
	ix := NewIndex()
	total := 0
	for i := 0; i < 2000; i++ {
		p := Person{Names: []string{zzName(i)}, BirthDate: "1980", Nationalities: []string{"FR"}}
		pq := PreparePerson(p)
		hs := ix.SearchPreparedAbove(&pq, 10, DefaultThreshold)
		total += len(hs)
		if i%400 == 0 && len(hs) > 0 {
			fmt.Println(zzName(i), hs[0].ID, hs[0].Score)
		}
		ix.Add(Entry{ID: fmt.Sprint(i), Person: p})
	}
	fmt.Println("hits", total)
}

func BenchmarkZZSearch(b *testing.B) {
	ix := NewIndex()
	for i := 0; i < 2000; i++ {
		ix.Add(Entry{ID: fmt.Sprint(i), Person: Person{Names: []string{zzName(i)}, BirthDate: "1980"}})
	}
	pqs := make([]PreparedPerson, 500)
	for i := range pqs {
		pqs[i] = PreparePerson(Person{Names: []string{zzName(2000 + i*7)}, BirthDate: "1980"})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.SearchPreparedAbove(&pqs[i%len(pqs)], 10, DefaultThreshold)
	}
}
